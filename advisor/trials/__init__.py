"""The PyTorch trial runner of the ``mlp`` space (CPU or CUDA): stacked models trained as one
vectorised program (:mod:`advisor.trials.engine`)."""

from advisor.trials.fitted import FittedModel, fit_model, fit_on_all_rows
from advisor.trials.metrics import DEFAULT_OBJECTIVE, OBJECTIVES
from advisor.trials.runner import (
    STATUSES,
    EpochCallback,
    EpochRecord,
    StackEpochCallback,
    TrialResult,
    TrialSpec,
    hardware_description,
    resolve_device,
    run_trial,
    run_trials,
    set_threads,
)

__all__ = [
    "DEFAULT_OBJECTIVE",
    "OBJECTIVES",
    "STATUSES",
    "EpochCallback",
    "EpochRecord",
    "FittedModel",
    "StackEpochCallback",
    "TrialResult",
    "TrialSpec",
    "fit_model",
    "fit_on_all_rows",
    "hardware_description",
    "resolve_device",
    "run_trial",
    "run_trials",
    "set_threads",
]
