"""The LightGBM ranker: performance tables, features, fitting, evaluation, artifacts."""

from advisor.ranker.features import FeatureSpace, config_frame
from advisor.ranker.model import AdvisorRanker, grades
from advisor.ranker.table import PerformanceTable, performance_table

__all__ = [
    "AdvisorRanker",
    "FeatureSpace",
    "PerformanceTable",
    "config_frame",
    "grades",
    "performance_table",
]
