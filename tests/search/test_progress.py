"""``Advisor.search`` shows its progress on a terminal and stays quiet elsewhere."""

from __future__ import annotations

import pytest

from advisor.facade import Advisor


def _search(kb: str, **kw):  # type: ignore[no-untyped-def]
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    adv = Advisor(kb, device="cpu")
    return adv.search(X, y=y, n_trials=2, epochs=2, contribute=False, strategy="random", **kw)


def test_search_shows_a_progress_bar_when_asked(shared_synthetic_kb, capsys) -> None:
    _search(shared_synthetic_kb, progress=True, compare_default=False)
    err = capsys.readouterr().err
    assert "trials" in err and "2/2" in err and "best" in err


@pytest.mark.parametrize("progress", [None, False])
def test_search_is_quiet_off_a_terminal_or_when_told(shared_synthetic_kb, capsys, progress) -> None:
    _search(shared_synthetic_kb, progress=progress, compare_default=False)
    assert capsys.readouterr().err == ""


def test_a_search_result_knows_defaults_score_at_the_same_budget(shared_synthetic_kb) -> None:
    result = _search(shared_synthetic_kb)
    assert result.default_source in ("reference run", *(f"trial {i}" for i in range(2)))
    assert result.default_score is not None
    assert result.gain_over_default == pytest.approx(result.best_score - result.default_score)
