"""Search spaces: hyperparameter declarations, validation, canonical form, sampling, encoding.

A space is a named, versioned list of hyperparameters (float, int or categorical; numeric ones
may be log-scaled). The built-in space ``mlp`` is the PyTorch multilayer perceptron trained by
:mod:`advisor.trials`. Other spaces can be declared (``SearchSpace.from_dict``) so that people
who tune other models can contribute logs and get suggestions for them too.
"""

from advisor_core.spaces.mlp import (
    MLP_SPACE,
    NAMED_CONFIGS,
    builtin_spaces,
    get_space,
    named_config,
)
from advisor_core.spaces.params import (
    CategoricalParam,
    FloatParam,
    IntParam,
    Param,
    config_hash,
)
from advisor_core.spaces.space import SearchSpace

__all__ = [
    "MLP_SPACE",
    "NAMED_CONFIGS",
    "CategoricalParam",
    "FloatParam",
    "IntParam",
    "Param",
    "SearchSpace",
    "builtin_spaces",
    "config_hash",
    "get_space",
    "named_config",
]
