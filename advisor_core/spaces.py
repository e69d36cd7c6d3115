"""Search spaces: hyperparameter declarations, validation, canonical form, sampling, encoding.

A space is a named, versioned list of hyperparameters (float, int or categorical; numeric ones
may be log-scaled). The built-in space ``mlp`` is the PyTorch multilayer perceptron trained by
:mod:`advisor.trials`. Other spaces can be declared (``SearchSpace.from_dict``) so that people
who tune other models can contribute logs and get suggestions for them too.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from advisor_core.errors import ConfigError

__all__ = [
    "MLP_SPACE",
    "NAMED_CONFIGS",
    "CategoricalParam",
    "FloatParam",
    "IntParam",
    "Param",
    "SearchSpace",
    "builtin_spaces",
    "config_hash",
    "get_space",
    "named_config",
]

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}$")
_SIGNIFICANT_DIGITS = 8


def _is_number(value: Any) -> bool:
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
        if not _is_number(value) or not math.isfinite(float(value)):
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
        ok = _is_number(value) and math.isfinite(float(value)) and float(value) == int(value)
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


def _unit_bounds(p: FloatParam | IntParam) -> tuple[float, float]:
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


@dataclass(frozen=True)
class SearchSpace:
    """A named, versioned set of hyperparameters.

    ``default`` (optional) completes partial configurations; ``fidelity`` names the budget
    (``epochs`` for the built-in space).
    """

    name: str
    version: int
    params: tuple[Param, ...]
    default: Mapping[str, Any] | None = None
    description: str = ""
    fidelity: str = "epochs"
    _index: dict[str, Param] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME_RE.match(self.name):
            raise ConfigError(
                f"space name is {self.name!r}, but must match {_NAME_RE.pattern} "
                "(letters, digits, '_', '.', '-'; at most 64 characters)"
            )
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise ConfigError(f"space version is {self.version!r}, but must be an integer >= 1")
        if not self.params:
            raise ConfigError(f"space {self.name!r} has no hyperparameters")
        index: dict[str, Param] = {}
        for p in self.params:
            if p.name in index:
                raise ConfigError(f"space {self.name!r} declares hyperparameter {p.name!r} twice")
            index[p.name] = p
        object.__setattr__(self, "_index", index)
        if self.default is not None:
            object.__setattr__(self, "default", self.validate(self.default))

    # -- introspection ------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def param(self, name: str) -> Param:
        try:
            return self._index[name]
        except KeyError:
            raise ConfigError(
                f"unknown hyperparameter {name!r} for space {self.name!r}; known: "
                f"{', '.join(self.names)}"
            ) from None

    # -- validation -----------------------------------------------------------------------------
    def validate(self, config: Mapping[str, Any], *, complete: bool = False) -> dict[str, Any]:
        """Return the canonical form of ``config`` or raise :class:`ConfigError`.

        With ``complete=True`` missing hyperparameters are taken from the space's default.
        """
        if not isinstance(config, Mapping):
            raise ConfigError(f"a configuration must be a JSON object, got {type(config).__name__}")
        unknown = [k for k in config if k not in self._index]
        if unknown:
            raise ConfigError(
                f"unknown hyperparameter {unknown[0]!r} for space {self.name!r}; known: "
                f"{', '.join(self.names)}"
            )
        merged: dict[str, Any] = {}
        if complete and self.default is not None:
            merged.update(self.default)
        merged.update(config)
        missing = [n for n in self.names if n not in merged]
        if missing:
            raise ConfigError(
                f"configuration for space {self.name!r} is missing {', '.join(missing)}"
            )
        return {p.name: p.check(merged[p.name]) for p in self.params}

    def canonical(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return self.validate(config)

    def hash(self, config: Mapping[str, Any]) -> str:
        return config_hash(self.validate(config))

    # -- sampling and encoding --------------------------------------------------------------------
    def from_unit(self, u: Sequence[float]) -> dict[str, Any]:
        return {p.name: p.from_unit(float(x)) for p, x in zip(self.params, u, strict=True)}

    def sample(
        self, n: int, seed: int = 0, method: Literal["sobol", "random"] = "sobol"
    ) -> list[dict[str, Any]]:
        """``n`` configurations: a scrambled Sobol sequence (default) or uniform random draws."""
        if n <= 0:
            return []
        if method == "sobol":
            from scipy.stats import qmc

            sampler = qmc.Sobol(d=len(self.params), scramble=True, seed=seed)
            m = math.ceil(math.log2(n))
            units = sampler.random_base2(m)[:n]
        else:
            units = np.random.default_rng(seed).random((n, len(self.params)))
        return [self.from_unit(row) for row in units]

    def encode(self, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """A float matrix, one row per config: log10 for log-scaled, codes for categoricals."""
        out = np.empty((len(configs), len(self.params)), dtype=np.float64)
        for i, c in enumerate(configs):
            for j, p in enumerate(self.params):
                out[i, j] = p.encode(c[p.name])
        return out

    # -- vectorised unit-cube helpers (candidate generation, distances) ------------------------
    def unit_of(self, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Configurations as points of the unit cube, the inverse of :meth:`from_unit`
        (categories at the centres of their cells)."""
        out = np.empty((len(configs), len(self.params)), dtype=np.float64)
        for j, p in enumerate(self.params):
            col = [c[p.name] for c in configs]
            if isinstance(p, CategoricalParam):
                k = len(p.choices)
                out[:, j] = [(p.choices.index(v) + 0.5) / k for v in col]
                continue
            v = np.asarray(col, dtype=np.float64)
            lo, hi = _unit_bounds(p)
            x = np.log(v) if p.log else v
            out[:, j] = (x - lo) / (hi - lo)
        return np.clip(out, 0.0, 1.0)

    def encoded_from_unit(self, U: np.ndarray) -> np.ndarray:
        """The :meth:`encode` matrix of the configurations :meth:`from_unit` would give."""
        out = np.empty_like(U, dtype=np.float64)
        for j, p in enumerate(self.params):
            u = U[:, j]
            if isinstance(p, CategoricalParam):
                k = len(p.choices)
                out[:, j] = np.minimum(k - 1, np.floor(u * k))
                continue
            lo, hi = _unit_bounds(p)
            x = lo + u * (hi - lo)
            v = np.exp(x) if p.log else x
            if isinstance(p, IntParam):
                v = np.round(v) if p.log else np.floor(v)
            v = np.clip(v, p.low, p.high)
            out[:, j] = np.log10(v) if p.log else v
        return out

    def categorical_indices(self) -> list[int]:
        return [i for i, p in enumerate(self.params) if isinstance(p, CategoricalParam)]

    # -- (de)serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "fidelity": self.fidelity,
            "description": self.description,
            "params": [p.to_dict() for p in self.params],
            "default": dict(self.default) if self.default is not None else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SearchSpace:
        """Declare a space from its JSON definition (as stored in the knowledge base)."""
        if not isinstance(d, Mapping):
            raise ConfigError("a space definition must be a JSON object")
        raw_params = d.get("params")
        if not isinstance(raw_params, list) or not raw_params:
            raise ConfigError("a space definition needs a non-empty list 'params'")
        params: list[Param] = []
        for i, p in enumerate(raw_params):
            params.append(_param_from_dict(p, i))
        default = d.get("default")
        return cls(
            name=d.get("name"),  # type: ignore[arg-type]
            version=d.get("version", 1),
            params=tuple(params),
            default=default if isinstance(default, Mapping) else None,
            description=str(d.get("description", "")),
            fidelity=str(d.get("fidelity", "epochs")),
        )


