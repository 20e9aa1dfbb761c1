"""Schema versions, applied in order. Alembic's job in a form small enough to read at once:
each step takes a connection and moves the schema one version forward; the version reached is
stored in the ``meta`` table. Add a function to STEPS to change the schema; never edit one."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, inspect, select

from sabi.acquire.bilibili import models as bilibili_models
from sabi.catalog.models import ApiKey, ApiUsage, Base, Cut, Meta
from sabi.errors import IndexMismatch


def _v1_initial(conn: Connection) -> None:
    Base.metadata.create_all(conn)


def _v2_serve(conn: Connection) -> None:
    """Shot changes (for preview clips) and HTTP API keys with their usage."""
    Base.metadata.create_all(conn, tables=[Cut.__table__, ApiKey.__table__, ApiUsage.__table__])


def _v3_bilibili(conn: Connection) -> None:
    Base.metadata.create_all(conn, tables=[bilibili_models.BiliEpisode.__table__])


STEPS: list[Callable[[Connection], None]] = [_v1_initial, _v2_serve, _v3_bilibili]
LATEST = len(STEPS)


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("meta"):
        return 0
    row = conn.execute(select(Meta.value).where(Meta.key == "schema_version")).scalar()
    return int(row) if row else 0


def upgrade(conn: Connection) -> int:
    """Apply the missing steps; returns the version reached."""
    version = current_version(conn)
    if version > LATEST:
        raise IndexMismatch(
            f"the database schema is version {version}, newer than this sabi ({LATEST}): upgrade sabi"
        )
    for step in STEPS[version:]:
        step(conn)
    if version != LATEST:
        conn.execute(Meta.__table__.delete().where(Meta.key == "schema_version"))
        conn.execute(Meta.__table__.insert().values(key="schema_version", value=str(LATEST)))
    return LATEST
