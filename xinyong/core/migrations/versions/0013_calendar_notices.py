"""working days past the last notice: loaded notices, and the calendar basis of stored dates

Revision ID: 0013
Revises: 0012

``calendar_notices`` keeps the State Council holiday notices loaded by staff. A date computed on
a year without a notice (a provisional year, 按法定节假日推算) is marked by a ``calendar_basis``
column where it is stored, so the daily job can recompute it once the notice is loaded.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_notices",
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("holidays", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("workdays", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("loaded_by", sa.String(120), nullable=False, server_default=""),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    for table in ("list_procedures", "submission_rows"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("calendar_basis", sa.String(16), nullable=True))
    with op.batch_alter_table("measure_checks") as batch:
        batch.add_column(sa.Column("feedback_due_basis", sa.String(16), nullable=True))
    op.create_index("ix_list_procedures_calendar_basis", "list_procedures", ["calendar_basis"])
    op.create_index("ix_submission_rows_calendar_basis", "submission_rows", ["calendar_basis"])
    op.create_index("ix_measure_checks_feedback_due_basis", "measure_checks", ["feedback_due_basis"])


def downgrade() -> None:
    op.drop_index("ix_measure_checks_feedback_due_basis", "measure_checks")
    op.drop_index("ix_submission_rows_calendar_basis", "submission_rows")
    op.drop_index("ix_list_procedures_calendar_basis", "list_procedures")
    with op.batch_alter_table("measure_checks") as batch:
        batch.drop_column("feedback_due_basis")
    for table in ("list_procedures", "submission_rows"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("calendar_basis")
    op.drop_table("calendar_notices")
