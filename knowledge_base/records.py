"""Validation of trial records: one record to its canonical form, a batch to a report.

A record carries the dataset's meta-features, never its data. Every contributed record is
validated before anything is written; a problem is reported as ``(index, reason)``. The
format's constants and :class:`TrialRecord` are in :mod:`knowledge_base.log_format`, the field
checks in :mod:`knowledge_base.fields`, JSON Lines reading in :mod:`knowledge_base.jsonl`;
see ``knowledge_base/README.md`` and ``knowledge_base/trial_log.schema.json``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from advisor_core.errors import ConfigError, ValidationError
from advisor_core.spaces import SearchSpace, builtin_space, builtin_spaces, builtin_versions
from knowledge_base.fields import (
    ID_RE,
    METRIC_RE,
    Problem,
    check_curve,
    check_dataset,
    check_finite,
    check_int,
    check_metrics,
    check_name,
    check_timestamp,
    is_int,
    is_num,
)
from knowledge_base.jsonl import BadLine, iter_jsonl
from knowledge_base.log_format import (
    FORMAT,
    FORMAT_VERSION,
    LIMITS,
    RECORD_KEYS,
    STATUSES,
    SYNTHETIC_PREFIX,
    TrialRecord,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "LIMITS",
    "STATUSES",
    "SYNTHETIC_PREFIX",
    "NormalizedRecord",
    "SpaceResolver",
    "TrialRecord",
    "content_hash",
    "default_space_resolver",
    "iter_jsonl",
    "normalize_record",
    "validate_records",
]

#: ``(name, version, definition or None) -> SearchSpace``; raises :class:`ConfigError`.
SpaceResolver = Callable[[str, int, Any], SearchSpace]
_KNOWN_KEYS = set(RECORD_KEYS)


@dataclass(frozen=True)
class NormalizedRecord:
    """A validated record in canonical form, ready to be written.

    ``body`` holds the scalar fields; nested ones are kept as canonical JSON text.
    """

    trial_id: str
    dataset: dict[str, Any]
    space: SearchSpace
    config: dict[str, Any]
    config_hash: str
    config_json: str
    curve_json: str
    metrics_json: str
    body: dict[str, Any]
    content_hash: str


def _json(v: Any) -> str:
    """Compact JSON (values are validated finite before they get here)."""
    return orjson.dumps(v).decode()


def content_hash(body: Mapping[str, Any], *parts: str) -> str:
    """Hash of what makes a trial *the same trial*: everything but ``created_at``."""
    keep = [(k, v) for k, v in body.items() if k != "created_at"]
    text = _json(keep) + "\x1e" + "\x1e".join(parts)
    return hashlib.sha256(text.encode()).hexdigest()


class _Caches:
    """Per-batch caches: records of a batch share datasets and configurations."""

    def __init__(self) -> None:
        self.datasets: dict[str, tuple[Any, dict[str, Any]]] = {}
        self.configs: dict[tuple[str, int, tuple[Any, ...]], tuple[dict[str, Any], str, str]] = {}


def _cached_dataset(raw: Any, caches: _Caches) -> dict[str, Any]:
    fp = raw.get("fingerprint") if isinstance(raw, dict) else None
    if isinstance(fp, str):
        hit = caches.datasets.get(fp)
        if hit is not None and hit[0] == raw:
            return hit[1]
    out = check_dataset(raw)
    caches.datasets[out["fingerprint"]] = (raw, out)
    return out


def _cached_config(
    space: SearchSpace,
    raw: Any,
    caches: _Caches,
) -> tuple[dict[str, Any], str, str]:
    from advisor_core.spaces import config_hash

    key = None
    if isinstance(raw, dict):
        try:
            key = (space.name, space.version, tuple(raw.items()))
            hash(key)
        except TypeError:
            key = None
        if (
            key is not None
            and key in caches.configs
            and all(
                type(v) is type(w)
                for v, w in zip(raw.values(), caches.configs[key][0].values(), strict=False)
            )
        ):
            return caches.configs[key]
    config = space.validate(raw if raw is not None else {})
    out = (config, config_hash(config), _json(config))
    if key is not None:
        caches.configs[key] = out
    return out


def normalize_record(
    raw: Any, resolve_space: SpaceResolver, caches: _Caches | None = None
) -> NormalizedRecord:
    """Validate one record (a JSON object or a :class:`TrialRecord`); raise :class:`Problem`
    (internal) with the reason."""
    caches = caches or _Caches()
    if isinstance(raw, BadLine):
        raise Problem(raw.reason)
    if isinstance(raw, TrialRecord):
        raw = raw.to_dict()
    if not isinstance(raw, Mapping):
        raise Problem("a record must be a JSON object")
    unknown = sorted(set(raw) - _KNOWN_KEYS)
    if unknown:
        raise Problem(f"unknown field {unknown[0]!r}")
    if raw.get("format", FORMAT) != FORMAT:
        raise Problem(f"format is {raw.get('format')!r}, but must be {FORMAT!r}")
    fv = raw.get("format_version", FORMAT_VERSION)
    if fv != FORMAT_VERSION or isinstance(fv, bool):
        raise Problem(f"format_version is {fv!r}, but this advisor reads {FORMAT_VERSION}")
    tid = raw.get("trial_id")
    if not isinstance(tid, str) or not ID_RE.match(tid):
        raise Problem(
            f"trial_id is {tid!r}, but must be 1-64 letters, digits or _.:- "
            "(starting with a letter or digit)"
        )
    space_name = raw.get("space", "mlp")
    if not isinstance(space_name, str):
        raise Problem(f"space is {space_name!r}, but must be a string")
    sv = raw.get("space_version", 1)
    if not is_int(sv) or sv < 1:
        raise Problem(f"space_version is {sv!r}, but must be an integer >= 1")
    try:
        space = resolve_space(space_name, int(sv), raw.get("space_definition"))
        config, chash, cjson = _cached_config(space, raw.get("config"), caches)
    except ConfigError as exc:
        raise Problem(str(exc)) from None
    dataset = _cached_dataset(raw.get("dataset"), caches)
    status = raw.get("status")
    if status not in STATUSES:
        raise Problem(f"status is {status!r}, but must be one of {', '.join(STATUSES)}")
    max_epochs = check_int(
        raw, "max_epochs", "max_epochs", 1, LIMITS["curve_epochs"], required=False
    )
    epochs = check_int(raw, "epochs", "epochs", 0, LIMITS["curve_epochs"])
    assert epochs is not None
    max_epochs = max_epochs if max_epochs is not None else max(epochs, 1)
    if epochs > max_epochs:
        raise Problem(f"epochs is {epochs}, but must not exceed max_epochs ({max_epochs})")
    objective = raw.get("objective")
    if not isinstance(objective, str) or not METRIC_RE.match(objective):
        raise Problem(f"objective is {objective!r}, but must be a metric name")
    score_raw = raw.get("score")
    if status == "complete" and (
        score_raw is None or not is_num(score_raw) or not math.isfinite(float(score_raw))
    ):
        raise Problem(f"score is {score_raw!r}, but a complete trial needs a finite score")
    score = (
        check_finite(score_raw, "score") if status in ("complete", "pruned", "timeout") else None
    )
    if (
        status in ("failed", "diverged")
        and score_raw is not None
        and is_num(score_raw)
        and math.isfinite(float(score_raw))
    ):
        raise Problem(f"score is {score_raw!r}, but a {status} trial has no score (null)")
    runtime = check_finite(raw.get("runtime_s", 0.0), "runtime_s", nullable=False)
    assert runtime is not None
    if runtime < 0:
        raise Problem(f"runtime_s is {runtime}, but must be >= 0")
    message = raw.get("message")
    if message is not None and (
        not isinstance(message, str) or len(message) > LIMITS["message_chars"]
    ):
        raise Problem(f"message must be a string of at most {LIMITS['message_chars']} chars")
    curve_json = _json(check_curve(raw.get("learning_curve"), max_epochs))
    metrics_json = _json(check_metrics(raw.get("metrics"), status))
    body = {
        "trial_id": tid,
        "dataset_fingerprint": dataset["fingerprint"],
        "space": space.name,
        "space_version": space.version,
        "seed": check_int(raw, "seed", "seed", 0, 2**31 - 1, required=False) or 0,
        "epochs": epochs,
        "max_epochs": max_epochs,
        "objective": objective,
        "score": score,
        "status": status,
        "runtime_s": runtime,
        "hardware": check_name(raw, "hardware", "hardware"),
        "advisor_version": check_name(raw, "advisor_version", "advisor_version"),
        "contributor": check_name(raw, "contributor", "contributor"),
        "message": message,
        "created_at": check_timestamp(raw.get("created_at")),
    }
    return NormalizedRecord(
        tid,
        dataset,
        space,
        config,
        chash,
        cjson,
        curve_json,
        metrics_json,
        body,
        content_hash(body, cjson, curve_json, metrics_json),
    )


def validate_records(
    records: Iterable[Any],
    resolve_space: SpaceResolver,
) -> list[NormalizedRecord]:
    """Validate every record; raise :class:`ValidationError` listing ``(index, reason)``."""
    out: list[NormalizedRecord] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, str] = {}
    caches = _Caches()
    n = 0
    for i, raw in enumerate(records):
        n += 1
        if n > LIMITS["batch_records"]:
            raise ValidationError(
                f"batch has more than {LIMITS['batch_records']} records; send smaller batches",
                [(i, "batch too large")],
            )
        try:
            rec = normalize_record(raw, resolve_space, caches)
        except Problem as exc:
            problems.append((i, str(exc)))
            continue
        prev = seen.get(rec.trial_id)
        if prev is not None and prev != rec.content_hash:
            problems.append(
                (i, f"trial_id {rec.trial_id!r} appears twice in the batch with different values")
            )
            continue
        seen[rec.trial_id] = rec.content_hash
        out.append(rec)
    if problems:
        shown = "; ".join(f"record {i}: {r}" for i, r in problems[:5])
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        raise ValidationError(
            f"{len(problems)} of {n} record(s) invalid, nothing was written: {shown}{more}",
            problems,
        )
    return out


def default_space_resolver(name: str, version: int, definition: Any) -> SearchSpace:
    """Built-in spaces only; a declared space must come with its definition."""
    if name in builtin_spaces():
        builtin = builtin_space(name, version)
        if builtin is None:
            raise ConfigError(
                f"space {name!r} version {version} is unknown; this advisor has versions "
                f"{', '.join(str(v) for v in builtin_versions(name))}"
            )
        return builtin
    if definition is None:
        raise ConfigError(
            f"unknown space {name!r}; built-in spaces: "
            f"{', '.join(builtin_spaces())}; a declared space needs "
            "'space_definition'"
        )
    space = SearchSpace.from_dict(
        {**definition, "name": name, "version": version}
        if isinstance(definition, Mapping)
        else definition
    )
    return space
