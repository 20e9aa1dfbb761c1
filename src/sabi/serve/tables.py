"""The server's own tables, in the catalogue's database so that every ``sabi serve`` process
on a library counts the same searches: anonymous usage per address, and per-minute request
counts per address.

They form the "serve" schema (registered with sabi.catalog.migrations.register_schema, like
the Bilibili feature's), made when a server first opens the catalogue.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Connection, DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sabi.catalog.migrations import register_schema

SCHEMA = "serve"


class Base(DeclarativeBase):
    """The server's own tables, apart from the catalogue's."""


class AnonUsage(Base):
    """One search made without a key, for its address's rolling 24-hour quota."""

    __tablename__ = "anon_usage"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


class RateWindow(Base):
    """Requests from one address (IP bucket) in the current clock minute: one row an address,
    updated in place, so the per-minute limit holds across every server process."""

    __tablename__ = "rate_windows"
    # SQLite: the row lives in its primary key's B-tree, so a request rewrites one page, not
    # a table row and an index entry (no index on minute either: only the rare clean-up reads it)
    __table_args__ = {"sqlite_with_rowid": False}
    bucket: Mapped[str] = mapped_column(String(64), primary_key=True)
    minute: Mapped[int] = mapped_column(BigInteger)  # unix time of its start
    hits: Mapped[int] = mapped_column(Integer)


def _create(conn: Connection, table: type[Base]) -> None:
    Base.metadata.create_all(conn, tables=[Base.metadata.tables[table.__tablename__]])


def _v1_anon_usage(conn: Connection) -> None:
    _create(conn, AnonUsage)


def _v2_rate_windows(conn: Connection) -> None:
    """The per-minute limit moved from process memory to the database (API replicas)."""
    _create(conn, RateWindow)


#: The server's schema steps (append, never edit: see sabi.catalog.migrations).
SCHEMA_STEPS = [_v1_anon_usage, _v2_rate_windows]
# Registered on import: every process that counts searches imports this module (via
# sabi.serve.keys) before it opens the catalogue (ServerState, `sabi keys`).
register_schema(SCHEMA, SCHEMA_STEPS)
