"""Alembic environment: one migration set for SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from xinyong.core.db import make_engine
from xinyong.registry import metadata  # the assembly of every domain's tables (the one upward import of core)

config = context.config


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = make_engine(url=config.get_main_option("sqlalchemy.url") or None)
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connectable)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    schema = config.attributes.get("schema")
    if schema and connection.dialect.name == "postgresql":
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        connection.execute(text(f'SET search_path TO "{schema}", public'))
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
