"""subject search indexes and governance (owned by the subjects domain)

Search by any 2+ character fragment of a current or former name:
- SQLite: an FTS5 table with the ``trigram`` tokenizer over ``subject_names`` (external
  content), kept in sync by triggers so bulk inserts that bypass the service stay searchable.
  NOTE: a batch (copy-and-move) ALTER of ``subject_names`` drops these triggers; recreate them
  in the same migration if that table is ever rebuilt.
- PostgreSQL: ``pg_trgm`` GIN indexes on names and on USCCs (code-prefix search).

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_UP = [
    "CREATE VIRTUAL TABLE subject_names_fts USING fts5("
    "name, content='subject_names', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER subject_names_fts_ai AFTER INSERT ON subject_names BEGIN "
    "INSERT INTO subject_names_fts(rowid, name) VALUES (new.id, new.name); END",
    "CREATE TRIGGER subject_names_fts_ad AFTER DELETE ON subject_names BEGIN "
    "INSERT INTO subject_names_fts(subject_names_fts, rowid, name) VALUES ('delete', old.id, old.name); END",
    "CREATE TRIGGER subject_names_fts_au AFTER UPDATE OF name ON subject_names BEGIN "
    "INSERT INTO subject_names_fts(subject_names_fts, rowid, name) VALUES ('delete', old.id, old.name); "
    "INSERT INTO subject_names_fts(rowid, name) VALUES (new.id, new.name); END",
    "INSERT INTO subject_names_fts(subject_names_fts) VALUES ('rebuild')",
]

_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS subject_names_fts_au",
    "DROP TRIGGER IF EXISTS subject_names_fts_ad",
    "DROP TRIGGER IF EXISTS subject_names_fts_ai",
    "DROP TABLE IF EXISTS subject_names_fts",
]


def upgrade() -> None:
    with op.batch_alter_table("governance_cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "details",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                server_default=sa.text("'{}'"),
                nullable=False,
            )
        )

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for stmt in _SQLITE_UP:
            op.execute(stmt)
    elif bind.dialect.name == "postgresql":
        # The extension is database-wide: install it once in public (never in a per-run schema,
        # which would take it away from every other schema when dropped). The advisory lock
        # stops two concurrent migrations racing on CREATE EXTENSION.
        op.execute("SELECT pg_advisory_xact_lock(hashtext('xinyong.pg_trgm'))")
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
        ext_schema = bind.execute(
            sa.text(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                "WHERE e.extname = 'pg_trgm'"
            )
        ).scalar_one()
        ops = f'"{ext_schema}".gin_trgm_ops'
        op.execute(f"CREATE INDEX ix_subject_names_name_trgm ON subject_names USING gin (name {ops})")
        op.execute(f"CREATE INDEX ix_subjects_uscc_trgm ON subjects USING gin (uscc {ops})")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for stmt in _SQLITE_DOWN:
            op.execute(stmt)
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_subjects_uscc_trgm")
        op.execute("DROP INDEX IF EXISTS ix_subject_names_name_trgm")
    with op.batch_alter_table("governance_cases", schema=None) as batch_op:
        batch_op.drop_column("details")
