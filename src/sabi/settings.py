"""One typed settings object for the whole program.

Precedence, lowest to highest: defaults < ``sabi.toml`` < ``SABI_*`` environment variables <
explicit overrides (CLI flags). The file is looked for in the working directory, then in the
data directory, so a data directory carries its own configuration with it.

The engine's own keys are the fields of :class:`Settings`. A feature above the engine (the
Bilibili downloader) adds a ``[table]`` of its own with :func:`register_section`, so this module
never names it; :func:`settings_class` is ``Settings`` plus the registered tables, and is what
:func:`load_settings` and :func:`render_config` use.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, create_model, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sabi.describe import DESCRIPTORS, is_descriptor
from sabi.errors import ConfigError
from sabi.store import STORES

CONFIG_NAME = "sabi.toml"
ENV_PREFIX = "SABI_"

M = TypeVar("M", bound=BaseModel)


def _choices(about: Mapping[str, str]) -> str:
    return ", ".join(f"{name} ({line})" for name, line in about.items())


class Settings(BaseSettings):
    """Every knob sabi has. ``sabi init`` and the README list these fields, in this order."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", env_nested_delimiter="__"
    )

    # --- where things live
    data_dir: Path = Field(
        Path("sabi-data"), description="Folder for the index, the SQL database and previews."
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL for show/episode metadata; empty means "
        "sqlite:///<data_dir>/sabi.db. PostgreSQL: postgresql+psycopg://user:pw@host/db",
    )

    # --- prepare
    rate: float = Field(
        2.0,
        gt=0,
        description="Frames sampled per second of video (see bench/results/sweeps.md).",
    )
    resolution: int = Field(320, ge=32, description="Sampled frames are scaled to this width.")
    cut_borders: bool = Field(True, description="Cut black letterbox/pillarbox borders.")
    black_level: int = Field(
        24, ge=0, le=255, description="A border row/column is darker than this (0-255)."
    )
    dedupe_distance: int = Field(
        4,
        ge=0,
        le=64,
        description="Drop a frame whose 64-bit dHash is within this many bits of the last kept "
        "one (0 keeps every sampled frame).",
    )
    dedupe_max_span: float = Field(
        2.0,
        gt=0,
        description="Keep a frame at least this often (seconds), even in still shots: without "
        "the source, `at` is a kept frame, so this bounds its error in slow shots (2 s: +4 "
        "points of time within 1 s for 7 % more frames than 4 s on the benchmark's tuning split).",
    )

    # --- describe
    descriptor: str = Field(
        "sscd_distilled",
        description="Frame descriptor: "
        + _choices({name: d.about for name, d in DESCRIPTORS.items()})
        + ", or a path to an ONNX file (uint8 NHWC RGB in, L2-normalised vector out).",
    )
    embed_size: int = Field(224, ge=32, description="Side of the square image the model sees.")
    batch_size: int = Field(16, ge=1, description="Frames per model call.")
    threads: int = Field(0, ge=0, description="CPU threads for the model (0: all cores).")

    # --- store
    store: str = Field(
        "faiss",
        description="Vector store: "
        + _choices({name: k.about for name, k in STORES.items()})
        + ".",
    )
    exact_below: int = Field(
        50_000,
        ge=0,
        description="FAISS: search every frame's int8 codes exactly while the library has fewer "
        "frames; above, a fast-scan PQ proposes candidates (see bench/results/store.md).",
    )
    rerank: int = Field(
        4000,
        ge=10,
        description="FAISS: PQ candidates re-ranked exactly per query frame (bench/results/store.md).",
    )
    pq_bytes: int = Field(
        64,
        ge=4,
        description="FAISS: bytes of PQ code per frame (4 bits per sub-quantiser); changing it "
        "retrains the PQ.",
    )
    hnsw_m: int = Field(32, ge=4, description="Milvus HNSW graph degree.")
    hnsw_ef_construction: int = Field(128, ge=8, description="Milvus HNSW build beam width.")
    hnsw_ef_search: int = Field(800, ge=8, description="Milvus HNSW search beam width.")
    milvus_index: Literal["HNSW", "IVF_FLAT", "IVF_SQ8", "DISKANN", "FLAT"] = Field(
        "HNSW",
        description="Milvus server: index a new collection gets (Milvus Lite always searches "
        "exactly); see docs/scaling.md and bench/results/scale_milvus.md.",
    )
    milvus_nlist: int = Field(
        1024, ge=1, le=65536, description="Milvus IVF_FLAT/IVF_SQ8: inverted lists (at build)."
    )
    milvus_nprobe: int = Field(
        64, ge=1, le=65536, description="Milvus IVF_FLAT/IVF_SQ8: lists visited per search."
    )
    milvus_search_list: int = Field(
        100, ge=1, description="Milvus DISKANN: search list size (raised to the result count)."
    )
    milvus_uri: str = Field(
        "",
        description="Milvus URI: a .db file for Milvus Lite or http://host:19530 for a server; "
        "empty means <data_dir>/milvus.db.",
    )
    milvus_token: str = Field("", description="Milvus token (user:password), if any.")
    milvus_collection: str = Field("sabi_frames", description="Milvus collection name.")

    # --- queue workers (sabi worker)
    lease_seconds: float = Field(
        120.0,
        gt=0,
        description="A worker's claim on a job lasts this long unless renewed (it renews it "
        "every third of it while it works); a dead worker's job is taken again after it.",
    )
    worker_poll: float = Field(
        5.0, gt=0, description="Seconds an idle `sabi worker` waits before looking again."
    )

    # --- search
    top_k: int = Field(200, ge=10, description="Nearest frames fetched before grouping scenes.")
    scene_gap: float = Field(
        5.0, gt=0, description="Hits of one episode closer than this (s) form one scene."
    )
    limit: int = Field(10, ge=1, le=100, description="Scenes returned per search.")
    min_similarity: float = Field(
        0.77,
        ge=0,
        le=1,
        description="A best scene below this similarity is answered as 'probably not in the "
        "library' (found: false; the scenes are still listed). Chosen with min_margin on the "
        "benchmark's tuning split for >= 95 % precision (bench/results/accuracy.md).",
    )
    min_margin: float = Field(
        0.06,
        ge=0,
        le=1,
        description="... and so is one less than this above the best scene of any other episode: "
        "a frame of an unindexed episode resembles several indexed ones about equally (same "
        "locations, same art), a right answer stands out.",
    )
    min_similarity_framed: float = Field(
        0.7,
        ge=0,
        le=1,
        description="... except that a best scene whose sampled thumbnails line up with the "
        "whole query, pixel by pixel (framed like the video), needs only this similarity and "
        "to be the best: the pixels bear the episode out (sabi.search.verdict).",
    )
    min_margin_unaligned: float = Field(
        0.1,
        ge=0,
        le=1,
        description="... and one that nothing sampled lines up with (not whole, not as a "
        "window, not as a crop) needs this margin instead of min_margin: the vector is its "
        "only evidence.",
    )
    query_frames: int = Field(8, ge=1, le=64, description="Frames taken from a GIF or video query.")
    max_image_pixels: int = Field(
        40_000_000, ge=1, description="Refuse query images larger than this (pixels)."
    )
    max_query_seconds: float = Field(
        60.0, gt=0, description="Read at most this much of a video/GIF query."
    )
    max_shots_seconds: float = Field(
        600.0,
        gt=0,
        description="Longest clip a shot breakdown (`sabi search --shots`, POST /shots) "
        "accepts, in seconds (longer: 413); its decoding budget is the query's, scaled by "
        "max_shots_seconds / max_query_seconds.",
    )
    max_decode_pixels: int = Field(
        1_000_000_000,
        ge=1,
        description="Decoding budget of one query: pixels over all its frames (about 7 s of "
        "one core); an animation or video declaring or reaching more is refused (413).",
    )
    max_decode_seconds: float = Field(
        20.0, gt=0, description="Decoding budget of one query, in seconds (then 413)."
    )
    mirror: bool = Field(
        False,
        description="Also search the query's mirror image, for flipped re-uploads (SSCD is "
        "already flip-robust; colorlayout and dhash need it).",
    )
    regions: bool = Field(
        True,
        description="When a still image's best match is weak (below region_below), also search "
        "the boxes where a video frame may sit inside it (a picture pasted into a meme, an app's "
        "player, a browser window), and a portrait still padded back to 16:9 (a strip of the "
        "frame cut for phones). Costs about 10 ms to find the boxes, then one batch "
        "embedding of up to max_regions crops (about 20 ms of one core each with "
        "sscd_distilled) and one store search. When it is not yet found (below "
        "min_similarity), a screen photographed at an angle is looked for too (about 20 ms) and, "
        "straightened, searched the same way. A strong match costs nothing more.",
    )
    region_below: float = Field(
        0.77,
        ge=0,
        le=1,
        description="Try the boxes only when the whole image's best similarity is below this; "
        "by default whenever the answer is not yet found (min_similarity). Chosen on the "
        "benchmark's tuning split against 0.5: a post's card (the frame with a name and text "
        "above it) 95 -> 100 % within 1 s, every other family the same but one query, for "
        "10-45 ms more on answers scoring 0.5-0.77 (bench/results/accuracy.md).",
    )
    max_regions: int = Field(
        6,
        ge=1,
        le=32,
        description="Boxes searched at most per weak still image (regions); each is one more "
        "frame in the batch embedding. A portrait still's padded copy (a strip cut for "
        "phones, padded back to 16:9) takes one of them.",
    )
    exact_at: bool = Field(
        False,
        description="Name the exact frame: decode the source video around the best match at its "
        "full frame rate and compare its frames with the query (`sabi search --exact`, "
        "`?exact=1`). Off by default for its cost: a screenshot framed like the video decodes "
        "the 1.5 s around the sample its thumbnail matched and compares pixels (~150 ms on the "
        "demo's query, where a plain search takes ~20 ms); a crop decodes 3 s and fits boxes "
        "of every frame to it (~0.5 s); a frame inside a window or page is located in it and "
        "every decoded frame fitted there (0.5-1 s); any other query decodes a few seconds "
        "and embeds 25-40 frames (0.4-0.8 s of one CPU core). Off, `at` is the sample "
        "whose thumbnail correlates best with the query (within a quarter second when the "
        "query is framed like the video), a crop on the sample with a box that fits it, else "
        "placed between the best-matching sampled frame and its stored neighbours.",
    )

    # --- serve
    host: str = Field("127.0.0.1", description="Address `sabi serve` listens on.")
    port: int = Field(8000, ge=0, le=65535, description="Port `sabi serve` listens on.")
    max_upload_bytes: int = Field(
        25 * 1024 * 1024, ge=1, description="Largest accepted upload or fetched URL."
    )
    max_json_bytes: int = Field(
        1024 * 1024, ge=1024, description="Largest JSON body of /anilist and /admin requests."
    )
    public_url: str = Field(
        "",
        description="Base URL put in preview links (e.g. https://sabi.example.org behind a "
        "proxy); empty means the address and port the connection came to (never the Host "
        "header, which the client chooses).",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses (or *) of reverse proxies whose "
        "X-Forwarded-For/-Proto are believed; empty: none, the client is the peer address.",
    )
    cors_origins: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Web origins whose pages may call the API from a browser (CORS, "
        "without credentials); [] turns CORS off.",
    )
    secret: str = Field(
        "",
        description="Key that signs preview links; empty means a random one kept in "
        "<data_dir>/secret.key. API replicas with data directories of their own must share one.",
    )
    admin_key: str = Field(
        "",
        description="API key for admin actions (indexing, removal, key management over HTTP); "
        "empty disables them.",
    )
    anonymous_quota: int = Field(
        1000, ge=0, description="Searches per 24 h for a client without a key, per IP (IPv6 /64)."
    )
    rate_limit: int = Field(
        60,
        ge=0,
        description="Requests per minute to /search per IP, counted in the database for every "
        "server process together (0: no limit).",
    )
    key_quota: int = Field(10000, ge=0, description="Default searches per 24 h for a new API key.")
    processes: int = Field(
        1,
        ge=1,
        description="Server processes `sabi serve` runs on its port (uvicorn workers); each "
        "loads the model and the index (memory grows with each); counts are in the database.",
    )
    search_workers: int = Field(2, ge=1, description="Searches run at once (per process).")
    search_queue: int = Field(
        8, ge=0, description="Searches that may wait for a worker; beyond that: 503 at once."
    )
    max_connections: int = Field(
        16,
        ge=1,
        description="Open connections the server allows (uploads being read included); a "
        "request arriving when that many are open gets 503 before it is read, so an overload "
        "cannot queue up work.",
    )
    preview_workers: int = Field(2, ge=1, description="Preview clips/stills encoded at once.")
    preview_ttl: int = Field(
        3600,
        ge=60,
        description="Preview links stay valid at least this long (s); expiry is rounded up to "
        "the hour so links can be cached.",
    )
    preview_seconds: float = Field(
        5.0, gt=0, le=30, description="A preview clip reaches at most this far (s) either side."
    )
    preview_cache_mb: int = Field(
        256, ge=0, description="Disk kept for encoded previews in preview_dir (0: none)."
    )
    preview_dir: str = Field(
        "",
        description="Folder of the preview cache; empty means <data_dir>/previews. API "
        "replicas on several machines may share one (a network folder): writes are atomic.",
    )
    allow_private_urls: bool = Field(
        False,
        description="Let ?url= fetch private, loopback and link-local addresses (intranets).",
    )
    fetch_timeout: float = Field(10.0, gt=0, description="Seconds allowed to fetch a ?url= query.")

    @field_validator("descriptor")
    @classmethod
    def _known_descriptor(cls, name: str) -> str:
        if not is_descriptor(name):
            raise ValueError(
                f"unknown descriptor {name!r}: use one of {', '.join(DESCRIPTORS)} "
                "or a path to a .onnx file"
            )
        return name

    @field_validator("store")
    @classmethod
    def _known_store(cls, name: str) -> str:
        if name not in STORES:
            raise ValueError(f"unknown store {name!r}: use one of {', '.join(STORES)}")
        return name

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'sabi.db'}"

    @property
    def previews(self) -> Path:
        return Path(self.preview_dir) if self.preview_dir else self.data_dir / "previews"

    @property
    def milvus(self) -> str:
        return self.milvus_uri or str(self.data_dir / "milvus.db")

    def section(self, model: type[M]) -> M:
        """The registered ``[table]`` that ``model`` validates; its defaults when this object
        was made without it (a bare ``Settings(...)``, as tests make)."""
        for table in _sections.values():
            if table.model is model:
                value = getattr(self, table.name, None)
                return value if isinstance(value, model) else model()
        raise LookupError(f"{model.__name__} is not a registered settings section")


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


