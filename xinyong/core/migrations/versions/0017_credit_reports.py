"""credit reports: the report register, third-party authorisations, report uses

Revision ID: 0017
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONType = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "report_authorisations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), nullable=False),
        sa.Column("grantee_department", sa.String(64), nullable=True),
        sa.Column("grantee_username", sa.String(120), nullable=True),
        sa.Column("kinds", JSONType, nullable=False),
        sa.Column("field", sa.String(32), nullable=True),
        sa.Column("purpose_zh", sa.String(200), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
    )
    op.create_index("ix_report_authorisations_subject_id", "report_authorisations", ["subject_id"])
    op.create_index(
        "ix_report_authorisations_grantee_department", "report_authorisations", ["grantee_department"]
    )
    op.create_index(
        "ix_report_authorisations_grantee_username", "report_authorisations", ["grantee_username"]
    )
    op.create_table(
        "credit_reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("check_code", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("field", sa.String(32), nullable=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), nullable=False),
        sa.Column("subject_name", sa.String(200), nullable=False),
        sa.Column("subject_code", sa.String(64), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=True),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("issued_by", sa.String(120), nullable=False),
        sa.Column("issued_role", sa.String(20), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("authorisation_id", sa.Integer(), sa.ForeignKey("report_authorisations.id"), nullable=True),
        sa.Column("counts", JSONType, nullable=False),
        sa.Column("found", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("query_log_id", sa.Integer(), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
    )
    op.create_index("ix_credit_reports_subject_id", "credit_reports", ["subject_id"])
    op.create_index("ix_credit_reports_issued_at", "credit_reports", ["issued_at"])
    op.create_index("ix_credit_reports_sha256", "credit_reports", ["sha256"])
    op.create_table(
        "report_uses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("credit_reports.id"), nullable=False),
        sa.Column("matter", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(200), nullable=False),
        sa.Column("used_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_report_uses_report_id", "report_uses", ["report_id"])


def downgrade() -> None:
    op.drop_table("report_uses")
    op.drop_table("credit_reports")
    op.drop_table("report_authorisations")
