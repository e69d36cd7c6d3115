"""Trials of the ``mlp`` space: (dataset split, configuration, epoch budget, seed) -> learning
curve + metrics, one at a time or many at once.

:func:`run_trials` groups the trials it is given by what they must share to train as one stack
(architecture shape, feature encoding, batch size, optimizer; see
:mod:`advisor.trials.engine`) and trains each group in one vectorised loop: all seeds of a
configuration, and configurations that differ only in learning rate, momentum, weight decay,
dropout, label smoothing or schedules, cost little more than one. :func:`run_trial` is one
trial. Each trial keeps its own random streams, so its outcome does not depend on what it was
grouped with (up to floating-point rounding).

A trial reports its **best epoch**: ``score`` and ``metrics`` are the validation objective and
metrics of the epoch with the best objective (the model a user gets), the learning curve keeps
every epoch. Statuses: ``complete``; ``pruned`` (the epoch hook said stop); ``diverged`` (a
non-finite loss or prediction: on the CPU at that step, on CUDA within 32 steps); ``timeout``;
``failed`` (an exception). Tensors stay on the device (``device="auto"`` uses CUDA when there
is one); on the CPU the same configuration, data and seed give an identical curve.
"""

from __future__ import annotations

import math
import os
import platform
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from advisor.data import PreparedSplit, SplitCache
from advisor.trials.engine import Member, MemberResult, train_stack
from advisor.trials.metrics import (
    check_objective,
    classification_metrics,
    objective_value,
    regression_metrics,
)
from advisor.trials.network import PL_BINS, Shape
from advisor_core.errors import ConfigError
from advisor_core.spaces import MLP_SPACE, SearchSpace

__all__ = [
    "MAX_EPOCHS",
    "STATUSES",
    "EpochCallback",
    "EpochRecord",
    "StackEpochCallback",
    "TrialResult",
    "TrialSpec",
    "hardware_description",
    "resolve_device",
    "run_trial",
    "run_trials",
    "set_threads",
    "shape_of",
]

STATUSES = ("complete", "pruned", "failed", "diverged", "timeout")
MAX_EPOCHS = 1000
#: ``on_epoch(epoch, objective)``; return True to stop the trial as ``pruned``.
EpochCallback = Callable[[int, float], bool]
#: ``on_epoch(index, epoch, objective)`` of :func:`run_trials` (``index`` into its specs).
StackEpochCallback = Callable[[int, int, float], bool]


@dataclass(frozen=True)
class EpochRecord:
    """One point of a learning curve (validation objective, mean training loss)."""

    epoch: int
    objective: float | None
    train_loss: float | None
    valid_loss: float | None


@dataclass(frozen=True)
class TrialResult:
    """The immutable outcome of one trial (``score``/``metrics``: its best epoch's)."""

    config: dict[str, Any]
    task: str
    objective: str
    status: str
    score: float | None
    epochs: int
    max_epochs: int
    seed: int
    learning_curve: tuple[EpochRecord, ...]
    metrics: dict[str, float]
    runtime_s: float
    device: str
    n_train: int
    n_valid: int
    message: str | None = None
    best_epoch: int | None = None
    space_version: int = MLP_SPACE.version
    extra: dict[str, Any] = field(default_factory=dict)

    def curve(self) -> list[dict[str, Any]]:
        """The learning curve as JSON-ready dicts (epoch, objective, train and valid loss)."""
        return [asdict(e) for e in self.learning_curve]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["learning_curve"] = self.curve()
        return d