@dataclass(frozen=True)
class Section:
    """A ``[name]`` table of sabi.toml that a feature above the engine brings."""

    name: str
    model: type[BaseModel]
    description: str
    #: the table as ``sabi init`` writes it (one inline table on one commented line)
    inline: Callable[[Any], dict[str, Any]] = _dump


_sections: dict[str, Section] = {}


def register_section(
    name: str,
    model: type[BaseModel],
    description: str,
    *,
    inline: Callable[[Any], dict[str, Any]] = _dump,
) -> None:
    """Add the ``[name]`` table, validated by ``model`` (every field with a default), set in the
    environment as ``SABI_<NAME>__<KEY>``. Call it before loading settings; registering the same
    model again changes nothing."""
    if name in Settings.model_fields:
        raise ValueError(f"{name!r} is a setting of its own, not a free section name")
    known = _sections.get(name)
    if known is not None and known.model is not model:
        raise ValueError(f"settings section {name!r} is taken by {known.model.__name__}")
    _sections[name] = Section(name, model, description, inline)


def settings_class() -> type[Settings]:
    """``Settings`` with a field for every registered section (the class settings load as)."""
    return _with_sections(tuple(_sections.values()))


@cache
def _with_sections(sections: tuple[Section, ...]) -> type[Settings]:
    if not sections:
        return Settings
    fields: dict[str, Any] = {
        s.name: (s.model, Field(default_factory=s.model, description=s.description))
        for s in sections
    }
    return create_model(
        "Settings", __base__=Settings, __module__=__name__, __doc__=Settings.__doc__, **fields
    )


