"""Removals: one row per space each time contributed trials are taken back.

``KnowledgeBase.snapshot`` counts a space's removals, so a ranker trained before a removal is
stale even when later contributions restore the trial and dataset counts.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "removals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("space_id", sa.Integer, nullable=False),
        sa.Column("trials", sa.Integer, nullable=False),
        sa.Column("datasets", sa.Integer, nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_removals"),
        sa.ForeignKeyConstraint(["space_id"], ["spaces.id"],
                                name="fk_removals_space_id_spaces"),
    )
    op.create_index("ix_removals_space_id", "removals", ["space_id"])


def downgrade() -> None:
    op.drop_index("ix_removals_space_id", table_name="removals")
    op.drop_table("removals")
