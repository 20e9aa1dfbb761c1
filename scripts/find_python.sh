#!/bin/sh
# Print the path of a Python 3.12 that can make a virtualenv (the Makefile's interpreter).
#   sh scripts/find_python.sh [CANDIDATE]
# CANDIDATE (make ... PYTHON=...) is used when given: any Python 3.12 or newer. Otherwise:
# python3.12 on PATH, then pyenv's newest 3.12, then python3 if it is 3.12. With none of them,
# say what is needed and how to get it, and fail.

usable() {  # runs, is 3.12+, and has venv with pip (Debian ships that part separately)
    "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info[:2] < (3, 12))' \
        >/dev/null 2>&1
}

is_312() {
    usable "$1" && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null
}

if [ -n "${1:-}" ]; then
    if usable "$1"; then
        command -v "$1"
        exit 0
    fi
    echo "PYTHON=$1 is not a Python 3.12 or newer with its venv module; sabi needs one." >&2
    "$1" --version >&2 2>/dev/null || echo "($1 does not run)" >&2
    exit 1
fi

# python3.12 on PATH (a pyenv shim only runs when 3.12 is the selected version: tried below).
if is_312 python3.12; then
    command -v python3.12
    exit 0
fi
if command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root)
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.12(\.[0-9]+)?$' | sort -t. -k3,3nr); do
        if is_312 "$root/versions/$v/bin/python3.12"; then
            echo "$root/versions/$v/bin/python3.12"
            exit 0
        fi
    done
fi
if is_312 python3; then
    command -v python3
    exit 0
fi

cat >&2 <<'MSG'
sabi needs Python 3.12 (with its venv module) to make .venv, and none was found:
no working python3.12 on PATH, no 3.12 in pyenv, and python3 is another version.
Get one, then run make again:
  Debian/Ubuntu:  sudo apt install python3.12 python3.12-venv
  macOS:          brew install python@3.12
  pyenv:          pyenv install 3.12
  any other:      https://www.python.org/downloads/ (3.12.x)
or name one:      make demo PYTHON=/path/to/python3.12
MSG
exit 1
