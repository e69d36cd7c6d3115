"""Summary, tables and plot of the peer benchmark's runs (``bench_peers.py``)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

BUDGETS = (5, 10, 20, 40)
EPOCH_GRID = np.arange(0, 801, 20)


def _curves(group: list[dict[str, Any]]) -> dict[str, dict[str, np.ndarray]]:
    """Per method of one (dataset, seed): validation and test regret after each trial, and the
    cumulative epochs."""
    floor = group[0]["floor"]
    best_all = max(
        (t["valid"] for r in group for t in r["trials"] if t["valid"] is not None),
        default=floor,
    )
    tests = [v for r in group for v in r["tests"].values() if v is not None]
    test_all = max(tests, default=floor)
    span, test_span = max(best_all - floor, 1e-9), max(test_all - floor, 1e-9)
    out: dict[str, dict[str, np.ndarray]] = {}
    for r in group:
        best, key, val, tst, ep = -np.inf, None, [], [], []
        total = 0
        for t in r["trials"]:
            if t["valid"] is not None and t["valid"] > best:
                best, key = t["valid"], json.dumps(t["config"], sort_keys=True)
            total += int(t["epochs"])
            ep.append(total)
            val.append(1.0 if key is None else float(np.clip((best_all - best) / span, 0, 1)))
            tv = None if key is None else r["tests"].get(key)
            tst.append(1.0 if tv is None else float(np.clip((test_all - tv) / test_span, 0, 1)))
        out[r["method"]] = {"valid": np.array(val), "test": np.array(tst), "epochs": np.array(ep)}
    return out


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for r in runs:
        groups[(r["dataset"], r["seed"])].append(r)
    methods = sorted({r["method"] for r in runs})
    complete = {k: g for k, g in groups.items() if {r["method"] for r in g} == set(methods)}
    at: dict[str, dict[str, dict[str, dict[int, list[float]]]]] = {
        kind: {
            scope: defaultdict(lambda: defaultdict(list))
            for scope in ("all", "classification", "regression")
        }
        for kind in ("test", "valid")
    }
    by_epochs: dict[str, list[np.ndarray]] = defaultdict(list)
    curves_all: dict[tuple[str, int], dict[str, dict[str, np.ndarray]]] = {}
    per_dataset: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for key, group in complete.items():
        cur = _curves(group)
        curves_all[key] = cur
        task = group[0]["task"]
        for m, c in cur.items():
            for kind in ("test", "valid"):
                for b in BUDGETS:
                    if len(c[kind]) >= b:
                        for scope in ("all", task):
                            at[kind][scope][m][b].append(float(c[kind][b - 1]))
            idx = np.searchsorted(c["epochs"], EPOCH_GRID, side="right") - 1
            by_epochs[m].append(np.where(idx >= 0, c["test"][np.clip(idx, 0, None)], 1.0))
            b = min(20, len(c["test"]))
            per_dataset[key[0]][m].append(float(c["test"][b - 1]))
    mean = {
        kind: {
            scope: {m: {b: float(np.mean(v)) for b, v in d.items()} for m, d in per_m.items()}
            for scope, per_m in scopes.items()
        }
        for kind, scopes in at.items()
    }
    from benchmarks.peers.methods import COLD

    cold = [m for m in methods if m in COLD]
    top = max(BUDGETS, key=lambda b: all(b in mean["valid"]["all"].get(m, {}) for m in cold) * b)
    best_cold = min(cold, key=lambda m: mean["valid"]["all"][m].get(top, 1.0)) if cold else None
    match: list[float] = []
    if best_cold and "advisor" in methods:
        for cur in curves_all.values():
            a, p = cur["advisor"]["valid"], cur[best_cold]["valid"]
            if len(a) >= 10:
                hit = np.flatnonzero(p <= a[9] + 1e-12)
                match.append(float(hit[0] + 1) if hit.size else float("inf"))
    return {
        "methods": methods,
        "runs": len(runs),
        "problems": len(complete),
        "datasets": sorted({k[0] for k in complete}),
        "seeds": sorted({k[1] for k in complete}),
        "mean": mean,
        "best_cold": best_cold,
        "match": match,
        "by_epochs": {m: np.mean(v, axis=0).tolist() for m, v in by_epochs.items()},
        "per_dataset": {
            d: {m: float(np.mean(v)) for m, v in per.items()} for d, per in per_dataset.items()
        },
        "seconds": {
            m: float(np.mean([r["seconds"] for r in runs if r["method"] == m])) for m in methods
        },
    }


def _table(mean: dict[str, dict[int, float]], methods: list[str]) -> list[str]:
    lines = ["| method | " + " | ".join(f"{b} trials" for b in BUDGETS) + " |"]
    lines.append("| --- |" + " --- |" * len(BUDGETS))
    order = sorted(methods, key=lambda m: mean.get(m, {}).get(10, 9.0))
    for m in order:
        cells = [f"{mean[m][b]:.4f}" if b in mean.get(m, {}) else "-" for b in BUDGETS]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return lines


def write_report(runs: list[dict[str, Any]], path: Path) -> None:
    s = summarize(runs)
    methods = s["methods"]
    lines = [
        "# Peer benchmark: the advisor's search against the tools people would use instead",
        "",
        "Generated by `benchmarks/peers/bench_peers.py` (raw runs: `runs.jsonl`). "
        f"{s['problems']} (dataset, seed) problems where every method finished: "
        f"{len(s['datasets'])} external datasets, seeds {s['seeds']}; {s['runs']} runs in all. "
        "Every method uses the project's runner (20 epochs; the advisor's search prunes with "
        "successive halving). Normalized regret: 0 = the best any method found on that "
        "problem, 1 = the trivial level; the test regret is of each method's best configuration "
        "so far by validation, trained the same way and scored on the held-out test part.",
        "",
        "![regret](peer_benchmark.png)",
        "",
        "## Test regret (headline)",
        "",
    ]
    for scope in ("all", "classification", "regression"):
        lines += [f"### {scope}", "", *_table(s["mean"]["test"][scope], methods), ""]
    lines += ["## Validation regret", "", *_table(s["mean"]["valid"]["all"], methods), ""]
    if s["best_cold"]:
        finite = [x for x in s["match"] if np.isfinite(x)]
        never = len(s["match"]) - len(finite)
        lines += [
            "## Speed-up against the best cold peer",
            "",
            f"The best cold peer by validation regret is `{s['best_cold']}`. Trials it needs to "
            f"reach the advisor's validation regret at 10 trials: median "
            f"{np.median(s['match']) if s['match'] else float('nan'):.1f} over {len(s['match'])} "
            f"problems ({never} never within the budget); speed-up "
            f"{(np.median(s['match']) / 10) if s['match'] else float('nan'):.2f}x (goal: 4x).",
            "",
        ]
    lines += ["## Per dataset (test regret at 20 trials, mean over seeds)", ""]
    lines += ["| dataset | " + " | ".join(methods) + " |", "| --- |" + " --- |" * len(methods)]
    for d, per in sorted(s["per_dataset"].items()):
        lines.append(
            f"| {d} | " + " | ".join(f"{per.get(m, float('nan')):.3f}" for m in methods) + " |"
        )
    lines += ["", "## Wall time per run (seconds, mean)", ""]
    lines += [", ".join(f"{m} {v:.0f}" for m, v in sorted(s["seconds"].items()))]
    path.write_text("\n".join(lines) + "\n")
    _plot(s, path.with_suffix(".png"))
    print("\n".join(lines))


def _plot(s: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for m in s["methods"]:
        d = s["mean"]["test"]["all"].get(m, {})
        xs = [b for b in BUDGETS if b in d]
        style = "-" if m == "advisor" else "--"
        ax1.plot(
            xs, [d[b] for b in xs], style, marker="o", label=m, lw=2.5 if m == "advisor" else 1.2
        )
        ax2.plot(EPOCH_GRID, s["by_epochs"][m], style, label=m, lw=2.5 if m == "advisor" else 1.2)
    ax1.set(xlabel="trials", ylabel="mean normalized test regret", xscale="log", title="by trials")
    ax1.set_xticks(list(BUDGETS), [str(b) for b in BUDGETS])
    ax2.set(xlabel="epochs trained", ylabel="mean normalized test regret", title="by epochs")
    ax1.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
