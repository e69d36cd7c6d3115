"""The rules of the advice: no harm, small evidence, intervals in range, explanations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from advisor.evidence import Comparison
from advisor.facade import Advisor
from advisor.ranker.risk import clip_to_range
from knowledge_base import KnowledgeBase
from tests.kb_helpers import MF, dataset


def _cmp(**over) -> Comparison:
    base = {
        "model_gain": 0.03,
        "gain_interval": (-0.01, 0.07),
        "risk": 0.0,
        "default_risk": 0.0,
        "neighbors": 10,
        "wins": 8,
        "mean_diff": 0.04,
        "names": ("a", "b", "c"),
    }
    return Comparison(**{**base, **over})


def test_the_ranker_leaves_default_only_with_evidence() -> None:
    assert _cmp().supported
    assert not _cmp(model_gain=0.001).supported  # no predicted gain
    assert not _cmp(wins=3).supported  # the nearest datasets disagree
    assert not _cmp(mean_diff=-0.01).supported
    assert not _cmp(risk=0.2, default_risk=0.0).supported  # riskier
    assert _cmp(neighbors=2, wins=0, mean_diff=-1).supported  # too few neighbours to judge
    assert "only 3 times" in _cmp(wins=3).reason("r2")


def test_intervals_lie_in_the_objective_range() -> None:
    assert clip_to_range(0.969, 0.99, 1.007, "balanced_accuracy") == (0.969, 0.99, 1.0)
    lo, mid, hi = clip_to_range(-3.0, 0.2, 1.4, "r2")
    assert (lo, mid, hi) == (-3.0, 0.2, 1.0)


def _rf_records() -> list[dict]:
    space = {
        "name": "rf",
        "version": 1,
        "params": [
            {"name": "n_estimators", "type": "int", "low": 10, "high": 500, "log": True},
            {"name": "max_depth", "type": "int", "low": 1, "high": 20},
        ],
    }
    configs = [{"n_estimators": n, "max_depth": d} for n in (10, 50, 200, 500) for d in (2, 6, 12)]
    recs = []
    for k in range(4):  # four datasets, each with its own best configuration
        mf = {n: (v if v is None else v + 0.1 * k) for n, v in MF.items()}
        ds = dataset(fp=f"{k:016d}", name=f"rf-data-{k}", group=f"g{k}", meta_features=mf)
        for i, c in enumerate(configs):
            score = 0.6 + 0.3 * math.exp(-abs(i - 3 * k))
            recs.append(
                {
                    "trial_id": f"rf-{k}-{i}",
                    "dataset": ds,
                    "space": "rf",
                    "space_version": 1,
                    "space_definition": space,
                    "config": c,
                    "seed": 0,
                    "epochs": 1,
                    "max_epochs": 1,
                    "objective": "balanced_accuracy",
                    "score": score,
                    "status": "complete",
                }
            )
    return recs


def test_a_small_declared_space_puts_a_known_datasets_best_configuration_first(tmp_path) -> None:
    kb = KnowledgeBase(f"sqlite:///{tmp_path / 'kb.sqlite'}")
    recs = _rf_records()
    kb.contribute(recs)
    adv = Advisor(kb)
    mine = recs[12 * 2]["dataset"]["meta_features"]  # dataset 2 is already in the knowledge base
    advice = adv.suggest(meta_features=mine, task="classification", space="rf", k=3)
    best = max((r for r in recs if r["dataset"]["name"] == "rf-data-2"), key=lambda r: r["score"])
    assert advice.rule == "small evidence" and "too few" in advice.reason
    assert advice.suggestions[0].config == best["config"]
    scores = [s.score for s in advice.suggestions]
    assert all(np.isfinite(scores)) and scores == sorted(scores, reverse=True)
    assert len(set(scores)) == len(scores)
    kb.close()


def test_every_suggestion_explains_itself(shared_synthetic_kb) -> None:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=300, n_features=6, random_state=100)
    advice = Advisor(shared_synthetic_kb).suggest(X, y, k=3, epochs=10)
    out = advice.to_dict()
    assert out["epochs"] == 10 and out["rule"] in ("ranker", "no harm", "out of distribution")
    for s in out["suggestions"]:
        assert s["explanation"].startswith("predicted balanced_accuracy")
        lo, hi = s["interval"]
        assert 0.0 <= lo <= s["predicted"] <= hi <= 1.0
        assert 0.0 <= s["failure_chance"] <= 1.0
    if out["rule"] == "no harm":
        assert out["suggestions"][0]["source"] == "default" and out["reason"]


@pytest.mark.parametrize("epochs", [10, 64])
def test_the_advice_is_for_the_budget_given(shared_synthetic_kb, epochs) -> None:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=300, n_features=6, random_state=100)
    adv = Advisor(shared_synthetic_kb)
    advice = adv.suggest(X, y, k=2, epochs=epochs)
    assert advice.epochs == epochs


def test_the_list_alternates_the_rankers_picks_with_the_nearest_datasets_best(
    shared_synthetic_kb,
) -> None:
    from sklearn.datasets import make_classification

    from advisor.candidates import Prior, rank_candidates
    from advisor.data import load_dataset
    from advisor.metafeatures import extract
    from advisor.ranker.knn import knn_order
    from advisor_core.spaces import config_hash

    X, y = make_classification(n_samples=300, n_features=6, random_state=100)
    ds = load_dataset(X, None, y=y)
    prior = Prior(Advisor(shared_synthetic_kb).ranker("mlp"), extract(ds).values, ds.task)
    ranked = rank_candidates(prior)
    assert ranked.rule in ("ranker", "no harm")
    fs = prior.art.fs
    knn = [
        fs.config_hashes[i] for i in knn_order(fs.norm, fs.config_hashes, prior.dataset_distance)
    ]
    listed = [config_hash(c) for c in ranked.configs]
    # first the ranker's (or default, by the no-harm rule), then the nearest datasets' winners
    # at every other place: the first two of them within the first five places
    assert set(knn[:2]) <= set(listed[:5])
    assert listed.index(knn[0]) < listed.index(knn[1])
