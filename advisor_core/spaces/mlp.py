"""The built-in space ``mlp``: the PyTorch multilayer perceptron trained by :mod:`advisor.trials`,
and its named configurations."""

from __future__ import annotations

from typing import Any

from advisor_core.errors import ConfigError
from advisor_core.spaces.params import CategoricalParam, FloatParam, IntParam
from advisor_core.spaces.space import SearchSpace

__all__ = ["MLP_SPACE", "NAMED_CONFIGS", "builtin_spaces", "get_space", "named_config"]

#: The built-in space: a PyTorch MLP for tabular classification and regression.
MLP_SPACE = SearchSpace(
    name="mlp",
    version=1,
    description="PyTorch multilayer perceptron for tabular classification and regression",
    params=(
        CategoricalParam("optimizer", ("adamw", "sgd")),
        FloatParam("learning_rate", 1e-5, 1e-1, log=True),
        FloatParam("momentum", 0.8, 0.99),
        FloatParam("weight_decay", 1e-6, 1e-1, log=True),
        IntParam("batch_size", 16, 1024, log=True),
        IntParam("num_layers", 1, 5),
        IntParam("width", 16, 1024, log=True),
        FloatParam("dropout", 0.0, 0.6),
        CategoricalParam("activation", ("relu", "gelu", "silu", "tanh")),
        CategoricalParam("normalization", ("none", "batchnorm", "layernorm")),
        CategoricalParam("lr_schedule", ("constant", "cosine", "exponential", "step")),
        CategoricalParam("feature_scaling", ("standard", "robust", "quantile")),
    ),
    # The common framework default: Adam-style, lr 1e-3, one hidden layer of 128 ReLU units.
    default={
        "optimizer": "adamw",
        "learning_rate": 1e-3,
        "momentum": 0.9,
        "weight_decay": 1e-6,
        "batch_size": 64,
        "num_layers": 1,
        "width": 128,
        "dropout": 0.0,
        "activation": "relu",
        "normalization": "none",
        "lr_schedule": "constant",
        "feature_scaling": "standard",
    },
)

_BUILTIN: dict[str, SearchSpace] = {MLP_SPACE.name: MLP_SPACE}


def builtin_spaces() -> dict[str, SearchSpace]:
    return dict(_BUILTIN)


def get_space(name: str) -> SearchSpace:
    """The built-in space called ``name`` (declared spaces live in the knowledge base)."""
    try:
        return _BUILTIN[name]
    except KeyError:
        raise ConfigError(
            f"unknown space {name!r}; built-in spaces: {', '.join(sorted(_BUILTIN))}"
        ) from None


def _recipe(**overrides: Any) -> dict[str, Any]:
    assert MLP_SPACE.default is not None
    return MLP_SPACE.validate({**MLP_SPACE.default, **overrides})


#: Named configurations of the ``mlp`` space: the framework default and well-known recipes.
NAMED_CONFIGS: dict[str, dict[str, Any]] = {
    "default": _recipe(),
    # scikit-learn's MLPClassifier defaults: Adam 1e-3, one layer of 100, L2 1e-4, batch 200.
    "sklearn": _recipe(width=100, weight_decay=1e-4, batch_size=200),
    # Gorishniy et al. (2021) "Revisiting deep learning models for tabular data": MLP baseline.
    "rtdl": _recipe(
        num_layers=3, width=256, dropout=0.1, weight_decay=1e-5, batch_size=256, learning_rate=3e-4
    ),
    # A regularised, wide network with layer norm and cosine decay.
    "wide_regularized": _recipe(
        num_layers=2,
        width=512,
        dropout=0.3,
        weight_decay=1e-2,
        normalization="layernorm",
        lr_schedule="cosine",
        batch_size=128,
        learning_rate=1e-3,
        activation="gelu",
    ),
    # SGD with Nesterov momentum, batch norm and cosine decay (the classic vision recipe).
    "sgd_cosine": _recipe(
        optimizer="sgd",
        learning_rate=0.05,
        momentum=0.9,
        weight_decay=5e-4,
        num_layers=2,
        width=256,
        normalization="batchnorm",
        lr_schedule="cosine",
        batch_size=128,
    ),
    # Small and fast: a few wide-ish SiLU layers, big batches, higher learning rate.
    "small_fast": _recipe(
        num_layers=2,
        width=64,
        batch_size=256,
        learning_rate=3e-3,
        activation="silu",
        lr_schedule="cosine",
    ),
}


def named_config(name: str) -> dict[str, Any]:
    """A named configuration of the ``mlp`` space (``default``, ``sklearn``, ``rtdl``, ...)."""
    try:
        return dict(NAMED_CONFIGS[name])
    except KeyError:
        raise ConfigError(
            f"unknown named configuration {name!r}; known: {', '.join(NAMED_CONFIGS)}"
        ) from None
