"""Dataset loading, validation and preprocessing; every bad input is one line and exit code 2."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from advisor.data import (
    SplitCache,
    TabularPreprocessor,
    infer_task,
    load_dataset,
    prepare_split,
    split_indices,
)
from advisor_core.errors import DataError


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def _write_bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _frame(n: int = 40, **extra: object) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "y": np.arange(n) % 2})
    for k, v in extra.items():
        df[k] = v
    return df


BAD_INPUTS = {
    "file missing": (lambda t: t / "nope.csv", "y", "file not found"),
    "empty file": (lambda t: _write(t, "empty.csv", ""), "y", "file is empty"),
    "header only": (lambda t: _write(t, "h.csv", "a,b,y\n"), "y", "no data rows"),
    "unreadable binary": (
        lambda t: _write_bytes(t, "bin.csv", b"\xff\xfe\x00\x81" * 50),
        "y",
        "cannot read as CSV",
    ),
    "corrupt gzip": (
        lambda t: _write_bytes(t, "c.csv.gz", b"not gzip at all"),
        "y",
        "cannot read as CSV",
    ),
    "corrupt parquet": (
        lambda t: _write_bytes(t, "c.parquet", b"PAR1 garbage"),
        "y",
        "cannot read as PARQUET",
    ),
    "a directory": (lambda t: t, "y", "is a directory"),
    "target missing": (
        lambda t: _frame().to_csv(t / "d.csv", index=False) or t / "d.csv",
        "label",
        "target column 'label' not found; columns: a, b, y",
    ),
    "target all missing": (
        lambda t: _frame().assign(y=np.nan).to_csv(t / "d.csv", index=False) or t / "d.csv",
        "y",
        "has no values (all missing)",
    ),
    "single class": (
        lambda t: _frame().assign(y=1).to_csv(t / "d.csv", index=False) or t / "d.csv",
        "y",
        "has a single class",
    ),
    "too few rows": (
        lambda t: _frame(12).to_csv(t / "d.csv", index=False) or t / "d.csv",
        "y",
        "12 row(s) with a target value, but the advisor needs at least 20",
    ),
    "duplicate columns": (
        lambda t: _write(t, "dup.csv", "a,a,y\n" + "1,2,0\n3,4,1\n" * 20),
        "y",
        "duplicate column names: 'a'",
    ),
    "infinite values": (
        lambda t: (
            _frame().assign(a=[np.inf] + [0.0] * 39).to_csv(t / "d.csv", index=False) or t / "d.csv"
        ),
        "y",
        "column 'a' has 1 infinite value(s)",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_bad_input_gives_one_line_and_exit_code_2(case: str, tmp_path: Path, cli) -> None:
    make, target, fragment = BAD_INPUTS[case]
    path = make(tmp_path)
    res = cli("meta-features", path, "--target", target)
    assert res.exit_code == 2
    assert fragment in res.stderr
    assert res.stderr.startswith("error: ")
    assert len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.stderr + res.stdout


def test_regression_target_that_is_not_numeric_is_a_user_error(tmp_path: Path, cli) -> None:
    df = _frame().assign(y=["x", "y"] * 20)
    df.to_csv(tmp_path / "d.csv", index=False)
    res = cli("meta-features", tmp_path / "d.csv", "--target", "y", "--task", "regression")
    assert res.exit_code == 2
    assert "regression target 'y' is not numeric (e.g. 'x')" in res.stderr


def test_unknown_task_is_a_user_error(tmp_path: Path, cli) -> None:
    _frame().to_csv(tmp_path / "d.csv", index=False)
    res = cli("meta-features", tmp_path / "d.csv", "--target", "y", "--task", "ranking")
    assert res.exit_code == 2
    assert "task is 'ranking'" in res.stderr


def test_the_installed_console_script_reports_errors_without_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    exe = Path(sys.executable).parent / "advisor"
    res = subprocess.run(
        [str(exe), "meta-features", str(tmp_path / "x.csv"), "--target", "y"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 2
    assert res.stderr.strip() == f"error: {tmp_path / 'x.csv'}: file not found"


def test_csv_gzip_parquet_frame_and_arrays_load_the_same_data(tmp_path: Path) -> None:
    df = _frame(60)
    df.to_csv(tmp_path / "d.csv", index=False)
    with gzip.open(tmp_path / "d.csv.gz", "wt") as fh:
        df.to_csv(fh, index=False)
    df.to_parquet(tmp_path / "d.parquet")
    loaded = [load_dataset(tmp_path / f, "y") for f in ("d.csv", "d.csv.gz", "d.parquet")]
    loaded.append(load_dataset(df, "y"))
    loaded.append(load_dataset(df[["a", "b"]].to_numpy(), y=df["y"].to_numpy()))
    fps = {ds.fingerprint() for ds in loaded[:4]}
    assert len(fps) == 1
    for ds in loaded:
        assert ds.task == "classification" and ds.n_rows == 60 and ds.n_features == 2


def test_task_inference_and_override() -> None:
    assert infer_task(pd.Series([0, 1] * 20)) == "classification"
    assert infer_task(pd.Series(["a", "b"] * 20)) == "classification"
    assert infer_task(pd.Series(np.linspace(0, 1, 40))) == "regression"
    assert infer_task(pd.Series(np.arange(100))) == "regression"  # many distinct integers
    ds = load_dataset(_frame(), "y", task="regression")
    assert ds.task == "regression" and ds.y.dtype == float


def test_rows_with_missing_target_are_dropped_with_a_warning() -> None:
    df = _frame(50)
    df.loc[:4, "y"] = np.nan
    with pytest.warns(UserWarning, match="dropped 5 row"):
        ds = load_dataset(df, "y")
    assert ds.n_rows == 45


def test_preprocessing_is_fitted_on_training_rows_only(mixed_frame: pd.DataFrame) -> None:
    ds = load_dataset(mixed_frame, "label")
    train, valid = split_indices(ds, 0.25, seed=0)
    split = prepare_split(ds, "standard", rows=(train, valid))
    # standard scaling: training columns (numeric block first) have mean 0 exactly
    assert abs(split.X_train[:, 0].mean()) < 1e-5
    assert abs(split.X_valid[:, 0].mean()) > 1e-4
    assert split.X_train.dtype == np.float32
    assert np.isfinite(split.X_train).all() and np.isfinite(split.X_valid).all()


def test_datetimes_are_expanded_and_identifier_columns_dropped(mixed_frame) -> None:
    df = mixed_frame.assign(user_id=[f"u{i}" for i in range(len(mixed_frame))])
    with pytest.warns(UserWarning, match="identifiers"):
        pre = TabularPreprocessor().fit(df.drop(columns=["label"]))
    assert pre.datetime_columns_ == ["when"]
    assert pre.dropped_columns_ == ["user_id"]


def test_high_cardinality_categoricals_stay_bounded() -> None:
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "many": [f"v{i}" for i in rng.integers(0, 500, 2000)],
            "few": rng.choice(list("abcdefghij"), 2000),
        }
    )
    out = TabularPreprocessor().fit_transform(df)
    assert out.shape == (2000, 1 + 10)  # one ordinal column + one-hot of 10 levels


@pytest.mark.parametrize("scaling", ["standard", "robust", "quantile"])
def test_every_feature_scaling_gives_finite_float32(scaling: str, mixed_frame) -> None:
    ds = load_dataset(mixed_frame, "label")
    split = SplitCache(ds).prepared(scaling)
    assert split.X_train.dtype == np.float32 and np.isfinite(split.X_train).all()


def test_split_is_stratified_seeded_and_capped() -> None:
    y = np.array([0] * 90 + [1] * 10)
    ds = load_dataset(np.random.default_rng(0).normal(size=(100, 3)), y=y)
    a = split_indices(ds, 0.2, seed=4)
    b = split_indices(ds, 0.2, seed=4)
    assert all((x == z).all() for x, z in zip(a, b, strict=True))
    assert (y[a[1]] == 1).sum() == 2  # 10% of the validation rows, like the whole
    capped_train, _ = split_indices(ds, 0.2, seed=4, max_train_rows=40)
    assert len(capped_train) == 40 and (y[capped_train] == 1).sum() == 4


def test_unseen_columns_at_prediction_time_are_reported() -> None:
    pre = TabularPreprocessor().fit(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}))
    with pytest.raises(DataError, match="'b' missing"):
        pre.transform(pd.DataFrame({"a": [1.0]}))


@pytest.mark.parametrize("scaling", ["standard", "smooth_clip"])
def test_embedded_categoricals_are_integer_codes_with_unknown_levels_last(scaling) -> None:
    rng = np.random.default_rng(0)
    levels = [f"l{i}" for i in range(15)]
    train = pd.DataFrame(
        {
            "x": rng.normal(size=200),
            "big": rng.choice(levels, 200),
            "small": rng.choice(["a", "b"], 200),
        }
    )
    pre = TabularPreprocessor(scaling, "embedding").fit(train)
    out = pre.transform(pd.DataFrame({"x": [0.0], "big": ["never seen"], "small": ["a"]}))
    (j,), (card,) = pre.categorical_columns_, pre.cardinalities_
    assert card == 15 and out[0, j] == card  # an unknown level gets the extra code
    codes = pre.transform(train)[:, j]
    assert set(np.unique(codes)) <= set(range(15))
    assert pre.numeric_columns_ == (0,)


def test_smooth_clip_scaling_squashes_outliers() -> None:
    from advisor.data.encoding import SmoothClipScaler

    x = np.array([[0.0], [1.0], [2.0], [3.0], [1000.0]])
    z = SmoothClipScaler().fit_transform(x)
    assert np.all(np.abs(z) < 3.0) and z[2, 0] == 0.0  # the median maps to 0
