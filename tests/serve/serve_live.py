"""A real uvicorn server on a loopback port, in a thread of the test process."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

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
