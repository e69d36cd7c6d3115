"""Seeded row subsamples of an exact size: stratified for classification, uniform otherwise."""

from __future__ import annotations

import numpy as np

from advisor.data import MIN_ROWS_PER_CLASS, Dataset
from advisor_core.errors import DataError

__all__ = ["class_quotas", "subsample", "subsample_rows"]


def class_quotas(counts: list[int], n: int) -> list[int]:
    """Rows to draw per class so that they sum to ``n`` and follow the class proportions.

    Largest-remainder rounding of ``n * count / total`` (ties go to the earlier class), then every
    class gets at least ``MIN_ROWS_PER_CLASS`` rows (taken from the classes with most rows), so a
    subsample still passes :func:`advisor.data.load_dataset`.
    """
    total = sum(counts)
    if not 0 < n <= total:
        raise DataError(f"cannot draw {n} rows from {total}")
    floor_min = [min(c, MIN_ROWS_PER_CLASS) for c in counts]
    if sum(floor_min) > n:
        raise DataError(
            f"cannot draw {n} rows keeping {MIN_ROWS_PER_CLASS} rows in each of "
            f"{len(counts)} classes"
        )
    exact = [n * c / total for c in counts]
    quotas = [int(np.floor(e)) for e in exact]
    order = sorted(range(len(counts)), key=lambda i: (-(exact[i] - quotas[i]), i))
    for i in order[: n - sum(quotas)]:
        quotas[i] += 1
    for i, need in enumerate(floor_min):
        while quotas[i] < need:
            donor = max(range(len(counts)), key=lambda j: (quotas[j] - floor_min[j], -j))
            quotas[donor] -= 1
            quotas[i] += 1
    return quotas


def subsample_rows(ds: Dataset, n: int, seed: int) -> np.ndarray:
    """Sorted positions of ``n`` rows of ``ds``, drawn with ``seed`` (stratified by class)."""
    rng = np.random.default_rng(seed)
    if ds.task != "classification":
        if n > ds.n_rows:
            raise DataError(f"cannot draw {n} rows from {ds.n_rows}")
        return np.sort(rng.choice(ds.n_rows, size=n, replace=False))
    labels = ds.y.to_numpy()
    classes = ds.classes or []
    members = [np.flatnonzero(labels == c) for c in classes]
    quotas = class_quotas([len(m) for m in members], n)
    picked = [rng.choice(m, size=q, replace=False) for m, q in zip(members, quotas, strict=True)]
    return np.sort(np.concatenate(picked))


def subsample(ds: Dataset, n: int, seed: int) -> Dataset:
    """``ds`` itself when it has at most ``n`` rows, otherwise a seeded subsample of ``n`` rows."""
    if ds.n_rows <= n:
        return ds
    return ds.subset(subsample_rows(ds, n, seed))
