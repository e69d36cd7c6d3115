"""Tuning advisor: metalearning advice for neural-network hyperparameters.

Heavy parts (PyTorch, the knowledge base, the service) are imported only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from advisor._version import __version__
from advisor_core.errors import (
    AdvisorError,
    ConfigError,
    ConflictError,
    DataError,
    KnowledgeBaseError,
    MissingDependencyError,
    RankerError,
    SchemaVersionError,
    SearchError,
    ServiceError,
    ValidationError,
)
from advisor_core.spaces import MLP_SPACE, NAMED_CONFIGS, SearchSpace, get_space, named_config

if TYPE_CHECKING:
    from advisor.data import Dataset, load_dataset
    from advisor.metafeatures import MetaFeatures, extract
    from advisor.trials import TrialResult, run_trial

__all__ = [
    "MLP_SPACE",
    "NAMED_CONFIGS",
    "AdvisorError",
    "ConfigError",
    "ConflictError",
    "DataError",
    "Dataset",
    "KnowledgeBaseError",
    "MetaFeatures",
    "MissingDependencyError",
    "RankerError",
    "SchemaVersionError",
    "SearchError",
    "SearchSpace",
    "ServiceError",
    "TrialResult",
    "ValidationError",
    "__version__",
    "extract",
    "get_space",
    "load_dataset",
    "named_config",
    "run_trial",
]

_LAZY = {
    "Dataset": "advisor.data",
    "load_dataset": "advisor.data",
    "MetaFeatures": "advisor.metafeatures",
    "extract": "advisor.metafeatures",
    "TrialResult": "advisor.trials",
    "run_trial": "advisor.trials",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'advisor' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
