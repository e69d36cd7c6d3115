"""``AdvisorSearchCV`` shows its progress on a terminal and stays quiet elsewhere."""

from __future__ import annotations

import pytest
from sklearn.datasets import load_iris

from advisor.sklearn import AdvisorSearchCV, MLPClassifier


@pytest.mark.parametrize(("progress", "shown"), [(True, True), (None, False), (False, False)])
def test_search_cv_shows_progress_only_when_asked_or_on_a_terminal(
    shared_synthetic_kb, capsys, progress, shown
) -> None:
    X, y = load_iris(return_X_y=True)
    est = MLPClassifier(epochs=2, kb=shared_synthetic_kb)
    AdvisorSearchCV(est, n_trials=2, cv=2, kb=shared_synthetic_kb, progress=progress).fit(X, y)
    err = capsys.readouterr().err
    assert ("configurations" in err and "2/2" in err) is shown
