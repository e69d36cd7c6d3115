"""A validated tabular dataset: features, target, task; built from files, frames or arrays."""

from __future__ import annotations

import hashlib
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from advisor.data.loading import read_table
from advisor_core.errors import DataError

__all__ = [
    "MIN_ROWS",
    "MIN_ROWS_PER_CLASS",
    "Dataset",
    "Task",
    "infer_task",
    "load_dataset",
]

Task = Literal["classification", "regression"]
TaskArg = Literal["auto", "classification", "regression"]

#: Fewest rows with a known target that a trial can use (train + validation).
MIN_ROWS = 20
#: Fewest rows per class so that a stratified validation split keeps every class.
MIN_ROWS_PER_CLASS = 2
#: Integer targets with at most this many distinct values are treated as class labels.
MAX_INTEGER_CLASSES = 20


def _canonical_bytes(col: pd.Series) -> bytes:
    if pd.api.types.is_numeric_dtype(col) and col.dtype != bool:
        v = col.to_numpy(dtype=np.float64, na_value=np.nan)
        m, e = np.frexp(v)
        v = np.ldexp(np.round(m * 2.0**40) / 2.0**40, e)
        return b"n" + np.nan_to_num(v, nan=np.inf).tobytes()
    return b"s" + pd.util.hash_pandas_object(col.astype(str), index=False).to_numpy().tobytes()


