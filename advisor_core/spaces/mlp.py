"""The built-in space ``mlp``: the PyTorch multilayer perceptron trained by :mod:`advisor.trials`,
in two versions, and its named configurations.

* **Version 2** (current) adds what the tabular deep-learning work of the last years found to
  matter (Gorishniy et al. 2022, "On embeddings for numerical features"; Holzmüller et al. 2024,
  "Better by default", RealMLP): numerical embeddings (periodic or piecewise-linear), embedded
  high-cardinality categoricals, robust scaling with smooth clipping, RealMLP's NTK
  parametrization, label smoothing, Adam's second moment, warmup and schedules for short
  budgets (``coslog4``, ``flat_cos``), scheduled regularisation, and budgets up to 256 epochs
  whose trials report the best epoch's model. The plain MLP of version 1 is one setting of it
  (:func:`upgrade_config`).
* **Version 1**: the plain MLP (AdamW/SGD, depth, width, dropout, activation, normalization,
  schedule, scaling), kept so that its knowledge-base trials stay queryable and rankable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from advisor_core.errors import ConfigError
from advisor_core.spaces.params import CategoricalParam, FloatParam, IntParam
from advisor_core.spaces.space import SearchSpace

__all__ = [
    "MLP_SPACE",
    "MLP_SPACE_V1",
    "NAMED_CONFIGS",
    "builtin_space",
    "builtin_spaces",
    "builtin_versions",
    "get_space",
    "named_config",
    "parse_space",
    "upgrade_config",
]

_DESCRIPTION = "PyTorch multilayer perceptron for tabular classification and regression"

#: Version 1: the plain MLP.
MLP_SPACE_V1 = SearchSpace(
    name="mlp",
    version=1,
    description=_DESCRIPTION,
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

#: What version 2 adds, at the values that make a version-1 configuration.
_V1_EQUIVALENT: dict[str, Any] = {
    "beta2": 0.999,
    "parametrization": "standard",
    "numerical_embedding": "none",
    "categorical_encoding": "onehot",
    "warmup": 0.0,
    "regularization_schedule": "constant",
    "label_smoothing": 0.0,
}

#: Version 2 (current).
MLP_SPACE = SearchSpace(
    name="mlp",
    version=2,
    description=_DESCRIPTION + " (numerical embeddings, RealMLP's ingredients, long budgets)",
    params=(
        CategoricalParam("optimizer", ("adamw", "sgd")),
        FloatParam("learning_rate", 1e-5, 1.0, log=True),
        FloatParam("momentum", 0.8, 0.99),  # AdamW's beta1, SGD's Nesterov momentum
        FloatParam("beta2", 0.9, 0.999),  # AdamW's second-moment decay
        FloatParam("weight_decay", 1e-6, 1e-1, log=True),
        IntParam("batch_size", 16, 1024, log=True),
        IntParam("num_layers", 1, 5),
        IntParam("width", 16, 1024, log=True),
        FloatParam("dropout", 0.0, 0.6),
        CategoricalParam("activation", ("relu", "gelu", "silu", "tanh", "selu", "mish")),
        CategoricalParam("normalization", ("none", "batchnorm", "layernorm")),
        CategoricalParam("parametrization", ("standard", "ntk")),
        CategoricalParam("numerical_embedding", ("none", "periodic", "piecewise_linear")),
        CategoricalParam("categorical_encoding", ("onehot", "embedding")),
        CategoricalParam("feature_scaling", ("standard", "robust", "quantile", "smooth_clip")),
        CategoricalParam(
            "lr_schedule", ("constant", "cosine", "exponential", "step", "coslog4", "flat_cos")
        ),
        FloatParam("warmup", 0.0, 0.2),  # share of the planned steps
        CategoricalParam("regularization_schedule", ("constant", "flat_cos")),
        FloatParam("label_smoothing", 0.0, 0.2),  # classification only
    ),
    default={**dict(MLP_SPACE_V1.default or {}), **_V1_EQUIVALENT},
)

_BUILTIN: dict[str, dict[int, SearchSpace]] = {"mlp": {1: MLP_SPACE_V1, 2: MLP_SPACE}}


def builtin_spaces() -> dict[str, SearchSpace]:
    """The current version of each built-in space, by name."""
    return {name: versions[max(versions)] for name, versions in _BUILTIN.items()}


def builtin_space(name: str, version: int | None = None) -> SearchSpace | None:
    """A built-in space (its current version by default); ``None`` if there is no such one."""
    versions = _BUILTIN.get(name)
    if versions is None:
        return None
    return versions.get(max(versions) if version is None else version)


def builtin_versions(name: str) -> tuple[int, ...]:
    """The versions of a built-in space, oldest first (empty for other names)."""
    return tuple(sorted(_BUILTIN.get(name, {})))


def parse_space(ref: str) -> tuple[str, int | None]:
    """``"mlp"`` -> ``("mlp", None)`` (the current version); ``"mlp@1"`` -> ``("mlp", 1)``."""
    name, sep, version = str(ref).partition("@")
    if not sep:
        return name, None
    if not version.isdigit() or int(version) < 1:
        raise ConfigError(
            f"space is {ref!r}, but a version after '@' must be an integer >= 1 (e.g. mlp@1)"
        )
    return name, int(version)


def get_space(name: str, version: int | None = None) -> SearchSpace:
    """The built-in space called ``name`` (declared spaces live in the knowledge base)."""
    if version is None:
        name, version = parse_space(name)
    space = builtin_space(name, version)
    if space is not None:
        return space
    if name in _BUILTIN:
        raise ConfigError(
            f"space {name!r} has no version {version!r}; versions: "
            f"{', '.join(map(str, sorted(_BUILTIN[name])))}"
        )
    raise ConfigError(f"unknown space {name!r}; built-in spaces: {', '.join(sorted(_BUILTIN))}")


def upgrade_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A version-1 configuration as the version-2 configuration that trains the same network."""
    return MLP_SPACE.validate({**MLP_SPACE_V1.validate(config), **_V1_EQUIVALENT})


