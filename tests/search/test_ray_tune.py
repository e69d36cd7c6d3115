"""The advisor's search inside Ray Tune, on a local Ray instance: the advisor's suggestions are
evaluated first, ASHA stops trials at epoch rungs, and every trial (stopped or not) reaches the
knowledge base exactly once."""

from __future__ import annotations

import json

import pytest

from knowledge_base import KnowledgeBase

ray = pytest.importorskip("ray", reason="the ray extra is not installed")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.mark.slow
def test_a_ray_tune_search_warm_starts_and_writes_every_trial_once(
    local_ray, kb_copy, tmp_path
) -> None:
    from sklearn.datasets import load_wine

    from advisor.facade import Advisor
    from advisor.integrations.ray_tune import tune_search

    X, y = load_wine(return_X_y=True, as_frame=True)
    frame = X.assign(target=y)
    warm = Advisor(kb_copy).suggest(frame, target="target", k=3, epochs=8).suggestions
    before = KnowledgeBase(kb_copy).trials("mlp", expand_config=False)
    n_before = int((before["dataset_name"] == "wine").sum())
    result = tune_search(
        frame,
        target="target",
        n_trials=5,
        epochs=8,
        kb=kb_copy,
        dataset_name="wine",
        storage_path=str(tmp_path / "ray"),
    )
    assert result.n_trials == 5 and result.written == 5
    after = KnowledgeBase(kb_copy).trials("mlp", expand_config=False)
    mine = after[after["dataset_name"] == "wine"]
    assert len(mine) == n_before + 5  # every trial, once
    assert set(mine["status"]) <= {"complete", "pruned", "diverged", "failed", "timeout"}
    assert mine["trial_id"].is_unique
    # the advisor's own suggestions (as before the search wrote to the knowledge base) ran
    configs = [r.config for r in result.results]
    assert len({json.dumps(c, sort_keys=True) for c in configs}) == 5  # none ran twice
    for s in warm:
        assert any(all(c.get(k) == v for k, v in s.config.items()) for c in configs)
    assert result.best_score is not None and result.best_config is not None
