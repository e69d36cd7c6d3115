"""``advisor search`` and ``advisor predict``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from advisor.cli._common import console, emit_json, err_console, fail, user_errors
from advisor.cli.kb_cmds import KbOpt
from advisor.cli.render import fmt_value, key_params, say, say_tokens

__all__ = ["predict", "search"]


def search(
    data: Annotated[Path, typer.Argument(help="CSV or TSV (optionally .gz) or Parquet file")],
    target: Annotated[str, typer.Option("--target", "-t", help="target column")],
    n_trials: Annotated[int | None, typer.Option("--n-trials", min=1, help="trial budget")] = None,
    time_budget: Annotated[
        float | None, typer.Option("--time-budget", min=1, help="wall-clock budget in seconds")
    ] = None,
    strategy: Annotated[
        str,
        typer.Option(
            help="advisor (warm start + refinement), warm (suggestions only), tpe, random"
        ),
    ] = "advisor",
    storage: Annotated[
        str | None,
        typer.Option(
            help="Optuna storage URL (sqlite:///..., postgresql://...) to share the study"
        ),
    ] = None,
    study: Annotated[str | None, typer.Option(help="study name (to join a shared study)")] = None,
    seed: Annotated[int, typer.Option(help="seed of the split, the samplers and training")] = 0,
    epochs: Annotated[int, typer.Option(min=1, max=1000, help="full budget of a trial")] = 20,
    task: Annotated[str, typer.Option(help="auto, classification or regression")] = "auto",
    save_model: Annotated[
        Path | None,
        typer.Option(
            "--save-model", help="refit the best configuration on all rows and save it here"
        ),
    ] = None,
    no_contribute: Annotated[
        bool, typer.Option("--no-contribute", help="do not write the trials to the knowledge base")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="write an HTML report of the search here (figures; the report extra)"
        ),
    ] = None,
    no_default: Annotated[
        bool,
        typer.Option(
            "--no-default",
            help="skip measuring default at the same budget (one extra trial when the search "
            "did not train it)",
        ),
    ] = False,
    confirm: Annotated[
        int,
        typer.Option(
            "--confirm",
            min=0,
            help="choose among the K best configurations by their mean over two further "
            "train/validation splits (2K of the --n-trials budget); 0: off",
        ),
    ] = 0,
    heartbeat: Annotated[
        int,
        typer.Option(
            "--heartbeat",
            min=1,
            max=3600,
            help="with --storage: seconds between a running trial's heartbeats; a trial "
            "silent for three (its process died) is failed and retried once",
        ),
    ] = 10,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda")] = "auto",
    kb: KbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Tune the mlp space on DATA: warm-started from the advice, refined with short trials."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    if n_trials is None and time_budget is None:
        fail("give a budget: --n-trials N or --time-budget SECONDS")
    if study is not None and storage is None:
        fail("--study needs --storage (a study in memory cannot be shared)")
    with user_errors():
        from advisor.facade import Advisor, searched_trials

        adv = Advisor(kb, device=device)
        if strategy in ("advisor", "warm"):
            adv.ranker("mlp", progress=lambda m: err_console.print(f"[dim]{m}[/]"))
        columns = (
            TextColumn("trials"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("best {task.fields[best]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
        )
        searched = searched_trials(n_trials, confirm)  # the rest confirm
        total = None if searched is None else max(1, searched)
        started = time.time()
        with Progress(*columns, console=err_console, transient=as_json) as bar:
            task_id = bar.add_task("search", total=total, best="-")

            def on_progress(done: int, best: float | None) -> None:
                best_txt = "-" if best is None else f"{best:.4f}"
                if total is None and time_budget:
                    bar.update(
                        task_id,
                        completed=min(time.time() - started, time_budget),
                        total=time_budget,
                        best=best_txt,
                    )
                else:
                    bar.update(task_id, completed=done, best=best_txt)

            result = adv.search(
                data,
                target=target,
                task=task,
                n_trials=n_trials,
                time_budget=time_budget,
                strategy=strategy,
                epochs=epochs,
                seed=seed,
                storage=storage,
                study_name=study,
                contribute=not no_contribute,
                dataset_name=data.name,
                on_progress=on_progress,
                compare_default=not no_default,
                confirm=confirm,
                heartbeat=heartbeat,
            )
        if report is not None:
            adv.search_report(
                result,
                report,
                dataset_name=data.name,
                data=data,
                target=target,
                task=task,
                epochs=epochs,
                seed=seed,
            )
        if save_model is not None:
            if result.best_config is None:
                fail("no trial finished; nothing to save")
            model = adv.fit_final(
                data, result.best_config, target=target, task=task, epochs=epochs, seed=seed
            )
            model.save(save_model)
        adv.close()
    out = result.to_dict()
    if save_model is not None:
        out["model"] = str(save_model)
    if report is not None:
        out["report"] = str(report)
    if as_json:
        emit_json(out)
        return
    _print_search(out, epochs)
    if save_model is not None:
        console.print(f"model saved to {save_model}")
    if report is not None:
        say(f"report written to {report}")


def _print_search(out: dict[str, Any], epochs: int) -> None:
    """The trials (status, epochs, score, who proposed each, its key hyperparameters), the
    best configuration in full and how it compares with ``default``."""
    say(f"{out['strategy']}: {out['n_trials']} trials of at most {epochs} epochs", style="bold")
    say(f"{'#':>3}  {'status':<9} {'epochs':>6}  {'score':>7}  proposed by")
    for t in out["trials"]:
        score = "-" if t["score"] is None else f"{t['score']:.4f}"
        say(
            f"{t['number']:>3}  {t['status']:<9} {t['epochs']:>6}  {score:>7}  "
            f"{t['proposed_by'] or '-'}"
        )
        say_tokens(key_params(t["config"]), indent=5)
    best, objective = out["best_config"], out["objective"] or "objective"
    if best is None:
        say("no trial finished", style="yellow")
        return
    for c in out.get("confirmation") or []:
        scores = " ".join("-" if v is None else f"{v:.4f}" for v in c["scores"])
        say(f"confirmed: mean {c['mean']:.4f} over splits ({scores})")
        say_tokens(key_params(c["config"]), indent=5)
    say(f"best {objective}: {out['best_score']:.4f} with", style="bold")
    say_tokens([f"{k}={fmt_value(v)}" for k, v in best.items()], indent=2)
    if out.get("default_score") is None:
        say(f"default at {epochs} epochs: {out.get('default_source') or 'not measured'}")
        return
    gain = out["gain_over_default"]
    verdict = "beats" if gain > 0.0005 else ("matches" if gain >= -0.0005 else "falls short of")
    say(
        f"the best {verdict} default: {out['best_score']:.4f} against {out['default_score']:.4f} "
        f"({gain:+.4f}; default at {epochs} epochs on the same split, {out['default_source']})",
        style="bold",
    )


def predict(
    model: Annotated[Path, typer.Argument(help="a model saved by `advisor search --save-model`")],
    data: Annotated[Path, typer.Argument(help="CSV or Parquet with the same feature columns")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="CSV to write")] = None,
    proba: Annotated[bool, typer.Option("--proba", help="also class probabilities")] = False,
) -> None:
    """Predict DATA with a saved model; writes CSV to --output or stdout."""
    import sys

    import pandas as pd

    with user_errors():
        from advisor.facade import Advisor, read_table

        m = Advisor.load_model(model)
        frame = read_table(data)
        X = frame.drop(columns=[c for c in frame.columns if c not in m.feature_columns])
        out = pd.DataFrame({"prediction": m.predict(X)})
        if proba and m.task == "classification":
            p = m.predict_proba(X)
            for j, c in enumerate(m.classes or []):
                out[f"proba_{c}"] = p[:, j]
        if output is None:
            out.to_csv(sys.stdout, index=False)
        else:
            out.to_csv(output, index=False)
            console.print(f"wrote {len(out)} predictions to {output}")
