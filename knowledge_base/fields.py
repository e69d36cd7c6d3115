"""Checks of the trial-log format's fields, one function per kind of field.

Each check returns the field's canonical value or raises :class:`Problem` with a one-line
reason that names the field, the value and the rule; :mod:`knowledge_base.records` turns the
reasons into the ``(index, reason)`` report of a batch.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from advisor_core import metafeature_schema as metafeatures
from advisor_core.errors import ConfigError
from knowledge_base.log_format import CURVE_KEYS, DATASET_KEYS, LIMITS, TASKS

__all__ = [
    "ID_RE",
    "METRIC_RE",
    "Problem",
    "check_curve",
    "check_dataset",
    "check_finite",
    "check_int",
    "check_metrics",
    "check_name",
    "check_timestamp",
    "is_int",
    "is_num",
]

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
METRIC_RE = re.compile(r"^[a-z][a-z0-9_@]{0,31}$")
_FINGERPRINT_RE = re.compile(r"^[A-Za-z0-9]{8,64}$")
_BAD_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f/\\]")
_DATASET_KEYS = set(DATASET_KEYS)
_CURVE_KEYS = set(CURVE_KEYS)


class Problem(Exception):
    """Why one record is invalid (internal: reported as ``(index, reason)``)."""


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def check_name(d: Mapping[str, Any], key: str, field: str, *, required: bool = False) -> str | None:
    v = d.get(key)
    if v is None:
        if required:
            raise Problem(f"{field} is missing")
        return None
    if not isinstance(v, str) or not v.strip():
        raise Problem(f"{field} is {v!r}, but must be a non-empty string")
    if len(v) > LIMITS["name_chars"]:
        raise Problem(
            f"{field} has {len(v)} characters, but at most {LIMITS['name_chars']} are allowed"
        )
    if _BAD_NAME_CHARS.search(v):
        raise Problem(
            f"{field} is {v!r}, but must not contain path separators or control characters"
        )
    return v


def check_int(
    d: Mapping[str, Any], key: str, field: str, lo: int, hi: int, *, required: bool = True
) -> int | None:
    v: Any = d.get(key)
    if v is None and not required:
        return None
    if not is_int(v) or not lo <= v <= hi:
        raise Problem(f"{field} is {v!r}, but must be an integer in [{lo}, {hi}]")
    return int(v)


def check_finite(v: Any, field: str, *, nullable: bool = True) -> float | None:
    if v is None and nullable:
        return None
    if not is_num(v) or not math.isfinite(float(v)):
        raise Problem(
            f"{field} is {v!r}, but must be a finite number" + (" or null" if nullable else "")
        )
    return float(v)


def check_dataset(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise Problem("dataset must be an object")
    unknown = sorted(set(raw) - _DATASET_KEYS)
    if unknown:
        raise Problem(f"dataset has unknown field {unknown[0]!r}")
    fp = raw.get("fingerprint")
    if not isinstance(fp, str) or not _FINGERPRINT_RE.match(fp):
        raise Problem(f"dataset.fingerprint is {fp!r}, but must be 8-64 letters or digits")
    task = raw.get("task")
    if task not in TASKS:
        raise Problem(f"dataset.task is {task!r}, but must be one of {', '.join(TASKS)}")
    n_classes = check_int(raw, "n_classes", "dataset.n_classes", 2, 100_000, required=False)
    if task == "classification" and n_classes is None:
        raise Problem("dataset.n_classes is missing for a classification dataset")
    version = raw.get("meta_features_version")
    try:
        mf = metafeatures.check_vector(version, raw.get("meta_features"))
    except ConfigError as exc:
        raise Problem(f"dataset.{exc}") from None
    return {
        "fingerprint": fp,
        "name": check_name(raw, "name", "dataset.name"),
        "source": check_name(raw, "source", "dataset.source"),
        "group": check_name(raw, "group", "dataset.group"),
        "task": task,
        "n_rows": check_int(raw, "n_rows", "dataset.n_rows", 1, 10**12),
        "n_features": check_int(raw, "n_features", "dataset.n_features", 1, 10**9),
        "n_classes": n_classes if task == "classification" else None,
        "meta_features_version": str(version),
        "meta_features": mf,
    }


def check_curve(raw: Any, max_epochs: int) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise Problem("learning_curve must be a list")
    if len(raw) > LIMITS["curve_epochs"]:
        raise Problem(
            f"learning_curve has {len(raw)} points, at most {LIMITS['curve_epochs']} are allowed"
        )
    out = []
    last = 0
    isfinite = math.isfinite
    for i, p in enumerate(raw):
        if type(p) is dict and tuple(p) == CURVE_KEYS:
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
            raise Problem(f"learning_curve[{i}] must be an object")
        if not p.keys() <= _CURVE_KEYS:
            unknown = sorted(set(p) - _CURVE_KEYS)
            raise Problem(f"learning_curve[{i}] has unknown field {unknown[0]!r}")
        epoch = p.get("epoch")
        if type(epoch) is not int or not last < epoch <= max_epochs:
            if type(epoch) is int and 1 <= epoch <= max_epochs:
                raise Problem(f"learning_curve[{i}].epoch is {epoch}, but epochs must increase")
            raise Problem(
                f"learning_curve[{i}].epoch is {epoch!r}, but must be an integer in "
                f"[1, {max_epochs}]"
            )
        last = epoch
        point: dict[str, Any] = {"epoch": epoch}
        for key in ("objective", "train_loss", "valid_loss"):
            v = p.get(key)
            if v is not None:
                if not is_num(v) or not isfinite(float(v)):
                    raise Problem(
                        f"learning_curve[{i}].{key} is {v!r}, but must be a finite number or null"
                    )
                v = float(v)
            point[key] = v
        out.append(point)
    return out


def check_metrics(raw: Any, status: str) -> dict[str, float]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise Problem("metrics must be an object {name: number}")
    if len(raw) > LIMITS["metrics"]:
        raise Problem(f"metrics has {len(raw)} entries, at most {LIMITS['metrics']} allowed")
    out = {}
    for k, v in sorted(raw.items(), key=lambda kv: str(kv[0])):
        if not isinstance(k, str) or not METRIC_RE.match(k):
            raise Problem(f"metric name {k!r} must match {METRIC_RE.pattern}")
        if not is_num(v):
            raise Problem(f"metrics.{k} is {v!r}, but must be a number")
        if not math.isfinite(float(v)):
            if status == "complete":
                raise Problem(f"metrics.{k} is {v!r}, but a complete trial needs finite metrics")
            continue
        out[k] = float(v)
    return out


def check_timestamp(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > 40:
        raise Problem(f"created_at is {raw!r}, but must be an ISO 8601 timestamp")
    try:
        t = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Problem(f"created_at is {raw!r}, but must be an ISO 8601 timestamp") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
