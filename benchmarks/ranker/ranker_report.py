"""Leave-one-group-out evaluation of the ranker against the baselines, as a report.

Writes ``ranker_evaluation.{md,json,png}`` and ``ranker_evaluation_per_dataset.csv`` next to
this script (mean normalized regret@k per method, overall and by task). ``--per-task-blend``
is a variant that was tried and not adopted: it writes
``experiments/ranker_variants/ranker_evaluation_per_task_blend.*``.

    .venv/bin/python benchmarks/ranker/ranker_report.py [--kb URL] [--fixed-params] [--workers 2]
        [--space mlp|mlp@1] [--holdout group|source]

Without ``--kb`` it evaluates the shipped seed knowledge base. ``--space mlp@1`` is the
version-1 report (``ranker_evaluation.*``); the current version writes
``ranker_evaluation_v2*``, and ``--holdout source`` (leave one source out: KEEL, scikit-learn,
each R package, synthetic) adds ``_by_source``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
VARIANTS_OUT = REPO / "experiments" / "ranker_variants"  # --per-task-blend
PER_TASK_WEIGHTS = (0.0, 0.3, 0.5, 0.7, 0.9, 1.0)
SETTINGS = {
    True: "fixed ranker settings",
    False: "ranker settings chosen by grouped CV inside each training fold",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", default=None)
    ap.add_argument(
        "--fixed-params",
        action="store_true",
        help="use the default ranker settings instead of nested grouped CV",
    )
    ap.add_argument("--workers", type=int, default=2, help="held-out groups run in parallel")
    ap.add_argument(
        "--per-task-blend",
        action="store_true",
        help="with --fixed-params: choose the blend weight of each task among "
        f"{PER_TASK_WEIGHTS} by grouped CV inside each training fold (a variant; writes "
        "experiments/ranker_variants/ranker_evaluation_per_task_blend.*)",
    )
    ap.add_argument(
        "--space",
        default="mlp",
        help="the space (mlp: its current version; mlp@1: the version-1 report)",
    )
    ap.add_argument(
        "--holdout",
        choices=("group", "source"),
        default="group",
        help="hold out a dataset group at a time, or a whole source (KEEL, an R package, ...)",
    )
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from advisor.facade import Advisor
    from advisor.ranker.evaluate import KS, evaluate
    from knowledge_base import KnowledgeBase

    if args.kb is None:
        tmp = tempfile.mkdtemp()
        kb = KnowledgeBase(f"sqlite:///{tmp}/seed.sqlite", seed=True)
    else:
        kb = KnowledgeBase(args.kb)
    table = Advisor(kb).performance_table(args.space)
    version = table.space.version
    n_groups = table.datasets["group"].nunique()
    t0 = time.time()

    def progress(i: int, n: int) -> None:
        print(f"\r{i}/{n} held-out groups, {time.time() - t0:.0f} s", end="", file=sys.stderr)

    result = evaluate(
        table,
        nested=not args.fixed_params,
        progress=progress,
        n_jobs=args.workers,
        blend_weights=PER_TASK_WEIGHTS if args.per_task_blend else None,
        holdout=args.holdout,
    )
    stem = "ranker_evaluation_per_task_blend" if args.per_task_blend else "ranker_evaluation"
    if version != 1:  # the version-1 report keeps its historical name
        stem += f"_v{version}"
    if args.holdout == "source":
        stem += "_by_source"
    print(file=sys.stderr)
    out = result.to_dict()
    out["command"] = (
        "benchmarks/ranker/ranker_report.py"
        + (" --fixed-params" if args.fixed_params else "")
        + (" --per-task-blend" if args.per_task_blend else "")
        + (f" --space {args.space}" if args.space != "mlp" else "")
        + (" --holdout source" if args.holdout == "source" else "")
    )
    out_dir = VARIANTS_OUT if args.per_task_blend else HERE
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{stem}.json").write_text(json.dumps(out, indent=2) + "\n")
    result.per_dataset.to_csv(out_dir / f"{stem}_per_dataset.csv", index=False)

    scopes = [("all", out["metrics"]), *sorted(out["by_task"].items())]
    fig, axes = plt.subplots(1, len(scopes), figsize=(5 * len(scopes), 4), sharey=True)
    for ax, (scope, m) in zip(axes, scopes, strict=True):
        for method in result.methods:
            ax.plot(KS, [m[f"regret@{k}"][method] for k in KS], marker="o", label=method)
        ax.set_title(scope)
        ax.set_xlabel("k (configurations tried, in the method's order)")
        ax.set_xticks(KS)
    axes[0].set_ylabel("mean normalized regret@k")
    axes[-1].legend()
    fig.tight_layout()
    fig.savefig(out_dir / f"{stem}.png", dpi=110)

    held = "source" if args.holdout == "source" else "group"
    lines = [
        f"# Ranker evaluation (leave-one-{held}-out), space mlp version {version}",
        "",
        f"Generated by `{out['command']}` on {out['datasets']} datasets in "
        f"{n_groups} groups ({out['groups']} {held}s held out one at a time); "
        f"{SETTINGS[args.fixed_params]}"
        + (
            ", blend weight per task chosen by CV inside each training fold"
            if args.per_task_blend
            else ""
        )
        + ".",
        "",
        f"![regret]({stem}.png)",
        "",
    ]
    for scope, m in scopes:
        lines += [
            f"## {scope}",
            "",
            "| method | " + " | ".join(m) + " |",
            "| --- |" + " --- |" * len(m),
        ]
        for method in result.methods:
            lines.append(f"| {method} | " + " | ".join(f"{m[c][method]:.4f}" for c in m) + " |")
        lines.append("")
    lines += [
        "Regret@k = (best − best of the first k) / (best − worst) over the configurations "
        "evaluated on the held-out dataset (truth: smoothed, seed-averaged, floored "
        "validation objective). `avg_rank`: rank among the methods by regret@1 (1 = "
        "best). `random` and `default` are exact expected values.",
        "",
    ]
    (out_dir / f"{stem}.md").write_text("\n".join(lines))
    print(json.dumps(out["metrics"], indent=1))


if __name__ == "__main__":
    main()
