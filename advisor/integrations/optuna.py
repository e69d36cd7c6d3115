"""Optuna integration.

* :func:`warm_start` enqueues the advisor's suggestions into a user's own study;
* :func:`advisor_sampler` is a sampler to pass to ``optuna.create_study`` with any objective;
* :func:`import_study` (with :func:`study_to_records`) turns a finished study into
  knowledge-base trials (``advisor kb import-optuna``).
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any, cast

from advisor_core.errors import ConfigError, MissingDependencyError
from advisor_core.spaces import SearchSpace

__all__ = [
    "advisor_sampler",
    "import_study",
    "load_study",
    "redact_url",
    "study_to_records",
    "warm_start",
]

_STATUS = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed"}


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:  # pragma: no cover - optuna is a core dependency
        raise MissingDependencyError("this needs optuna: pip install optuna") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def redact_url(url: str) -> str:
    """The URL without its password.

    Parameters
    ----------
    url : str
        A storage URL.

    Returns
    -------
    str
        ``user:***@host`` in place of ``user:password@host``.

    Examples
    --------
    >>> redact_url("postgresql://ann:secret@db/optuna")
    'postgresql://ann:***@db/optuna'
    """
    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", url)


def load_study(storage: str, study_name: str) -> Any:
    """Open an existing Optuna study.

    Parameters
    ----------
    storage : str
        The study's Optuna storage URL.
    study_name : str
        Its name.

    Returns
    -------
    optuna.Study

    Raises
    ------
    ConfigError
        If the storage cannot be opened or holds no such study (the message lists its studies).
    """
    optuna = _optuna()
    try:
        names = [s.study_name for s in optuna.study.get_all_study_summaries(storage)]
    except Exception as exc:
        raise ConfigError(
            f"cannot open Optuna storage {storage!r}: {str(exc).splitlines()[0][:200]}"
        ) from None
    if study_name not in names:
        raise ConfigError(
            f"study {study_name!r} not found in {storage!r}; studies: "
            f"{', '.join(names) or '(none)'}"
        )
    return optuna.load_study(study_name=study_name, storage=storage)


def study_to_records(
    study: Any,
    dataset: dict[str, Any],
    space: SearchSpace,
    *,
    objective: str,
    storage_id: str,
    param_map: dict[str, str] | None = None,
    contributor: str | None = None,
) -> list[dict[str, Any]]:
    """One trial record per finished trial of ``study`` (complete, pruned or failed).

    Intermediate values become the learning curve (one point per reported step, step =
    epoch); a pruned trial scores its last reported value.

    Parameters
    ----------
    study : optuna.Study
        The finished study.
    dataset : dict
        The records' ``dataset`` part (``advisor.facade.dataset_record``).
    space : SearchSpace
        The space the study's parameters belong to; missing ones are completed from its
        default.
    objective : str
        What the study's value is; a minimised study must name a ``neg_*`` objective (its
        values are negated so that higher is better).
    storage_id : str
        Identifies the storage in the records' ids (``redact_url(storage)``).
    param_map : dict, optional
        Study parameter name to space name.
    contributor : str, optional
        Stored with the records.

    Returns
    -------
    list of dict
        Records of the trial-log format (``knowledge_base/README.md``).

    Raises
    ------
    ConfigError
        For a minimised study without a ``neg_*`` objective, or a trial outside the space.
    """
    from advisor.facade import trial_value

    optuna = _optuna()
    minimize = study.direction == optuna.study.StudyDirection.MINIMIZE
    if minimize and not objective.startswith("neg_"):
        raise ConfigError(
            f"study {study.study_name!r} minimises its value; name the objective as a negated "
            f"metric with --objective neg_<metric> (got {objective!r})"
        )
    sign = -1.0 if minimize else 1.0
    from knowledge_base import TrialRecord

    mapping = param_map or {}
    records: list[dict[str, Any]] = []
    finished = [t for t in study.get_trials(deepcopy=False) if t.state.name in _STATUS]
    max_step = max((max(t.intermediate_values, default=0) for t in finished), default=0)
    for t in finished:
        params = {mapping.get(k, k): v for k, v in t.params.items()}
        try:
            config = space.validate(params, complete=True)
        except ConfigError as exc:
            raise ConfigError(f"trial {t.number} of study {study.study_name!r}: {exc}") from None
        status = _STATUS[t.state.name]
        curve = []
        for step in sorted(t.intermediate_values):
            v = t.intermediate_values[step]
            if step < 1 or v is None or not math.isfinite(v):
                continue
            curve.append({"epoch": int(step), "objective": sign * float(v)})
        if status == "complete":
            if t.value is None or not math.isfinite(t.value):
                status, score = "diverged", None
            else:
                score = sign * float(t.value)
        elif status == "pruned":  # its last reported value, the rule of the search
            value = trial_value(t)
            score = None if value is None else sign * value
        else:
            score = None
        epochs = curve[-1]["epoch"] if curve else 0
        runtime = (
            (t.datetime_complete - t.datetime_start).total_seconds()
            if t.datetime_complete and t.datetime_start
            else 0.0
        )
        ident = hashlib.sha256(f"{storage_id}\x1f{study.study_name}\x1f{t.number}".encode())
        record = TrialRecord(
            trial_id=f"optuna-{ident.hexdigest()[:24]}-{t.number}",
            dataset=dataset,
            space=space.name,
            space_version=space.version,
            config=config,
            epochs=int(epochs),
            max_epochs=int(max(max_step, epochs, 1)),
            learning_curve=curve,
            objective=objective,
            score=score,
            status=status,
            runtime_s=max(0.0, runtime),
            hardware="optuna-import",
            contributor=contributor,
            created_at=t.datetime_start.isoformat() if t.datetime_start else None,
            space_definition=space.to_dict() if space.name != "mlp" else None,
        )
        records.append(record.to_dict())
    return records


def import_study(
    storage: str,
    study: str,
    data: Any,
    *,
    target: str | None = None,
    task: str = "auto",
    space: str = "mlp",
    objective: str | None = None,
    param_map: dict[str, str] | None = None,
    dataset_name: str | None = None,
    contributor: str | None = None,
    advisor: Any = None,
) -> Any:
    """Turn a finished Optuna study on ``data`` into knowledge-base trials
    (``advisor kb import-optuna``).

    Parameters
    ----------
    storage, study : str
        The study's Optuna storage URL and name.
    data, target, task
        The data the study tuned on, as for ``Advisor.meta_features`` (only its
        meta-features are stored).
    space : str, default="mlp"
        The space the study's parameters belong to.
    objective : str, optional
        What the study's value is (default: balanced accuracy / R²; ``neg_<metric>`` for a
        minimised study).
    param_map : dict, optional
        Study parameter name to space name, for parameters named differently.
    dataset_name, contributor : str, optional
        Stored with the trials.
    advisor : Advisor, optional
        Whose knowledge base receives the trials (default: ``Advisor()``).

    Returns
    -------
    ContributionReport
        ``added`` and ``duplicates`` (importing a study twice adds nothing).
    """
    from advisor.facade import Advisor, dataset_record, load_dataset
    from advisor_core.objectives import DEFAULT_OBJECTIVE

    adv = advisor or Advisor()
    ds = load_dataset(data, target, task=cast(Any, task))  # checked by load_dataset
    records = study_to_records(
        load_study(storage, study),
        dataset_record(ds, name=dataset_name),
        adv.space(space),
        objective=objective or DEFAULT_OBJECTIVE[ds.task],
        storage_id=redact_url(storage),
        param_map=param_map,
        contributor=contributor,
    )
    return adv.contribute(records)


def warm_start(
    study: Any,
    X: Any = None,
    y: Any = None,
    *,
    k: int = 5,
    advisor: Any = None,
    meta_features: dict[str, Any] | None = None,
    task: str = "auto",
    param_map: dict[str, str] | None = None,
    distributions: dict[str, Any] | None = None,
    space: str = "mlp",
    seed: int = 0,
    epochs: int = 20,
) -> list[dict[str, Any]]:
    """Enqueue the advisor's top-``k`` suggestions for ``(X, y)`` into a user's Optuna study.

    The study gets its warm start once: a second call on the same study enqueues nothing.
    Each enqueued trial carries the user attribute ``warm_start``.

    Parameters
    ----------
    study : optuna.Study
        Your study (maximising or minimising: the configurations do not depend on it).
    X, y : array-like, optional
        The data (features and target), or a file or frame with ``task``, as for
        ``Advisor.suggest``.
    k : int, default=5
        How many suggestions to enqueue (1 to 50).
    advisor : Advisor, optional
        The advisor to ask (default: ``Advisor()``, the default knowledge base).
    meta_features : dict, optional
        The dataset's meta-features instead of its data (then ``task`` is required).
    task : {"auto", "classification", "regression"}, default="auto"
        The task.
    param_map : dict, optional
        The space's names to the study's (``{"learning_rate": "lr"}``); with a map only the
        mapped parameters are enqueued (your objective samples the others).
    distributions : dict, optional
        Your study's ranges by its names (``{"lr": FloatDistribution(1e-4, 0.1, log=True)}``):
        the suggestions are clipped into them.
    space : str, default="mlp"
        The search space.
    seed : int, default=0
        Seed of the ranker's list; give :func:`advisor_sampler` the same, and the sampler
        continues the list these suggestions start.
    epochs : int, default=20
        The training budget of your trials (the advice is for that budget).

    Returns
    -------
    list of dict
        The enqueued parameters under the study's names (empty when the study already had
        its warm start).

    Examples
    --------
    >>> study = optuna.create_study(direction="maximize")  # doctest: +SKIP
    >>> warm_start(study, X, y, k=3, param_map={"learning_rate": "lr"})  # doctest: +SKIP
    [{'lr': 0.0021}, {'lr': 0.012}, {'lr': 0.00047}]
    """
    from advisor.facade import Advisor, enqueue_warm_start

    adv = advisor or Advisor()
    advice = adv.suggest(
        X, y, meta_features=meta_features, task=task, k=k, space=space, epochs=epochs, seed=seed
    )
    configs = [s.config for s in advice.suggestions]
    return enqueue_warm_start(study, configs, param_map=param_map, distributions=distributions)


def advisor_sampler(
    X: Any = None,
    y: Any = None,
    *,
    advisor: Any = None,
    meta_features: dict[str, Any] | None = None,
    task: str = "auto",
    param_map: dict[str, str] | None = None,
    seed: int = 0,
    space: str = "mlp",
    epochs: int = 20,
) -> Any:
    """An Optuna sampler that continues the advisor's list for this dataset and refines it
    with the study's own trials; pass it to ``optuna.create_study(sampler=...)``.

    Parameters the advisor does not know are sampled at random. The sampler's
    ``proposer(study, trial_number)`` names who proposed a trial (``"warm start"``,
    ``"advisor"``); to record it as the search does, call
    ``trial.set_user_attr("proposed_by", sampler.proposer(trial.study, trial.number))`` in your
    objective after its ``suggest_*`` calls.

    Parameters
    ----------
    X, y : array-like, optional
        The data, as for :func:`warm_start`.
    advisor : Advisor, optional
        The advisor to ask (default: ``Advisor()``).
    meta_features : dict, optional
        The dataset's meta-features instead of its data (then ``task`` is required).
    task : {"auto", "classification", "regression"}, default="auto"
        The task.
    param_map : dict, optional
        The space's names to the study's; with a map only the mapped parameters are guided.
    seed : int, default=0
        The sampler's seed (and the list's, as for :func:`warm_start`).
    space : str, default="mlp"
        The search space.
    epochs : int, default=20
        The training budget of your trials (the advice is for that budget).

    Returns
    -------
    AdvisorSampler
        An ``optuna.samplers.BaseSampler``.

    Raises
    ------
    ConfigError
        With ``meta_features`` and ``task="auto"``.

    Examples
    --------
    >>> sampler = advisor_sampler(X, y, param_map={"learning_rate": "lr"})  # doctest: +SKIP
    >>> study = optuna.create_study(direction="maximize", sampler=sampler)  # doctest: +SKIP
    """
    from advisor.facade import Advisor

    adv = advisor or Advisor()
    if meta_features is None:
        mf = adv.meta_features(X, y=y, task=task)
        values, resolved = dict(mf.values), mf.task
    else:
        if task not in ("classification", "regression"):
            raise ConfigError(
                f"with meta_features, task must be classification or regression, got {task!r}"
            )
        values, resolved = dict(meta_features), task
    return adv.sampler(
        values, task=resolved, space=space, epochs=epochs, seed=seed, param_map=param_map
    )
