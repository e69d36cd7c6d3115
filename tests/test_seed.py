"""The seed knowledge base: first-use loading, `kb init --seed`, and reproducible rebuilds."""

from __future__ import annotations

import json

import pytest

from knowledge_base import SEED_FILE, KnowledgeBase

pytestmark = pytest.mark.skipif(not SEED_FILE.is_file(), reason="no seed built yet")


def test_the_default_knowledge_base_starts_from_the_seed(tmp_path, monkeypatch) -> None:
    import platformdirs

    monkeypatch.delenv("ADVISOR_KB_URL", raising=False)
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda *a, **k: str(tmp_path / "data"))
    kb = KnowledgeBase()  # no URL: the user's own store, created from the seed
    stats = kb.stats()
    seed_trials = json.loads((SEED_FILE.parent / "manifest.json").read_text())["trials"]
    assert stats["trials"] == seed_trials
    assert str(tmp_path / "data") in kb.url
    kb.close()


def test_a_named_store_starts_empty_until_kb_init_seed(cli, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'team.sqlite'}"
    assert KnowledgeBase(url).stats()["trials"] == 0
    res = cli("kb", "init", "--seed", "--kb", url, "--json")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["added"] == out["trials"] > 0
    again = json.loads(cli("kb", "init", "--seed", "--kb", url, "--json").stdout)
    assert again["added"] == 0 and again["duplicates"] == out["trials"]


def test_rebuilding_a_dataset_reproduces_its_stored_results_exactly() -> None:
    from advisor.seedbuild import Design, Job, design_configs, run_jobs
    from knowledge_base.logfiles import read_records

    design, configs = Design(), design_configs(Design())
    stored = [
        r for r in read_records(SEED_FILE) if r["dataset"]["name"] == "keel:iris" and r["seed"] == 0
    ]
    if not stored:
        pytest.skip("keel:iris is not in the seed yet")
    by_id = {r["trial_id"]: r for r in stored}
    rebuilt = run_jobs(Job("keel:iris", ((0, 0), (1, 0), (7, 0), (30, 0))), design, configs)
    compared = 0
    for rec in rebuilt:
        old = by_id.get(rec["trial_id"])
        if old is None:
            continue
        compared += 1
        for key in ("config", "status", "score", "epochs", "learning_curve", "metrics"):
            assert rec[key] == old[key], key
        assert rec["dataset"]["fingerprint"] == old["dataset"]["fingerprint"]
        assert rec["dataset"]["meta_features"] == old["dataset"]["meta_features"]
    assert compared >= 1
