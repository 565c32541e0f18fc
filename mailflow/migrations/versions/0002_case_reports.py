"""report requests and oral complaints on cases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_due", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("report_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("received_by", sa.String(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("received_by")
        batch_op.drop_column("report_at")
        batch_op.drop_column("report_due")
