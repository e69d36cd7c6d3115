"""The sampler and the warm start: the list that `suggest` shows, who proposed each trial, a
user's own policy and study, pruned values, options."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import optuna
import pytest

from advisor.data import SplitCache, load_dataset
from advisor.facade import Advisor
from advisor.search import PROPOSED_BY, WARM_START, AdvisorSampler, History, run_search
from advisor_core.errors import ConfigError, SearchError
from advisor_core.spaces import named_config


def test_warm_start_enqueues_suggestions_into_a_users_study(shared_synthetic_kb) -> None:
    from sklearn.datasets import load_wine

    from advisor.integrations.optuna import advisor_sampler, warm_start

    X, y = load_wine(return_X_y=True, as_frame=True)
    adv = Advisor(shared_synthetic_kb)
    mapping = {"learning_rate": "lr", "width": "units"}
    study = optuna.create_study(
        direction="maximize", sampler=advisor_sampler(X, y, advisor=adv, param_map=mapping)
    )
    ranges = {
        "lr": optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True),
        "units": optuna.distributions.IntDistribution(8, 512, log=True),
    }
    queued = warm_start(study, X, y, k=3, advisor=adv, param_map=mapping, distributions=ranges)
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


def test_a_configuration_another_worker_is_running_is_not_proposed_again(
    shared_synthetic_kb,
) -> None:
    """Concurrent workers (several processes, Ray Tune): a trial still running has no value
    yet, but its configuration is taken; the next proposal is the list's next item."""
    from advisor.search import distributions, suggest_config
    from advisor_core.spaces import MLP_SPACE

    ranked, _, _ = _wine(shared_synthetic_kb, seed=3)
    study = optuna.create_study(
        direction="maximize", sampler=AdvisorSampler(ranked, seed=3, interleave=1)
    )
    dists = distributions(MLP_SPACE)
    first = study.ask()
    a = suggest_config(first, dists)  # left running
    second = study.ask()
    b = suggest_config(second, dists)
    assert a != b
    assert a == ranked.diverse_configs(1)[0]
    assert b == ranked.diverse_configs(2)[1]
