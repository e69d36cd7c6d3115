"""Shared studies whose workers may die: heartbeats, lost trials and their one retry.

A study in an RDB storage (SQLite, PostgreSQL) is opened with Optuna's heartbeat: every
running trial records a heartbeat every ``heartbeat`` seconds, and a trial whose heartbeat is
older than ``GRACE_BEATS`` intervals (its process was killed, or its machine lost) is *lost*:
the next worker to start a trial marks it failed and enqueues its configuration again, once
(Optuna's ``RetryHeartbeatStaleTrialCallback``). A lost trial does not count in the trial
budget; its retry does. A worker whose own budget is spent waits, before it returns, until no
trial of the study is running (the others' trials finish, or are lost and retried), so that no
trial is left RUNNING for ever while one worker is left. All workers of a study beat at its
first worker's interval (kept in the study). Several workers need PostgreSQL: SQLite cannot
lock the row of a trial that two workers find lost at once (it may then be retried twice).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import optuna
from optuna.exceptions import ExperimentalWarning
from optuna.storages import RDBStorage
from optuna.trial import FrozenTrial, TrialState

__all__ = [
    "GRACE_BEATS",
    "HEARTBEAT_S",
    "WORKER",
    "beating",
    "is_retry",
    "judged",
    "lost_numbers",
    "open_storage",
    "original_number",
    "settle",
    "worker_name",
]

#: Seconds between two heartbeats of a running trial (``advisor search --heartbeat``).
HEARTBEAT_S = 10
#: Heartbeat intervals without a beat after which a running trial is lost.
GRACE_BEATS = 3
#: User attribute naming the worker (host and process) that ran a trial.
WORKER = "worker"
#: System attributes of a retry (Optuna's ``RetryHeartbeatStaleTrialCallback``): the lost
#: trial's number, and the numbers of every lost trial it descends from.
RETRIED, HISTORY = "failed_trial", "retry_history"
#: Trials started or finished, by any process (not the enqueued ones still waiting).
STARTED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING)


#: A heartbeat that could not be read.
_UNKNOWN = object()
#: Optuna's one-retry callback (renamed in Optuna 5; the old name warns there).
_RETRY: Any = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None)
if _RETRY is None:  # Optuna 4
    _RETRY = optuna.storages.RetryFailedTrialCallback


def worker_name() -> str:
    """This process as a worker: ``host:pid``.

    Returns
    -------
    str
    """
    return f"{socket.gethostname()}:{os.getpid()}"


def open_storage(url: str | None, heartbeat: int = HEARTBEAT_S) -> str | RDBStorage | None:
    """The storage of a study: an RDB URL opens with heartbeats and the one-retry rule.

    Parameters
    ----------
    url : str or None
        An Optuna storage URL (``sqlite:///...``, ``postgresql://...``), or ``None`` (a
        study in memory, which no other process can join).
    heartbeat : int, default=10
        Seconds between heartbeats; a trial silent for ``GRACE_BEATS`` of them is lost.

    Returns
    -------
    str, RDBStorage or None
        What :func:`optuna.create_study` takes (other URLs, such as a journal file, unchanged).
    """
    if url is None or "://" not in url or url.startswith(("grpc", "journal")):
        return url
    with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna since 2.9
        warnings.simplefilter("ignore", ExperimentalWarning)
        return RDBStorage(
            url,
            heartbeat_interval=heartbeat,
            grace_period=GRACE_BEATS * heartbeat,
            heartbeat_stale_trial_callback=_RETRY(max_retry=1),
        )


def original_number(trial: FrozenTrial) -> int:
    """The number of the trial that ``trial`` retries, else its own.

    Parameters
    ----------
    trial : optuna.trial.FrozenTrial

    Returns
    -------
    int
    """
    first = trial.system_attrs.get(RETRIED)
    return trial.number if first is None else int(first)


def is_retry(trial: FrozenTrial) -> bool:
    """Whether ``trial`` retries a lost one.

    Parameters
    ----------
    trial : optuna.trial.FrozenTrial

    Returns
    -------
    bool
    """
    return trial.system_attrs.get(RETRIED) is not None


def lost_numbers(trials: Sequence[FrozenTrial]) -> set[int]:
    """Numbers of the trials that were lost (their retries name them).

    Parameters
    ----------
    trials : sequence of optuna.trial.FrozenTrial
        A study's trials.

    Returns
    -------
    set of int
    """
    return {int(n) for t in trials for n in t.system_attrs.get(HISTORY, ())}


def judged(study: optuna.Study) -> int:
    """Trials that count in the budget: started or finished, by any process, less the lost
    ones and the surplus ones of a shared study.

    Parameters
    ----------
    study : optuna.Study

    Returns
    -------
    int
    """
    trials = study.get_trials(deepcopy=False)
    lost = lost_numbers(trials)
    return sum(
        1
        for t in trials
        if t.state in STARTED and t.number not in lost and not t.user_attrs.get("surplus")
    )


def _trial_ids(storage: Any, study: optuna.Study, numbers: Sequence[int]) -> list[int]:
    """The storage ids of a study's trials."""
    study_id = storage.get_study_id_from_name(study.study_name)
    return [storage.get_trial_id_from_study_id_trial_number(study_id, n) for n in numbers]


