"""Training a stack of models in one loop: each keeps its own curve, status and best epoch."""

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

__all__ = ["Member", "MemberResult", "train_stack"]

EpochHook = Callable[[int, int, float], bool]  # (member, epoch, objective) -> prune?
_EVAL_CHUNK = 8192
_DROPOUT_STREAM = 1_000_003


@dataclass
class Member:
    """One model of a stack: its per-model hyperparameters, seed and budget."""

    config: Mapping[str, Any]
    seed: int
    epochs: int
    horizon: int  # the schedules' planned epochs (>= epochs)
    time_limit: float | None = None


@dataclass
class MemberResult:
    status: str = "complete"
    message: str | None = None
    curve: list[tuple[int, float, float, float | None]] = field(default_factory=list)
    best_epoch: int = 0
    best_value: float = -math.inf
    best_metrics: dict[str, float] = field(default_factory=dict)
    best_state: dict[str, torch.Tensor] | None = None
    runtime_s: float = 0.0


def _spans(n: int, batch_size: int) -> list[tuple[int, int]]:
    bs = min(batch_size, n)
    spans = [(i, min(i + bs, n)) for i in range(0, n, bs)]
    if len(spans) > 1 and spans[-1][1] - spans[-1][0] < 2:
        spans.pop()
    return spans


