"""A search stored with ``storage`` opens in optuna-dashboard, with the advisor's attributes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from advisor.facade import Advisor

optuna_dashboard = pytest.importorskip("optuna_dashboard")


def _get(app: Any, path: str) -> dict[str, Any]:
    env: dict[str, Any] = {}
    setup_testing_defaults(env)
    env.update(PATH_INFO=path, REQUEST_METHOD="GET")
    status: list[str] = []
    body = b"".join(app(env, lambda s, h, exc_info=None: status.append(s)))
    assert status[0].startswith("200"), (path, status, body[:200])
    return json.loads(body)


def test_a_stored_search_shows_its_trials_and_their_proposers_in_optuna_dashboard(
    shared_synthetic_kb: str, tmp_path: Path
) -> None:
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    Advisor(shared_synthetic_kb, device="cpu").search(
        X,
        y=y,
        n_trials=4,
        epochs=2,
        storage=storage,
        study_name="wine",
        contribute=False,
        compare_default=False,
    )
    app = optuna_dashboard.wsgi(storage)
    (summary,) = _get(app, "/api/studies")["study_summaries"]
    assert summary["study_name"] == "wine"
    study = _get(app, f"/api/studies/{summary['study_id']}")
    assert len(study["trials"]) == 4
    for trial in study["trials"]:
        attrs = {a["key"]: a["value"] for a in trial["user_attrs"]}
        assert {"proposed_by", "status", "epochs"} <= set(attrs)
        assert trial["intermediate_values"]  # the learning curve, epoch by epoch
    proposers = [
        {a["key"]: a["value"] for a in t["user_attrs"]}["proposed_by"] for t in study["trials"]
    ]
    assert proposers[:3] == ["warm start"] * 3
