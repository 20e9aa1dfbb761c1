"""SQL tables for what the vectors mean: shows, episodes, and facts about the index."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Key/value facts: schema version, the descriptor the index was built with."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Show(Base):
    __tablename__ = "shows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(512), unique=True)
    tag: Mapped[str | None] = mapped_column(String(128), index=True)
    episodes: Mapped[list[Episode]] = relationship(back_populates="show", cascade="all")


class Episode(Base):
    """One video file. ``status`` is 'indexing' until its vectors are durable, then 'indexed'."""

    __tablename__ = "episodes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"), index=True)
    number: Mapped[float | None] = mapped_column(Float)
    path: Mapped[str] = mapped_column(String(4096), unique=True)
    filename: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int] = mapped_column(BigInteger)
    mtime: Mapped[float] = mapped_column(Float)
    fingerprint: Mapped[str] = mapped_column(String(64))
    duration: Mapped[float] = mapped_column(Float, default=0.0)
    fps: Mapped[float] = mapped_column(Float, default=0.0)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    frames_sampled: Mapped[int] = mapped_column(Integer, default=0)
    frame_count: Mapped[int] = mapped_column(Integer, default=0)
    descriptor: Mapped[str] = mapped_column(String(256), default="")
    status: Mapped[str] = mapped_column(String(16), default="indexing", index=True)
    error: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(1024))
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)
    show: Mapped[Show] = relationship(back_populates="episodes")


class Cut(Base):
    """A shot change in an episode: the first sampled frame of a new shot (seconds)."""

    __tablename__ = "cuts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episodes.id", ondelete="CASCADE"), index=True
    )
    time: Mapped[float] = mapped_column(Float)


class Sample(Base):
    """A sampled frame's grey thumbnail (``sabi.prepare.thumbs``), dropped near-duplicates
    included: it places a query's moment among the samples one kept vector stands for."""

    __tablename__ = "samples"
    __table_args__ = (Index("ix_samples_episode_time", "episode_id", "time"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"))
    time: Mapped[float] = mapped_column(Float)
    thumb: Mapped[bytes] = mapped_column(LargeBinary)


class ApiKey(Base):
    """An HTTP API key. Only a hash of the key is kept; the key itself is shown once."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    quota: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    revoked: Mapped[bool] = mapped_column(default=False)


class ApiUsage(Base):
    """One search made with a key, for its rolling 24-hour quota."""

    __tablename__ = "api_usage"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=_now, index=True)
