"""measures, checks, subscriptions, feedback (owned by the measures domain)

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "measure_checks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("matter_code", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("caller", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=True),
        sa.Column("batch_id", sa.String(length=40), nullable=True),
        sa.Column("measure_codes", JSON, nullable=False),
        sa.Column("rewards", sa.Integer(), nullable=False),
        sa.Column("punishments", sa.Integer(), nullable=False),
        sa.Column("feedback_due_on", sa.Date(), nullable=True),
        sa.Column("receipt", JSON, nullable=False),
        sa.Column("answer", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_checks")),
    )
    op.create_index(op.f("ix_measure_checks_issued_at"), "measure_checks", ["issued_at"], unique=False)
    op.create_index(op.f("ix_measure_checks_subject_id"), "measure_checks", ["subject_id"], unique=False)
    op.create_index(op.f("ix_measure_checks_batch_id"), "measure_checks", ["batch_id"], unique=False)
    op.create_index(
        op.f("ix_measure_checks_feedback_due_on"), "measure_checks", ["feedback_due_on"], unique=False
    )
    op.create_index(
        "ix_measure_checks_department_issued",
        "measure_checks",
        ["department_code", "issued_at"],
        unique=False,
    )
    op.create_table(
        "measure_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.String(length=40), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("measure_code", sa.String(length=32), nullable=False),
        sa.Column("matter_code", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("document_number", sa.String(length=200), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("reported_by", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("typical", sa.Boolean(), nullable=False),
        sa.Column("typical_text", sa.Text(), nullable=True),
        sa.Column("typical_marked_by", sa.String(length=120), nullable=True),
        sa.Column("typical_marked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"], ["measure_checks.id"], name=op.f("fk_measure_feedback_check_id_measure_checks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_feedback")),
        sa.UniqueConstraint(
            "department_code",
            "measure_code",
            "subject_id",
            "document_number",
            name=op.f("uq_measure_feedback_department_code"),
        ),
    )
    op.create_index(op.f("ix_measure_feedback_check_id"), "measure_feedback", ["check_id"], unique=False)
    op.create_index(op.f("ix_measure_feedback_subject_id"), "measure_feedback", ["subject_id"], unique=False)
    op.create_index(op.f("ix_measure_feedback_typical"), "measure_feedback", ["typical"], unique=False)
    op.create_index(
        "ix_measure_feedback_department_measure",
        "measure_feedback",
        ["department_code", "measure_code"],
        unique=False,
    )
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("events", JSON, nullable=False),
        sa.Column("lists", JSON, nullable=True),
        sa.Column("items", JSON, nullable=True),
        sa.Column("grades", JSON, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
    )
    op.create_index(
        op.f("ix_push_subscriptions_department_code"), "push_subscriptions", ["department_code"], unique=False
    )
    op.create_index(op.f("ix_push_subscriptions_active"), "push_subscriptions", ["active"], unique=False)
    op.create_table(
        "push_deliveries",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("replays", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["push_subscriptions.id"],
            name=op.f("fk_push_deliveries_subscription_id_push_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_deliveries")),
        sa.UniqueConstraint("message_id", name=op.f("uq_push_deliveries_message_id")),
        sa.UniqueConstraint("subscription_id", "event_id", name=op.f("uq_push_deliveries_subscription_id")),
    )
    op.create_index(
        op.f("ix_push_deliveries_subscription_id"), "push_deliveries", ["subscription_id"], unique=False
    )
    op.create_index(
        "ix_push_deliveries_status_next", "push_deliveries", ["status", "next_attempt_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_push_deliveries_status_next", table_name="push_deliveries")
    op.drop_index(op.f("ix_push_deliveries_subscription_id"), table_name="push_deliveries")
    op.drop_table("push_deliveries")
    op.drop_index(op.f("ix_push_subscriptions_active"), table_name="push_subscriptions")
    op.drop_index(op.f("ix_push_subscriptions_department_code"), table_name="push_subscriptions")
    op.drop_table("push_subscriptions")
    op.drop_index("ix_measure_feedback_department_measure", table_name="measure_feedback")
    op.drop_index(op.f("ix_measure_feedback_typical"), table_name="measure_feedback")
    op.drop_index(op.f("ix_measure_feedback_subject_id"), table_name="measure_feedback")
    op.drop_index(op.f("ix_measure_feedback_check_id"), table_name="measure_feedback")
    op.drop_table("measure_feedback")
    op.drop_index("ix_measure_checks_department_issued", table_name="measure_checks")
    op.drop_index(op.f("ix_measure_checks_feedback_due_on"), table_name="measure_checks")
    op.drop_index(op.f("ix_measure_checks_batch_id"), table_name="measure_checks")
    op.drop_index(op.f("ix_measure_checks_subject_id"), table_name="measure_checks")
    op.drop_index(op.f("ix_measure_checks_issued_at"), table_name="measure_checks")
    op.drop_table("measure_checks")
