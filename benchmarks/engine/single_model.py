"""The PyTorch network of the ``mlp`` space, version 1 (the baseline of ``bench_engine.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

__all__ = ["build_mlp", "build_optimizer", "lr_factor"]

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
}


def build_mlp(n_inputs: int, n_outputs: int, config: Mapping[str, Any]) -> nn.Sequential:
    """Linear -> normalization -> activation -> dropout, ``num_layers`` times, then a head."""
    layers: list[nn.Module] = []
    width = int(config["width"])
    prev = n_inputs
    for _ in range(int(config["num_layers"])):
        layers.append(nn.Linear(prev, width))
        if config["normalization"] == "batchnorm":
            layers.append(nn.BatchNorm1d(width))
        elif config["normalization"] == "layernorm":
            layers.append(nn.LayerNorm(width))
        layers.append(_ACTIVATIONS[str(config["activation"])]())
        if float(config["dropout"]) > 0:
            layers.append(nn.Dropout(float(config["dropout"])))
        prev = width
    layers.append(nn.Linear(prev, n_outputs))
    return nn.Sequential(*layers)


def build_optimizer(model: nn.Module, config: Mapping[str, Any]) -> torch.optim.Optimizer:
    """AdamW (``momentum`` is beta1) or SGD with Nesterov momentum."""
    lr, wd, mom = (
        float(config["learning_rate"]),
        float(config["weight_decay"]),
        float(config["momentum"]),
    )
    if config["optimizer"] == "sgd":
        return torch.optim.SGD(
            model.parameters(), lr=lr, momentum=mom, nesterov=True, weight_decay=wd
        )
    return torch.optim.AdamW(model.parameters(), lr=lr, betas=(mom, 0.999), weight_decay=wd)


def lr_factor(schedule: str, progress: float) -> float:
    """Learning-rate multiplier at ``progress`` in [0, 1) of the planned epochs.

    ``cosine`` decays to 0 over the horizon, ``exponential`` to 1% of the initial rate,
    ``step`` divides by 10 at 50% and again at 75%.
    """
    import math

    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    if schedule == "exponential":
        return 0.01**progress
    if schedule == "step":
        return 1.0 if progress < 0.5 else (0.1 if progress < 0.75 else 0.01)
    return 1.0
