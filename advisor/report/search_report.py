"""The report of a search: one self-contained HTML page.

Header (dataset, strategy, objective, trials, best score, best against ``default``), then four
figures: the search history (each trial's score and the best so far, ``default`` as a line),
the learning curves (validation objective per epoch; the best trial highlighted, pruned trials
short), the hyperparameter importance of this search (Optuna's fANOVA evaluator), and the
importance on the knowledge base's nearest datasets (from trials the caller passes: this
package does not open the knowledge base), then a table of the trials and the best
configuration. A figure that cannot be drawn is replaced by a sentence that says why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optuna.trial import FrozenTrial

from advisor.report import _html as h
from advisor.report._plot import importance_png
from advisor.report._search_plots import curves_png, history_png
from advisor.report.importance import (
    Importances,
    kb_importances,
    study_distributions,
    trial_importances,
)
from advisor.search.sampler import PROPOSED_BY

if TYPE_CHECKING:
    import pandas as pd

    from advisor.search.study import SearchResult

__all__ = ["KEY_PARAMS", "search_report_html", "write_search_report"]

#: Hyperparameters the trial table always shows (when the space has them); the most important
#: ones of the search are added.
KEY_PARAMS = (
    "optimizer",
    "learning_rate",
    "weight_decay",
    "batch_size",
    "num_layers",
    "width",
    "dropout",
)
_COUNTED = ("complete", "timeout")


def _score(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _best_number(rows: Sequence[Mapping[str, Any]], best: float | None) -> int | None:
    if best is None:
        return None
    for counted in (True, False):
        for r in rows:
            if (not counted or r["status"] in _COUNTED) and _score(r["score"]) == best:
                return int(r["number"])
    return None


def _study_trials(result: SearchResult, numbers: set[int]) -> list[FrozenTrial]:
    study = getattr(result, "study", None)
    if study is None:
        return []
    try:
        trials = study.get_trials(deepcopy=False)
    except Exception:  # a shared study whose storage is gone: the figures that need it say so
        return []
    return [t for t in trials if t.number in numbers]


def _proposers(rows: Sequence[Mapping[str, Any]], trials: Sequence[FrozenTrial]) -> list[str]:
    attrs = {t.number: t.user_attrs.get(PROPOSED_BY) for t in trials}
    out = []
    for r in rows:
        who = r.get("proposed_by")
        if who is None or (isinstance(who, float) and math.isnan(who)):
            who = attrs.get(int(r["number"]))
        out.append("—" if who is None else str(who))
    return out


def _header(
    result: SearchResult, dataset_name: str, rows: Sequence[Mapping[str, Any]], best_no: int | None
) -> str:
    counts: dict[str, int] = {}
    for r in rows:
        counts[str(r["status"])] = counts.get(str(r["status"]), 0) + 1
    by_status = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    best = _score(result.best_score)
    default = _score(getattr(result, "default_score", None))
    if best is not None and default is not None:
        gain = f"{h.fmt(best - default, signed=True)} ({h.fmt(best)} vs {h.fmt(default)})"
    elif default is None:
        gain = "— (default's score at this budget not known)"
    else:
        gain = "— (no trial completed)"
    return h.facts(
        [
            ("Dataset", dataset_name),
            ("Strategy", result.strategy),
            ("Objective", f"{result.objective} (validation, maximized)"),
            ("Trials", f"{result.n_trials} ({by_status})" if by_status else result.n_trials),
            (
                "Best score",
                "—" if best is None else f"{h.fmt(best)} (trial #{best_no})",
            ),
            ("Default's score", _default_text(result, default)),
            ("Best against default", gain),
        ]
    )


def _default_text(result: SearchResult, default: float | None) -> str:
    """``default``'s score and where it comes from (``trial N`` or ``reference run``)."""
    if default is None:
        return "— (not measured)"
    source = getattr(result, "default_source", None)
    return f"{h.fmt(default)} ({source})" if source else h.fmt(default)


def _importance_part(imp: Importances, fig_id: str, title: str, caption: str, alt: str) -> str:
    if not imp.ok:
        return h.note(imp.note)
    return h.figure(fig_id, importance_png(imp.values, title), alt, caption)


def _trial_table(
    rows: Sequence[Mapping[str, Any]],
    proposers: Sequence[str],
    params: Sequence[str],
    best_no: int | None,
) -> str:
    headers = ["#", "status", "score", "epochs", "proposed by", "duration (s)", *params]
    body, best_rows = [], []
    for i, (r, who) in enumerate(zip(rows, proposers, strict=True)):
        config = r.get("config")
        if not isinstance(config, Mapping):
            config = {}
        if best_no is not None and int(r["number"]) == best_no:
            best_rows.append(i)
        dur = _score(r.get("duration_s"))
        body.append(
            [
                int(r["number"]),
                r["status"],
                h.fmt(_score(r["score"])),
                h.fmt(r.get("epochs")),
                who,
                "—" if dur is None else f"{dur:.1f}",
                *(h.fmt_value(config[p]) if p in config else "—" for p in params),
            ]
        )
    return h.table(headers, body, numeric=(0, 2, 3, 5), highlight=best_rows)