def infer_task(y: pd.Series) -> Task:
    """Classification for text, boolean, categorical and few-valued integer targets.

    A numeric target is a regression target unless all its values are integers and it has at
    most ``MAX_INTEGER_CLASSES`` distinct values (and fewer than half as many values as rows).
    """
    y = y.dropna()
    if y.dtype == bool or isinstance(y.dtype, pd.CategoricalDtype):
        return "classification"
    if not pd.api.types.is_numeric_dtype(y):
        return "classification"
    values = y.to_numpy(dtype=float)
    n_unique = len(np.unique(values))
    integral = bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))
    if integral and n_unique <= MAX_INTEGER_CLASSES and n_unique <= max(2, len(values) // 2):
        return "classification"
    return "regression"


@dataclass(frozen=True)
class Dataset:
    """Features ``X`` (a DataFrame), target ``y`` (a Series without missing values) and task.

    ``classes`` holds the sorted class labels for classification (``None`` for regression);
    ``name`` is informative only.
    """

    X: pd.DataFrame
    y: pd.Series
    task: Task
    target: str
    name: str | None = None

    @property
    def n_rows(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def classes(self) -> list[Any] | None:
        if self.task != "classification":
            return None
        return sorted(self.y.unique().tolist(), key=lambda v: (str(type(v)), v))

    @property
    def n_classes(self) -> int | None:
        c = self.classes
        return None if c is None else len(c)

    def fingerprint(self) -> str:
        """A hash of the content (column names, values, target): same data, same fingerprint.

        Numbers are hashed as float64 with the mantissa rounded to 40 bits, so the same data
        read from CSV, Parquet or memory (int or float columns) gives the same fingerprint.
        """
        h = hashlib.sha256()
        h.update(("\x1f".join(map(str, self.X.columns)) + "\x1e" + self.target).encode())
        for col in [*(self.X[c] for c in self.X.columns), self.y]:
            h.update(_canonical_bytes(col))
        return h.hexdigest()[:32]

    def subset(self, rows: np.ndarray) -> Dataset:
        """The same dataset restricted to the given row positions."""
        return Dataset(
            X=self.X.iloc[rows].reset_index(drop=True),
            y=self.y.iloc[rows].reset_index(drop=True),
            task=self.task,
            target=self.target,
            name=self.name,
        )


def _check_infinite(X: pd.DataFrame) -> None:
    num = X.select_dtypes(include=[np.number])
    if num.shape[1] == 0:
        return
    values = num.to_numpy(dtype=float, na_value=np.nan)
    bad = np.isinf(values)
    if bad.any():
        js = [int(j) for j in np.flatnonzero(bad.any(axis=0))]
        cols = [str(num.columns[j]) for j in js]
        raise DataError(
            f"column {cols[0]!r} has {int(bad[:, js[0]].sum())} infinite "
            f"value(s){' (also: ' + ', '.join(cols[1:4]) + ')' if len(cols) > 1 else ''}; "
            "replace them with a finite value or leave the cell empty"
        )


def _validate(
    X: pd.DataFrame,
    y: pd.Series,
    target: str,
    task: TaskArg,
    source: str,
    min_rows: int = MIN_ROWS,
    min_per_class: int = MIN_ROWS_PER_CLASS,
) -> Dataset:
    dupes = [n for n, c in Counter(map(str, X.columns)).items() if c > 1]
    if dupes or str(target) in map(str, X.columns):
        raise DataError(
            f"{source}: duplicate column names: "
            f"{', '.join(repr(d) for d in (dupes or [target]))} (every column needs a unique name)"
        )
    if X.shape[1] == 0:
        raise DataError(f"{source}: no feature columns besides the target {target!r}")
    if y.isna().all():
        raise DataError(f"{source}: target column {target!r} has no values (all missing)")
    if pd.api.types.is_numeric_dtype(y) and y.dtype != bool:
        yv = y.to_numpy(dtype=float, na_value=np.nan)
        if np.isinf(yv).any():
            raise DataError(
                f"{source}: target column {target!r} has {int(np.isinf(yv).sum())} infinite "
                "value(s); targets must be finite"
            )
    _check_infinite(X)
    keep = y.notna().to_numpy()
    n_missing = int((~keep).sum())
    if n_missing:
        warnings.warn(
            f"{source}: dropped {n_missing} row(s) whose target {target!r} is missing",
            stacklevel=3,
        )
        X, y = X.loc[keep].reset_index(drop=True), y.loc[keep].reset_index(drop=True)
    if task not in ("auto", "classification", "regression"):
        raise DataError(f"task is {task!r}, but must be one of auto, classification, regression")
    resolved: Task = infer_task(y) if task == "auto" else task
    if resolved == "regression":
        if not pd.api.types.is_numeric_dtype(y) or y.dtype == bool:
            converted = pd.to_numeric(y, errors="coerce")
            bad = y[converted.isna()]
            if len(bad):
                raise DataError(
                    f"{source}: regression target {target!r} is not numeric "
                    f"(e.g. {bad.iloc[0]!r}); use --task classification for labels"
                )
            y = converted
        y = y.astype(float)
    if len(y) < min_rows:
        raise DataError(
            f"{source}: {len(y)} row(s) with a target value, but the advisor needs at least "
            f"{min_rows} (for its meta-features and a validation split)"
        )
    if resolved == "classification":
        counts = y.value_counts()
        if len(counts) < 2:
            raise DataError(
                f"{source}: target {target!r} has a single class ({counts.index[0]!r}); "
                "classification needs at least 2 classes"
            )
        rare = counts[counts < min_per_class]
        if len(rare):
            raise DataError(
                f"{source}: class {rare.index[0]!r} of target {target!r} has {int(rare.iloc[0])} "
                f"row(s), but every class needs at least {min_per_class} for a "
                "train/validation split"
            )
    return Dataset(
        X=X.reset_index(drop=True),
        y=y.reset_index(drop=True),
        task=resolved,
        target=str(target),
        name=source,
    )


def load_dataset(
    data: str | Path | pd.DataFrame | np.ndarray,
    target: str | None = None,
    *,
    y: Sequence[Any] | np.ndarray | pd.Series | None = None,
    task: TaskArg = "auto",
    name: str | None = None,
    min_rows: int = MIN_ROWS,
    min_rows_per_class: int = MIN_ROWS_PER_CLASS,
) -> Dataset:
    """Build a validated :class:`Dataset`.

    Parameters
    ----------
    data : str, Path, DataFrame or ndarray
        A path (CSV, CSV.gz, TSV, Parquet) or a DataFrame with a ``target`` column, or a
        feature matrix (DataFrame or array) with the target given separately as ``y``.
    target : str, optional
        The target column of ``data`` (with ``y``: the target's name).
    y : array-like, optional
        The target, when ``data`` holds the features only.
    task : {"auto", "classification", "regression"}, default="auto"
        ``auto``: inferred (text, boolean and few-valued integer targets are classification).
    name : str, optional
        The dataset's name (default: the path, or ``dataframe`` / ``array``).
    min_rows, min_rows_per_class : int
        The row minimums; the defaults are what a trial with a validation split needs.

    Returns
    -------
    Dataset
        Features, target (rows with a missing target dropped, with a warning), task, name.
        Anything unusable raises :class:`DataError` with a one-line message.
    """
    if isinstance(data, str | Path):
        source = name or str(data)
        frame = read_table(data)
    elif isinstance(data, pd.DataFrame):
        source = name or "dataframe"
        frame = data.copy()
        frame.columns = [str(c) for c in frame.columns]
    elif isinstance(data, np.ndarray):
        source = name or "array"
        if data.ndim != 2:
            raise DataError(f"X must be a 2-D array, got {data.ndim} dimension(s)")
        frame = pd.DataFrame(data, columns=[f"x{i}" for i in range(data.shape[1])])
    else:
        raise DataError(
            f"data must be a path, a pandas DataFrame or a numpy array, got {type(data).__name__}"
        )
    if y is not None:
        y_series = pd.Series(np.asarray(y) if not isinstance(y, pd.Series) else y.to_numpy())
        if len(y_series) != len(frame):
            raise DataError(f"X has {len(frame)} rows but y has {len(y_series)}")
        tname = target or (y.name if isinstance(y, pd.Series) and y.name else "target")
        y_series.name = str(tname)
        return _validate(
            frame.reset_index(drop=True),
            y_series,
            str(tname),
            task,
            source,
            min_rows,
            min_rows_per_class,
        )
    if frame.shape[0] == 0:
        raise DataError(f"{source}: no data rows")
    if target is None:
        raise DataError(
            f"{source}: no target column given; columns: {', '.join(map(str, frame.columns))}"
        )
    if target not in frame.columns:
        cols = ", ".join(map(str, frame.columns[:50]))
        more = f" (and {frame.shape[1] - 50} more)" if frame.shape[1] > 50 else ""
        raise DataError(f"{source}: target column {target!r} not found; columns: {cols}{more}")
    if list(frame.columns).count(target) > 1:
        raise DataError(f"{source}: duplicate column names: {target!r}")
    return _validate(
        frame.drop(columns=[target]),
        frame[target],
        target,
        task,
        source,
        min_rows,
        min_rows_per_class,
    )
