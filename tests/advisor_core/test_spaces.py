"""The search space: validation, canonical form, hashing, sampling and declared spaces."""

from __future__ import annotations

import math

import pytest

from advisor_core.errors import ConfigError
from advisor_core.spaces import (
    MLP_SPACE,
    MLP_SPACE_V1,
    NAMED_CONFIGS,
    SearchSpace,
    config_hash,
    get_space,
    named_config,
    upgrade_config,
)


def test_mlp_space_matches_the_design_table() -> None:
    assert MLP_SPACE_V1.version == 1 and MLP_SPACE.version == 2
    assert MLP_SPACE_V1.names == [
        "optimizer",
        "learning_rate",
        "momentum",
        "weight_decay",
        "batch_size",
        "num_layers",
        "width",
        "dropout",
        "activation",
        "normalization",
        "lr_schedule",
        "feature_scaling",
    ]
    assert set(MLP_SPACE_V1.names) < set(MLP_SPACE.names)
    assert set(MLP_SPACE.names) - set(MLP_SPACE_V1.names) == {
        "beta2",
        "parametrization",
        "numerical_embedding",
        "categorical_encoding",
        "warmup",
        "regularization_schedule",
        "label_smoothing",
    }
    lr = MLP_SPACE_V1.param("learning_rate")
    assert (lr.low, lr.high, lr.log) == (1e-5, 1e-1, True)  # type: ignore[union-attr]
    lr = MLP_SPACE.param("learning_rate")
    assert (lr.low, lr.high, lr.log) == (1e-5, 1.0, True)  # type: ignore[union-attr]


def test_a_version_1_configuration_is_one_setting_of_version_2() -> None:
    v1 = named_config("plain", version=1)
    assert upgrade_config(v1) == named_config("plain")
    assert get_space("mlp@1") is MLP_SPACE_V1 and get_space("mlp") is MLP_SPACE


def test_the_realmlp_recipe_is_task_aware() -> None:
    clf, reg = named_config("realmlp", task="classification"), named_config("realmlp", "regression")
    assert (clf["learning_rate"], clf["activation"], clf["label_smoothing"]) == (0.04, "selu", 0.1)
    assert (reg["learning_rate"], reg["activation"], reg["label_smoothing"]) == (0.2, "mish", 0.0)
    assert clf["parametrization"] == "ntk" and clf["numerical_embedding"] == "periodic"


def test_plain_is_the_common_framework_default() -> None:
    d = named_config("plain")
    assert (d["optimizer"], d["learning_rate"], d["num_layers"], d["width"], d["activation"]) == (
        "adamw",
        1e-3,
        1,
        128,
        "relu",
    )
    assert 32 <= d["batch_size"] <= 128


def test_every_named_config_is_valid() -> None:
    for cfg in NAMED_CONFIGS.values():
        assert MLP_SPACE.validate(cfg) == cfg


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"learning_rate": 5}, "'learning_rate' is 5, but must be in [1e-05, 1]"),
        ({"learning_rate": True}, "'learning_rate' is True, but must be a finite number"),
        ({"learning_rate": float("nan")}, "must be a finite number"),
        ({"batch_size": 12.5}, "'batch_size' is 12.5, but must be an integer"),
        ({"activation": "sigmoid"}, "must be one of relu, gelu, silu, tanh"),
        ({"depth": 3}, "unknown hyperparameter 'depth'"),
    ],
)
def test_invalid_values_name_the_field_the_value_and_the_rule(config: dict, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        MLP_SPACE.validate(config, complete=True)
    assert fragment in str(err.value)


def test_partial_configs_are_completed_from_the_plain_mlp() -> None:
    cfg = MLP_SPACE.validate({"width": 64}, complete=True)
    assert cfg["width"] == 64
    assert cfg["learning_rate"] == named_config("plain")["learning_rate"]


def test_default_is_the_recipe_chosen_per_task() -> None:
    assert named_config("default", task="classification") == named_config(
        "realmlp", task="classification"
    )
    assert named_config("default", task="regression") == named_config("plain")
    assert named_config("default") == named_config("default", task="classification")


def test_canonical_form_makes_equal_configs_hash_equal() -> None:
    a = MLP_SPACE.validate({**named_config("plain"), "learning_rate": 0.001000000001})
    b = MLP_SPACE.validate({**named_config("plain"), "batch_size": 64.0})
    assert config_hash(a) == config_hash(b) == MLP_SPACE.hash(named_config("plain"))


def test_sobol_samples_stay_in_range_and_are_deterministic() -> None:
    s1, s2 = MLP_SPACE.sample(64, seed=3), MLP_SPACE.sample(64, seed=3)
    assert s1 == s2
    for cfg in s1:
        assert MLP_SPACE.validate(cfg) == cfg
    widths = [c["width"] for c in s1]
    assert min(widths) < 40 and max(widths) > 400  # log scale covers the range


def test_encoding_uses_log10_for_log_scaled_parameters() -> None:
    enc = MLP_SPACE.encode([named_config("plain")])
    j = MLP_SPACE.names.index("learning_rate")
    assert math.isclose(enc[0, j], -3.0)


def test_declared_space_round_trips_through_its_definition() -> None:
    d = {
        "name": "xgb",
        "version": 2,
        "params": [
            {"name": "eta", "type": "float", "low": 0.01, "high": 0.3, "log": True},
            {"name": "depth", "type": "int", "low": 2, "high": 12},
            {"name": "booster", "type": "categorical", "choices": ["gbtree", "dart"]},
        ],
    }
    space = SearchSpace.from_dict(d)
    assert SearchSpace.from_dict(space.to_dict()) == space
    assert space.validate({"eta": 0.1, "depth": 4, "booster": "dart"})["depth"] == 4


@pytest.mark.parametrize(
    ("definition", "fragment"),
    [
        (
            {"name": "../etc", "params": [{"name": "a", "type": "int", "low": 1, "high": 2}]},
            "space name",
        ),
        (
            {
                "name": "s",
                "params": [{"name": "a", "type": "float", "low": 0, "high": 1, "log": True}],
            },
            "needs low > 0",
        ),
        (
            {"name": "s", "params": [{"name": "a", "type": "float", "low": 2, "high": 1}]},
            "must be below",
        ),
        ({"name": "s", "params": []}, "non-empty list"),
        ({"name": "s", "params": [{"name": "a", "type": "bool"}]}, "must be one of float"),
    ],
)
def test_invalid_space_definitions_are_rejected(definition: dict, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        SearchSpace.from_dict(definition)
    assert fragment in str(err.value)
