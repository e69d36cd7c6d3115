"""``advisor kb ...``: contribute, export, inspect, import and upgrade the knowledge base."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from advisor.cli._common import console, emit_json, fail, user_errors
from advisor.cli.render import width

__all__ = ["kb_app"]

kb_app = typer.Typer(
    help="The knowledge base: contribute, export, inspect, import, upgrade.", no_args_is_help=True
)

KbOpt = Annotated[
    str | None,
    typer.Option(
        "--kb",
        envvar="ADVISOR_KB_URL",
        show_envvar=True,
        help="knowledge-base URL (sqlite:///PATH or postgresql://...); default: the user's own",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def _kb(url: str | None):  # type: ignore[no-untyped-def]
    from knowledge_base import KnowledgeBase

    return KnowledgeBase(url)


@kb_app.command("add")
def add(
    file: Annotated[Path, typer.Argument(help="trial log: .jsonl or .parquet")],
    kb: KbOpt = None,
    server: Annotated[
        str | None,
        typer.Option(
            envvar="ADVISOR_SERVER",
            help="send to an advisor service instead (key: $ADVISOR_API_KEY); it validates "
            "each batch of 1,000 records",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Contribute a trial log. All records are validated first; invalid ones write nothing.

    With --server, batches of 1,000 go to the service, which validates each (atomic per batch:
    a rejected batch writes nothing, the batches before it stay written).
    """
    from advisor_core.errors import ConflictError, ValidationError
    from knowledge_base import LIMITS
    from knowledge_base.logfiles import read_records

    def problems_report(added: int, duplicates: int, problems: list[tuple[int, str]]) -> None:
        emit_json(
            {
                "added": added,
                "duplicates": duplicates,
                "errors": len(problems),
                "problems": [{"index": i, "reason": r} for i, r in problems],
            }
        )
        raise typer.Exit(2)

    with user_errors():
        records = list(read_records(file))
        if server:
            from advisor.client import MAX_BATCH_RECORDS, AdvisorClient, ServiceRequestError

            bad = [
                (i, str(r["__bad_line__"]))
                for i, r in enumerate(records)
                if isinstance(r, dict) and "__bad_line__" in r
            ]
            if bad and as_json:
                problems_report(0, 0, bad)
            if bad:
                raise ValidationError(
                    f"{len(bad)} of {len(records)} record(s) unreadable, nothing was sent: "
                    + "; ".join(f"record {i}: {r}" for i, r in bad[:5]),
                    bad,
                )
            client = AdvisorClient(server)
            try:
                rep = client.contribute(records, batch_size=MAX_BATCH_RECORDS)
            except ServiceRequestError as exc:
                if as_json and exc.problems:
                    problems_report(
                        exc.added,
                        exc.duplicates,
                        [(int(p.get("index", -1)), str(p.get("reason"))) for p in exc.problems],
                    )
                raise
            finally:
                client.close()
            added, duplicates = rep["added"], rep["duplicates"]
            if as_json:
                emit_json(
                    {"added": added, "duplicates": duplicates, "errors": 0, "records": len(records)}
                )
            else:
                console.print(f"{len(records)} record(s): {added} added, {duplicates} duplicate(s)")
            return
        store = _kb(kb)
        try:
            store.validate(records)  # the whole file, before anything is written
        except ValidationError as exc:
            if as_json:
                emit_json(
                    {
                        "added": 0,
                        "duplicates": 0,
                        "errors": len(exc.problems),
                        "problems": [{"index": i, "reason": r} for i, r in exc.problems],
                    }
                )
                raise typer.Exit(2) from None
            raise
        added = duplicates = 0
        step = LIMITS["batch_records"]
        try:
            for start in range(0, len(records), step):
                rep = store.contribute(records[start : start + step])
                added += rep.added
                duplicates += rep.duplicates
        except ConflictError as exc:
            if as_json:
                emit_json(
                    {
                        "added": added,
                        "duplicates": duplicates,
                        "errors": len(exc.problems),
                        "problems": [{"index": i, "reason": r} for i, r in exc.problems],
                    }
                )
                raise typer.Exit(2) from None
            raise
        store.close()
    if as_json:
        emit_json({"added": added, "duplicates": duplicates, "errors": 0, "records": len(records)})
    else:
        console.print(f"{len(records)} record(s): {added} added, {duplicates} duplicate(s)")


