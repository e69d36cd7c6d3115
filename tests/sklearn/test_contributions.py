"""The estimators write to the knowledge base only when asked, say so, and name the data."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from advisor.facade import announce_contribution, dataset_name_for, load_dataset
from advisor.facade._helpers import mask_url
from advisor.sklearn import AdvisorSearchCV, MLPClassifier, MLPRegressor
from knowledge_base import KnowledgeBase


@pytest.fixture
def kb_url(
    tmp_path: Path, shared_synthetic_kb: str, advisor_home: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A copy of the synthetic knowledge base, made the default one ($ADVISOR_KB_URL)."""
    shutil.copy(shared_synthetic_kb.removeprefix("sqlite:///"), tmp_path / "kb.sqlite")
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    monkeypatch.setenv("ADVISOR_KB_URL", url)
    return url


@pytest.fixture(scope="module")
def cancer():
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(return_X_y=True, as_frame=True)


def _n_trials(url: str) -> int:
    with KnowledgeBase(url) as kb:
        return int(kb.stats()["trials"])


def _announcements(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("advisor: wrote")]


def test_fit_leaves_the_knowledge_base_unchanged_by_default(kb_url: str, cancer, capsys) -> None:
    X, y = cancer
    before = _n_trials(kb_url)
    clf = MLPClassifier(epochs=2).fit(X, y)  # the default knowledge base: $ADVISOR_KB_URL
    assert clf.suggestion_ is not None  # it did read the knowledge base
    MLPRegressor(hyperparameters="default", epochs=2).fit(X, X["mean radius"])
    AdvisorSearchCV(MLPClassifier(epochs=2), n_trials=2, cv=2, refit=False, strategy="random").fit(
        X, y
    )
    assert _n_trials(kb_url) == before
    assert _announcements(capsys.readouterr().err) == []


def test_fit_with_contribute_writes_one_trial_and_says_so_once(kb_url: str, cancer, capsys) -> None:
    X, y = cancer
    before = _n_trials(kb_url)
    MLPClassifier(epochs=2, contribute=True, dataset_name="breast cancer").fit(X, y)
    assert _n_trials(kb_url) == before + 1
    assert _announcements(capsys.readouterr().err) == [
        f"advisor: wrote 1 trial of dataset 'breast cancer' to the knowledge base {kb_url} "
        "(opt out: contribute=False; remove: advisor kb remove --dataset 'breast cancer')"
    ]
    with KnowledgeBase(kb_url) as kb:
        trials = kb.trials("mlp")
    mine = trials[trials["dataset_name"] == "breast cancer"]
    assert len(mine) == 1 and mine["status"].iloc[0] == "complete"


def test_data_without_a_name_is_named_after_its_fingerprint(kb_url: str, cancer, capsys) -> None:
    X, y = cancer
    MLPRegressor(hyperparameters="default", epochs=2, contribute=True).fit(X.to_numpy(), y)
    with KnowledgeBase(kb_url) as kb:
        ds = kb.datasets()
    new = ds[~ds["name"].str.startswith("syn")]
    assert len(new) == 1
    name, fingerprint = new["name"].iloc[0], new["fingerprint"].iloc[0]
    assert re.fullmatch(r"data-[0-9a-f]{8}", name) and name == f"data-{fingerprint[:8]}"
    assert f"of dataset {name!r}" in _announcements(capsys.readouterr().err)[0]


def test_search_cv_with_contribute_writes_every_trial_and_says_so_once(
    kb_url: str, cancer, capsys
) -> None:
    X, y = cancer
    before = _n_trials(kb_url)
    AdvisorSearchCV(
        MLPClassifier(epochs=2, contribute=True),  # its cross-validation fits write nothing
        n_trials=2,
        cv=2,
        refit=False,
        strategy="random",
        contribute=True,
        dataset_name="cancer",
    ).fit(X, y)
    assert _n_trials(kb_url) == before + 2
    lines = _announcements(capsys.readouterr().err)
    assert len(lines) == 1 and lines[0].startswith("advisor: wrote 2 trials of dataset 'cancer'")


def test_the_announcement_masks_the_password_and_says_nothing_for_nothing(capsys) -> None:
    url = "postgresql://alice:s3cret@db.example:5432/kb"
    announce_contribution(url, 3, "iris", "--no-contribute")
    err = capsys.readouterr().err
    assert "s3cret" not in err and err.count("\n") == 1
    assert err == (
        "advisor: wrote 3 trials of dataset 'iris' to the knowledge base "
        "postgresql://alice:***@db.example:5432/kb (opt out: --no-contribute; remove: "
        "advisor kb remove --kb 'postgresql://alice:***@db.example:5432/kb' --dataset iris)\n"
    )
    announce_contribution(url, 0, "iris", "--no-contribute")
    assert capsys.readouterr().err == ""
    assert mask_url("sqlite:////tmp/kb.sqlite") == "sqlite:////tmp/kb.sqlite"
    assert mask_url("postgresql://bob@host/db") == "postgresql://bob@host/db"


def test_a_dataset_name_is_the_given_one_the_file_name_or_the_fingerprint(
    tmp_path: Path, cancer
) -> None:
    X, y = cancer
    frame = X.assign(target=y)
    path = tmp_path / "cancer.csv"
    frame.to_csv(path, index=False)
    from_file = load_dataset(path, "target")
    in_memory = load_dataset(X, y=y)
    assert dataset_name_for(from_file) == "cancer.csv"  # no folder: it is shared
    assert dataset_name_for(in_memory, "mine") == "mine"
    assert dataset_name_for(in_memory) == f"data-{in_memory.fingerprint()[:8]}"
    assert dataset_name_for(in_memory, "  ") == f"data-{in_memory.fingerprint()[:8]}"
