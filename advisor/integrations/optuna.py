"""Optuna integration.

* :func:`warm_start` enqueues the advisor's suggestions into a user's own study;
* :func:`advisor_sampler` is a sampler to pass to ``optuna.create_study`` with any objective;
* :func:`study_to_records` turns a finished study into knowledge-base trials
  (``advisor kb import-optuna``).
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from advisor_core.errors import ConfigError, MissingDependencyError
from advisor_core.spaces import SearchSpace

__all__ = ["advisor_sampler", "load_study", "redact_url", "study_to_records", "warm_start"]

_STATUS = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed"}


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:  # pragma: no cover - optuna is a core dependency
        raise MissingDependencyError("this needs optuna: pip install optuna") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def redact_url(url: str) -> str:
    """The URL without its password (``user:***@host``)."""
    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", url)


def load_study(storage: str, study_name: str) -> Any:
    """Open an existing Optuna study; a missing storage or study is a :class:`ConfigError`."""
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

    Parameter names are mapped with ``param_map`` (study name -> space name), missing ones are
    completed from the space's default; intermediate values become the learning curve (one
    point per reported step, step = epoch). A minimised study must name a ``neg_*`` objective
    (its values are negated so that higher is better).
    """
    optuna = _optuna()
    minimize = study.direction == optuna.study.StudyDirection.MINIMIZE
    if minimize and not objective.startswith("neg_"):
        raise ConfigError(
            f"study {study.study_name!r} minimises its value; name the objective as a negated "
            f"metric with --objective neg_<metric> (got {objective!r})"
        )
    sign = -1.0 if minimize else 1.0
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
        elif status == "pruned":
            score = curve[-1]["objective"] if curve else None
        else:
            score = None
        epochs = curve[-1]["epoch"] if curve else 0
        runtime = (
            (t.datetime_complete - t.datetime_start).total_seconds()
            if t.datetime_complete and t.datetime_start
            else 0.0
        )
        ident = hashlib.sha256(f"{storage_id}\x1f{study.study_name}\x1f{t.number}".encode())
        rec: dict[str, Any] = {
            "trial_id": f"optuna-{ident.hexdigest()[:24]}-{t.number}",
            "dataset": dataset,
            "space": space.name,
            "space_version": space.version,
            "config": config,
            "seed": 0,
            "epochs": epochs,
            "max_epochs": max(max_step, epochs, 1),
            "learning_curve": curve,
            "metrics": {},
            "objective": objective,
            "score": score,
            "status": status,
            "runtime_s": max(0.0, runtime),
            "hardware": "optuna-import",
            "contributor": contributor,
        }
        if t.datetime_start:
            rec["created_at"] = t.datetime_start.isoformat()
        if space.name != "mlp":
            rec["space_definition"] = space.to_dict()
        records.append({k: v for k, v in rec.items() if v is not None or k == "score"})
    return records


def _mapped(config: dict[str, Any], param_map: dict[str, str] | None) -> dict[str, Any]:
    """Space names -> study names; with a map, only the mapped parameters."""
    if not param_map:
        return dict(config)
    return {param_map[k]: v for k, v in config.items() if k in param_map}


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
    space: str = "mlp",
) -> list[dict[str, Any]]:
    """Enqueue the advisor's top-``k`` suggestions for ``(X, y)`` into a user's Optuna study.

    ``param_map`` maps the space's names to the study's (``{"learning_rate": "lr"}``); with a
    map, only the mapped parameters are enqueued (the user's own space). Returns the enqueued
    parameter dicts. Already-enqueued identical trials are skipped.
    """
    from advisor.facade import Advisor

    adv = advisor or Advisor()
    advice = adv.suggest(X, y, meta_features=meta_features, task=task, k=k, space=space)
    out = []
    for s in advice.suggestions:
        params = _mapped(s.config, param_map)
        study.enqueue_trial(params, user_attrs={"warm_start": True}, skip_if_exists=True)
        out.append(params)
    return out


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
) -> Any:
    """An Optuna sampler guided by the ranker's prior for this dataset and refined by the
    study's own trials; pass it to ``optuna.create_study(sampler=...)`` with your objective.
    Parameters the advisor does not know are sampled at random."""
    from advisor.facade import Advisor

    adv = advisor or Advisor()
    if meta_features is None:
        mf = adv.meta_features(X, y=y, task=task)
        values = dict(mf.values)
    else:
        values = dict(meta_features)
    return adv.sampler(values, space=space, seed=seed, param_map=param_map)
