"""The warm-started search: strategies, statuses, knowledge-base writes, models, Optuna."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest

from advisor.data import SplitCache, load_dataset
from advisor.facade import Advisor
from advisor.search import PROPOSED_BY, WARM_START, AdvisorSampler, History, run_search
from advisor_core.errors import ConfigError, SearchError
from advisor_core.spaces import CategoricalParam, FloatParam, IntParam, SearchSpace, named_config
from knowledge_base import KnowledgeBase


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
    assert KnowledgeBase(kb_copy).stats()["trials"] == before + 6


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
        "random",
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


def test_warm_start_enqueues_suggestions_into_a_users_study(shared_synthetic_kb) -> None:
    from sklearn.datasets import load_wine

    from advisor.integrations.optuna import advisor_sampler, warm_start

    X, y = load_wine(return_X_y=True, as_frame=True)
    adv = Advisor(shared_synthetic_kb)
    mapping = {"learning_rate": "lr", "width": "units"}
    study = optuna.create_study(
        direction="maximize", sampler=advisor_sampler(X, y, advisor=adv, param_map=mapping)
    )
    queued = warm_start(study, X, y, k=3, advisor=adv, param_map=mapping)
    assert len(queued) == 3 and all(set(q) == {"lr", "units"} for q in queued)
    assert warm_start(study, X, y, k=3, advisor=adv, param_map=mapping) == []  # once per study

    def objective(trial: optuna.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        units = trial.suggest_int("units", 8, 512, log=True)
        extra = trial.suggest_float("extra", 0.0, 1.0)  # unknown to the advisor: random
        return -abs(lr - 0.01) + units / 1e4 + 0 * extra

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study.optimize(objective, n_trials=7)
    params = [t.params for t in study.trials]
    assert [{k: p[k] for k in ("lr", "units")} for p in params[:3]] == queued
    later = {(round(p["lr"], 8), p["units"]) for p in params[3:]}
    assert len(later) == 4  # the sampler does not repeat itself
    for p in params:
        assert 1e-4 <= p["lr"] <= 1e-1 and 8 <= p["units"] <= 512


def _lr_width_objective(trial: optuna.Trial) -> float:
    """A user's objective over two of the space's parameters (under their own ranges), that
    records who proposed each trial as the integration's documentation says."""
    lr = trial.suggest_float("learning_rate", 1e-5, 1e-1, log=True)
    width = trial.suggest_int("width", 16, 1024, log=True)
    sampler = trial.study.sampler
    assert isinstance(sampler, AdvisorSampler)
    trial.set_user_attr(PROPOSED_BY, sampler.proposer(trial.study, trial.number))
    return -abs(math.log10(lr) + 2.5) + math.log2(width) / 10


def _wine(kb_url: str, seed: int = 0) -> tuple[Any, dict[str, Any], Any]:
    """The ranker's list for wine (as ``suggest`` builds it), its meta-features, the ranker."""
    from sklearn.datasets import load_wine

    from advisor.candidates import Prior, rank_candidates
    from advisor.metafeatures import extract

    X, y = load_wine(return_X_y=True, as_frame=True)
    art = Advisor(kb_url).ranker()
    mf = extract(load_dataset(X, y=y)).values
    return rank_candidates(Prior(art, mf, "classification"), seed=seed), mf, art


def test_the_sampler_names_who_proposed_each_trial(shared_synthetic_kb) -> None:
    """The warm start, then the sampler; an objective asking for two of the space's
    parameters never gets the same configuration twice, and stays in its own ranges."""
    from advisor.search import enqueue_warm_start

    ranked, _, _ = _wine(shared_synthetic_kb, seed=1)
    study = optuna.create_study(
        direction="maximize", sampler=AdvisorSampler(ranked, seed=1, list_until=4)
    )
    warm = [{k: c[k] for k in ("learning_rate", "width")} for c in ranked.diverse_configs(2)]
    assert enqueue_warm_start(study, warm) == warm
    assert enqueue_warm_start(study, warm) == []  # once per study
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study.optimize(_lr_width_objective, n_trials=9)
    who = [t.user_attrs[PROPOSED_BY] for t in study.trials]
    assert who == ["warm start"] * 2 + ["advisor"] * 7
    assert [t.user_attrs.get(WARM_START, False) for t in study.trials] == [True] * 2 + [False] * 7
    configs = {(round(t.params["learning_rate"], 10), t.params["width"]) for t in study.trials}
    assert len(configs) == 9
    for t in study.trials:
        assert 1e-5 <= t.params["learning_rate"] <= 1e-1 and 16 <= t.params["width"] <= 1024
    with pytest.raises(ConfigError, match="handover is 0, but must be > 0"):
        AdvisorSampler(ranked, handover=0)


