"""Two `sabi serve` processes on one PostgreSQL catalogue and one Milvus server answer alike."""

from __future__ import annotations

import httpx
from replica_calls import client, search


def test_both_replicas_answer_the_same_query(replicas, bunny_shot):
    answers = [search(r.url, bunny_shot, client(1)) for r in replicas]
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    best = [a.json()["result"][0] for a in answers]
    for b in best:
        assert b["filename"] == "big_buck_bunny_0_30.webm" and abs(b["at"] - 14.0) < 1.5
    assert [(b["episode"], b["from"], b["to"]) for b in best] == [
        (best[0]["episode"], best[0]["from"], best[0]["to"])
    ] * 2
    status = [httpx.get(f"{r.url}/status").json() for r in replicas]
    assert status[0]["frames"] == status[1]["frames"] > 0
    assert all(s["store"]["kind"] == "milvus" and s["store"]["healthy"] for s in status)
