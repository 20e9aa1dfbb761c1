"""Indexing and removal through the API, with the admin key, on a server of its own."""

from __future__ import annotations

import time

import httpx


def test_index_search_remove(make_server, tmp_path, shared_media, bunny_frame):
    live = make_server(data_dir=tmp_path / "lib")
    admin = {"x-trace-key": "admin-secret"}
    assert httpx.get(f"{live.url}/status").json()["episodes"] == 0
    clip = shared_media / "big_buck_bunny_0_30.webm"
    r = httpx.post(
        f"{live.url}/admin/index", json={"paths": [str(clip)], "show": "Bunny"}, headers=admin
    )
    assert r.status_code == 202
    job = r.json()["id"]
    for _ in range(600):  # polled, not timed: the job says when it is done
        state = httpx.get(f"{live.url}/admin/jobs/{job}", headers=admin).json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert state["status"] == "done" and state["indexed"] == 1, state
    status = httpx.get(f"{live.url}/status").json()
    assert status["episodes"] == 1 and status["store"]["healthy"]
    hit = httpx.post(f"{live.url}/search", content=bunny_frame[1]).json()["result"][0]
    assert hit["show"]["title"] == "Bunny"
    assert live.state.sabi.catalog.cuts(hit["episode_id"])  # shot changes stored at index time
    r = httpx.delete(f"{live.url}/admin/shows/{hit['show']['id']}", headers=admin)
    assert r.json() == {"removed": 1}
    assert httpx.post(f"{live.url}/search", content=bunny_frame[1]).json()["result"] == []
    assert httpx.get(f"{live.url}/status").json()["episodes"] == 0


def test_index_refuses_missing_paths(server):
    r = httpx.post(
        f"{server.url}/admin/index",
        json={"paths": ["/no/such/folder"]},
        headers={"x-trace-key": "admin-secret"},
    )
    assert r.status_code == 400 and "not found" in r.json()["error"]
