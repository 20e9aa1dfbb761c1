"""The embedded default (FAISS segments + SQLite) with two `sabi serve` processes on one data
directory, on one machine: both answer, a key's quota is one count, and an episode indexed by a
third process (the one writer) is found by both."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from replica_calls import ADMIN, client, search, write_config
from serve_live import ServeProcess

from sabi.app import Sabi
from sabi.settings import load_settings


@pytest.fixture(scope="module")
def embedded(tmp_path_factory, shared_media: Path) -> Iterator[tuple[Path, list[ServeProcess]]]:
    """Episode 1 indexed, then two replicas on the one data directory."""
    root = tmp_path_factory.mktemp("embedded-replicas")
    config = write_config(
        root / "sabi.toml",
        data_dir=str(root / "data"),
        admin_key=ADMIN["x-trace-key"],
        rate_limit=0,
        trusted_proxies="127.0.0.1",
        threads=2,
    )
    with Sabi(load_settings(config)) as sabi:
        report = sabi.index([shared_media / "big_buck_bunny_0_30.webm"], show="Bunny", episode=1)
        assert report.ok, report.results
    servers: list[ServeProcess] = []
    try:
        for name in "ab":  # one after the other: the first makes the server's tables
            servers.append(ServeProcess(config, root / f"{name}.log"))
            servers[-1].start()
        yield config, servers
    finally:
        for s in servers:
            s.stop()


def test_embedded_replicas_share_a_keys_quota(embedded, bunny_shot):
    _config, (a, b) = embedded
    made = httpx.post(f"{b.url}/admin/keys", json={"name": "k", "quota": 2}, headers=ADMIN)
    key = made.json()["key"]
    codes = [search(r.url, bunny_shot, client(50, key)).status_code for r in (a, b, a, b)]
    assert codes == [200, 200, 402, 402]


def test_embedded_replicas_find_an_episode_indexed_by_a_writer(embedded, shared_media):
    from media import frame_at, screenshot

    config, servers = embedded
    clip = shared_media / "big_buck_bunny_clip.mp4"
    shot = screenshot(frame_at(clip, 3.0)[1])

    def found(url: str) -> bool:
        answer = search(url, shot, client(51))
        assert answer.status_code == 200, answer.text
        return any(r["filename"] == clip.name for r in answer.json()["result"])

    assert not any(found(s.url) for s in servers)
    with Sabi(load_settings(config)) as writer:  # the data directory's one writer
        assert writer.index([clip], show="Bunny", episode=2).ok
    waiting = {s.url for s in servers}
    deadline = time.monotonic() + 60
    while waiting and time.monotonic() < deadline:
        waiting = {url for url in waiting if not found(url)}
        time.sleep(0.2)
    assert not waiting, f"not found within a minute by {sorted(waiting)}"


def test_one_sabi_serve_with_two_worker_processes_counts_once(embedded, tmp_path, bunny_shot):
    """``processes = 2``: uvicorn workers on one port; requests at once from one address are
    let in ``rate_limit`` times in all, whichever worker takes each."""
    config, _servers = embedded
    server = ServeProcess(config, tmp_path / "workers.log", SABI_PROCESSES="2", SABI_RATE_LIMIT="3")
    try:
        server.start()
        with ThreadPoolExecutor(8) as ex:
            codes = sorted(
                ex.map(lambda _: search(server.url, bunny_shot, client(52)).status_code, range(8))
            )
    finally:
        server.stop()
    started = server.log.read_text().count("Started server process")
    assert started == 2, server.log.read_text()[-2000:]
    assert codes.count(200) in (3, 6)  # 6 only if a minute boundary fell between them
    assert set(codes) == {200, 429}
