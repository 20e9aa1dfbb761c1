"""Settings for Bilibili downloads: the seed's ``setting.json`` keys, plus sabi's own.

The same model reads the ``[bilibili]`` table of ``sabi.toml`` (``SABI_BILIBILI__<KEY>`` in the
environment) and the seed project's ``download_bilibili/setting.json`` unmodified:

    {"queue": {"season_id": [["425", 425]], "epid": []},
     "rate": 5, "resolution": 480, "SESSDATA": "", "downloadPath": "../download", "quality": 64}

The seed's spellings (``SESSDATA``, ``downloadPath``, ``autoRemove``) are aliases; the snake_case
names work too. ``sabi.acquire.bilibili.register`` adds the table to sabi's settings.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sabi.errors import ConfigError

log = logging.getLogger(__name__)

#: Bilibili's ``qn`` values (the playurl ``quality`` codes) and what they mean.
QUALITIES: dict[int, str] = {
    127: "8K",
    126: "Dolby Vision",
    125: "HDR",
    120: "4K",
    116: "1080P60",
    112: "1080P+",
    80: "1080P",
    74: "720P60",
    64: "720P",
    32: "480P",
    16: "360P",
    6: "240P",
}

DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36"
)


def quality_name(qn: int | None) -> str:
    if qn is None:
        return "?"
    return f"{qn} ({QUALITIES[qn]})" if qn in QUALITIES else str(qn)


class QueueItem(BaseModel):
    """One queue entry: the tag searches filter by (None: the show's own title) and an id."""

    model_config = ConfigDict(frozen=True)

    tag: str | None = None
    id: int

    @classmethod
    def parse(cls, value: Any, prefix: str) -> QueueItem:
        """``[tag, id]`` as in the seed, a bare id, or ``"ss425"``/``"ep1234"`` strings."""
        if isinstance(value, QueueItem):
            return value
        if isinstance(value, dict):
            return cls.model_validate(value)
        tag: str | None = None
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise ValueError(f"a queue entry is [tag, id] or an id, not {value!r}")
            tag, value = (str(value[0]) if value[0] not in (None, "") else None), value[1]
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"not a {prefix} id: {value!r}")
        text = str(value).strip().lower()
        m = re.fullmatch(rf"(?:{prefix})?(\d+)", text)
        if m is None or not 0 < int(m.group(1)) < 2**63:
            raise ValueError(f"not a {prefix} id: {value!r}")
        return cls(tag=tag, id=int(m.group(1)))


class Queue(BaseModel):
    """What to fetch: whole seasons (``ss`` ids) and single episodes (``ep`` ids)."""

    model_config = ConfigDict(extra="forbid")

    season_id: list[QueueItem] = Field(default_factory=list)
    epid: list[QueueItem] = Field(default_factory=list)

    @field_validator("season_id", mode="before")
    @classmethod
    def _seasons(cls, v: Any) -> list[QueueItem]:
        return [QueueItem.parse(x, "ss") for x in (v or [])]

    @field_validator("epid", mode="before")
    @classmethod
    def _episodes(cls, v: Any) -> list[QueueItem]:
        return [QueueItem.parse(x, "ep") for x in (v or [])]

    def __bool__(self) -> bool:
        return bool(self.season_id or self.epid)


