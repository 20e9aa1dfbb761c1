"""Run the real Milvus standalone server on loopback for `python -m bench store --milvus-uri`.

    python bench/milvus_server.py /tmp/milvus-bench     # prints: URI PID DATA; Ctrl-C stops it

It is the test suite's launcher (tests/milvus_server.py: free ports, loopback only, the
binary that scripts/install_milvus_server.sh installs), kept running until interrupted.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from milvus_server import MilvusServer, milvus_home  # type: ignore[import-not-found]  # noqa: E402


def main() -> None:
    data = Path(sys.argv[1]).resolve()
    data.mkdir(parents=True, exist_ok=True)
    server = MilvusServer(milvus_home(), data)
    server.start()
    assert server.proc is not None
    print(server.uri, server.proc.pid, data, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.kill()


if __name__ == "__main__":
    main()
