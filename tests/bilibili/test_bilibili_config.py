"""Settings: queue shapes, the seed's key names, [bilibili] in sabi.toml, env precedence, and
reading the seed's finish.json / failed.json."""

from __future__ import annotations

import json
import tomllib

import pytest

from sabi.acquire.bilibili.config import (
    BilibiliSettings,
    read_seed_records,
    read_seed_settings,
)
from sabi.acquire.bilibili.runner import load_bilibili_settings
from sabi.settings import load_settings, render_config

pytestmark = pytest.mark.fast


def test_queue_accepts_pairs_bare_ids_and_prefixed_strings():
    cfg = BilibiliSettings.model_validate(
        {"queue": {"season_id": [["425", 425], "ss33415", 7], "epid": [["x", "ep99"], 100]}}
    )
    assert [(i.tag, i.id) for i in cfg.queue.season_id] == [("425", 425), (None, 33415), (None, 7)]
    assert [(i.tag, i.id) for i in cfg.queue.epid] == [("x", 99), (None, 100)]
    with pytest.raises(ValueError):
        BilibiliSettings.model_validate({"queue": {"season_id": [["a", "b", "c"]]}})


def test_seed_keys_are_aliases_and_unknown_seed_keys_are_ignored(tmp_path):
    f = tmp_path / "dl" / "setting.json"
    f.parent.mkdir()
    f.write_text(
        json.dumps(
            {
                "queue": {"season_id": [], "epid": [1]},
                "SESSDATA": "abc",
                "downloadPath": "../download",
                "autoRemove": True,
                "quality": 80,
                "somethingElse": 1,
            }
        )
    )
    values = read_seed_settings(f)
    assert values["sessdata"] == "abc" and values["auto_remove"] is True
    assert values["download_path"] == (tmp_path / "download").resolve()
    assert "rate" not in values  # only the keys the file sets
    assert "abc" not in repr(
        BilibiliSettings.model_validate(values)
    )  # the cookie stays out of logs


def test_toml_table_file_env_flag_precedence(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sabi.toml").write_text(
        'rate = 2.0\n[bilibili]\nSESSDATA = "file"\nquality = 32\napi_base = "http://file"\n'
        "rate = 4\n"
    )
    monkeypatch.setenv("SABI_BILIBILI__API_BASE", "http://env")
    b = load_settings().section(BilibiliSettings)
    assert (b.sessdata, b.quality, b.api_base) == ("file", 32, "http://env")
    seed = tmp_path / "setting.json"
    seed.write_text('{"quality": 80, "SESSDATA": "seed", "resolution": 480}')
    s = load_bilibili_settings(None, seed, quality=16)
    b = s.section(BilibiliSettings)
    assert (b.sessdata, b.quality, b.api_base) == ("seed", 16, "http://env")
    # the table's sampling settings become the run's
    assert (s.rate, s.resolution) == (4.0, 480)


@pytest.mark.parametrize("seed", [False, True])
def test_the_documented_environment_variables_work(tmp_path, monkeypatch, seed):
    """docs/bilibili.md names SABI_BILIBILI__SESSDATA and SABI_BILIBILI__DOWNLOADPATH (the seed's
    spellings): they beat the file's keys, in any spelling, with or without a setting.json."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sabi.toml").write_text(
        '[bilibili]\nsessdata = "file"\ndownload_path = "/file"\nquality = 32\n'
    )
    monkeypatch.setenv("SABI_BILIBILI__SESSDATA", "env-cookie")
    monkeypatch.setenv("SABI_BILIBILI__DOWNLOADPATH", str(tmp_path / "env-dl"))
    path = None
    if seed:
        path = tmp_path / "setting.json"
        path.write_text('{"SESSDATA": "seed", "downloadPath": "seed-dl", "quality": 80}')
    b = load_bilibili_settings(None, path).section(BilibiliSettings)
    assert (b.sessdata, b.download_path) == ("env-cookie", tmp_path / "env-dl")
    assert b.quality == (80 if seed else 32)
    assert load_settings().section(BilibiliSettings).sessdata == "env-cookie"


def test_a_bad_value_in_the_table_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sabi.toml").write_text('[bilibili]\nquality = "best"\n')
    with pytest.raises(ValueError, match=r"bilibili\.quality"):
        load_settings()
    (tmp_path / "sabi.toml").write_text("[bilibili]\nqualty = 80\n")
    with pytest.raises(ValueError, match=r"bilibili\.qualty"):
        load_settings()


def test_sabi_init_shows_the_table_and_it_parses_back():
    line = next(x for x in render_config().splitlines() if x.startswith("# bilibili = "))
    values = tomllib.loads(line[2:])
    assert values["bilibili"]["SESSDATA"] == "" and values["bilibili"]["quality"] == 64
    assert BilibiliSettings.model_validate(values["bilibili"]) == BilibiliSettings()


@pytest.mark.parametrize(
    ("finish", "failed", "done", "bad"),
    [
        ("[1, 2]", "[3]", {1, 2}, {3}),
        ('["ep1", "2"]', '{"ep3": "timeout"}', {1, 2}, {3}),
        ('[["tag", 1], ["tag", 2]]', '{"epid": [3]}', {1, 2}, {3}),
    ],
)
def test_seed_records_in_any_likely_shape(tmp_path, finish, failed, done, bad):
    (tmp_path / "finish.json").write_text(finish)
    (tmp_path / "failed.json").write_text(failed)
    got_done, got_failed = read_seed_records(tmp_path)
    assert got_done == done and set(got_failed) == bad
    assert all(got_failed.values())
