"""The PyTorch trial runner of the ``mlp`` space (CPU or CUDA)."""

from advisor.trials.fitted import FittedModel, fit_model
from advisor.trials.metrics import DEFAULT_OBJECTIVE, OBJECTIVES
from advisor.trials.runner import (
    STATUSES,
    EpochCallback,
    EpochRecord,
    TrialResult,
    hardware_description,
    resolve_device,
    run_trial,
    set_threads,
)

__all__ = [
    "DEFAULT_OBJECTIVE",
    "OBJECTIVES",
    "STATUSES",
    "EpochCallback",
    "EpochRecord",
    "FittedModel",
    "TrialResult",
    "fit_model",
    "hardware_description",
    "resolve_device",
    "run_trial",
    "set_threads",
]
