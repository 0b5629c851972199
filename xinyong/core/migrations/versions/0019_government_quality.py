"""government integrity and data quality: public bodies, default notices, quality scorecards

Revision ID: 0019
Revises: 0017

``government_bodies`` registers the 机关 and 事业单位 among the subjects with their superiors;
``government_notices`` keeps each 通报 of a body's or an official's default (one per record and
subject); ``quality_scorecards`` keeps each department's monthly data-quality scorecard.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "government_bodies",
        sa.Column(
            "subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), primary_key=True, autoincrement=False
        ),
        sa.Column("body_type", sa.String(16), nullable=False),
        sa.Column("department_code", sa.String(64), nullable=True),
        sa.Column("superior_name", sa.String(200), nullable=False),
        sa.Column("superior_department_code", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_government_bodies_department_code", "government_bodies", ["department_code"])
    op.create_table(
        "government_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("body_subject_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("document_number", sa.String(200), nullable=False),
        sa.Column("recipients", JSONType, nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("record_id", "subject_id"),
    )
    op.create_index("ix_government_notices_subject_id", "government_notices", ["subject_id"])
    op.create_index("ix_government_notices_body_subject_id", "government_notices", ["body_subject_id"])
    op.create_index("ix_government_notices_created_at", "government_notices", ["created_at"])
    op.create_table(
        "quality_scorecards",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("provider_code", sa.String(32), nullable=False),
        sa.Column("provider_name", sa.String(200), nullable=False),
        sa.Column("score", sa.Numeric(6, 2), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("rules_version", sa.String(32), nullable=False),
        sa.Column("metrics", JSONType, nullable=False),
        sa.Column("items", JSONType, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("month", "provider_code"),
    )
    op.create_index("ix_quality_scorecards_month", "quality_scorecards", ["month"])


def downgrade() -> None:
    op.drop_table("quality_scorecards")
    op.drop_table("government_notices")
    op.drop_table("government_bodies")
