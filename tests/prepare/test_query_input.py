"""Untrusted query bytes: clear errors, bounded memory, several frames from animations."""

from __future__ import annotations

import io

import numpy as np
import pytest
from media import make_video, png_claiming
from PIL import Image

from sabi.errors import BadInput, TooLarge
from sabi.prepare.query import QueryLimits, load_query, prepare_query_frames

pytestmark = pytest.mark.fast


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def test_empty_file():
    with pytest.raises(BadInput, match="empty"):
        load_query(b"")


def test_text_is_not_an_image():
    with pytest.raises(BadInput, match="not an image"):
        load_query(b"hello, this is text\n" * 20)


def test_decompression_bomb_refused_before_decoding():
    with pytest.raises(TooLarge, match="too large"):
        load_query(png_claiming(20000, 20000))


def test_pixel_limit_is_a_setting():
    data = _encode(Image.new("RGB", (400, 300)), "PNG")
    with pytest.raises(TooLarge):
        load_query(data, QueryLimits(max_pixels=100_000))
    assert len(load_query(data, QueryLimits(max_pixels=200_000))) == 1


def test_truncated_jpeg_is_bad_input():
    data = _encode(Image.new("RGB", (320, 240), (200, 10, 10)), "JPEG")
    with pytest.raises(BadInput):
        load_query(data[: len(data) // 3])


def test_transparent_png_becomes_rgb():
    img = Image.new("RGBA", (64, 48), (255, 0, 0, 128))
    frames = load_query(_encode(img, "PNG"))
    assert frames[0].rgb.shape == (48, 64, 3)


def test_gif_gives_several_frames_spread_over_it():
    frames = [Image.new("RGB", (80, 60), (i * 12, 0, 0)) for i in range(20)]
    data = _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    got = load_query(data, QueryLimits(max_frames=5))
    assert len(got) == 5
    assert got[0].time == 0.0 and got[-1].time == pytest.approx(1.9)
    reds = [int(f.rgb[..., 0].mean()) for f in got]
    assert reds == sorted(reds) and reds[0] < reds[-1]


def test_video_query_gives_frames_with_times(tmp_path):
    path = make_video(tmp_path / "q.mp4", "testsrc2", seconds=3, size=(320, 180))
    got = load_query(path.read_bytes(), QueryLimits(max_frames=4))
    assert len(got) == 4
    assert got[0].time == 0.0 and got[-1].time == pytest.approx(3 - 1 / 24, abs=0.05)


def test_prepare_cuts_bars_and_scales():
    frame = np.zeros((300, 400, 3), np.uint8)
    frame[50:250] = np.random.default_rng(0).integers(40, 255, (200, 400, 3))
    from sabi.prepare.query import QueryFrame

    (out,) = prepare_query_frames([QueryFrame(0.0, frame)], 320, True, 24)
    assert out.rgb.shape == (160, 320, 3)
    (kept,) = prepare_query_frames([QueryFrame(0.0, frame)], 320, False, 24)
    assert kept.rgb.shape == (240, 320, 3)


def _encoded(rgb: np.ndarray, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, fmt, **kw)
    return buf.getvalue()


def test_png_screenshots_decode_to_the_same_pixels_on_the_fast_path():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (90, 160, 3), dtype=np.uint8)
    (frame,) = load_query(_encoded(rgb, "PNG"))
    np.testing.assert_array_equal(frame.rgb, rgb)
    rgba = np.dstack([rgb, np.full((90, 160), 255, np.uint8)])
    rgba[:10, :10, 3] = 0  # transparent corner: Pillow's path composites it on black
    (frame,) = load_query(_encoded(rgba, "PNG"))
    assert frame.rgb.shape == (90, 160, 3) and frame.rgb[:10, :10].max() == 0
    broken = _encoded(rgb, "PNG")
    with pytest.raises(BadInput):
        load_query(broken[: len(broken) // 2])


def test_large_stills_are_decoded_reduced_to_the_same_answer():
    """A 1920x1080 JPEG or PNG query: decoded at reduced size, it prepares to the same
    320-wide frame as a full decode, to within rounding."""
    y, x = np.mgrid[0:1080, 0:1920]
    rgb = np.dstack([(x // 7) % 256, (y // 5) % 256, ((x + y) // 11) % 256]).astype(np.uint8)
    rgb[:120] = 0  # letterbox bars
    rgb[-120:] = 0
    for data in (_encoded(rgb, "JPEG", quality=95), _encoded(rgb, "PNG")):
        full = prepare_query_frames(load_query(data), 320, True, 24)[0].rgb
        reduced = prepare_query_frames(load_query(data, QueryLimits(shrink_to=640)), 320, True, 24)
        assert reduced[0].rgb.shape == full.shape == (140, 320, 3)  # the bars were cut
        assert np.abs(reduced[0].rgb.astype(int) - full).mean() < 4
