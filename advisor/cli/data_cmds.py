"""``advisor meta-features`` and ``advisor evaluate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.table import Table

from advisor.cli._common import console, emit_json, load_config_arg, user_errors

__all__ = ["evaluate", "meta_features"]

TaskOpt = Annotated[str, typer.Option("--task", help="auto, classification or regression")]


def meta_features(
    data: Annotated[Path, typer.Argument(help="CSV or TSV (optionally .gz) or Parquet file")],
    target: Annotated[str, typer.Option("--target", "-t", help="name of the target column")],
    task: TaskOpt = "auto",
    seed: Annotated[int, typer.Option(help="seed of the bounded subsample")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Compute the dataset's meta-feature vector (simple, statistical, info-theory, landmarks)."""
    with user_errors():
        from advisor.facade import Advisor, meta_feature_specs

        mf = Advisor().meta_features(data, target, task=task, seed=seed)
    if as_json:
        emit_json(mf.to_dict())
        return
    table = Table(title=f"{data.name}: {mf.task}, meta-features v{mf.version}")
    for col in ("group", "name", "value", "description"):
        table.add_column(col)
    for s in meta_feature_specs():
        v = mf.values[s.name]
        table.add_row(s.group, s.name, "n/a" if v is None else f"{v:.4g}", s.description)
    console.print(table)


def evaluate(
    train: Annotated[Path, typer.Option("--train", help="training data (CSV/Parquet)")],
    target: Annotated[str, typer.Option("--target", "-t", help="name of the target column")],
    config: Annotated[
        str,
        typer.Option(
            "--config", "-c", help="a JSON object, a JSON file, or a named config (e.g. default)"
        ),
    ] = "default",
    test: Annotated[Path | None, typer.Option("--test", help="held-out test data")] = None,
    epochs: Annotated[int, typer.Option(min=1, max=1000, help="epochs to train")] = 20,
    seed: Annotated[int, typer.Option(help="seed of the split and the training")] = 0,
    task: TaskOpt = "auto",
    objective: Annotated[str | None, typer.Option(help="objective to report")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda")] = "auto",
    time_limit: Annotated[float | None, typer.Option(help="per-trial limit in seconds")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Train one configuration on TRAIN; report validation (and test) metrics."""
    with user_errors():
        from advisor.facade import Advisor, load_dataset
        from advisor_core.spaces import MLP_SPACE, named_config

        ds = load_dataset(train, target, task=cast(Any, task))  # checked by load_dataset
        cfg = load_config_arg(
            config,
            lambda c: MLP_SPACE.validate(c, complete=True),
            lambda name: named_config(name, task=ds.task),
        )
        adv = Advisor(device=device)
        test_ds = load_dataset(test, target, task=ds.task) if test is not None else None
        result, model = adv.evaluate(
            ds, cfg, epochs=epochs, seed=seed, objective=objective, time_limit=time_limit
        )
        test_metrics = model.metrics(test_ds) if (model is not None and test_ds) else None
    payload = {
        "task": result.task,
        "objective": result.objective,
        "config": result.config,
        "status": result.status,
        "score": result.score,
        "valid": result.metrics,
        "learning_curve": result.curve(),
        "runtime_s": round(result.runtime_s, 4),
        "message": result.message,
    }
    if test is not None:
        payload["test"] = test_metrics or {}
    if as_json:
        emit_json(payload)
        return
    console.print(
        f"[bold]{result.status}[/] after {result.epochs} epoch(s) in "
        f"{result.runtime_s:.2f} s; {result.objective} on validation: "
        f"{'n/a' if result.score is None else f'{result.score:.4f}'}"
    )
    if result.message:
        console.print(f"  {result.message}")
    table = Table(title="metrics")
    table.add_column("metric")
    table.add_column("validation")
    if test is not None:
        table.add_column("test")
    for k, v in result.metrics.items():
        row = [k, f"{v:.4f}"]
        if test is not None:
            t = (test_metrics or {}).get(k)
            row.append("n/a" if t is None else f"{t:.4f}")
        table.add_row(*row)
    console.print(table)