def _param_from_dict(p: Any, i: int) -> Param:
    if not isinstance(p, Mapping):
        raise ConfigError(f"params[{i}] must be a JSON object")
    name, kind = p.get("name"), p.get("type")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ConfigError(f"params[{i}].name is {name!r}, but must match {_NAME_RE.pattern}")
    if kind == "categorical":
        choices = p.get("choices")
        if (
            not isinstance(choices, list)
            or not choices
            or not all(isinstance(c, str) and 0 < len(c) <= 64 for c in choices)
            or len(set(choices)) != len(choices)
        ):
            raise ConfigError(
                f"params[{i}].choices must be a non-empty list of distinct strings (<= 64 chars)"
            )
        return CategoricalParam(name, tuple(choices))
    if kind not in ("float", "int"):
        raise ConfigError(
            f"params[{i}].type is {kind!r}, but must be one of float, int, categorical"
        )
    low: Any = p.get("low")
    high: Any = p.get("high")
    log = p.get("log", False)
    if not (_is_number(low) and _is_number(high)) or not (
        math.isfinite(float(low)) and math.isfinite(float(high))
    ):
        raise ConfigError(f"params[{i}] ({name}) needs finite numbers 'low' and 'high'")
    if not isinstance(log, bool):
        raise ConfigError(f"params[{i}].log is {log!r}, but must be true or false")
    if not float(low) < float(high):
        raise ConfigError(f"params[{i}] ({name}): low={low} must be below high={high}")
    if log and float(low) <= 0:
        raise ConfigError(f"params[{i}] ({name}): a log-scaled range needs low > 0, got {low}")
    if kind == "int":
        if float(low) != int(low) or float(high) != int(high):
            raise ConfigError(f"params[{i}] ({name}): an int range needs integer bounds")
        return IntParam(name, int(low), int(high), log)
    return FloatParam(name, float(low), float(high), log)


