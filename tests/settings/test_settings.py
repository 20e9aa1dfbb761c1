"""One settings object: file < environment < flags; `sabi init` and the README list every key."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from sabi import settings as settings_module
from sabi.acquire import bilibili
from sabi.describe import DESCRIPTORS
from sabi.settings import (
    Settings,
    load_settings,
    register_section,
    render_config,
    settings_class,
)
from sabi.store import STORES

bilibili.register()  # as sabi.cli does: every setting the program has

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
    fields = settings_class().model_fields
    assert "bilibili" in fields
    for name in fields:
        assert f"# {name} = " in text, name
    uncommented = "\n".join(line[2:] for line in text.splitlines() if " = " in line)
    values = tomllib.loads(uncommented)
    assert settings_class().model_validate(values) == settings_class().model_validate({})


def test_init_file_shows_defaults_not_the_environment(monkeypatch):
    monkeypatch.setenv("SABI_ADMIN_KEY", "hush-admin")
    monkeypatch.setenv("SABI_BILIBILI__SESSDATA", "hush-cookie")
    text = render_config()
    assert "hush" not in text
    assert 'admin_key = ""' in text


def test_readme_documents_every_setting():
    text = README.read_text()
    missing = [name for name in settings_class().model_fields if f"`{name}`" not in text]
    assert not missing, f"README lacks settings: {missing}"


def test_descriptor_and_store_are_checked_against_their_registries(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    described = Settings.model_fields["descriptor"].description or ""
    assert all(name in described for name in DESCRIPTORS)
    assert all(name in (Settings.model_fields["store"].description or "") for name in STORES)
    assert load_settings(descriptor="dhash", store="milvus").store == "milvus"
    assert load_settings(descriptor="models/mine.onnx").descriptor == "models/mine.onnx"
    with pytest.raises(ValueError, match="unknown descriptor 'sscd_tiny'"):
        load_settings(descriptor="sscd_tiny")
    with pytest.raises(ValueError, match="unknown store 'qdrant'"):
        load_settings(store="qdrant")


class Toy(BaseModel):
    """A feature's table, registered for one test."""

    level: int = Field(3, ge=0, description="How much.")
    name: str = "toy"


@pytest.fixture
def toy_section(monkeypatch):
    monkeypatch.setattr(settings_module, "_sections", dict(settings_module._sections))
    register_section("toy", Toy, "A toy feature's table.")
    return Toy


def test_a_registered_section_is_read_typed_from_file_and_environment(
    toy_section, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    assert load_settings().section(Toy) == Toy()
    (tmp_path / "sabi.toml").write_text('[toy]\nlevel = 5\nname = "file"\n')
    monkeypatch.setenv("SABI_TOY__NAME", "env")
    toy = load_settings().section(Toy)
    assert (toy.level, toy.name) == (5, "env")
    assert '# toy = { level = 3, name = "toy" }' in render_config()
    (tmp_path / "sabi.toml").write_text("[toy]\nlevel = -1\n")
    with pytest.raises(ValueError, match=r"toy\.level"):
        load_settings()


def test_a_section_name_cannot_be_taken_twice(toy_section):
    register_section("toy", Toy, "again: no change")
    with pytest.raises(ValueError, match="taken"):
        register_section("toy", BaseModel, "another model")
    with pytest.raises(ValueError, match="setting of its own"):
        register_section("rate", Toy, "a clash with an engine key")


def test_a_bare_settings_object_gives_a_section_its_defaults(toy_section):
    assert Settings(rate=3.0).section(Toy) == Toy()
    with pytest.raises(LookupError):
        Settings().section(BaseModel)


def test_readme_table_is_the_generated_one():
    """The README's settings table is what scripts/settings_table.py makes now (rerun it)."""
    script = README.parent / "scripts" / "settings_table.py"
    made = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True
    ).stdout.strip()
    block = README.read_text().split("<!-- settings:start -->\n")[1].split("\n<!-- settings:end")[0]
    assert block == made
    assert "| `bilibili` |" in made
