"""The stacked engine: per-model optimizers equal PyTorch's, stacked trials equal single ones,
one model's divergence does not stop the others."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from advisor.data import SplitCache, load_dataset
from advisor.trials import TrialSpec, run_trial, run_trials
from advisor.trials.network import TensorParam
from advisor.trials.optim import StackedOptimizer
from advisor_core.spaces import named_config


@pytest.mark.parametrize("kind", ["adamw", "sgd"])
def test_the_stacked_optimizer_is_pytorchs_per_model(kind: str) -> None:
    torch.manual_seed(0)
    start = torch.randn(3, 5, 4)
    lr, wd, mom, b2 = (
        torch.tensor([1e-2, 3e-3, 1e-1]),
        torch.tensor([0.0, 1e-2, 1e-3]),
        torch.tensor([0.9, 0.8, 0.95]),
        torch.tensor([0.999, 0.95, 0.9]),
    )
    p = TensorParam("w", start.clone().requires_grad_(True), lr_factor=0.5, wd_factor=1.0)
    opt = StackedOptimizer([p], kind)
    singles = [start[m].clone().requires_grad_(True) for m in range(3)]
    ref = [
        torch.optim.AdamW(
            [w],
            lr=0.5 * float(lr[m]),
            betas=(float(mom[m]), float(b2[m])),
            weight_decay=float(wd[m]) / 0.5 * 0.5,
            eps=1e-8,
        )
        if kind == "adamw"
        else torch.optim.SGD(
            [w],
            lr=0.5 * float(lr[m]),
            momentum=float(mom[m]),
            nesterov=True,
            weight_decay=float(wd[m]),
        )
        for m, w in enumerate(singles)
    ]
    for _ in range(5):
        target = torch.randn(5, 4)
        opt.zero_grad()
        ((p.value - target) ** 2).sum().backward()
        opt.step(lr, wd, mom, b2)
        for m, w in enumerate(singles):
            ref[m].zero_grad()
            ((w - target) ** 2).sum().backward()
            ref[m].step()
    for m, w in enumerate(singles):
        torch.testing.assert_close(p.value[m].detach(), w.detach(), rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def wine_cache() -> SplitCache:
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    return SplitCache(load_dataset(frame, "target"), seed=0)


def test_stacked_trials_equal_the_same_trials_run_one_by_one(wine_cache: SplitCache) -> None:
    base = named_config("realmlp", task="classification")
    configs = [base, {**base, "learning_rate": 0.01, "dropout": 0.0, "label_smoothing": 0.0}]
    specs = [TrialSpec(c, seed=s, epochs=4) for c in configs for s in (0, 1)]
    stacked, _ = run_trials(wine_cache, specs, device="cpu")
    for spec, got in zip(specs, stacked, strict=True):
        alone = run_trial(wine_cache, spec.config, epochs=4, seed=spec.seed, device="cpu")
        a = np.array([e.objective for e in got.learning_curve])
        b = np.array([e.objective for e in alone.learning_curve])
        np.testing.assert_allclose(a, b, atol=1e-6)
        assert got.best_epoch == alone.best_epoch


def test_a_diverging_model_leaves_the_stack_and_the_others_go_on(wine_cache) -> None:
    good = {
        **named_config("plain"),
        "optimizer": "sgd",
        "learning_rate": 0.01,
        "width": 512,
        "num_layers": 3,
        "batch_size": 16,
    }
    bad = {**good, "learning_rate": 1.0, "momentum": 0.99}  # same stack, diverges
    specs = [TrialSpec(bad, seed=0, epochs=6), TrialSpec(good, seed=0, epochs=6)]
    results, _ = run_trials(wine_cache, specs, device="cpu")
    assert results[0].status == "diverged" and results[0].score is None
    assert results[1].status == "complete" and results[1].epochs == 6
    alone = run_trial(wine_cache, good, epochs=6, seed=0, device="cpu")
    assert results[1].score == pytest.approx(alone.score, abs=1e-6)


def test_the_rank_based_auc_equals_scikit_learns_with_ties() -> None:
    from sklearn.metrics import roc_auc_score

    from advisor.trials.metrics import roc_auc

    rng = np.random.default_rng(0)
    for _ in range(20):
        y = rng.integers(0, 2, 150)
        score = np.round(rng.random(150), 1)  # many ties
        assert roc_auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
