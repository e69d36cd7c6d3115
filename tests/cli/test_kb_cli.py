"""``advisor kb``: contribute, export round trip, stats, datasets, upgrade, import-optuna."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from advisor_core.errors import SchemaVersionError
from knowledge_base import KnowledgeBase
from tests.conftest import REPO
from tests.kb_helpers import dataset, mutate, record


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.fixture(scope="module")
def real_records() -> list[dict]:
    """Records of real (short) trials, each status represented."""
    from sklearn.datasets import load_wine

    from advisor.data import SplitCache, load_dataset
    from advisor.metafeatures import extract
    from advisor.records import dataset_info, trial_from_result
    from advisor.trials import run_trial
    from advisor_core.spaces import named_config

    X, y = load_wine(return_X_y=True, as_frame=True)
    ds = load_dataset(X, y=y, name="wine")
    info = dataset_info(ds, extract(ds), name="wine", source="scikit-learn", group="wine")
    cache = SplitCache(ds)
    out = []
    for i, cfg in enumerate(["default", "small_fast", "rtdl"]):
        r = run_trial(cache, named_config(cfg), epochs=3, seed=i, device="cpu")
        out.append(
            trial_from_result(r, info, trial_id=f"wine-{cfg}", contributor="tests").to_dict()
        )
    pruned = run_trial(
        cache, named_config("sklearn"), epochs=5, on_epoch=lambda e, v: e >= 2, device="cpu"
    )
    out.append(trial_from_result(pruned, info, trial_id="wine-pruned").to_dict())
    return out


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_export_then_add_round_trips_every_field(cli, tmp_path, real_records, fmt) -> None:
    src, dst = f"sqlite:///{tmp_path / 'a.sqlite'}", f"sqlite:///{tmp_path / 'b.sqlite'}"
    log = _write_jsonl(tmp_path / "in.jsonl", real_records)
    res = cli("kb", "add", log, "--kb", src, "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["added"] == 4
    out = tmp_path / f"export.{fmt}"
    assert cli("kb", "export", "--kb", src, "--format", fmt, "-o", out).exit_code == 0
    assert cli("kb", "add", out, "--kb", dst).exit_code == 0
    again = cli("kb", "add", out, "--kb", dst, "--json")
    assert json.loads(again.stdout) == {"added": 0, "duplicates": 4, "errors": 0, "records": 4}
    a = list(KnowledgeBase(src).export_records())
    b = list(KnowledgeBase(dst).export_records())
    assert a == b
    original = {r["trial_id"]: r for r in real_records}
    for rec in a:
        src_rec = original[rec["trial_id"]]
        for key in (
            "config",
            "learning_curve",
            "metrics",
            "score",
            "status",
            "epochs",
            "created_at",
            "runtime_s",
            "seed",
        ):
            assert rec[key] == src_rec[key], key
        assert rec["dataset"]["meta_features"] == src_rec["dataset"]["meta_features"]


def test_add_reports_bad_records_with_index_and_exit_code_2(cli, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    log = _write_jsonl(tmp_path / "bad.jsonl", [record(1), mutate(record(2), "config.width", 0)])
    with log.open("a") as fh:
        fh.write("{not json\n")
    res = cli("kb", "add", log, "--kb", url)
    assert res.exit_code == 2
    assert res.stderr.startswith("error: 2 of 3 record(s) invalid, nothing was written: ")
    assert "record 1: hyperparameter 'width' is 0" in res.stderr
    assert "record 2: line 3 is not valid JSON" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    res = cli("kb", "add", log, "--kb", url, "--json")
    assert [p["index"] for p in json.loads(res.stdout)["problems"]] == [1, 2]
    assert KnowledgeBase(url).stats()["trials"] == 0


def test_add_of_a_missing_file_is_a_user_error(cli, tmp_path) -> None:
    res = cli("kb", "add", tmp_path / "nope.jsonl", "--kb", f"sqlite:///{tmp_path / 'k.db'}")
    assert res.exit_code == 2 and "file not found" in res.stderr


def test_stats_and_datasets_show_the_contents(cli, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    other = dataset("abcdefabcdef0000", name="reg", task="regression", n_classes=None, group="g2")
    KnowledgeBase(url).contribute([record(1), record(2), record(3, dataset=other, objective="r2")])
    s = json.loads(cli("kb", "stats", "--kb", url, "--json").stdout)
    assert (s["datasets"], s["groups"], s["trials"]) == (2, 2, 3)
    assert s["by_task"]["regression"] == {"datasets": 1, "trials": 1}
    rows = json.loads(cli("kb", "datasets", "--kb", url, "--json").stdout)
    assert [(r["name"], r["task"], r["trials"]) for r in rows] == [
        ("reg", "regression", 1),
        ("toy", "classification", 2),
    ]
    table = cli("kb", "stats", "--kb", url)
    assert "2 datasets in 2 groups, 3 trials" in table.stdout


def test_the_url_comes_from_the_environment(cli, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'env.sqlite'}"
    res = cli("kb", "stats", "--json", env={"ADVISOR_KB_URL": url})
    assert json.loads(res.stdout)["url"] == url


def test_an_old_schema_gets_a_clear_message_and_kb_upgrade_migrates_it(cli, tmp_path) -> None:
    db = tmp_path / "old.sqlite"
    shutil.copy(REPO / "tests" / "assets" / "kb_schema_0001.sqlite", db)
    url = f"sqlite:///{db}"
    with pytest.raises(SchemaVersionError, match="run `advisor kb upgrade`"):
        KnowledgeBase(url)
    res = cli("kb", "stats", "--kb", url)
    assert res.exit_code == 2
    assert "schema revision 0001, this advisor needs 0004: run `advisor kb upgrade`" in res.stderr
    res = cli("kb", "upgrade", "--kb", url)
    assert res.exit_code == 0 and "from revision 0001 to 0004" in res.stdout
    kb = KnowledgeBase(url)
    assert kb.stats()["trials"] == 2
    from sqlalchemy import text

    with kb.store.read() as conn:
        rows = conn.execute(text("SELECT version, meta_features FROM dataset_meta_features"))
        assert [(v, json.loads(m)["lm_linear"]) for v, m in rows] == [("1", 0.5)]
    assert cli("kb", "upgrade", "--kb", url).stdout.startswith("schema already at revision")


def test_a_bad_url_is_a_user_error(cli) -> None:
    res = cli("kb", "stats", "--kb", "mysql://nobody@localhost/x")
    assert res.exit_code == 2 and "not supported" in res.stderr


def test_import_optuna_turns_a_finished_study_into_trials(cli, tmp_path) -> None:
    import optuna
    from sklearn.datasets import load_breast_cancer

    df = load_breast_cancer(as_frame=True).frame
    data = tmp_path / "bc.csv"
    df.to_csv(data, index=False)
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = optuna.create_study(study_name="mine", storage=storage, direction="maximize")

    def objective(trial: optuna.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-4, 1e-2, log=True)
        width = trial.suggest_int("width", 16, 256, log=True)
        for step in (1, 2, 3):
            trial.report(0.8 + step / 100 + lr, step)
        if trial.number == 2:
            raise optuna.TrialPruned()
        return 0.9 + lr / 10 + width / 1e5

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study.optimize(objective, n_trials=4)
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    args = [
        "kb",
        "import-optuna",
        "--storage",
        storage,
        "--study",
        "mine",
        "--data",
        data,
        "--target",
        "target",
        "--param",
        "lr=learning_rate",
        "--kb",
        url,
        "--json",
    ]
    res = cli(*args)
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["added"] == 4
    assert json.loads(cli(*args).stdout)["duplicates"] == 4  # re-import is idempotent
    df = KnowledgeBase(url).trials("mlp", with_curves=True)
    assert sorted(df["status"]) == ["complete", "complete", "complete", "pruned"]
    assert len(df.loc[0, "learning_curve"]) == 3
    assert df["hp.learning_rate"].between(1e-4, 1e-2).all()
    assert (df["hp.num_layers"] == 1).all()  # completed from `default`
    res = cli(
        "kb",
        "import-optuna",
        "--storage",
        storage,
        "--study",
        "nope",
        "--data",
        data,
        "--target",
        "target",
        "--kb",
        url,
    )
    assert res.exit_code == 2 and "study 'nope' not found" in res.stderr


def test_the_json_schema_accepts_exported_records_and_rejects_bad_ones(real_records) -> None:
    import jsonschema

    schema = json.loads((REPO / "knowledge_base" / "trial_log.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for rec in [*real_records, record(1)]:
        validator.validate(rec)
    for bad in (
        mutate(record(1), "status", "done"),
        mutate(record(1), "extra", 1),
        mutate(record(1), "dataset.name", "a/b"),
        mutate(record(1), "trial_id", ...),
    ):
        assert not validator.is_valid(bad)
