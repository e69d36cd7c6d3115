"""The knowledge-base record of a trial that another engine may stop between two epochs.

Ray Tune's schedulers stop a trial by ending its worker, so the trial cannot write its own
record at the end. :class:`TrialLog` gives, after every epoch, the record the trial would have
if it were stopped there (status ``pruned``, its curve so far) and, when it ends by itself, its
full record; whoever receives the last one writes it, once (the id comes from the trial's key).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from advisor.data import Dataset, SplitCache
from advisor.metafeatures import extract
from advisor.records import dataset_info, deterministic_trial_id, trial_from_result
from advisor.trials import EpochRecord, TrialResult
from advisor_core.objectives import DEFAULT_OBJECTIVE
from advisor_core.spaces import MLP_SPACE

__all__ = ["TrialLog"]


class TrialLog:
    """Records of one trial of ``config`` on ``dataset`` as it trains.

    Parameters
    ----------
    dataset : Dataset
        The data the trial trains on (its split is :class:`SplitCache`'s with ``seed``).
    config : mapping
        The trial's ``mlp`` configuration (completed from ``default``).
    key : str
        What identifies the trial (for example an experiment key and the engine's trial id):
        its record id, the same in every record of the trial.
    epochs : int
        The trial's budget.
    seed : int, default=0
        Seed of the split and of the training.
    contributor : str, default="advisor-ray"
        The records' contributor.
    dataset_name : str, optional
        The dataset's name in the records.
    device : str, default="cpu"
        Where the trial trains (the records' hardware).
    info : mapping, optional
        The records' ``dataset`` part (:func:`dataset_record`), when the caller has it
        already (computing it takes the meta-features).
    """

    def __init__(
        self,
        dataset: Dataset,
        config: Mapping[str, Any],
        *,
        key: str,
        epochs: int,
        seed: int = 0,
        contributor: str = "advisor-ray",
        dataset_name: str | None = None,
        device: str = "cpu",
        info: Mapping[str, Any] | None = None,
    ) -> None:
        self.config = MLP_SPACE.validate(dict(config), complete=True)
        self.trial_id = deterministic_trial_id("advisor-trial", key)
        self.epochs = epochs
        self.seed = seed
        self.contributor = contributor
        self.device = device
        self.task = dataset.task
        self.objective = DEFAULT_OBJECTIVE[dataset.task]
        train_rows, valid_rows = SplitCache(dataset, seed=seed).rows
        self.n_train, self.n_valid = len(train_rows), len(valid_rows)
        self.info = (
            dict(info)
            if info is not None
            else dataset_info(dataset, extract(dataset), name=dataset_name or dataset.name)
        )
        self.curve: list[tuple[int, float]] = []
        self.started = time.time()

    def epoch(self, epoch: int, value: float) -> dict[str, Any]:
        """Note an epoch's validation objective; the record of the trial stopped here.

        Parameters
        ----------
        epoch : int
            The epoch (from 1).
        value : float
            Its validation objective.

        Returns
        -------
        dict
            A JSON record: status ``pruned``, the best objective so far as the score.
        """
        self.curve.append((int(epoch), float(value)))
        best_epoch, best = max(self.curve, key=lambda p: (p[1], -p[0]))
        result = TrialResult(
            config=self.config,
            task=self.task,
            objective=self.objective,
            status="pruned",
            score=best,
            epochs=int(epoch),
            max_epochs=self.epochs,
            seed=self.seed,
            learning_curve=tuple(EpochRecord(e, v, None, None) for e, v in self.curve),
            metrics={self.objective: best},
            runtime_s=time.time() - self.started,
            device=self.device,
            n_train=self.n_train,
            n_valid=self.n_valid,
            best_epoch=best_epoch,
        )
        return self.record(result)

    def record(self, result: TrialResult) -> dict[str, Any]:
        """The JSON record of the trial's own result (it ended by itself).

        Parameters
        ----------
        result : TrialResult

        Returns
        -------
        dict
        """
        rec = trial_from_result(
            result, self.info, trial_id=self.trial_id, contributor=self.contributor
        )
        return rec.to_dict()
