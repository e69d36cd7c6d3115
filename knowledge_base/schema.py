"""The knowledge-base schema (SQLAlchemy Core). Changes go through Alembic migrations only.

Revision history (``knowledge_base/migrations/versions``):

* ``0001`` datasets, spaces, trials; meta-features stored on the dataset row;
* ``0002`` meta-features move to ``dataset_meta_features`` (one row per extractor version),
  so a dataset keeps its vectors when the extractor changes;
* ``0003`` API keys of the HTTP service (hashed secrets, scopes);
* ``0004`` removals: one row per space each time contributed trials are taken back (the
  ranker's staleness check counts them).
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "HEAD_REVISION",
    "api_keys",
    "dataset_meta_features",
    "datasets",
    "metadata",
    "removals",
    "spaces",
    "trials",
]

HEAD_REVISION = "0004"

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("name", String(200)),
    Column("source", String(200)),
    Column("dataset_group", String(200)),
    Column("task", String(16), nullable=False),
    Column("n_rows", Integer, nullable=False),
    Column("n_features", Integer, nullable=False),
    Column("n_classes", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

dataset_meta_features = Table(
    "dataset_meta_features",
    metadata,
    Column("dataset_id", Integer, ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True),
    Column("version", String(16), primary_key=True),
    Column("meta_features", Text, nullable=False),  # JSON {name: number | null}
)

spaces = Table(
    "spaces",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", Text, nullable=False),  # JSON, SearchSpace.to_dict()
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("name", "version"),
)

trials = Table(
    "trials",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("trial_id", String(64), nullable=False, unique=True),
    Column("dataset_id", Integer, ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
    Column("space_id", Integer, ForeignKey("spaces.id"), nullable=False),
    Column("config", Text, nullable=False),  # canonical JSON
    Column("config_hash", String(16), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("epochs", Integer, nullable=False),
    Column("max_epochs", Integer, nullable=False),
    Column("learning_curve", Text, nullable=False),  # JSON list
    Column("metrics", Text, nullable=False),  # JSON object
    Column("objective", String(32), nullable=False),
    Column("score", Float),
    Column("status", String(16), nullable=False),
    Column("runtime_s", Float, nullable=False),
    Column("hardware", String(200)),
    Column("advisor_version", String(200)),
    Column("contributor", String(200)),
    Column("message", Text),
    Column("content_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_trials_space_dataset", "space_id", "dataset_id"),
    Index("ix_trials_dataset_config", "dataset_id", "config_hash"),
    Index("ix_trials_space_status", "space_id", "status"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key_id", String(16), nullable=False, unique=True),
    Column("name", String(200)),
    Column("scope", String(16), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

removals = Table(
    "removals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("space_id", Integer, ForeignKey("spaces.id"), nullable=False),
    Column("trials", Integer, nullable=False),  # trials of the space removed
    Column("datasets", Integer, nullable=False),  # datasets of the space they were on
    Column("removed_at", DateTime(timezone=True), nullable=False),
    Index("ix_removals_space_id", "space_id"),
)
