"""``advisor suggest`` and ``advisor ranker fit|evaluate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from advisor.cli._common import console, emit_json, err_console, user_errors
from advisor.cli.kb_cmds import KbOpt
from advisor.cli.render import fmt_value, key_params, say, say_tokens

__all__ = ["ranker_app", "suggest"]

ranker_app = typer.Typer(help="The LightGBM ranker: fit it, evaluate it.", no_args_is_help=True)


def _say(msg: str) -> None:
    err_console.print(f"[dim]{msg}[/]")


def suggest(
    data: Annotated[
        Path | None, typer.Argument(help="CSV or TSV (optionally .gz) or Parquet file")
    ] = None,
    target: Annotated[str | None, typer.Option("--target", "-t", help="target column")] = None,
    k: Annotated[
        int, typer.Option("--top-k", "-k", min=1, max=50, help="how many suggestions")
    ] = 5,
    task: Annotated[str, typer.Option(help="auto, classification or regression")] = "auto",
    meta_features: Annotated[
        Path | None,
        typer.Option(
            "--meta-features", help="JSON of `advisor meta-features --json` instead of data"
        ),
    ] = None,
    space: Annotated[str, typer.Option(help="search space (mlp@1: its version 1)")] = "mlp",
    epochs: Annotated[
        int, typer.Option(min=1, max=1000, help="the training budget the advice is for")
    ] = 20,
    kb: KbOpt = None,
    server: Annotated[
        str | None,
        typer.Option(
            envvar="ADVISOR_SERVER", help="ask an advisor service instead (key: $ADVISOR_API_KEY)"
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="write an HTML report of the advice here (figures; the report extra)"
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Ranked, diverse starting configurations for DATA, with predictions and evidence."""
    import json

    from advisor.cli._common import fail

    if data is None and meta_features is None:
        fail("give DATA with --target, or --meta-features FILE")
    if data is not None and target is None:
        fail("--target is required with DATA")
    name = data.name if data is not None else "meta-features"
    with user_errors():
        mf_payload = None
        if meta_features is not None:
            try:
                mf_payload = json.loads(meta_features.read_text())
            except (OSError, ValueError) as exc:
                fail(f"--meta-features {meta_features}: {exc}")
            if not isinstance(mf_payload, dict) or "meta_features" not in mf_payload:
                fail("--meta-features must be the JSON of `advisor meta-features --json`")
        if server:
            from advisor.client import AdvisorClient

            client = AdvisorClient(server)
            if mf_payload is not None:
                out = client.suggest(
                    meta_features=mf_payload["meta_features"],
                    task=mf_payload.get("task", task),
                    k=k,
                    space=space,
                    epochs=epochs,
                )
            else:
                assert data is not None and target is not None
                out = client.suggest_file(
                    data, target=target, task=task, k=k, space=space, epochs=epochs
                )
            if report is not None:
                from advisor.facade import Advisor

                Advisor(kb).suggest_report(
                    out, report, dataset_name=name, space=space, with_knowledge_base=False
                )
        else:
            from advisor.facade import Advisor

            adv = Advisor(kb)
            adv.ranker(space, progress=_say)
            if mf_payload is not None:
                advice = adv.suggest(
                    meta_features=mf_payload["meta_features"],
                    task=mf_payload.get("task", task),
                    k=k,
                    space=space,
                    epochs=epochs,
                )
            else:
                advice = adv.suggest(
                    data, target=target, task=task, k=k, space=space, epochs=epochs
                )
            out = advice.to_dict()
            if report is not None:
                adv.suggest_report(advice, report, dataset_name=name, space=space)
            adv.close()
    if report is not None and as_json:
        out["report"] = str(report)
    if as_json:
        emit_json(out)
        return
    _print_advice(out)
    if report is not None:
        say(f"report written to {report}")


#: What each suggestion's ``source`` means, in words.
SOURCES = {
    "default": "default, kept first by the no-harm rule",
    "knowledge_base": "evaluated in the knowledge base",
    "perturbation": "a new point near a knowledge-base configuration",
    "robust": "robust across the knowledge base's datasets",
    "nearest": "best on the nearest knowledge-base datasets",
}