class _Fixed:
    """A policy of one's own (the plug-in point): always the same configuration."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.seen: list[int] = []

    def propose(self, history: History) -> dict[str, Any] | None:
        self.seen.append(history.n)
        return None if history.n >= 2 else dict(self.config)


def test_a_policy_of_ones_own_proposes_through_the_sampler(shared_synthetic_kb) -> None:
    """The sampler hands out the policy's configuration; when the policy has nothing to
    propose, a random one (``proposed_by`` ``random``)."""
    ranked, _, _ = _wine(shared_synthetic_kb)
    fixed = _Fixed({**named_config("default"), "learning_rate": 0.02, "width": 100})
    sampler = AdvisorSampler(ranked, policy=fixed)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study.optimize(_lr_width_objective, n_trials=4)
    assert [t.params["width"] for t in study.trials[:2]] == [100, 100]
    assert [t.user_attrs[PROPOSED_BY] for t in study.trials] == ["advisor"] * 2 + ["random"] * 2
    assert fixed.seen == [0, 1, 2, 3]
    with pytest.raises(ConfigError, match="interleave set the default policy"):
        AdvisorSampler(ranked, policy=fixed, interleave=1)


@pytest.mark.parametrize("list_distance", [None, 0.2])
def test_the_sampler_continues_the_list_suggest_shows(shared_synthetic_kb, list_distance) -> None:
    """With ``interleave=1`` every proposal after the warm start is the list's next item: the
    study runs exactly ``suggest``'s first 7 configurations (the list at least
    ``list_distance`` apart)."""
    from advisor.candidates import MIN_DISTANCE
    from advisor.search import distributions, enqueue_warm_start, suggest_config
    from advisor.suggest import suggest
    from advisor_core.spaces import MLP_SPACE

    ranked, mf, art = _wine(shared_synthetic_kb, seed=3)
    opts = {} if list_distance is None else {"list_distance": list_distance}
    if list_distance is None:
        expected = [s.config for s in suggest(art, mf, "classification", k=7, seed=3).suggestions]
    else:
        expected = ranked.diverse_configs(7, list_distance)
    study = optuna.create_study(
        direction="maximize", sampler=AdvisorSampler(ranked, seed=3, interleave=1, **opts)
    )
    enqueue_warm_start(study, expected[:3])
    dists = distributions(MLP_SPACE)

    def objective(trial: optuna.Trial) -> float:
        config = suggest_config(trial, dists)
        return -abs(math.log10(config["learning_rate"]) + 3)

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study.optimize(objective, n_trials=7)
    assert [MLP_SPACE.validate(t.params) for t in study.trials] == expected
    units = ranked.space.unit_of(expected)
    apart = ranked.prior.distance(units, units) + np.eye(len(units))
    assert apart.min() >= (list_distance or MIN_DISTANCE) - 0.02  # ints snap into cells
    with pytest.raises(ConfigError, match="interleave"):
        AdvisorSampler(ranked, interleave=-1)
    with pytest.raises(ConfigError, match=r"list_distance is 1.5, but must be in \[0, 1\)"):
        AdvisorSampler(ranked, list_distance=1.5)


@pytest.mark.parametrize("odd", [False, True], ids=["in_distribution", "out_of_distribution"])
def test_the_search_warm_starts_with_exactly_the_suggestions(shared_synthetic_kb, odd) -> None:
    """``run_search``'s first ``warm_k`` trials are ``suggest``'s top ``warm_k``, in and out
    of the knowledge base's distribution (the robust order), and each trial names who proposed
    it."""
    from sklearn.datasets import make_classification

    from advisor.candidates import Prior, rank_candidates
    from advisor.metafeatures import extract
    from advisor.suggest import suggest
    from advisor_core.spaces import MLP_SPACE

    X, y = make_classification(n_samples=300, n_features=6, random_state=100)  # like the KB's
    ds = load_dataset(X, y=y)
    art = Advisor(shared_synthetic_kb).ranker()
    mf = extract(ds).values
    if odd:
        mf = {k: None if v is None else float(v) * 1000 + 1e6 for k, v in mf.items()}
    ranked = rank_candidates(Prior(art, mf, "classification"), seed=2)
    assert ranked.out_of_distribution is odd
    advice = suggest(art, mf, "classification", k=4, seed=2)
    result = run_search(
        SplitCache(ds, seed=2),
        MLP_SPACE,
        ranked=ranked,
        n_trials=5,
        warm_k=4,
        epochs=1,
        seed=2,
        prune=False,
        device="cpu",
    )
    trials = result.trials.sort_values("number")
    assert list(trials["config"])[:4] == [s.config for s in advice.suggestions]
    assert list(trials["warm_start"]) == [True] * 4 + [False]
    who = [t.user_attrs["proposed_by"] for t in result.study.trials]
    assert who == ["warm start"] * 4 + ["advisor"]


def test_advisor_search_warm_starts_with_advisor_suggest(shared_synthetic_kb) -> None:
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    adv = Advisor(shared_synthetic_kb, device="cpu")
    result = adv.search(X, y, n_trials=3, epochs=1, seed=1, contribute=False)
    advice = adv.suggest(X, y, k=3, seed=1)
    assert list(result.trials.sort_values("number")["config"]) == [
        s.config for s in advice.suggestions
    ]


def test_a_pruned_trial_counts_with_its_last_reported_value() -> None:
    from advisor.search import trial_value

    dist = {"x": optuna.distributions.FloatDistribution(0, 1)}
    state = optuna.trial.TrialState

    def frozen(s: Any, values: dict[int, float], value: float | None = None) -> Any:
        return optuna.trial.create_trial(
            state=s, value=value, params={"x": 0.5}, distributions=dist, intermediate_values=values
        )

    assert trial_value(frozen(state.PRUNED, {1: 0.2, 3: 0.4, 2: 0.9})) == 0.4
    assert trial_value(frozen(state.PRUNED, {1: 0.2, 2: float("nan")})) == 0.2
    assert trial_value(frozen(state.PRUNED, {})) is None
    assert trial_value(frozen(state.COMPLETE, {1: 0.1}, 0.7)) == 0.7
    assert trial_value(frozen(state.FAIL, {1: 0.1})) is None


@pytest.mark.parametrize(
    ("strategy", "options", "fragment"),
    [
        ("tpe", {"list_distance": 0.3}, "strategy 'tpe' takes no sampler options"),
        ("warm", {"handover": 2}, "'warm' takes only the sampler option list_distance"),
        ("advisor", {"kappa": 1}, "unknown sampler option"),
        ("advisor", {"refiner": "tpe"}, "unknown sampler option refiner; allowed: handover"),
    ],
)
def test_sampler_options_a_strategy_cannot_use_are_rejected_before_any_trial(
    shared_synthetic_kb, tmp_path, strategy, options, fragment
) -> None:
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    storage = f"sqlite:///{tmp_path / 'study.sqlite'}"
    with pytest.raises(SearchError, match=fragment):
        Advisor(shared_synthetic_kb).search(
            X,
            y=y,
            n_trials=2,
            strategy=strategy,
            storage=storage,
            study_name="s",
            contribute=False,
            sampler_options=options,
        )
    assert not (tmp_path / "study.sqlite").exists()


def _pg_url_or_skip() -> str:
    from tests.conftest import PG_URL, _pg_available

    if not _pg_available():
        pytest.skip("PostgreSQL not reachable")
    return PG_URL


@pytest.mark.postgres
@pytest.mark.slow
def test_three_processes_share_one_study_on_postgres(kb_copy, wine_csv, tmp_path) -> None:
    import psycopg

    from tests.kb_helpers import unique_schema

    pg = _pg_url_or_skip()
    schema = unique_schema()
    raw = pg.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    storage = f"{pg}?options=-csearch_path%3D{schema}"
    exe = Path(sys.executable).parent / "advisor"
    n = 9
    try:
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
            t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
            for t in ran
        )
    finally:
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_named_default_is_a_valid_starting_point() -> None:
    assert named_config("default")["learning_rate"] == 1e-3
