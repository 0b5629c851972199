"""ingest throughput (owned by the ingest work): one index added, three redundant ones dropped

Revision ID: 0011
Revises: 0010

* ``subject_names.name``: a provisional subject lists the live subjects using the same name as
  merge candidates; without an index that lookup reads every name, once per batch of new codes.
* Dropped, because a composite index with the same leading column already serves every lookup
  they served (and each index costs a B-tree insert per row): ``records.provider_id`` (the
  unique key provider_id, item_code, document_number), ``record_versions.record_id`` (the
  unique key record_id, version), ``submission_rows.submission_id`` (the index submission_id,
  row_number).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_subject_names_name", "subject_names", ["name"], unique=False)
    op.drop_index("ix_records_provider_id", table_name="records")
    op.drop_index("ix_record_versions_record_id", table_name="record_versions")
    op.drop_index("ix_submission_rows_submission_id", table_name="submission_rows")


def downgrade() -> None:
    op.create_index("ix_submission_rows_submission_id", "submission_rows", ["submission_id"], unique=False)
    op.create_index("ix_record_versions_record_id", "record_versions", ["record_id"], unique=False)
    op.create_index("ix_records_provider_id", "records", ["provider_id"], unique=False)
    op.drop_index("ix_subject_names_name", table_name="subject_names")
