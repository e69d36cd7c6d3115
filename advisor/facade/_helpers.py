"""What the interfaces (CLI, service, integrations) need besides the :class:`Advisor` class."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlsplit, urlunsplit

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
    "announce_contribution",
    "dataset_name_for",
    "dataset_record",
    "distributions",
    "enqueue_warm_start",
    "evaluate_ranker",
    "load_dataset",
    "make_trial_id",
    "mask_url",
    "meta_feature_specs",
    "ranker_artifact_path",
    "read_table",
    "trial_value",
]

#: Ranker artifacts trained on the shipped seed (used while the knowledge base matches it).
_SHIPPED_RANKERS = Path(__file__).resolve().parents[2] / "knowledge_base" / "seed"

DataArg = str | Path | pd.DataFrame | np.ndarray


#: ``Dataset.name`` of data given in memory: not a name worth storing.
_PLACEHOLDER_NAMES = ("", "dataframe", "array")


def dataset_name_for(dataset: Dataset, name: str | None = None) -> str:
    """The name a dataset is stored under in contributed trials.

    Parameters
    ----------
    dataset : Dataset
        The loaded dataset.
    name : str, optional
        The name given by the user (kept as given).

    Returns
    -------
    str
        ``name``; else the file name the dataset was read from (without its folder); else
        ``data-`` and the first 8 hexadecimal digits of its fingerprint (data given as a
        frame or an array). Never ``None``, ``dataframe`` or ``array``.
    """
    if name is not None and name.strip():
        return name
    own = (dataset.name or "").strip()
    if own not in _PLACEHOLDER_NAMES:
        return Path(own).name or own
    return f"data-{dataset.fingerprint()[:8]}"


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
    name : str, optional
        The dataset's name (default: :func:`dataset_name_for`).
    source, group : str, optional
        Stored as given (the datasets of a ``group`` are held out together in evaluations).

    Returns
    -------
    dict
        JSON-ready (never the data itself).
    """
    from advisor.records import dataset_info

    return dataset_info(
        dataset,
        extract(dataset),
        name=dataset_name_for(dataset, name),
        source=source,
        group=group,
    )


def mask_url(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``.

    Parameters
    ----------
    url : str
        A knowledge-base or storage URL (``postgresql://user:secret@host/db``).

    Returns
    -------
    str
        The same URL without the secret (``postgresql://user:***@host/db``).
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("@", 1)[-1] if "@" in url else url
    user, at, host = parts.netloc.rpartition("@")
    if not at or ":" not in user:
        return url
    return urlunsplit(parts._replace(netloc=f"{user.split(':', 1)[0]}:***@{host}"))


def announce_contribution(
    kb_url: str,
    n_trials: int,
    dataset_name: str | None = None,
    opt_out_hint: str | None = None,
) -> None:
    """Say on stderr, in one line, that trials were written to a knowledge base.

    Parameters
    ----------
    kb_url : str
        The knowledge base written to (its password is masked: :func:`mask_url`).
    n_trials : int
        Trials written (added, not counting duplicates). Nothing is printed for 0.
    dataset_name : str, optional
        The dataset they were run on (also names it in the hint on taking them back).
    opt_out_hint : str, optional
        How to stop contributing, e.g. ``"contribute=False"`` or ``"--no-contribute"``.

    Returns
    -------
    None
        Writes e.g. ``advisor: wrote 4 trials of dataset 'data-1a2b3c4d' to the knowledge base
        sqlite:///kb.sqlite (opt out: contribute=False; remove: advisor kb remove --kb
        sqlite:///kb.sqlite --dataset data-1a2b3c4d)`` (``--kb`` unless it is the default).
    """
    from knowledge_base import default_url

    if n_trials <= 0:
        return
    of = f" of dataset {dataset_name!r}" if dataset_name else ""
    hints = [f"opt out: {opt_out_hint}"] if opt_out_hint else []
    where = "" if kb_url == default_url() else f" --kb {_shell_word(mask_url(kb_url))}"
    target = f"--dataset {_shell_word(dataset_name)}" if dataset_name else "--trial ID"
    hints.append(f"remove: advisor kb remove{where} {target}")
    plural = "trial" if n_trials == 1 else "trials"
    sys.stderr.write(
        f"advisor: wrote {n_trials} {plural}{of} to the knowledge base {mask_url(kb_url)} "
        f"({'; '.join(hints)})\n"
    )
    sys.stderr.flush()


def _shell_word(text: str) -> str:
    """``text`` quoted for a shell, on one line."""
    import shlex

    return shlex.quote(text.replace("\n", " ").replace("\r", " "))


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