class BilibiliSettings(BaseModel):
    """The ``[bilibili]`` table. Field order is the order ``sabi init`` shows."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)

    # --- the seed's keys
    queue: Queue = Field(default_factory=Queue, description="Seasons and episodes to fetch.")
    rate: float | None = Field(
        None, gt=0, description="Frames sampled per second for these downloads (unset: `rate`)."
    )
    resolution: int | None = Field(
        None, ge=32, description="Sampled frame width for these downloads (unset: `resolution`)."
    )
    sessdata: str = Field(
        "", alias="SESSDATA", repr=False, description="The SESSDATA login cookie (empty: guest)."
    )
    download_path: Path | None = Field(
        None,
        alias="downloadPath",
        description="Where downloads go (unset: <data_dir>/bilibili). In a setting.json a "
        "relative path is relative to that file's folder.",
    )
    quality: int = Field(64, ge=1, description="Wanted qn: 116 1080P60 ... 64 720P, 32 480P.")
    auto_remove: bool = Field(
        False, alias="autoRemove", description="Delete each MP4 once it is indexed."
    )

    # --- sabi's own
    api_base: str = Field("https://api.bilibili.com", description="API base URL (a mirror).")
    cdn_base: str = Field(
        "",
        description="Replace scheme and host of every stream URL by this (a CDN mirror); empty "
        "keeps the URLs the API gives.",
    )
    link: str = Field(
        "https://www.bilibili.com/bangumi/play/ep{ep_id}?t={t}",
        description="Link stored with each episode; {ep_id} is filled now, {t} by searches.",
    )
    referer: str = Field("https://www.bilibili.com", description="Referer header sent.")
    user_agent: str = Field(DEFAULT_USER_AGENT, description="User-Agent header sent.")
    codec: Literal["avc", "hevc", "av1"] = Field(
        "avc", description="Preferred DASH video codec (others are used when it is missing)."
    )
    concurrency: int = Field(1, ge=1, le=4, description="Episodes downloaded at once.")
    api_delay: float = Field(1.0, ge=0, description="Seconds between two API calls.")
    retries: int = Field(5, ge=0, description="Retries of one request (412/429/5xx, drops).")
    backoff: float = Field(2.0, ge=0, description="First backoff (s); doubles per retry.")
    backoff_max: float = Field(120.0, ge=0, description="Longest single backoff (s).")
    timeout: float = Field(30.0, gt=0, description="Network timeout per request (s).")
    max_attempts: int = Field(
        3, ge=1, description="Runs that may try a failing episode before it is left alone."
    )
    enqueue: bool = Field(
        False,
        description="Put each downloaded MP4 on the job queue for `sabi worker` instead of "
        "indexing it here (autoRemove then does not apply: the workers need the file).",
    )
    watch_interval: float = Field(
        600.0,
        ge=0,
        description="With --watch: seconds between two polls of the queued seasons (0: no "
        "wait, for cron with --max-polls 1).",
    )
    watch_jitter: float = Field(
        0.1,
        ge=0,
        le=0.5,
        description="With --watch: each wait is watch_interval times 1 +/- this, at random.",
    )

    def __str__(self) -> str:  # the README's settings table shows this, not every field
        return "[bilibili] table, see docs/bilibili.md"

    def resolved_download_path(self, data_dir: Path) -> Path:
        return self.download_path if self.download_path is not None else data_dir / "bilibili"

    def toml_inline(self) -> dict[str, Any]:
        """The non-null values under the seed's key names, for ``sabi init``."""
        data = self.model_dump(by_alias=True, exclude_none=True, mode="json")
        data["queue"] = {
            key: [[i["tag"], i["id"]] if i["tag"] is not None else i["id"] for i in items]
            for key, items in data["queue"].items()
        }
        return data


def read_seed_settings(path: Path) -> dict[str, Any]:
    """The keys of a seed ``setting.json`` as BilibiliSettings field values (only those set).

    Unknown keys are reported and ignored (the file is the seed's, not ours to reject); a relative
    ``downloadPath`` is made relative to the file's folder, as the seed's scripts ran there.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except ValueError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a folder; give the setting.json file in it") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a JSON object")
    known = {f.alias or n for n, f in BilibiliSettings.model_fields.items()}
    known |= set(BilibiliSettings.model_fields)
    unknown = sorted(set(raw) - known)
    if unknown:
        log.warning("%s: ignoring keys sabi does not use: %s", path, ", ".join(unknown))
    partial = BilibiliSettings.model_validate({k: v for k, v in raw.items() if k in known})
    values = partial.model_dump(include=partial.model_fields_set)
    dl = values.get("download_path")
    if dl is not None and not Path(dl).expanduser().is_absolute():
        values["download_path"] = (path.parent / Path(dl)).resolve()
    elif dl is not None:
        values["download_path"] = Path(dl).expanduser()
    return values


def read_seed_records(folder: Path) -> tuple[set[int], dict[int, str]]:
    """The seed's ``finish.json`` (done) and ``failed.json`` (failed) in ``folder``, if there.

    The seed's exact shape is not known, so any of these is read: a list of ep ids (ints or
    ``"ep123"`` strings); a list of ``[tag, ep_id]`` pairs; an object whose keys are ep ids (values:
    reasons, for failed.json); or an object with an ``"epid"`` list. Returns (done ids,
    {failed id: reason}).
    """
    done: set[int] = set()
    failed: dict[int, str] = {}
    for name, target in (("finish.json", None), ("failed.json", failed)):
        file = folder / name
        if not file.is_file():
            continue
        try:
            data = json.loads(file.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            log.warning("cannot read %s: %s", file, exc)
            continue
        for ep_id, reason in _seed_entries(data):
            if target is None:
                done.add(ep_id)
            else:
                target[ep_id] = reason or "failed in the seed's downloader (failed.json)"
    return done, failed


def _seed_entries(data: Any) -> list[tuple[int, str | None]]:
    if isinstance(data, dict):
        if isinstance(data.get("epid"), list):
            return _seed_entries(data["epid"])
        out = []
        for key, value in data.items():
            ep = _seed_id(key)
            if ep is not None:
                out.append((ep, value if isinstance(value, str) and value else None))
        return out
    if isinstance(data, list):
        out = []
        for item in data:
            ep = _seed_id(item[-1] if isinstance(item, list | tuple) and item else item)
            if ep is not None:
                out.append((ep, None))
        return out
    return []


def _seed_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    m = re.fullmatch(r"(?:ep)?(\d+)", str(value).strip().lower())
    return int(m.group(1)) if m else None
