"""Build the seed knowledge base: the shared design evaluated on every corpus dataset.

Resumable (skips trials already in the store; an empty store first loads what
``knowledge_base/seed/`` already holds), parallel over worker processes, deterministic, writes
through the knowledge-base API after every finished job, and shows a progress bar with an ETA.
``--export`` writes ``knowledge_base/seed/trials.parquet`` and ``manifest.json``.

    .venv/bin/python -m seedbuild.build --workers 2 [--export] [--only NAME ...]
    .venv/bin/python -m seedbuild.build --export-only

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
    configs,
    done: set[str],
    fingerprints: dict[str, str],
    chunk: int,
    first_configs: int = 0,
    done_by_name: dict[str, int] | None = None,
):
    """Jobs in a fixed order (see ``priority_order``); with ``first_configs`` > 0, the first that
    many configurations (the named ones, then the start of the Sobol sequence) run on every
    dataset before the rest."""
    from seedbuild.design import Job, noise_datasets, trial_id

    names = [e.name for e in entries]
    first: list = []
    rest: list = []
    noise = set(noise_datasets(names, design))
    for name in priority_order(entries, fingerprints, done_by_name or {}):
        items = [(i, 0) for i in range(len(configs))]
        if name in noise:
            items += [(i, s) for s in design.noise_seeds for i in range(design.noise_configs)]
        fp = fingerprints.get(name)
        if fp is not None:
            items = [
                (i, s) for i, s in items if trial_id(fp, configs[i], s, design.epochs) not in done
            ]
        head = [(i, s) for i, s in items if s == 0 and i < first_configs]
        tail = items[len(head) :]  # head is a prefix of items
        for part, out in ((head, first), (tail, rest)):
            for k in range(0, len(part), chunk):
                out.append(Job(name, tuple(part[k : k + chunk])))
    return first + rest


def fingerprints_of(kb) -> dict[str, str]:
    df = kb.datasets()
    return {n: fp for n, fp in zip(df["name"], df["fingerprint"], strict=True) if n}


def complete_datasets_only(kb, configs):
    """A temporary store with the datasets on which every design configuration has run."""
    import tempfile

    from advisor_core.spaces import config_hash
    from knowledge_base import KnowledgeBase

    df = kb.trials("mlp", expand_config=False)
    design = {config_hash(c) for c in configs}
    seed0 = df[(df["seed"] == 0) & df["config_hash"].isin(design)]
    counts = seed0.groupby("fingerprint")["config_hash"].nunique()
    keep = set(counts[counts == len(design)].index)
    out = KnowledgeBase(f"sqlite:///{tempfile.mkdtemp()}/complete.sqlite")
    batch: list = []
    for rec in kb.export_records("mlp"):
        if rec["dataset"]["fingerprint"] in keep:
            batch.append(rec)
        if len(batch) >= 5000:
            out.contribute(batch)
            batch = []
    if batch:
        out.contribute(batch)
    print(f"exporting the {len(keep)} datasets with the whole design", file=sys.stderr)
    return out


def export(kb, design, configs, started: float | None, complete_only: bool = False) -> None:
    import numpy as np
    import sklearn
    import torch

    from advisor import __version__
    from advisor.metafeatures import VERSION
    from knowledge_base.logfiles import write_parquet
    from seedbuild.corpus import ROW_CAP

    SEED_DIR.mkdir(parents=True, exist_ok=True)
    if complete_only:
        kb = complete_datasets_only(kb, configs)
    n = write_parquet(kb.export_records("mlp"), SEED_DIR / "trials.parquet.tmp")
    (SEED_DIR / "trials.parquet.tmp").replace(SEED_DIR / "trials.parquet")
    stats = kb.stats()
    manifest = {
        "format": "tuning-advisor-seed",
        "built_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "trials": n,
        "design": design.to_dict(),
        "n_configs": len(configs),
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
    ap.add_argument("--chunk", type=int, default=12, help="trials per job")
    ap.add_argument("--only", nargs="*", help="only these corpus entries")
    ap.add_argument(
        "--export",
        action="store_true",
        help="export to knowledge_base/seed/ at the end (and every --export-every jobs)",
    )
    ap.add_argument("--export-every", type=int, default=200)
    ap.add_argument(
        "--first-configs",
        type=int,
        default=0,
        help="run the first K design configurations on every dataset before the rest",
    )
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument(
        "--complete-only",
        action="store_true",
        help="with --export-only: export only the datasets on which the whole design has run",
    )
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
    from seedbuild.design import Design, design_configs, run_jobs

    design = Design()
    configs = design_configs(design)
    (REPO / "runs").mkdir(exist_ok=True)
    kb = KnowledgeBase(args.kb)
    if args.export_only:
        export(kb, design, configs, None, args.complete_only)
        return
    seed_file = SEED_DIR / "trials.parquet"
    if kb.stats()["trials"] == 0 and seed_file.exists() and not args.no_resume_from_seed:
        rep = kb.contribute(list(read_records(seed_file)))
        print(f"resumed from {seed_file}: {rep.added} trials", file=sys.stderr)
    entries = list(corpus())
    names = [e.name for e in entries]
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            sys.exit(f"error: unknown corpus entries: {', '.join(unknown)}")
        entries = [e for e in entries if e.name in set(args.only)]
        names = [e.name for e in entries]
    done_df = kb.trials("mlp", expand_config=False) if kb.stats()["trials"] else None
    done = set(done_df["trial_id"]) if done_df is not None else set()
    done_by_name = (
        {str(k): int(v) for k, v in done_df.groupby("dataset_name").size().items()}
        if done_df is not None
        else {}
    )
    jobs = plan(
        entries,
        design,
        configs,
        done,
        fingerprints_of(kb),
        args.chunk,
        args.first_configs,
        done_by_name,
    )
    total = sum(len(j.items) for j in jobs)
    print(
        f"{len(names)} datasets x {len(configs)} configs (+ seed noise): {total} trials to run"
        f", {len(done)} already in {kb.display_url}",
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
        futures = {pool.submit(run_jobs, job, design, configs): job for job in jobs}
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
            if args.export and finished_jobs % args.export_every == 0:
                export(kb, design, configs, started)
    if args.export:
        export(kb, design, configs, started)
    print(f"done in {time.time() - started:.0f} s; {failures} failed job(s)", file=sys.stderr)


if __name__ == "__main__":
    main()
