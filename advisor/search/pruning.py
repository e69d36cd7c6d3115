"""Successive halving that waits for company before it prunes.

Optuna's asynchronous successive halving compares a trial with whatever reached the same rung
before it: the second trial of a study is pruned when it is behind the first at the first
rung. With budgets of 5 to 40 trials that throws away good configurations on the evidence of
one noisy epoch. ``PatientSuccessiveHalving`` applies the same rule (promote the top
``1 / reduction_factor`` at each rung) only once ``min_competitors`` trials have reached the
step; before that it lets the trial continue.
"""

from __future__ import annotations

from typing import Any

from optuna.pruners import SuccessiveHalvingPruner

__all__ = ["PatientSuccessiveHalving"]


class PatientSuccessiveHalving(SuccessiveHalvingPruner):
    """Successive halving that prunes only once ``min_competitors`` trials reached the step.

    Parameters
    ----------
    min_resource : int, default=5
        The first rung (epochs).
    reduction_factor : int, default=3
        The top ``1 / reduction_factor`` of the trials at a rung are promoted; >= 2.
    min_competitors : int, default=4
        Trials (this one included) that must have reached the step before it prunes; >= 1.

    Examples
    --------
    >>> import optuna
    >>> study = optuna.create_study(pruner=PatientSuccessiveHalving(min_resource=5))
    """

    def __init__(
        self, min_resource: int = 5, reduction_factor: int = 3, min_competitors: int = 4
    ) -> None:
        if min_competitors < 1:
            raise ValueError(f"min_competitors is {min_competitors}, but must be >= 1")
        super().__init__(min_resource=min_resource, reduction_factor=reduction_factor)
        self.min_competitors = min_competitors

    def prune(self, study: Any, trial: Any) -> bool:
        """Whether to stop ``trial`` now (Optuna's ``BasePruner.prune``)."""
        verdict = super().prune(study, trial)  # records the rung value in any case
        if not verdict:
            return False
        step = trial.last_step
        reached = sum(
            1
            for t in study.get_trials(deepcopy=False)
            if t.number != trial.number and step in t.intermediate_values
        )
        return reached + 1 >= self.min_competitors
