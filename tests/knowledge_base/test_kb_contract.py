"""The knowledge-base contract, run over every backend (SQLite and PostgreSQL)."""

from __future__ import annotations

import multiprocessing as mp
import shutil
from dataclasses import FrozenInstanceError

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from advisor_core.errors import ConflictError, SchemaVersionError, ValidationError
from advisor_core.spaces import named_config
from knowledge_base import KnowledgeBase, TrialRecord
from knowledge_base.schema import HEAD_REVISION
from knowledge_base.upgrade import upgrade_schema
from tests.conftest import REPO
from tests.kb_helpers import contribute_worker, dataset, mutate, record


@pytest.fixture
def kb(kb_url: str):
    store = KnowledgeBase(kb_url)
    yield store
    store.close()


def _count(kb: KnowledgeBase) -> tuple[int, int]:
    s = kb.stats()
    return s["datasets"], s["trials"]


def test_contributed_trials_come_back_with_their_meta_features(kb: KnowledgeBase) -> None:
    rep = kb.contribute([record(i, seed=i) for i in range(5)])
    assert (rep.added, rep.duplicates) == (5, 0)
    df = kb.trials("mlp", with_curves=True)
    assert len(df) == 5
    sent = named_config("default")  # what record() contributes
    assert df.loc[0, "hp.width"] == sent["width"] and df.loc[0, "config"] == sent
    assert df.loc[0, "mf.n_rows"] == pytest.approx(0.5)
    assert df.loc[0, "learning_curve"][2]["objective"] == pytest.approx(0.8)
    assert set(df["status"]) == {"complete"}
    s = kb.stats()
    assert (s["datasets"], s["groups"], s["trials"]) == (1, 1, 5)
    assert s["by_task"]["classification"] == {"datasets": 1, "trials": 5}
    assert s["by_space"]["mlp@2"] == {
        "trials": 5,
        "datasets": 1,
        "configs": 1,
        "configs_on_every_dataset": 1,
        "seeds": {
            "pairs": 1,
            "min_per_pair": 5,
            "pairs_with_3_or_more": 1,
            "datasets_with_3_or_more_everywhere": 1,
        },
    }
    ds = kb.datasets()
    assert ds.loc[0, "name"] == "toy" and ds.loc[0, "trials"] == 5


def test_stats_count_seeds_per_configuration_and_datasets_by_rows(kb: KnowledgeBase) -> None:
    """What the seed build is judged by: seeds per (dataset, configuration, budget), the
    datasets where every such pair has 3 seeds, and how many datasets reach 20,000 rows."""
    big = dataset("feedfacefeedface", name="big", group="big", n_rows=25_000)
    other = {**named_config("default"), "learning_rate": 0.01}
    kb.contribute(
        [record(i, seed=i) for i in range(3)]  # toy: default x 3 seeds
        + [record(10 + i, seed=i, max_epochs=4, epochs=3) for i in range(2)]  # another budget
        + [record(20, dataset=big), record(21, dataset=big, config=other)]
    )
    s = kb.stats()
    assert s["by_space"]["mlp@2"]["seeds"] == {
        "pairs": 4,
        "min_per_pair": 1,
        "pairs_with_3_or_more": 1,
        "datasets_with_3_or_more_everywhere": 0,
    }
    assert s["datasets_by_rows"] == {
        "under_1000": 1,
        "1000_to_4999": 0,
        "5000_to_19999": 0,
        "20000_or_more": 1,
    }


def test_resending_a_trial_is_a_duplicate_and_changes_nothing(kb: KnowledgeBase) -> None:
    kb.contribute([record(1), record(2)])
    rep = kb.contribute([record(1), record(3)])
    assert rep.statuses == ["duplicate", "added"]
    assert _count(kb) == (1, 3)


def test_same_id_with_different_values_is_a_conflict_and_writes_nothing(kb) -> None:
    kb.contribute([record(1)])
    with pytest.raises(ConflictError, match="already stored with different values") as err:
        kb.contribute([record(2), mutate(record(1), "score", 0.9)])
    assert err.value.problems == [(1, "trial_id 'trial-1' is stored with different values")]
    assert _count(kb) == (1, 1)


def test_a_batch_with_one_invalid_record_writes_nothing(kb: KnowledgeBase) -> None:
    batch = [
        record(1),
        record(2, dataset=dataset("fedcba9876543210")),
        mutate(record(3), "config.width", 4096),
    ]
    with pytest.raises(ValidationError) as err:
        kb.contribute(batch)
    assert err.value.problems[0][0] == 2
    assert "'width' is 4096" in err.value.problems[0][1]
    assert _count(kb) == (0, 0)


