"""A ``sabi serve`` process on a loopback port, and a thread that keeps searching it.

Both stress runs and the chaos test use them: the server is a separate process, as in
production, so a ``kill -9`` of the indexer or a flood of requests meets the real thing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import TracebackType

import httpx

SERVER_ENV = {
    # The load runs measure the search pool, not the per-IP limits (the client is one IP).
    "SABI_RATE_LIMIT": "0",
    "SABI_ANONYMOUS_QUOTA": "100000000",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServeProcess:
    """``python -m sabi.cli serve`` on ``data_dir`` (created if missing), ready when /status
    answers. ``env`` adds SABI_* settings; the child's stderr goes to ``log``."""

    def __init__(self, data_dir: Path, log: Path, env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        args = [sys.executable, "-m", "sabi.cli", "serve", "--data-dir", str(data_dir)]
        args += ["--port", str(self.port)]
        child_env = {**os.environ, **SERVER_ENV, **(env or {})}
        with log.open("ab") as fh:
            self.proc = subprocess.Popen(
                args, env=child_env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_ready()

    def _wait_ready(self, limit: float = 120.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sabi serve ended: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/status", timeout=2).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("sabi serve did not answer /status")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> int:
        """SIGTERM, then SIGKILL if it lingers; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class SearchLoop(threading.Thread):
    """POST the same query to /search again and again until stopped, one at a time.

    A search that answers anything but 200 (a result list, possibly empty: "no match") or
    that fails to connect is an error, recorded with its status and body."""

    def __init__(self, url: str, body: bytes, pause: float = 0.05):
        super().__init__(daemon=True)
        self.url, self.body, self.pause = url, body, pause
        self.statuses: Counter[int] = Counter()
        self.matched = 0
        self.errors: list[str] = []
        self.frame_counts: list[int] = []
        self._halt = threading.Event()

    def run(self) -> None:
        headers = {"content-type": "image/jpeg"}
        with httpx.Client(timeout=60) as client:
            while not self._halt.is_set():
                try:
                    r = client.post(f"{self.url}/search", content=self.body, headers=headers)
                except httpx.HTTPError as exc:
                    self.errors.append(f"transport: {exc!r}")
                else:
                    self.statuses[r.status_code] += 1
                    if r.status_code != 200:
                        self.errors.append(f"{r.status_code}: {r.text[:300]}")
                    else:
                        answer = r.json()
                        self.matched += bool(answer["result"])
                        self.frame_counts.append(int(answer["frameCount"]))
                self._halt.wait(self.pause)

    def stop(self) -> None:
        self._halt.set()
        self.join(120)

    @property
    def answers(self) -> int:
        return sum(self.statuses.values())
