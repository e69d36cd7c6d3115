"""Taking contributed trials back (``KnowledgeBase.remove_trials``), over SQLite and PostgreSQL."""

from __future__ import annotations

import shutil

import pytest

from advisor_core.errors import ConflictError, ValidationError
from knowledge_base import SEED_CONTRIBUTOR, KnowledgeBase
from knowledge_base.upgrade import upgrade_schema
from tests.conftest import REPO
from tests.kb_helpers import dataset, record

TOY, OTHER, SEEDY = "0123456789abcdef", "feedfeedfeedfeed", "5eed5eed5eed5eed"


def _rec(trial_id: str, **over: object) -> dict:
    return record(trial_id, trial_id=trial_id, **over)


@pytest.fixture
def kb(kb_url: str):
    """Three datasets: toy (3 contributed trials), other (2), seedy (2 seed trials and 1
    contributed one)."""
    store = KnowledgeBase(kb_url)
    other, seedy = dataset(OTHER, name="other"), dataset(SEEDY, name="seedy")
    store.contribute(
        [_rec(f"toy-{i}", seed=i) for i in range(3)]
        + [_rec(f"other-{i}", seed=i, dataset=other) for i in range(2)]
        + [_rec(f"seed-{i}", seed=i, dataset=seedy, contributor=SEED_CONTRIBUTOR) for i in range(2)]
        + [_rec("seedy-mine", seed=5, dataset=seedy)]
    )
    yield store
    store.close()


def _trial_ids(kb: KnowledgeBase) -> set[str]:
    return set(kb.trials("mlp")["trial_id"])


def _fingerprints(kb: KnowledgeBase) -> set[str]:
    return set(kb.datasets()["fingerprint"])


ALL = {"toy-0", "toy-1", "toy-2", "other-0", "other-1", "seed-0", "seed-1", "seedy-mine"}


def test_removing_named_trials_removes_exactly_them_and_nothing_else(kb: KnowledgeBase) -> None:
    rep = kb.remove_trials(["toy-1", "other-0"])
    assert rep.removed == 2 and rep.trial_ids == ["other-0", "toy-1"]
    assert _trial_ids(kb) == ALL - {"toy-1", "other-0"}
    assert {(d.fingerprint, d.removed, d.left, d.deleted) for d in rep.datasets} == {
        (TOY, 1, 2, False),
        (OTHER, 1, 1, False),
    }
    assert _fingerprints(kb) == {TOY, OTHER, SEEDY}
    assert kb.snapshot()["removals"] == 1


def test_removing_a_dataset_takes_its_trials_and_its_meta_features(kb: KnowledgeBase) -> None:
    rep = kb.remove_trials(datasets=["other"])
    assert rep.removed == 2 and rep.trial_ids == ["other-0", "other-1"]
    assert [(d.name, d.removed, d.left, d.deleted) for d in rep.datasets] == [("other", 2, 0, True)]
    assert _trial_ids(kb) == ALL - {"other-0", "other-1"}
    assert _fingerprints(kb) == {TOY, SEEDY}
    assert OTHER not in set(kb.meta_features().index)
    assert kb.stats()["datasets"] == 2


def test_a_dataset_is_named_by_fingerprint_and_trials_and_datasets_combine(
    kb: KnowledgeBase,
) -> None:
    rep = kb.remove_trials(["toy-0", "other-1"], datasets=[OTHER, "toy"])
    assert rep.removed == 5
    assert _trial_ids(kb) == {"seed-0", "seed-1", "seedy-mine"}
    assert _fingerprints(kb) == {SEEDY}


def test_an_unknown_trial_id_or_dataset_removes_nothing(kb: KnowledgeBase) -> None:
    with pytest.raises(ValidationError, match=r"trial id 'nope' is not in the knowledge base"):
        kb.remove_trials(["toy-0", "nope"], datasets=["other"])
    with pytest.raises(ValidationError, match=r"datasets 'zzz', 'yyy' are not in the knowledge"):
        kb.remove_trials(["toy-0"], datasets=["other", "zzz", "yyy"])
    with pytest.raises(ValidationError, match="at least one trial id or dataset"):
        kb.remove_trials([], datasets=[])
    with pytest.raises(ValidationError, match="trial id is '', but must be a non-empty string"):
        kb.remove_trials(["toy-0", ""])
    assert _trial_ids(kb) == ALL
    assert kb.snapshot()["removals"] == 0


