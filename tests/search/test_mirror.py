"""`mirror`: the query's mirror image is searched too, for descriptors that are not flip-robust."""

from __future__ import annotations

from media import frame_at, screenshot

from sabi.app import Sabi


def test_mirror_lets_colour_layout_find_a_flipped_frame(tmp_path, shared_media):
    clip = shared_media / "big_buck_bunny_0_30.webm"
    with Sabi.open(data_dir=tmp_path, descriptor="colorlayout") as sabi:
        assert sabi.index([clip, shared_media / "bikes.mp4"], show="Mixed").ok
    t, rgb = frame_at(clip, 18.0)
    flipped = screenshot(rgb[:, ::-1].copy())
    with Sabi.open(data_dir=tmp_path, descriptor="colorlayout", mirror=False) as sabi:
        plain = sabi.search(flipped).result[0]
    with Sabi.open(data_dir=tmp_path, descriptor="colorlayout", mirror=True) as sabi:
        mirrored = sabi.search(flipped).result[0]
    assert mirrored.filename == clip.name
    assert mirrored.from_ - 1 <= t <= mirrored.to + 1
    assert mirrored.similarity > plain.similarity or plain.from_ - 1 > t or t > plain.to + 1
