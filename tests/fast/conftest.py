"""The fast tier (``pytest -m fast``): the main CLI paths in-process on one small library.

Everything under tests/fast is marked ``fast``. The library is three short synthetic clips
indexed once per session with the colorlayout descriptor (no ONNX model runs), through
Typer's CliRunner on ``sabi.cli.app``, so the whole tier runs in seconds.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from media import frame_at, make_video, screenshot
from typer.testing import CliRunner

from sabi.cli import app

HERE = Path(__file__).parent
ENV = {"SABI_DESCRIPTOR": "colorlayout"}  # cheap and deterministic: no model to load
SIZE = (320, 180)

Cli = Callable[..., Result]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.fast)


@pytest.fixture(scope="session")
def cli() -> Cli:
    """Run ``sabi ARGS...`` in this process; paths may be Path objects."""
    runner = CliRunner()

    def run(*args: object, input: bytes | None = None) -> Result:
        return runner.invoke(app, [str(a) for a in args], env=ENV, input=input)

    return run


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    """Alpha episodes 1 (a Mandelbrot zoom, every second looks different) and 2, Beta 1."""
    root = tmp_path_factory.mktemp("fast-clips")
    (root / "Alpha").mkdir()
    return {
        "alpha1": make_video(root / "Alpha" / "Alpha - 01.mp4", "mandelbrot", seconds=8, size=SIZE),
        "alpha2": make_video(root / "Alpha" / "Alpha - 02.mp4", "testsrc2", seconds=6, size=SIZE),
        "beta1": make_video(root / "Beta - 01.mp4", "gradients", seconds=6, size=SIZE),
    }


@pytest.fixture(scope="session")
def fast_lib(tmp_path_factory, cli: Cli, clips: dict[str, Path]) -> Path:
    """A data directory with Alpha (tag a, a folder of two episodes) and Beta (tag b)."""
    data = tmp_path_factory.mktemp("fast-lib")
    r = cli("index", clips["alpha1"].parent, "--show", "Alpha", "--tag", "a", "-q", "-d", data)
    assert r.exit_code == 0, r.output
    r = cli(
        "index", clips["beta1"], "--show", "Beta", "--tag", "b", "--episode", "1", "-q", "-d", data
    )
    assert r.exit_code == 0, r.output
    return data


@pytest.fixture
def lib_copy(fast_lib: Path, tmp_path: Path) -> Path:
    """A copy of the session library that a test may change."""
    return shutil.copytree(fast_lib, tmp_path / "lib")


@pytest.fixture(scope="session")
def shot(tmp_path_factory) -> Callable[[Path, float], tuple[float, Path]]:
    """A screenshot file of ``clip`` at ``t`` s (scaled, letterboxed, JPEG) and its exact time."""
    folder = tmp_path_factory.mktemp("fast-shots")

    def take(clip: Path, t: float) -> tuple[float, Path]:
        exact, rgb = frame_at(clip, t)
        path = folder / f"{clip.stem}-{t}.jpg"
        path.write_bytes(screenshot(rgb))
        return exact, path

    return take
