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