@kb_app.command("export")
def export(
    kb: KbOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or parquet")] = "jsonl",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="file to write (default: stdout for jsonl)"),
    ] = None,
    space: Annotated[str | None, typer.Option(help="only trials of this space")] = None,
) -> None:
    """Write every trial in the trial-log format (JSON Lines or Parquet)."""
    from knowledge_base.logfiles import FORMATS, write_jsonl, write_parquet

    if fmt not in FORMATS:
        fail(f"--format is {fmt!r}, but must be one of {', '.join(FORMATS)}")
    if fmt == "parquet" and output is None:
        fail("--format parquet needs --output FILE")
    with user_errors():
        store = _kb(kb)
        records = store.export_records(space)
        if fmt == "parquet":
            assert output is not None
            n = write_parquet(records, output)
        elif output is None:
            n = write_jsonl(records, sys.stdout)
        else:
            with output.open("w", encoding="utf-8") as fh:
                n = write_jsonl(records, fh)
        store.close()
    if output is not None:
        console.print(f"wrote {n} trial(s) to {output}", highlight=False)


@kb_app.command("stats")
def stats(kb: KbOpt = None, as_json: JsonOpt = False) -> None:
    """Counts of datasets, groups and trials, by task, space and status."""
    with user_errors():
        store = _kb(kb)
        s = store.stats()
        store.close()
    if as_json:
        emit_json(s)
        return
    console.print(f"knowledge base {s['url']} (schema {s['schema_revision']})", highlight=False)
    console.print(f"{s['datasets']} datasets in {s['groups']} groups, {s['trials']} trials")
    table = Table(title="by task")
    for c in ("task", "datasets", "trials"):
        table.add_column(c)
    for task, v in sorted(s["by_task"].items()):
        table.add_row(task, str(v["datasets"]), str(v["trials"]))
    console.print(table)
    table = Table(title="by space")
    for c in ("space", "datasets", "configurations", "trials", "fewest seeds", "3+ seeds on"):
        table.add_column(c)
    for name, v in sorted(s["by_space"].items()):
        seeds = v["seeds"]
        table.add_row(
            name,
            str(v["datasets"]),
            str(v["configs"]),
            str(v["trials"]),
            str(seeds["min_per_pair"]),
            f"{seeds['datasets_with_3_or_more_everywhere']} datasets",
        )
    console.print(table)
    console.print(
        "datasets by rows: "
        + ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in s["datasets_by_rows"].items())
    )
    if s["by_status"]:
        console.print("status: " + ", ".join(f"{k} {v}" for k, v in sorted(s["by_status"].items())))


@kb_app.command("datasets")
def datasets(kb: KbOpt = None, as_json: JsonOpt = False) -> None:
    """One row per dataset: name, source, group, task, rows, features, trials."""
    with user_errors():
        store = _kb(kb)
        df = store.datasets()
        store.close()
    cols = [
        "name",
        "source",
        "group",
        "task",
        "n_rows",
        "n_features",
        "n_classes",
        "trials",
        "fingerprint",
    ]
    if as_json:
        emit_json(
            [
                {c: (None if v != v else v) for c, v in zip(cols, row, strict=True)}
                for row in df[cols].itertuples(index=False)
            ]
        )
        return
    _print_datasets(df)


