"""The trial runner before the stacked engine (space ``mlp`` version 1), kept as the baseline of
``bench_engine.py``: one ``nn.Sequential`` and one ``torch.optim`` optimizer per trial.

One short PyTorch trial: (dataset split, config, epoch budget, seed) -> learning curve + metrics.

Tensors stay on the device and batches are slices of a per-epoch permutation (no DataLoader,
no per-batch host transfers). On the CPU the same config, data and seed give an identical
curve. A non-finite loss stops the trial as ``diverged`` (on the CPU at the very step; on CUDA
within 32 steps, the step itself is reported); exceptions become ``failed``; a time limit gives
``timeout``; an epoch callback that returns ``True`` gives ``pruned``.
"""

from __future__ import annotations

import math
import os
import platform
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import numpy as np
import torch
from torch import nn

from advisor.data import PreparedSplit, SplitCache
from advisor.trials.metrics import (
    check_objective,
    classification_metrics,
    objective_value,
    regression_metrics,
)
from advisor_core.errors import ConfigError
from advisor_core.spaces import MLP_SPACE_V1 as MLP_SPACE
from advisor_core.spaces import SearchSpace
from benchmarks.engine.single_model import build_mlp, build_optimizer, lr_factor

__all__ = [
    "MAX_EPOCHS",
    "STATUSES",
    "EpochCallback",
    "EpochRecord",
    "TrialResult",
    "hardware_description",
    "resolve_device",
    "run_trial",
    "set_threads",
    "train",
]

STATUSES = ("complete", "pruned", "failed", "diverged", "timeout")
MAX_EPOCHS = 1000
#: ``on_epoch(epoch, objective)``; return True to stop the trial as ``pruned``.
EpochCallback = Callable[[int, float], bool]
_EVAL_CHUNK = 8192


@dataclass(frozen=True)
class EpochRecord:
    """One point of a learning curve (validation objective, mean training loss)."""

    epoch: int
    objective: float | None
    train_loss: float | None
    valid_loss: float | None


@dataclass(frozen=True)
class TrialResult:
    """The immutable outcome of one trial."""

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
    extra: dict[str, Any] = field(default_factory=dict)

    def curve(self) -> list[dict[str, Any]]:
        """The learning curve as JSON-ready dicts (epoch, objective, train and valid loss)."""
        return [asdict(e) for e in self.learning_curve]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["learning_curve"] = self.curve()
        return d


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


def _predict(model: nn.Module, X: torch.Tensor, task: str) -> np.ndarray:
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, X.shape[0], _EVAL_CHUNK):
            out = model(X[i : i + _EVAL_CHUNK])
            if task == "classification":
                out = torch.softmax(out.float(), dim=1)
            else:
                out = out.float().squeeze(1)
            outs.append(out)
    return torch.cat(outs).cpu().numpy().astype(np.float64)


def _evaluate(
    model: nn.Module,
    X: torch.Tensor,
    split: PreparedSplit,
) -> tuple[dict[str, float], float | None]:
    out = _predict(model, X, split.task)
    if not np.all(np.isfinite(out)):
        return {}, None
    if split.task == "classification":
        m = classification_metrics(split.y_valid, out)
        return m, m["log_loss"]
    y = split.target_encoder.inverse(split.y_valid)
    pred = split.target_encoder.inverse(out)
    m = regression_metrics(y, pred)
    return m, float(np.mean((out - split.y_valid) ** 2))


def _batches(n: int, batch_size: int) -> list[tuple[int, int]]:
    bs = min(batch_size, n)
    spans = [(i, min(i + bs, n)) for i in range(0, n, bs)]
    if len(spans) > 1 and spans[-1][1] - spans[-1][0] < 2:
        spans.pop()  # a batch of one breaks batch norm and adds only noise
    return spans


