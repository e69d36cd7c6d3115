"""The search's yardstick: ``default``'s validation objective on the same split and budget.

Every search ends by saying how its best configuration compares with the ``default`` recipe
(the configuration a user gets without advice). When the search trained ``default`` to its full
budget, that trial is the yardstick; otherwise one reference run trains it once, on the same
split with the same seed and budget, after the search (not counted in its trials).
"""

from __future__ import annotations

from advisor.data import SplitCache
from advisor.search.result import SearchResult, canonical_config
from advisor.trials import TrialResult, TrialSpec, run_trials
from advisor_core.errors import ConfigError
from advisor_core.spaces import SearchSpace, config_hash, named_config

__all__ = ["measure_default"]


def measure_default(
    result: SearchResult,
    cache: SplitCache,
    space: SearchSpace,
    *,
    epochs: int,
    seed: int,
    device: str = "auto",
    objective: str | None = None,
    trial_time_limit: float | None = None,
) -> TrialResult | None:
    """Set ``result.default_score`` and ``result.default_source``.

    Returns
    -------
    TrialResult or None
        The reference run's result when one was trained (for the knowledge base), else
        ``None`` (``default`` was among the search's trials, or the space has no ``default``).
    """
    if space.name != "mlp":
        return None
    try:
        default = named_config("default", task=cache.dataset.task, version=space.version)
    except ConfigError:
        return None
    target = config_hash(space.validate(default, complete=True))
    for row in result.trials.to_dict("records"):
        if (
            row["status"] == "complete"
            and row["epochs"] == epochs
            and row["score"] is not None
            and config_hash(canonical_config(space, row["config"])) == target
        ):
            result.default_score = float(row["score"])
            result.default_source = f"trial {int(row['number'])}"
            return None
    spec = TrialSpec(default, seed, epochs, epochs, trial_time_limit)
    run = run_trials(cache, [spec], device=device, objective=objective)[0][0]
    if run.score is not None:
        result.default_score = float(run.score)
        result.default_source = "reference run"
    return run
