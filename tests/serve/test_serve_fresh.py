"""A server on a fresh data directory, on SQLite and on PostgreSQL: the catalogue's migrations
alone make the tables for API keys, their usage and shot changes (the server creates none)."""

from __future__ import annotations

import time

import httpx

ADMIN = {"x-trace-key": "admin-secret"}


def _index(live, path) -> dict:
    r = httpx.post(f"{live.url}/admin/index", json={"paths": [str(path)]}, headers=ADMIN)
    assert r.status_code == 202, r.text
    for _ in range(600):  # polled, not timed: the job says when it is done
        job = httpx.get(f"{live.url}/admin/jobs/{r.json()['id']}", headers=ADMIN).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"the indexing job did not finish: {job}")


def _keys_and_cuts(live, shared_media, bunny_frame) -> None:
    made = httpx.post(f"{live.url}/admin/keys", json={"name": "fresh", "quota": 3}, headers=ADMIN)
    assert made.status_code == 201, made.text
    key = {"x-trace-key": made.json()["key"]}
    assert httpx.get(f"{live.url}/me", headers=key).json()["quotaUsed"] == 0
    job = _index(live, shared_media / "big_buck_bunny_0_30.webm")
    assert job["status"] == "done" and job["indexed"] == 1, job
    r = httpx.post(f"{live.url}/search", content=bunny_frame[1], headers=key)
    assert r.status_code == 200 and r.json()["quotaUsed"] == 1
    best = r.json()["result"][0]
    assert abs(best["at"] - bunny_frame[0]) <= 1.0
    cuts = live.state.sabi.catalog.cuts(best["episode_id"])
    assert [c for c in cuts if 11.5 < c <= 12.0], cuts  # the hard cut near 12 s is stored
    assert httpx.get(best["video"]).headers["content-type"] == "video/mp4"
    listed = httpx.get(f"{live.url}/admin/keys", headers=ADMIN).json()
    assert [(k["name"], k["used"]) for k in listed] == [("fresh", 1)]


def test_fresh_sqlite(make_server, tmp_path, shared_media, bunny_frame):
    live = make_server(data_dir=tmp_path / "fresh")
    _keys_and_cuts(live, shared_media, bunny_frame)


def test_fresh_postgres(make_server, tmp_path, pg_url, shared_media, bunny_frame):
    live = make_server(data_dir=tmp_path / "fresh", database_url=pg_url)
    _keys_and_cuts(live, shared_media, bunny_frame)
