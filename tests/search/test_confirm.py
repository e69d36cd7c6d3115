"""Choosing the search's answer by its mean over further splits (``confirm``)."""

from __future__ import annotations

import json

import pytest

from advisor.data import SplitCache, load_dataset
from advisor.search import run_search
from advisor.search.confirm import split_caches
from advisor.trials import TrialSpec, run_trials
from advisor_core.errors import SearchError
from advisor_core.spaces import MLP_SPACE


@pytest.fixture(scope="module")
def wine_cache() -> SplitCache:
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    return SplitCache(load_dataset(X, y=y), seed=0)


def test_further_splits_differ_and_keep_the_fraction(wine_cache) -> None:
    others = split_caches(wine_cache, 2)
    sizes = {len(c.rows[1]) for c in [wine_cache, *others]}
    assert len(sizes) == 1
    assert len({tuple(c.rows[1]) for c in [wine_cache, *others]}) == 3


def test_the_answer_is_the_best_mean_over_splits_and_its_trials_count_in_the_budget(
    wine_cache,
) -> None:
    result = run_search(
        wine_cache,
        MLP_SPACE,
        strategy="random",
        n_trials=6,
        epochs=3,
        device="cpu",
        prune=False,
        confirm=2,
        confirm_splits=1,
    )
    assert result.n_trials == 4  # 6 trials, 2 of them confirmations
    conf = result.confirmation
    assert conf is not None and len(conf) == 2
    assert [c["mean"] for c in conf] == sorted((c["mean"] for c in conf), reverse=True)
    assert result.best_config == conf[0]["config"]
    assert result.best_score == conf[0]["scores"][0]
    # each confirmation score is a real trial on the further split
    split = split_caches(wine_cache, 1)[0]
    again = run_trials(split, [TrialSpec(conf[0]["config"], seed=0, epochs=3)], device="cpu")
    assert conf[0]["scores"][1] == pytest.approx(again[0][0].score)
    searched = result.trials[result.trials["status"] == "complete"]
    assert conf[0]["scores"][0] in set(searched["score"])


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"n_trials": 5, "confirm": 3}, "takes 6 of them"),
        ({"n_trials": 10, "confirm": 1}, "confirm is 1"),
        ({"time_budget": 5.0, "confirm": 2}, "needs a trial budget"),
        ({"n_trials": 10, "confirm": 2, "confirm_splits": 0}, "confirm_splits is 0"),
    ],
)
def test_a_confirmation_that_cannot_fit_is_a_clear_error(wine_cache, kwargs, fragment) -> None:
    with pytest.raises(SearchError, match=fragment):
        run_search(wine_cache, MLP_SPACE, strategy="random", epochs=2, device="cpu", **kwargs)


def test_the_cli_confirms_and_reports_a_budget_too_small_as_a_user_error(
    cli, wine_csv, tmp_path
) -> None:
    kb = f"sqlite:///{tmp_path / 'k.sqlite'}"
    common = ("search", wine_csv, "--target", "target", "--strategy", "random", "--epochs", "2")
    res = cli(*common, "--n-trials", "6", "--confirm", "2", "--no-contribute", "--kb", kb, "--json")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["n_trials"] == 2 and len(out["confirmation"]) == 2
    assert out["best_config"] == out["confirmation"][0]["config"]
    res = cli(*common, "--n-trials", "5", "--confirm", "2", "--kb", kb)
    assert res.exit_code == 2 and "takes 4 of them" in res.stderr
