"""What a person reads at 80 columns: nothing cut, each answer says what it means."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from advisor.cli.render import fmt_value

NARROW = {"COLUMNS": "80"}


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=300, n_features=6, random_state=7)
    path = tmp_path_factory.mktemp("data") / "small.csv"
    pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]).assign(label=y).to_csv(path, index=False)
    return path


def _fits(text: str, width: int = 80) -> None:
    """Every line fits, except a single word that is longer than a line (never cut)."""
    for line in text.splitlines():
        assert len(line) <= width or len(line.split()) == 1, line


def test_suggest_at_80_columns_shows_every_hyperparameter_value_whole(
    cli, shared_synthetic_kb, small_csv
) -> None:
    args = ("suggest", small_csv, "--target", "label", "--top-k", "3", "--kb", shared_synthetic_kb)
    text = cli(*args, env=NARROW)
    data = json.loads(cli(*args, "--json").stdout)
    assert text.exit_code == 0, text.stderr
    _fits(text.stdout)
    words = set(text.stdout.split())
    for s in data["suggestions"]:
        for k, v in s["config"].items():
            assert f"{k}={fmt_value(v)}" in words
        assert f"#{s['rank']}" in words
    flat = " ".join(text.stdout.split())
    assert "ranker score: orders" in flat and "not an objective value" in flat


def test_kb_datasets_at_80_columns_shows_every_name_whole(cli, shared_synthetic_kb) -> None:
    text = cli("kb", "datasets", "--kb", shared_synthetic_kb, env=NARROW)
    names = [
        d["name"]
        for d in json.loads(cli("kb", "datasets", "--kb", shared_synthetic_kb, "--json").stdout)
    ]
    assert text.exit_code == 0 and names
    _fits(text.stdout)
    words = set(text.stdout.split())
    assert all(n in words for n in names)


def test_search_shows_each_trials_proposer_and_ends_comparing_with_default(
    cli, shared_synthetic_kb, small_csv, tmp_path
) -> None:
    args = ("search", small_csv, "--target", "label", "--n-trials", "3", "--epochs", "3")
    common = ("--no-contribute", "--kb", shared_synthetic_kb)
    res = cli(*args, *common, env=NARROW)
    assert res.exit_code == 0, res.stderr
    _fits(res.stdout)
    last = " ".join(" ".join(res.stdout.strip().splitlines()[-2:]).split())
    assert "default:" in last and "at 3 epochs on the same split" in last
    assert res.stdout.count("warm start") == 3  # the three warm-start trials, each named
    report = tmp_path / "search.html"
    out = json.loads(cli(*args, *common, "--json", "--report", report).stdout)
    assert out["report"] == str(report)
    page = report.read_text()
    assert "Search history" in page and page.count("data:image/png;base64,") >= 3
    assert out["default_score"] is not None and out["default_source"]
    assert out["gain_over_default"] == pytest.approx(out["best_score"] - out["default_score"])
    assert all(t["proposed_by"] == "warm start" for t in out["trials"])


def test_suggest_writes_an_html_report_when_asked(
    cli, shared_synthetic_kb, small_csv, tmp_path
) -> None:
    report = tmp_path / "advice.html"
    res = cli("suggest", small_csv, "-t", "label", "--kb", shared_synthetic_kb, "--report", report)
    assert res.exit_code == 0, res.stderr
    assert "report written to" in res.stdout and "data:image/png;base64," in report.read_text()
