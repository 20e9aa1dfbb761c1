"""What the replica tests send: who calls (an address of the test's own, reported by the
trusted proxy header) and searches against one replica or the other."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

ADMIN = {"x-trace-key": "replicas-admin"}
RATE_LIMIT = 3  # requests a minute per address, on the replicas of conftest.library


def client(n: int, key: str | None = None) -> dict[str, str]:
    """Headers of a caller at its own address (198.51.100.n), as a proxy in front reports it."""
    headers = {"x-forwarded-for": f"198.51.100.{n}"}
    if key:
        headers["x-trace-key"] = key
    return headers


def search(url: str, image: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{url}/search", content=image, headers=headers, timeout=120)


def write_config(path: Path, **values: str | int) -> Path:
    """A sabi.toml (JSON's strings and numbers are TOML's too)."""
    path.write_text("".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items()))
    return path
