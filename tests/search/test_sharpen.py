"""The exact moment's last step (sabi.search.refine.sharpen): among frames the embedding scores
alike, the pixels settle which one the query is, but only when the query is framed like them."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from sabi.prepare.decode import SampledFrame
from sabi.search.refine import located, sharpen

FPS = 24


def panning(frames: int = 30, width: int = 224, height: int = 126) -> list[SampledFrame]:
    """A slow pan over a smooth random landscape: each frame two pixels on from the last."""
    rng = np.random.default_rng(5)
    coarse = rng.integers(0, 256, (height // 6, (width + 2 * frames) // 6, 3), np.uint8)
    scene = np.asarray(
        Image.fromarray(coarse).resize((width + 2 * frames, height), Image.Resampling.BICUBIC)
    )
    return [SampledFrame(k / FPS, scene[:, 2 * k : 2 * k + width].copy()) for k in range(frames)]


def jpeg(rgb: np.ndarray, quality: int = 30) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def test_the_pixels_pick_the_frame_the_embedding_missed():
    frames = panning()
    query = jpeg(frames[17].rgb)
    assert sharpen(frames, 12, [query]) == 17
    # either view may be the one that matches (a mirrored query searched both ways)
    assert sharpen(frames, 12, [query[:, ::-1], query]) == 17


def test_a_query_framed_otherwise_keeps_the_embeddings_choice():
    frames = panning()
    inner = frames[17].rgb[20:100, 40:180]  # a crop: the thumbnails do not line up
    zoomed = np.asarray(Image.fromarray(inner).resize((224, 126)))
    assert sharpen(frames, 12, [zoomed]) is None


def test_a_held_picture_keeps_the_frame_nearest_the_choice():
    still = panning()[3].rgb
    frames = [SampledFrame(k / FPS, still) for k in range(30)]
    assert sharpen(frames, 9, [jpeg(still)]) == 9


def test_frames_alike_to_the_fourth_decimal_are_still_told_apart():
    """A slow pan's last frames correlate alike to four places; the screenshot is still the
    frame that correlates best, not the one nearest the first guess."""
    still = panning()[3].rgb.astype(int)
    rng = np.random.default_rng(1)
    frames = []
    for k in range(12):
        specks = rng.random(still.shape[:2]) < 0.02
        picture = still.copy()
        picture[specks] += rng.integers(-3, 4, (int(specks.sum()), 3))
        frames.append(SampledFrame(k / FPS, np.clip(picture, 0, 255).astype(np.uint8)))
    assert sharpen(frames, 2, [frames[8].rgb]) == 8


def walking(frames: int = 40) -> list[SampledFrame]:
    """A still background with a yellow square walking across it, four pixels a frame."""
    still = panning()[3].rgb

    def at(k: int) -> np.ndarray:
        picture = still.copy()
        picture[50:80, 10 + 4 * k : 40 + 4 * k] = (250, 240, 20)
        return picture

    return [SampledFrame(k / FPS, at(k)) for k in range(frames)]


def test_a_player_window_is_named_anywhere_in_the_decoded_seconds():
    """The embedding of a framed query can be a second off; the frame it chose still locates
    the window (the background), and every decoded frame is fitted there."""
    frames = walking()
    window = np.full((220, 300, 3), 90, np.uint8)
    window[:24] = 200  # title bar
    window[180:] = 40  # controls
    window[40:166, 38:262] = frames[33].rgb
    query = jpeg(window, 75)
    assert located(frames, 5, query) == 33
    assert located(frames, 33, query) == 33
    other = jpeg(np.full((220, 300, 3), 30, np.uint8), 75)  # no frame in it
    assert located(frames, 5, other) is None


def test_in_a_pan_the_frame_captured_fits_its_window_best():
    """The box located for a neighbouring frame of a pan is shifted with the picture, and in
    it that frame would correlate best; fitted near it, each frame at its own best spot, the
    captured one wins."""
    frames = panning()
    window = np.full((200, 300, 3), 250, np.uint8)  # a white page around the video
    window[30:156, 40:264] = frames[17].rgb
    query = jpeg(window, 75)
    for guess in (15, 16, 18, 19):
        assert located(frames, guess, query) == 17
