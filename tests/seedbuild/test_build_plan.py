"""The seed build's plan: what an interrupted build leaves behind."""

from __future__ import annotations

from seedbuild.build import plan
from seedbuild.corpus import corpus
from seedbuild.corpus._sizes import LARGE_SIZE
from seedbuild.design import Design


def test_the_large_stage_runs_one_configuration_of_every_dataset_at_a_time() -> None:
    """Each job is one configuration (its seeds together), and every dataset gets a
    configuration before any gets the next: an interrupted build leaves every large dataset
    with the same leading picks (the named recipes first)."""
    design = Design()
    entries = [e for e in corpus() if e.name.endswith(f"@{LARGE_SIZE}")][:3]
    picks = {e.name: [0, 1, 5] for e in entries}
    jobs = plan(entries, design, set(), {}, {}, "large", picks)
    assert len(jobs) == 9
    assert all(len({i for i, _ in j.items}) == 1 for j in jobs)
    assert all(len(j.items) == len(design.seeds) for j in jobs)
    firsts = [j.items[0][0] for j in jobs]
    assert firsts == [0, 0, 0, 1, 1, 1, 5, 5, 5]
    assert {j.dataset for j in jobs[:3]} == {e.name for e in entries}
