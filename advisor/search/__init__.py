"""Warm-started, multi-fidelity search on Optuna (see :mod:`advisor.search.study`)."""

from advisor.search.prior import Prior
from advisor.search.sampler import AdvisorSampler, distributions
from advisor.search.study import STRATEGIES, SearchResult, run_search

__all__ = ["STRATEGIES", "AdvisorSampler", "Prior", "SearchResult", "distributions", "run_search"]
