"""Two ``sabi serve`` processes (API replicas) on one library: the catalogue in PostgreSQL, the
vectors in the real Milvus server (the session's, tests/conftest.py), each replica with a data directory of its own (as on two
machines), one signing secret and one preview folder between them.

The library, its servers and the replicas are made once a session and shared by the small test
modules here; each test keeps out of the others' way by calling from addresses of its own
(the replicas trust X-Forwarded-For from loopback, as behind a proxy).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "serve"))
sys.path.insert(0, str(Path(__file__).parent))

from pg_server import postgres_or_skip  # noqa: E402
from replica_calls import ADMIN, RATE_LIMIT, write_config  # noqa: E402
from serve_live import ServeProcess  # noqa: E402

from sabi.app import Sabi  # noqa: E402
from sabi.settings import load_settings  # noqa: E402


@dataclass(frozen=True)
class Library:
    config: Path  # the settings file every process of the library reads
    root: Path  # where each process's data directory and logs go
    previews: Path  # the shared preview folder

    def sabi(self, name: str) -> Sabi:
        """The library opened by a process of the test's own (its own data directory)."""
        return Sabi(load_settings(self.config, data_dir=self.root / name))

    def replica(self, name: str) -> ServeProcess:
        return ServeProcess(
            self.config, self.root / f"{name}.log", SABI_DATA_DIR=str(self.root / name)
        )


@pytest.fixture(scope="session")
def replica_pg() -> Iterator[str]:
    """A PostgreSQL server for the session (the replicas' catalogue)."""
    yield from postgres_or_skip()


@pytest.fixture(scope="session")
def library(
    tmp_path_factory: pytest.TempPathFactory, replica_pg: str, milvus_server_uri: str, shared_media
) -> Library:
    """Big Buck Bunny 0:00-0:30, indexed into PostgreSQL + Milvus by a process of its own."""
    root = tmp_path_factory.mktemp("replicas")
    previews = root / "shared-previews"
    config = write_config(
        root / "sabi.toml",
        database_url=replica_pg,
        store="milvus",
        milvus_uri=milvus_server_uri,
        milvus_collection="replicas",
        secret="one secret for every replica",
        preview_dir=str(previews),
        admin_key=ADMIN["x-trace-key"],
        rate_limit=RATE_LIMIT,
        anonymous_quota=100_000,
        trusted_proxies="127.0.0.1",
        threads=2,
    )
    lib = Library(config, root, previews)
    with lib.sabi("indexer") as sabi:
        clip = shared_media / "big_buck_bunny_0_30.webm"
        report = sabi.index([clip], show="Big Buck Bunny", episode=1)
        assert report.ok, report.results
    return lib


@pytest.fixture(scope="session")
def replicas(library: Library) -> Iterator[tuple[ServeProcess, ServeProcess]]:
    """Two replicas, started one after the other (the first one up has made the server's
    tables; see docs/scaling.md on upgrading the schema before starting several)."""
    a = library.replica("a").start()
    try:
        b = library.replica("b").start()
    except BaseException:
        a.stop()
        raise
    yield a, b
    b.stop()
    a.stop()


@pytest.fixture(scope="session")
def bunny_shot(shared_media: Path) -> bytes:
    """A phone-style screenshot of episode 1 at 14 s."""
    from media import frame_at, screenshot

    _t, rgb = frame_at(shared_media / "big_buck_bunny_0_30.webm", 14.0)
    return screenshot(rgb)
