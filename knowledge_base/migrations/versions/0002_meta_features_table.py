"""Meta-features move to their own table, one row per dataset and extractor version.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_meta_features",
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.Column("version", sa.String(16), nullable=False),
        sa.Column("meta_features", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("dataset_id", "version", name="pk_dataset_meta_features"),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="CASCADE",
                                name="fk_dataset_meta_features_dataset_id_datasets"),
    )
    op.execute(
        "INSERT INTO dataset_meta_features (dataset_id, version, meta_features) "
        "SELECT id, meta_features_version, meta_features FROM datasets"
    )
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("meta_features")
        batch.drop_column("meta_features_version")


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("meta_features_version", sa.String(16), nullable=False,
                                   server_default="1"))
        batch.add_column(sa.Column("meta_features", sa.Text, nullable=False,
                                   server_default="{}"))
    for column in ("meta_features", "version"):
        target = "meta_features" if column == "meta_features" else "meta_features_version"
        op.execute(
            f"UPDATE datasets SET {target} = (SELECT m.{column} FROM dataset_meta_features m "
            "WHERE m.dataset_id = datasets.id ORDER BY m.version DESC LIMIT 1) WHERE EXISTS "
            "(SELECT 1 FROM dataset_meta_features m WHERE m.dataset_id = datasets.id)"
        )
    op.drop_table("dataset_meta_features")
