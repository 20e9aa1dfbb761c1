"""A key's quota and an address's per-minute limit are one count across the replicas."""

from __future__ import annotations

import time

import httpx
from replica_calls import ADMIN, RATE_LIMIT, client, search


def test_a_keys_quota_spent_on_one_replica_is_spent_on_the_other(replicas, bunny_shot):
    a, b = replicas
    made = httpx.post(f"{a.url}/admin/keys", json={"name": "shared", "quota": 3}, headers=ADMIN)
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    # from addresses of their own, so that only the key's quota can refuse them
    calls = [(a, client(10, key)), (a, client(11, key)), (b, client(12, key))]
    used = [search(replica.url, bunny_shot, who) for replica, who in calls]
    assert [r.status_code for r in used] == [200, 200, 200], [r.text for r in used]
    assert [r.json()["quotaUsed"] for r in used] == [1, 2, 3]
    for n, replica in enumerate(replicas):
        who = client(13 + n, key)
        refused = search(replica.url, bunny_shot, who)
        assert refused.status_code == 402
        assert set(refused.json()) == {"error"} and "quota" in refused.json()["error"]
        me = httpx.get(f"{replica.url}/me", headers=who).json()
        assert me["quota"] == 3 and me["quotaUsed"] == 3


def _clear_of_a_minute_boundary() -> None:
    """Windows are clock minutes: start early in one, so the few requests below fall in it."""
    into = time.time() % 60
    if into > 40:
        time.sleep(61 - into)


def test_the_per_minute_limit_is_counted_once_for_all_replicas(replicas, bunny_shot):
    a, b = replicas
    who = client(3)
    _clear_of_a_minute_boundary()
    answers = [search((a, b)[i % 2].url, bunny_shot, who) for i in range(RATE_LIMIT + 1)]
    assert [r.status_code for r in answers] == [200] * RATE_LIMIT + [429]
    assert [r.headers["x-ratelimit-remaining"] for r in answers] == ["2", "1", "0", "0"]
    limited = answers[-1]
    assert set(limited.json()) == {"error"} and "too many requests" in limited.json()["error"]
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert search(a.url, bunny_shot, who).status_code == 429  # either replica refuses
    assert search(a.url, bunny_shot, client(4)).status_code == 200  # another address: its own
