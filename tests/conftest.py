"""Shared fixtures: small real datasets written to files, and a CLI runner."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from advisor.cli import app

torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("ADVISOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


class CliResult:
    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    """Run ``advisor ARGS`` in-process; returns exit code, stdout and stderr."""
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> CliResult:
        res = runner.invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)
        return CliResult(res.exit_code, res.stdout, res.stderr)

    return run


def _split_save(
    df: pd.DataFrame,
    tmp: Path,
    name: str,
    seeds: tuple[int, ...] = (0, 1, 2),
) -> list[tuple[Path, Path]]:
    """Three 75/25 train/test splits (random_state 0, 1, 2) written as CSV files."""
    from sklearn.model_selection import train_test_split

    out = []
    for s in seeds:
        tr, te = train_test_split(df, test_size=0.25, random_state=s)
        a, b = tmp / f"{name}_train_{s}.csv", tmp / f"{name}_test_{s}.csv"
        tr.to_csv(a, index=False)
        te.to_csv(b, index=False)
        out.append((a, b))
    return out


@pytest.fixture(scope="session")
def breast_cancer_splits(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, Path]]:
    from sklearn.datasets import load_breast_cancer

    return _split_save(load_breast_cancer(as_frame=True).frame, tmp_path_factory.mktemp("bc"), "bc")


@pytest.fixture(scope="session")
def breast_cancer_files(breast_cancer_splits: list[tuple[Path, Path]]) -> tuple[Path, Path]:
    return breast_cancer_splits[0]


@pytest.fixture(scope="session")
def diabetes_splits(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, Path]]:
    from sklearn.datasets import load_diabetes

    return _split_save(load_diabetes(as_frame=True).frame, tmp_path_factory.mktemp("diab"), "diab")


@pytest.fixture(scope="session")
def mixed_frame() -> pd.DataFrame:
    """Numeric, categorical, boolean, datetime and missing values; a binary target."""
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "num_missing": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
            "color": rng.choice(["red", "green", "blue"], size=n),
            "city": [f"c{int(i)}" for i in rng.integers(0, 60, size=n)],
            "flag": rng.random(n) < 0.5,
            "when": pd.date_range("2020-01-01", periods=n, freq="D").astype(str),
        }
    )
    df["label"] = np.where(df["num"] + (df["color"] == "red") > 0.3, "yes", "no")
    return df


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def kb_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty knowledge-base URL on each backend (a new schema on PostgreSQL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kb.sqlite'}"
        return
    if not _pg_available():
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    import psycopg

    from tests.kb_helpers import unique_schema

    schema = unique_schema()
    raw = PG_URL.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="session")
def advisor_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ranker artifacts go to a temporary directory, not the user's."""
    home = tmp_path_factory.mktemp("advisor_home")
    os.environ["ADVISOR_HOME"] = str(home)
    return home


@pytest.fixture(scope="session")
def shared_synthetic_kb(tmp_path_factory: pytest.TempPathFactory, advisor_home: Path) -> str:
    """A small synthetic knowledge base (real meta-features, known outcome rule), read-only."""
    from knowledge_base import KnowledgeBase
    from tests.ranker_helpers import records

    url = f"sqlite:///{tmp_path_factory.mktemp('synkb') / 'syn.sqlite'}"
    kb = KnowledgeBase(url)
    kb.contribute(records())
    kb.close()  # checkpoints the WAL, so a file copy holds everything
    return url
