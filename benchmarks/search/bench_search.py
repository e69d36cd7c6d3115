"""Online benchmark of the search: real PyTorch trials on datasets held out of the ranker.

For each held-out dataset (its whole group removed from the knowledge base the ranker is
trained on), each seed and each strategy (``advisor``, ``warm`` = warm start alone, cold
``tpe``, cold ``random``), a search of ``--budget`` trials runs with the same trial runner
(20 epochs, patient successive halving). The dataset is first split 75/25 into a search part
(which the search splits again into train/validation) and a test part.

Reported: mean normalized regret of the best validation objective against the number of
trials (5, 10, 20, 40) and against the total epochs trained; the test objective of the best
configuration (refitted on the search part); and how many trials cold TPE needs to match the
advisor at 10. Normalized regret = (best found by any strategy on that dataset and seed -
best of the run so far) / (that best - the trivial level: chance balanced accuracy, R² 0).

    .venv/bin/python benchmarks/search/bench_search.py [--seeds 3] [--budget 40] [--workers 2]
        [--reuse experiments/search_list_distance/search_benchmark_list008.json
         --reuse-strategies tpe random]
        [--tag T --datasets ... --strategies advisor advisor:refiner=tpe ...]

``--reuse`` takes the runs of the named strategies from an earlier report (for example to add
seeds to it); ``--tag`` is a design run on other datasets
(``experiments/search_design/search_design_T.md``).
The report also gives the normalized regret of the test objective, and the validation regret
at 20 trials per dataset and at 20 / 40 trials per seed.

Writes ``search_benchmark.{md,json,png}`` next to this script. Finished runs are appended to
``runs/bench_search_budget<B>.jsonl`` and skipped when the script runs again (delete the file
to start over, e.g. after the seed changes).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))  # benchmarks, seedbuild
DESIGN_RUNS = REPO / "experiments" / "search_design"
BUDGETS = (5, 10, 20, 40)
STRATEGIES = ("advisor", "warm", "tpe", "random")


def _split(name: str, seed: int) -> tuple[Any, Any]:
    from sklearn.model_selection import train_test_split

    from seedbuild.corpus import corpus, load_entry

    ds = load_entry({e.name: e for e in corpus()}[name])
    strat = ds.y if ds.task == "classification" else None
    a, b = train_test_split(
        np.arange(ds.n_rows), test_size=0.25, random_state=1000 + seed, stratify=strat
    )
    return ds.subset(np.sort(a)), ds.subset(np.sort(b))


def parse_strategy(strategy: str) -> tuple[str, dict[str, Any]]:
    """``advisor:tpe_after=10,handover=4,refiner=tpe`` -> ("advisor", {"tpe_after": 10,
    "handover": 4.0, "refiner": "tpe"}); ``experiments/search_design/policies.py``'s
    ``search_options`` turns them into the search's sampler options."""
    base, _, opts = strategy.partition(":")
    out: dict[str, Any] = {}
    for item in filter(None, opts.split(",")):
        k, _, v = item.partition("=")
        if v == "none":
            out[k] = None
        elif v.isdigit():
            out[k] = int(v)
        else:
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return base, out


def run_one(kb_url: str, name: str, seed: int, strategy: str, budget: int) -> dict[str, Any]:
    from advisor.data import SplitCache
    from advisor.facade import Advisor
    from advisor.trials import fit_model, set_threads
    from experiments.search_design.policies import search_options

    set_threads(1)
    search_part, test_part = _split(name, seed)
    adv = Advisor(kb_url, device="cpu")
    t0 = time.time()
    base, options = parse_strategy(strategy)
    result = adv.search(
        search_part,
        n_trials=budget,
        strategy=base,
        seed=seed,
        contribute=False,
        sampler_options=search_options(adv, search_part, seed, options),
    )
    trials = result.trials.sort_values("number")
    # best-so-far after each trial, and the test objective of each distinct best config
    best_val, best_cfg, rows, tests = -np.inf, None, [], {}
    cache = SplitCache(search_part, seed=seed)
    for r in trials.to_dict("records"):
        if (
            r["status"] in ("complete", "timeout")
            and r["score"] is not None
            and r["score"] > best_val
        ):
            best_val, best_cfg = float(r["score"]), r["config"]
        key = None if best_cfg is None else json.dumps(best_cfg, sort_keys=True)
        if key is not None and key not in tests:
            _, model = fit_model(cache, best_cfg, epochs=20, seed=seed, device="cpu")
            obj = "balanced_accuracy" if search_part.task == "classification" else "r2"
            tests[key] = None if model is None else model.metrics(test_part).get(obj)
        rows.append(
            {
                "epochs": int(r["epochs"]),
                "best": None if best_cfg is None else best_val,
                "test": None if key is None else tests[key],
            }
        )
    return {
        "dataset": name,
        "task": search_part.task,
        "n_classes": search_part.n_classes,
        "seed": seed,
        "strategy": strategy,
        "trials": rows,
        "seconds": time.time() - t0,
    }


