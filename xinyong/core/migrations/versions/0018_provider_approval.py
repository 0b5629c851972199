"""department approval before publication: providers.requires_approval

Revision ID: 0018
Revises: 0016

A provider (department) may require its officer to approve each submission's records before
they are published or evaluated (seed 002: 各单位对录入平台数据的审核). Held records wait with the
record status ``pending``, which needs no schema change; purged records (retention) likewise use
the status ``purged``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("providers") as batch:
        batch.add_column(
            sa.Column("requires_approval", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("providers") as batch:
        batch.drop_column("requires_approval")
