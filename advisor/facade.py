"""``Advisor``: the one facade that composes data, meta-features, trials and the knowledge base.

The CLI, the service and the integrations call this class, not the layers below it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from advisor.data import Dataset, SplitCache, load_dataset
from advisor.errors import ConfigError
from advisor.metafeatures import MetaFeatures, extract
from advisor.spaces import MLP_SPACE, SearchSpace, get_space

if TYPE_CHECKING:
    from advisor.trials import FittedModel, TrialResult
    from knowledge_base import ContributionReport, KnowledgeBase

__all__ = ["Advisor"]

DataArg = str | Path | pd.DataFrame | np.ndarray


class Advisor:
    """Suggest, search and remember hyperparameters for PyTorch MLPs on tabular data.

    ``kb`` is a knowledge-base URL (``sqlite:///...``, ``postgresql://...``), an open
    :class:`KnowledgeBase`, or ``None`` for the default one (opened on first use).
    """

    def __init__(self, kb: str | KnowledgeBase | None = None, *, device: str = "auto") -> None:
        self._kb_arg = kb
        self._kb: KnowledgeBase | None = None
        self.device = device

    # -- knowledge base ---------------------------------------------------------------------------
    @property
    def kb(self) -> KnowledgeBase:
        if self._kb is None:
            from knowledge_base import KnowledgeBase

            self._kb = (
                self._kb_arg
                if isinstance(self._kb_arg, KnowledgeBase)
                else KnowledgeBase(self._kb_arg)
            )
        return self._kb

    def close(self) -> None:
        if self._kb is not None and self._kb is not self._kb_arg:
            self._kb.close()
        self._kb = None

    def contribute(self, records: Iterable[Any]) -> ContributionReport:
        """Validate and write trial records (atomic; see ``KnowledgeBase.contribute``)."""
        return self.kb.contribute(records)

    def space(self, name: str = "mlp", version: int | None = None) -> SearchSpace:
        """A built-in space, or a space declared in the knowledge base."""
        try:
            return get_space(name)
        except ConfigError:
            matches = [
                s
                for s in self.kb.spaces()
                if s.name == name and (version is None or s.version == version)
            ]
            if not matches:
                raise
            return max(matches, key=lambda s: s.version)

    # -- data -----------------------------------------------------------------------------------
    def load(
        self,
        data: DataArg | Dataset,
        target: str | None = None,
        *,
        y: Sequence[Any] | np.ndarray | pd.Series | None = None,
        task: str = "auto",
        name: str | None = None,
    ) -> Dataset:
        if isinstance(data, Dataset):
            return data
        return load_dataset(data, target, y=y, task=task, name=name)  # type: ignore[arg-type]

    def meta_features(
        self,
        data: DataArg | Dataset,
        target: str | None = None,
        *,
        y: Any = None,
        task: str = "auto",
        seed: int = 0,
    ) -> MetaFeatures:
        return extract(self.load(data, target, y=y, task=task), seed=seed)

    # -- trials ---------------------------------------------------------------------------------
    def evaluate(
        self,
        data: DataArg | Dataset,
        config: dict[str, Any] | str = "default",
        *,
        target: str | None = None,
        y: Any = None,
        task: str = "auto",
        epochs: int = 20,
        seed: int = 0,
        objective: str | None = None,
        time_limit: float | None = None,
    ) -> tuple[TrialResult, FittedModel | None]:
        """Train one configuration (a dict, completed from ``default``, or a name)."""
        from advisor.spaces import named_config
        from advisor.trials import fit_model

        cfg = (
            named_config(config)
            if isinstance(config, str)
            else MLP_SPACE.validate(config, complete=True)
        )
        ds = self.load(data, target, y=y, task=task)
        return fit_model(
            SplitCache(ds, seed=seed),
            cfg,
            epochs=epochs,
            seed=seed,
            device=self.device,
            time_limit=time_limit,
            objective=objective,
        )

    # -- imports --------------------------------------------------------------------------------
    def import_optuna(
        self,
        storage: str,
        study: str,
        data: DataArg | Dataset,
        *,
        target: str | None = None,
        task: str = "auto",
        space: str = "mlp",
        objective: str | None = None,
        param_map: dict[str, str] | None = None,
        dataset_name: str | None = None,
        contributor: str | None = None,
    ) -> ContributionReport:
        """A finished Optuna study on ``data`` becomes knowledge-base trials."""
        from advisor.integrations.optuna import load_study, redact_url, study_to_records
        from advisor.records import dataset_info
        from advisor.trials import DEFAULT_OBJECTIVE

        ds = self.load(data, target, task=task)
        sp = self.space(space)
        st = load_study(storage, study)
        storage_id = redact_url(storage)
        info = dataset_info(ds, extract(ds), name=dataset_name or ds.name)
        records = study_to_records(
            st,
            info,
            sp,
            objective=objective or DEFAULT_OBJECTIVE[ds.task],
            storage_id=storage_id,
            param_map=param_map,
            contributor=contributor,
        )
        return self.kb.contribute(records)
