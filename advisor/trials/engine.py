"""Training a stack of models in one loop: each keeps its own curve, status and best epoch.

Models that share a :class:`~advisor.trials.network.Shape`, a batch size and an optimizer train
together (one forward and backward pass per step for all of them); everything else is per model:
seed, learning rate, momentum, second-moment decay, weight decay, dropout, label smoothing,
schedules, epoch budget and time limit. A model that diverges (non-finite loss) leaves the
stack at that step and the others go on; a model that reaches its budget, is pruned or runs out
of time leaves at the end of the epoch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from advisor.trials.network import Shape, StackedMLP
from advisor.trials.optim import StackedOptimizer, lr_factor, reg_factor

__all__ = ["EpochHook", "Evaluation", "Member", "MemberResult", "predict", "train_stack"]

#: ``hook(member, epoch, objective)``; return True to stop that member as ``pruned``.
EpochHook = Callable[[int, int, float], bool]
#: ``evaluate(predictions)`` -> (metrics, objective, validation loss) of one model.
Evaluation = Callable[[np.ndarray], tuple[dict[str, float], float | None, float | None]]
_EVAL_CHUNK = 8192
_DROPOUT_STREAM = 1_000_003
#: Rows used by the data-dependent initialisation of the ``ntk`` parametrization.
_INIT_ROWS = 4096


@dataclass(frozen=True)
class Member:
    """One model of a stack: its configuration, seed and budget.

    ``horizon`` is the schedules' planned number of epochs (at least ``epochs``: a trial
    stopped early by a pruner follows the same schedule as a full one).
    """

    config: Mapping[str, Any]
    seed: int
    epochs: int
    horizon: int
    time_limit: float | None = None


@dataclass
class MemberResult:
    """What one model did: status, curve ``(epoch, objective, train_loss, valid_loss)``,
    its best epoch and, when asked for, the parameters of the best (or last) epoch."""

    status: str = "complete"
    message: str | None = None
    curve: list[tuple[int, float, float, float | None]] = field(default_factory=list)
    best_epoch: int = 0
    best_value: float = -math.inf
    best_metrics: dict[str, float] = field(default_factory=dict)
    last_metrics: dict[str, float] = field(default_factory=dict)
    state: dict[str, torch.Tensor] | None = None
    runtime_s: float = 0.0


def _spans(n: int, batch_size: int) -> list[tuple[int, int]]:
    bs = min(batch_size, n)
    spans = [(i, min(i + bs, n)) for i in range(0, n, bs)]
    if len(spans) > 1 and spans[-1][1] - spans[-1][0] < 2:
        spans.pop()  # a batch of one breaks batch norm and adds only noise
    return spans


class _Stack:
    """The models still training: the network, the optimizer and the per-model
    hyperparameters (as device tensors for the forward pass and as host floats for the
    optimizer, which takes them as kernel scalars)."""

    def __init__(
        self,
        net: StackedMLP,
        opt: StackedOptimizer,
        hp: dict[str, torch.Tensor],
        host: dict[str, list[float]],
    ):
        self.net, self.opt, self.hp, self.host = net, opt, hp, host

    def keep(self, rows: list[int]) -> None:
        index = torch.tensor(rows, dtype=torch.long, device=self.net.device)
        self.net.keep(index)
        self.opt.keep(index, self.net.parameters())
        self.hp = {k: v[index] for k, v in self.hp.items()}
        self.host = {k: [v[r] for r in rows] for k, v in self.host.items()}


def train_stack(
    shape: Shape,
    members: Sequence[Member],
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_valid: np.ndarray,
    evaluate: Evaluation,
    *,
    task: str,
    batch_size: int,
    optimizer: str,
    device: torch.device,
    on_epoch: EpochHook | None = None,
    keep: str | None = None,
    y_range: tuple[float, float] | None = None,
) -> list[MemberResult]:
    """Train ``members`` (one shape, one batch size, one optimizer) together.

    ``keep``: ``"best"`` keeps each model's parameters at its best validation epoch,
    ``"last"`` at its last epoch, ``None`` none. ``y_range`` clips regression outputs
    (standardized) at evaluation.
    """
    t0 = time.perf_counter()
    gens = [torch.Generator().manual_seed(int(m.seed)) for m in members]
    drop_gens = [
        torch.Generator(device=device).manual_seed(int(m.seed) + _DROPOUT_STREAM) for m in members
    ]
    X_tr = torch.from_numpy(np.ascontiguousarray(X_train, dtype=np.float32)).to(device)
    X_va = torch.from_numpy(np.ascontiguousarray(X_valid, dtype=np.float32)).to(device)
    label = np.int64 if task == "classification" else np.float32
    y_tr = torch.from_numpy(np.asarray(y_train).astype(label)).to(device)
    n = X_tr.shape[0]
    init_rows = X_tr if n <= _INIT_ROWS else X_tr[torch.randperm(n, generator=gens[0])[:_INIT_ROWS]]
    net = StackedMLP(shape, gens, init_batch=init_rows, device=device)

    def col(key: str, default: float) -> list[float]:
        return [float(m.config.get(key, default)) for m in members]

    hp = {  # the forward pass's, on the device
        "dropout": torch.tensor(col("dropout", 0.0), device=device),
        "smoothing": torch.tensor(col("label_smoothing", 0.0), device=device)
        * (1.0 if task == "classification" else 0.0),
    }
    host = {  # the optimizer's kernel scalars
        "lr": col("learning_rate", 1e-3),
        "wd": col("weight_decay", 0.0),
        "momentum": col("momentum", 0.9),
        "beta2": col("beta2", 0.999),
    }
    stack = _Stack(net, StackedOptimizer(net.parameters(), optimizer), hp, host)
    sched = [str(m.config.get("lr_schedule", "constant")) for m in members]
    warm = [float(m.config.get("warmup", 0.0)) for m in members]
    rsched = [str(m.config.get("regularization_schedule", "constant")) for m in members]
    results = [MemberResult() for _ in members]
    alive = list(range(len(members)))  # the member of each stack row
    spans = _spans(n, batch_size)
    steps = len(spans)
    check_every = 1 if device.type == "cpu" else 32
    step = 0

    def leave(rows_out: set[int]) -> None:
        nonlocal alive
        kept = [r for r, _ in enumerate(alive) if r not in rows_out]
        for r in rows_out:
            results[alive[r]].runtime_s = time.perf_counter() - t0
        alive = [alive[r] for r in kept]
        if alive:
            stack.keep(kept)

    for epoch in range(1, max(m.epochs for m in members) + 1):
        stack.net.training = True
        perm = torch.stack([torch.randperm(n, generator=gens[i]) for i in alive]).to(device)
        losses = torch.zeros(len(alive), device=device)
        for k, (a, b) in enumerate(spans):
            idx = perm[:, a:b]
            progress = [step / (members[i].horizon * steps) for i in alive]
            lr_f = [lr_factor(sched[i], t, warm[i]) for i, t in zip(alive, progress, strict=True)]
            reg_f = [reg_factor(rsched[i], t) for i, t in zip(alive, progress, strict=True)]
            h, hh = stack.hp, stack.host
            dropout = h["dropout"]
            if any(f != 1.0 for f in reg_f):
                dropout = dropout * torch.tensor(reg_f, device=device)
            stack.opt.zero_grad()
            out = stack.net.forward(
                X_tr[idx], dropout=dropout, generators=[drop_gens[i] for i in alive]
            )
            loss = _loss(out, y_tr[idx], task, h["smoothing"])
            if (step + 1) % check_every == 0 or (a, b) == spans[-1]:
                bad = ~torch.isfinite(loss.detach())
                if bool(bad.any()):
                    rows_bad = {int(r) for r in bad.nonzero().flatten().tolist()}
                    for r in rows_bad:
                        res = results[alive[r]]
                        res.status = "diverged"
                        res.message = f"non-finite training loss at epoch {epoch}, step {k + 1}"
                    perm = perm[[r for r in range(len(alive)) if r not in rows_bad]]
                    losses = losses[[r for r in range(len(alive)) if r not in rows_bad]]
                    leave(rows_bad)
                    if not alive:
                        return results
                    continue
            losses += loss.detach() * (b - a)
            loss.sum().backward()
            stack.opt.step(
                [v * f for v, f in zip(hh["lr"], lr_f, strict=True)],
                [v * f for v, f in zip(hh["wd"], reg_f, strict=True)],
                hh["momentum"],
                hh["beta2"],
            )
            step += 1
        # -- end of the epoch: each model's outcome ------------------------------------------------
        preds = predict(stack.net, X_va, task, y_range)
        mean_loss = (losses / max(1, spans[-1][1])).cpu().numpy()
        elapsed = time.perf_counter() - t0
        done: set[int] = set()
        for row, i in enumerate(alive):
            res, m = results[i], members[i]
            metrics, value, vloss = evaluate(preds[row])
            if value is None or not math.isfinite(value):
                res.status = "diverged"
                res.message = f"non-finite validation predictions at epoch {epoch}"
                done.add(row)
                continue
            res.curve.append((epoch, value, float(mean_loss[row]), vloss))
            res.last_metrics = metrics
            if value > res.best_value:
                res.best_value, res.best_epoch, res.best_metrics = value, epoch, metrics
                if keep == "best":
                    res.state = stack.net.state(row)
            if on_epoch is not None and on_epoch(i, epoch, value):
                res.status = "pruned"
            elif epoch >= m.epochs:
                pass
            elif m.time_limit is not None and elapsed > m.time_limit:
                res.status = "timeout"
                res.message = f"time limit of {m.time_limit:g} s reached after epoch {epoch}"
            else:
                continue
            if keep == "last":
                res.state = stack.net.state(row)
            done.add(row)
        if done:
            leave(done)
            if not alive:
                break
    return results


def _loss(out: torch.Tensor, y: torch.Tensor, task: str, smoothing: torch.Tensor) -> torch.Tensor:
    """The mean loss of each model (cross-entropy with label smoothing, or squared error)."""
    if task == "classification":
        logp = F.log_softmax(out, dim=-1)
        nll = -logp.gather(-1, y.unsqueeze(-1)).squeeze(-1)
        eps = smoothing[:, None]
        return ((1 - eps) * nll + eps * (-logp.mean(-1))).mean(1)
    return (out.squeeze(-1) - y).pow(2).mean(1)


@torch.no_grad()
def predict(
    net: StackedMLP, X: torch.Tensor, task: str, y_range: tuple[float, float] | None = None
) -> np.ndarray:
    """Every model's predictions on ``X`` (rows, features): class probabilities, or
    standardized regression outputs clipped to ``y_range``; shape ``(M, rows[, classes])``."""
    was = net.training
    net.training = False
    outs = []
    for i in range(0, X.shape[0], _EVAL_CHUNK):
        xb = X[i : i + _EVAL_CHUNK].unsqueeze(0).expand(net.M, -1, -1)
        out = net.forward(xb)
        if task == "classification":
            out = torch.softmax(out, dim=-1)
        else:
            out = out.squeeze(-1)
            if y_range is not None:
                out = out.clamp(*y_range)
        outs.append(out)
    net.training = was
    return torch.cat(outs, dim=1).cpu().numpy().astype(np.float64)
