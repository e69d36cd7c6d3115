"""Trials per second of the stacked engine against the runner it replaced, in one run.

The workload is the seed build's: on each dataset, architecture shapes x variants (learning
rate, momentum, weight decay, dropout, schedule) x 3 seeds at 20 epochs, drawn the way
``seedbuild/design.py`` draws them but from space ``mlp`` version 1, so that the runner before
the engine (``single_runner.py``: one ``nn.Sequential`` and one ``torch.optim`` optimizer per
trial, one trial at a time) can train the very same trials. The engine trains them with
:func:`advisor.trials.run_trials` (version-1 configurations are settings of version 2), which
stacks every seed and variant of a shape. Both run in this process on one torch thread, dataset
by dataset, alternating, so that load on the machine hits both alike. The report also compares
the mean validation objective of both (the same trials: equal up to seed noise) and the
speed-up of stacking seeds only (each configuration's 3 seeds).

    .venv/bin/python benchmarks/engine/bench_engine.py [--shapes 4] [--variants 4]
        [--datasets NAME ...] [--out benchmarks/engine/engine_benchmark.md] [--runs FILE]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
OUT = Path(__file__).resolve().parent / "engine_benchmark.md"
#: Seed datasets of different sizes (rows after the corpus's cap).
DATASETS = (
    "keel:iris",
    "keel:wine",
    "sklearn:diabetes",
    "size:diamonds@500",
    "sklearn:breast_cancer",
    "keel:pima",
    "keel:german",
    "size:phoneme@1500",
    "keel:magic",
    "size:letter@5000",
)
SEEDS = (0, 1, 2)
EPOCHS = 20


def workload(shapes: int, variants: int, seed: int) -> list[dict]:
    """Version-1 configurations: ``shapes`` x ``variants``, shapes within the design's cost."""
    import numpy as np
    from scipy.stats import qmc

    from advisor_core.spaces import MLP_SPACE_V1
    from seedbuild.design import SHAPE_PARAMS

    names = MLP_SPACE_V1.names
    shape_idx = [names.index(p) for p in SHAPE_PARAMS if p in names]
    other_idx = [j for j in range(len(names)) if j not in shape_idx]
    out: list[dict] = []
    cand = qmc.Sobol(len(shape_idx), scramble=True, seed=seed).random_base2(6)
    for k, su in enumerate(cand):
        if len(out) >= shapes * variants:
            break
        vu = qmc.Sobol(len(other_idx), scramble=True, seed=seed + 1 + k).random_base2(2)
        block = []
        for v in vu[:variants]:
            u = np.empty(len(names))
            u[shape_idx], u[other_idx] = su, v
            block.append(MLP_SPACE_V1.from_unit(u))
        if block[0]["width"] ** 2 * (block[0]["num_layers"] - 1) <= 250_000:
            out += block
    return out


