"""The seed's download_bilibili/setting.json, unmodified, with finish.json/failed.json beside
it; base URLs come from the environment."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sabi.app import Sabi
from sabi.cli import app

SEED = """{"queue": {"season_id": [["425", 425]], "epid": []},
 "rate": 5, "resolution": 480, "SESSDATA": "", "downloadPath": "../download", "quality": 64}
"""


def test_seed_setting_json_works_unmodified(bili_env, fake):
    seed = bili_env / "download_bilibili"
    seed.mkdir()
    (seed / "setting.json").write_text(SEED)
    (seed / "finish.json").write_text("[1001]")  # the seed did this one already
    (seed / "failed.json").write_text('{"1002": "timeout"}')
    cli = CliRunner()
    r = cli.invoke(app, ["download", "bilibili", "--settings", str(seed / "setting.json"), "-q"])
    assert r.exit_code == 0, r.output
    assert "imported from the seed: 1 done, 1 failed" in r.output
    assert "indexed 1, already done 1" in r.output

    rows = {
        x["ep_id"]: x for x in json.loads(cli.invoke(app, ["download", "status", "--json"]).stdout)
    }
    assert rows[1001]["status"] == "indexed" and rows[1001]["source"] == "finish.json"
    assert rows[1002]["status"] == "indexed" and rows[1002]["attempts"] == 2
    assert rows[1002]["tag"] == "425"
    # downloadPath is relative to setting.json's folder, as in the seed
    assert rows[1002]["path"].startswith(str(bili_env / "download" / "Big Buck Bunny"))
    assert not [x for x in fake.log if x["path"].endswith("/10010-video.m4s")]

    with Sabi.open(data_dir=bili_env / "data") as sabi:
        ep = sabi.catalog.views([rows[1002]["episode_id"]])[rows[1002]["episode_id"]]
        assert (ep.show_tag, ep.number) == ("425", 2)
        assert ep.link == "https://www.bilibili.com/bangumi/play/ep1002?t={t}"
        row = sabi.catalog.episode_by_path(rows[1002]["path"])
        assert row.frames_sampled >= 20  # rate 5 from setting.json over 5.3 s (default: 2/s)
