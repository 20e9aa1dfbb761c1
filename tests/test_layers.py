"""The import contract in pyproject.toml ([tool.importlinter]): no module imports from a layer
above its own, and every module of sabi is in a layer, so a new one cannot slip past it."""

from __future__ import annotations

import pkgutil
import re
import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

import sabi

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
OUTSIDE = {"sabi.bench"}  # benchmarks: tooling, not part of the program's layers


def _layers() -> list[str]:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return [m for layer in contract["layers"] for m in re.split(r"\s*[|:]\s*", layer)]


def test_the_layers_hold(capsys):
    code = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    assert code == 0, capsys.readouterr().out


def test_every_module_is_in_a_layer():
    layers = _layers()
    loose = [
        m.name
        for m in pkgutil.walk_packages(sabi.__path__, "sabi.")
        if not any(m.name == x or m.name.startswith(x + ".") for x in [*layers, *OUTSIDE])
        and not (m.ispkg and any(x.startswith(m.name + ".") for x in layers))
    ]
    assert not loose, f"modules in no layer of [tool.importlinter]: {loose}"