def _key_params(rows: Sequence[Mapping[str, Any]], imp: Importances) -> list[str]:
    present: set[str] = set()
    for r in rows:
        if isinstance(r.get("config"), Mapping):
            present.update(r["config"])
    ranked = sorted(imp.values, key=lambda k: imp.values[k], reverse=True)
    extra = [p for p in ranked[:2] if p not in KEY_PARAMS]
    return [p for p in (*KEY_PARAMS, *extra) if p in present]


def _kb_caption(kb_trials: pd.DataFrame | None, n: int, given: int) -> str:
    names: list[str] = []
    if kb_trials is not None:
        col = next((c for c in ("dataset", "dataset_name") if c in kb_trials.columns), None)
        if col is not None:
            names = [str(x) for x in dict.fromkeys(kb_trials[col].dropna())]
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    where = f" on {len(names)} similar datasets ({shown})" if names else ""
    scale = (
        "; each trial's value is its percentile rank within its dataset" if len(names) > 1 else ""
    )
    return (
        f"fANOVA over {n if given <= n else f'a random {n} of {given}'} knowledge-base "
        f"trials{where}{scale}: which hyperparameters mattered on "
        "datasets like this one."
    )


def search_report_html(
    result: SearchResult,
    *,
    dataset_name: str,
    kb_trials: pd.DataFrame | None = None,
) -> str:
    """The report of a search as HTML text (see :func:`write_search_report`)."""
    records = result.trials.to_dict("records") if result.trials is not None else []
    rows: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in records]
    rows.sort(key=lambda r: int(r["number"]))
    trials = _study_trials(result, {int(r["number"]) for r in rows})
    statuses = {int(r["number"]): str(r["status"]) for r in rows}
    best_no = _best_number(rows, _score(result.best_score))
    default = _score(getattr(result, "default_score", None))
    objective = str(result.objective)

    parts = [_header(result, dataset_name, rows, best_no)]
    if rows:
        history = h.figure(
            "fig-history",
            history_png(rows, objective, default),
            "Search history: score of each trial and the best so far",
            "Each trial's validation score by trial number (colour: status); the green steps "
            "are the best score so far"
            + (
                "; the dashed line is the default recipe's score at the same budget."
                if default is not None
                else "."
            ),
        )
    else:
        history = h.note("The search ran no trial.")
    parts.append(h.section("Search history", history))

    png = curves_png(trials, statuses, best_no, objective, default)
    curves = (
        h.note("No trial reported a learning curve (the study's trials were not available).")
        if png is None
        else h.figure(
            "fig-curves",
            png,
            "Learning curves: validation objective per epoch",
            "Validation objective after each epoch. The best trial is green; pruned trials "
            "(orange) end where successive halving stopped them.",
        )
    )
    parts.append(h.section("Learning curves", curves))

    own = trial_importances(trials)
    parts.append(
        h.section(
            "Hyperparameter importance in this search",
            _importance_part(
                own,
                "fig-importance",
                "Importance in this search",
                f"Optuna's fANOVA importance over this search's {own.n_given} complete trials"
                + (f" (a random {own.n_trials} of them)" if own.n_given > own.n_trials else "")
                + "; few trials make it rough.",
                "Hyperparameter importance in this search",
            ),
        )
    )
    kb = kb_importances(kb_trials, study_distributions(trials))
    parts.append(
        h.section(
            "Hyperparameter importance on similar datasets",
            _importance_part(
                kb,
                "fig-kb-importance",
                "Importance on the nearest knowledge-base datasets",
                _kb_caption(kb_trials, kb.n_trials, kb.n_given),
                "Hyperparameter importance on similar datasets",
            ),
        )
    )
    params = _key_params(rows, own)
    parts.append(
        h.section(
            "Trials",
            _trial_table(rows, _proposers(rows, trials), params, best_no)
            if rows
            else h.note("The search ran no trial."),
        )
    )
    if result.best_config:
        parts.append(
            h.section(
                "Best configuration",
                h.facts([(k, h.fmt_value(v)) for k, v in result.best_config.items()], wide=True),
            )
        )
    return h.page(
        f"Search report: {dataset_name}",
        f"{result.strategy} search, {result.n_trials} trials, objective {objective}",
        *parts,
    )


def write_search_report(
    result: SearchResult,
    path: str | Path,
    *,
    dataset_name: str,
    kb_trials: pd.DataFrame | None = None,
) -> Path:
    """Write the report of a search to one self-contained HTML file.

    Parameters
    ----------
    result : SearchResult
        What :meth:`advisor.facade.Advisor.search` returned (its ``study`` gives the learning
        curves; ``default_score``, when the result has it, the line for ``default``).
    path : str or Path
        The ``.html`` file to write (parent directories are created).
    dataset_name : str
        The dataset's name in the header.
    kb_trials : DataFrame, optional
        Knowledge-base trials on the nearest datasets: ``config`` (dict) and ``value`` (or
        ``score``), optionally ``dataset`` (or ``dataset_name``), for the importance on
        similar datasets; without it (or with fewer than 10 usable rows) a sentence instead.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    MissingDependencyError
        Without matplotlib (the extra ``report``).
    ConfigError
        When ``path`` cannot be written.
    """
    return h.write_page(
        search_report_html(result, dataset_name=dataset_name, kb_trials=kb_trials), path
    )