def summarize(
    runs: list[dict[str, Any]], strategies: tuple[str, ...] = STRATEGIES
) -> dict[str, Any]:
    by_ds: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in runs:
        by_ds.setdefault((r["dataset"], r["seed"]), []).append(r)
    regrets: dict[str, dict[int, list[float]]] = {s: {b: [] for b in BUDGETS} for s in strategies}
    tests: dict[str, dict[int, list[float]]] = {s: {b: [] for b in BUDGETS} for s in strategies}
    test_regrets: dict[str, dict[int, list[float]]] = {
        s: {b: [] for b in BUDGETS} for s in strategies
    }
    per_dataset: dict[str, dict[str, list[float]]] = {}
    per_seed: dict[int, dict[str, dict[int, list[float]]]] = {}
    curves: dict[str, list[list[float]]] = {s: [] for s in strategies}
    epochs_curves: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {s: [] for s in strategies}
    speedups = []
    for (_, _), group in by_ds.items():
        task, ncls = group[0]["task"], group[0]["n_classes"]
        floor = 1.0 / ncls if task == "classification" else 0.0
        best_all = max(
            max((t["best"] for t in r["trials"] if t["best"] is not None), default=-np.inf)
            for r in group
        )
        span = max(best_all - floor, 1e-9)
        test_all = max(
            (t["test"] for r in group for t in r["trials"] if t["test"] is not None),
            default=np.nan,
        )
        test_span = max(test_all - floor, 1e-9)
        per: dict[str, np.ndarray] = {}
        for r in group:
            best = np.array([np.nan if t["best"] is None else t["best"] for t in r["trials"]])
            reg = np.where(np.isnan(best), 1.0, np.clip((best_all - best) / span, 0.0, 1.0))
            per[r["strategy"]] = reg
            curves[r["strategy"]].append(list(reg))
            ep = np.cumsum([t["epochs"] for t in r["trials"]])
            epochs_curves[r["strategy"]].append((ep, reg))
            for b in BUDGETS:
                if len(reg) >= b:
                    regrets[r["strategy"]][b].append(float(reg[b - 1]))
                    per_seed.setdefault(r["seed"], {}).setdefault(r["strategy"], {}).setdefault(
                        b, []
                    ).append(float(reg[b - 1]))
                    tv = r["trials"][b - 1]["test"]
                    if tv is not None:
                        tests[r["strategy"]][b].append(float(tv))
                    test_regrets[r["strategy"]][b].append(
                        1.0 if tv is None else float(np.clip((test_all - tv) / test_span, 0.0, 1.0))
                    )
            if len(reg) >= 20:
                per_dataset.setdefault(r["dataset"], {}).setdefault(r["strategy"], []).append(
                    float(reg[19])
                )
        if "advisor" in per and "tpe" in per and len(per["advisor"]) >= 10:
            target = per["advisor"][9]
            hit = np.flatnonzero(per["tpe"] <= target + 1e-12)
            speedups.append(float(hit[0] + 1) if hit.size else float("inf"))
    mean_curve = {
        s: np.nanmean(
            np.array([c for c in curves[s] if len(c) == max(map(len, curves[s]))]), axis=0
        ).tolist()
        for s in strategies
        if curves[s]
    }
    adv10 = mean_curve["advisor"][9] if "advisor" in mean_curve else None
    tpe_curve = mean_curve.get("tpe", [])
    needed = next(
        (i + 1 for i, v in enumerate(tpe_curve) if adv10 is not None and v <= adv10), None
    )
    finite = [s for s in speedups if np.isfinite(s)]
    return {
        "mean_regret": {
            s: {b: float(np.mean(v)) if v else None for b, v in d.items()}
            for s, d in regrets.items()
        },
        "mean_test": {
            s: {b: float(np.mean(v)) if v else None for b, v in d.items()} for s, d in tests.items()
        },
        "mean_test_regret": {
            s: {b: float(np.mean(v)) if v else None for b, v in d.items()}
            for s, d in test_regrets.items()
        },
        "regret_at_20_per_dataset": {
            ds: {s: float(np.mean(v)) for s, v in d.items()} for ds, d in per_dataset.items()
        },
        "mean_regret_per_seed": {
            seed: {s: {b: float(np.mean(v)) for b, v in d.items()} for s, d in per.items()}
            for seed, per in sorted(per_seed.items())
        },
        "mean_curve": mean_curve,
        "tpe_trials_to_match_advisor_at_10": {
            "on_mean_curve": needed,
            "per_dataset_median": float(np.median(speedups)) if speedups else None,
            "per_dataset_share_not_matched_within_budget": float(
                np.mean([not np.isfinite(s) for s in speedups])
            )
            if speedups
            else None,
            "per_dataset_median_of_matched": float(np.median(finite)) if finite else None,
        },
        "epochs_curves": {
            s: [(e.tolist(), r.tolist()) for e, r in v] for s, v in epochs_curves.items()
        },
        "runs": len(runs),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--budget", type=int, default=40)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--datasets", nargs="*", default=None)
    ap.add_argument(
        "--strategies",
        nargs="*",
        default=list(STRATEGIES),
        help="strategies; advisor variants as advisor:OPTION=VALUE,... (AdvisorSampler options, "
        "or the design runs' of experiments/search_design/policies.py)",
    )
    ap.add_argument(
        "--tag",
        default=None,
        help="a design run: its own run log; writes only "
        "experiments/search_design/search_design_TAG.md",
    )
    ap.add_argument(
        "--reuse",
        default=None,
        metavar="REPORT_JSON",
        help="take the runs of --reuse-strategies from an earlier report's raw runs (same "
        "datasets, seeds and budget) instead of running them again",
    )
    ap.add_argument(
        "--reuse-strategies",
        nargs="*",
        default=[],
        metavar="NAME[=AS]",
        help="strategies to take from --reuse; NAME=AS takes NAME's runs as strategy AS (for "
        "example advisor=advisor:refiner=surrogate after the default sampler changed)",
    )
    args = ap.parse_args()
    strategies = tuple(args.strategies)
    from advisor.facade import Advisor
    from benchmarks._shared.heldout import HELD_OUT, heldout_knowledge_base

    names = tuple(args.datasets or HELD_OUT)
    kb_url, groups = heldout_knowledge_base(names)
    print(f"ranker trained without groups {groups}", file=sys.stderr)
    Advisor(kb_url).ranker("mlp", progress=lambda m: print(m, file=sys.stderr))
    jobs = [
        (kb_url, n, s, st, args.budget)
        for n in names
        for s in range(args.seeds)
        for st in strategies
    ]
    # finished runs are kept in runs/ so that an interrupted benchmark resumes
    (REPO / "runs").mkdir(exist_ok=True)
    tag = f"_{args.tag}" if args.tag else ""
    log = REPO / "runs" / f"bench_search{tag}_budget{args.budget}.jsonl"
    runs = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    have = {(r["dataset"], r["seed"], r["strategy"]) for r in runs}
    runs = [r for r in runs if (r["dataset"], r["seed"], r["strategy"]) in {j[1:4] for j in jobs}]
    reused = _reuse(args.reuse, args.reuse_strategies, args.budget, have, {j[1:4] for j in jobs})
    if reused:
        with log.open("a") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in reused)
        runs += reused
        have |= {(r["dataset"], r["seed"], r["strategy"]) for r in reused}
    todo = [j for j in jobs if j[1:4] not in have]
    print(f"{len(jobs) - len(todo)} runs already in {log}", file=sys.stderr)
    t0 = time.time()
    with ProcessPoolExecutor(args.workers) as pool, log.open("a") as fh:
        futs = [pool.submit(run_one, *j) for j in todo]
        for i, f in enumerate(as_completed(futs), 1):
            run = f.result()
            runs.append(run)
            fh.write(json.dumps(run) + "\n")
            fh.flush()
            print(f"{i}/{len(todo)} runs, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    out = summarize(runs, strategies)
    if args.tag:
        print(json.dumps({k: out[k] for k in ("mean_regret", "mean_test")}, indent=1))
        cmd = " ".join(["benchmarks/search/bench_search.py", *sys.argv[1:]])
        lines = [
            f"# Search design run `{args.tag}` (real trials, datasets outside the benchmark)",
            "",
            f"Generated by `{cmd}`: {len(names)} datasets, {args.seeds} seeds, budget "
            f"{args.budget}; the ranker is trained without these datasets' groups "
            f"({', '.join(groups)}). Normalized regret is relative to the best any of these "
            "strategies found on a dataset and seed.",
            "",
            *_budget_table(
                "Mean normalized regret of the best validation objective",
                {s: out["mean_regret"][s] for s in strategies},
            ),
            *_budget_table(
                "Mean test objective of the best configuration so far",
                {s: out["mean_test"][s] for s in strategies},
            ),
            *_test_regret_table(out),
            *_per_dataset_table(out),
        ]
        DESIGN_RUNS.mkdir(parents=True, exist_ok=True)
        (DESIGN_RUNS / f"search_design_{args.tag}.md").write_text("\n".join(lines))
        return
    out.update(
        datasets=list(names),
        held_out_groups=groups,
        seeds=args.seeds,
        budget=args.budget,
        command=" ".join(["benchmarks/search/bench_search.py", *sys.argv[1:]]),
        reused=sorted({r["strategy"] for r in runs if r.get("reused_from")}),
        reused_seeds=sorted({r["seed"] for r in runs if r.get("reused_from")}),
    )
    (HERE / "search_benchmark.json").write_text(json.dumps({**out, "raw": runs}, indent=1))
    plot(out, HERE / "search_benchmark.png")
    write_md(out, HERE / "search_benchmark.md")
    print(
        json.dumps(
            {k: out[k] for k in ("mean_regret", "tpe_trials_to_match_advisor_at_10")}, indent=1
        )
    )


def _reuse(
    path: str | None,
    specs: list[str],
    budget: int,
    have: set[tuple[str, int, str]],
    wanted: set[tuple[str, int, str]],
) -> list[dict[str, Any]]:
    """The runs named by ``--reuse-strategies`` from the report ``path`` (renamed with
    ``NAME=AS``), for wanted keys not run yet."""
    if not path or not specs:
        return []
    rep = json.loads(Path(path).read_text())
    if rep.get("budget") != budget:
        sys.exit(f"--reuse: {path} has budget {rep.get('budget')}, this run has {budget}")
    rename = dict(s.split("=", 1) if "=" in s.split(":")[0] else (s, s) for s in specs)
    out = []
    for r in rep["raw"]:
        if r["strategy"] in rename:
            r = {**r, "strategy": rename[r["strategy"]], "reused_from": path}
            key = (r["dataset"], r["seed"], r["strategy"])
            if key in wanted and key not in have:
                out.append(r)
    print(f"{len(out)} runs reused from {path}", file=sys.stderr)
    return out


def plot(out: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for s, curve in out["mean_curve"].items():
        axes[0].plot(np.arange(1, len(curve) + 1), curve, label=s)
        grid = np.linspace(0, 20 * out["budget"], 200)
        vals = []
        for ep, reg in out["epochs_curves"][s]:
            ep, reg = np.asarray(ep), np.asarray(reg)
            idx = np.searchsorted(ep, grid, side="right") - 1
            vals.append(np.where(idx >= 0, reg[np.clip(idx, 0, None)], 1.0))
        axes[1].plot(grid, np.mean(vals, axis=0), label=s)
    axes[0].set_xlabel("trials")
    axes[1].set_xlabel("total epochs trained")
    for ax in axes:
        ax.set_ylabel("mean normalized regret (validation)")
        ax.set_yscale("log")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _test_regret_table(out: dict[str, Any]) -> list[str]:
    return [
        *_budget_table(
            "Mean normalized regret of the test objective of the best configuration so far",
            out["mean_test_regret"],
        ),
        "Relative to the best test objective of any strategy's chosen configuration on that "
        "dataset and seed. The validation split is small on small datasets: a strategy that "
        "tries many unlike configurations can find a high validation score that does not "
        "hold on the test part.",
        "",
    ]


def _per_seed_table(out: dict[str, Any]) -> list[str]:
    per = out.get("mean_regret_per_seed", {})
    strategies = list(out["mean_regret"])
    lines = [
        "## Normalized validation regret at 20 / 40 trials per seed (mean over datasets)",
        "",
        "How much the comparison depends on the seeds (the split and the strategies' own "
        "randomness).",
        "",
        "| seed | " + " | ".join(strategies) + " |",
        "| --- |" + " --- |" * len(strategies),
    ]
    for seed, d in per.items():
        cells = [
            " / ".join(f"{d[st][b]:.4f}" if b in d.get(st, {}) else "-" for b in (20, 40))
            for st in strategies
        ]
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    return [*lines, ""] if per else []


def _per_dataset_table(out: dict[str, Any]) -> list[str]:
    per = out["regret_at_20_per_dataset"]
    strategies = list(out["mean_regret"])
    lines = [
        "## Normalized validation regret at 20 trials per dataset (mean over seeds)",
        "",
        "| dataset | " + " | ".join(strategies) + " |",
        "| --- |" + " --- |" * len(strategies),
    ]
    for ds, d in per.items():
        cells = [f"{d[s]:.4f}" if s in d else "-" for s in strategies]
        lines.append(f"| {ds} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _budget_table(title: str, values: dict[str, dict[int, float | None]]) -> list[str]:
    """A markdown section: one row per strategy, one column per budget."""
    lines = [
        f"## {title}",
        "",
        "| strategy | " + " | ".join(f"{b} trials" for b in BUDGETS) + " |",
        "| --- |" + " --- |" * len(BUDGETS),
    ]
    for s, d in values.items():
        cells = ("-" if d[b] is None else f"{d[b]:.4f}" for b in BUDGETS)
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def write_md(out: dict[str, Any], path: Path) -> None:
    lines = [
        "# Search benchmark (real trials, datasets held out of the ranker)",
        "",
        f"Generated by `{out['command']}`: {len(out['datasets'])} datasets "
        f"({', '.join(out['datasets'])}), {out['seeds']} seeds, budget {out['budget']} "
        "trials, 20 epochs per full trial with patient successive halving.",
        "",
    ]
    if out.get("reused"):
        lines += [
            f"The runs of {', '.join(out['reused'])} are taken from an earlier run of this "
            f"benchmark for seeds {', '.join(map(str, out['reused_seeds']))} (`--reuse`: the "
            "same procedure; a rerun repeats a run only up to floating-point differences, "
            "which can change pruning decisions). Without `--reuse` every run is made again.",
            "",
        ]
    lines += [
        "![regret](search_benchmark.png)",
        "",
        *_budget_table(
            "Mean normalized regret of the best validation objective", out["mean_regret"]
        ),
        *_budget_table("Mean test objective of the best configuration so far", out["mean_test"]),
        *_test_regret_table(out),
        *_per_dataset_table(out),
        *_per_seed_table(out),
    ]
    sp = out["tpe_trials_to_match_advisor_at_10"]
    lines += [
        "## Speed-up against cold TPE",
        "",
        f"- On the mean regret curve, cold TPE needs {sp['on_mean_curve'] or '> budget'} "
        "trials to match the advisor's mean regret at 10 trials.",
        f"- Per dataset and seed: median {sp['per_dataset_median']} trials; TPE does not "
        f"match the advisor at 10 within the budget in "
        f"{100 * (sp['per_dataset_share_not_matched_within_budget'] or 0):.0f}% of runs.",
        "",
    ]
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
