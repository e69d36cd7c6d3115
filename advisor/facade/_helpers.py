"""What the interfaces (CLI, service, integrations) need besides the :class:`Advisor` class."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from advisor.data import Dataset, load_dataset, read_table
from advisor.metafeatures import extract
from advisor.metafeatures import specs as meta_feature_specs
from advisor.ranker.cache import artifact_path as ranker_artifact_path
from advisor.ranker.evaluate import evaluate as evaluate_ranker
from advisor_core.errors import ConfigError
from advisor_core.spaces import SearchSpace

__all__ = [
    "DataArg",
    "dataset_record",
    "distributions",
    "enqueue_warm_start",
    "evaluate_ranker",
    "load_dataset",
    "make_trial_id",
    "meta_feature_specs",
    "ranker_artifact_path",
    "read_table",
    "trial_value",
]

#: Ranker artifacts trained on the shipped seed (used while the knowledge base matches it).
_SHIPPED_RANKERS = Path(__file__).resolve().parents[2] / "knowledge_base" / "seed"

DataArg = str | Path | pd.DataFrame | np.ndarray


def dataset_record(
    dataset: Dataset,
    *,
    name: str | None = None,
    source: str | None = None,
    group: str | None = None,
) -> dict[str, Any]:
    """The ``dataset`` part of a trial record: fingerprint, sizes, task, meta-features.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset (:func:`load_dataset`); its meta-features are computed.
    name, source, group : str, optional
        Stored as given (the datasets of a ``group`` are held out together in evaluations).

    Returns
    -------
    dict
        JSON-ready (never the data itself).
    """
    from advisor.records import dataset_info

    return dataset_info(dataset, extract(dataset), name=name, source=source, group=group)


def make_trial_id(*parts: object) -> str:
    """A trial id derived from what identifies a trial, so that re-sending it is idempotent.

    Parameters
    ----------
    *parts : object
        What identifies the trial (e.g. its source, a study id and a trial number).

    Returns
    -------
    str
        ``"t-"`` and 32 hexadecimal digits.
    """
    from advisor.records import deterministic_trial_id

    return deterministic_trial_id(*parts)


def distributions(space: SearchSpace) -> dict[str, Any]:
    """The Optuna distributions of a space, for ``study.ask(distributions(space))``.

    Parameters
    ----------
    space : SearchSpace
        ``advisor_core.spaces.MLP_SPACE``, or a space from :meth:`Advisor.space`.

    Returns
    -------
    dict of str to optuna.distributions.BaseDistribution
        One per hyperparameter.
    """
    from advisor.search import distributions as optuna_distributions

    return optuna_distributions(space)


def enqueue_warm_start(
    study: Any,
    configs: Iterable[Mapping[str, Any]],
    *,
    param_map: Mapping[str, str] | None = None,
    distributions: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Enqueue configurations (the suggestions) as a study's warm start, once per study.

    Parameters
    ----------
    study : optuna.Study
        The study.
    configs : iterable of dict
        Configurations of the space, in the order to run them.
    param_map : mapping, optional
        Space name to study name; with a map only the mapped parameters are enqueued.
    distributions : mapping, optional
        The study's ranges by its names: enqueued values are clipped into them.

    Returns
    -------
    list of dict
        The enqueued parameters (empty when the study already had its warm start); each
        trial carries the user attribute ``warm_start``.
    """
    from advisor.search.warm_start import enqueue_warm_start as enqueue

    return enqueue(study, list(configs), param_map=param_map, distributions=distributions)


def trial_value(trial: Any) -> float | None:
    """The value a finished Optuna trial counts with (a pruned one: its last reported value).

    Parameters
    ----------
    trial : optuna.trial.FrozenTrial

    Returns
    -------
    float or None
        ``None`` for a failed trial, or a pruned one that reported nothing.
    """
    from advisor.search.optuna_io import trial_value as value

    return value(trial)


def _study_lock(storage: str | None) -> AbstractContextManager[Any]:
    """The cross-process lock of the Optuna storage a search shares (none without one)."""
    if storage is None:
        return nullcontext()
    from knowledge_base.stores import open_store

    return open_store(storage).init_lock("optuna-study")


def _dataset(data: DataArg | Dataset, target: str | None, y: Any, task: str) -> Dataset:
    if isinstance(data, Dataset):
        return data
    if task not in ("auto", "classification", "regression"):
        raise ConfigError(f"task is {task!r}, but must be one of auto, classification, regression")
    resolved = cast(Literal["auto", "classification", "regression"], task)
    return load_dataset(data, target, y=y, task=resolved)
