"""One settings object: file < environment < flags; `sabi init` and the README list every key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sabi.settings import Settings, load_settings, render_config

pytestmark = pytest.mark.fast

README = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.data_dir == Path("sabi-data")
    assert s.database == "sqlite:///sabi-data/sabi.db"
    assert s.store == "faiss" and s.descriptor == "sscd_distilled"


def test_precedence_file_env_flags(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sabi.toml").write_text("rate = 3.0\nresolution = 400\nlimit = 7\n")
    monkeypatch.setenv("SABI_RESOLUTION", "480")
    s = load_settings(limit=None)
    assert (s.rate, s.resolution, s.limit) == (3.0, 480, 7)
    s = load_settings(resolution=512)
    assert s.resolution == 512 and s.rate == 3.0


def test_config_in_data_dir_is_found(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "sabi.toml").write_text('descriptor = "colorlayout"\n')
    monkeypatch.setenv("SABI_DATA_DIR", str(tmp_path / "lib"))
    assert load_settings().descriptor == "colorlayout"


def test_unknown_key_and_bad_value_are_errors(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sabi.toml").write_text("rat = 3\n")
    with pytest.raises(ValueError, match="rat"):
        load_settings()
    (tmp_path / "sabi.toml").write_text("rate = -1\n")
    with pytest.raises(ValueError, match="rate"):
        load_settings()


def test_init_file_lists_every_key_and_parses_back(tmp_path):
    text = render_config()
    for name in Settings.model_fields:
        assert f"# {name} = " in text, name
    uncommented = "\n".join(line[2:] for line in text.splitlines() if " = " in line)
    values = tomllib.loads(uncommented)
    assert Settings.model_validate(values) == Settings.model_validate({})


def test_readme_documents_every_setting():
    text = README.read_text()
    missing = [name for name in Settings.model_fields if f"`{name}`" not in text]
    assert not missing, f"README lacks settings: {missing}"
