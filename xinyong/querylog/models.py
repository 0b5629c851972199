"""Query log tables. Append-only: the platform has no code path that updates or deletes an entry,
and triggers on SQLite and PostgreSQL refuse UPDATE and DELETE (migration 0010). The one exception
is the retention purge: a DELETE is accepted only for entries older than the cutoff of a recorded
purge (``query_log_purges``), which is itself append-only and written to the ledger.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.core.db import Base, JSONType, utcnow

# Integer on SQLite so the primary key is the rowid alias; BIGINT elsewhere.
BigIntKey = BigInteger().with_variant(Integer(), "sqlite")


class QueryLogEntry(Base):
    """One read of non-public information or one check answer (查询记录)."""

    __tablename__ = "query_log"
    __table_args__ = (Index("ix_query_log_actor_logged_at", "actor", "logged_at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    logged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # Who: Principal.label ("user:zhangsan", "key:xy_3f2a", "cli:<os user>") and its parts.
    actor: Mapped[str] = mapped_column(String(120))
    actor_kind: Mapped[str] = mapped_column(String(16))  # user | api_key | cli | anonymous
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(Integer, index=True)
    organisation: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(32))
    # Why: a purpose code of rulesets/<name>/purposes.yaml.
    purpose: Mapped[str] = mapped_column(String(64), index=True)
    # About whom (subjects.id; None for a read that names no single subject).
    subject_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # What: the action ("records.list", "record.view", "subject.view", "check", "query_log.export" ...),
    # the catalog item codes returned, how many rows, and a reference (record:12, check:7 ...).
    action: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))  # api | portal | cli
    items: Mapped[list[str]] = mapped_column(JSONType, default=list)
    result_count: Mapped[int] = mapped_column(Integer, default=0)
    reference: Mapped[str | None] = mapped_column(String(200))
    # From where.
    client_ip: Mapped[str | None] = mapped_column(String(64))


class QueryLogPurge(Base):
    """One retention purge: entries older than ``cutoff`` were removed. Append-only too."""

    __tablename__ = "query_log_purges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cutoff: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retention_years: Mapped[int] = mapped_column(Integer)
    removed: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