def _print_advice(out: dict[str, Any]) -> None:
    say(
        f"task: {out['task']}; objective: {out['objective']}; budget: {out['epochs']} epochs; "
        f"distance to the knowledge base {out['distance_to_knowledge_base']:.3f} "
        f"(threshold {out['ood_threshold']:.3f})"
    )
    if out["out_of_distribution"]:
        say(
            "this dataset is unlike the knowledge base: robust configurations instead of "
            "ranked ones",
            style="yellow",
        )
    if out.get("reason"):
        say(f"first place ({out['rule']}): {out['reason']}")
    say(
        "ranker score: orders the ranker's list (higher first); it is not an objective value. "
        "Chance of failure: of a run that diverges or fails."
    )
    for s in out["suggestions"]:
        console.print()
        say(f"#{s['rank']}  " + "  ".join(key_params(s["config"])), style="bold")
        lo, hi = s["interval"]
        say(
            f"predicted {out['objective']} {s['predicted']:.3f} (80% interval {lo:.3f} to "
            f"{hi:.3f}); chance of failure {s['failure_chance']:.0%}",
            indent=4,
        )
        gain = s.get("gain_over_default")
        if gain is not None and s["source"] != "default":
            glo, ghi = s.get("gain_interval") or (None, None)
            span = f" (80%: {glo:+.3f} to {ghi:+.3f})" if glo is not None else ""
            say(f"expected gain over default: {gain:+.3f}{span}", indent=4)
        parts = s["explanation"].split("; ")[1:]  # the first is the prediction, shown above
        why = "; ".join(p for p in parts if p[:1] not in "+-")  # gains are shown above too
        if why:
            say(f"why: {why}", indent=4)
        say(
            f"source: {SOURCES.get(s['source'], s['source'])}; ranker score {s['score']:.3f}",
            indent=4,
        )
        near = [
            f"{n['name']} (distance {n['distance']:.3f}"
            + (f", scored {n['objective']:.3f}" if n["objective"] is not None else "")
            + ")"
            for n in s["neighbors"]
        ]
        if near:
            say("nearest datasets: " + ", ".join(near), indent=4)
        say("configuration:", indent=4)
        say_tokens([f"{k}={fmt_value(v)}" for k, v in s["config"].items()], indent=6)


@ranker_app.command("fit")
def fit(
    kb: KbOpt = None,
    space: Annotated[str, typer.Option(help="search space")] = "mlp",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Train the ranker on the knowledge base (hyperparameters by grouped CV) and save it."""
    with user_errors():
        from advisor.facade import Advisor, ranker_artifact_path

        adv = Advisor(kb)
        art = adv.ranker(space, refit=True, progress=_say)
        path = ranker_artifact_path(adv.kb.url, space)
        adv.close()
    out = {
        "path": str(path),
        "space": space,
        "kb_snapshot": art.snapshot,
        "datasets": len(art.fs.fingerprints),
        "configs": len(art.fs.config_hashes),
        "params": art.params,
        "ood_threshold": art.ood_threshold,
    }
    if as_json:
        emit_json(out)
    else:
        console.print(
            f"ranker of space {space!r} trained on {out['datasets']} datasets and "
            f"{out['configs']} configurations; saved to {path}",
            highlight=False,
        )


@ranker_app.command("evaluate")
def evaluate(
    kb: KbOpt = None,
    space: Annotated[str, typer.Option(help="search space")] = "mlp",
    fixed: Annotated[
        bool,
        typer.Option(
            "--fixed-params",
            help="the ranker's default settings instead of nested grouped CV (faster)",
        ),
    ] = False,
    jobs: Annotated[int, typer.Option("--jobs", min=1, help="processes (held-out groups)")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Leave-one-group-out evaluation of the ranker against the baselines."""
    from rich.progress import Progress

    with user_errors():
        from advisor.facade import Advisor, evaluate_ranker

        adv = Advisor(kb)
        table = adv.performance_table(space)
        with Progress(console=err_console, transient=True) as bar:
            task = bar.add_task("held-out groups", total=None)
            result = evaluate_ranker(
                table,
                nested=not fixed,
                progress=lambda i, n: bar.update(task, completed=i, total=n),
                n_jobs=jobs,
            )
        adv.close()
    out = result.to_dict()
    if as_json:
        emit_json(out)
        return
    console.print(
        f"leave-one-group-out over {out['datasets']} datasets in {out['groups']} groups",
        highlight=False,
    )
    for scope, metrics in [("all", out["metrics"]), *out["by_task"].items()]:
        t = Table(title=scope)
        t.add_column("method")
        for m in metrics:
            t.add_column(m)
        for method in result.methods:
            t.add_row(method, *(f"{metrics[m][method]:.4f}" for m in metrics))
        console.print(t)
