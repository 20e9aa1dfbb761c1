"""Every hostile case through the library's query decoding: frames or a BadInput, fast."""

from __future__ import annotations

import pytest
from corpus import CASES, Case

from sabi.errors import BadInput
from sabi.prepare.query import QueryLimits, load_query

LIMITS = QueryLimits(shrink_to=640)  # as the searcher sets it (twice the default resolution)


def _params(slow: bool) -> list:
    return [pytest.param(c, id=c.name) for c in CASES if c.slow == slow]


def _check(case: Case) -> None:
    data = case.make()
    if case.either:
        try:
            frames = load_query(data, LIMITS)
        except BadInput as exc:
            assert 400 <= exc.status < 500
        else:
            assert frames
    elif case.ok:
        frames = load_query(data, LIMITS)
        assert frames and all(f.rgb.ndim == 3 and f.rgb.shape[2] == 3 for f in frames)
    else:
        with pytest.raises(BadInput) as err:
            load_query(data, LIMITS)
        assert str(err.value)
        assert 400 <= err.value.status < 500


@pytest.mark.fast
@pytest.mark.timeout(10)
@pytest.mark.parametrize("case", _params(slow=False))
def test_case(case: Case):
    _check(case)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", _params(slow=True))
def test_slow_case(case: Case):
    _check(case)
