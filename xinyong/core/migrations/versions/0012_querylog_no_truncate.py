"""query log: TRUNCATE refused on PostgreSQL too (owned by the querylog domain)

Revision ID: 0012
Revises: 0011

Migration 0010's row triggers refuse UPDATE and DELETE of the query log, but PostgreSQL's
TRUNCATE fires no row trigger: a table owner could empty the log with one statement. A statement
trigger now refuses TRUNCATE of ``query_log`` and ``query_log_purges``. Only a session that sets
``xinyong.allow_truncate = 'on'`` (a test store being emptied between tests) passes; that, like
disabling the trigger, needs deliberate SQL by the tables' owner, and is no path of the
platform's code (docs/security.md). SQLite has no TRUNCATE: its ``DELETE`` without a WHERE clause
fires the row triggers of 0010 when triggers exist.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION query_log_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('xinyong.allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only (TRUNCATE refused)', TG_TABLE_NAME
        USING ERRCODE = 'raise_exception';
END
$$
"""
_TABLES = ("query_log", "query_log_purges")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_PG_FUNCTION)
    for table in _TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION query_log_no_truncate()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS query_log_no_truncate()")
