"""Build the seed knowledge base: the shared design evaluated on every corpus dataset.

Resumable (skips trials already in the store; an empty store first loads what
``knowledge_base/seed/`` already holds), parallel over worker processes, deterministic, writes
through the knowledge-base API after every finished job, and shows a progress bar with an ETA.
``--export`` writes ``knowledge_base/seed/trials.parquet`` and ``manifest.json``.
``--pending`` instead keeps the finished trials that the shipped seed lacks in
``seedbuild/pending/trials.parquet`` (committed as a build goes, read back on resume, not shipped
and not seen by the ranker): a long build spread over several sessions keeps its work without
changing the shipped seed (and so the ranker and every figure measured on it) until a full
``--export``, which folds them in and removes the pending file.

    .venv/bin/python -m seedbuild.build --workers 2 [--export | --pending] [--only NAME ...]
    .venv/bin/python -m seedbuild.build --export-only

Stages (``--stage``; each resumable, each breadth first so an interrupted run leaves every
dataset with the same leading part): ``shared`` (the design, 3 seeds, on every corpus dataset
under 20,000 rows), ``large`` (the 20,000-row size variants: the named recipes, then the
``large_top`` configurations best on average, one at a time over every dataset), ``long``
(128 epochs for each dataset's best configurations; run it after ``shared``, whose results pick
them). Then ``python -m seedbuild.train_ranker`` and ``python -m seedbuild.report``.

(or ``.venv/bin/python seedbuild/build.py ...``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # seedbuild, when run as a script
SEED_DIR = REPO / "knowledge_base" / "seed"
DEFAULT_STORE = f"sqlite:///{REPO / 'runs' / 'seed_build.sqlite'}"
PENDING = REPO / "seedbuild" / "pending" / "trials.parquet"


def priority_order(entries, fingerprints: dict[str, str], done_by_name: dict[str, int]):
    """Dataset order for the build: partly built datasets first, then real regression data,
    then one real dataset of each group not yet covered, then the other real datasets, then the
    synthetic ones (ties in a fixed pseudo-random order). An interrupted build therefore leaves
    as many complete, varied datasets as its time allowed."""
    covered = {e.group for e in entries if done_by_name.get(e.name, 0) > 0}
    tiers: dict[str, int] = {}
    for e in sorted(entries, key=lambda e: zlib.crc32(("order" + e.name).encode())):
        if done_by_name.get(e.name, 0) > 0:
            tiers[e.name] = 0
        elif e.synthetic:
            tiers[e.name] = 4
        elif e.task == "regression" and e.kind != "size":
            tiers[e.name] = 1
        elif e.group not in covered:
            covered.add(e.group)
            tiers[e.name] = 2
        else:
            tiers[e.name] = 3
    return sorted(
        (e.name for e in entries),
        key=lambda n: (tiers[n], zlib.crc32(("order" + n).encode())),
    )


def plan(
    entries,
    design,
    done: set[str],
    fingerprints: dict[str, str],
    done_by_name: dict[str, int] | None = None,
    stage: str = "shared",
    picks: dict[str, list[int]] | None = None,
):
    """Jobs in a fixed order (waves of ``_wave``, datasets by ``priority_order`` within a
    wave): one job per dataset and stack of the design (``shared``), per dataset (``long``: the
    configuration indices of ``picks[name]``) or per dataset and picked configuration
    (``large``)."""
    from seedbuild.design import NAMED, Job, design_configs, stack_groups, trial_id

    ranked = []  # (wave, dataset rank, job): the shared stage runs breadth first, in waves
    for rank, name in enumerate(priority_order(entries, fingerprints, done_by_name or {})):
        entry = next(e for e in entries if e.name == name)
        configs = design_configs(design, entry.task)
        fp = fingerprints.get(name)
        if stage == "shared":
            epochs, seeds, blocks = design.epochs, design.seeds, stack_groups(configs)
        elif stage == "long":
            epochs, seeds, blocks = design.long_epochs, (0,), [list((picks or {}).get(name, []))]
        else:  # large: one job per configuration (its seeds stacked), breadth first
            epochs, seeds, blocks = (
                design.epochs,
                design.seeds,
                [[i] for i in (picks or {}).get(name, [])],
            )
        n_named = sum(1 for block in blocks if min(block) < len(NAMED))
        for b, block in enumerate(blocks):
            items = [(i, s) for i in block for s in seeds]
            if fp is not None:
                items = [
                    (i, s) for i, s in items if trial_id(fp, configs[i], s, epochs) not in done
                ]
            if items:
                ranked.append((_wave(b, n_named, stage), rank, Job(name, tuple(items), epochs)))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [job for _, _, job in ranked]


WAVE_SHAPES = 4


def _wave(block: int, n_named: int, stage: str) -> int:
    """Wave of a shared-stage block: the named recipes and the first ``WAVE_SHAPES`` shapes
    of every dataset come first, then the next ``WAVE_SHAPES`` shapes of every dataset, and so
    on. An interrupted build leaves every dataset with the recipes and the same leading part of
    the design rather than some datasets complete and the rest empty. The large stage goes one
    configuration at a time over every dataset (its jobs are one configuration each)."""
    if stage == "large":  # one configuration of every dataset at a time
        return block
    if stage != "shared":
        return 0
    return max(0, (block - n_named) // WAVE_SHAPES)


def long_picks(kb, entries, design) -> dict[str, list[int]]:
    """Per dataset of the shared design, the named recipes of ``LONG_NAMED`` and the
    ``long_top`` configurations with the best seed-mean score (their indices in the dataset's
    design): what ``default`` is chosen among, and what does best there."""
    from advisor_core.spaces import config_hash
    from seedbuild.design import LONG_NAMED, NAMED, design_configs

    df = kb.trials("mlp", version=design.space_version, expand_config=False)
    df = df[df["epochs"].le(design.epochs) & df["max_epochs"].eq(design.epochs)]
    out: dict[str, list[int]] = {}
    for e in entries:
        sub = df[df["dataset_name"] == e.name]
        if sub.empty:
            continue
        index = {config_hash(c): i for i, c in enumerate(design_configs(design, e.task))}
        mean = sub.assign(v=sub["score"].fillna(-1e9)).groupby("config_hash")["v"].mean()
        top = [h for h in mean.sort_values(ascending=False).index if h in index]
        named = [NAMED.index(n) for n in LONG_NAMED]
        out[e.name] = named + [index[h] for h in top[: design.long_top] if index[h] not in named]
    return out


def large_picks(kb, entries, design) -> dict[str, list[int]]:
    """For the large size variants: the named recipes and the ``large_top`` configurations with
    the best mean normalized score over the shared design's datasets."""
    from advisor_core.spaces import config_hash
    from seedbuild.design import NAMED, design_configs

    df = kb.trials("mlp", version=design.space_version, expand_config=False)
    df = df[df["max_epochs"].eq(design.epochs)]
    df = df.assign(v=df["score"].fillna(df.groupby("fingerprint")["score"].transform("min")))
    per = df.groupby(["fingerprint", "config_hash"])["v"].mean().reset_index()
    lo = per.groupby("fingerprint")["v"].transform("min")
    hi = per.groupby("fingerprint")["v"].transform("max")
    per["norm"] = (per["v"] - lo) / (hi - lo).where(hi > lo, 1.0)
    ranking = per.groupby("config_hash")["norm"].mean().sort_values(ascending=False)
    out: dict[str, list[int]] = {}
    for e in entries:
        configs = design_configs(design, e.task)
        index = {config_hash(c): i for i, c in enumerate(configs)}
        chosen = list(range(len(NAMED)))
        for h in ranking.index:
            if len(chosen) >= len(NAMED) + design.large_top:
                break
            if h in index and index[h] not in chosen:
                chosen.append(index[h])
        out[e.name] = chosen
    return out


