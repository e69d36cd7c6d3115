"""Search spaces: hyperparameter declarations, validation, canonical form, sampling, encoding.

A space is a named, versioned list of hyperparameters (float, int or categorical; numeric ones
may be log-scaled). The built-in space ``mlp`` is the PyTorch multilayer perceptron trained by
:mod:`advisor.trials`. Other spaces can be declared (``SearchSpace.from_dict``) so that people
who tune other models can contribute logs and get suggestions for them too.
"""

from advisor_core.spaces.mlp import (
    MLP_SPACE,
    MLP_SPACE_V1,
    NAMED_CONFIGS,
    builtin_space,
    builtin_spaces,
    builtin_versions,
    get_space,
    named_config,
    parse_space,
    upgrade_config,
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
    "MLP_SPACE_V1",
    "NAMED_CONFIGS",
    "CategoricalParam",
    "FloatParam",
    "IntParam",
    "Param",
    "SearchSpace",
    "builtin_space",
    "builtin_spaces",
    "builtin_versions",
    "config_hash",
    "get_space",
    "named_config",
    "parse_space",
    "upgrade_config",
]
