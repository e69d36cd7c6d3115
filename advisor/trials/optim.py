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
    """One optimizer step for every model of a stack (see the module docstring)."""

    def __init__(self, params: Sequence[TensorParam], kind: str, eps: float = 1e-8) -> None:
        if kind not in ("adamw", "sgd"):
            raise ValueError(f"unknown optimizer {kind!r}")
        self.params = list(params)
        self.kind = kind
        self.eps = eps
        self.t = 0
        self.m = [torch.zeros_like(p.value) for p in self.params]
        self.v = [torch.zeros_like(p.value) for p in self.params] if kind == "adamw" else []

    def zero_grad(self) -> None:
        for p in self.params:
            p.value.grad = None

    def keep(self, index: torch.Tensor, params: Sequence[TensorParam]) -> None:
        """Follow :meth:`StackedMLP.keep`: the states of the models at ``index``."""
        self.params = list(params)
        self.m = [s[index].clone() for s in self.m]
        self.v = [s[index].clone() for s in self.v]

    @torch.no_grad()
    def step(
        self,
        lr: torch.Tensor,
        weight_decay: torch.Tensor,
        momentum: torch.Tensor,
        beta2: torch.Tensor,
    ) -> None:
        """``lr`` etc. are ``(M,)`` tensors (schedules already applied)."""
        self.t += 1
        for i, p in enumerate(self.params):
            g = p.value.grad
            if g is None:
                continue
            shape = (-1,) + (1,) * (p.value.dim() - 1)
            lr_p = (lr * p.lr_factor).view(shape)
            mom = momentum.view(shape)
            x = p.value
            if self.kind == "adamw":
                # in-place updates with two temporaries per parameter (the stack is memory-bound)
                if p.wd_factor:
                    x.mul_(1.0 - lr_p * (weight_decay * p.wd_factor).view(shape))
                b2 = beta2.view(shape)
                self.m[i].lerp_(g, 1.0 - mom)
                self.v[i].lerp_(g * g, 1.0 - b2)
                denom = self.v[i].div(1.0 - b2**self.t).sqrt_().add_(self.eps)
                denom.mul_((1.0 - mom**self.t) / lr_p)
                x.addcdiv_(self.m[i], denom, value=-1.0)
            else:
                d = g.add(x * (weight_decay * p.wd_factor).view(shape)) if p.wd_factor else g
                buf = self.m[i]
                if self.t == 1:
                    buf.copy_(d)
                else:
                    buf.mul_(mom).add_(d)
                x.sub_(lr_p * d.add(mom * buf))
