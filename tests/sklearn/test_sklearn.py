"""scikit-learn estimators that configure themselves, and AdvisorSearchCV."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from advisor.sklearn import AdvisorSearchCV, MLPClassifier, MLPRegressor
from advisor_core.spaces import named_config
from knowledge_base import KnowledgeBase
from tests.conftest import REPO
from tests.ranker_helpers import records

# A small synthetic knowledge base, built at import so that the estimator checks (collected
# at import) use the advisor's real "auto" path with a trained ranker.
# The same path in every pytest-xdist worker (test ids include the estimator's parameters).
_RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid{os.getpid()}"
_TMP = Path(tempfile.gettempdir()) / f"advisor-sklearn-{_RUN}"
_TMP.mkdir(parents=True, exist_ok=True)
os.environ.setdefault("ADVISOR_HOME", str(_TMP / "home"))
SYN_KB = f"sqlite:///{_TMP / 'syn.sqlite'}"
_kb = KnowledgeBase(SYN_KB)
_kb.contribute(records())
_kb.close()


# Every scikit-learn check passes; we skip none. One check skips itself:
# check_array_api_input (one per estimator) runs only with SCIPY_ARRAY_API=1; the estimators
# take NumPy / pandas input and do not claim array-API support. The checks verify the
# estimator contract with the fixed `default` recipe (they include accuracy thresholds on
# sklearn's toy data, which the synthetic knowledge base's advice, where only the learning
# rate matters, is not meant to meet); the advice path has its own tests below.
@parametrize_with_checks(
    [
        MLPClassifier(hyperparameters="default", kb=SYN_KB),
        MLPRegressor(hyperparameters="default", kb=SYN_KB),
    ]
)
def test_scikit_learn_estimator_checks(estimator, check) -> None:
    check(estimator)


@pytest.fixture(scope="module")
def cancer():
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(return_X_y=True, as_frame=True)


def test_auto_configuration_comes_from_the_advisor(cancer) -> None:
    X, y = cancer
    clf = MLPClassifier(kb=SYN_KB).fit(X, y)
    assert clf.suggestion_ is not None
    assert clf.config_ == clf.suggestion_["config"]
    assert set(clf.suggestion_) >= {"score", "predicted", "interval", "neighbors"}
    assert clf.score(X, y) > 0.9
    assert list(clf.classes_) == [0, 1]


def test_explicit_hyperparameters_override_the_advice(cancer) -> None:
    X, y = cancer
    clf = MLPClassifier(kb=SYN_KB, width=32, learning_rate=3e-3, epochs=3).fit(X, y)
    assert (clf.config_["width"], clf.config_["learning_rate"]) == (32, 3e-3)
    named = MLPClassifier(hyperparameters="default", epochs=2).fit(X, y)
    assert named.config_ == named_config("default", task="classification")
    assert named.suggestion_ is None
    given = MLPClassifier(hyperparameters={"width": 48}, epochs=2).fit(X, y)
    assert given.config_["width"] == 48 and given.config_["optimizer"] == "adamw"
    with pytest.raises(ValueError, match="'width' is 5000"):
        MLPClassifier(kb=SYN_KB, width=5000, epochs=1).fit(X, y)


def test_pipeline_with_column_transformer_and_cross_val_score() -> None:
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], n),
        }
    )
    y = ((df["a"] + (df["colour"] == "red")) > 0.5).astype(int)
    pipe = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [("num", StandardScaler(), ["a", "b"]), ("cat", OneHotEncoder(), ["colour"])]
                ),
            ),
            ("mlp", MLPClassifier(kb=SYN_KB, random_state=0)),
        ]
    )
    scores = cross_val_score(pipe, df, y, cv=3)
    print(f"Pipeline + cross_val_score: {scores}")
    majority = max(y.mean(), 1 - y.mean())
    assert np.isfinite(scores).all() and scores.mean() > majority


def test_fitted_estimators_pickle_and_clone(cancer) -> None:
    X, _ = cancer
    reg = MLPRegressor(hyperparameters="default", epochs=3).fit(X, X["mean radius"])
    again = pickle.loads(pickle.dumps(reg))
    np.testing.assert_allclose(reg.predict(X), again.predict(X))
    assert clone(reg).get_params() == reg.get_params()
    assert not hasattr(clone(reg), "model_")


def test_search_cv_has_the_grid_search_interface(cancer, tmp_path) -> None:
    X, y = cancer
    kb_url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    import shutil

    shutil.copy(SYN_KB.removeprefix("sqlite:///"), tmp_path / "kb.sqlite")
    before = KnowledgeBase(kb_url).stats()["trials"]
    search = AdvisorSearchCV(
        MLPClassifier(epochs=3, kb=kb_url),
        n_trials=4,
        cv=2,
        kb=kb_url,
        scoring="balanced_accuracy",
        contribute=True,
    ).fit(X, y)
    res = search.cv_results_
    assert len(res["params"]) == 4 and set(res["rank_test_score"]) == {1, 2, 3, 4}
    assert {
        "mean_test_score",
        "std_test_score",
        "split0_test_score",
        "split1_test_score",
        "mean_fit_time",
        "param_learning_rate",
    } <= set(res)
    assert search.best_score_ == pytest.approx(np.nanmax(res["mean_test_score"]))
    assert search.best_params_ == res["params"][search.best_index_]
    assert search.best_estimator_.config_ == search.best_config_
    assert res["warm_start"][:4].all()  # n_trials <= warm_k: all from the advisor
    assert 0.0 <= search.score(X, y) <= 1.0 and search.predict(X).shape == (len(X),)
    assert KnowledgeBase(kb_url).stats()["trials"] == before + 4


def test_search_cv_on_a_pipeline_without_refit_or_contribution(cancer, tmp_path) -> None:
    X, y = cancer
    kb_url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    import shutil

    shutil.copy(SYN_KB.removeprefix("sqlite:///"), tmp_path / "kb.sqlite")
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", MLPClassifier(epochs=2))])
    search = AdvisorSearchCV(
        pipe, n_trials=2, cv=2, refit=False, contribute=False, kb=kb_url, strategy="random"
    ).fit(X, y)
    assert all(k.startswith("mlp__") for k in search.best_params_)
    assert not hasattr(search, "best_estimator_")
    assert KnowledgeBase(kb_url).stats()["trials"] == len(records())


@pytest.mark.slow
def test_the_tutorial_example_runs() -> None:
    env = {**os.environ, "ADVISOR_KB_URL": SYN_KB}
    res = subprocess.run(
        [sys.executable, str(REPO / "examples" / "sklearn_tutorial.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert "AdvisorSearchCV(n_trials=6)" in res.stdout


@pytest.mark.slow
def test_an_estimator_without_a_knowledge_base_uses_the_seeded_default(
    tmp_path, monkeypatch
) -> None:
    """The user's default store is created from the shipped seed, as from the CLI, however it
    is first opened (it once was created empty by an estimator)."""
    import platformdirs

    from advisor.sklearn._estimators import _advisor

    monkeypatch.delenv("ADVISOR_KB_URL", raising=False)
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda *a, **k: str(tmp_path / "data"))
    adv = _advisor(None)
    assert str(tmp_path / "data") in adv.kb.url
    assert adv.kb.stats()["trials"] > 0
