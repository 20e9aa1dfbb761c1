"""The hostile corpus through the shot breakdown: a clear BadInput (or an answer), never a crash.

A breakdown reads a whole clip with a larger decoding budget than a search, so every case the
search refuses must be refused here too, in words.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import CASES, Case

from sabi.app import Sabi
from sabi.errors import BadInput
from sabi.search.models import ShotsResponse

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def sabi(hostile_index: Path):
    with Sabi.open(data_dir=hostile_index, create=False) as lib:
        yield lib


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_breakdown_refuses_in_words(sabi: Sabi, case: Case):
    data = case.make()
    try:
        answer = sabi.shots(data)
    except BadInput as exc:
        assert str(exc), case.name
        return
    assert isinstance(answer, ShotsResponse)