def _print_datasets(df: Any) -> None:
    """Datasets under their group (with its source): name, task, rows, features, classes and
    trials on one line each; names are never cut (a long one pushes its numbers right)."""
    from advisor.cli.render import say

    say(f"{len(df)} datasets in {df['group'].nunique()} groups", style="bold")
    name_w = min(int(df["name"].str.len().max()) if len(df) else 4, max(12, width() - 40))
    say(f"  {'name':<{name_w}}  task  {'rows':>7}  {'feat':>5}  {'cls':>4}  {'trials':>6}")
    for (group, source), part in df.groupby(["group", "source"], sort=True, dropna=False):
        say(f"{group}  ({source})", style="dim")
        for r in part.sort_values("name").itertuples(index=False):
            classes = "" if r.n_classes is None or r.n_classes != r.n_classes else r.n_classes
            say(
                f"  {r.name:<{name_w}}  {str(r.task)[:3]:<4}  {_int(r.n_rows):>7}  "
                f"{_int(r.n_features):>5}  {_int(classes):>4}  {_int(r.trials):>6}"
            )


def _int(v: Any) -> str:
    return "" if v is None or v == "" or v != v else str(int(v))


@kb_app.command("import-optuna")
def import_optuna(
    storage: Annotated[str, typer.Option(help="Optuna storage URL, e.g. sqlite:///study.db")],
    study: Annotated[str, typer.Option(help="name of the study")],
    data: Annotated[Path, typer.Option(help="the dataset the study was run on")],
    target: Annotated[str, typer.Option("--target", "-t", help="target column")],
    task: Annotated[str, typer.Option(help="auto, classification or regression")] = "auto",
    space: Annotated[str, typer.Option(help="search space of the study")] = "mlp",
    objective: Annotated[
        str | None, typer.Option(help="what the study's value is (default: balanced_accuracy / r2)")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            help="map a study parameter to a space name: STUDY_NAME=SPACE_NAME (repeatable)"
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(help="dataset name to store")] = None,
    contributor: Annotated[str | None, typer.Option(help="your name")] = None,
    kb: KbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Turn a finished Optuna study into knowledge-base trials of DATA."""
    mapping: dict[str, str] = {}
    for item in param or []:
        if "=" not in item:
            fail(f"--param is {item!r}, but must be STUDY_NAME=SPACE_NAME")
        a, b = item.split("=", 1)
        mapping[a.strip()] = b.strip()
    with user_errors():
        from advisor.facade import Advisor
        from advisor.integrations.optuna import import_study

        adv = Advisor(kb)
        rep = import_study(
            storage,
            study,
            data,
            target=target,
            task=task,
            space=space,
            objective=objective,
            param_map=mapping,
            dataset_name=name or data.name,
            contributor=contributor,
            advisor=adv,
        )
        adv.close()
    if as_json:
        emit_json({"added": rep.added, "duplicates": rep.duplicates, "errors": 0})
    else:
        console.print(
            f"imported study {study!r}: {rep.added} trial(s) added, {rep.duplicates} duplicate(s)",
            highlight=False,
        )


@kb_app.command("init")
def init(
    kb: KbOpt = None,
    seed: Annotated[bool, typer.Option("--seed", help="also load the shipped seed trials")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create the knowledge base (if needed); with --seed fill it with the shipped seed."""
    with user_errors():
        from knowledge_base import KnowledgeBase

        store = KnowledgeBase(kb, seed=False)
        rep = store.load_seed() if seed else None
        stats = store.stats()
        store.close()
    out = {
        "url": stats["url"],
        "added": rep.added if rep else 0,
        "duplicates": rep.duplicates if rep else 0,
        "trials": stats["trials"],
    }
    if as_json:
        emit_json(out)
    elif rep is not None:
        console.print(
            f"{out['url']}: seed loaded, {rep.added} trial(s) added, "
            f"{rep.duplicates} already present; {stats['trials']} in total",
            highlight=False,
        )
    else:
        console.print(f"{out['url']}: ready, {stats['trials']} trial(s)", highlight=False)


@kb_app.command("upgrade")
def upgrade(kb: KbOpt = None) -> None:
    """Migrate the knowledge base to this advisor's schema."""
    with user_errors():
        from knowledge_base import KnowledgeBase

        before, after = KnowledgeBase.upgrade(kb)
    if before == after:
        console.print(f"schema already at revision {after}")
    else:
        console.print(f"upgraded schema from revision {before or '(empty)'} to {after}")