def _recipe(space: SearchSpace, **overrides: Any) -> dict[str, Any]:
    return space.validate({**dict(space.default or {}), **overrides})


_WIDE_REGULARIZED: dict[str, Any] = {
    "num_layers": 2,
    "width": 512,
    "dropout": 0.3,
    "weight_decay": 1e-2,
    "normalization": "layernorm",
    "lr_schedule": "cosine",
    "batch_size": 128,
    "learning_rate": 1e-3,
    "activation": "gelu",
}
_SGD_COSINE: dict[str, Any] = {
    "optimizer": "sgd",
    "learning_rate": 0.05,
    "momentum": 0.9,
    "weight_decay": 5e-4,
    "num_layers": 2,
    "width": 256,
    "normalization": "batchnorm",
    "lr_schedule": "cosine",
    "batch_size": 128,
}
_SMALL_FAST: dict[str, Any] = {
    "num_layers": 2,
    "width": 64,
    "batch_size": 256,
    "learning_rate": 3e-3,
    "activation": "silu",
    "lr_schedule": "cosine",
}


def _common(space: SearchSpace) -> dict[str, dict[str, Any]]:
    return {
        # The common framework default: Adam 1e-3, batch 64, one hidden layer of 128 ReLU units.
        "plain": _recipe(space),
        # scikit-learn's MLPClassifier defaults: Adam 1e-3, one layer of 100, L2 1e-4, batch 200.
        "sklearn": _recipe(space, width=100, weight_decay=1e-4, batch_size=200),
        # Gorishniy et al. (2021) "Revisiting deep learning models for tabular data": MLP.
        "rtdl": _recipe(
            space,
            num_layers=3,
            width=256,
            dropout=0.1,
            weight_decay=1e-5,
            batch_size=256,
            learning_rate=3e-4,
        ),
        # A regularised, wide network with layer norm and cosine decay.
        "wide_regularized": _recipe(space, **_WIDE_REGULARIZED),
        # SGD with Nesterov momentum, batch norm and cosine decay (the classic vision recipe).
        "sgd_cosine": _recipe(space, **_SGD_COSINE),
        # Small and fast: a few SiLU layers, big batches, higher learning rate.
        "small_fast": _recipe(space, **_SMALL_FAST),
    }