def test_a_name_shared_by_two_datasets_must_be_given_as_a_fingerprint(kb: KnowledgeBase) -> None:
    kb.contribute([_rec("twin-0", dataset=dataset("7777777777777777", name="toy"))])
    with pytest.raises(ValidationError, match=r"dataset name 'toy' matches 2 datasets"):
        kb.remove_trials(datasets=["toy"])
    assert kb.remove_trials(datasets=["7777777777777777"]).trial_ids == ["twin-0"]
    assert _trial_ids(kb) == ALL


def test_the_seed_cannot_be_removed_but_contributions_to_its_datasets_can(
    kb: KnowledgeBase,
) -> None:
    with pytest.raises(ConflictError, match=r"trial 'seed-0' belongs to the shipped seed"):
        kb.remove_trials(["toy-0", "seed-0"])
    assert _trial_ids(kb) == ALL
    rep = kb.remove_trials(datasets=["seedy"])  # its contributed trial only
    assert rep.trial_ids == ["seedy-mine"]
    assert [(d.removed, d.left, d.deleted) for d in rep.datasets] == [(1, 2, False)]
    with pytest.raises(ConflictError, match=r"dataset 'seedy' holds only trials of the shipped"):
        kb.remove_trials(datasets=["seedy"])
    assert _trial_ids(kb) == ALL - {"seedy-mine"}


def test_a_dry_run_reports_what_would_go_and_removes_nothing(kb: KnowledgeBase) -> None:
    plan = kb.remove_trials(["toy-0"], datasets=["other"], dry_run=True)
    assert plan.dry_run and plan.removed == 3
    assert plan.to_dict()["trial_ids"] == ["other-0", "other-1", "toy-0"]
    assert _trial_ids(kb) == ALL
    assert kb.snapshot()["removals"] == 0
    done = kb.remove_trials(["toy-0"], datasets=["other"])
    assert (done.removed, done.trial_ids, done.dry_run) == (3, plan.trial_ids, False)


def test_a_removal_shows_in_the_snapshot_even_when_additions_restore_the_counts(
    kb: KnowledgeBase,
) -> None:
    """What tells a ranker trained before the removal that it is stale."""
    before = kb.snapshot()
    kb.remove_trials(["toy-0"])
    kb.contribute([_rec("toy-new", seed=9)])
    after = kb.snapshot()
    assert (after["trials"], after["datasets"]) == (before["trials"], before["datasets"])
    assert (before["removals"], after["removals"]) == (0, 1)
    assert after["digest"] != before["digest"]


def test_a_database_upgraded_from_revision_0001_takes_removals(tmp_path) -> None:
    db = tmp_path / "old.sqlite"
    shutil.copy(REPO / "tests" / "assets" / "kb_schema_0001.sqlite", db)
    url = f"sqlite:///{db}"
    upgrade_schema(url)
    with KnowledgeBase(url) as kb:
        assert kb.snapshot("mlp", 1)["removals"] == 0
        assert kb.remove_trials(["old-0"]).removed == 1
        assert kb.snapshot("mlp", 1)["removals"] == 1
        assert set(kb.trials("mlp", version=1)["trial_id"]) == {"old-1"}


@pytest.mark.slow
def test_contributions_racing_removals_of_their_dataset_are_each_counted_once(
    kb_url: str,
) -> None:
    """A batch whose dataset a concurrent removal deletes is written again, not lost or failed:
    what was added minus what was removed is what is left."""
    import threading

    KnowledgeBase(kb_url).close()
    added, removed, errors = [0], [0], []

    def contribute() -> None:
        with KnowledgeBase(kb_url) as kb:
            try:
                for b in range(40):
                    added[0] += kb.contribute([_rec(f"c{b}-{i}", seed=i) for i in range(5)]).added
            except Exception as exc:  # collected, asserted below
                errors.append(repr(exc))

    def remove() -> None:
        with KnowledgeBase(kb_url) as kb:
            for _ in range(40):
                try:
                    removed[0] += kb.remove_trials(datasets=[TOY]).removed
                except ValidationError:
                    pass  # nothing of toy at the moment
                except Exception as exc:  # collected, asserted below
                    errors.append(repr(exc))

    threads = [threading.Thread(target=contribute), threading.Thread(target=remove)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with KnowledgeBase(kb_url) as kb:
        assert kb.stats()["trials"] == added[0] - removed[0]
        assert added[0] == 200 and removed[0] > 0
