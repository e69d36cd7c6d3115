"""Meta-features, single trainings and saved models."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.data import Dataset, SplitCache
from advisor.facade._helpers import DataArg, _dataset, announce_contribution, dataset_name_for
from advisor.metafeatures import MetaFeatures, extract
from advisor_core.spaces import MLP_SPACE

if TYPE_CHECKING:
    from advisor.trials import FittedModel, TrialResult

from advisor.facade._base import AdvisorBase

__all__ = ["TrainingMixin"]


class TrainingMixin(AdvisorBase):
    """Meta-features, one trial of a configuration, a final model."""

    def meta_features(
        self,
        data: DataArg | Dataset,
        target: str | None = None,
        *,
        y: Any = None,
        task: str = "auto",
        seed: int = 0,
    ) -> MetaFeatures:
        """The dataset's meta-feature vector (48 features in four groups).

        Parameters
        ----------
        data : str, Path, DataFrame, ndarray or Dataset
            A CSV/TSV/Parquet file or a frame with the ``target`` column; features with ``y``;
            or a :class:`Dataset` (:func:`load_dataset`).
        target : str, optional
            The target column of ``data``.
        y : array-like, optional
            The target, when ``data`` holds the features only.
        task : {"auto", "classification", "regression"}, default="auto"
            ``auto``: inferred from the target.
        seed : int, default=0
            Seed of the bounded subsample the features are computed on.

        Returns
        -------
        MetaFeatures
            ``task``, ``version`` and ``values`` (name to float or ``None``). Data that cannot
            be used (missing file or column, too few rows, ...) raises :class:`DataError`.
        """
        return extract(_dataset(data, target, y, task), seed=seed)

    def evaluate(
        self,
        data: DataArg | Dataset,
        config: Mapping[str, Any] | str = "default",
        *,
        target: str | None = None,
        y: Any = None,
        task: str = "auto",
        epochs: int = 20,
        seed: int = 0,
        objective: str | None = None,
        time_limit: float | None = None,
        contribute: bool = False,
        dataset_name: str | None = None,
        on_epoch: Callable[[int, float], bool | None] | None = None,
    ) -> tuple[TrialResult, FittedModel | None]:
        """Train one configuration on a 75/25 split of ``data``.

        Parameters
        ----------
        data, target, y, task
            The data, as for :meth:`meta_features`.
        config : dict or str, default="default"
            ``mlp`` hyperparameters (completed from ``default``) or a named configuration.
        epochs : int, default=20
            The training budget.
        seed : int, default=0
            Seed of the split and of the training.
        objective : str, optional
            The metric reported as the score (default: balanced accuracy / R²).
        time_limit : float, optional
            Seconds after which the trial stops with status ``timeout``.
        contribute : bool, default=False
            Write the trial (meta-features and outcome, never the data) to the knowledge
            base, and say so in one line on stderr.
        dataset_name : str, optional
            The dataset's name in the written trial (default: :func:`dataset_name_for`).
        on_epoch : callable, optional
            ``on_epoch(epoch, objective)`` after every epoch; returning True stops the trial
            there (status ``pruned``).

        Returns
        -------
        result : TrialResult
            Status, score, metrics and learning curve on the validation rows.
        model : FittedModel or None
            The trained model (``None`` if the training failed).
        """
        from advisor.trials import fit_model
        from advisor_core.spaces import named_config

        ds = _dataset(data, target, y, task)
        cfg = (
            named_config(config, task=ds.task)
            if isinstance(config, str)
            else MLP_SPACE.validate(dict(config), complete=True)
        )
        result, model = fit_model(
            SplitCache(ds, seed=seed),
            cfg,
            epochs=epochs,
            seed=seed,
            device=self.device,
            time_limit=time_limit,
            objective=objective,
            on_epoch=None if on_epoch is None else (lambda e, v: bool(on_epoch(e, v))),
        )
        if contribute:
            self._contribute_results(ds, [result], dataset_name, "advisor-evaluate")
        return result, model

    def _contribute_results(
        self, ds: Dataset, results: list[TrialResult], dataset_name: str | None, contributor: str
    ) -> None:
        """Write trial results on ``ds`` to the knowledge base and say so (one line)."""
        from advisor.records import dataset_info, trial_from_result

        name = dataset_name_for(ds, dataset_name)
        info = dataset_info(ds, extract(ds), name=name)
        report = self.contribute(
            [trial_from_result(r, info, contributor=contributor) for r in results]
        )
        announce_contribution(self.kb.url, report.added, name, "contribute=False")

    def fit_final(
        self,
        data: DataArg | Dataset,
        config: Mapping[str, Any],
        *,
        target: str | None = None,
        y: Any = None,
        task: str = "auto",
        epochs: int = 20,
        seed: int = 0,
    ) -> FittedModel:
        """Train ``config`` on every row of ``data`` (no validation split), for prediction.

        Parameters
        ----------
        data, target, y, task
            The data, as for :meth:`meta_features`.
        config : dict
            A complete ``mlp`` configuration (e.g. ``SearchResult.best_config``).
        epochs, seed : int
            As for :meth:`evaluate`.

        Returns
        -------
        FittedModel
            ``predict(X)`` on raw feature frames, ``save(path)`` (see :meth:`load_model`).
            A failed or diverged training raises :class:`SearchError`.
        """
        from advisor.trials.fitted import fit_on_all_rows

        ds = _dataset(data, target, y, task)
        return fit_on_all_rows(ds, config, epochs=epochs, seed=seed, device=self.device)

    @staticmethod
    def load_model(path: str | Path) -> FittedModel:
        """A model saved by ``FittedModel.save`` (``advisor search --save-model``).

        Parameters
        ----------
        path : str or Path
            The file (a pickle: load only files you trust).

        Returns
        -------
        FittedModel
            A missing file or another format raises :class:`DataError`.
        """
        from advisor.trials import FittedModel

        return FittedModel.load(path)

    # -- ranker, suggestions, search --------------------------------------------------------------