def train(
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
    space: SearchSpace = MLP_SPACE,
) -> tuple[TrialResult, nn.Module | None, PreparedSplit]:
    """Train one configuration; return the result, the final model (if any) and the split."""
    cfg = space.validate(config)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= MAX_EPOCHS:
        raise ConfigError(f"epochs is {epochs!r}, but must be an integer in [1, {MAX_EPOCHS}]")
    horizon = max(epochs, max_epochs or epochs)
    if time_limit is not None and not time_limit > 0:
        raise ConfigError(f"time_limit is {time_limit!r}, but must be > 0 seconds")
    split = data.prepared(cfg["feature_scaling"]) if isinstance(data, SplitCache) else data
    obj = check_objective(split.task, objective)
    dev = resolve_device(device)
    t0 = time.perf_counter()
    curve: list[EpochRecord] = []
    status, message = "complete", None
    metrics: dict[str, float] = {}
    model: nn.Module | None = None
    try:
        torch.manual_seed(seed)
        gen = torch.Generator(device="cpu").manual_seed(seed)
        X_tr = torch.from_numpy(split.X_train).to(dev)
        X_va = torch.from_numpy(split.X_valid).to(dev)
        if split.task == "classification":
            y_tr = torch.from_numpy(split.y_train).to(dev)
            n_out, loss_fn = split.n_classes, cast(nn.Module, nn.CrossEntropyLoss())
        else:
            y_tr = torch.from_numpy(split.y_train).to(dev).unsqueeze(1)
            n_out, loss_fn = 1, nn.MSELoss()
        model = build_mlp(split.n_features, n_out, cfg).to(dev)
        opt = build_optimizer(model, cfg)
        base_lr = float(cfg["learning_rate"])
        spans = _batches(X_tr.shape[0], int(cfg["batch_size"]))
        check_every = 1 if dev.type == "cpu" else 32
        for epoch in range(1, epochs + 1):
            for g in opt.param_groups:
                g["lr"] = base_lr * lr_factor(cfg["lr_schedule"], (epoch - 1) / horizon)
            model.train()
            perm = torch.randperm(X_tr.shape[0], generator=gen).to(dev)
            Xp, yp = X_tr[perm], y_tr[perm]
            losses = torch.zeros(len(spans), device=dev)
            bad_step, checked = None, 0
            for s, (a, b) in enumerate(spans):
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(Xp[a:b]), yp[a:b])
                losses[s] = loss.detach()
                if (s + 1) % check_every == 0 or s == len(spans) - 1:
                    window = losses[checked : s + 1]
                    if not bool(torch.isfinite(window).all().item()):
                        bad_step = checked + int((~torch.isfinite(window)).nonzero()[0].item())
                        break
                    checked = s + 1
                loss.backward()
                opt.step()
                if time_limit is not None and time.perf_counter() - t0 > time_limit:
                    status = "timeout"
                    break
            if bad_step is not None:
                status = "diverged"
                message = f"non-finite training loss at epoch {epoch}, step {bad_step + 1}"
                break
            if status == "timeout":
                message = f"time limit of {time_limit:g} s reached during epoch {epoch}"
                break
            train_loss = float(losses.mean().item())
            metrics, valid_loss = _evaluate(model, X_va, split)
            value = objective_value(metrics, obj)
            if value is None or not math.isfinite(value):
                status = "diverged"
                message = f"non-finite validation predictions at epoch {epoch}"
                metrics = {}
                break
            curve.append(EpochRecord(epoch, value, train_loss, valid_loss))
            if on_epoch is not None and on_epoch(epoch, value):
                status = "pruned"
                break
            if time_limit is not None and time.perf_counter() - t0 > time_limit and epoch < epochs:
                status = "timeout"
                message = f"time limit of {time_limit:g} s reached after epoch {epoch}"
                break
    except (RuntimeError, ValueError, MemoryError, IndexError) as exc:
        status = "failed"
        text = str(exc).strip()
        message = f"{type(exc).__name__}: {text.splitlines()[0][:300] if text else ''}"
        model = None
    score = curve[-1].objective if curve and status in ("complete", "pruned", "timeout") else None
    if status in ("diverged", "failed"):
        metrics = {}
    result = TrialResult(
        config=cfg,
        task=split.task,
        objective=obj,
        status=status,
        score=score,
        epochs=len(curve),
        max_epochs=epochs,
        seed=seed,
        learning_curve=tuple(curve),
        metrics=dict(metrics) if curve else {},
        runtime_s=time.perf_counter() - t0,
        device=str(dev),
        n_train=int(split.X_train.shape[0]),
        n_valid=int(split.X_valid.shape[0]),
        message=message,
    )
    return result, (model if status in ("complete", "pruned", "timeout") else None), split


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

    ``max_epochs`` is the planned horizon of the learning-rate schedule (defaults to
    ``epochs``), so a trial stopped early by a pruner follows the same curve as a full one.
    """
    result, _, _ = train(
        data,
        config,
        epochs=epochs,
        seed=seed,
        device=device,
        time_limit=time_limit,
        on_epoch=on_epoch,
        objective=objective,
        max_epochs=max_epochs,
    )
    return result
