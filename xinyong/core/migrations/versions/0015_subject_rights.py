"""subject rights: casework (steps, deadlines, attachments, letters, lookup codes), objections
and credit repairs

Revision ID: 0015
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "case_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_attachments")),
    )
    op.create_index(op.f("ix_case_attachments_case_id"), "case_attachments", ["case_id"], unique=False)
    op.create_table(
        "case_deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("escalated_on", sa.Date(), nullable=True),
        sa.Column("calendar_basis", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_deadlines")),
        sa.UniqueConstraint("kind", "case_id", "step", name=op.f("uq_case_deadlines_kind")),
    )
    op.create_index(op.f("ix_case_deadlines_due_date"), "case_deadlines", ["due_date"], unique=False)
    op.create_index(op.f("ix_case_deadlines_kind"), "case_deadlines", ["kind"], unique=False)
    op.create_table(
        "case_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("letter", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_letters")),
        sa.UniqueConstraint("number", name=op.f("uq_case_letters_number")),
    )
    op.create_index(op.f("ix_case_letters_case_id"), "case_letters", ["case_id"], unique=False)
    op.create_table(
        "case_lookups",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_case_lookups")),
        sa.UniqueConstraint("kind", "case_id", name=op.f("uq_case_lookups_kind")),
    )
    op.create_table(
        "case_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_steps")),
        sa.UniqueConstraint("kind", "case_id", "seq", name=op.f("uq_case_steps_kind")),
    )
    op.create_table(
        "objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("provider_code", sa.String(length=32), nullable=False),
        sa.Column("ground", sa.String(length=32), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("schedule", sa.String(length=32), nullable=False),
        sa.Column("schedule_from", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("filed_by", sa.String(length=100), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("compare_result", sa.String(length=16), nullable=True),
        sa.Column("compared_on", sa.Date(), nullable=True),
        sa.Column("referred_on", sa.Date(), nullable=True),
        sa.Column("reply_result", sa.String(length=16), nullable=True),
        sa.Column("replied_on", sa.Date(), nullable=True),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("disclosure_suspended", sa.Boolean(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("corrected_version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], name=op.f("fk_objections_record_id_records")),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_objections_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
    )
    op.create_index(op.f("ix_objections_provider_code"), "objections", ["provider_code"], unique=False)
    op.create_index(op.f("ix_objections_received_on"), "objections", ["received_on"], unique=False)
    op.create_index(op.f("ix_objections_record_id"), "objections", ["record_id"], unique=False)
    op.create_index(op.f("ix_objections_status"), "objections", ["status"], unique=False)
    op.create_index(op.f("ix_objections_subject_id"), "objections", ["subject_id"], unique=False)
    op.create_table(
        "repairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("list_procedure_id", sa.Integer(), nullable=True),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("department_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("schedule", sa.String(length=32), nullable=False),
        sa.Column("schedule_from", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("filed_by", sa.String(length=100), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("materials", JSON, nullable=False),
        sa.Column("commitment_text", sa.Text(), nullable=False),
        sa.Column("commitment_signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decision_number", sa.String(length=100), nullable=True),
        sa.Column("applied_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_procedure_id"],
            ["list_procedures.id"],
            name=op.f("fk_repairs_list_procedure_id_list_procedures"),
        ),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], name=op.f("fk_repairs_record_id_records")),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_repairs_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repairs")),
    )
    op.create_index(op.f("ix_repairs_applied_on"), "repairs", ["applied_on"], unique=False)
    op.create_index(op.f("ix_repairs_department_code"), "repairs", ["department_code"], unique=False)
    op.create_index(op.f("ix_repairs_list_procedure_id"), "repairs", ["list_procedure_id"], unique=False)
    op.create_index(op.f("ix_repairs_received_on"), "repairs", ["received_on"], unique=False)
    op.create_index(op.f("ix_repairs_record_id"), "repairs", ["record_id"], unique=False)
    op.create_index(op.f("ix_repairs_status"), "repairs", ["status"], unique=False)
    op.create_index(op.f("ix_repairs_subject_id"), "repairs", ["subject_id"], unique=False)
    op.add_column("record_versions", sa.Column("reason", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("record_versions", "reason")
    op.drop_index(op.f("ix_repairs_subject_id"), table_name="repairs")
    op.drop_index(op.f("ix_repairs_status"), table_name="repairs")
    op.drop_index(op.f("ix_repairs_record_id"), table_name="repairs")
    op.drop_index(op.f("ix_repairs_received_on"), table_name="repairs")
    op.drop_index(op.f("ix_repairs_list_procedure_id"), table_name="repairs")
    op.drop_index(op.f("ix_repairs_department_code"), table_name="repairs")
    op.drop_index(op.f("ix_repairs_applied_on"), table_name="repairs")
    op.drop_table("repairs")
    op.drop_index(op.f("ix_objections_subject_id"), table_name="objections")
    op.drop_index(op.f("ix_objections_status"), table_name="objections")
    op.drop_index(op.f("ix_objections_record_id"), table_name="objections")
    op.drop_index(op.f("ix_objections_received_on"), table_name="objections")
    op.drop_index(op.f("ix_objections_provider_code"), table_name="objections")
    op.drop_table("objections")
    op.drop_table("case_steps")
    op.drop_table("case_lookups")
    op.drop_index(op.f("ix_case_letters_case_id"), table_name="case_letters")
    op.drop_table("case_letters")
    op.drop_index(op.f("ix_case_deadlines_kind"), table_name="case_deadlines")
    op.drop_index(op.f("ix_case_deadlines_due_date"), table_name="case_deadlines")
    op.drop_table("case_deadlines")
    op.drop_index(op.f("ix_case_attachments_case_id"), table_name="case_attachments")
    op.drop_table("case_attachments")
