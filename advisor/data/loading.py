"""Reading tables from files: CSV (plain or gzip) and Parquet, with clear errors."""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from advisor_core.errors import DataError

__all__ = ["SUPPORTED_SUFFIXES", "read_table"]

SUPPORTED_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".parquet", ".pq")


def _kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".tsv", ".tsv.gz")):
        return "tsv"
    return "csv"


def _check_duplicate_names(names: list[str], path: Path) -> None:
    dupes = [n for n, c in Counter(names).items() if c > 1]
    if dupes:
        raise DataError(
            f"{path}: duplicate column names: {', '.join(repr(d) for d in dupes)} "
            "(every column needs a unique name)"
        )


def _read_header(path: Path, sep: str) -> list[str]:
    if path.name.lower().endswith(".gz"):
        fh: Any = gzip.open(path, "rt", encoding="utf-8", newline="")  # noqa: SIM115
    else:
        fh = open(path, encoding="utf-8", newline="")  # noqa: SIM115
    with fh:
        for row in csv.reader(fh, delimiter=sep):
            return [c.strip() for c in row]
    return []


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (optionally gzip-compressed), TSV or Parquet file into a DataFrame.

    Parameters
    ----------
    path : str or Path
        The file: Parquet (``.parquet``, ``.pq``), TSV (``.tsv``, ``.tsv.gz``), else CSV
        (optionally gzip-compressed).

    Returns
    -------
    DataFrame
        A missing, unreadable or empty file, or duplicate column names, raise
        :class:`DataError` with a one-line message.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: file not found")
    if p.is_dir():
        raise DataError(f"{p}: is a directory, expected a CSV or Parquet file")
    if p.stat().st_size == 0:
        raise DataError(f"{p}: file is empty")
    kind = _kind(p)
    try:
        if kind == "parquet":
            df = pd.read_parquet(p)
            _check_duplicate_names([str(c) for c in df.columns], p)
        else:
            sep = "\t" if kind == "tsv" else ","
            header = _read_header(p, sep)
            if not header or header == [""]:
                raise DataError(f"{p}: file is empty (no header row)")
            _check_duplicate_names(header, p)
            df = pd.read_csv(p, sep=sep, compression="infer", low_memory=False)
    except DataError:
        raise
    except PermissionError:
        raise DataError(f"{p}: permission denied") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{p}: file is empty") from None
    except (
        UnicodeDecodeError,
        gzip.BadGzipFile,
        EOFError,
        OSError,
        ValueError,
        pd.errors.ParserError,
        io.UnsupportedOperation,
    ) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"{p}: cannot read as {kind.upper()} ({first[:200]}); supported: "
            f"{', '.join(SUPPORTED_SUFFIXES)}"
        ) from None
    df.columns = [str(c).strip() for c in df.columns]
    if df.shape[0] == 0:
        raise DataError(f"{p}: file has a header but no data rows")
    return df
