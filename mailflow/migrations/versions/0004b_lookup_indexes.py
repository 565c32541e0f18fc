"""lookups that stay flat as the register grows: people by (org, e-mail key)

The person of a new case is looked up by its organization and e-mail key; with
only the single-column indexes SQLite (which keeps no statistics unless told)
searched every person of the organization, so registering a case cost more the
more cases were stored.

Revision ID: 0004b
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0004b"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_people_org_email_key", "people", ["org_id", "email_key"])


def downgrade() -> None:
    op.drop_index("ix_people_org_email_key", table_name="people")
