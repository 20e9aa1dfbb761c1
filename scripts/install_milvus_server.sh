#!/usr/bin/env bash
# Install the real Milvus standalone server for the store tests, without Docker.
#
# The PyPI wheel "milvus" (2.3.x, "Milvus Lite" before Lite became a separate project) carries
# the official standalone server binary and its shared libraries, lzma-compressed. We only take
# those files: the wheel's Python wrapper picks fixed ports and is not needed. The result goes
# to $SABI_MILVUS_HOME (default: <repo>/.milvus, git-ignored), which the test fixture in
# tests/milvus_server.py looks for. Running it again is a no-op once installed.
set -euo pipefail

VERSION="${SABI_MILVUS_VERSION:-2.3.5}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${SABI_MILVUS_HOME:-$ROOT/.milvus}"
if [[ -n "${PYTHON:-}" ]]; then
    PY="$PYTHON"
elif [[ -x "$ROOT/.venv/bin/python" ]]; then
    PY="$ROOT/.venv/bin/python"
else
    PY="python3"
fi

if [[ -x "$DEST/bin/milvus" && "$(cat "$DEST/VERSION" 2>/dev/null)" == "$VERSION" ]]; then
    echo "Milvus $VERSION already installed in $DEST"
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$PY" -m pip download --quiet --no-deps --only-binary=:all: \
    --platform manylinux2014_x86_64 "milvus==$VERSION" -d "$work"

"$PY" - "$work" "$DEST.partial" <<'PY'
import glob, lzma, os, shutil, sys, zipfile

work, dest = sys.argv[1], sys.argv[2]
shutil.rmtree(dest, ignore_errors=True)
os.makedirs(os.path.join(dest, "bin"))
(wheel,) = glob.glob(os.path.join(work, "milvus-*.whl"))
with zipfile.ZipFile(wheel) as zf:
    for name in zf.namelist():
        base = os.path.basename(name)
        if name.startswith("milvus/data/bin/") and base.endswith(".lzma"):
            out = os.path.join(dest, "bin", base[: -len(".lzma")])
            with zf.open(name) as src, lzma.open(src) as unpacked, open(out, "wb") as dst:
                shutil.copyfileobj(unpacked, dst, 1 << 20)
            os.chmod(out, 0o755)
        elif name in ("milvus/data/config.yaml.template", "milvus/data/glog.conf"):
            with zf.open(name) as src, open(os.path.join(dest, base), "wb") as dst:
                shutil.copyfileobj(src, dst)
PY

# The binary prints its usage when run without a command; that proves it loads its libraries.
if ! LD_LIBRARY_PATH="$DEST.partial/bin" "$DEST.partial/bin/milvus" 2>&1 | grep -q "Usage"; then
    echo "the Milvus binary does not run here:" >&2
    LD_LIBRARY_PATH="$DEST.partial/bin" ldd "$DEST.partial/bin/milvus" | grep "not found" >&2 || true
    exit 1
fi
echo "$VERSION" > "$DEST.partial/VERSION"
rm -rf "$DEST"
mv "$DEST.partial" "$DEST"
echo "Milvus $VERSION installed in $DEST"
