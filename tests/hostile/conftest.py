"""The hostile corpus's helpers are importable by the tests beside them."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytest  # noqa: E402

from sabi.app import Sabi  # noqa: E402


@pytest.fixture(scope="session")
def hostile_index(tmp_path_factory, shared_media: Path) -> Path:
    """A one-second clip indexed: enough for searches to reach the decoder and answer."""
    data = tmp_path_factory.mktemp("hostile-index")
    with Sabi.open(data_dir=data, threads=2) as sabi:
        report = sabi.index([shared_media / "big_buck_bunny_432_433.webm"], show="Bunny")
        assert report.ok, report.results
    return data
