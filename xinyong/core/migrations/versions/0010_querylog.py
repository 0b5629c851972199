"""query log and purposes (owned by the querylog domain)

Revision ID: 0010
Revises: 0009

The query log is append-only: triggers on both stores refuse UPDATE of ``query_log`` and
``query_log_purges`` and DELETE of ``query_log_purges``; a DELETE of a ``query_log`` row is accepted
only when the row is older than the cutoff of a recorded purge (``xinyong.querylog.service.purge``).
TRUNCATE (PostgreSQL) is not a row operation: migration 0012 refuses it; see docs/security.md.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONType = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
BigIntKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER query_log_no_update BEFORE UPDATE ON query_log BEGIN "
    "SELECT RAISE(ABORT, 'query_log is append-only'); END",
    "CREATE TRIGGER query_log_no_delete BEFORE DELETE ON query_log "
    "WHEN OLD.logged_at >= COALESCE((SELECT MAX(cutoff) FROM query_log_purges), '') BEGIN "
    "SELECT RAISE(ABORT, 'query_log entries are removed only by the retention purge'); END",
    "CREATE TRIGGER query_log_purges_no_update BEFORE UPDATE ON query_log_purges BEGIN "
    "SELECT RAISE(ABORT, 'query_log_purges is append-only'); END",
    "CREATE TRIGGER query_log_purges_no_delete BEFORE DELETE ON query_log_purges BEGIN "
    "SELECT RAISE(ABORT, 'query_log_purges is append-only'); END",
)
_SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS query_log_purges_no_delete",
    "DROP TRIGGER IF EXISTS query_log_purges_no_update",
    "DROP TRIGGER IF EXISTS query_log_no_delete",
    "DROP TRIGGER IF EXISTS query_log_no_update",
)

# The purge table is looked up in the schema of the table that fired the trigger, so the guard
# works whatever the search_path.
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION query_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    cut timestamptz;
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'query_log' THEN
        EXECUTE format('SELECT max(cutoff) FROM %I.query_log_purges', TG_TABLE_SCHEMA) INTO cut;
        IF cut IS NOT NULL AND OLD.logged_at < cut THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'query_log entries are removed only by the retention purge'
            USING ERRCODE = 'raise_exception';
    END IF;
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'raise_exception';
END
$$
"""
_PG_TRIGGERS = (
    "CREATE TRIGGER query_log_append_only BEFORE UPDATE OR DELETE ON query_log "
    "FOR EACH ROW EXECUTE FUNCTION query_log_append_only()",
    "CREATE TRIGGER query_log_purges_append_only BEFORE UPDATE OR DELETE ON query_log_purges "
    "FOR EACH ROW EXECUTE FUNCTION query_log_append_only()",
)
_PG_DROP = (
    "DROP TRIGGER IF EXISTS query_log_purges_append_only ON query_log_purges",
    "DROP TRIGGER IF EXISTS query_log_append_only ON query_log",
    "DROP FUNCTION IF EXISTS query_log_append_only()",
)


def upgrade() -> None:
    op.create_table(
        "query_log",
        sa.Column("id", BigIntKey, nullable=False),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("items", JSONType, nullable=False),
        sa.Column("result_count", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_query_log")),
    )
    with op.batch_alter_table("query_log", schema=None) as batch_op:
        batch_op.create_index("ix_query_log_actor_logged_at", ["actor", "logged_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_query_log_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_query_log_logged_at"), ["logged_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_query_log_purpose"), ["purpose"], unique=False)
        batch_op.create_index(batch_op.f("ix_query_log_subject_id"), ["subject_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_query_log_user_id"), ["user_id"], unique=False)

    op.create_table(
        "query_log_purges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retention_years", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_query_log_purges")),
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for stmt in _PG_TRIGGERS:
            op.execute(stmt)
    else:
        for stmt in _SQLITE_TRIGGERS:
            op.execute(stmt)


def downgrade() -> None:
    for stmt in _PG_DROP if op.get_bind().dialect.name == "postgresql" else _SQLITE_DROP:
        op.execute(stmt)
    op.drop_table("query_log_purges")
    with op.batch_alter_table("query_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_query_log_user_id"))
        batch_op.drop_index(batch_op.f("ix_query_log_subject_id"))
        batch_op.drop_index(batch_op.f("ix_query_log_purpose"))
        batch_op.drop_index(batch_op.f("ix_query_log_logged_at"))
        batch_op.drop_index(batch_op.f("ix_query_log_department_id"))
        batch_op.drop_index("ix_query_log_actor_logged_at")
    op.drop_table("query_log")
