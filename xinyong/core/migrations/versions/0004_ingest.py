"""ingest changes (owned by the ingest domain)

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Submission-level warnings (ignored unknown headers): kept so the response can list them later.
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "warnings",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                nullable=False,
                server_default=sa.text("'[]'"),
            )
        )
    # Per-row results are read page by page in row order.
    with op.batch_alter_table("submission_rows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_submission_rows_submission_row", ["submission_id", "row_number"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("submission_rows", schema=None) as batch_op:
        batch_op.drop_index("ix_submission_rows_submission_row")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("warnings")
