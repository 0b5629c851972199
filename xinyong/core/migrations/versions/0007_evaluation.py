"""evaluation models, runs and results (owned by the evaluation domain)

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "evaluation_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("content", JSON, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("source_file", sa.String(length=300), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_models")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_evaluation_models_code")),
    )
    op.create_index(op.f("ix_evaluation_models_code"), "evaluation_models", ["code"], unique=False)
    op.create_table(
        "evaluation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("model_code", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("snapshot_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("grade_counts", JSON, nullable=False),
        sa.Column("results_digest", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"], ["evaluation_models.id"], name=op.f("fk_evaluation_runs_model_id_evaluation_models")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_runs")),
    )
    op.create_index(op.f("ix_evaluation_runs_model_id"), "evaluation_runs", ["model_id"], unique=False)
    op.create_index(op.f("ix_evaluation_runs_model_code"), "evaluation_runs", ["model_code"], unique=False)
    op.create_index(op.f("ix_evaluation_runs_kind"), "evaluation_runs", ["kind"], unique=False)
    op.create_table(
        "evaluation_results",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("score_grade", sa.String(length=8), nullable=False),
        sa.Column("veto", sa.String(length=64), nullable=True),
        sa.Column("cap", sa.String(length=64), nullable=True),
        sa.Column("dimensions", JSON, nullable=False),
        sa.Column("points", JSON, nullable=False),
        sa.Column("features", JSON, nullable=False),
        sa.Column("cites", JSON, nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["evaluation_runs.id"], name=op.f("fk_evaluation_results_run_id_evaluation_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_results")),
    )
    op.create_index(op.f("ix_evaluation_results_run_id"), "evaluation_results", ["run_id"], unique=False)
    op.create_index(
        "ix_evaluation_results_subject_run", "evaluation_results", ["subject_id", "run_id"], unique=False
    )
    # The subject's current grade on its credit state row (written only by the evaluation step).
    with op.batch_alter_table("credit_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grade", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("score", sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column("model_code", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("model_version", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_credit_states_grade"), ["grade"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credit_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_states_grade"))
        batch_op.drop_column("evaluated_at")
        batch_op.drop_column("model_version")
        batch_op.drop_column("model_code")
        batch_op.drop_column("score")
        batch_op.drop_column("grade")
    op.drop_index("ix_evaluation_results_subject_run", table_name="evaluation_results")
    op.drop_index(op.f("ix_evaluation_results_run_id"), table_name="evaluation_results")
    op.drop_table("evaluation_results")
    op.drop_index(op.f("ix_evaluation_runs_kind"), table_name="evaluation_runs")
    op.drop_index(op.f("ix_evaluation_runs_model_code"), table_name="evaluation_runs")
    op.drop_index(op.f("ix_evaluation_runs_model_id"), table_name="evaluation_runs")
    op.drop_table("evaluation_runs")
    op.drop_index(op.f("ix_evaluation_models_code"), table_name="evaluation_models")
    op.drop_table("evaluation_models")
