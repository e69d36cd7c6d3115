"""Loading, validating, splitting and preprocessing tabular datasets."""

from advisor.data.dataset import (
    MIN_ROWS,
    MIN_ROWS_PER_CLASS,
    Dataset,
    Task,
    infer_task,
    load_dataset,
)
from advisor.data.encoding import SCALINGS, TabularPreprocessor, TargetEncoder
from advisor.data.loading import read_table
from advisor.data.split import PreparedSplit, SplitCache, prepare_split, split_indices

__all__ = [
    "MIN_ROWS",
    "MIN_ROWS_PER_CLASS",
    "SCALINGS",
    "Dataset",
    "PreparedSplit",
    "SplitCache",
    "TabularPreprocessor",
    "TargetEncoder",
    "Task",
    "infer_task",
    "load_dataset",
    "prepare_split",
    "read_table",
    "split_indices",
]
