"""Hyperparameter importance with Optuna's evaluators, for the report.

* :func:`trial_importances`: the importances of a search's own finished trials (copied into an
  in-memory study, so a shared study's storage is only read);
* :func:`kb_study`: knowledge-base trials (a DataFrame the caller queried: ``config`` and
  ``value``, optionally ``dataset``) as an in-memory Optuna study over the space's
  distributions;
* :func:`kb_importances`: the importances of that study.

Each answers an :class:`Importances`: the values, or none with the sentence that says why
(too few trials, or the evaluator failed), so that the report can print it instead of a figure.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial, TrialState

from advisor.search.optuna_io import distributions, fit_value
from advisor_core.spaces import MLP_SPACE

__all__ = [
    "MAX_KB_TRIALS",
    "MIN_KB_TRIALS",
    "MIN_TRIALS",
    "USABLE_ATTR",
    "Importances",
    "kb_importances",
    "kb_study",
    "study_distributions",
    "trial_importances",
]

#: Fewest complete trials of a search for its importances.
MIN_TRIALS = 3
#: Fewest knowledge-base trials for theirs.
MIN_KB_TRIALS = 10
#: Trials beyond this (a search's or the knowledge base's) are subsampled (seeded): fANOVA's
#: time grows with the square of the trials (300: a few seconds; 3000: minutes).
MAX_KB_TRIALS = 300
#: The study attribute of :func:`kb_study` that counts the usable rows before subsampling.
USABLE_ATTR = "usable_trials"


@dataclass(frozen=True)
class Importances:
    """Importances (name to share, summing to 1) or, when empty, ``note`` says why."""

    values: dict[str, float] = field(default_factory=dict)
    n_trials: int = 0
    note: str = ""
    n_given: int = 0  # usable trials given (a random ``n_trials`` of them when more)

    @property
    def ok(self) -> bool:
        return bool(self.values)


@contextmanager
def _quiet() -> Iterator[None]:
    """Optuna's INFO lines (a study created in memory) silenced, the level restored after."""
    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(level)


def _evaluate(study: optuna.Study, n: int, what: str) -> Importances:
    try:
        with _quiet():
            raw = optuna.importance.get_param_importances(
                study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0)
            )
    except Exception as exc:  # the evaluator's failures are many and all mean "no figure"
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        return Importances(n_trials=n, note=f"The importances of {what} failed: {first}")
    values = {k: float(v) for k, v in raw.items() if math.isfinite(float(v))}
    if not values:
        return Importances(
            n_trials=n,
            note=f"The importances of {what} are undefined: the objective did not vary, or no "
            "hyperparameter did.",
        )
    return Importances(values=values, n_trials=n)


def trial_importances(
    trials: Sequence[FrozenTrial],
    *,
    min_trials: int = MIN_TRIALS,
    max_trials: int = MAX_KB_TRIALS,
) -> Importances:
    """The importances of a search's trials (its complete ones count, as in Optuna).

    Parameters
    ----------
    trials : sequence of FrozenTrial
        The search's trials (other states are left out).
    min_trials : int, default=MIN_TRIALS
        Fewest complete trials needed.
    max_trials : int, default=MAX_KB_TRIALS
        Beyond this many complete trials, a seeded random subsample of them.

    Returns
    -------
    Importances
    """
    done = [
        t
        for t in trials
        if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)
    ]
    if len(done) < min_trials:
        return Importances(
            n_trials=len(done),
            note=f"Hyperparameter importance needs at least {min_trials} complete trials; this "
            f"search has {len(done)}.",
        )
    n_done = len(done)
    if n_done > max_trials:
        keep = np.random.default_rng(0).choice(n_done, max_trials, replace=False)
        done = [done[i] for i in sorted(keep)]
    with _quiet():
        study = optuna.create_study(direction="maximize")
        study.add_trials(done)
    return replace(_evaluate(study, len(done), "this search"), n_given=n_done)


def study_distributions(trials: Sequence[FrozenTrial]) -> dict[str, BaseDistribution]:
    """The distributions a study's trials were sampled from (the ``mlp`` space's when the
    trials have none)."""
    out: dict[str, BaseDistribution] = {}
    for t in trials:
        for name, d in t.distributions.items():
            out.setdefault(name, d)
    return out or distributions(MLP_SPACE)


