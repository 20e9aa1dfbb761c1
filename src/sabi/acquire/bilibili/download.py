"""Resumable downloads: ``<file>.part`` grows with HTTP Range until its size is verified.

A kill at any point leaves a ``.part`` whose bytes are all good (they are written in order), so
the next run asks for ``Range: bytes=<size>-`` and carries on. A connection that drops half-way
is retried the same way, within the run, with backoff; backup URLs are tried in turn. Only a
complete, size-checked file loses its ``.part`` suffix.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import httpx

from sabi.acquire.bilibili.api import (
    RETRY_STATUS,
    BilibiliError,
    Part,
    backoff_delay,
    request_headers,
)
from sabi.acquire.bilibili.config import BilibiliSettings

log = logging.getLogger(__name__)

CHUNK = 1 << 16


class TransferProgress(Protocol):
    def start(self, key: str, label: str, total: int | None, done: int) -> None: ...
    def advance(self, key: str, nbytes: int) -> None: ...
    def finish(self, key: str) -> None: ...


class NoTransferProgress:
    def start(self, key: str, label: str, total: int | None, done: int) -> None:
        pass

    def advance(self, key: str, nbytes: int) -> None:
        pass

    def finish(self, key: str) -> None:
        pass


class Cancelled(Exception):
    """The run is stopping (Ctrl-C); the .part stays for the next run."""


class _Retry(Exception):
    pass


class Downloader:
    def __init__(
        self,
        cfg: BilibiliSettings,
        *,
        progress: TransferProgress | None = None,
        cancel: threading.Event | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ):
        self.cfg = cfg
        self.progress = progress or NoTransferProgress()
        self.cancel = cancel or threading.Event()
        self.sleep = sleep
        self.http = httpx.Client(
            headers=request_headers(cfg),
            timeout=httpx.Timeout(cfg.timeout),
            follow_redirects=True,
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def fetch(self, part: Part, dest: Path, label: str) -> int:
        """Download ``part`` to ``dest`` (resuming ``dest.part``); returns the size."""
        if dest.is_file():
            have = dest.stat().st_size
            if part.size is None or have == part.size:
                return have
            log.info(
                "%s: kept file has %d bytes, not %d: fetching it again", label, have, part.size
            )
            dest.unlink()
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        key = str(dest)
        errors: list[str] = []
        try:
            for attempt in range(self.cfg.retries + 1):
                if attempt:
                    self.sleep(backoff_delay(self.cfg, attempt))
                url = part.urls[attempt % len(part.urls)]
                try:
                    size = self._once(url, tmp, part, key, label)
                except _Retry as exc:
                    errors.append(str(exc))
                    log.info("%s: %s (retrying)", label, exc)
                    continue
                except httpx.RequestError as exc:  # dropped, refused, bad encoding
                    have = tmp.stat().st_size if tmp.exists() else 0
                    errors.append(f"connection lost at byte {have}: {exc!r}")
                    log.info("%s: connection lost at byte %d (resuming)", label, have)
                    continue
                os.replace(tmp, dest)
                return size
        finally:
            self.progress.finish(key)
        raise BilibiliError(
            "network", f"{label}: download failed after {self.cfg.retries + 1} tries: {errors[-1]}"
        )

    def _once(self, url: str, tmp: Path, part: Part, key: str, label: str) -> int:
        have = tmp.stat().st_size if tmp.exists() else 0
        if part.size is not None and have > part.size:
            tmp.unlink()
            have = 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        with self.http.stream("GET", url, headers=headers) as r:
            if r.status_code == 416 and have:
                total = _total(r.headers.get("Content-Range"))
                if total == have:
                    return have  # it was complete; only the rename was missing
                tmp.unlink()
                raise _Retry(f"server refused range {have}- (size {total}); starting again")
            if r.status_code in RETRY_STATUS:
                raise _Retry(f"HTTP {r.status_code}")
            if r.status_code == 403:
                raise BilibiliError(
                    "network",
                    f"{label}: the CDN refused (HTTP 403): Referer/User-Agent/cookie rejected "
                    "or the URL expired; a new run asks for fresh URLs",
                )
            if r.status_code not in (200, 206):
                raise BilibiliError("network", f"{label}: HTTP {r.status_code} from the CDN")
            if r.status_code == 206:
                start = _start(r.headers.get("Content-Range"))
                if start != have:
                    tmp.unlink(missing_ok=True)
                    raise _Retry(f"asked for bytes {have}-, got {start}-; starting again")
                total = _total(r.headers.get("Content-Range"))
                mode = "ab"
            else:
                have = 0  # the server ignored Range: the whole file comes again
                total = int(r.headers["Content-Length"]) if "Content-Length" in r.headers else None
                mode = "wb"
            if total is None and part.size is not None:
                total = part.size
            self.progress.start(key, label, total, have)
            with tmp.open(mode) as fh:
                for chunk in r.iter_bytes(CHUNK):
                    if self.cancel.is_set():
                        raise Cancelled(label)
                    fh.write(chunk)
                    self.progress.advance(key, len(chunk))
        size = tmp.stat().st_size
        if total is not None and size != total:
            raise _Retry(f"got {size} of {total} bytes")
        if part.size is not None and size != part.size:
            tmp.unlink()
            raise BilibiliError(
                "network", f"{label}: size {size} differs from the API's {part.size}; discarded"
            )
        if size == 0:
            tmp.unlink()
            raise _Retry("empty answer")
        return size


def _start(content_range: str | None) -> int | None:
    m = re.match(r"bytes (\d+)-\d+/", content_range or "")
    return int(m.group(1)) if m else None


def _total(content_range: str | None) -> int | None:
    m = re.search(r"/(\d+)\s*$", content_range or "")
    return int(m.group(1)) if m else None
