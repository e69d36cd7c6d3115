"""How often can a first suggestion beat ``default``? Rules for the top-1, judged offline with
leave-one-source-out on the seed (no training): for each held-out dataset at the 20-epoch budget,
the configuration each rule puts first, against ``default``, on the held-out dataset's own
seed-averaged validation objective.

Rules:

* ``ranker``: the ranker's favourite (fixed settings, fitted on the other sources);
* ``advice``: the ranker under the no-harm rule's neighbour evidence (``advisor ranker
  evaluate``'s ``advice``);
* ``wins``: no model at all: the configuration that beat ``default`` on the most of the
  ``N_NEIGHBORS`` nearest training datasets of the task (ties: the larger mean gain), when it
  beat it on more than half of them by ``MIN_GAIN`` on average; else ``default``;
* ``wins_top20``: ``wins`` among the ranker's 20 best only;
* ``oracle``: the held-out dataset's best configuration (the headroom, not a rule).

Run from the repository root: ``PYTHONPATH=. .venv/bin/python
experiments/advice_vs_default/beat_default.py`` (a few minutes); writes ``report.md`` here.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from advisor.facade import Advisor
from advisor.ranker.evaluate import held_out_query
from advisor.ranker.features import FeatureSpace
from advisor.ranker.fit import fit_ranker, training_rows
from advisor.ranker.no_harm import nearest_differences, neighbours_support
from advisor.ranker.table import source_of
from advisor_core.spaces import config_hash, named_config
from knowledge_base import KnowledgeBase

HERE = Path(__file__).resolve().parent
BUDGET = "@20"
RULES = ("ranker", "advice", "wins", "wins_top20", "oracle")


def neighbour_diffs(raw, fs, dist, task, c, d) -> np.ndarray:
    if c not in raw.columns or d not in raw.columns:
        return np.empty(0)
    diffs, _ = nearest_differences(
        raw[c].to_numpy(dtype=float),
        raw[d].to_numpy(dtype=float),
        np.where(fs.tasks == task, dist, np.inf),
        [str(fp).rsplit("@", 1)[0] for fp in fs.fingerprints],
    )
    return diffs


def supported(diffs: np.ndarray) -> bool:
    mean = float(diffs.mean()) if len(diffs) else 0.0
    return neighbours_support(len(diffs), int((diffs > 0).sum()), mean)


def by_wins(raw, fs, dist, task, hashes, d, pool) -> str:
    best, key = d, (-1, -np.inf)
    for c in pool:
        if c == d:
            continue
        diffs = neighbour_diffs(raw, fs, dist, task, c, d)
        if len(diffs) < 3 or not supported(diffs):
            continue
        k = (int((diffs > 0).sum()), float(diffs.mean()))
        if k > key:
            best, key = c, k
    return best


def main() -> None:
    tmp = tempfile.mkdtemp()
    kb = KnowledgeBase(f"sqlite:///{tmp}/seed.sqlite", seed=True)
    table = Advisor(kb).performance_table("mlp")
    unit = table.datasets["group"].map(source_of)
    rows = []
    for g in sorted(unit.unique()):
        held = [fp for fp in table.datasets.index[unit == g] if str(fp).endswith(BUDGET)]
        if not held:
            continue
        train = table.subset(table.datasets.index[unit != g])
        fs = FeatureSpace.from_table(train)
        X, norm, sizes = training_rows(fs)
        ranker = fit_ranker(X, norm, sizes, {})
        raw = train.values.pivot_table(index="fingerprint", columns="config_hash", values="value")
        raw = raw.reindex(index=fs.fingerprints)
        for fp in held:
            q = held_out_query(table, fs, fp)
            if q is None:
                continue
            task = str(q.info["task"])
            d = config_hash(named_config("default", task=task, version=table.space.version))
            if d not in q.hashes:
                continue
            truth = dict(zip(q.hashes, q.truth, strict=True))
            score = np.asarray(ranker.predict(q.X), dtype=float)
            order = [q.hashes[i] for i in np.argsort(-score, kind="stable")]
            top = order[0]
            advice = top
            if top != d and not supported(neighbour_diffs(raw, fs, q.dist, task, top, d)):
                advice = d
            picks = {
                "ranker": top,
                "advice": advice,
                "wins": by_wins(raw, fs, q.dist, task, q.hashes, d, q.hashes),
                "wins_top20": by_wins(raw, fs, q.dist, task, q.hashes, d, order[:20]),
                "oracle": max(q.hashes, key=lambda h: truth[h]),
            }
            best, worst = q.truth_desc[0], q.truth_desc[-1]
            for rule, c in picks.items():
                rows.append(
                    {
                        "source": g,
                        "dataset": q.info["name"],
                        "task": task,
                        "rule": rule,
                        "diff": truth[c] - truth[d],
                        "regret@1": (best - truth[c]) / (best - worst),
                        "is_default": c == d,
                    }
                )
        print(f"{g}: {len(held)} datasets", flush=True)
    frame = pd.DataFrame(rows)
    frame.to_csv(HERE / "per_dataset.csv", index=False)
    lines = [
        "# How often the first suggestion beats `default` (leave-one-source-out, 20 epochs)",
        "",
        "Generated by `experiments/advice_vs_default/beat_default.py` on the seed as exported. "
        "`beats`: share of held-out datasets where the rule's first configuration has a higher "
        "seed-mean validation objective than `default`; `mean` / `worst`: its difference from "
        "`default`; `default kept`: share where the rule keeps `default` first.",
        "",
    ]
    for task, sub in [("all", frame), *frame.groupby("task")]:
        lines += [
            f"## {task}",
            "",
            "| rule | datasets | beats | mean | worst | regret@1 | default kept |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for rule in RULES:
            r = sub[sub["rule"] == rule]
            lines.append(
                f"| {rule} | {len(r)} | {(r['diff'] > 0).mean():.2f} | {r['diff'].mean():+.4f} "
                f"| {r['diff'].min():+.4f} | {r['regret@1'].mean():.4f} | "
                f"{r['is_default'].mean():.2f} |"
            )
        lines.append("")
    (HERE / "report.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
