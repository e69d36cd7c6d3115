"""Meta-features: coverage, documentation, determinism, bounded cost, agreement with pymfe."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from advisor.data import load_dataset
from advisor.metafeatures import GROUPS, VERSION, check_vector, extract, feature_names, specs
from advisor_core.errors import ConfigError


def test_at_least_30_features_in_four_documented_groups() -> None:
    all_specs = specs()
    assert len(all_specs) >= 30
    assert {s.group for s in all_specs} == {"simple", "statistical", "info_theory", "landmarking"}
    for s in all_specs:
        assert s.description and "\n" not in s.description
    assert len({s.name for s in all_specs}) == len(all_specs)


def test_same_input_gives_bit_identical_output(mixed_frame: pd.DataFrame) -> None:
    ds = load_dataset(mixed_frame, "label")
    a, b = extract(ds), extract(load_dataset(mixed_frame.copy(), "label"))
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())


def test_large_data_is_subsampled_but_sizes_are_exact() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 5))
    ds = load_dataset(X, y=(X[:, 0] > 0).astype(int))
    mf = extract(ds, max_rows=1000)
    assert mf.values["n_rows"] == 20_000
    assert mf.values["lm_linear"] is not None and mf.values["lm_linear"] > 0.8


def test_regression_has_target_moments_and_no_class_features() -> None:
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    mf = extract(load_dataset(X, y=y))
    assert mf.task == "regression"
    assert mf.values["n_classes"] is None and mf.values["lm_naive_bayes"] is None
    assert mf.values["target_skewness"] is not None
    assert mf.values["is_classification"] == 0.0


def test_values_are_finite_or_none_for_awkward_data(mixed_frame: pd.DataFrame) -> None:
    df = mixed_frame.assign(constant=1.0, empty=np.nan)
    mf = extract(load_dataset(df, "label"))
    for v in mf.values.values():
        assert v is None or math.isfinite(v)
    assert mf.values["n_categorical"] == 4.0  # color, city, flag, when


def test_contributed_vectors_are_checked_for_version_length_and_types() -> None:
    names = feature_names()
    good = dict.fromkeys(names, 0.5)
    assert check_vector(VERSION, good) == good
    assert check_vector(VERSION, [0.5] * len(names)) == good
    with pytest.raises(ConfigError, match="version"):
        check_vector("99", good)
    with pytest.raises(ConfigError, match=f"exactly {len(names)}"):
        check_vector(VERSION, [0.5] * 3)
    with pytest.raises(ConfigError, match="must be a finite number"):
        check_vector(VERSION, {**good, names[0]: True})
    with pytest.raises(ConfigError, match="must be a finite number"):
        check_vector(VERSION, {**good, names[0]: float("inf")})


# Features defined exactly as pymfe defines them (pymfe installed for tests only).
PYMFE_PAIRS = {
    "nr_inst": "n_rows",
    "nr_attr": "n_features",
    "attr_to_inst": "features_to_rows",
    "nr_class": "n_classes",
    "nr_num": "n_numeric",
    "nr_cat": "n_categorical",
    "class_ent": "class_entropy",
    "freq_class.min": "minority_class_share",
    "freq_class.max": "majority_class_share",
    "skewness.mean": "skewness_mean",
    "kurtosis.mean": "kurtosis_mean",
    "cor.mean": "cor_abs_mean",
    "cor.max": "cor_abs_max",
}


@pytest.mark.parametrize("loader", ["wine", "breast_cancer", "iris"])
def test_agrees_with_pymfe_where_definitions_match(loader: str) -> None:
    pymfe = pytest.importorskip("pymfe.mfe")
    import sklearn.datasets as skd

    X, y = getattr(skd, f"load_{loader}")(return_X_y=True)
    base = sorted({k.split(".")[0] for k in PYMFE_PAIRS} | {"inst_to_attr"})
    mfe = pymfe.MFE(features=base, summary=["mean", "min", "max"], random_state=0)
    mfe.fit(X, y, cat_cols=[], suppress_warnings=True)
    names, values = mfe.extract(suppress_warnings=True)
    theirs = dict(zip(names, values, strict=True))
    ours = extract(load_dataset(X, y=y)).values
    for their_name, our_name in PYMFE_PAIRS.items():
        assert ours[our_name] == pytest.approx(theirs[their_name], rel=1e-6, abs=1e-9), our_name
    assert 10 ** ours["log10_rows_to_features"] == pytest.approx(theirs["inst_to_attr"])


def test_every_group_returns_exactly_its_declared_names(mixed_frame: pd.DataFrame) -> None:
    from advisor.metafeatures.base import Context

    ds = load_dataset(mixed_frame, "label")
    mf = extract(ds)
    assert list(mf.values) == [s.name for g in GROUPS for s in g.specs]
    assert isinstance(GROUPS[0].compute, object) and Context is not None
