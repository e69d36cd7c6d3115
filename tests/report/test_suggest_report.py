"""The suggestion report: predictions with intervals beside the nearest datasets' outcomes,
and a table of the suggestions with their explanations."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import pytest

from advisor.report import suggest_report_html, write_suggest_report
from advisor.suggest import Advice
from advisor_core.errors import ConfigError
from advisor_core.spaces import config_hash
from tests.report.conftest import embedded_pngs, remote_references


def test_the_report_shows_the_predictions_and_explains_each_suggestion(
    advice: Advice, nearest_trials: pd.DataFrame, tmp_path: Path
) -> None:
    path = write_suggest_report(
        advice, tmp_path / "s.html", dataset_name="wine", neighbour_outcomes=nearest_trials
    )
    text = path.read_text(encoding="utf-8")
    assert remote_references(text) == [] and "<script" not in text.lower()
    pngs = embedded_pngs(text)
    assert set(pngs) == {"fig-suggestions"} and len(pngs["fig-suggestions"]) > 5_000
    for s in advice.suggestions:
        assert html.escape(s.explanation) in text
        assert f"{s.interval[0]:.3f} to {s.interval[1]:.3f}" in text
    assert html.escape(advice.rule) in text and html.escape(advice.reason) in text
    n_sets = nearest_trials["dataset"].nunique()
    assert f"{n_sets} ({len(nearest_trials)} trials)" in text
    assert "No outcomes of the nearest datasets" not in text


def test_the_suggested_configurations_are_starred_where_they_were_run(
    advice: Advice, nearest_trials: pd.DataFrame
) -> None:
    """The same picture with and without the hashes differs (the stars), so the hashes match."""
    hashes = {config_hash(s.config) for s in advice.suggestions}
    if not set(nearest_trials["config_hash"]) & hashes:
        pytest.skip("no suggested configuration was run on the nearest datasets")
    with_stars = suggest_report_html(advice, dataset_name="w", neighbour_outcomes=nearest_trials)
    without = suggest_report_html(
        advice, dataset_name="w", neighbour_outcomes=nearest_trials.drop(columns="config_hash")
    )
    assert embedded_pngs(with_stars) != embedded_pngs(without)


def test_the_advice_may_be_its_json_and_the_outcomes_may_be_missing(advice: Advice) -> None:
    text = suggest_report_html(advice.to_dict(), dataset_name="<wine>")
    assert set(embedded_pngs(text)) == {"fig-suggestions"}
    assert "No outcomes of the nearest datasets were given" in text
    assert "&lt;wine&gt;" in text and "<wine>" not in text


def test_an_advice_without_suggestions_says_so(advice: Advice) -> None:
    text = suggest_report_html({**advice.to_dict(), "suggestions": []}, dataset_name="w")
    assert embedded_pngs(text) == {} and "The advice has no suggestions." in text


def test_something_else_than_an_advice_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"what Advisor\.suggest returns"):
        write_suggest_report(42, tmp_path / "x.html", dataset_name="w")  # type: ignore[arg-type]
