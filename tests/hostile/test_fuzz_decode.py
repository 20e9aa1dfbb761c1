"""Fuzzing the query decoder: random bytes and mutated valid files give frames or a
BadInput-family error (a 4xx), never another exception. Bounded to run in seconds."""

from __future__ import annotations

from functools import cache

import pytest
from corpus import animated_gif, encode, picture, video
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sabi.errors import BadInput
from sabi.prepare.query import QueryLimits, load_query

pytestmark = [pytest.mark.fast, pytest.mark.timeout(60)]
LIMITS = QueryLimits(shrink_to=640, max_decode_seconds=5.0)
BOUNDED = settings(
    max_examples=800,
    deadline=3000,
    derandomize=True,  # the same examples in CI every run
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@cache
def seeds() -> dict[str, bytes]:
    pic = picture(48, 32)
    return {
        "jpeg": encode(pic, "JPEG"),
        "png": encode(pic, "PNG"),
        "webp": encode(pic, "WEBP"),
        "bmp": encode(pic, "BMP"),
        "gif": animated_gif(frames=4, size=(48, 32)),
        "mp4": video(frames=4, size=(48, 32)),
        "webm": video("webm", "libvpx", frames=4, size=(48, 32)),
    }


def _decodes_or_refuses(data: bytes) -> None:
    try:
        frames = load_query(data, LIMITS)
    except BadInput as exc:
        assert 400 <= exc.status < 500
        assert str(exc)
        return
    assert frames
    for f in frames:
        assert f.rgb.ndim == 3 and f.rgb.shape[2] == 3 and f.rgb.size > 0


@BOUNDED
@given(st.binary(max_size=2048))
def test_random_bytes(data: bytes):
    _decodes_or_refuses(data)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid file with a few bytes overwritten, a slice cut out or the tail cut off."""
    data = bytearray(seeds()[draw(st.sampled_from(sorted(seeds())))])
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "cut", "truncate", "insert"]))
        i = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[i] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[i : i + draw(st.integers(1, 64))]
        elif kind == "truncate":
            del data[i:]
        else:
            data[i:i] = draw(st.binary(min_size=1, max_size=32))
    return bytes(data)


@BOUNDED
@given(mutated())
def test_mutated_files(data: bytes):
    _decodes_or_refuses(data)


@BOUNDED
@given(st.sampled_from(sorted(seeds())), st.binary(min_size=1, max_size=64))
def test_valid_header_then_garbage(name: str, tail: bytes):
    data = seeds()[name]
    _decodes_or_refuses(data[: len(data) // 3] + tail)