def find_config(explicit: Path | None = None) -> Path | None:
    """The TOML file in use: an explicit path, ./sabi.toml, or <data_dir>/sabi.toml."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file not found: {explicit}")
        return explicit
    here = Path.cwd() / CONFIG_NAME
    if here.is_file():
        return here
    data_dir = Path(os.environ.get(f"{ENV_PREFIX}DATA_DIR", "sabi-data"))
    there = data_dir / CONFIG_NAME
    return there if there.is_file() else None


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Build Settings from the file, the environment and explicit overrides (None = unset)."""
    path = find_config(config)
    values: dict[str, Any] = {}
    if path is not None:
        with path.open("rb") as fh:
            values.update(tomllib.load(fh))
    # Init values beat the environment in pydantic-settings, so the file's keys that the
    # environment also sets are dropped (the environment wins), and explicit overrides are
    # added last (they win over both).
    env_keys = {k.upper() for k in os.environ}
    cls = settings_class()
    for name in cls.model_fields:
        if f"{ENV_PREFIX}{name}".upper() in env_keys:
            values.pop(name, None)
    for key in env_keys:  # tables: SABI_<TABLE>__<KEY> beats the file's <KEY> in [<table>]
        table, nested, sub = key.removeprefix(ENV_PREFIX).lower().partition("__")
        if nested and isinstance(values.get(table), dict):
            same = sub.replace("_", "")
            values[table] = {
                k: v for k, v in values[table].items() if k.lower().replace("_", "") != same
            }
    values.update({k: v for k, v in overrides.items() if v is not None})
    return cls(**values)


def render_config(settings: Settings | None = None) -> str:
    """A sabi.toml with every key present and commented, for ``sabi init``: the engine's keys,
    then one line per registered section. Without ``settings``, the defaults: not the
    environment's values, which may be secrets (a SESSDATA cookie, an admin key)."""
    settings = settings or settings_class().model_construct()
    lines = [
        "# sabi configuration. Every key is optional; the values shown are the defaults.",
        f"# Environment variables override this file: {ENV_PREFIX}<KEY>, e.g. {ENV_PREFIX}RATE=3.",
        "# Command-line flags override both.",
        "",
    ]
    shown: list[tuple[str, str | None, Any]] = [
        (name, field.description, getattr(settings, name))
        for name, field in Settings.model_fields.items()
    ]
    shown += [
        (s.name, s.description, s.inline(settings.section(s.model))) for s in _sections.values()
    ]
    for name, description, value in shown:
        lines.append(f"# {description}")
        lines.append(f"# {name} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
