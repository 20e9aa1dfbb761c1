"""End to end through the CLI: a two-season queue is downloaded, muxed, indexed; a screenshot
of episode 2 is then found with the right tag and a Bilibili link; unavailable episodes get a
reason and the rest go on."""

from __future__ import annotations

import json

import av
from media import frame_at, screenshot
from typer.testing import CliRunner

from sabi.cli import app
from sabi.errors import PartlyFailed

TOML = """
[bilibili]
quality = 80
queue = { season_id = [["bunny", 425], ["street", 426]] }
"""


def test_two_season_queue_then_search_finds_episode_2(bili_env, fake, shared_media):
    (bili_env / "sabi.toml").write_text(TOML)
    cli = CliRunner()
    r = cli.invoke(app, ["download", "bilibili", "--quiet"])
    # Three episodes cannot be had: reported, not fatal.
    assert r.exit_code == PartlyFailed.exit_code, r.output
    assert "indexed 3," in r.output and "failed 3" in r.output

    status = json.loads(cli.invoke(app, ["download", "status", "--json"]).stdout)
    by_ep = {row["ep_id"]: row for row in status}
    assert {e: by_ep[e]["status"] for e in (1001, 1002, 2001)} == dict.fromkeys(
        (1001, 1002, 2001), "indexed"
    )
    assert by_ep[2002]["kind"] == "vip" and "VIP-only" in by_ep[2002]["reason"]
    assert by_ep[2003]["kind"] == "region" and "region-locked" in by_ep[2003]["reason"]
    assert by_ep[2004]["kind"] == "removed"
    # asked for 1080P as a guest: the best allowed, with a note saying so
    assert by_ep[1002]["quality"] == 64 and "80 (1080P)" in by_ep[1002]["note"]

    # muxed MP4s with both streams; the parts are gone
    mp4 = __import__("pathlib").Path(by_ep[1002]["path"])
    with av.open(str(mp4)) as c:
        assert {s.type for s in c.streams} == {"video", "audio"}
    assert mp4.parent.parent == bili_env / "data" / "bilibili"
    assert not any((mp4.parent.parent / ".partial").glob("*/*"))
    street = __import__("pathlib").Path(by_ep[2001]["path"])
    with av.open(str(street)) as c:
        assert float(c.duration / 1e6) > 9.5  # both durl segments joined

    _, rgb = frame_at(shared_media / "big_buck_bunny_clip.mp4", 2.5)
    shot = bili_env / "shot.jpg"
    shot.write_bytes(screenshot(rgb))
    r = cli.invoke(app, ["search", str(shot), "--json", "--tag", "bunny"])
    assert r.exit_code == 0, r.output
    top = json.loads(r.stdout)["result"][0]
    assert top["show"]["title"] == "Big Buck Bunny" and top["show"]["tag"] == "bunny"
    assert top["episode"] == 2 and abs(top["at"] - 2.5) < 1.5
    assert top["link"] == f"https://www.bilibili.com/bangumi/play/ep1002?t={int(top['at'])}"

    table = cli.invoke(app, ["download", "status"]).stdout
    assert "Street Life" in table and "region" in table and "indexed 3" in table


def test_rerun_skips_what_is_done(bili_env, fake):
    (bili_env / "sabi.toml").write_text(TOML)
    cli = CliRunner()
    r = cli.invoke(app, ["download", "bilibili", "--concurrency", "2"])  # with the Rich bars
    assert "indexed 3," in r.output and "region-locked" in r.output
    before = len(fake.requests("/upgcxcode/"))
    r = cli.invoke(app, ["download", "bilibili", "--quiet"])
    assert "already done 3" in r.output
    assert len(fake.requests("/upgcxcode/")) == before  # nothing downloaded again
