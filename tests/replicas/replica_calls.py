"""What the replica tests send: who calls (an address of the test's own, reported by the
trusted proxy header) and searches against one replica or the other."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

ADMIN = {"x-trace-key": "replicas-admin"}
RATE_LIMIT = 3  # requests a minute per address, on the replicas of conftest.library


def client(n: int, key: str | None = None) -> dict[str, str]:
    """Headers of caller ``n`` at an address of its own (10.13.x.y), as a proxy in front
    reports it: each has its own per-minute limit and anonymous quota."""
    headers = {"x-forwarded-for": f"10.13.{n // 256 % 256}.{n % 256}"}
    if key:
        headers["x-trace-key"] = key
    return headers


def search(url: str, image: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{url}/search", content=image, headers=headers, timeout=120)


def write_config(path: Path, **values: str | int) -> Path:
    """A sabi.toml (JSON's strings and numbers are TOML's too)."""
    path.write_text("".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items()))
    return path
