"""A time budget is honoured: the trial running when it ends stops cleanly (status
``timeout``, recorded in the knowledge base) instead of running on to its full budget."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from advisor.facade import Advisor
from knowledge_base import KnowledgeBase


def test_a_search_ends_at_its_time_budget_and_records_the_stopped_trials(kb_copy) -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(4000, 20)), columns=[f"x{i}" for i in range(20)])
    y = (X["x0"] + X["x1"] * X["x2"] > 0).astype(int)
    before = KnowledgeBase(kb_copy).stats()["trials"]
    budget = 6.0
    adv = Advisor(kb_copy, device="cpu")
    adv.ranker()  # trained once per knowledge base, before the clock starts
    started = time.monotonic()
    result = adv.search(X, y, time_budget=budget, epochs=300, dataset_name="budget", progress=False)
    elapsed = time.monotonic() - started
    # a trial at 300 epochs takes far longer than the budget: without the deadline the warm
    # start alone would run for minutes
    assert elapsed < budget + 4.0, (elapsed, result.trials[["status", "epochs", "duration_s"]])
    statuses = list(result.trials["status"])
    assert "timeout" in statuses
    assert result.default_source == "not measured: the time budget was spent"
    after = KnowledgeBase(kb_copy).stats()["trials"]
    assert after - before == len(result.trials)  # every trial, stopped ones included
