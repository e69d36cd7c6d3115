"""What a search found, read back from its Optuna study: :class:`SearchResult`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import optuna
import pandas as pd
from optuna.trial import TrialState

from advisor.search.optuna_io import trial_value
from advisor.search.sampler import PROPOSED_BY
from advisor_core.errors import ConfigError
from advisor_core.spaces import SearchSpace

__all__ = [
    "TRIAL_COLUMNS",
    "SearchResult",
    "canonical_config",
    "finished",
    "real_trials",
    "search_result",
]

#: The columns of :attr:`SearchResult.trials`.
TRIAL_COLUMNS = [
    "number",
    "config",
    "status",
    "score",
    "epochs",
    "warm_start",
    "proposed_by",
    "duration_s",
]


@dataclass
class SearchResult:
    """What a search found: the best configuration and every trial it ran.

    Attributes
    ----------
    strategy : str
        The strategy that ran.
    best_config : dict or None
        The configuration of the best complete trial (``None``: no trial completed).
    best_score : float or None
        Its validation objective.
    n_trials : int
        Trials run (surplus trials of a shared study not counted).
    trials : DataFrame
        One row per trial: ``number``, ``config``, ``status``, ``score`` (a pruned trial: its
        last reported value), ``epochs``, ``warm_start``, ``proposed_by`` (the warm start, the
        list, the surrogate, tpe or random), ``duration_s``.
    study : optuna.Study
        The study itself (user attribute ``proposed_by`` on each trial).
    objective : str
        The metric maximised.
    default_score : float or None
        The ``default`` recipe's validation objective on the same split and budget: from the
        search's own trial of it, or from one reference run after the search (not counted in
        ``n_trials``); ``None`` when not measured.
    default_source : str or None
        ``"trial N"`` or ``"reference run"``.
    confirmation : list of dict or None
        With ``confirm``: the confirmed configurations from the best mean down, each with its
        ``scores`` (the search's split first) and their ``mean``; the answer is the first.
    """

    strategy: str
    best_config: dict[str, Any] | None
    best_score: float | None
    n_trials: int
    trials: pd.DataFrame
    study: Any
    objective: str
    default_score: float | None = None
    default_source: str | None = None
    confirmation: list[dict[str, Any]] | None = None

    @property
    def gain_over_default(self) -> float | None:
        """``best_score - default_score`` when both are known."""
        if self.best_score is None or self.default_score is None:
            return None
        return self.best_score - self.default_score

    def to_dict(self) -> dict[str, Any]:
        """The JSON answer of ``advisor search --json`` (trials without their durations)."""
        return {
            "strategy": self.strategy,
            "objective": self.objective,
            "best_config": self.best_config,
            "best_score": self.best_score,
            "default_score": self.default_score,
            "default_source": self.default_source,
            "gain_over_default": self.gain_over_default,
            "n_trials": self.n_trials,
            "confirmation": self.confirmation,
            "trials": [
                {
                    "number": int(r["number"]),
                    "config": r["config"],
                    "status": r["status"],
                    "score": None
                    if r["score"] is None or r["score"] != r["score"]
                    else float(r["score"]),
                    "epochs": int(r["epochs"]),
                    "warm_start": bool(r["warm_start"]),
                    "proposed_by": r["proposed_by"],
                }
                for r in self.trials.to_dict("records")
            ],
        }


def canonical_config(space: SearchSpace, params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` completed and canonical in ``space``, or as they are when they do not fit."""
    try:
        return space.validate(params, complete=True)
    except ConfigError:
        return dict(params)


def real_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """The study's finished trials, without the surplus ones of a shared study."""
    return [
        t
        for t in study.get_trials(deepcopy=False)
        if not t.user_attrs.get("surplus")
        and t.state != TrialState.RUNNING
        and t.state != TrialState.WAITING
    ]


def finished(trials: pd.DataFrame) -> pd.DataFrame:
    """The trials of a :attr:`SearchResult.trials` table that ran to their budget (complete,
    or stopped by the time limit) with a score: those an answer is chosen among.

    Parameters
    ----------
    trials : pandas.DataFrame
        Columns :data:`TRIAL_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
    """
    return trials[trials["status"].isin(["complete", "timeout"]) & trials["score"].notna()]


def search_result(
    study: optuna.Study, strategy: str, space: SearchSpace, objective: str
) -> SearchResult:
    """The :class:`SearchResult` of a finished study."""
    rows = []
    for t in real_trials(study):
        cfg = canonical_config(space, t.params)
        status = t.user_attrs.get("status") or {TrialState.FAIL: "failed"}.get(t.state, "failed")
        score = None
        if status in ("complete", "timeout") and t.value is not None:
            score = float(t.value)
        elif status == "pruned":
            score = trial_value(t)
        rows.append(
            {
                "number": t.number,
                "config": cfg,
                "status": status,
                "score": score,
                "epochs": int(t.user_attrs.get("epochs", 0)),
                "warm_start": bool(t.user_attrs.get("warm_start", False)),
                "proposed_by": t.user_attrs.get(PROPOSED_BY),
                "duration_s": (t.duration.total_seconds() if t.duration else math.nan),
            }
        )
    trials = pd.DataFrame(rows, columns=TRIAL_COLUMNS)
    done = finished(trials)
    if done.empty:
        done = trials[trials["score"].notna()]
    best_cfg: dict[str, Any] | None = None
    best_score: float | None = None
    if not done.empty:
        best = max(done.to_dict("records"), key=lambda r: float(r["score"]))
        best_cfg, best_score = dict(best["config"]), float(best["score"])
    return SearchResult(
        strategy=strategy,
        best_config=best_cfg,
        best_score=best_score,
        n_trials=len(trials),
        trials=trials,
        study=study,
        objective=objective,
    )
