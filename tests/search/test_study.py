"""The warm-started search: strategies, statuses, budgets, knowledge-base writes, models, a
shared study on PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import optuna
import pandas as pd
import pytest

from advisor.data import SplitCache, load_dataset
from advisor.facade import Advisor
from advisor.search import run_search
from advisor_core.spaces import (
    MLP_SPACE,
    CategoricalParam,
    FloatParam,
    IntParam,
    SearchSpace,
    named_config,
)
from knowledge_base import KnowledgeBase


def test_search_cli_warm_starts_records_trials_and_prints_json(cli, kb_copy, wine_csv) -> None:
    before = KnowledgeBase(kb_copy).stats()["trials"]
    res = cli(
        "search",
        wine_csv,
        "--target",
        "target",
        "--n-trials",
        "6",
        "--epochs",
        "4",
        "--kb",
        kb_copy,
        "--json",
        "--device",
        "cpu",
    )
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["strategy"] == "advisor" and out["n_trials"] == 6
    assert set(out) >= {"strategy", "best_config", "best_score", "n_trials", "trials"}
    statuses = {t["status"] for t in out["trials"]}
    assert statuses <= {"complete", "pruned", "diverged", "failed", "timeout"}
    assert [t["warm_start"] for t in out["trials"]] == [True] * 3 + [False] * 3
    assert out["best_score"] == max(t["score"] for t in out["trials"] if t["status"] == "complete")
    reference = 1 if out["default_source"] == "reference run" else 0  # default, trained once
    assert KnowledgeBase(kb_copy).stats()["trials"] == before + 6 + reference


@pytest.mark.parametrize("n_trials", [2, 3])
def test_a_budget_within_the_warm_start_runs_every_trial_of_it(
    shared_synthetic_kb, n_trials
) -> None:
    """The enqueued warm-start trials that still wait do not count towards the budget."""
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    result = Advisor(shared_synthetic_kb, device="cpu").search(
        X, y=y, n_trials=n_trials, epochs=2, contribute=False
    )
    assert result.n_trials == n_trials
    assert list(result.trials["warm_start"]) == [True] * n_trials


def test_opting_out_writes_nothing(cli, kb_copy, wine_csv) -> None:
    before = KnowledgeBase(kb_copy).stats()["trials"]
    res = cli(
        "search",
        wine_csv,
        "--target",
        "target",
        "--n-trials",
        "2",
        "--epochs",
        "2",
        "--kb",
        kb_copy,
        "--no-contribute",
        "--strategy",
        "random",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    assert KnowledgeBase(kb_copy).stats()["trials"] == before


@pytest.mark.parametrize("strategy", ["tpe", "random"])
def test_cold_strategies_need_no_knowledge(cli, tmp_path, wine_csv, strategy) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    res = cli(
        "search",
        wine_csv,
        "--target",
        "target",
        "--n-trials",
        "3",
        "--epochs",
        "2",
        "--strategy",
        strategy,
        "--kb",
        empty,
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["n_trials"] == 3 and not any(t["warm_start"] for t in out["trials"])


def test_diverged_trials_are_recorded_and_never_stop_the_study() -> None:
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    explosive = SearchSpace(
        "explosive",
        1,
        (
            CategoricalParam("optimizer", ("sgd",)),
            FloatParam("learning_rate", 0.09, 0.1),
            FloatParam("momentum", 0.98, 0.99),
            FloatParam("weight_decay", 1e-6, 2e-6),
            IntParam("batch_size", 16, 17),
            IntParam("num_layers", 5, 5),
            IntParam("width", 512, 520),
            FloatParam("dropout", 0.0, 0.01),
            CategoricalParam("activation", ("relu",)),
            CategoricalParam("normalization", ("none",)),
            CategoricalParam("lr_schedule", ("constant",)),
            CategoricalParam("feature_scaling", ("standard",)),
        ),
    )
    result = run_search(
        SplitCache(load_dataset(X, y=y)),
        explosive,
        strategy="random",
        n_trials=3,
        epochs=30,
        device="cpu",
    )
    assert result.n_trials == 3
    assert set(result.trials["status"]) == {"diverged"}
    assert result.best_config is None and result.best_score is None


def test_a_time_budget_ends_the_search(tmp_path) -> None:
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    adv = Advisor(f"sqlite:///{tmp_path / 'kb.sqlite'}", device="cpu")
    result = adv.search(X, y, time_budget=2.0, strategy="random", epochs=3, contribute=False)
    assert 1 <= result.n_trials < 200
    assert isinstance(result.trials, pd.DataFrame) and isinstance(result.study, optuna.Study)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--strategy", "greedy", "--n-trials", "2"], "strategy is 'greedy'"),
        ([], "give a budget"),
        (["--n-trials", "2", "--study", "x"], "--study needs --storage"),
    ],
)
def test_bad_search_arguments_are_user_errors(cli, wine_csv, tmp_path, args, fragment) -> None:
    res = cli(
        "search",
        wine_csv,
        "--target",
        "target",
        "--kb",
        f"sqlite:///{tmp_path / 'k.sqlite'}",
        *args,
    )
    assert res.exit_code == 2 and fragment in res.stderr


def test_save_model_refits_the_best_config_and_predict_uses_it(
    cli, kb_copy, wine_csv, tmp_path
) -> None:
    model = tmp_path / "m.model"
    res = cli(
        "search",
        wine_csv,
        "--target",
        "target",
        "--n-trials",
        "2",
        "--epochs",
        "3",
        "--strategy",
        "warm",
        "--kb",
        kb_copy,
        "--save-model",
        model,
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    out = tmp_path / "pred.csv"
    res = cli("predict", model, wine_csv, "--output", out, "--proba")
    assert res.exit_code == 0, res.stderr
    pred = pd.read_csv(out)
    assert len(pred) == 178 and {"prediction", "proba_0", "proba_1", "proba_2"} <= set(pred)
    truth = pd.read_csv(wine_csv)["target"]
    assert (pred["prediction"] == truth).mean() > 0.5


@pytest.mark.postgres
@pytest.mark.slow
def test_three_processes_share_one_study_on_postgres(kb_copy, wine_csv, pg_storage) -> None:
    storage = pg_storage
    exe = Path(sys.executable).parent / "advisor"
    n = 9
    procs = [
        subprocess.Popen(
            [
                str(exe),
                "search",
                str(wine_csv),
                "--target",
                "target",
                "--n-trials",
                str(n),
                "--epochs",
                "3",
                "--storage",
                storage,
                "--study",
                "shared",
                "--kb",
                kb_copy,
                "--json",
                "--device",
                "cpu",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    study = optuna.load_study(study_name="shared", storage=storage)
    ran = [t for t in study.trials if not t.user_attrs.get("surplus")]
    assert len(ran) == n
    warm = [t for t in ran if t.user_attrs.get("warm_start")]
    assert len(warm) == len(study.user_attrs["advisor_warm_start"]) == 3
    keys = [tuple(sorted(t.params.items())) for t in warm]
    assert len(set(keys)) == len(keys)  # no warm-start trial ran twice
    assert all(
        t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED) for t in ran
    )


def test_named_default_is_a_valid_starting_point() -> None:
    for task in ("classification", "regression"):
        cfg = named_config("default", task=task)
        assert MLP_SPACE.validate(cfg, complete=True) == cfg


def test_the_warm_start_trials_train_together_as_one_batch(tmp_path) -> None:
    """Waiting warm-start trials go through one ``run_trials`` call (stacked where they share a
    shape): each trial's score is exactly what that batch gives it, and the rest of the budget
    is sampled as usual."""
    from sklearn.datasets import load_wine

    from advisor.search.warm_start import enqueue_warm_start
    from advisor.trials import TrialSpec, run_trials

    X, y = load_wine(return_X_y=True, as_frame=True)
    cache = SplitCache(load_dataset(X, y=y))
    base = named_config("default", task="classification")
    warm = [{**base, "learning_rate": lr} for lr in (1e-3, 3e-3, 1e-2)]
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(storage=storage, study_name="s", direction="maximize")
    enqueue_warm_start(study, warm)
    result = run_search(
        cache,
        MLP_SPACE,
        strategy="random",
        n_trials=4,
        epochs=3,
        storage=storage,
        study_name="s",
        device="cpu",
        prune=False,
    )
    batch, _ = run_trials(cache, [TrialSpec(c, seed=0, epochs=3) for c in warm], device="cpu")
    trials = result.trials.sort_values("number")
    assert list(trials["warm_start"]) == [True, True, True, False]
    assert list(trials["score"][:3]) == [r.score for r in batch]
    assert trials["status"].tolist()[:3] == ["complete"] * 3
    frozen = sorted(result.study.trials, key=lambda t: t.number)[:3]
    assert max(t.datetime_start for t in frozen) < min(t.datetime_complete for t in frozen)
