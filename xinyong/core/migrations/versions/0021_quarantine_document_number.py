"""one open quarantine entry per document: quarantine rows carry their document number

Revision ID: 0021
Revises: 0018

A rejected row sent again (a file resent, a corrected row rejected again) used to add a second
open quarantine row, and a row accepted later left the old one open. Quarantine rows now carry the
row's document number (决定文书号), so a later submission of the same provider and catalog item
supersedes the open entry it repeats, or resolves it when it accepts the row. Existing rows get
the number their submission recorded for them (``submission_rows``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quarantine_rows") as batch:
        batch.add_column(sa.Column("document_number", sa.String(200), nullable=True))
    op.create_index(
        "ix_quarantine_rows_document",
        "quarantine_rows",
        ["provider_id", "item_code", "document_number", "status"],
    )
    op.execute(
        "UPDATE quarantine_rows SET document_number = ("
        "SELECT sr.document_number FROM submission_rows sr "
        "WHERE sr.submission_id = quarantine_rows.submission_id "
        "AND sr.row_number = quarantine_rows.row_number)"
    )


def downgrade() -> None:
    op.drop_index("ix_quarantine_rows_document", table_name="quarantine_rows")
    with op.batch_alter_table("quarantine_rows") as batch:
        batch.drop_column("document_number")
