"""The warm start: the ranker's suggestions enqueued as a study's first trials, once per study.

Every caller (the search, the Optuna integration, ``AdvisorSearchCV``, the service's studies)
enqueues through :func:`enqueue_warm_start`, so a warm-start trial is marked the same way
everywhere (user attribute ``warm_start``) and a study gets its warm start once, however many
processes join it (the study's user attribute ``advisor_warm_start`` records it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import optuna

from advisor.search.optuna_io import fit_value
from advisor_core.spaces import config_hash

__all__ = ["WARM_START", "WARM_START_ATTR", "enqueue_warm_start", "study_params"]

#: The user attribute that marks a trial of the warm start.
WARM_START = "warm_start"
#: The study's user attribute that records its warm start (the configurations' hashes).
WARM_START_ATTR = "advisor_warm_start"


def study_params(
    config: Mapping[str, Any], param_map: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A configuration of the space under a study's names.

    Parameters
    ----------
    config : mapping
        A configuration of the space.
    param_map : mapping, optional
        Space name to study name.

    Returns
    -------
    dict
        With a map only the mapped parameters, renamed; without, all of them.
    """
    if not param_map:
        return dict(config)
    return {param_map[k]: v for k, v in config.items() if k in param_map}


def enqueue_warm_start(
    study: optuna.Study,
    configs: Sequence[Mapping[str, Any]],
    *,
    param_map: Mapping[str, str] | None = None,
    distributions: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Enqueue ``configs`` as the study's first trials, unless the study has its warm start.

    Each enqueued trial carries the user attribute ``warm_start`` (``True``); an identical
    trial already waiting is not enqueued twice. Processes that share a study should call this
    under one lock (``run_search`` takes one) so that only the first enqueues.

    Parameters
    ----------
    study : optuna.Study
        The study (any direction, any storage).
    configs : sequence of dict
        Configurations of the space, in the order to run them (the suggestions).
    param_map : mapping, optional
        Space name to study name; with a map, only the mapped parameters are enqueued (the
        study's objective samples the others).
    distributions : mapping of str to optuna distribution, optional
        The study's ranges by its parameter names: enqueued values are clipped into them (a
        study narrower than the space would otherwise run values outside its own range).

    Returns
    -------
    list of dict
        The enqueued parameters under the study's names; empty when the study already had
        its warm start.

    Examples
    --------
    >>> import optuna
    >>> study = optuna.create_study(direction="maximize")
    >>> enqueue_warm_start(study, [{"learning_rate": 0.01, "width": 64}],
    ...                    param_map={"learning_rate": "lr"})
    [{'lr': 0.01}]
    >>> enqueue_warm_start(study, [{"learning_rate": 0.01}])
    []
    """
    if WARM_START_ATTR in study.user_attrs:
        return []
    out = []
    for config in configs:
        params = study_params(config, param_map)
        for name, dist in (distributions or {}).items():
            if name in params:
                params[name] = fit_value(params[name], dist)
        study.enqueue_trial(params, user_attrs={WARM_START: True}, skip_if_exists=True)
        out.append(params)
    study.set_user_attr(WARM_START_ATTR, [config_hash(dict(c)) for c in configs])
    return out
