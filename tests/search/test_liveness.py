"""Workers that die lose nothing: a trial whose worker stops beating is failed and retried once
by a surviving worker, the budget counts the retry instead of the lost trial, and the knowledge
base receives each finished trial exactly once (a real SIGKILL on a 3-process PostgreSQL study)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from advisor.data import SplitCache, load_dataset
from advisor.search import distributions, run_search, suggest_config
from advisor.search.liveness import WORKER, lost_numbers, open_storage
from advisor_core.errors import SearchError
from advisor_core.spaces import MLP_SPACE, named_config
from knowledge_base import KnowledgeBase


def _wine_cache() -> SplitCache:
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    return SplitCache(load_dataset(X, y=y))


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")
def test_a_trial_whose_worker_stopped_beating_is_failed_and_retried_once(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    store = open_storage(url, heartbeat=1)
    study = optuna.create_study(storage=store, study_name="s", direction="maximize")
    study.enqueue_trial(named_config("default", task="classification"))
    dead = study.ask()  # a worker took this trial, beat once, and died
    suggest_config(dead, distributions(MLP_SPACE))
    study_id = store.get_study_id_from_name("s")  # type: ignore[union-attr]
    store.record_heartbeat(store.get_trial_id_from_study_id_trial_number(study_id, 0))  # type: ignore[union-attr]
    time.sleep(3.5)  # three heartbeat intervals of silence
    keys: list[str] = []
    result = run_search(
        _wine_cache(),
        MLP_SPACE,
        strategy="random",
        n_trials=3,
        epochs=2,
        storage=url,
        study_name="s",
        device="cpu",
        prune=False,
        heartbeat=1,
        on_result=lambda _r, key: keys.append(key),
    )
    trials = result.study.get_trials(deepcopy=False)
    assert trials[0].state == TrialState.FAIL
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == 0]
    assert len(retries) == 1 and retries[0].state == TrialState.COMPLETE
    assert retries[0].params == trials[0].params  # the same configuration, trained again
    assert lost_numbers(trials) == {0}
    judged = [t for t in trials if t.number != 0 and not t.user_attrs.get("surplus")]
    assert len(judged) == 3  # the retry counts in the budget, the lost trial does not
    assert len(result.trials) == 4  # the lost trial is reported, as failed
    study_key = result.study.user_attrs["advisor_study_key"]
    assert f"{study_key}/0" in keys and len(set(keys)) == len(keys) == 3
    assert all(t.state != TrialState.RUNNING for t in trials)


def test_a_heartbeat_below_one_second_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(SearchError, match="heartbeat is 0, but must be an integer >= 1"):
        run_search(
            _wine_cache(),
            MLP_SPACE,
            strategy="random",
            n_trials=1,
            storage=f"sqlite:///{tmp_path / 's.db'}",
            heartbeat=0,
        )


def _kb_trials(url: str, dataset: str) -> list[str]:
    df = KnowledgeBase(url).trials("mlp", expand_config=False)
    return list(df.loc[df["dataset_name"] == dataset, "trial_id"])


@pytest.mark.postgres
@pytest.mark.slow
def test_a_worker_killed_mid_trial_loses_nothing_on_a_postgres_study(
    kb_copy, wine_csv, pg_storage
) -> None:
    storage = pg_storage
    exe = Path(sys.executable).parent / "advisor"
    n = 9
    before = set(_kb_trials(kb_copy, wine_csv.name))
    cmd = [
        str(exe),
        "search",
        str(wine_csv),
        "--target",
        "target",
        "--n-trials",
        str(n),
        "--epochs",
        "30",
        "--storage",
        storage,
        "--study",
        "shared",
        "--heartbeat",
        "1",
        "--no-default",
        "--kb",
        kb_copy,
        "--json",
        "--device",
        "cpu",
    ]
    procs = {}
    try:
        for _ in range(3):
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            procs[p.pid] = p
        victim, running = None, []
        deadline = time.monotonic() + 300
        while victim is None and time.monotonic() < deadline:
            try:
                study = optuna.load_study(study_name="shared", storage=storage)
                trials = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            except Exception:  # the study is not created yet
                trials = []
            for t in trials:
                pid = int(str(t.user_attrs.get(WORKER, ":0")).rsplit(":", 1)[1])
                if pid in procs and procs[pid].poll() is None:
                    os.kill(pid, signal.SIGKILL)
                    victim = pid
                    break
            time.sleep(0.05)
        assert victim is not None, "no trial was seen running"
        procs[victim].wait(timeout=30)
        study = optuna.load_study(study_name="shared", storage=storage)
        running = {  # when killed; a trial just taken may not name its worker yet
            t.number: t.user_attrs.get(WORKER, "")
            for t in study.get_trials(deepcopy=False)
            if t.state == TrialState.RUNNING
        }
        victims = {n for n, w in running.items() if w.endswith(f":{victim}")}
        assert victims, "the victim died between trials: nothing was lost"
        for pid, p in procs.items():
            if pid != victim:
                _, err = p.communicate(timeout=600)
                assert p.returncode == 0, err
        study = optuna.load_study(study_name="shared", storage=storage)
        trials = study.get_trials(deepcopy=False)
        assert not [t.number for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
        lost = lost_numbers(trials)
        # exactly the trials the killed worker was running
        assert victims <= lost <= set(running)
        assert all(running[n] in ("", running[min(victims)]) for n in lost)
        for number in lost:
            assert trials[number].state == TrialState.FAIL
            retries = [t for t in trials if t.system_attrs.get("failed_trial") == number]
            assert len(retries) == 1  # retried once, by a survivor, with the same configuration
            # what the lost trial had chosen (all of it, unless it died choosing) is kept
            assert trials[number].params.items() <= retries[0].params.items()
            assert retries[0].state in (TrialState.COMPLETE, TrialState.PRUNED)
            assert not retries[0].user_attrs[WORKER].endswith(f":{victim}")
        judged = [t for t in trials if t.number not in lost and not t.user_attrs.get("surplus")]
        assert len(judged) == n
        added = set(_kb_trials(kb_copy, wine_csv.name)) - before
        assert len(added) == n  # each finished trial reached the knowledge base exactly once
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
