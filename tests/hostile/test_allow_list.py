"""Only the listed formats are opened, decided from the bytes: no FFmpeg playlist, script or
network demuxer, no Pillow plugin off the list, whatever the upload says it is."""

from __future__ import annotations

import pytest
from corpus import eps, ffconcat, hls, picture, sdp, video

from sabi.errors import BadInput
from sabi.prepare.formats import IMAGE_FORMATS, av_options, image_formats, video_format
from sabi.prepare.query import load_query

pytestmark = [pytest.mark.fast, pytest.mark.timeout(10)]
REFUSED = "not an image or video sabi can read"


def test_ffconcat_naming_a_local_video_does_not_decode_it(tmp_path, monkeypatch):
    """The attack: an uploaded concat script made the server decode a file of its own."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clip.mp4").write_bytes(video())
    with pytest.raises(BadInput, match=REFUSED):
        load_query(ffconcat("clip.mp4"))
    with pytest.raises(BadInput, match=REFUSED):
        load_query(ffconcat(str(tmp_path / "clip.mp4")))


def test_hls_playlist_naming_a_local_video_does_not_decode_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clip.ts").write_bytes(video("mpegts"))
    for target in ("clip.ts", f"file://{tmp_path / 'clip.ts'}"):
        with pytest.raises(BadInput, match=REFUSED):
            load_query(hls(target))


def test_sdp_is_refused_without_listening():
    """FFmpeg's sdp demuxer would open UDP ports and hold the worker until its timeout."""
    with pytest.raises(BadInput, match=REFUSED):
        load_query(sdp())


def test_eps_never_reaches_pillow():
    """Pillow would hand EPS to Ghostscript; refused as a format, not as a failed decode."""
    assert "EPS" not in image_formats()
    with pytest.raises(BadInput, match=REFUSED):
        load_query(eps())


@pytest.mark.parametrize("fmt", ["TIFF", "PPM", "TGA", "ICO", "PCX", "JPEG2000"])
def test_pillow_formats_off_the_list_are_refused(fmt):
    from corpus import encode

    data = encode(picture(64, 48), fmt)
    with pytest.raises(BadInput, match=REFUSED):
        load_query(data)


def test_listed_image_formats_exist_in_pillow():
    assert set(image_formats()) == set(IMAGE_FORMATS)
    assert {"JPEG", "PNG", "WEBP", "GIF", "BMP"} <= set(IMAGE_FORMATS)


@pytest.mark.parametrize(
    ("fmt", "codec", "demuxer"),
    [
        ("mp4", "libx264", "mov"),
        ("mov", "libx264", "mov"),
        ("matroska", "libx264", "matroska"),
        ("webm", "libvpx", "matroska"),
        ("avi", "mpeg4", "avi"),
        ("mpegts", "libx264", "mpegts"),
    ],
)
def test_listed_video_containers_are_chosen_by_their_bytes(fmt, codec, demuxer):
    data = video(fmt, codec)
    assert video_format(data) == demuxer
    assert load_query(data)


def test_ffmpeg_is_held_to_the_chosen_demuxer_and_no_protocol():
    options = av_options("mov")
    assert options["format_whitelist"] == "mov"
    assert options["protocol_whitelist"] == "none"
    assert options["enable_drefs"] == "0"
