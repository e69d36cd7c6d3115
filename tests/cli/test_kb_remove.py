"""``advisor kb remove``: take contributed trials back, atomically, after asking."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge_base import SEED_CONTRIBUTOR, KnowledgeBase
from tests.conftest import REPO
from tests.kb_helpers import dataset, record

OTHER = "feedfeedfeedfeed"


@pytest.fixture
def kb_url(tmp_path: Path) -> str:
    """toy: 3 contributed trials; other: 2; seedy: 2 seed trials."""
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    with KnowledgeBase(url) as kb:
        kb.contribute(
            [record(i, seed=i) for i in range(3)]
            + [record(f"o{i}", seed=i, dataset=dataset(OTHER, name="other")) for i in range(2)]
            + [
                record(
                    f"s{i}",
                    seed=i,
                    dataset=dataset("5eed5eed5eed5eed", name="seedy"),
                    contributor=SEED_CONTRIBUTOR,
                )
                for i in range(2)
            ]
        )
    return url


def _ids(url: str) -> set[str]:
    with KnowledgeBase(url) as kb:
        return set(kb.trials("mlp")["trial_id"])


ALL = {"trial-0", "trial-1", "trial-2", "trial-o0", "trial-o1", "trial-s0", "trial-s1"}


def test_remove_by_dataset_prints_what_it_removed(cli, kb_url: str) -> None:
    res = cli("kb", "remove", "--kb", kb_url, "--dataset", "other", "--yes")
    assert res.exit_code == 0, res.stderr
    assert f"removed 2 trials of 1 dataset (other) from {kb_url}" in res.stdout
    assert f"other  {OTHER}: 2 removed, the dataset is gone" in res.stdout
    assert _ids(kb_url) == ALL - {"trial-o0", "trial-o1"}


def test_remove_json_lists_every_trial_and_dataset(cli, kb_url: str) -> None:
    res = cli(
        "kb", "remove", "--kb", kb_url, "--trial", "trial-0", "--trial", "trial-o1", "-y", "--json"
    )
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["removed"] == 2 and out["dry_run"] is False and out["url"] == kb_url
    assert out["trial_ids"] == ["trial-0", "trial-o1"]
    assert {(d["name"], d["removed"], d["left"], d["deleted"]) for d in out["datasets"]} == {
        ("toy", 1, 2, False),
        ("other", 1, 1, False),
    }
    assert _ids(kb_url) == ALL - {"trial-0", "trial-o1"}


def test_remove_refuses_without_yes_when_it_cannot_ask(cli, kb_url: str) -> None:
    res = cli("kb", "remove", "--kb", kb_url, "--dataset", "toy")
    assert res.exit_code == 2
    assert res.stderr.strip() == (
        "error: not removing 3 trials of 1 dataset (toy) without confirmation: stdin is not a "
        "terminal; pass --yes to remove them"
    )
    assert _ids(kb_url) == ALL


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--trial", "trial-0", "--trial", "nope"],
            "error: trial id 'nope' is not in the knowledge base",
        ),
        (["--dataset", "toy", "--dataset", "iris"], "error: dataset 'iris' is not in the"),
        (["--trial", "trial-s0"], "error: trial 'trial-s0' belongs to the shipped seed"),
        (["--dataset", "seedy"], "error: dataset 'seedy' holds only trials of the shipped seed"),
        ([], "error: give --dataset NAME_OR_FINGERPRINT or --trial ID (each repeatable)"),
    ],
    ids=["unknown-trial", "unknown-dataset", "seed-trial", "seed-dataset", "nothing-named"],
)
def test_a_bad_value_is_one_line_exit_2_and_removes_nothing(
    cli, kb_url: str, args: list[str], message: str
) -> None:
    res = cli("kb", "remove", "--kb", kb_url, *args, "--yes")
    assert res.exit_code == 2
    assert res.stderr.startswith(message) and res.stderr.count("\n") == 1, res.stderr
    assert "nothing was removed" in res.stderr or not args
    assert _ids(kb_url) == ALL


def _on_a_terminal(args: list[str], answer: str) -> tuple[int, str]:
    """Run ``advisor ARGS`` with a terminal as stdin, answering the prompt with ``answer``."""
    main, other = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from advisor.cli import main; main()", *args],
        stdin=other,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    os.close(other)
    os.write(main, answer.encode() + b"\n")
    out, _ = proc.communicate(timeout=120)
    os.close(main)
    return proc.returncode, out.decode()


def test_remove_asks_on_a_terminal_and_removes_only_on_yes(kb_url: str) -> None:
    args = ["kb", "remove", "--kb", kb_url, "--dataset", "other"]
    code, out = _on_a_terminal(args, "n")
    assert code == 1 and "nothing was removed" in out
    assert "remove 2 trials of 1 dataset (other) from" in out
    assert _ids(kb_url) == ALL
    code, out = _on_a_terminal(args, "y")
    assert code == 0 and "removed 2 trials of 1 dataset (other)" in out
    assert _ids(kb_url) == ALL - {"trial-o0", "trial-o1"}


def test_a_removal_makes_the_ranker_stale_even_when_additions_restore_the_counts(
    cli, tmp_path: Path, shared_synthetic_kb: str, advisor_home: Path
) -> None:
    from advisor.facade import Advisor
    from tests.ranker_helpers import records

    url = f"sqlite:///{tmp_path / 'syn.sqlite'}"
    with KnowledgeBase(url) as kb:
        kb.contribute(records())
    trained = Advisor(url).ranker()
    victim = records()[0]
    res = cli("kb", "remove", "--kb", url, "--trial", victim["trial_id"], "--yes")
    assert res.exit_code == 0, res.stderr
    with KnowledgeBase(url) as kb:  # the same counts again: one trial on the same dataset
        kb.contribute([{**victim, "trial_id": "t-after-the-removal", "seed": 99}])
        snap = kb.snapshot()
    assert (snap["trials"], snap["datasets"]) == (
        trained.snapshot["trials"],
        trained.snapshot["datasets"],
    )
    assert trained.is_stale(snap)
    assert Advisor(url).ranker().snapshot["removals"] == 1  # retrained, not reloaded
