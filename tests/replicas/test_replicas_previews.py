"""A preview link from one replica plays on the other: one signing secret, one preview folder."""

from __future__ import annotations

import httpx
from replica_calls import client, search


def test_a_preview_linked_by_one_replica_is_served_by_the_other(replicas, library, bunny_shot):
    a, b = replicas
    answer = search(a.url, bunny_shot, client(40))
    assert answer.status_code == 200, answer.text
    image = answer.json()["result"][0]["image"]
    assert image.startswith(a.url)
    on_b = httpx.get(image.replace(a.url, b.url), timeout=120)
    assert on_b.status_code == 200 and on_b.headers["content-type"] == "image/jpeg"
    cached = [p for p in library.previews.iterdir() if not p.name.startswith(".")]
    assert len(cached) >= 1
    before = {p.name: p.stat().st_ino for p in cached}
    on_a = httpx.get(image, timeout=120)
    assert on_a.status_code == 200 and on_a.content == on_b.content
    after = {p.name: p.stat().st_ino for p in library.previews.iterdir()}
    assert after == before  # a read B's file from the shared folder; it rendered nothing new
