"""Optimizers and schedules for a stack of models, each with its own hyperparameters.

``StackedOptimizer`` is AdamW (decoupled weight decay, as ``torch.optim.AdamW``) or SGD with
Nesterov momentum (L2 added to the gradient, as ``torch.optim.SGD``), applied to parameters with
a leading model dimension; every per-model hyperparameter is a tensor of shape ``(M,)``, and
each parameter multiplies the learning rate and the weight decay by its own factors (RealMLP's
per-group factors). Schedules give multipliers of progress ``t`` in [0, 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from advisor.trials.network import TensorParam

__all__ = ["LR_SCHEDULES", "REG_SCHEDULES", "StackedOptimizer", "lr_factor", "reg_factor"]

LR_SCHEDULES = ("constant", "cosine", "exponential", "step", "coslog4", "flat_cos")
REG_SCHEDULES = ("constant", "flat_cos")


def _flat_cos(t: float) -> float:
    return 1.0 if t < 0.5 else 0.5 * (1.0 + math.cos(math.pi * (t - 0.5) / 0.5))


def lr_factor(schedule: str, t: float, warmup: float = 0.0) -> float:
    """Learning-rate multiplier at progress ``t`` in [0, 1) of the planned steps.

    ``cosine`` decays to 0; ``exponential`` to 1% of the initial rate; ``step`` divides by 10 at
    50% and again at 75%; ``coslog4`` is RealMLP's four cosine cycles on a log time scale
    (0.5 * (1 - cos(2 pi log2(1 + 15 t)))); ``flat_cos`` is flat for the first half, then a cosine
    decay to 0. A linear warmup over the first ``warmup`` share multiplies the schedule.
    """
    if schedule == "cosine":
        f = 0.5 * (1.0 + math.cos(math.pi * t))
    elif schedule == "exponential":
        f = 0.01**t
    elif schedule == "step":
        f = 1.0 if t < 0.5 else (0.1 if t < 0.75 else 0.01)
    elif schedule == "coslog4":
        f = 0.5 * (1.0 - math.cos(2.0 * math.pi * math.log2(1.0 + 15.0 * t)))
    elif schedule == "flat_cos":
        f = _flat_cos(t)
    else:
        f = 1.0
    if warmup > 0 and t < warmup:
        f *= t / warmup
    return f


def reg_factor(schedule: str, t: float) -> float:
    """Multiplier of dropout and weight decay (``flat_cos``: RealMLP's schedule)."""
    return _flat_cos(t) if schedule == "flat_cos" else 1.0


class StackedOptimizer:
    """One optimizer step for every model of a stack (see the module docstring).

    Each model's update is one call of PyTorch's fused AdamW or SGD kernel on that model's
    slices of the stacked parameters (grouped by the parameters' learning-rate and weight-decay
    factors): a single pass over the memory of each parameter instead of one pass per
    arithmetic operation, with the model's own hyperparameters as scalars.
    """

    def __init__(self, params: Sequence[TensorParam], kind: str, eps: float = 1e-8) -> None:
        if kind not in ("adamw", "sgd"):
            raise ValueError(f"unknown optimizer {kind!r}")
        self.kind = kind
        self.eps = eps
        self.t = 0
        self.params = list(params)
        self.m = [torch.zeros_like(p.value) for p in self.params]
        self.v = [torch.zeros_like(p.value) for p in self.params] if kind == "adamw" else []
        self._step = torch.zeros((), dtype=torch.float32, device=self._device())
        self._index()

    def _device(self) -> torch.device:
        return self.params[0].value.device if self.params else torch.device("cpu")

    def _index(self) -> None:
        """Per-model views of the parameters and states, grouped by (lr, wd) factors."""
        groups: dict[tuple[float, float], list[int]] = {}
        for j, p in enumerate(self.params):
            groups.setdefault((p.lr_factor, p.wd_factor), []).append(j)
        self._groups = list(groups.items())
        n = self.params[0].value.shape[0] if self.params else 0
        self._x = [[p.value.detach()[k] for p in self.params] for k in range(n)]
        self._mv = [[s[k] for s in self.m] for k in range(n)]
        self._vv = [[s[k] for s in self.v] for k in range(n)]

    def zero_grad(self) -> None:
        for p in self.params:
            p.value.grad = None

    def keep(self, index: torch.Tensor, params: Sequence[TensorParam]) -> None:
        """Follow :meth:`StackedMLP.keep`: the states of the models at ``index``."""
        self.params = list(params)
        self.m = [s[index].clone() for s in self.m]
        self.v = [s[index].clone() for s in self.v]
        self._index()

    @torch.no_grad()
    def step(
        self,
        lr: Sequence[float] | torch.Tensor,
        weight_decay: Sequence[float] | torch.Tensor,
        momentum: Sequence[float] | torch.Tensor,
        beta2: Sequence[float] | torch.Tensor,
    ) -> None:
        """``lr`` etc. hold one value per model (schedules already applied)."""
        lr, weight_decay, momentum, beta2 = (
            v.tolist() if isinstance(v, torch.Tensor) else list(v)
            for v in (lr, weight_decay, momentum, beta2)
        )
        self.t += 1
        self._step.fill_(self.t)
        grads = [p.value.grad for p in self.params]
        for (lr_f, wd_f), js in self._groups:
            js = [j for j in js if grads[j] is not None]
            if not js:
                continue
            steps = [self._step] * len(js)
            for k in range(len(self._x)):
                xs = [self._x[k][j] for j in js]
                gs = [grads[j][k] for j in js]  # type: ignore[index]
                if self.kind == "adamw":
                    torch._fused_adamw_(
                        xs,
                        gs,
                        [self._mv[k][j] for j in js],
                        [self._vv[k][j] for j in js],
                        [],
                        steps,
                        lr=lr[k] * lr_f,
                        beta1=momentum[k],
                        beta2=beta2[k],
                        weight_decay=weight_decay[k] * wd_f,
                        eps=self.eps,
                        amsgrad=False,
                        maximize=False,
                    )
                else:
                    torch._fused_sgd_(
                        xs,
                        gs,
                        [self._mv[k][j] for j in js],
                        weight_decay=weight_decay[k] * wd_f,
                        momentum=momentum[k],
                        lr=lr[k] * lr_f,
                        dampening=0.0,
                        nesterov=True,
                        maximize=False,
                        is_first_step=self.t == 1,
                    )