#: The built-in space: a PyTorch MLP for tabular classification and regression.
MLP_SPACE = SearchSpace(
    name="mlp",
    version=1,
    description="PyTorch multilayer perceptron for tabular classification and regression",
    params=(
        CategoricalParam("optimizer", ("adamw", "sgd")),
        FloatParam("learning_rate", 1e-5, 1e-1, log=True),
        FloatParam("momentum", 0.8, 0.99),
        FloatParam("weight_decay", 1e-6, 1e-1, log=True),
        IntParam("batch_size", 16, 1024, log=True),
        IntParam("num_layers", 1, 5),
        IntParam("width", 16, 1024, log=True),
        FloatParam("dropout", 0.0, 0.6),
        CategoricalParam("activation", ("relu", "gelu", "silu", "tanh")),
        CategoricalParam("normalization", ("none", "batchnorm", "layernorm")),
        CategoricalParam("lr_schedule", ("constant", "cosine", "exponential", "step")),
        CategoricalParam("feature_scaling", ("standard", "robust", "quantile")),
    ),
    # The common framework default: Adam-style, lr 1e-3, one hidden layer of 128 ReLU units.
    default={
        "optimizer": "adamw",
        "learning_rate": 1e-3,
        "momentum": 0.9,
        "weight_decay": 1e-6,
        "batch_size": 64,
        "num_layers": 1,
        "width": 128,
        "dropout": 0.0,
        "activation": "relu",
        "normalization": "none",
        "lr_schedule": "constant",
        "feature_scaling": "standard",
    },
)

_BUILTIN: dict[str, SearchSpace] = {MLP_SPACE.name: MLP_SPACE}


def builtin_spaces() -> dict[str, SearchSpace]:
    return dict(_BUILTIN)


def get_space(name: str) -> SearchSpace:
    """The built-in space called ``name`` (declared spaces live in the knowledge base)."""
    try:
        return _BUILTIN[name]
    except KeyError:
        raise ConfigError(
            f"unknown space {name!r}; built-in spaces: {', '.join(sorted(_BUILTIN))}"
        ) from None


def _recipe(**overrides: Any) -> dict[str, Any]:
    assert MLP_SPACE.default is not None
    return MLP_SPACE.validate({**MLP_SPACE.default, **overrides})


#: Named configurations of the ``mlp`` space: the framework default and well-known recipes.
NAMED_CONFIGS: dict[str, dict[str, Any]] = {
    "default": _recipe(),
    # scikit-learn's MLPClassifier defaults: Adam 1e-3, one layer of 100, L2 1e-4, batch 200.
    "sklearn": _recipe(width=100, weight_decay=1e-4, batch_size=200),
    # Gorishniy et al. (2021) "Revisiting deep learning models for tabular data": MLP baseline.
    "rtdl": _recipe(
        num_layers=3, width=256, dropout=0.1, weight_decay=1e-5, batch_size=256, learning_rate=3e-4
    ),
    # A regularised, wide network with layer norm and cosine decay.
    "wide_regularized": _recipe(
        num_layers=2,
        width=512,
        dropout=0.3,
        weight_decay=1e-2,
        normalization="layernorm",
        lr_schedule="cosine",
        batch_size=128,
        learning_rate=1e-3,
        activation="gelu",
    ),
    # SGD with Nesterov momentum, batch norm and cosine decay (the classic vision recipe).
    "sgd_cosine": _recipe(
        optimizer="sgd",
        learning_rate=0.05,
        momentum=0.9,
        weight_decay=5e-4,
        num_layers=2,
        width=256,
        normalization="batchnorm",
        lr_schedule="cosine",
        batch_size=128,
    ),
    # Small and fast: a few wide-ish SiLU layers, big batches, higher learning rate.
    "small_fast": _recipe(
        num_layers=2,
        width=64,
        batch_size=256,
        learning_rate=3e-3,
        activation="silu",
        lr_schedule="cosine",
    ),
}


def named_config(name: str) -> dict[str, Any]:
    """A named configuration of the ``mlp`` space (``default``, ``sklearn``, ``rtdl``, ...)."""
    try:
        return dict(NAMED_CONFIGS[name])
    except KeyError:
        raise ConfigError(
            f"unknown named configuration {name!r}; known: {', '.join(NAMED_CONFIGS)}"
        ) from None
