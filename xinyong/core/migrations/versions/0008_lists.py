"""red/watch/black lists and procedures (owned by the lists domain)

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "list_procedures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_type", sa.String(length=64), nullable=False),
        sa.Column("list_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("criterion", sa.String(length=64), nullable=True),
        sa.Column("basis_record_id", sa.Integer(), nullable=True),
        sa.Column("source_procedure_id", sa.Integer(), nullable=True),
        sa.Column("dedup_key", sa.String(length=200), nullable=True),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("department_name", sa.String(length=200), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("deadlines_from", sa.Date(), nullable=True),
        sa.Column("duration_from", sa.Date(), nullable=True),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("proposed_by", sa.String(length=100), nullable=False),
        sa.Column("notice_due", sa.Date(), nullable=True),
        sa.Column("noticed_on", sa.Date(), nullable=True),
        sa.Column("statement_due", sa.Date(), nullable=True),
        sa.Column("statement_on", sa.Date(), nullable=True),
        sa.Column("decision_due", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decision_document", sa.String(length=200), nullable=True),
        sa.Column("publication_due", sa.Date(), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("min_end", sa.Date(), nullable=True),
        sa.Column("rectification_due", sa.Date(), nullable=True),
        sa.Column("rectified_on", sa.Date(), nullable=True),
        sa.Column("interview_due", sa.Date(), nullable=True),
        sa.Column("last_interview_on", sa.Date(), nullable=True),
        sa.Column("interview_count", sa.Integer(), nullable=False),
        sa.Column("exited_on", sa.Date(), nullable=True),
        sa.Column("exit_reason", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["basis_record_id"], ["records.id"], name=op.f("fk_list_procedures_basis_record_id_records")
        ),
        sa.ForeignKeyConstraint(
            ["source_procedure_id"],
            ["list_procedures.id"],
            name=op.f("fk_list_procedures_source_procedure_id_list_procedures"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_list_procedures_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_procedures")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_list_procedures_dedup_key")),
    )
    op.create_index(op.f("ix_list_procedures_list_type"), "list_procedures", ["list_type"], unique=False)
    op.create_index(op.f("ix_list_procedures_list_kind"), "list_procedures", ["list_kind"], unique=False)
    op.create_index(op.f("ix_list_procedures_subject_id"), "list_procedures", ["subject_id"], unique=False)
    op.create_index(op.f("ix_list_procedures_status"), "list_procedures", ["status"], unique=False)
    op.create_index(
        op.f("ix_list_procedures_basis_record_id"), "list_procedures", ["basis_record_id"], unique=False
    )
    op.create_index(
        op.f("ix_list_procedures_department_code"), "list_procedures", ["department_code"], unique=False
    )
    op.create_index(op.f("ix_list_procedures_ends_on"), "list_procedures", ["ends_on"], unique=False)
    op.create_table(
        "list_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("document_number", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"], ["list_procedures.id"], name=op.f("fk_list_steps_procedure_id_list_procedures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_steps")),
        sa.UniqueConstraint("procedure_id", "seq", name=op.f("uq_list_steps_procedure_id")),
    )
    op.create_index(op.f("ix_list_steps_procedure_id"), "list_steps", ["procedure_id"], unique=False)
    op.create_table(
        "list_liable_persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["list_procedures.id"],
            name=op.f("fk_list_liable_persons_procedure_id_list_procedures"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_list_liable_persons_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_liable_persons")),
    )
    op.create_index(
        op.f("ix_list_liable_persons_procedure_id"), "list_liable_persons", ["procedure_id"], unique=False
    )
    op.create_index(
        op.f("ix_list_liable_persons_subject_id"), "list_liable_persons", ["subject_id"], unique=False
    )
    # The subject's current list memberships on its credit state row (written only by the lists
    # consumer).
    with op.batch_alter_table("credit_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lists", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credit_states", schema=None) as batch_op:
        batch_op.drop_column("lists")
    op.drop_index(op.f("ix_list_liable_persons_subject_id"), table_name="list_liable_persons")
    op.drop_index(op.f("ix_list_liable_persons_procedure_id"), table_name="list_liable_persons")
    op.drop_table("list_liable_persons")
    op.drop_index(op.f("ix_list_steps_procedure_id"), table_name="list_steps")
    op.drop_table("list_steps")
    op.drop_index(op.f("ix_list_procedures_ends_on"), table_name="list_procedures")
    op.drop_index(op.f("ix_list_procedures_department_code"), table_name="list_procedures")
    op.drop_index(op.f("ix_list_procedures_basis_record_id"), table_name="list_procedures")
    op.drop_index(op.f("ix_list_procedures_status"), table_name="list_procedures")
    op.drop_index(op.f("ix_list_procedures_subject_id"), table_name="list_procedures")
    op.drop_index(op.f("ix_list_procedures_list_kind"), table_name="list_procedures")
    op.drop_index(op.f("ix_list_procedures_list_type"), table_name="list_procedures")
    op.drop_table("list_procedures")
