"""Optuna trials and the search space, through Optuna's public API only.

* :func:`distributions`: the Optuna distributions of a space;
* :func:`suggest_config`: a trial's configuration by ``trial.suggest_*`` calls;
* :func:`fit_value`: a value made valid for a study's own distribution;
* :func:`trial_value`: the value a finished trial counts with (a pruned trial: its last
  reported value), the one rule the sampler, the search's results and the knowledge-base
  import share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import BaseTrial, FrozenTrial, TrialState

from advisor_core.errors import ConfigError
from advisor_core.spaces import CategoricalParam, IntParam, SearchSpace

__all__ = ["distributions", "fit_value", "suggest_config", "trial_value"]


def distributions(
    space: SearchSpace, param_map: Mapping[str, str] | None = None
) -> dict[str, BaseDistribution]:
    """The Optuna distributions of a space.

    Parameters
    ----------
    space : SearchSpace
        The space (``advisor_core.spaces.MLP_SPACE``, or a declared one).
    param_map : mapping, optional
        Space name to study name, for parameters the study names differently.

    Returns
    -------
    dict of str to BaseDistribution
        One per hyperparameter, under the study's names.

    Examples
    --------
    >>> from advisor_core.spaces import MLP_SPACE
    >>> distributions(MLP_SPACE)["batch_size"]
    IntDistribution(high=1024, log=True, low=16, step=1)
    """
    rename = param_map or {}
    out: dict[str, BaseDistribution] = {}
    for p in space.params:
        name = rename.get(p.name, p.name)
        if isinstance(p, CategoricalParam):
            out[name] = CategoricalDistribution(list(p.choices))
        elif isinstance(p, IntParam):
            out[name] = IntDistribution(p.low, p.high, log=p.log)
        else:
            out[name] = FloatDistribution(p.low, p.high, log=p.log)
    return out


def suggest_config(trial: BaseTrial, dists: Mapping[str, BaseDistribution]) -> dict[str, Any]:
    """Ask ``trial`` for one value of each distribution, by the public ``suggest_*`` call of
    its type.

    Parameters
    ----------
    trial : optuna.trial.BaseTrial
        The running trial.
    dists : mapping of str to BaseDistribution
        Parameter name to distribution (see :func:`distributions`).

    Returns
    -------
    dict
        Parameter name to the trial's value.

    Raises
    ------
    ConfigError
        For a distribution type other than categorical, int and float.
    """
    out: dict[str, Any] = {}
    for name, d in dists.items():
        if isinstance(d, CategoricalDistribution):
            out[name] = trial.suggest_categorical(name, d.choices)
        elif isinstance(d, IntDistribution):
            out[name] = trial.suggest_int(name, d.low, d.high, step=d.step, log=d.log)
        elif isinstance(d, FloatDistribution):
            out[name] = trial.suggest_float(name, d.low, d.high, step=d.step, log=d.log)
        else:
            raise ConfigError(
                f"distribution of {name!r} is {type(d).__name__}, but must be a categorical, "
                "int or float distribution"
            )
    return out


def fit_value(value: Any, dist: BaseDistribution) -> Any:
    """A value made valid for a study's distribution.

    Parameters
    ----------
    value : object
        A value of the space (a number, or a category).
    dist : BaseDistribution
        The study's distribution of that parameter.

    Returns
    -------
    object
        Numbers clipped into the range and onto the step; a category that is not a choice
        becomes the first choice.
    """
    if isinstance(dist, CategoricalDistribution):
        return value if value in dist.choices else dist.choices[0]
    if isinstance(dist, IntDistribution):
        i = min(dist.high, max(dist.low, round(float(value))))
        return dist.low + ((i - dist.low) // dist.step) * dist.step
    if isinstance(dist, FloatDistribution):
        f = min(dist.high, max(dist.low, float(value)))
        if dist.step is not None:
            f = dist.low + round((f - dist.low) / dist.step) * dist.step
        return min(dist.high, f)
    return value


def trial_value(trial: FrozenTrial) -> float | None:
    """The value a finished trial counts with.

    A complete trial counts with its value; a pruned one with its last reported finite value
    (the step with the highest number); any other, or a pruned trial that reported nothing,
    with ``None``.

    Parameters
    ----------
    trial : optuna.trial.FrozenTrial

    Returns
    -------
    float or None
    """
    if trial.state == TrialState.COMPLETE and trial.values:
        return float(trial.values[0])
    if trial.state == TrialState.PRUNED:
        steps = [
            s for s, v in trial.intermediate_values.items() if v is not None and math.isfinite(v)
        ]
        if steps:
            return float(trial.intermediate_values[max(steps)])
    return None