BAD = {
    "unknown space": (lambda r: mutate(r, "space", "xgboost"), "unknown space 'xgboost'"),
    "unknown hyperparameter": (
        lambda r: mutate(r, "config.depth", 3),
        "unknown hyperparameter 'depth'",
    ),
    "out of range": (lambda r: mutate(r, "config.dropout", 0.9), "'dropout' is 0.9"),
    "boolean as number": (
        lambda r: mutate(r, "config.learning_rate", True),
        "'learning_rate' is True",
    ),
    "boolean seed": (lambda r: mutate(r, "seed", True), "seed is True"),
    "string score": (lambda r: mutate(r, "score", "0.9"), "score is '0.9'"),
    "nan metric on complete": (
        lambda r: mutate(r, "metrics.accuracy", float("nan")),
        "complete trial needs finite metrics",
    ),
    "infinite score": (lambda r: mutate(r, "score", float("inf")), "needs a finite score"),
    "complete without score": (lambda r: mutate(r, "score", None), "needs a finite score"),
    "unknown meta-feature version": (
        lambda r: mutate(r, "dataset.meta_features_version", "9"),
        "meta-feature version is '9'",
    ),
    "wrong meta-feature length": (
        lambda r: mutate(r, "dataset.meta_features", [0.1, 0.2]),
        "has 2 values",
    ),
    "path separator in name": (
        lambda r: mutate(r, "dataset.name", "../../etc/passwd"),
        "must not contain path separators",
    ),
    "control character in name": (
        lambda r: mutate(r, "contributor", "bob\x00"),
        "control characters",
    ),
    "oversized name": (lambda r: mutate(r, "dataset.source", "x" * 201), "201 characters"),
    "oversized message": (lambda r: mutate(r, "message", "x" * 2001), "at most 2000"),
    "bad trial id": (lambda r: mutate(r, "trial_id", "a b"), "trial_id is 'a b'"),
    "unknown field": (lambda r: mutate(r, "extra", 1), "unknown field 'extra'"),
    "unknown status": (lambda r: mutate(r, "status", "done"), "status is 'done'"),
    "curve epochs not increasing": (
        lambda r: mutate(r, "learning_curve.1.epoch", 1),
        "epochs must increase",
    ),
    "wrong format version": (lambda r: mutate(r, "format_version", 2), "format_version is 2"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_each_bad_record_is_rejected_with_index_and_reason(kb: KnowledgeBase, case: str) -> None:
    make, fragment = BAD[case]
    with pytest.raises(ValidationError) as err:
        kb.contribute([record(0), make(record(1))])
    assert len(err.value.problems) == 1
    index, reason = err.value.problems[0]
    assert index == 1 and fragment in reason, reason
    assert "record 1: " in str(err.value) and "nothing was written" in str(err.value)
    assert _count(kb) == (0, 0)


def test_oversized_batches_are_rejected() -> None:
    from knowledge_base.records import LIMITS, default_space_resolver, validate_records

    too_many = (record(i) for i in range(LIMITS["batch_records"] + 1))
    with pytest.raises(ValidationError, match="more than 100000 records"):
        validate_records(too_many, default_space_resolver)


@pytest.mark.parametrize(
    "name",
    [
        "x'); DROP TABLE trials; --",
        "Robert'); DELETE FROM datasets WHERE ('1'='1",
        '" OR 1=1 --',
        "name; SELECT * FROM spaces",
    ],
)
def test_sql_injection_like_names_are_stored_literally(kb: KnowledgeBase, name: str) -> None:
    kb.contribute([record(1, dataset=dataset(name=name, group=name), contributor=name)])
    kb.contribute([record(2)])
    ds = kb.datasets()
    assert list(ds["name"]) == [name]
    assert _count(kb) == (1, 2)
    exported = next(kb.export_records())
    assert exported["contributor"] == name and exported["dataset"]["group"] == name


def test_a_declared_space_is_stored_and_its_trials_validated(kb: KnowledgeBase) -> None:
    definition = {
        "name": "xgb",
        "version": 1,
        "params": [
            {"name": "eta", "type": "float", "low": 0.01, "high": 0.3, "log": True},
            {"name": "depth", "type": "int", "low": 2, "high": 12},
        ],
    }
    rec = record(1, space="xgb", space_definition=definition, config={"eta": 0.1, "depth": 6})
    kb.contribute([rec])
    assert {s.name for s in kb.spaces()} >= {"mlp", "xgb"}
    kb.contribute([record(2, space="xgb", config={"eta": 0.05, "depth": 3})])  # now known
    with pytest.raises(ValidationError, match="'depth' is 99"):
        kb.contribute([record(3, space="xgb", config={"eta": 0.05, "depth": 99})])
    changed = {**definition, "params": definition["params"][:1]}
    with pytest.raises(ValidationError, match="different definition"):
        kb.contribute([record(4, space="xgb", space_definition=changed, config={"eta": 0.1})])
    assert len(kb.trials("xgb")) == 2


def _concurrency(url: str, workers: int, per_worker: int) -> None:
    ctx = mp.get_context("fork")
    with ctx.Pool(min(workers, 16)) as pool:
        results = pool.starmap(
            contribute_worker, [(url, w, per_worker, 0.05, 50) for w in range(workers)]
        )
    kb = KnowledgeBase(url)
    try:
        assert sum(a for a, _ in results) == workers * per_worker
        assert sum(d for _, d in results) == workers * int(per_worker * 0.05)
        df = kb.trials("mlp", expand_config=False)
        assert len(df) == workers * per_worker
        assert df["trial_id"].is_unique
    finally:
        kb.close()


@pytest.mark.slow
def test_concurrent_contributors_on_sqlite_give_exactly_one_row_per_trial(tmp_path) -> None:
    _concurrency(f"sqlite:///{tmp_path / 'kb.sqlite'}", workers=16, per_worker=200)


@pytest.mark.slow
@pytest.mark.postgres
def test_concurrent_contributors_on_postgres_give_exactly_one_row_per_trial(kb_url) -> None:
    if kb_url.startswith("sqlite"):
        pytest.skip("PostgreSQL variant")
    _concurrency(kb_url, workers=32, per_worker=500)


def _inject(kb: KnowledgeBase, failures: int) -> list[int]:
    """Raise a transient error on the first ``failures`` inserts into trials (a real fault
    cannot be provoked on demand)."""
    calls = [0]
    sqlite = kb.url.startswith("sqlite")

    @event.listens_for(kb.store.engine, "before_cursor_execute")
    def _fail(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO TRIALS") and calls[0] < failures:
            calls[0] += 1
            if sqlite:
                import sqlite3

                raise OperationalError(
                    statement, params, sqlite3.OperationalError("database is locked")
                )
            import psycopg

            err = (
                psycopg.errors.DeadlockDetected
                if calls[0] % 2
                else psycopg.errors.SerializationFailure
            )
            raise OperationalError(statement, params, err("injected"))

    return calls


def test_injected_lock_and_deadlock_errors_are_retried_to_exactly_one_row(kb) -> None:
    calls = _inject(kb, failures=3)
    rep = kb.contribute([record(1), record(2)])
    assert calls[0] == 3
    assert rep.added == 2
    assert _count(kb) == (1, 2)


def test_errors_that_persist_are_raised_after_bounded_retries(kb) -> None:
    from knowledge_base.stores import MAX_ATTEMPTS

    calls = _inject(kb, failures=10_000)
    with pytest.raises(OperationalError):
        kb.contribute([record(1)])
    assert calls[0] == MAX_ATTEMPTS
    assert _count(kb)[1] == 0


# -- the frozen trial record ----------------------------------------------------------------------
def test_a_trial_record_round_trips_through_contribute_and_export(kb: KnowledgeBase) -> None:
    rec = TrialRecord.from_dict(record(1, message="a note"))
    assert rec.to_dict() == record(1, message="a note")
    assert kb.contribute([rec]).statuses == ["added"]
    assert kb.contribute([rec.to_dict()]).statuses == ["duplicate"]  # the same trial
    (exported,) = kb.export_records()
    assert exported == rec.to_dict()
    assert TrialRecord.from_dict(exported) == rec


def test_a_trial_record_leaves_out_none_fields_but_the_score(kb: KnowledgeBase) -> None:
    rec = TrialRecord(
        trial_id="failed-1",
        dataset=dataset(n_classes=None, task="regression", group=None),
        config={**named_config("default"), "width": 64},
        epochs=0,
        objective="neg_rmse",
        score=None,
        status="failed",
    )
    out = rec.to_dict()
    assert out["score"] is None and out["format"] == "tuning-advisor-trial"
    assert not {"hardware", "max_epochs", "created_at", "message", "space_definition"} & set(out)
    assert not {"n_classes", "group"} & set(out["dataset"])
    with pytest.raises(FrozenInstanceError):
        rec.score = 1.0  # type: ignore[misc]
    kb.contribute([rec])
    (exported,) = kb.export_records()
    assert exported["score"] is None and exported["max_epochs"] == 1
    assert exported["config"]["width"] == 64 and exported["status"] == "failed"


def test_a_trial_record_from_an_unknown_object_names_the_field() -> None:
    with pytest.raises(ValidationError, match="unknown field 'colour'"):
        TrialRecord.from_dict({**record(1), "colour": "red"})
    with pytest.raises(ValidationError, match="objective is missing"):
        TrialRecord.from_dict({k: v for k, v in record(1).items() if k != "objective"})


# -- schema upgrades ------------------------------------------------------------------------------
def test_the_committed_0001_database_is_upgraded_to_the_head(tmp_path) -> None:
    db = tmp_path / "old.sqlite"
    shutil.copy(REPO / "tests" / "assets" / "kb_schema_0001.sqlite", db)
    url = f"sqlite:///{db}"
    with pytest.raises(SchemaVersionError, match="revision 0001"):
        KnowledgeBase(url)
    assert upgrade_schema(url) == ("0001", HEAD_REVISION)
    with KnowledgeBase(url) as kb:
        assert kb.schema_revision() == HEAD_REVISION
        assert kb.stats()["trials"] == 2
        assert list(kb.meta_features(version="1").loc["feedfacecafebeef"].dropna()) != []
    assert KnowledgeBase.upgrade(url) == (HEAD_REVISION, HEAD_REVISION)  # idempotent


def test_a_newer_schema_is_never_migrated(tmp_path) -> None:
    from sqlalchemy import create_engine, text

    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    KnowledgeBase(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(SchemaVersionError, match="newer"):
        upgrade_schema(url)
    with pytest.raises(SchemaVersionError, match="unknown to this advisor"):
        KnowledgeBase(url)
