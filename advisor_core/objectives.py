"""Objectives a search can maximise, per task (a light module: no heavy imports)."""

from __future__ import annotations

from advisor_core.errors import ConfigError

__all__ = ["DEFAULT_OBJECTIVE", "OBJECTIVES", "check_objective"]

#: Higher-is-better objectives per task (``neg_*`` are negated errors).
OBJECTIVES: dict[str, tuple[str, ...]] = {
    "classification": ("balanced_accuracy", "accuracy", "roc_auc", "neg_log_loss"),
    "regression": ("r2", "neg_rmse", "neg_mae"),
}
DEFAULT_OBJECTIVE = {"classification": "balanced_accuracy", "regression": "r2"}


def check_objective(task: str, objective: str | None) -> str:
    if objective is None:
        return DEFAULT_OBJECTIVE[task]
    if objective not in OBJECTIVES[task]:
        raise ConfigError(
            f"objective is {objective!r}, but for {task} it must be one of "
            f"{', '.join(OBJECTIVES[task])}"
        )
    return objective
