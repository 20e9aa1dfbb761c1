"""API keys, quotas, per-IP limits and the admin key."""

from __future__ import annotations

import httpx
import pytest
from serve_live import settings_for
from typer.testing import CliRunner

from sabi.app import Sabi
from sabi.cli import app as cli
from sabi.errors import RateLimited
from sabi.serve.keys import KeyStore, Limiter, RateInfo, ip_bucket


def test_cli_key_works_and_quota_runs_out(server, serve_index, bunny_frame):
    result = CliRunner().invoke(
        cli, ["keys", "create", "--quota", "2", "--name", "bot", "--data-dir", str(serve_index)]
    )
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("sabi_")
    me = httpx.get(f"{server.url}/me", headers={"x-trace-key": key}).json()
    assert me == {"id": "bot", "priority": 0, "concurrency": 2, "quota": 2, "quotaUsed": 0}
    for used in (1, 2):
        r = httpx.post(f"{server.url}/search", params={"key": key}, content=bunny_frame[1])
        assert r.status_code == 200
        assert r.json()["quotaUsed"] == used
    r = httpx.post(f"{server.url}/search", headers={"x-trace-key": key}, content=bunny_frame[1])
    assert r.status_code == 402 and "quota" in r.json()["error"]
    assert httpx.get(f"{server.url}/me", params={"key": key}).json()["quotaUsed"] == 2
    listed = CliRunner().invoke(cli, ["keys", "list", "--data-dir", str(serve_index)])
    assert "'bot': 2/2" in listed.stdout


def test_revoked_key_is_refused(server, serve_index):
    runner = CliRunner()
    out = runner.invoke(cli, ["keys", "create", "--name", "gone", "-d", str(serve_index)])
    key = out.stdout.strip().splitlines()[-1]
    key_id = next(k.id for k in server.state.keys.list() if k.name == "gone")
    assert (
        runner.invoke(cli, ["keys", "revoke", str(key_id), "-d", str(serve_index)]).exit_code == 0
    )
    assert httpx.get(f"{server.url}/me", params={"key": key}).status_code == 403


def test_anonymous_quota_per_ip(make_server, index_copy, bunny_frame):
    live = make_server(data_dir=index_copy, anonymous_quota=2)
    codes = [httpx.post(f"{live.url}/search", content=bunny_frame[1]).status_code for _ in range(3)]
    assert codes == [200, 200, 402]
    me = httpx.get(f"{live.url}/me").json()
    assert me["id"] == "127.0.0.1" and me["quota"] == 2 and me["quotaUsed"] == 2


def test_rate_limit_per_minute(make_server, index_copy, bunny_frame):
    """2 a minute: the third request within a minute is a 429. Minute windows are aligned to
    the clock, so one boundary may fall between requests; five requests (seconds apart at
    most) span at most two windows, so at most four pass and a 429 always comes. The counts
    live in the database: an index of its own, so other tests' requests this minute do not
    count."""
    live = make_server(data_dir=index_copy, rate_limit=2)
    responses = []
    for _ in range(5):
        responses.append(httpx.post(f"{live.url}/search", content=bunny_frame[1]))
        if responses[-1].status_code != 200:
            break
    limited = responses[-1]
    assert limited.status_code == 429, [r.status_code for r in responses]
    assert 2 <= len(responses) - 1 <= 4
    assert responses[0].headers["x-ratelimit-limit"] == "2"
    assert responses[0].headers["x-ratelimit-remaining"] == "1"
    assert responses[-2].headers["x-ratelimit-remaining"] == "0"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["x-ratelimit-limit"] == "2"
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert set(limited.json()) == {"error"} and "too many requests" in limited.json()["error"]


def test_rate_limit_windows(tmp_path):
    """The limiter itself, at chosen times: the minute's count, its reset and retry-after
    (counted in the database, as every server process on the catalogue counts)."""
    with Sabi.open(data_dir=tmp_path) as sabi:
        settings = settings_for(tmp_path, rate_limit=2)
        limiter = Limiter(settings, KeyStore(sabi.catalog))
        who = limiter.identify(None, "192.0.2.1")
        minute = 1_800_000_000.0  # a multiple of 60

        def rate(caller, at: float) -> RateInfo:
            return limiter.admit(caller, now=at).rate

        assert rate(who, minute + 10) == RateInfo(2, 1, int(minute) + 60)
        assert rate(who, minute + 20) == RateInfo(2, 0, int(minute) + 60)
        with pytest.raises(RateLimited) as exc:
            rate(who, minute + 45)
        assert exc.value.retry_after == 15 and exc.value.limit == 2
        assert limiter.used(who) == 2  # the refused one took nothing from the quota
        other = limiter.identify(None, "192.0.2.2")  # another address has its own count
        assert rate(other, minute + 50).remaining == 1
        assert rate(who, minute + 60) == RateInfo(2, 1, int(minute) + 120)
        # a process whose clock is behind does not start the minute over
        assert rate(who, minute + 59) == RateInfo(2, 0, int(minute) + 120)
        admin = limiter.identify("admin-secret", "192.0.2.1")
        assert all(rate(admin, minute + 61) == RateInfo(0, 0, 0) for _ in range(5))


def test_ipv6_counts_per_64():
    assert ip_bucket("2001:db8:1:2:aaaa::1") == ip_bucket("2001:db8:1:2:bbbb::9")
    assert ip_bucket("2001:db8:1:2::1") != ip_bucket("2001:db8:1:3::1")
    assert ip_bucket("::ffff:192.0.2.7") == "192.0.2.7"
    assert ip_bucket("192.0.2.7") != ip_bucket("192.0.2.8")


def test_admin_actions_need_the_admin_key(server):
    for method, path, body in (
        ("GET", "/admin/keys", None),
        ("POST", "/admin/keys", {"name": "x"}),
        ("DELETE", "/admin/keys/1", None),
        ("DELETE", "/admin/episodes/1", None),
        ("DELETE", "/admin/shows/1", None),
        ("POST", "/admin/index", {"paths": ["/tmp"]}),
    ):
        for headers in ({}, {"x-trace-key": "wrong"}):
            r = httpx.request(method, server.url + path, json=body, headers=headers)
            assert r.status_code == 403, (method, path, r.text)
            assert "error" in r.json()


def test_admin_manages_keys(server):
    admin = {"x-trace-key": "admin-secret"}
    made = httpx.post(f"{server.url}/admin/keys", json={"name": "api", "quota": 5}, headers=admin)
    assert made.status_code == 201
    key = made.json()["key"]
    assert httpx.get(f"{server.url}/me", params={"key": key}).json()["quota"] == 5
    listed = httpx.get(f"{server.url}/admin/keys", headers=admin).json()
    assert any(k["name"] == "api" and k["key"] is None for k in listed)  # never shown again
    key_id = made.json()["id"]
    assert httpx.delete(f"{server.url}/admin/keys/{key_id}", headers=admin).status_code == 200
    assert httpx.get(f"{server.url}/me", params={"key": key}).status_code == 403