def run_dataset(name: str, configs: list[dict]) -> dict:
    import numpy as np

    from advisor.data import SplitCache
    from advisor.trials import TrialSpec, run_trials
    from advisor_core.spaces import upgrade_config
    from benchmarks.engine.single_runner import run_trial as single_trial
    from seedbuild.corpus import corpus, load_entry

    ds = load_entry({e.name: e for e in corpus()}[name])
    cache = SplitCache(ds, seed=0)
    pairs = [(c, s) for c in configs for s in SEEDS]
    t = time.perf_counter()
    old = [single_trial(cache, c, epochs=EPOCHS, seed=s, device="cpu") for c, s in pairs]
    t_old = time.perf_counter() - t
    specs = [TrialSpec(upgrade_config(c), seed=s, epochs=EPOCHS) for c, s in pairs]
    t = time.perf_counter()
    new, _ = run_trials(cache, specs, device="cpu")
    t_new = time.perf_counter() - t
    t = time.perf_counter()
    for c in configs:  # seeds only: one stack per configuration
        run_trials(cache, [TrialSpec(upgrade_config(c), seed=s, epochs=EPOCHS) for s in SEEDS])
    t_seeds = time.perf_counter() - t

    def mean(results: list) -> float:
        return float(np.mean([r.score if r.score is not None else np.nan for r in results]))

    def both(results: list, other: list) -> float:
        scored = [
            r.score for r, o in zip(results, other, strict=True) if None not in (r.score, o.score)
        ]
        return float(np.mean(scored))

    return {
        "dataset": name,
        "rows": ds.n_rows,
        "trials": len(pairs),
        "single_s": round(t_old, 2),
        "stacked_s": round(t_new, 2),
        "seeds_only_s": round(t_seeds, 2),
        "single_trials_per_s": round(len(pairs) / t_old, 3),
        "stacked_trials_per_s": round(len(pairs) / t_new, 3),
        "speedup": round(t_old / t_new, 2),
        "speedup_seeds_only": round(t_old / t_seeds, 2),
        # last-epoch objective of the single runner vs the engine's last epoch (same trials)
        "single_objective": round(
            float(np.nanmean([r.score if r.score is not None else np.nan for r in old])), 4
        ),
        "stacked_objective": round(
            float(
                np.nanmean(
                    [r.learning_curve[-1].objective if r.learning_curve else np.nan for r in new]
                )
            ),
            4,
        ),
        "stacked_best_epoch_objective": round(mean(new), 4),
        # like with like: best-epoch objective over the trials both scored, and divergences
        "single_scored_objective": round(both(old, new), 4),
        "stacked_scored_objective": round(both(new, old), 4),
        "single_diverged": sum(r.status == "diverged" for r in old),
        "stacked_diverged": sum(r.status == "diverged" for r in new),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", type=int, default=4)
    ap.add_argument("--variants", type=int, default=4)
    ap.add_argument("--datasets", nargs="*", default=list(DATASETS))
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument(
        "--runs",
        type=Path,
        default=OUT.with_name("engine_runs.jsonl"),
        help="one line per measured dataset; a rerun skips those (resumable)",
    )
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    configs = workload(args.shapes, args.variants, seed=11)
    key = {"shapes": args.shapes, "variants": args.variants}
    done = {
        r["dataset"]: r
        for r in map(json.loads, args.runs.read_text().splitlines() if args.runs.exists() else [])
        if all(r.get(k) == v for k, v in key.items())
    }
    rows = []
    for name in args.datasets:
        if name in done:  # measured by an earlier, interrupted run (both runners alike)
            rows.append(done[name])
            continue
        row = {**run_dataset(name, configs), **key}
        rows.append(row)
        with args.runs.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
        print(json.dumps(row), file=sys.stderr, flush=True)
    small = [r for r in rows if r["rows"] <= 5000]
    total_old = sum(r["single_s"] for r in small)
    total_new = sum(r["stacked_s"] for r in small)
    lines = [
        "# Trial engine: stacked against single trials",
        "",
        f"Generated by `benchmarks/engine/bench_engine.py --shapes {args.shapes} --variants "
        f"{args.variants}` on {platform.machine()} ({platform.processor() or 'cpu'}), one torch "
        f"thread, torch {torch.__version__}. Workload per dataset: {len(configs)} version-1 "
        f"configurations ({args.shapes} shapes x {args.variants} variants) x {len(SEEDS)} seeds "
        f"x {EPOCHS} epochs, trained by the runner before the engine one trial at a time, by "
        "the engine as stacks (every seed and variant of a shape together), and by the engine "
        "stacking seeds only.",
        "",
        f"**Overall (datasets up to 5,000 rows): {total_old / total_new:.2f}x** "
        f"({total_old:.0f} s single, {total_new:.0f} s stacked).",
        "",
        "| dataset | rows | trials | single s | stacked s | speed-up | seeds only | "
        "objective single / stacked |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        if "single_scored_objective" in r:  # best epoch, trials scored by both; divergences
            objective = (
                f"{r['single_scored_objective']} / {r['stacked_scored_objective']} "
                f"(diverged {r['single_diverged']} / {r['stacked_diverged']})"
            )
        else:  # a line measured before that comparison: last epoch, every trial
            objective = f"{r['single_objective']} / {r['stacked_objective']} (last epoch)*"
        lines.append(
            f"| {r['dataset']} | {r['rows']} | {r['trials']} | {r['single_s']} | "
            f"{r['stacked_s']} | {r['speedup']}x | {r['speedup_seeds_only']}x | {objective} |"
        )
    lines += [
        "",
        "The objectives compare the same trials (same configurations and seeds) trained by both; "
        "they differ by seed noise only (different random streams and step-wise instead of "
        "epoch-wise schedules). Timings share the machine with whatever else ran; both runners "
        "alternate per dataset, so each dataset's ratio is measured under the same load. "
        "Each dataset's line is appended to `engine_runs.jsonl` when it is measured; a rerun "
        "measures only the missing ones.",
        "",
        "The objective column is the mean best-epoch objective over the trials that both "
        "runners scored, with each runner's count of diverged trials. Lines marked * were "
        "measured before that comparison and give the last-epoch objective over every trial: "
        "a trial that diverges in one runner only then drags one mean down (on "
        "`size:diamonds@500`, one SGD trial at learning rate 0.065 with 5 layers diverged in the "
        "engine and not in the old runner; over the trials both scored the means are 0.5616 "
        "old and 0.5727 engine: `experiments/engine_divergence/`).",
        "",
    ]
    args.out.write_text("\n".join(lines))
    args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
