"""`sabi download bilibili` with the environment variables docs/bilibili.md names (once they
stopped the command before it started: "Extra inputs are not permitted")."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sabi.cli import app


def test_sessdata_and_download_path_from_the_environment(bili_env, fake, monkeypatch):
    (bili_env / "sabi.toml").write_text('[bilibili]\ndownload_path = "from-the-file"\n')
    monkeypatch.setenv("SABI_BILIBILI__SESSDATA", "env-cookie")
    monkeypatch.setenv("SABI_BILIBILI__DOWNLOADPATH", str(bili_env / "from-env"))
    cli = CliRunner()
    r = cli.invoke(app, ["download", "bilibili", "--ep", "2001", "-q"])
    assert r.exit_code == 0, r.output
    assert "indexed 1," in r.output

    (row,) = json.loads(cli.invoke(app, ["download", "status", "--json"]).stdout)
    assert Path(row["path"]).is_relative_to(bili_env / "from-env")
    assert Path(row["path"]).is_file()
    assert not (bili_env / "from-the-file").exists()
    assert all("SESSDATA=env-cookie" in x["cookie"] for x in fake.requests("/playurl"))
    assert fake.requests("/playurl")
