"""The two Bilibili web APIs sabi needs: season info and the stream URLs of an episode.

Shapes follow the public reference, SocialSisterYi/bilibili-API-collect
(docs/bangumi/info.md, docs/bangumi/videostream_url.md, docs/video/videostream_url.md,
docs/misc/errcode.md):

* ``GET {api}/pgc/view/web/season?season_id=|ep_id=`` ->
  ``{"code": 0, "result": {"season_id", "title", "episodes": [{"id", "aid", "bvid", "cid",
  "title", "long_title", "duration" (ms), "badge", "status"}], "section": [...],
  "publish": {"is_finish": 0|1, ...}}}``
* ``GET {api}/pgc/player/web/playurl?ep_id&cid&qn&fnval&fnver&fourk`` ->
  ``{"code": 0, "result": {"quality", "accept_quality", "is_preview", "timelength",
  "dash": {"video": [{"id", "codecid", "base_url", "backup_url", ...}], "audio": [...]}}}``
  or, for the older FLV/MP4 form, ``"durl": [{"order", "size", "length", "url",
  "backup_url"}]``.

Codes: 0 ok; -404 nothing there (removed/unknown); -10403 VIP-only or region ("大会员专享限制" /
"抱歉您所在地区不可观看！"); 6002003 and -688 region; -101 not logged in; -412/-509/-799, -352
(risk control) and HTTP 412/429/5xx: slow down (backed off and retried, then that item fails).

No maintained client library lets both base URLs be set (bilibili-api-python and yt-dlp
hard-code the hosts), so this is a small httpx client; the CDN host of stream URLs can be
rewritten with ``cdn_base``.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ValidationError

from sabi.acquire.bilibili.answers import (
    RawDash,
    RawEpisode,
    RawPlay,
    RawSeason,
    RawStreamEntry,
    shape_problem,
)
from sabi.acquire.bilibili.config import BilibiliSettings, quality_name
from sabi.errors import SourceError

log = logging.getLogger(__name__)

SEASON_PATH = "/pgc/view/web/season"
PLAYURL_PATH = "/pgc/player/web/playurl"

#: JSON ``code`` values that mean "too many requests / try later".
THROTTLE_CODES = {-412, -509, -799, -500, -503, -504, -352}
#: Risk control ("风控校验失败"): Bilibili thinks the client is a bot; waiting, a login cookie or a
#: browser's headers help, so it is backed off like throttling and then explained.
RISK_CODE = -352
REGION_CODES = {6002003, -688}
RETRY_STATUS = {412, 429, 500, 502, 503, 504}
#: DASH ``codecid``: 7 AVC (H.264), 12 HEVC, 13 AV1.
CODEC_IDS = {"avc": 7, "hevc": 12, "av1": 13}


class BilibiliError(SourceError):
    """Something about one season or episode; ``kind`` is a short machine word."""

    def __init__(self, kind: str, reason: str):
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class Unavailable(BilibiliError):
    """The service says no: region-locked, VIP-only/paid, removed, unknown, needs login."""


class Throttled(BilibiliError):
    """Still refused (412/429/5xx) after every retry."""


@dataclass(frozen=True)
class EpisodeInfo:
    ep_id: int
    cid: int | None
    aid: int | None
    bvid: str | None
    title: str  # the short title: "1", "12.5", "SP", "PV"
    long_title: str
    number: float | None
    duration: float  # seconds; 0 when the API did not say
    badge: str = ""
    status: int | None = None


@dataclass(frozen=True)
class Season:
    season_id: int
    title: str
    episodes: list[EpisodeInfo]
    extras: list[EpisodeInfo] = field(default_factory=list)  # PVs, OP/ED and such ("section")
    skipped: list[str] = field(default_factory=list)  # entries of the answer that were unusable
    finished: bool = False  # the API says it finished airing (publish.is_finish)

    def find(self, ep_id: int) -> EpisodeInfo | None:
        return next((e for e in (*self.episodes, *self.extras) if e.ep_id == ep_id), None)


@dataclass(frozen=True)
class Part:
    """One file to download: its URLs (main, then backups) and, when known, its size."""

    name: str  # "video", "audio", "seg1", ...
    urls: list[str]
    size: int | None = None
    ext: str = "m4s"


@dataclass(frozen=True)
class Stream:
    kind: str  # "dash" | "durl"
    quality: int
    parts: list[Part]
    duration: float = 0.0
    codec: str = ""
    note: str | None = None  # set when the quality is not the one asked for

    @property
    def key(self) -> str:
        """Names the exact stream, so a resumed .part is never mixed with another one."""
        return f"{self.kind}-{self.quality}-{self.codec or 'x'}"


def _number(title: str, position: int | None) -> float | None:
    """Episode number from the short title ("1", "12.5", "第3话"); else the 1-based position."""
    m = re.search(r"\d+(?:\.\d+)?", title or "")
    if m and re.fullmatch(r"\s*(?:第\s*)?\d+(?:\.\d+)?\s*(?:[话話集])?\s*", title):
        return float(m.group())
    return float(position) if position is not None else None


def _episode(raw: RawEpisode, position: int | None) -> EpisodeInfo:
    """A main episode is numbered by its title or position; an extra (PV, OP) by title only."""
    title = raw.title or ""
    ep_id = raw.id or raw.ep_id
    if not ep_id or ep_id < 0:
        raise ValueError(f"an episode without an id: {title!r}")
    return EpisodeInfo(
        ep_id=ep_id,
        cid=raw.cid or None,
        aid=raw.aid or None,
        bvid=raw.bvid or None,
        title=title,
        long_title=raw.long_title or "",
        number=_number(title, position),
        duration=max(raw.duration or 0.0, 0.0) / 1000.0,
        badge=raw.badge or "",
        status=raw.status,
    )


def _episodes(
    entries: list[Any], numbered: bool, where: str, skipped: list[str]
) -> list[EpisodeInfo]:
    """The entries that are episodes; each one that is not is named in ``skipped`` instead, so
    one odd entry costs that entry, not the season."""
    out = []
    for i, raw in enumerate(entries, 1):
        try:
            out.append(_episode(RawEpisode.model_validate(raw), i if numbered else None))
        except ValidationError as exc:
            skipped.append(f"{where}[{i}] skipped: {shape_problem(exc)}")
        except ValueError as exc:
            skipped.append(f"{where}[{i}] skipped: {exc}")
    return out


def _unavailable(code: int, message: str, what: str) -> Unavailable:
    """The reason for a non-zero ``code``, in words a user can act on."""
    msg = f"{message} (code {code})" if message else f"code {code}"
    if code in REGION_CODES or (code == -10403 and ("地区" in message or "area" in message)):
        return Unavailable("region", f"{what} is region-locked for this network: {msg}")
    if code == -10403 or code in {6002105, 6001003}:
        return Unavailable("vip", f"{what} is VIP-only or paid; this account cannot play it: {msg}")
    if code in (-404, -400) or code == 404:
        return Unavailable("removed", f"{what} does not exist or was removed: {msg}")
    if code == -101:
        return Unavailable("login", f"{what} needs a logged-in account (set SESSDATA): {msg}")
    if code == -403:
        return Unavailable("vip", f"{what}: access denied for this account: {msg}")
    return Unavailable("api", f"{what}: Bilibili refused: {msg}")


class BilibiliAPI:
    """Polite by construction: one call at a time per client, ``api_delay`` apart, with
    exponential backoff on 412/429/5xx (``Retry-After`` honoured) and on dropped connections."""

    def __init__(
        self,
        cfg: BilibiliSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ):
        self.cfg = cfg
        self.sleep = sleep
        self.http = httpx.Client(
            base_url=cfg.api_base.rstrip("/"),
            headers=request_headers(cfg),
            timeout=cfg.timeout,
            follow_redirects=True,
            transport=transport,
        )
        self._lock = threading.Lock()
        self._last = 0.0

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> BilibiliAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- the two calls

    def season(self, *, season_id: int | None = None, ep_id: int | None = None) -> Season:
        if (season_id is None) == (ep_id is None):
            raise ValueError("give season_id or ep_id")
        params = {"season_id": season_id} if season_id is not None else {"ep_id": ep_id}
        what = f"season ss{season_id}" if season_id is not None else f"episode ep{ep_id}"
        data = self._get_json(SEASON_PATH, params, what)
        raw = _result(data, RawSeason, what)
        skipped: list[str] = []
        episodes = _episodes(raw.episodes or [], True, "episodes", skipped)
        extras = [
            ep
            for n, section in enumerate(raw.section or [], 1)
            for ep in _episodes(section.episodes or [], False, f"section[{n}]", skipped)
        ]
        title = raw.title or raw.season_title or f"ss{season_id}"
        sid = raw.season_id or season_id or 0
        return Season(sid, title, episodes, extras, skipped, finished=raw.finished)

    def stream(self, ep: EpisodeInfo, quality: int) -> Stream:
        """Stream URLs at ``quality`` or the best this account may have (with a note)."""
        fourk = quality >= 120
        params: dict[str, Any] = {
            "ep_id": ep.ep_id,
            "qn": quality,
            "fnval": 16 | (128 if fourk else 0),
            "fnver": 0,
            "fourk": int(fourk),
        }
        if ep.cid:
            params["cid"] = ep.cid
        if ep.aid:
            params["avid"] = ep.aid
        if ep.bvid:
            params["bvid"] = ep.bvid
        what = f"ep{ep.ep_id}"
        data = self._get_json(PLAYURL_PATH, params, what)
        result = _result(data, RawPlay, what)
        if result.is_preview in (1, True):
            raise Unavailable(
                "vip",
                f"{what} is VIP-only or paid: this account only gets a preview "
                "(log in with a VIP account's SESSDATA)",
            )
        accept = result.accept_quality or []
        if result.dash is not None:
            return self._dash(result, result.dash, quality, accept, what)
        if result.durl:
            return self._durl(result, result.durl, quality, accept, what)
        raise Unavailable("unknown", f"{what}: no DASH or durl streams in the answer")

    # ----- choosing streams

    def _dash(
        self, result: RawPlay, dash: RawDash, wanted: int, accept: list[int], what: str
    ) -> Stream:
        videos = [v for v in dash.video or [] if v.urls() and v.id is not None]
        if not videos:
            raise Unavailable("unknown", f"{what}: the DASH answer has no video stream")
        have = sorted({v.id or 0 for v in videos}, reverse=True)
        chosen = next((q for q in have if q <= wanted), have[-1])
        order = [CODEC_IDS[self.cfg.codec], 7, 12, 13]
        candidates = [v for v in videos if v.id == chosen]
        candidates.sort(key=lambda v: order.index(v.codecid) if v.codecid in order else 99)
        video = candidates[0]
        parts = [Part("video", [self._cdn(u) for u in video.urls()])]
        audios = [a for a in dash.audio or [] if a.urls()]
        flac = dash.flac.audio if dash.flac is not None else None
        if not audios and flac is not None and flac.urls():
            audios = [flac]
        if audios:
            audio = max(audios, key=lambda a: (a.bandwidth or 0, a.id or 0))
            parts.append(Part("audio", [self._cdn(u) for u in audio.urls()]))
        codec = {7: "avc", 12: "hevc", 13: "av1"}.get(video.codecid or 0, str(video.codecid))
        return Stream(
            "dash",
            chosen,
            parts,
            duration=float(dash.duration or 0) or _ms(result.timelength),
            codec=codec,
            note=_quality_note(wanted, chosen, accept),
        )

    def _durl(
        self,
        result: RawPlay,
        durl: list[RawStreamEntry],
        wanted: int,
        accept: list[int],
        what: str,
    ) -> Stream:
        segments = sorted(durl, key=lambda d: d.order or 0)
        parts = []
        for i, seg in enumerate(segments, 1):
            urls = [self._cdn(u) for u in seg.urls()]
            if not urls:
                raise Unavailable("unknown", f"{what}: segment {i} has no URL")
            ext = "mp4" if ".mp4" in urlsplit(urls[0]).path else "flv"
            parts.append(Part(f"seg{i}", urls, size=seg.size or None, ext=ext))
        got = result.quality or 0
        return Stream(
            "durl",
            got,
            parts,
            duration=_ms(result.timelength),
            codec=result.format or "",
            note=_quality_note(wanted, got, accept),
        )

    def _cdn(self, url: str) -> str:
        return rewrite_host(url, self.cfg.cdn_base)

    # ----- the polite GET

    def _pace(self) -> None:
        with self._lock:
            wait = self._last + self.cfg.api_delay - time.monotonic()
            if wait > 0:
                self.sleep(wait)
            self._last = time.monotonic()

    def _get_json(self, path: str, params: dict[str, Any], what: str) -> dict[str, Any]:
        last = "no answer"
        retry_after: float | None = None
        for attempt in range(self.cfg.retries + 1):
            if attempt:
                self.sleep(backoff_delay(self.cfg, attempt, retry_after))
                retry_after = None
            self._pace()
            try:
                r = self.http.get(path, params=params)
            except httpx.RequestError as exc:  # dropped, refused, bad encoding, redirect loop
                last = f"network error: {exc!r}"
                log.info("%s: %s (retrying)", what, last)
                continue
            if r.status_code in RETRY_STATUS:
                last = f"HTTP {r.status_code}"
                retry_after = _retry_after(r)
                log.info("%s: %s, backing off", what, last)
                continue
            if r.status_code == 404:
                raise _unavailable(404, "HTTP 404", what)
            if r.status_code >= 400:
                raise BilibiliError("api", f"{what}: HTTP {r.status_code} from {path}")
            try:
                data = r.json()
            except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
                raise BilibiliError("api", f"{what}: {path} did not answer JSON") from None
            if not isinstance(data, dict):
                raise BilibiliError("api", f"{what}: {path} did not answer a JSON object")
            code = _code(data.get("code", 0))
            if code is None:
                raise BilibiliError(
                    "api",
                    f"{what}: {path} answered a code that is not a number: {data.get('code')!r}",
                )
            if code in THROTTLE_CODES:
                last = f"code {code} {data.get('message', '')}".strip()
                if code == RISK_CODE:
                    last = f"Bilibili's risk control refused the request ({last})"
                log.info("%s: %s, backing off", what, last)
                continue
            if code != 0:
                raise _unavailable(code, str(data.get("message") or ""), what)
            return data
        advice = "try later"
        if last.startswith("Bilibili's risk control"):
            advice = "wait a while before the next run, or log in (SESSDATA)"
        raise Throttled(
            "network", f"{what}: gave up after {self.cfg.retries + 1} tries ({last}); {advice}"
        )


def request_headers(cfg: BilibiliSettings) -> dict[str, str]:
    """What Bilibili checks: a bilibili.com Referer, a browser User-Agent, the login cookie."""
    headers = {"Referer": cfg.referer, "User-Agent": cfg.user_agent, "Origin": cfg.referer}
    if cfg.sessdata:
        headers["Cookie"] = f"SESSDATA={cfg.sessdata}"
    return headers


def backoff_delay(cfg: BilibiliSettings, attempt: int, retry_after: float | None = None) -> float:
    if retry_after is not None:
        return min(retry_after, cfg.backoff_max)
    base = cfg.backoff * 2.0 ** (attempt - 1)
    return min(cfg.backoff_max, base * (1 + random.random() * 0.25))


def rewrite_host(url: str, base: str) -> str:
    """``https://upos-x.bilivideo.com/a/b?q`` with base ``http://mirror:8080/cdn`` ->
    ``http://mirror:8080/cdn/a/b?q``; an empty base keeps the URL."""
    if not base:
        return url
    b = urlsplit(base.rstrip("/"))
    u = urlsplit(url)
    return urlunsplit((b.scheme, b.netloc, b.path + u.path, u.query, ""))