def _column(frame: pd.DataFrame, *names: str) -> str | None:
    return next((n for n in names if n in frame.columns), None)


def _targets(frame: pd.DataFrame, value_col: str, dataset_col: str | None) -> pd.Series:
    """The values, as their percentile rank within their dataset when there are several
    datasets (scales differ between datasets; what a hyperparameter changes within one is
    what counts)."""
    values = pd.to_numeric(frame[value_col], errors="coerce").astype(float)
    if dataset_col is None or frame[dataset_col].nunique() < 2:
        return values
    return values.groupby(frame[dataset_col]).rank(pct=True)


def kb_study(
    kb_trials: pd.DataFrame,
    dists: Mapping[str, BaseDistribution] | None = None,
    *,
    max_trials: int = MAX_KB_TRIALS,
) -> optuna.Study:
    """Knowledge-base trials as an in-memory Optuna study (maximized).

    Parameters
    ----------
    kb_trials : DataFrame
        ``config`` (a dict) and ``value`` (or ``score``) per trial; with ``dataset`` (or
        ``dataset_name``) naming more than one dataset, each value becomes its percentile rank
        within its dataset. Rows without a finite value or a config are left out.
    dists : mapping of str to BaseDistribution, optional
        The space's distributions (default: the ``mlp`` space's). Values are fitted into them
        (:func:`advisor.search.optuna_io.fit_value`); other keys are left out.
    max_trials : int, default=MAX_KB_TRIALS
        Beyond this many usable rows, a seeded random subsample of them (the values ranked
        before it).

    Returns
    -------
    optuna.Study
        One complete trial per usable row kept; the user attribute ``USABLE_ATTR`` counts the
        usable rows before subsampling.
    """
    dists = dict(dists or distributions(MLP_SPACE))
    value_col = _column(kb_trials, "value", "score")
    usable: list[tuple[Mapping[str, Any], float]] = []
    if value_col is not None and "config" in kb_trials.columns:
        targets = _targets(kb_trials, value_col, _column(kb_trials, "dataset", "dataset_name"))
        usable = [
            (c, float(v))
            for c, v in zip(kb_trials["config"], targets, strict=True)
            if isinstance(c, Mapping) and np.isfinite(v)
        ]
    n_usable = len(usable)
    if n_usable > max_trials:
        keep = np.random.default_rng(0).choice(n_usable, max_trials, replace=False)
        usable = [usable[i] for i in sorted(keep)]
    made = [t for c, v in usable if (t := _trial(c, v, dists)) is not None]
    with _quiet():
        study = optuna.create_study(direction="maximize")
        study.add_trials(made)
    study.set_user_attr(USABLE_ATTR, n_usable)
    return study


def _trial(
    config: Mapping[str, Any], value: float, dists: Mapping[str, BaseDistribution]
) -> FrozenTrial | None:
    """A complete trial of ``config``'s values fitted into ``dists`` (``None``: no value fits)."""
    params: dict[str, Any] = {}
    used: dict[str, BaseDistribution] = {}
    for name, d in dists.items():
        if config.get(name) is None:
            continue
        try:
            params[name] = fit_value(config[name], d)
        except (TypeError, ValueError):
            continue
        used[name] = d
    if not used:
        return None
    return optuna.trial.create_trial(
        state=TrialState.COMPLETE, value=value, params=params, distributions=used
    )


def kb_importances(
    kb_trials: pd.DataFrame | None,
    dists: Mapping[str, BaseDistribution] | None = None,
    *,
    min_trials: int = MIN_KB_TRIALS,
) -> Importances:
    """The importances of knowledge-base trials on datasets like this one (see
    :func:`kb_study`); ``note`` says why there are none."""
    if kb_trials is None:
        return Importances(
            note="No knowledge-base trials were given, so the importances on similar datasets "
            "are not shown."
        )
    study = kb_study(kb_trials, dists)
    n = len(study.trials)
    given = int(study.user_attrs.get(USABLE_ATTR, n))
    if n < min_trials:
        return Importances(
            n_trials=n,
            n_given=given,
            note=f"Importance on similar datasets needs at least {min_trials} usable "
            f"knowledge-base trials; {n} were given.",
        )
    return replace(_evaluate(study, n, "the knowledge-base trials"), n_given=given)
