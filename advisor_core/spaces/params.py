"""Hyperparameter declarations: float, int and categorical, with validation, unit-cube
mapping and encoding; the canonical hash of a configuration."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from advisor_core.errors import ConfigError

__all__ = ["CategoricalParam", "FloatParam", "IntParam", "Param", "config_hash", "unit_bounds"]

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}$")
_SIGNIFICANT_DIGITS = 8


def is_number(value: Any) -> bool:
    """A JSON number: int or float, and not a boolean (``True`` is not a number)."""
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _round_float(value: float) -> float:
    return float(f"{float(value):.{_SIGNIFICANT_DIGITS}g}")


@dataclass(frozen=True)
class FloatParam:
    """A real-valued hyperparameter in ``[low, high]``, optionally on a log scale."""

    name: str
    low: float
    high: float
    log: bool = False
    kind: Literal["float"] = "float"

    def check(self, value: Any) -> float:
        if not is_number(value) or not math.isfinite(float(value)):
            raise ConfigError(
                f"hyperparameter {self.name!r} is {value!r}, but must be a finite number "
                f"in [{self.low:g}, {self.high:g}]"
            )
        v = _round_float(float(value))
        if not (self.low <= v <= self.high):
            raise ConfigError(
                f"hyperparameter {self.name!r} is {value!r}, but must be in "
                f"[{self.low:g}, {self.high:g}]"
            )
        return v

    def from_unit(self, u: float) -> float:
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            return _round_float(min(self.high, max(self.low, math.exp(lo + u * (hi - lo)))))
        return _round_float(self.low + u * (self.high - self.low))

    def encode(self, value: Any) -> float:
        return math.log10(float(value)) if self.log else float(value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": "float",
            "low": self.low,
            "high": self.high,
            "log": self.log,
        }


@dataclass(frozen=True)
class IntParam:
    """An integer hyperparameter in ``[low, high]``, optionally on a log scale."""

    name: str
    low: int
    high: int
    log: bool = False
    kind: Literal["int"] = "int"

    def check(self, value: Any) -> int:
        ok = is_number(value) and math.isfinite(float(value)) and float(value) == int(value)
        if not ok:
            raise ConfigError(
                f"hyperparameter {self.name!r} is {value!r}, but must be an integer "
                f"in [{self.low}, {self.high}]"
            )
        v = int(value)
        if not (self.low <= v <= self.high):
            raise ConfigError(
                f"hyperparameter {self.name!r} is {value!r}, but must be in "
                f"[{self.low}, {self.high}]"
            )
        return v

    def from_unit(self, u: float) -> int:
        if self.log:
            lo, hi = (
                math.log(self.low - 0.5 if self.low > 0.5 else self.low),
                math.log(self.high + 0.5),
            )
            v = round(math.exp(lo + u * (hi - lo)))
        else:
            v = math.floor(self.low + u * (self.high - self.low + 1))
        return min(self.high, max(self.low, v))

    def encode(self, value: Any) -> float:
        return math.log10(float(value)) if self.log else float(value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": "int",
            "low": self.low,
            "high": self.high,
            "log": self.log,
        }


@dataclass(frozen=True)
class CategoricalParam:
    """A hyperparameter that takes one of a fixed list of string choices."""

    name: str
    choices: tuple[str, ...]
    kind: Literal["categorical"] = "categorical"

    def check(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise ConfigError(
                f"hyperparameter {self.name!r} is {value!r}, but must be one of "
                f"{', '.join(self.choices)}"
            )
        return value

    def from_unit(self, u: float) -> str:
        return self.choices[min(len(self.choices) - 1, int(u * len(self.choices)))]

    def encode(self, value: Any) -> float:
        return float(self.choices.index(value))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": "categorical", "choices": list(self.choices)}


Param = FloatParam | IntParam | CategoricalParam


def unit_bounds(p: FloatParam | IntParam) -> tuple[float, float]:
    """Where ``from_unit`` maps 0 and 1 (log scale for log parameters)."""
    if isinstance(p, IntParam):
        if p.log:
            return math.log(p.low - 0.5 if p.low > 0.5 else p.low), math.log(p.high + 0.5)
        return float(p.low), float(p.high + 1)
    if p.log:
        return math.log(p.low), math.log(p.high)
    return float(p.low), float(p.high)


def _canonical_json(config: Mapping[str, Any]) -> str:
    return json.dumps(dict(sorted(config.items())), separators=(",", ":"), allow_nan=False)


def config_hash(config: Mapping[str, Any]) -> str:
    """A stable 16-hex-digit hash of a canonical configuration."""
    return hashlib.sha256(_canonical_json(config).encode()).hexdigest()[:16]
