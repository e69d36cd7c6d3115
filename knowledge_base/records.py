"""The trial-log format (JSON Lines, one trial per line): validation and canonical form.

A record carries the dataset's meta-features, never its data. Every contributed record is
validated before anything is written; a problem is reported as ``(index, reason)``. See
``knowledge_base/README.md`` and ``knowledge_base/trial_log.schema.json``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from advisor_core import metafeature_schema as metafeatures
from advisor_core.errors import ConfigError, ValidationError
from advisor_core.spaces import SearchSpace, builtin_spaces

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "LIMITS",
    "STATUSES",
    "SYNTHETIC_PREFIX",
    "NormalizedRecord",
    "content_hash",
    "iter_jsonl",
    "normalize_record",
    "validate_records",
]

#: Groups of generated datasets start with this prefix; every other group counts as real.
SYNTHETIC_PREFIX = "synthetic:"
FORMAT = "tuning-advisor-trial"
FORMAT_VERSION = 1
STATUSES = ("complete", "pruned", "failed", "diverged", "timeout")
TASKS = ("classification", "regression")

#: Documented limits on contributed records.
LIMITS = {
    "batch_records": 100_000,  # records per contribute() call (the service allows fewer)
    "name_chars": 200,  # dataset name, source, group, hardware, contributor
    "trial_id_chars": 64,
    "message_chars": 2_000,
    "curve_epochs": 1_000,
    "metrics": 32,
    "line_bytes": 1_000_000,  # one JSON line
}
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
_FINGERPRINT_RE = re.compile(r"^[A-Za-z0-9]{8,64}$")
_METRIC_RE = re.compile(r"^[a-z][a-z0-9_@]{0,31}$")
_BAD_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f/\\]")
_KNOWN_KEYS = {
    "format",
    "format_version",
    "trial_id",
    "dataset",
    "space",
    "space_version",
    "space_definition",
    "config",
    "seed",
    "epochs",
    "max_epochs",
    "learning_curve",
    "metrics",
    "objective",
    "score",
    "status",
    "runtime_s",
    "hardware",
    "advisor_version",
    "contributor",
    "created_at",
    "message",
}
_DATASET_KEYS = {
    "fingerprint",
    "name",
    "source",
    "group",
    "task",
    "n_rows",
    "n_features",
    "n_classes",
    "meta_features_version",
    "meta_features",
}
_CURVE_KEYS = {"epoch", "objective", "train_loss", "valid_loss"}
_CURVE_ORDER = ("epoch", "objective", "train_loss", "valid_loss")


class _Problem(Exception):
    pass


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _name(d: Mapping[str, Any], key: str, field: str, *, required: bool = False) -> str | None:
    v = d.get(key)
    if v is None:
        if required:
            raise _Problem(f"{field} is missing")
        return None
    if not isinstance(v, str) or not v.strip():
        raise _Problem(f"{field} is {v!r}, but must be a non-empty string")
    if len(v) > LIMITS["name_chars"]:
        raise _Problem(
            f"{field} has {len(v)} characters, but at most {LIMITS['name_chars']} are allowed"
        )
    if _BAD_NAME_CHARS.search(v):
        raise _Problem(
            f"{field} is {v!r}, but must not contain path separators or control characters"
        )
    return v


def _int(
    d: Mapping[str, Any], key: str, field: str, lo: int, hi: int, *, required: bool = True
) -> int | None:
    v: Any = d.get(key)
    if v is None and not required:
        return None
    if not _is_int(v) or not lo <= v <= hi:
        raise _Problem(f"{field} is {v!r}, but must be an integer in [{lo}, {hi}]")
    return int(v)


def _finite(v: Any, field: str, *, nullable: bool = True) -> float | None:
    if v is None and nullable:
        return None
    if not _is_num(v) or not math.isfinite(float(v)):
        raise _Problem(
            f"{field} is {v!r}, but must be a finite number" + (" or null" if nullable else "")
        )
    return float(v)


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


def _dataset(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise _Problem("dataset must be an object")
    unknown = sorted(set(raw) - _DATASET_KEYS)
    if unknown:
        raise _Problem(f"dataset has unknown field {unknown[0]!r}")
    fp = raw.get("fingerprint")
    if not isinstance(fp, str) or not _FINGERPRINT_RE.match(fp):
        raise _Problem(f"dataset.fingerprint is {fp!r}, but must be 8-64 letters or digits")
    task = raw.get("task")
    if task not in TASKS:
        raise _Problem(f"dataset.task is {task!r}, but must be one of {', '.join(TASKS)}")
    n_classes = _int(raw, "n_classes", "dataset.n_classes", 2, 100_000, required=False)
    if task == "classification" and n_classes is None:
        raise _Problem("dataset.n_classes is missing for a classification dataset")
    version = raw.get("meta_features_version")
    try:
        mf = metafeatures.check_vector(version, raw.get("meta_features"))
    except ConfigError as exc:
        raise _Problem(f"dataset.{exc}") from None
    return {
        "fingerprint": fp,
        "name": _name(raw, "name", "dataset.name"),
        "source": _name(raw, "source", "dataset.source"),
        "group": _name(raw, "group", "dataset.group"),
        "task": task,
        "n_rows": _int(raw, "n_rows", "dataset.n_rows", 1, 10**12),
        "n_features": _int(raw, "n_features", "dataset.n_features", 1, 10**9),
        "n_classes": n_classes if task == "classification" else None,
        "meta_features_version": str(version),
        "meta_features": mf,
    }


def _curve(raw: Any, max_epochs: int) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _Problem("learning_curve must be a list")
    if len(raw) > LIMITS["curve_epochs"]:
        raise _Problem(
            f"learning_curve has {len(raw)} points, at most {LIMITS['curve_epochs']} are allowed"
        )
    out = []
    last = 0
    isfinite = math.isfinite
    for i, p in enumerate(raw):
        if type(p) is dict and tuple(p) == _CURVE_ORDER:
            # fast path for canonical points (what the advisor and exports write)
            e, o, tl, vl = p["epoch"], p["objective"], p["train_loss"], p["valid_loss"]
            if (
                type(e) is int
                and last < e <= max_epochs
                and (o is None or (type(o) is float and isfinite(o)))
                and (tl is None or (type(tl) is float and isfinite(tl)))
                and (vl is None or (type(vl) is float and isfinite(vl)))
            ):
                last = e
                out.append(p)
                continue
        if not isinstance(p, dict):
            raise _Problem(f"learning_curve[{i}] must be an object")
        if not p.keys() <= _CURVE_KEYS:
            unknown = sorted(set(p) - _CURVE_KEYS)
            raise _Problem(f"learning_curve[{i}] has unknown field {unknown[0]!r}")
        epoch = p.get("epoch")
        if type(epoch) is not int or not last < epoch <= max_epochs:
            if type(epoch) is int and 1 <= epoch <= max_epochs:
                raise _Problem(f"learning_curve[{i}].epoch is {epoch}, but epochs must increase")
            raise _Problem(
                f"learning_curve[{i}].epoch is {epoch!r}, but must be an integer in "
                f"[1, {max_epochs}]"
            )
        last = epoch
        point: dict[str, Any] = {"epoch": epoch}
        for key in ("objective", "train_loss", "valid_loss"):
            v = p.get(key)
            if v is not None:
                if not _is_num(v) or not isfinite(float(v)):
                    raise _Problem(
                        f"learning_curve[{i}].{key} is {v!r}, but must be a finite number or null"
                    )
                v = float(v)
            point[key] = v
        out.append(point)
    return out


def _metrics(raw: Any, status: str) -> dict[str, float]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _Problem("metrics must be an object {name: number}")
    if len(raw) > LIMITS["metrics"]:
        raise _Problem(f"metrics has {len(raw)} entries, at most {LIMITS['metrics']} allowed")
    out = {}
    for k, v in sorted(raw.items(), key=lambda kv: str(kv[0])):
        if not isinstance(k, str) or not _METRIC_RE.match(k):
            raise _Problem(f"metric name {k!r} must match {_METRIC_RE.pattern}")
        if not _is_num(v):
            raise _Problem(f"metrics.{k} is {v!r}, but must be a number")
        if not math.isfinite(float(v)):
            if status == "complete":
                raise _Problem(f"metrics.{k} is {v!r}, but a complete trial needs finite metrics")
            continue
        out[k] = float(v)
    return out


def _timestamp(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > 40:
        raise _Problem(f"created_at is {raw!r}, but must be an ISO 8601 timestamp")
    try:
        t = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _Problem(f"created_at is {raw!r}, but must be an ISO 8601 timestamp") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _cached_dataset(raw: Any, caches: _Caches) -> dict[str, Any]:
    fp = raw.get("fingerprint") if isinstance(raw, dict) else None
    if isinstance(fp, str):
        hit = caches.datasets.get(fp)
        if hit is not None and hit[0] == raw:
            return hit[1]
    out = _dataset(raw)
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
    raw: Any, resolve_space: Callable[[str, int, Any], SearchSpace], caches: _Caches | None = None
) -> NormalizedRecord:
    """Validate one record; raise :class:`_Problem` (internal) with the reason."""
    caches = caches or _Caches()
    if isinstance(raw, _BadLine):
        raise _Problem(raw.reason)
    if not isinstance(raw, Mapping):
        raise _Problem("a record must be a JSON object")
    unknown = sorted(set(raw) - _KNOWN_KEYS)
    if unknown:
        raise _Problem(f"unknown field {unknown[0]!r}")
    if raw.get("format", FORMAT) != FORMAT:
        raise _Problem(f"format is {raw.get('format')!r}, but must be {FORMAT!r}")
    fv = raw.get("format_version", FORMAT_VERSION)
    if fv != FORMAT_VERSION or isinstance(fv, bool):
        raise _Problem(f"format_version is {fv!r}, but this advisor reads {FORMAT_VERSION}")
    tid = raw.get("trial_id")
    if not isinstance(tid, str) or not _ID_RE.match(tid):
        raise _Problem(
            f"trial_id is {tid!r}, but must be 1-64 letters, digits or _.:- "
            "(starting with a letter or digit)"
        )
    space_name = raw.get("space", "mlp")
    if not isinstance(space_name, str):
        raise _Problem(f"space is {space_name!r}, but must be a string")
    sv = raw.get("space_version", 1)
    if not _is_int(sv) or sv < 1:
        raise _Problem(f"space_version is {sv!r}, but must be an integer >= 1")
    try:
        space = resolve_space(space_name, int(sv), raw.get("space_definition"))
        config, chash, cjson = _cached_config(space, raw.get("config"), caches)
    except ConfigError as exc:
        raise _Problem(str(exc)) from None
    dataset = _cached_dataset(raw.get("dataset"), caches)
    status = raw.get("status")
    if status not in STATUSES:
        raise _Problem(f"status is {status!r}, but must be one of {', '.join(STATUSES)}")
    max_epochs = _int(raw, "max_epochs", "max_epochs", 1, LIMITS["curve_epochs"], required=False)
    epochs = _int(raw, "epochs", "epochs", 0, LIMITS["curve_epochs"])
    assert epochs is not None
    max_epochs = max_epochs if max_epochs is not None else max(epochs, 1)
    if epochs > max_epochs:
        raise _Problem(f"epochs is {epochs}, but must not exceed max_epochs ({max_epochs})")
    objective = raw.get("objective")
    if not isinstance(objective, str) or not _METRIC_RE.match(objective):
        raise _Problem(f"objective is {objective!r}, but must be a metric name")
    score_raw = raw.get("score")
    if status == "complete" and (
        score_raw is None or not _is_num(score_raw) or not math.isfinite(float(score_raw))
    ):
        raise _Problem(f"score is {score_raw!r}, but a complete trial needs a finite score")
    score = _finite(score_raw, "score") if status in ("complete", "pruned", "timeout") else None
    if (
        status in ("failed", "diverged")
        and score_raw is not None
        and _is_num(score_raw)
        and math.isfinite(float(score_raw))
    ):
        raise _Problem(f"score is {score_raw!r}, but a {status} trial has no score (null)")
    runtime = _finite(raw.get("runtime_s", 0.0), "runtime_s", nullable=False)
    assert runtime is not None
    if runtime < 0:
        raise _Problem(f"runtime_s is {runtime}, but must be >= 0")
    message = raw.get("message")
    if message is not None and (
        not isinstance(message, str) or len(message) > LIMITS["message_chars"]
    ):
        raise _Problem(f"message must be a string of at most {LIMITS['message_chars']} chars")
    curve_json = _json(_curve(raw.get("learning_curve"), max_epochs))
    metrics_json = _json(_metrics(raw.get("metrics"), status))
    body = {
        "trial_id": tid,
        "dataset_fingerprint": dataset["fingerprint"],
        "space": space.name,
        "space_version": space.version,
        "seed": _int(raw, "seed", "seed", 0, 2**31 - 1, required=False) or 0,
        "epochs": epochs,
        "max_epochs": max_epochs,
        "objective": objective,
        "score": score,
        "status": status,
        "runtime_s": runtime,
        "hardware": _name(raw, "hardware", "hardware"),
        "advisor_version": _name(raw, "advisor_version", "advisor_version"),
        "contributor": _name(raw, "contributor", "contributor"),
        "message": message,
        "created_at": _timestamp(raw.get("created_at")),
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
    resolve_space: Callable[[str, int, Any], SearchSpace],
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
        except _Problem as exc:
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
    builtin = builtin_spaces().get(name)
    if builtin is not None:
        if version != builtin.version:
            raise ConfigError(
                f"space {name!r} version {version} is unknown; this advisor has "
                f"version {builtin.version}"
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


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def iter_jsonl(path: str | Path) -> Iterator[Any]:
    """Records of a JSON Lines file; a line that is not JSON becomes a problem, not a crash."""
    p = Path(path)
    with p.open("r", encoding="utf-8", errors="strict") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            if len(line) > LIMITS["line_bytes"]:
                yield _BadLine(lineno, f"line {lineno} is longer than {LIMITS['line_bytes']} bytes")
                continue
            try:
                yield json.loads(line, parse_constant=_reject_constant)
            except ValueError as exc:
                yield _BadLine(lineno, f"line {lineno} is not valid JSON ({str(exc)[:80]})")


class _BadLine(dict[str, str]):
    """Stands in for an unparsable line so validation reports it with its index."""

    def __init__(self, lineno: int, reason: str) -> None:
        super().__init__({"__bad_line__": reason})
        self.reason = reason
