"""A whole clip in, its shots out: each named with the file and time it comes from."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from media import concat_clips
from PIL import Image

from sabi.app import Sabi
from sabi.errors import BadInput, TooLarge
from sabi.search.breakdown import merge_shots
from sabi.search.models import SceneResult, ShotOut, ShowInfo
from sabi.search.scenes import group_scenes
from sabi.store.base import Hit

EP1, EP2, BIKES = "big_buck_bunny_0_30.webm", "big_buck_bunny_clip.mp4", "bikes.mp4"
# (file, start, end) pieces of the compilation; bikes.mp4 is not indexed here, and its piece
# of 0.25 s is a flash (one sampled frame) that the breakdown leaves out
PIECES = [
    (EP1, 5.0, 8.0),
    (BIKES, 6.0, 6.25),
    (EP2, 0.5, 3.0),
    (EP1, 17.0, 20.0),
    (BIKES, 2.0, 4.5),
]


@pytest.fixture(scope="module")
def bunny_lib(tmp_path_factory, shared_media: Path) -> Path:
    """Both Big Buck Bunny clips indexed; bikes.mp4 is not."""
    data = tmp_path_factory.mktemp("breakdown-lib")
    with Sabi.open(data_dir=data) as sabi:
        for ep, name in enumerate((EP1, EP2), start=1):
            assert sabi.index([shared_media / name], show="Bunny", episode=ep).ok
    return data


@pytest.fixture(scope="module")
def compilation(tmp_path_factory, shared_media: Path) -> bytes:
    path = tmp_path_factory.mktemp("amv") / "amv.mp4"
    concat_clips(path, [(shared_media / f, a, b) for f, a, b in PIECES], size=(480, 270))
    return path.read_bytes()


def test_each_shot_is_named_with_its_file_and_time(bunny_lib, compilation):
    with Sabi.open(data_dir=bunny_lib, create=False) as sabi:
        answer = sabi.shots(compilation)
    assert answer.frameCount > 0 and answer.error == ""
    shots = answer.shots
    # where each piece starts in the compilation
    starts, t = [], 0.0
    for _, a, b in PIECES:
        starts.append(t)
        t += b - a
    for (name, a, b), start in zip(PIECES, starts, strict=True):
        inside = [s for s in shots if start - 0.3 <= s.start < start + (b - a) - 0.3]
        if b - a < 0.4:
            assert not inside, (name, shots)  # the flash
            continue
        if name == BIKES:
            assert inside and all(s.result is None for s in inside), (name, inside)
            continue
        assert len(inside) == 1, (name, start, shots)
        (shot,) = inside
        assert abs(shot.start - start) <= 0.5 and abs(shot.end - (start + b - a)) <= 0.5, shot
        assert shot.result is not None and shot.result.filename == name, shot
        # ``at`` is the episode time at the shot's start (which the cut detector may place a
        # sampling step late)
        assert abs(shot.result.at - (a + shot.start - start)) <= 1.0, (name, a, shot)
        assert shot.result.from_ == shot.result.at
        assert shot.result.to == pytest.approx(shot.result.at + shot.end - shot.start, abs=0.01)
        assert shot.similarity == shot.result.similarity > 0.5
    assert [s.start for s in shots] == sorted(s.start for s in shots)


def test_a_clip_over_the_length_limit_is_refused(bunny_lib, compilation):
    with Sabi.open(data_dir=bunny_lib, create=False, max_shots_seconds=5) as sabi:
        with pytest.raises(TooLarge, match="longer than 5 s"):
            sabi.shots(compilation)
        with pytest.raises(TooLarge, match="longer than 2 s"):  # the caller's own limit
            sabi.shots(compilation, limit_seconds=2)


def test_a_still_image_is_not_a_clip(bunny_lib):
    buf = io.BytesIO()
    Image.new("RGB", (64, 36), (200, 30, 30)).save(buf, "PNG")
    with Sabi.open(data_dir=bunny_lib, create=False) as sabi:
        with pytest.raises(BadInput, match="an image has no shots"):
            sabi.shots(buf.getvalue())
        with pytest.raises(BadInput, match="not a video sabi can read"):
            sabi.shots(b"hello, world" * 10)


def test_filters_leave_shots_unnamed(bunny_lib, compilation):
    with Sabi.open(data_dir=bunny_lib, create=False) as sabi:
        answer = sabi.shots(compilation, tag="no-such-tag")
    assert answer.shots and all(s.result is None for s in answer.shots)


def _shot(start: float, end: float, episode_id: int | None, at: float = 0.0) -> ShotOut:
    if episode_id is None:
        return ShotOut(start=start, end=end, similarity=0.1, result=None)
    scene = SceneResult(
        filename="e.mkv",
        episode=episode_id,
        duration=600.0,
        from_=at - 1,
        at=at,
        to=at + end - start,
        similarity=0.9,
        show=ShowInfo(id=1, title="S"),
        episode_id=episode_id,
    )
    return ShotOut(start=start, end=end, similarity=0.9, result=scene)


@pytest.mark.fast
def test_a_shot_split_by_a_false_cut_is_joined_again():
    shots = [
        _shot(0.0, 2.0, 1, at=100.0),
        _shot(2.0, 5.0, 1, at=102.2),  # plays on from where the first was: one shot
        _shot(5.0, 7.0, 1, at=300.0),  # same episode, elsewhere: a real cut
        _shot(7.0, 8.0, None),
        _shot(8.0, 9.0, None),  # two unknown shots stay two
        _shot(9.0, 10.0, 2, at=302.0),
    ]
    merged = merge_shots(shots)
    assert [(s.start, s.end) for s in merged] == [(0, 5), (5, 7), (7, 8), (8, 9), (9, 10)]
    assert merged[0].result is not None and merged[0].result.at == 100.0
    assert merged[0].result.to == shots[1].result.to  # type: ignore[union-attr]


@pytest.mark.fast
def test_frames_vote_only_where_their_offsets_agree():
    """Three frames 1 s apart. Episode 2 has a better hit for every frame, but at times that do
    not follow the frames' own (10, 30, 55 s): three separate lucky frames. Episode 1's hits are
    weaker but in step (50, 51, 52 s): one scene with all three votes, which wins."""
    per_frame = [
        [Hit(1, 50.0, 50.0, 0.8), Hit(2, 10.0, 10.0, 0.9)],
        [Hit(1, 51.0, 51.0, 0.8), Hit(2, 30.0, 30.0, 0.9)],
        [Hit(1, 52.0, 52.0, 0.8), Hit(2, 55.0, 55.0, 0.9)],
    ]
    scenes = group_scenes(per_frame, [0.0, 1.0, 2.0], gap=2.0)
    assert (scenes[0].episode_id, scenes[0].at) == (1, 50.0)
    assert scenes[0].similarity == pytest.approx(0.8)
    assert all(s.similarity == pytest.approx(0.3) for s in scenes[1:])
