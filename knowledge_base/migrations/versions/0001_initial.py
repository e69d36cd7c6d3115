"""Initial schema: datasets (with their meta-features), spaces, trials.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("source", sa.String(200)),
        sa.Column("dataset_group", sa.String(200)),
        sa.Column("task", sa.String(16), nullable=False),
        sa.Column("n_rows", sa.Integer, nullable=False),
        sa.Column("n_features", sa.Integer, nullable=False),
        sa.Column("n_classes", sa.Integer),
        sa.Column("meta_features_version", sa.String(16), nullable=False),
        sa.Column("meta_features", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_datasets"),
        sa.UniqueConstraint("fingerprint", name="uq_datasets_fingerprint"),
    )
    op.create_table(
        "spaces",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_spaces"),
        sa.UniqueConstraint("name", "version", name="uq_spaces_name_version"),
    )
    op.create_table(
        "trials",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("trial_id", sa.String(64), nullable=False),
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.Column("space_id", sa.Integer, nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("config_hash", sa.String(16), nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("epochs", sa.Integer, nullable=False),
        sa.Column("max_epochs", sa.Integer, nullable=False),
        sa.Column("learning_curve", sa.Text, nullable=False),
        sa.Column("metrics", sa.Text, nullable=False),
        sa.Column("objective", sa.String(32), nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("runtime_s", sa.Float, nullable=False),
        sa.Column("hardware", sa.String(200)),
        sa.Column("advisor_version", sa.String(200)),
        sa.Column("contributor", sa.String(200)),
        sa.Column("message", sa.Text),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_trials"),
        sa.UniqueConstraint("trial_id", name="uq_trials_trial_id"),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="CASCADE",
                                name="fk_trials_dataset_id_datasets"),
        sa.ForeignKeyConstraint(["space_id"], ["spaces.id"], name="fk_trials_space_id_spaces"),
    )
    op.create_index("ix_trials_space_dataset", "trials", ["space_id", "dataset_id"])
    op.create_index("ix_trials_dataset_config", "trials", ["dataset_id", "config_hash"])
    op.create_index("ix_trials_space_status", "trials", ["space_id", "status"])


def downgrade() -> None:
    op.drop_table("trials")
    op.drop_table("spaces")
    op.drop_table("datasets")
