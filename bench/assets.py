"""The game art the rendered cartoons are drawn from: Kenney.nl's CC0 sprites (and two parallax
backgrounds by Luis Zuno, free to use, modify and redistribute) as shipped inside the ``arcade``
wheel on PyPI.

The wheel is fetched the way ``scripts/fetch_samples.py`` fetches the Big Buck Bunny clips: pip
downloads it (never installs it) from the configured package index, its SHA-256 is checked, and
only the images the renderer uses (plus the licence notes beside them) are extracted, once, into
the media cache (``$SABI_MEDIA_DIR`` or ``~/.cache/sabi/media``).
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import zipfile
from functools import cache
from pathlib import Path
from types import ModuleType

from PIL import Image

from bench.common import ROOT, say

WHEEL = "arcade==3.3.3"
WHEEL_FILE = "arcade-3.3.3-py3-none-any.whl"
WHEEL_SHA256 = "25f4e0e5b8bcbe7a7d087c0a23b19e9f423b0c70ec00945c8712c9a3e541ebd2"
PREFIX = "arcade/resources/assets/images/"
# The folders the renderer draws from, and the licence notes that cover them.
FOLDERS = (
    "backgrounds/",
    "cybercity_background/",
    "miami_synth_parallax/layers/",
    "animated_characters/",
    "tiles/",
    "items/",
    "enemies/",
)
NOTES = (
    "License.txt",
    "readme.txt",
    "cybercity_background/public-license.txt",
    "miami_synth_parallax/public-license.txt",
)


def _fetch_samples() -> ModuleType:
    """scripts/fetch_samples.py, whose download helpers (pip download, atomic writes, the media
    cache) are reused here rather than copied."""
    scripts = str(ROOT / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    import fetch_samples  # type: ignore[import-not-found,unused-ignore]

    return fetch_samples  # type: ignore[no-any-return,unused-ignore]


def _wanted(member: str) -> bool:
    if not member.startswith(PREFIX):
        return False
    rest = member[len(PREFIX) :]
    return rest in NOTES or (rest.startswith(FOLDERS) and rest.endswith((".png", ".jpg")))


def asset_dir() -> Path:
    """A folder holding the extracted images (``backgrounds/``, ``tiles/``, ...); fetched once."""
    fs = _fetch_samples()
    dest: Path = fs.media_cache_dir() / "arcade-3.3.3-images"
    marker = dest / ".complete"
    if marker.is_file() and marker.read_text().strip() == WHEEL_SHA256:
        return dest
    say(f"assets: downloading the {WHEEL} wheel (42 MB; only its images are kept)")
    with tempfile.TemporaryDirectory() as tmp:
        fs._pip_download(fs.Package(WHEEL, ("--only-binary", ":all:")), Path(tmp))
        wheel = Path(tmp) / WHEEL_FILE
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest() if wheel.is_file() else "missing"
        if digest != WHEEL_SHA256:
            raise RuntimeError(f"{WHEEL_FILE}: SHA-256 {digest}, expected {WHEEL_SHA256}")
        with zipfile.ZipFile(wheel) as z:
            for member in filter(_wanted, z.namelist()):
                out = dest / member[len(PREFIX) :]
                out.parent.mkdir(parents=True, exist_ok=True)
                fs._write(out, z.read(member))
    marker.write_text(WHEEL_SHA256)
    return dest


@cache
def image(relative: str) -> Image.Image:
    """An asset as RGBA (palette sprites converted), cached for the process."""
    with Image.open(asset_dir() / relative) as im:
        return im.convert("RGBA")


def names(folder: str) -> list[str]:
    """The asset files in one folder, relative to the asset root, sorted."""
    root = asset_dir()
    return sorted(str(p.relative_to(root)) for p in (root / folder).iterdir() if p.is_file())
