"""Fixtures of the search tests: a copy of the synthetic knowledge base, a wine CSV."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def kb_copy(shared_synthetic_kb: str, tmp_path: Path) -> str:
    src = Path(shared_synthetic_kb.removeprefix("sqlite:///"))
    dst = tmp_path / "kb.sqlite"
    shutil.copy(src, dst)
    return f"sqlite:///{dst}"


@pytest.fixture(scope="module")
def wine_csv(tmp_path_factory) -> Path:
    from sklearn.datasets import load_wine

    p = tmp_path_factory.mktemp("wine") / "wine.csv"
    load_wine(as_frame=True).frame.to_csv(p, index=False)
    return p


@pytest.fixture
def pg_storage():
    """An Optuna storage URL on PostgreSQL in a schema of its own (dropped after the test)."""
    import psycopg

    from tests.conftest import PG_URL, _pg_available
    from tests.kb_helpers import unique_schema

    if not _pg_available():
        pytest.skip("PostgreSQL not reachable")
    schema = unique_schema()
    raw = PG_URL.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
