"""Times come from the frames' own timestamps: variable frame rate and late starts included."""

from __future__ import annotations

import numpy as np
import pytest
from media import grey_level, make_vfr_video, make_video

from sabi.errors import VideoError
from sabi.prepare.decode import probe, sample_frames


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
    assert times[0] == pytest.approx(0.0, abs=0.05)
    assert times[-1] == pytest.approx(2.0, abs=0.05)


def test_sampling_rate_and_width(tmp_path):
    path = make_video(tmp_path / "v.mp4", "testsrc2", seconds=4, size=(640, 360))
    frames = list(sample_frames(path, rate=3.0, width=200))
    assert len(frames) == 12
    assert frames[0].rgb.shape == (112, 200, 3)


@pytest.mark.parametrize(
    "content", [b"", b"not a video at all" * 100, b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500]
)
def test_unreadable_files_raise_video_error(tmp_path, content):
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    with pytest.raises(VideoError):
        list(sample_frames(path, rate=1.0, width=160))


def test_truncated_file_yields_what_is_there(tmp_path):
    path = make_video(tmp_path / "v.mp4", "testsrc2", seconds=6, size=(320, 180), codec="libx264")
    cut = tmp_path / "cut.mkv"
    full = make_video(tmp_path / "v.mkv", "testsrc2", seconds=6, size=(320, 180))
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    frames = list(sample_frames(cut, rate=1.0, width=160))
    assert 1 <= len(frames) < 6
    assert path.exists()
