"""``SearchSpace``: a named, versioned list of hyperparameters (validation, canonical form,
sampling, encoding, JSON definition)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from advisor_core.errors import ConfigError
from advisor_core.spaces.params import (
    NAME_RE,
    CategoricalParam,
    FloatParam,
    IntParam,
    Param,
    config_hash,
    is_number,
    unit_bounds,
)

__all__ = ["SearchSpace"]


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
        if not isinstance(self.name, str) or not NAME_RE.match(self.name):
            raise ConfigError(
                f"space name is {self.name!r}, but must match {NAME_RE.pattern} "
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
            lo, hi = unit_bounds(p)
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
            lo, hi = unit_bounds(p)
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
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ConfigError(f"params[{i}].name is {name!r}, but must match {NAME_RE.pattern}")
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
    if not (is_number(low) and is_number(high)) or not (
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
