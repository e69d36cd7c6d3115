"""Fixtures of the report tests: a real small search and a real suggestion on the wine data,
with the synthetic knowledge base's trials on the nearest datasets (queried here, as the CLI
would, since the report package does not open the knowledge base)."""

from __future__ import annotations

import base64
import re
from typing import Any

import pandas as pd
import pytest

from advisor.facade import Advisor
from advisor.search import SearchResult
from advisor.suggest import Advice
from knowledge_base import KnowledgeBase

_IMG = re.compile(r'<figure id="([^"]+)"><img alt="[^"]*" src="data:image/png;base64,([^"]+)"')
#: A URL that makes the page fetch something: src/href/CSS url() to http(s) or protocol-relative.
_REMOTE = re.compile(
    r"""(?:\b(?:src|href|srcset|action|poster|data)\s*=\s*["']?\s*|url\(\s*["']?\s*)"""
    r"""(?:https?:)?//""",
    re.IGNORECASE,
)


def embedded_pngs(text: str) -> dict[str, bytes]:
    """Figure id to the PNG bytes of its ``data:`` URI."""
    return {fid: base64.b64decode(data) for fid, data in _IMG.findall(text)}


def remote_references(text: str) -> list[str]:
    return [m.group(0) for m in _REMOTE.finditer(text)]


@pytest.fixture(scope="session")
def wine() -> tuple[pd.DataFrame, pd.Series]:
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="session")
def search_result(shared_synthetic_kb: str, wine: Any) -> SearchResult:
    X, y = wine
    return Advisor(shared_synthetic_kb, device="cpu").search(
        X, y, n_trials=4, epochs=3, strategy="random", contribute=False
    )


@pytest.fixture(scope="session")
def advice(shared_synthetic_kb: str, wine: Any) -> Advice:
    X, y = wine
    return Advisor(shared_synthetic_kb, device="cpu").suggest(X, y, k=3)


@pytest.fixture(scope="session")
def nearest_trials(shared_synthetic_kb: str, advice: Advice) -> pd.DataFrame:
    """The knowledge base's trials on the datasets nearest the wine data: ``dataset``,
    ``config``, ``config_hash``, ``value``."""
    names = list(dict.fromkeys(n.name for s in advice.suggestions for n in s.neighbors))
    kb = KnowledgeBase(shared_synthetic_kb)
    try:
        frame = kb.trials("mlp", statuses=["complete"])
    finally:
        kb.close()
    near = frame[frame["dataset_name"].isin(names)]
    return near.rename(columns={"dataset_name": "dataset", "score": "value"})[
        ["dataset", "config", "config_hash", "value"]
    ].reset_index(drop=True)
