"""Data sets bundled with scikit-learn (no download).

Four of them are KEEL data sets too and share the KEEL group (checked row by row): iris (147 of
149 distinct rows equal; KEEL has the corrected UCI rows), wine (all 178), breast_cancer = KEEL
wdbc (568 of 569), and digits = the 1,797-row test part of KEEL optdigits (all rows). linnerud is
left out (20 rows, three targets).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from seedbuild.corpus._entry import CorpusEntry, installed_version

__all__ = ["entries", "load_frame"]

_UCI = "CC BY 4.0 (UCI Machine Learning Repository); bundled with scikit-learn (BSD-3-Clause)"
TARGET = "target"


@dataclass(frozen=True)
class _Spec:
    name: str
    task: Literal["classification", "regression"]
    group: str
    licence: str
    description: str


_SPECS: tuple[_Spec, ...] = (
    _Spec("iris", "classification", "keel:iris", _UCI, "Fisher's iris: 3 species, 4 measurements"),
    _Spec(
        "wine",
        "classification",
        "keel:wine",
        _UCI,
        "Italian wines from 3 cultivars, 13 chemical measurements",
    ),
    _Spec(
        "breast_cancer",
        "classification",
        "keel:wdbc",
        _UCI,
        "Wisconsin diagnostic breast cancer (WDBC): 30 cell-nucleus features, benign/malignant",
    ),
    _Spec(
        "digits",
        "classification",
        "keel:optdigits",
        _UCI,
        "8x8 handwritten digits (UCI optdigits test part), 64 pixel counts, 10 classes",
    ),
    _Spec(
        "diabetes",
        "regression",
        "sklearn:diabetes",
        "unknown (Efron et al. 2004 data); bundled with scikit-learn (BSD-3-Clause)",
        "Diabetes progression after one year vs age, sex, BMI, blood pressure, 6 serum values "
        "(unscaled)",
    ),
)


def entries() -> list[CorpusEntry]:
    source = f"scikit-learn {installed_version('scikit-learn')}"
    return [
        CorpusEntry(
            name=f"sklearn:{s.name}",
            source=source,
            group=s.group,
            task=s.task,
            licence=s.licence,
            synthetic=False,
            description=s.description,
            kind="sklearn",
            params=(("dataset", s.name),),
        )
        for s in _SPECS
    ]


def _loader(name: str) -> Callable[[], Any]:
    from sklearn import datasets

    loaders: dict[str, Callable[[], Any]] = {
        "iris": lambda: datasets.load_iris(as_frame=True),
        "wine": lambda: datasets.load_wine(as_frame=True),
        "breast_cancer": lambda: datasets.load_breast_cancer(as_frame=True),
        "digits": lambda: datasets.load_digits(as_frame=True),
        "diabetes": lambda: datasets.load_diabetes(as_frame=True, scaled=False),
    }
    return loaders[name]


def load_frame(entry: CorpusEntry) -> tuple[pd.DataFrame, str]:
    """The bundled data as one frame; the target column is ``target``."""
    frame = _loader(entry.str_param("dataset"))().frame
    return frame, TARGET
