"""Schema versions, applied in order. Alembic's job in a form small enough to read at once:
each step takes a connection and moves the schema one version forward; the version reached is
stored in the ``meta`` table. Add a function to STEPS to change the schema; never edit one.

A feature above the engine (the Bilibili downloader) brings its own tables with
:func:`register_schema`: its steps run after the engine's, counted under their own
``schema_version.<name>`` key, so whether a process registered the feature never changes the
engine's version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, inspect, select, text

from sabi.catalog.models import ApiKey, ApiUsage, Base, Cut, Meta, Sample
from sabi.errors import IndexMismatch

Step = Callable[[Connection], None]


def _v1_initial(conn: Connection) -> None:
    Base.metadata.create_all(conn)


def _v2_serve(conn: Connection) -> None:
    """Shot changes (for preview clips) and HTTP API keys with their usage."""
    tables = Base.metadata.tables
    new = [Cut.__tablename__, ApiKey.__tablename__, ApiUsage.__tablename__]
    Base.metadata.create_all(conn, tables=[tables[name] for name in new])


def _v3_none(conn: Connection) -> None:
    """Nothing now. This step once made the Bilibili table; that feature registers its own step
    (sabi.acquire.bilibili), which finds the table there in a database that ran this one."""


def _v4_samples(conn: Connection) -> None:
    """Sampled frames' thumbnails. Episodes indexed before have none and keep the moment their
    vectors give; indexing them again adds them."""
    Base.metadata.create_all(conn, tables=[Base.metadata.tables[Sample.__tablename__]])


STEPS: list[Step] = [_v1_initial, _v2_serve, _v3_none, _v4_samples]
LATEST = len(STEPS)
VERSION_KEY = "schema_version"
ADVISORY_KEY = 0x5AB1_5C4E  # PostgreSQL advisory lock serialising schema upgrades

_features: dict[str, tuple[Step, ...]] = {}


def register_schema(name: str, steps: Sequence[Step]) -> None:
    """Add a feature's schema steps (same rules as STEPS: append, never edit). Call it before a
    Catalog is opened; registering the same steps again changes nothing."""
    known = _features.get(name)
    if known is not None and known != tuple(steps):
        raise ValueError(f"schema {name!r} is registered with other steps")
    _features[name] = tuple(steps)


def version_key(feature: str | None = None) -> str:
    """The ``meta`` key holding the engine's (None) or a feature's schema version."""
    return VERSION_KEY if feature is None else f"{VERSION_KEY}.{feature}"


def current_version(conn: Connection, key: str = VERSION_KEY) -> int:
    if not inspect(conn).has_table("meta"):
        return 0
    row = conn.execute(select(Meta.value).where(Meta.key == key)).scalar()
    return int(row) if row else 0


@dataclass(frozen=True)
class SchemaVersion:
    """One schema's version in a database and the version this sabi brings."""

    name: str  # "engine" or a registered feature
    current: int
    latest: int


def versions(conn: Connection) -> list[SchemaVersion]:
    """The engine's and every registered feature's schema version, changing nothing."""
    out = [SchemaVersion("engine", current_version(conn), LATEST)]
    for name, steps in _features.items():
        out.append(SchemaVersion(name, current_version(conn, version_key(name)), len(steps)))
    return out


def lock(conn: Connection) -> None:
    """Hold the schema lock until the transaction ends (PostgreSQL; SQLite's writer lock does
    the same there). Taking it again in the same transaction is a no-op."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY})


def upgrade(conn: Connection) -> int:
    """Apply the missing steps, the engine's then each registered feature's; returns the
    engine's version reached. On PostgreSQL a transaction-scoped advisory lock makes processes
    that open the catalogue at once upgrade one after another, not race to create tables."""
    lock(conn)
    reached = _upgrade(conn, version_key(), STEPS, "")
    for name, steps in _features.items():
        _upgrade(conn, version_key(name), steps, f" ({name} tables)")
    return reached


def _upgrade(conn: Connection, key: str, steps: Sequence[Step], what: str) -> int:
    version, latest = current_version(conn, key), len(steps)
    if version > latest:
        raise IndexMismatch(
            f"the database schema{what} is version {version}, newer than this sabi ({latest}): "
            "upgrade sabi"
        )
    for step in steps[version:]:
        step(conn)
    if version != latest:
        conn.execute(delete(Meta).where(Meta.key == key))
        conn.execute(insert(Meta).values(key=key, value=str(latest)))
    return latest
