"""Warm-started, multi-fidelity search on Optuna (see :mod:`advisor.search.study`).

* :func:`run_search`, :class:`SearchResult`: the search with real trials;
* :class:`AdvisorSampler`: the Optuna sampler that continues the ranker's list and refines it;
* :class:`ProposalPolicy`, :class:`History`: what the sampler asks for its proposals (the
  plug-in point); :class:`AdvisorPolicy` (:class:`ListContinuation`, then
  :class:`SurrogateRefinement` in turn), the default;
* :func:`enqueue_warm_start`: the warm start, once per study;
* :func:`distributions`, :func:`suggest_config`, :func:`trial_value`: a space in Optuna's terms.
"""

from advisor.search.optuna_io import distributions, suggest_config, trial_value
from advisor.search.policies import (
    AdvisorPolicy,
    History,
    ListContinuation,
    ProposalPolicy,
    SurrogateRefinement,
)
from advisor.search.pruning import PatientSuccessiveHalving
from advisor.search.reference import measure_default
from advisor.search.result import SearchResult
from advisor.search.sampler import PROPOSED_BY, AdvisorSampler
from advisor.search.study import SAMPLER_OPTIONS, STRATEGIES, run_search
from advisor.search.warm_start import WARM_START, WARM_START_ATTR, enqueue_warm_start

__all__ = [
    "PROPOSED_BY",
    "SAMPLER_OPTIONS",
    "STRATEGIES",
    "WARM_START",
    "WARM_START_ATTR",
    "AdvisorPolicy",
    "AdvisorSampler",
    "History",
    "ListContinuation",
    "PatientSuccessiveHalving",
    "ProposalPolicy",
    "SearchResult",
    "SurrogateRefinement",
    "distributions",
    "enqueue_warm_start",
    "measure_default",
    "run_search",
    "suggest_config",
    "trial_value",
]
