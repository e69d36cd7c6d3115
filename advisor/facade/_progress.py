"""Progress of a long Python call on the terminal: a Rich bar on stderr, shown only when
stderr is a terminal unless asked (``progress=True``) or turned off (``progress=False``)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["ProgressCallback", "progress_bar", "wants_progress"]

ProgressCallback = Callable[[int, float | None], None]


def wants_progress(progress: bool | None) -> bool:
    """Whether to show progress.

    Parameters
    ----------
    progress : bool or None
        As given; ``None``: whether stderr is a terminal.

    Returns
    -------
    bool
    """
    if progress is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(progress)


@contextmanager
def progress_bar(
    label: str, n_trials: int | None, time_budget: float | None
) -> Iterator[ProgressCallback]:
    """A Rich bar on stderr of trials done (or of seconds used, with a time budget alone) and
    the best score so far.

    Parameters
    ----------
    label : str
        What is counted (``"trials"``, ``"configurations"``).
    n_trials : int or None
        The total, when known.
    time_budget : float or None
        The budget in seconds, shown instead when there is no total.

    Yields
    ------
    callable
        ``on_progress(finished, best_score)``, which moves the bar.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("best {task.fields[best]}"),
        TimeElapsedColumn(),
    )
    started = time.time()
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(label, total=n_trials, best="-")

        def update(done: int, best: float | None) -> None:
            text = "-" if best is None else f"{best:.4f}"
            if n_trials is None and time_budget:
                used = min(time.time() - started, time_budget)
                bar.update(task, completed=int(used), total=int(time_budget), best=text)
            else:
                bar.update(task, completed=done, best=text)

        yield update
