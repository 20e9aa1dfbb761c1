"""Times come from the frames' own timestamps: variable frame rate and late starts included."""

from __future__ import annotations

import av
import numpy as np
import pytest
from media import grey_level, make_vfr_video, make_video

from sabi.errors import VideoError
from sabi.prepare.decode import probe, sample_frames

pytestmark = pytest.mark.fast


def test_variable_frame_rate_gives_true_seconds(tmp_path):
    # Irregular gaps: bursts of 30 fps, then frames held for 0.7 s, 1.3 s...
    times = [0.0, 0.033, 0.066, 0.1, 0.8, 2.1, 2.133, 2.9, 3.0, 4.6, 5.0, 5.033, 6.5]
    path = make_vfr_video(tmp_path / "vfr.mp4", times)
    sampled = list(sample_frames(path, rate=2.0, width=160))
    got = [round(f.time, 3) for f in sampled]
    assert set(got) <= set(times), got
    # Each sampled frame's picture is the one shown at that time (its grey level says which).
    for f in sampled:
        i = times.index(round(f.time, 3))
        assert abs(int(np.median(f.rgb)) - grey_level(i)) <= 3
    # The 1/rate grid: a frame at or after each half second that has one.
    assert got[:4] == [0.0, 0.8, 2.1, 2.9]


def test_non_zero_start_is_subtracted(tmp_path):
    path = make_video(tmp_path / "late.mp4", "testsrc2", seconds=3, size=(320, 180), start=7.5)
    info = probe(path)
    assert info.start == pytest.approx(7.5, abs=0.05)
    times = [f.time for f in sample_frames(path, rate=1.0, width=160)]
    assert times == pytest.approx([0.0, 1.0, 2.0], abs=0.05)


def test_sampling_rate_and_width(tmp_path):
    path = make_video(tmp_path / "v.mp4", "testsrc2", seconds=4, size=(640, 360), fps=24)
    frames = list(sample_frames(path, rate=3.0, width=200))
    assert [f.time for f in frames] == pytest.approx([k / 3 for k in range(12)], abs=1e-3)
    assert {f.rgb.shape for f in frames} == {(112, 200, 3)}


def test_sampled_picture_is_the_frame_shown_at_that_time(tmp_path):
    path = make_video(tmp_path / "v.mp4", "testsrc2", seconds=2, size=(320, 180), fps=24)
    with av.open(str(path)) as container:  # every frame, decoded independently
        every = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(every) == 48 and not np.array_equal(every[8], every[9])
    frames = list(sample_frames(path, rate=3.0, width=320))
    assert len(frames) == 6
    for k, f in enumerate(frames):  # the sample at k/3 s is frame 8k (24 fps), not a neighbour
        assert np.array_equal(f.rgb, every[8 * k]), k


@pytest.mark.parametrize(
    "content", [b"", b"not a video at all" * 100, b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500]
)
def test_unreadable_files_raise_video_error(tmp_path, content):
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    with pytest.raises(VideoError):
        list(sample_frames(path, rate=1.0, width=160))


def test_truncated_file_yields_what_is_there(tmp_path):
    full = make_video(tmp_path / "v.mkv", "testsrc2", seconds=6, size=(320, 180))
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    whole = list(sample_frames(full, rate=1.0, width=160))
    frames = list(sample_frames(cut, rate=1.0, width=160))
    assert [f.time for f in whole] == pytest.approx([0, 1, 2, 3, 4, 5], abs=1e-3)
    # The first half of the file: the first seconds, each the same picture as in the whole file.
    assert 1 <= len(frames) < 6
    assert [f.time for f in frames] == [f.time for f in whole[: len(frames)]]
    for got, want in zip(frames, whole, strict=False):
        assert np.array_equal(got.rgb, want.rgb), got.time