def _result[T: BaseModel](data: dict[str, Any], model: type[T], what: str) -> T:
    """The answer's ``result`` (or ``data``) as ``model``; a wrong shape is this item's error."""
    result = data.get("result") or data.get("data")
    if not isinstance(result, dict):
        raise Unavailable("unknown", f"{what}: the API answered without a result")
    try:
        return model.model_validate(result)
    except ValidationError as exc:
        raise BilibiliError(
            "api", f"{what}: the API's answer has an unexpected shape: {shape_problem(exc)}"
        ) from None


def _code(value: Any) -> int | None:
    """The JSON ``code`` as an int: a number or a numeric string; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _ms(value: Any) -> float:
    return float(value) / 1000.0 if value else 0.0


def _retry_after(r: httpx.Response) -> float | None:
    try:
        return float(r.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _quality_note(wanted: int, got: int, accept: list[int]) -> str | None:
    if got == wanted:
        return None
    if got > wanted:
        return (
            f"asked for {quality_name(wanted)}, which this episode lacks: got {quality_name(got)}"
        )
    if wanted in accept:
        return (
            f"asked for {quality_name(wanted)}, but this account may not have it (log in, or a "
            f"VIP account for 1080P+/1080P60/4K): using {quality_name(got)}, the best allowed"
        )
    return (
        f"asked for {quality_name(wanted)}, not offered for this episode: using {quality_name(got)}"
    )