@dataclass(frozen=True)
class TrialSpec:
    """One trial to run: a configuration (completed from the space's default), its seed, its
    epoch budget, the schedules' horizon (default: the budget) and a time limit (seconds)."""

    config: Mapping[str, Any]
    seed: int = 0
    epochs: int = 20
    horizon: int | None = None
    time_limit: float | None = None


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` picks CUDA when present, else the CPU; ``cpu``/``cuda``/``cuda:N`` as given."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ConfigError(f"device is {device!r}, but must be auto, cpu, cuda or cuda:N") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device is {device!r}, but CUDA is not available on this machine")
    if dev.type not in ("cpu", "cuda"):
        raise ConfigError(f"device is {device!r}, but must be auto, cpu, cuda or cuda:N")
    return dev


def set_threads(n: int) -> None:
    """Torch threads of this process (1 per worker process when trials run in parallel)."""
    torch.set_num_threads(max(1, int(n)))


def hardware_description(device: torch.device | None = None) -> str:
    dev = device or torch.device("cpu")
    if dev.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(dev)}"
    return f"cpu:{platform.machine()}x{os.cpu_count()}:threads{torch.get_num_threads()}"


def _bin_edges(X: np.ndarray, columns: Sequence[int]) -> tuple[tuple[float, ...], ...]:
    """Quantile bin edges of each numeric column (piecewise-linear embeddings)."""
    qs = np.linspace(0.0, 1.0, PL_BINS + 1)
    return tuple(
        tuple(float(v) for v in np.unique(np.quantile(X[:, j], qs))) or (0.0, 1.0) for j in columns
    )


def shape_of(config: Mapping[str, Any], split: PreparedSplit) -> Shape:
    """The network shape of ``config`` on ``split`` (what stacked models must share)."""
    emb = str(config["numerical_embedding"])
    numeric = split.numeric_columns if emb != "none" else ()
    return Shape(
        n_inputs=split.n_features,
        n_outputs=split.n_classes if split.task == "classification" else 1,
        num_layers=int(config["num_layers"]),
        width=int(config["width"]),
        activation=str(config["activation"]),
        normalization=str(config["normalization"]),
        numerical_embedding=emb,
        parametrization=str(config["parametrization"]),
        numeric_columns=tuple(numeric),
        bin_edges=_bin_edges(split.X_train, numeric) if emb == "piecewise_linear" else (),
        categorical_columns=split.categorical_columns,
        cardinalities=split.cardinalities,
    )


def _stack_key(config: Mapping[str, Any]) -> tuple[Any, ...]:
    shape_keys = (
        "num_layers",
        "width",
        "activation",
        "normalization",
        "numerical_embedding",
        "parametrization",
    )
    encoding = (config["feature_scaling"], config["categorical_encoding"])
    return (*encoding, *(config[k] for k in shape_keys), config["batch_size"], config["optimizer"])


def _evaluation(split: PreparedSplit, objective: str) -> Any:
    def evaluate(pred: np.ndarray) -> tuple[dict[str, float], float | None, float | None]:
        if not np.all(np.isfinite(pred)):
            return {}, None, None
        if split.task == "classification":
            m = classification_metrics(split.y_valid, pred)
            return m, objective_value(m, objective), m["log_loss"]
        y = split.target_encoder.inverse(split.y_valid)
        m = regression_metrics(y, split.target_encoder.inverse(pred))
        return m, objective_value(m, objective), float(np.mean((pred - split.y_valid) ** 2))

    return evaluate


def _check_budget(spec: TrialSpec) -> None:
    e = spec.epochs
    if isinstance(e, bool) or not isinstance(e, int) or not 1 <= e <= MAX_EPOCHS:
        raise ConfigError(f"epochs is {e!r}, but must be an integer in [1, {MAX_EPOCHS}]")
    if spec.time_limit is not None and not spec.time_limit > 0:
        raise ConfigError(f"time_limit is {spec.time_limit!r}, but must be > 0 seconds")


def run_trials(
    data: SplitCache | PreparedSplit,
    specs: Sequence[TrialSpec],
    *,
    device: str = "auto",
    objective: str | None = None,
    on_epoch: StackEpochCallback | None = None,
    keep: str | None = None,
    space: SearchSpace = MLP_SPACE,
    deadline: float | None = None,
) -> tuple[list[TrialResult], list[tuple[PreparedSplit, Shape, dict[str, torch.Tensor]] | None]]:
    """Train every trial of ``specs`` on ``data``, stacking those that can train together.

    Returns the results in the order of ``specs`` and, with ``keep`` (``"best"`` or
    ``"last"``), each trial's split, shape and kept parameters (``None`` where it failed).
    With a ``deadline`` (``time.time()``) every stack, however late it starts, stops as
    ``timeout`` at the first epoch's end past it.
    """
    configs = [space.validate(dict(s.config), complete=True) for s in specs]
    for s in specs:
        _check_budget(s)
    dev = resolve_device(device)
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for i, c in enumerate(configs):
        groups[_stack_key(c)].append(i)
    results: list[TrialResult | None] = [None] * len(specs)
    kept: list[tuple[PreparedSplit, Shape, dict[str, torch.Tensor]] | None] = [None] * len(specs)
    for index in groups.values():
        first = configs[index[0]]
        split = (
            data.prepared(first["feature_scaling"], first["categorical_encoding"])
            if isinstance(data, SplitCache)
            else data
        )
        obj = check_objective(split.task, objective)
        members = [
            Member(
                configs[i],
                int(specs[i].seed),
                specs[i].epochs,
                max(specs[i].epochs, specs[i].horizon or specs[i].epochs),
                _limit(specs[i].time_limit, deadline),
            )
            for i in index
        ]
        hook = None if on_epoch is None else _member_hook(on_epoch, index)

        t0 = time.perf_counter()
        shape = shape_of(first, split)
        try:
            outs = train_stack(
                shape,
                members,
                split.X_train,
                split.y_train,
                split.X_valid,
                _evaluation(split, obj),
                task=split.task,
                batch_size=int(first["batch_size"]),
                optimizer=str(first["optimizer"]),
                device=dev,
                on_epoch=hook,
                keep=keep,
                y_range=_y_range(split),
            )
        except (RuntimeError, ValueError, MemoryError, IndexError) as exc:
            text = str(exc).strip()
            message = f"{type(exc).__name__}: {text.splitlines()[0][:300] if text else ''}"
            outs = [MemberResult(status="failed", message=message) for _ in members]
            for o in outs:
                o.runtime_s = time.perf_counter() - t0
        for i, m, out in zip(index, members, outs, strict=True):
            results[i] = _result(out, m, split, obj, dev)
            if keep and out.state is not None and out.status != "diverged":
                kept[i] = (split, shape, out.state)
    return [r for r in results if r is not None], kept


def _limit(time_limit: float | None, deadline: float | None) -> float | None:
    """A stack's time limit: the trial's own, and no later than ``deadline``."""
    if deadline is None:
        return time_limit
    left = max(1e-3, deadline - time.time())
    return left if time_limit is None else min(time_limit, left)


def _member_hook(
    on_epoch: StackEpochCallback, index: list[int]
) -> Callable[[int, int, float], bool]:
    """The stack's hook (member of the group) as the caller's (index into its specs)."""
    return lambda member, epoch, value: on_epoch(index[member], epoch, value)


def _y_range(split: PreparedSplit) -> tuple[float, float] | None:
    if split.task != "regression":
        return None
    return float(np.min(split.y_train)), float(np.max(split.y_train))


def _result(
    out: MemberResult, member: Member, split: PreparedSplit, objective: str, dev: torch.device
) -> TrialResult:
    curve = tuple(EpochRecord(e, v, tl, vl) for e, v, tl, vl in out.curve)
    scored = out.status in ("complete", "pruned", "timeout") and out.best_epoch > 0
    return TrialResult(
        config=dict(member.config),
        task=split.task,
        objective=objective,
        status=out.status,
        score=float(out.best_value) if scored and math.isfinite(out.best_value) else None,
        epochs=len(curve),
        max_epochs=member.epochs,
        seed=member.seed,
        learning_curve=curve,
        metrics=dict(out.best_metrics) if scored else {},
        runtime_s=out.runtime_s,
        device=str(dev),
        n_train=int(split.X_train.shape[0]),
        n_valid=int(split.X_valid.shape[0]),
        message=out.message,
        best_epoch=out.best_epoch if scored else None,
    )


def run_trial(
    data: SplitCache | PreparedSplit,
    config: Mapping[str, Any],
    *,
    epochs: int = 20,
    seed: int = 0,
    device: str = "auto",
    time_limit: float | None = None,
    on_epoch: EpochCallback | None = None,
    objective: str | None = None,
    max_epochs: int | None = None,
) -> TrialResult:
    """Train ``config`` for ``epochs`` on ``data`` and return its :class:`TrialResult`.

    ``max_epochs`` is the planned horizon of the schedules (defaults to ``epochs``), so a
    trial stopped early by a pruner follows the same curve as a full one.
    """
    hook = None if on_epoch is None else (lambda _i, epoch, value: on_epoch(epoch, value))
    spec = TrialSpec(config, seed, epochs, max_epochs, time_limit)
    results, _ = run_trials(data, [spec], device=device, objective=objective, on_epoch=hook)
    return results[0]
