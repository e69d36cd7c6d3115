"""The PyTorch trial runner: statuses, determinism, metrics, and the CLI's evaluate."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from advisor.data import SplitCache, load_dataset, prepare_split
from advisor.trials import STATUSES, fit_model, run_trial
from advisor_core.errors import ConfigError
from advisor_core.spaces import named_config


@pytest.fixture(scope="module")
def bc_split() -> SplitCache:
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return SplitCache(load_dataset(X, y=y), seed=0)


@pytest.fixture(scope="module")
def diabetes_split() -> SplitCache:
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return SplitCache(load_dataset(X, y=y), seed=0)


def _evaluate_default(cli, splits: list[tuple[Path, Path]], metric: str) -> list[float]:
    scores = []
    for train, test in splits:
        res = cli(
            "evaluate",
            "--train",
            train,
            "--test",
            test,
            "--target",
            "target",
            "--config",
            "default",
            "--json",
        )
        assert res.exit_code == 0, res.stderr
        out = json.loads(res.stdout)
        assert out["status"] == "complete" and len(out["learning_curve"]) == 20
        scores.append(out["test"][metric])
    return scores


def test_default_on_breast_cancer_reaches_test_accuracy_095(cli, breast_cancer_splits) -> None:
    acc = _evaluate_default(cli, breast_cancer_splits, "accuracy")
    print(f"breast cancer, default, 3 splits: test accuracy {acc} mean {np.mean(acc):.4f}")
    assert np.mean(acc) >= 0.95


def test_default_on_diabetes_reaches_test_r2_035(cli, diabetes_splits) -> None:
    r2 = _evaluate_default(cli, diabetes_splits, "r2")
    print(f"diabetes, default, 3 splits: test R2 {r2} mean {np.mean(r2):.4f}")
    assert np.mean(r2) >= 0.35


def test_evaluate_reports_regression_metrics(cli, diabetes_splits) -> None:
    train, test = diabetes_splits[0]
    res = cli(
        "evaluate",
        "--train",
        train,
        "--test",
        test,
        "--target",
        "target",
        "--epochs",
        "2",
        "--json",
    )
    out = json.loads(res.stdout)
    assert out["task"] == "regression" and out["objective"] == "r2"
    assert set(out["valid"]) == set(out["test"]) == {"rmse", "mae", "r2"}


def test_same_config_data_and_seed_give_an_identical_curve(bc_split: SplitCache) -> None:
    cfg = named_config("rtdl")
    a = run_trial(bc_split, cfg, epochs=4, seed=3, device="cpu")
    b = run_trial(bc_split, cfg, epochs=4, seed=3, device="cpu")
    c = run_trial(bc_split, cfg, epochs=4, seed=4, device="cpu")
    assert a.learning_curve == b.learning_curve
    assert a.learning_curve != c.learning_curve


def test_classification_metrics_are_reported(bc_split: SplitCache) -> None:
    r = run_trial(bc_split, named_config("small_fast"), epochs=3, device="cpu")
    assert r.status == "complete" and r.epochs == 3
    assert set(r.metrics) == {"accuracy", "balanced_accuracy", "log_loss", "roc_auc"}
    assert r.score == r.learning_curve[-1].objective == r.metrics["balanced_accuracy"]
    assert r.status in STATUSES


def test_a_non_finite_loss_stops_the_trial_as_diverged(diabetes_split: SplitCache) -> None:
    cfg = {
        **named_config("default"),
        "optimizer": "sgd",
        "learning_rate": 0.1,
        "momentum": 0.99,
        "num_layers": 5,
        "width": 512,
        "batch_size": 16,
    }
    r = run_trial(diabetes_split, cfg, epochs=30, device="cpu")
    assert r.status == "diverged"
    assert r.score is None and r.metrics == {}
    assert "non-finite" in (r.message or "") and "step" in (r.message or "")
    assert all(math.isfinite(e.objective or 0.0) for e in r.learning_curve)
    assert r.epochs < 30


def test_an_epoch_callback_can_prune(bc_split: SplitCache) -> None:
    seen: list[int] = []

    def stop_after_two(epoch: int, value: float) -> bool:
        seen.append(epoch)
        return epoch >= 2

    r = run_trial(
        bc_split, named_config("small_fast"), epochs=10, on_epoch=stop_after_two, device="cpu"
    )
    assert r.status == "pruned" and r.epochs == 2 and seen == [1, 2]
    assert r.score == r.learning_curve[-1].objective


def test_a_time_limit_gives_timeout_with_the_partial_curve(bc_split: SplitCache) -> None:
    cfg = {**named_config("default"), "num_layers": 5, "width": 1024, "batch_size": 16}
    r = run_trial(bc_split, cfg, epochs=50, time_limit=0.5, device="cpu")
    assert r.status == "timeout"
    assert r.epochs < 50 and "time limit" in (r.message or "")


def test_an_exception_inside_training_is_recorded_as_failed(bc_split: SplitCache) -> None:
    split = bc_split.prepared("standard")
    broken = prepare_split(bc_split.dataset, "standard", rows=bc_split.rows)
    broken.X_valid = split.X_valid[:, :5].copy()  # wrong width: the forward pass raises
    r = run_trial(broken, named_config("default"), epochs=2, device="cpu")
    assert r.status == "failed" and r.score is None
    assert re.match(r"^\w+Error: ", r.message or "")


def test_bad_budget_and_device_are_user_errors(bc_split: SplitCache) -> None:
    with pytest.raises(ConfigError, match="epochs is 0"):
        run_trial(bc_split, named_config("default"), epochs=0)
    with pytest.raises(ConfigError, match="device is 'tpu'"):
        run_trial(bc_split, named_config("default"), epochs=1, device="tpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_trial_matches_the_cpu_objective_closely(bc_split: SplitCache) -> None:
    cfg = named_config("default")
    a = run_trial(bc_split, cfg, epochs=5, device="cpu")
    b = run_trial(bc_split, cfg, epochs=5, device="cuda")
    assert b.status == "complete" and b.device.startswith("cuda")
    assert abs((a.score or 0) - (b.score or 0)) < 0.05


def test_fitted_model_predicts_raw_frames_and_round_trips(bc_split, tmp_path: Path) -> None:
    from advisor.trials import FittedModel

    _result, model = fit_model(bc_split, named_config("small_fast"), epochs=3, device="cpu")
    assert model is not None
    X = bc_split.dataset.X.head(10)
    path = tmp_path / "m.pt"
    model.save(path)
    again = FittedModel.load(path)
    np.testing.assert_allclose(model.predict_proba(X), again.predict_proba(X), rtol=1e-6)
    assert set(again.predict(X)) <= set(bc_split.dataset.classes or [])


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ('{"depth": 3}', "unknown hyperparameter 'depth'"),
        ('{"learning_rate": 2}', "'learning_rate' is 2, but must be in [1e-05, 1]"),
        ('{"width": true}', "'width' is True"),
        ("[1, 2]", "must be a JSON object"),
        ("{nope", "not valid JSON"),
        ('{"dropout": NaN}', "NaN is not allowed"),
        ("fancy", "unknown named configuration 'fancy'"),
    ],
)
def test_evaluate_rejects_bad_configs(cli, breast_cancer_files, config: str, fragment: str) -> None:
    train, _ = breast_cancer_files
    res = cli("evaluate", "--train", train, "--target", "target", "--config", config)
    assert res.exit_code == 2
    assert fragment in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_evaluate_accepts_a_partial_config_file(cli, breast_cancer_files, tmp_path) -> None:
    train, _ = breast_cancer_files
    (tmp_path / "c.json").write_text('{"width": 32, "num_layers": 2}')
    res = cli(
        "evaluate",
        "--train",
        train,
        "--target",
        "target",
        "--config",
        tmp_path / "c.json",
        "--epochs",
        "2",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    cfg = json.loads(res.stdout)["config"]
    assert (cfg["width"], cfg["num_layers"], cfg["learning_rate"]) == (32, 2, 1e-3)