def train_stack(
    shape: Shape,
    members: Sequence[Member],
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_valid: np.ndarray,
    evaluate: Callable[[np.ndarray], tuple[dict[str, float], float | None, float | None]],
    *,
    task: str,
    batch_size: int,
    optimizer: str,
    device: torch.device,
    on_epoch: EpochHook | None = None,
    keep_best: bool = False,
    y_range: tuple[float, float] | None = None,
) -> list[MemberResult]:
    """Train ``members`` (one shape, one batch size, one optimizer) together.

    ``evaluate(pred)`` turns one model's validation predictions (probabilities, or standardized
    regression outputs) into ``(metrics, objective, valid_loss)``.
    """
    t0 = time.perf_counter()
    M = len(members)
    # each model's own random streams: initialisation and batch order; dropout (on the device)
    gens = [torch.Generator().manual_seed(int(m.seed)) for m in members]
    drop_gens = [
        torch.Generator(device=device).manual_seed(int(m.seed) + _DROPOUT_STREAM) for m in members
    ]
    X_tr = torch.from_numpy(np.ascontiguousarray(X_train, dtype=np.float32)).to(device)
    X_va = torch.from_numpy(np.ascontiguousarray(X_valid, dtype=np.float32)).to(device)
    if task == "classification":
        y_tr = torch.from_numpy(y_train.astype(np.int64)).to(device)
    else:
        y_tr = torch.from_numpy(y_train.astype(np.float32)).to(device)
    n = X_tr.shape[0]
    init_rows = X_tr if n <= 4096 else X_tr[torch.randperm(n, generator=gens[0])[:4096].to(device)]
    net = StackedMLP(shape, gens, init_batch=init_rows, device=device)
    opt = StackedOptimizer(net.parameters(), optimizer)

    def col(key: str, default: float = 0.0) -> torch.Tensor:
        return torch.tensor([float(m.config.get(key, default)) for m in members], device=device)

    lr0, wd0, mom = col("learning_rate"), col("weight_decay"), col("momentum", 0.9)
    beta2, drop0, ls = col("beta2", 0.999), col("dropout"), col("label_smoothing")
    sched = [str(m.config.get("lr_schedule", "constant")) for m in members]
    warm = [float(m.config.get("warmup", 0.0)) for m in members]
    rsched = [str(m.config.get("regularization_schedule", "constant")) for m in members]
    results = [MemberResult() for _ in members]
    alive = list(range(M))  # member index of each stack row
    spans = _spans(n, batch_size)
    steps = len(spans)
    check_every = 1 if device.type == "cpu" else 32
    max_epochs = max(m.epochs for m in members)
    step = 0
    for epoch in range(1, max_epochs + 1):
        net.training = True
        perm = torch.stack([torch.randperm(n, generator=gens[i]) for i in alive]).to(device)
        live_drop = [drop_gens[i] for i in alive]
        losses = torch.zeros(len(alive), steps, device=device)
        bad = torch.zeros(len(alive), dtype=torch.bool, device=device)
        for s, (a, b) in enumerate(spans):
            idx = perm[:, a:b]
            xb, yb = X_tr[idx], y_tr[idx]
            progress = [step / (members[i].horizon * steps) for i in alive]
            lr_f = torch.tensor(
                [lr_factor(sched[i], t, warm[i]) for i, t in zip(alive, progress, strict=True)],
                device=device,
            )
            reg_f = torch.tensor(
                [reg_factor(rsched[i], t) for i, t in zip(alive, progress, strict=True)],
                device=device,
            )
            opt.zero_grad()
            out = net.forward(xb, dropout=drop0 * reg_f, generators=live_drop)
            if task == "classification":
                logp = F.log_softmax(out, dim=-1)
                nll = -logp.gather(-1, yb.unsqueeze(-1)).squeeze(-1)
                loss_m = ((1 - ls[:, None]) * nll + ls[:, None] * (-logp.mean(-1))).mean(1)
            else:
                loss_m = (out.squeeze(-1) - yb).pow(2).mean(1)
            finite = torch.isfinite(loss_m.detach())
            losses[:, s] = loss_m.detach()
            bad |= ~finite
            if ((s + 1) % check_every == 0 or s == steps - 1) and bool(bad.any()):
                break
            torch.where(finite, loss_m, torch.zeros_like(loss_m)).sum().backward()
            opt.step(lr0 * lr_f, wd0 * reg_f, mom, beta2)
            step += 1
        # -- end of epoch: per-model outcomes ---------------------------------------------------
        elapsed = time.perf_counter() - t0
        done: set[int] = set()
        bad_cpu = bad.cpu().numpy()
        mean_loss = losses.mean(dim=1).cpu().numpy()
        preds = _predict(net, X_va, task, y_range) if not bad_cpu.all() else None
        for row, i in enumerate(alive):
            r = results[i]
            if bad_cpu[row]:
                r.status, r.message = "diverged", f"non-finite training loss at epoch {epoch}"
                done.add(i)
                continue
            assert preds is not None
            metrics, value, vloss = evaluate(preds[row])
            if value is None or not math.isfinite(value):
                r.status = "diverged"
                r.message = f"non-finite validation predictions at epoch {epoch}"
                done.add(i)
                continue
            r.curve.append((epoch, value, float(mean_loss[row]), vloss))
            if value > r.best_value:
                r.best_value, r.best_epoch, r.best_metrics = value, epoch, metrics
                if keep_best:
                    r.best_state = net.state(row)
            limit = members[i].time_limit
            if on_epoch is not None and on_epoch(i, epoch, value):
                r.status = "pruned"
                done.add(i)
            elif epoch >= members[i].epochs:
                done.add(i)
            elif limit is not None and elapsed > limit:
                r.status = "timeout"
                r.message = f"time limit of {limit:g} s reached after epoch {epoch}"
                done.add(i)
        for i in done:
            results[i].runtime_s = elapsed
        if done:
            keep = [row for row, i in enumerate(alive) if i not in done]
            alive = [alive[row] for row in keep]
            if not alive:
                break
            index = torch.tensor(keep, dtype=torch.long, device=device)
            net.keep(index)
            opt.keep(index, net.parameters())
            lr0, wd0, mom, beta2, drop0, ls = (t[index] for t in (lr0, wd0, mom, beta2, drop0, ls))
    return results


@torch.no_grad()
def _predict(
    net: StackedMLP, X: torch.Tensor, task: str, y_range: tuple[float, float] | None
) -> np.ndarray:
    net.training = False
    outs = []
    for i in range(0, X.shape[0], _EVAL_CHUNK):
        xb = X[i : i + _EVAL_CHUNK].unsqueeze(0).expand(net.M, -1, -1)
        out = net.forward(xb).float()
        if task == "classification":
            out = torch.softmax(out, dim=-1)
        else:
            out = out.squeeze(-1)
            if y_range is not None:
                out = out.clamp(*y_range)
        outs.append(out)
    net.training = True
    return torch.cat(outs, dim=1).cpu().numpy().astype(np.float64)