def fingerprints_of(kb) -> dict[str, str]:
    df = kb.datasets()
    return {n: fp for n, fp in zip(df["name"], df["fingerprint"], strict=True) if n}


def export_pending(kb) -> int:
    """Write the work store's trials that the shipped seed lacks to ``PENDING``; their count."""
    import pyarrow.parquet as pq

    from knowledge_base.logfiles import write_parquet

    seed = SEED_DIR / "trials.parquet"
    shipped = set(pq.read_table(seed, columns=["trial_id"]).column(0).to_pylist())
    fresh = (r for r in kb.export_records("mlp") if r["trial_id"] not in shipped)
    PENDING.parent.mkdir(parents=True, exist_ok=True)
    tmp = PENDING.with_suffix(".parquet.tmp")
    n = write_parquet(fresh, tmp)
    tmp.replace(PENDING)
    return n


def export(kb, design, started: float | None) -> None:
    """Write every trial of the work store to ``knowledge_base/seed/`` (trials.parquet and
    manifest.json): the version-1 trials the seed already had and the version-2 build."""
    import numpy as np
    import sklearn
    import torch

    from advisor import __version__
    from advisor.metafeatures import VERSION
    from knowledge_base.logfiles import write_parquet
    from seedbuild.corpus import ROW_CAP
    from seedbuild.design import design_configs

    SEED_DIR.mkdir(parents=True, exist_ok=True)
    n = write_parquet(kb.export_records("mlp"), SEED_DIR / "trials.parquet.tmp")
    (SEED_DIR / "trials.parquet.tmp").replace(SEED_DIR / "trials.parquet")
    PENDING.unlink(missing_ok=True)  # every pending trial is in the seed now
    stats = kb.stats()
    manifest = {
        "format": "tuning-advisor-seed",
        "built_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "trials": n,
        "design": design.to_dict(),
        "n_configs": len(design_configs(design, "classification")),
        "row_cap": ROW_CAP,
        "meta_features_version": VERSION,
        "versions": {
            "advisor": __version__,
            "torch": torch.__version__,
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "hardware": f"{platform.machine()}, 1 torch thread per worker",
        "stats": {
            k: stats[k]
            for k in ("datasets", "groups", "trials", "by_task", "by_status", "real", "by_space")
        },
        "build_wall_s": round(time.time() - started, 1) if started else None,
    }
    (SEED_DIR / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"exported {n} trials to {SEED_DIR}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", default=DEFAULT_STORE, help="work store (default: runs/)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--stage",
        choices=("shared", "long", "large"),
        default="shared",
        help="shared: the design on every dataset; long: the best configurations of each "
        "dataset for the long budget; large: the 20,000-row size variants",
    )
    ap.add_argument("--only", nargs="*", help="only these corpus entries")
    ap.add_argument(
        "--export",
        action="store_true",
        help="export to knowledge_base/seed/ at the end (and every --export-every jobs)",
    )
    ap.add_argument(
        "--pending",
        action="store_true",
        help="keep the finished trials the shipped seed lacks in seedbuild/pending/ "
        "(every --export-every jobs and at the end) instead of exporting the seed",
    )
    ap.add_argument("--export-every", type=int, default=200)
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument(
        "--no-resume-from-seed",
        action="store_true",
        help="do not load knowledge_base/seed/ into an empty work store",
    )
    args = ap.parse_args()

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from advisor_core.errors import AdvisorError
    from knowledge_base import KnowledgeBase
    from knowledge_base.logfiles import read_records
    from seedbuild.corpus import corpus
    from seedbuild.corpus._sizes import LARGE_SIZE
    from seedbuild.design import Design, run_jobs

    design = Design()
    (REPO / "runs").mkdir(exist_ok=True)
    kb = KnowledgeBase(args.kb)
    if args.export_only:
        export(kb, design, None)
        return
    seed_file = SEED_DIR / "trials.parquet"
    if kb.stats()["trials"] == 0 and seed_file.exists() and not args.no_resume_from_seed:
        rep = kb.contribute(list(read_records(seed_file)))
        print(f"resumed from {seed_file}: {rep.added} trials", file=sys.stderr)
        if PENDING.exists():
            rep = kb.contribute(list(read_records(PENDING)))
            print(f"resumed from {PENDING}: {rep.added} trials", file=sys.stderr)
    large = f"@{LARGE_SIZE}"
    entries = [e for e in corpus() if e.name.endswith(large) == (args.stage == "large")]
    names = [e.name for e in entries]
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            sys.exit(f"error: unknown corpus entries for stage {args.stage}: {', '.join(unknown)}")
        entries = [e for e in entries if e.name in set(args.only)]
        names = [e.name for e in entries]
    has_v2 = kb.space_version("mlp") == design.space_version
    done_df = (
        kb.trials("mlp", version=design.space_version, expand_config=False) if has_v2 else None
    )
    done = set(done_df["trial_id"]) if done_df is not None else set()
    done_by_name = (
        {str(k): int(v) for k, v in done_df.groupby("dataset_name").size().items()}
        if done_df is not None
        else {}
    )
    picks = None
    if args.stage == "long":
        picks = long_picks(kb, entries, design) if has_v2 else {}
    elif args.stage == "large":
        picks = large_picks(kb, entries, design) if has_v2 else {}
        if not picks:
            sys.exit("error: the large stage needs the shared design's results first")
    jobs = plan(entries, design, done, fingerprints_of(kb), done_by_name, args.stage, picks)
    total = sum(len(j.items) for j in jobs)
    print(
        f"stage {args.stage}: {len(names)} datasets, {len(jobs)} jobs, {total} trials to run"
        f", {len(done)} version-{design.space_version} trials already in {kb.display_url}",
        file=sys.stderr,
    )
    started = time.time()
    failures = 0
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with (
        Progress(*columns, refresh_per_second=1) as progress,
        ProcessPoolExecutor(args.workers) as pool,
    ):
        task = progress.add_task("trials", total=total)
        futures = {pool.submit(run_jobs, job, design): job for job in jobs}
        finished_jobs = 0
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                records = fut.result()
            except Exception as exc:  # a dataset that cannot load: report, keep going
                failures += 1
                progress.console.print(f"job {job.dataset} failed: {exc}")
                progress.advance(task, len(job.items))
                continue
            try:
                kb.contribute(records)
            except AdvisorError as exc:  # report and keep going; the job reruns next time
                failures += 1
                progress.console.print(f"job {job.dataset} not stored: {str(exc)[:300]}")
                progress.advance(task, len(job.items))
                continue
            progress.advance(task, len(records))
            finished_jobs += 1
            if not sys.stderr.isatty() and finished_jobs % 20 == 0:
                done_n = progress.tasks[0].completed
                rate = done_n / max(1e-9, time.time() - started)
                eta = (total - done_n) / rate if rate else float("nan")
                print(
                    f"{done_n:.0f}/{total} trials, {time.time() - started:.0f} s elapsed, "
                    f"ETA {eta / 60:.0f} min",
                    file=sys.stderr,
                    flush=True,
                )
            if finished_jobs % args.export_every == 0:
                if args.export:
                    export(kb, design, started)
                elif args.pending:
                    export_pending(kb)
    if args.export:
        export(kb, design, started)
    elif args.pending:
        print(f"{export_pending(kb)} trials pending in {PENDING}", file=sys.stderr)
    print(f"done in {time.time() - started:.0f} s; {failures} failed job(s)", file=sys.stderr)


if __name__ == "__main__":
    main()
