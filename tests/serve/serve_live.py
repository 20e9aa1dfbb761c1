"""A real uvicorn server on a loopback port: in a thread of the test process (LiveServer), or
a ``sabi serve`` process of its own (ServeProcess, for several servers on one library)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from sabi.serve import uvicorn_options
from sabi.serve.app import create_app
from sabi.serve.state import ServerState
from sabi.settings import Settings


class LiveServer:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.app = create_app(settings)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="on", **uvicorn_options(settings)
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    @property
    def state(self) -> ServerState:
        return self.app.state.server

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


class ServeProcess:
    """``sabi serve --config FILE`` in a process of its own, as an API replica runs; ``url``
    and ``stop`` as LiveServer's. Its log (stderr) is kept in ``log`` for failures."""

    def __init__(self, config: Path, log: Path, **env: str):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        clean = {k: v for k, v in os.environ.items() if not k.startswith("SABI_")}
        cmd = [sys.executable, "-m", "sabi.cli", "serve", "--config", str(config)]
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*cmd, "--host", "127.0.0.1", "--port", str(self.port)],
                env={**clean, **env},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def start(self, timeout: float = 120) -> ServeProcess:
        """Wait until it answers /status (it loads the model and the index first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sabi serve exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/status", timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"sabi serve did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def settings_for(data_dir, **overrides: Any) -> Settings:
    values = {
        "data_dir": data_dir,
        "admin_key": "admin-secret",
        "rate_limit": 0,
        "anonymous_quota": 100_000,
        "threads": 2,
        **overrides,
    }
    return Settings.model_validate(values)


def hold_searches(live: LiveServer, monkeypatch: Any) -> tuple[threading.Event, threading.Event]:
    """Make the server's searches wait: ``entered`` is set when one starts, and it goes on
    once ``release`` is set (so a test can fill the search pool on purpose)."""
    entered, release = threading.Event(), threading.Event()
    real = live.state.sabi.search

    def slow(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(live.state.sabi, "search", slow)
    return entered, release