def _interval(storage: Any) -> int | None:
    """The storage's heartbeat interval (``None``: no heartbeats)."""
    if not isinstance(storage, RDBStorage):
        return None
    return storage.get_heartbeat_interval()


@contextmanager
def beating(storage: Any, study: optuna.Study, numbers: Sequence[int]) -> Iterator[None]:
    """Record heartbeats of the study's trials ``numbers`` while the block runs (trials asked
    outside :meth:`optuna.Study.optimize`, which beats for its own); nothing without
    heartbeats.

    Parameters
    ----------
    storage : optuna.storages.RDBStorage or other
        The study's storage, as :func:`open_storage` gave it.
    study : optuna.Study
        The study.
    numbers : sequence of int
        Numbers of the running trials.
    """
    interval = _interval(storage)
    if not interval or not numbers:
        yield
        return
    trial_ids = _trial_ids(storage, study, numbers)
    stop = threading.Event()

    def beat() -> None:
        while True:
            for tid in trial_ids:
                with contextlib.suppress(Exception):  # a transient error: beat again later
                    storage.record_heartbeat(tid)
            if stop.wait(interval):
                return

    thread = threading.Thread(target=beat, name="advisor-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def settle(
    study: optuna.Study,
    storage: Any,
    run_retry: Callable[[], None],
    deadline: float | None = None,
) -> None:
    """Before a worker returns: fail the lost trials, run their retries, and wait until no
    trial of the study is running (the others' trials finish, or their workers died and they
    are lost and retried here), so that none is left RUNNING for ever while a worker is left.
    A running trial that never beat for ``GRACE_BEATS`` intervals (its worker died between
    taking it and its first beat, which Optuna's own check does not see) is lost too.

    Parameters
    ----------
    study : optuna.Study
        The shared study.
    storage : optuna.storages.RDBStorage
        Its storage (nothing is done without heartbeats).
    run_retry : callable
        Trains one waiting trial (``study.optimize(objective, n_trials=1)``).
    deadline : float, optional
        ``time.time()`` after which the worker stops waiting (its time budget).
    """
    interval = _interval(storage)
    if not interval:
        return
    grace = GRACE_BEATS * interval
    unbeaten: dict[int, float] = {}  # trial id -> when first seen without a heartbeat
    while deadline is None or time.time() < deadline:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
        trials = study.get_trials(deepcopy=False)
        if any(t.state == TrialState.WAITING and is_retry(t) for t in trials):
            run_retry()
            continue
        running = [t.number for t in trials if t.state == TrialState.RUNNING]
        if not running:
            return
        now, silent = time.time(), []
        for tid in _trial_ids(storage, study, running):
            beat = _last_heartbeat(storage, tid)
            if beat is None:
                if now - unbeaten.setdefault(tid, now) > grace:
                    silent.append(tid)
            elif beat is not _UNKNOWN:
                unbeaten.pop(tid, None)
        if silent:
            _fail_silent(study, storage, silent)
            continue
        time.sleep(min(1.0, interval / 2))


def _fail_silent(study: optuna.Study, storage: Any, trial_ids: list[int]) -> None:
    """Fail running trials that never beat and hand them to the retry callback."""
    callback = storage.get_heartbeat_stale_trial_callback()
    for tid in trial_ids:
        try:
            changed = storage.set_trial_state_values(tid, state=TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:  # finished or failed meanwhile
            continue
        if changed and callback is not None:
            callback(study, storage.get_trial(tid))


def _last_heartbeat(storage: Any, trial_id: int) -> Any:
    """The storage's last heartbeat of a trial: ``None`` when it has none, ``_UNKNOWN`` when
    it cannot be read (a transient error is no evidence of a dead worker)."""
    try:
        from optuna.storages._rdb import models

        with storage.scoped_session() as session:
            row = models.TrialHeartbeatModel.where_trial_id(trial_id, session)
            return None if row is None else row.heartbeat
    except Exception:
        return _UNKNOWN