#: RealMLP-TD's published defaults (pytabkit 1.8, ``RealMLP_TD_CLASS``; Holzmüller et al.
#: 2024, Table 1): 3 x 256, NTK parametrization with its initialisation and per-group
#: learning rates, PBLD periodic embeddings (16 frequencies, sigma 0.1, 4 dimensions),
#: categoricals above 9 levels embedded (8 dimensions), robust scaling + smooth clipping,
#: Adam (0.9, 0.95) at 0.04 with the ``coslog4`` schedule, weight decay 0.02 and dropout 0.15 on
#: the ``flat_cos`` schedule, label smoothing 0.1, batch 256, 256 epochs (the budget, given at
#: training time), best epoch kept. For regression (``RealMLP_TD_REG``): learning rate 0.2,
#: Mish instead of SELU, no label smoothing (outputs clipped to the training targets' range, as
#: the runner does for every regression).
_REALMLP: dict[str, Any] = {
    "optimizer": "adamw",
    "learning_rate": 0.04,
    "momentum": 0.9,
    "beta2": 0.95,
    "weight_decay": 0.02,
    "batch_size": 256,
    "num_layers": 3,
    "width": 256,
    "dropout": 0.15,
    "activation": "selu",
    "normalization": "none",
    "parametrization": "ntk",
    "numerical_embedding": "periodic",
    "categorical_encoding": "embedding",
    "feature_scaling": "smooth_clip",
    "lr_schedule": "coslog4",
    "warmup": 0.0,
    "regularization_schedule": "flat_cos",
    "label_smoothing": 0.1,
}
_REALMLP_REGRESSION = {"learning_rate": 0.2, "activation": "mish", "label_smoothing": 0.0}

#: Named configurations of the current ``mlp`` space. ``default`` is what the advisor starts
#: from when it has nothing better to say (see the README, "The mlp search space").
NAMED_CONFIGS: dict[str, dict[str, Any]] = {
    **_common(MLP_SPACE),
    "realmlp": _recipe(MLP_SPACE, **_REALMLP),
}
#: ``default`` is, per task, the recipe that does best on the seed knowledge base at the
#: shared design's 20-epoch budget (``knowledge_base/seed/REPORT.md``, "Named recipes"):
#: ``realmlp`` for classification (mean normalized score 0.913, ahead of ``sgd_cosine``'s 0.863
#: and the plain MLP's 0.669 on 110 datasets), the plain MLP for regression (0.984 against
#: ``realmlp``'s 0.965 on 43; RealMLP's regression learning rate of 0.2 is tuned for 256
#: epochs). Without a task it is
#: the classification recipe. ``MLP_SPACE.default`` stays the plain MLP: it fills the
#: parameters a partial configuration leaves out.
NAMED_CONFIGS["default"] = dict(NAMED_CONFIGS["realmlp"])
#: Task-specific values of named configurations (applied for that task only).
_TASK_OVERRIDES: dict[str, dict[str, dict[str, Any]]] = {
    "realmlp": {"regression": _REALMLP_REGRESSION},
    "default": {"regression": dict(NAMED_CONFIGS["plain"])},
}
_NAMED_V1: dict[str, dict[str, Any]] = {**_common(MLP_SPACE_V1)}
_NAMED_V1["default"] = dict(_NAMED_V1["plain"])


def named_config(name: str, task: str | None = None, version: int | None = None) -> dict[str, Any]:
    """A named configuration of the ``mlp`` space (``default``, ``realmlp``, ``rtdl``, ...).

    ``task`` selects a recipe's task-specific values (``realmlp`` for regression); ``version``
    1 gives the version-1 recipes (``realmlp`` has none).
    """
    table = _NAMED_V1 if version == 1 else NAMED_CONFIGS
    if version not in (None, 1, MLP_SPACE.version):
        raise ConfigError(f"space 'mlp' has no version {version!r}; versions: 1, 2")
    if name not in table:
        raise ConfigError(
            f"unknown named configuration {name!r}; known: {', '.join(sorted(table))}"
        )
    config = dict(table[name])
    if task is not None and version != 1:
        config.update(_TASK_OVERRIDES.get(name, {}).get(task, {}))
    return config
