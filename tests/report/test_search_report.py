"""The search report: a self-contained page with its four figures, its header and its table,
and a sentence wherever a figure cannot be drawn."""

from __future__ import annotations

import copy
import html
import sys
from pathlib import Path

import optuna
import pandas as pd
import pytest

from advisor.report import kb_importances, kb_study, trial_importances, write_search_report
from advisor.report._plot import new_figure
from advisor.report.importance import USABLE_ATTR
from advisor.search import SearchResult
from advisor_core.errors import ConfigError, MissingDependencyError
from advisor_core.spaces import MLP_SPACE, named_config
from tests.report.conftest import embedded_pngs, remote_references

FIGURES = ("fig-history", "fig-curves", "fig-importance", "fig-kb-importance")
PNG = b"\x89PNG\r\n\x1a\n"


def _complete(result: SearchResult) -> int:
    return int((result.trials["status"] == "complete").sum())


def test_the_report_is_self_contained_and_shows_every_figure(
    search_result: SearchResult, nearest_trials: pd.DataFrame, tmp_path: Path
) -> None:
    assert _complete(search_result) >= 3, search_result.trials  # the importance needs them
    path = write_search_report(
        search_result,
        tmp_path / "out" / "search.html",
        dataset_name="wine",
        kb_trials=nearest_trials,
    )
    assert path == tmp_path / "out" / "search.html"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert remote_references(text) == []
    assert "<script" not in text.lower() and "<link" not in text.lower()
    pngs = embedded_pngs(text)
    assert set(pngs) == set(FIGURES)
    assert all(p.startswith(PNG) and len(p) > 5_000 for p in pngs.values())
    # the header and the table
    assert "random" in text and search_result.objective in text
    assert f"{search_result.best_score:.4f}" in text
    for n in search_result.trials["number"]:
        assert f'<td class="num">{n}</td>' in text
    assert 'class="best"' in text and "learning_rate" in text
    assert "3 similar datasets" in text or "similar datasets (" in text


def test_the_gain_over_default_is_the_difference_of_the_scores(
    search_result: SearchResult, tmp_path: Path
) -> None:
    result = copy.copy(search_result)
    assert result.best_score is not None
    result.default_score = result.best_score - 0.125
    result.default_source = "reference run"
    text = write_search_report(result, tmp_path / "r.html", dataset_name="wine").read_text()
    assert "<dd>+0.1250 (" in text
    assert f"<dd>{result.default_score:.4f} (reference run)</dd>" in text
    result.default_score = None  # not measured (compare_default=False)
    text = write_search_report(result, tmp_path / "n.html", dataset_name="wine").read_text()
    assert "default&#x27;s score at this budget not known" in text


def test_without_knowledge_base_trials_a_sentence_replaces_that_figure(
    search_result: SearchResult, nearest_trials: pd.DataFrame, tmp_path: Path
) -> None:
    text = write_search_report(search_result, tmp_path / "a.html", dataset_name="w").read_text()
    assert "fig-kb-importance" not in text
    assert "No knowledge-base trials were given" in text
    few = nearest_trials.head(4)
    text = write_search_report(
        search_result, tmp_path / "b.html", dataset_name="w", kb_trials=few
    ).read_text()
    assert "fig-kb-importance" not in text and "needs at least 10" in text


def test_text_is_escaped(search_result: SearchResult, tmp_path: Path) -> None:
    evil = '<script>alert("x")</script> & <b>'
    result = copy.copy(search_result)
    result.trials = search_result.trials.assign(proposed_by="<i>me</i>")
    text = write_search_report(result, tmp_path / "e.html", dataset_name=evil).read_text()
    assert "<script" not in text and "<b>" not in text and "<i>me" not in text
    assert html.escape(evil) in text and "&lt;i&gt;me&lt;/i&gt;" in text


def test_proposers_come_from_the_column_or_the_trials(
    search_result: SearchResult, tmp_path: Path
) -> None:
    text = write_search_report(search_result, tmp_path / "p.html", dataset_name="w").read_text()
    assert text.count("<td>random</td>") == len(search_result.trials)  # the trials' attribute
    result = copy.copy(search_result)
    result.trials = search_result.trials.assign(proposed_by="warm start")
    text = write_search_report(result, tmp_path / "q.html", dataset_name="w").read_text()
    assert text.count("<td>warm start</td>") == len(search_result.trials)


def test_a_result_without_its_study_still_reports(
    search_result: SearchResult, tmp_path: Path
) -> None:
    result = copy.copy(search_result)
    result.study = None
    text = write_search_report(result, tmp_path / "s.html", dataset_name="w").read_text()
    assert set(embedded_pngs(text)) == {"fig-history"}
    assert "No trial reported a learning curve" in text
    assert "needs at least 3 complete trials" in text


def test_importances_of_a_search_say_why_when_there_are_too_few_trials(
    search_result: SearchResult,
) -> None:
    trials = search_result.study.get_trials()
    assert not trial_importances(trials[:2]).ok
    assert "needs at least 3" in trial_importances(trials[:2]).note
    imp = trial_importances(trials)
    assert imp.ok and abs(sum(imp.values.values()) - 1.0) < 1e-6
    sub = trial_importances(trials, max_trials=3)
    assert sub.ok and (sub.n_trials, sub.n_given) == (3, 4)


def test_an_evaluator_failure_becomes_a_sentence(monkeypatch, search_result) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("no variance\nmore")

    monkeypatch.setattr(optuna.importance, "get_param_importances", boom)
    imp = trial_importances(search_result.study.get_trials())
    assert not imp.ok and imp.note.endswith("failed: no variance")


def test_knowledge_base_trials_become_an_optuna_study_over_the_space() -> None:
    configs = [named_config("default"), *MLP_SPACE.sample(19, seed=1)]
    configs[1] = {**configs[1], "learning_rate": 50.0, "width": None, "unknown": 3}
    frame = pd.DataFrame(
        {
            "config": configs,
            "score": [i / 20 for i in range(20)],
            "dataset_name": ["a", "b"] * 10,
        }
    )
    frame.loc[2, "score"] = float("nan")
    study = kb_study(frame)
    assert len(study.trials) == 19  # the NaN left out
    t1 = next(t for t in study.trials if t.params["learning_rate"] == 1.0)  # clipped into range
    assert "width" not in t1.params and "unknown" not in t1.params
    assert max(t.value for t in study.trials) == 1.0  # percentile ranks within each dataset
    imp = kb_importances(frame)
    assert imp.ok and imp.n_trials == imp.n_given == 19
    few = kb_study(frame, max_trials=5)  # fANOVA is quadratic: a seeded subsample
    assert len(few.trials) == 5 and few.user_attrs[USABLE_ATTR] == 19
    assert not kb_importances(frame.drop(columns=["config"])).ok


def test_without_matplotlib_the_error_says_which_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(MissingDependencyError, match=r"tuning-advisor\[report\]"):
        new_figure()


def test_an_unwritable_path_is_a_config_error(search_result, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="cannot be written"):
        write_search_report(search_result, blocker / "r.html", dataset_name="w")
