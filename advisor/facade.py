"""``Advisor``: the one facade that composes data, meta-features, trials and the knowledge base.

The CLI, the service and the integrations call this class, not the layers below it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import pandas as pd

from advisor.data import Dataset, SplitCache, load_dataset
from advisor.metafeatures import VERSION as META_VERSION
from advisor.metafeatures import MetaFeatures, extract
from advisor_core.errors import ConfigError, RankerError, SearchError
from advisor_core.spaces import MLP_SPACE, SearchSpace, get_space

if TYPE_CHECKING:
    from advisor.ranker import PerformanceTable
    from advisor.ranker.artifact import RankerArtifact
    from advisor.search import SearchResult
    from advisor.suggest import Advice
    from advisor.trials import FittedModel, TrialResult
    from knowledge_base import ContributionReport, KnowledgeBase

#: Ranker artifacts trained on the shipped seed (used while the knowledge base matches it).
SHIPPED_RANKERS = Path(__file__).resolve().parents[1] / "knowledge_base" / "seed"

__all__ = ["META_VERSION", "Advisor"]

DataArg = str | Path | pd.DataFrame | np.ndarray


class Advisor:
    """Suggest, search and remember hyperparameters for PyTorch MLPs on tabular data.

    ``kb`` is a knowledge-base URL (``sqlite:///...``, ``postgresql://...``), an open
    :class:`KnowledgeBase`, or ``None`` for the default one (opened on first use). A loaded
    ranker is re-checked against the knowledge base at most every ``ranker_check_s`` seconds.
    """

    ranker_check_s: float = 10.0

    def __init__(self, kb: str | KnowledgeBase | None = None, *, device: str = "auto") -> None:
        self._kb_arg = kb
        self._kb: KnowledgeBase | None = None
        self._rankers: dict[str, RankerArtifact] = {}
        self._checked: dict[str, float] = {}
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
        min_rows: int | None = None,
    ) -> Dataset:
        """A validated :class:`Dataset`; ``min_rows`` lowers the row minimums (a trial with a
        validation split needs 20 rows and 2 per class; training on all rows needs fewer)."""
        if isinstance(data, Dataset):
            return data
        if task not in ("auto", "classification", "regression"):
            raise ConfigError(
                f"task is {task!r}, but must be one of auto, classification, regression"
            )
        resolved = cast(Literal["auto", "classification", "regression"], task)
        if min_rows is not None:
            return load_dataset(
                data, target, y=y, task=resolved, name=name, min_rows=min_rows, min_rows_per_class=1
            )
        return load_dataset(data, target, y=y, task=resolved, name=name)

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
        from advisor.trials import fit_model
        from advisor_core.spaces import named_config

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

    # -- ranker and suggestions -----------------------------------------------------------------
    def performance_table(self, space: str = "mlp") -> PerformanceTable:
        """The knowledge base's trials of ``space`` as a performance table."""
        from advisor.ranker import performance_table

        trials = self.kb.trials(space, with_curves=True)
        if trials.empty:
            raise RankerError(f"the knowledge base has no trials of space {space!r}")
        return performance_table(trials, self.space(space))

    def _artifact_path(self, space: str) -> Path:
        import hashlib

        from platformdirs import user_data_dir

        key = hashlib.sha256(self.kb.url.encode()).hexdigest()[:12]
        root = Path(os.environ.get("ADVISOR_HOME") or user_data_dir("tuning-advisor"))
        return root / "rankers" / key / f"ranker-{space}.json"

    def ranker(
        self,
        space: str = "mlp",
        *,
        refit: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> RankerArtifact:
        """The trained ranker of ``space``: cached, reloaded, or retrained when stale.

        An artifact trained on exactly the knowledge base's trials (same digest) is current;
        one that differs a little (see ``RankerArtifact.is_stale``) is still used. A stale
        or missing one is retrained; an automatic retrain reuses the previous artifact's
        settings, ``refit=True`` (``advisor ranker fit``) chooses them again by grouped CV.
        The shipped artifact of the seed is used while it fits.
        """
        from advisor.ranker.artifact import RankerArtifact, train_artifact

        cached = self._rankers.get(space)
        now = time.monotonic()
        if (
            cached is not None
            and not refit
            and now - self._checked.get(space, -1e9) < self.ranker_check_s
        ):
            return cached  # checked against the knowledge base moments ago
        snap = self.kb.snapshot(space)
        self._checked[space] = now
        if cached is not None and not refit and not cached.is_stale(snap):
            return cached
        path = self._artifact_path(space)
        previous: RankerArtifact | None = cached
        if not refit:
            for candidate in (path, SHIPPED_RANKERS / f"ranker-{space}.json"):
                if candidate.is_file():
                    try:
                        art = RankerArtifact.load(candidate)
                    except RankerError:
                        continue
                    if not art.is_stale(snap) and art.space.name == space:
                        self._rankers[space] = art
                        return art
                    previous = previous or art
        if progress:
            progress(f"training the ranker on {snap['trials']} trials of space {space!r}")
        params = None if refit or previous is None else dict(previous.params)
        art = train_artifact(self.performance_table(space), snap, params=params, progress=progress)
        art.save(path)
        self._rankers[space] = art
        return art

    def suggest(
        self,
        data: DataArg | Dataset | None = None,
        y: Any = None,
        *,
        target: str | None = None,
        meta_features: Mapping[str, Any] | None = None,
        task: str = "auto",
        k: int = 5,
        space: str = "mlp",
        n_candidates: int = 2000,
        seed: int = 0,
    ) -> Advice:
        """Ranked, diverse starting configurations for a dataset.

        Give the data (``suggest(X, y)`` or ``suggest("data.csv", target="y")``), or only its
        meta-features and task (``suggest(meta_features=..., task=...)``) if it cannot be shared.
        """
        from advisor.suggest import suggest as _suggest

        if meta_features is None:
            if data is None:
                raise ConfigError("give the data (X, y or a file with target) or meta_features")
            mf = self.meta_features(data, target, y=y, task=task)
            values, resolved = dict(mf.values), mf.task
        else:
            if task not in ("classification", "regression"):
                raise ConfigError(
                    f"with meta_features, task must be classification or regression, got {task!r}"
                )
            values, resolved = self.check_meta_features(dict(meta_features)), task
        art = self.ranker(space)
        return _suggest(art, values, resolved, k=k, n_candidates=n_candidates, seed=seed)

    # -- search ---------------------------------------------------------------------------------
    def search(
        self,
        data: DataArg | Dataset,
        y: Any = None,
        *,
        target: str | None = None,
        task: str = "auto",
        n_trials: int | None = None,
        time_budget: float | None = None,
        strategy: str = "advisor",
        epochs: int = 20,
        seed: int = 0,
        storage: str | None = None,
        study_name: str | None = None,
        contribute: bool = True,
        space: str = "mlp",
        objective: str | None = None,
        trial_time_limit: float | None = None,
        dataset_name: str | None = None,
        on_progress: Callable[[int, float | None], None] | None = None,
        sampler_options: dict[str, Any] | None = None,
    ) -> SearchResult:
        """Tune the ``mlp`` space on ``data`` with short PyTorch trials (an Optuna study).

        ``strategy``: ``advisor`` (warm start + ranker-guided refinement), ``warm`` (the
        ranker's suggestions alone), ``tpe`` or ``random`` (cold). Every finished trial is
        written to the knowledge base unless ``contribute=False``.
        """
        from advisor.records import dataset_info, trial_record
        from advisor.search import Prior, run_search

        ds = self.load(data, target, y=y, task=task)
        sp = self.space(space)
        if sp.name != "mlp":
            raise ConfigError("the built-in trial runner trains the mlp space only")
        mf = extract(ds)
        prior = Prior(self.ranker(space), mf.values) if strategy in ("advisor", "warm") else None
        info = dataset_info(ds, mf, name=dataset_name or ds.name)
        cache = SplitCache(ds, seed=seed)

        def write(result: TrialResult, number: int) -> None:
            if contribute:
                self.kb.contribute([trial_record(result, info, contributor="advisor-search")])

        return run_search(
            cache,
            sp,
            strategy=strategy,
            prior=prior,
            n_trials=n_trials,
            time_budget=time_budget,
            epochs=epochs,
            seed=seed,
            storage=storage,
            study_name=study_name,
            device=self.device,
            objective=objective,
            trial_time_limit=trial_time_limit,
            on_result=write,
            on_progress=on_progress,
            sampler_options=sampler_options,
        )

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
        """Train ``config`` on all rows of ``data`` (no validation split) for prediction."""
        from advisor.data import prepare_split
        from advisor.trials import FittedModel
        from advisor.trials.runner import train

        ds = self.load(data, target, y=y, task=task)
        rows = np.arange(ds.n_rows)
        split = prepare_split(ds, str(config["feature_scaling"]), rows=(rows, rows))
        result, module, split = train(split, config, epochs=epochs, seed=seed, device=self.device)
        if module is None:
            raise SearchError(
                f"the final model did not train: {result.status} ({result.message})",
                result.status,
            )
        return FittedModel(module, split, result.config, result)

    # -- helpers for the interfaces (CLI, service, integrations) -------------------------------
    def sampler(
        self,
        meta_features: Mapping[str, Any],
        *,
        space: str = "mlp",
        seed: int = 0,
        param_map: dict[str, str] | None = None,
    ) -> Any:
        """An Optuna sampler (``AdvisorSampler``) guided by the ranker's prior for a dataset
        with these meta-features, refined by the study's own trials."""
        from advisor.search import AdvisorSampler, Prior

        return AdvisorSampler(
            Prior(self.ranker(space), dict(meta_features)), seed=seed, param_map=param_map
        )

    def distributions(self, space: str = "mlp") -> dict[str, Any]:
        """The Optuna distributions of a space."""
        from advisor.search import distributions

        return distributions(self.space(space))

    def evaluate_ranker(
        self,
        space: str = "mlp",
        *,
        nested: bool = True,
        progress: Callable[[int, int], None] | None = None,
        n_jobs: int = 1,
    ) -> Any:
        """Leave-one-group-out evaluation of the ranker against the baselines (held-out
        groups in ``n_jobs`` processes)."""
        from advisor.ranker.evaluate import evaluate

        return evaluate(
            self.performance_table(space), nested=nested, progress=progress, n_jobs=n_jobs
        )

    def dataset_record(
        self,
        dataset: Dataset,
        *,
        name: str | None = None,
        source: str | None = None,
        group: str | None = None,
    ) -> dict[str, Any]:
        """The ``dataset`` part of a trial record: fingerprint, sizes, task, meta-features."""
        from advisor.records import dataset_info

        return dataset_info(dataset, extract(dataset), name=name, source=source, group=group)

    @staticmethod
    def load_model(path: str | Path) -> FittedModel:
        """A model saved by ``search --save-model`` (``FittedModel.save``)."""
        from advisor.trials import FittedModel

        return FittedModel.load(path)

    @staticmethod
    def read_table(path: str | Path) -> pd.DataFrame:
        """A CSV/TSV/Parquet file as a DataFrame (clear errors for bad files)."""
        from advisor.data import read_table

        return read_table(path)

    @staticmethod
    def meta_feature_specs() -> list[Any]:
        """Every meta-feature with its group and one-line description."""
        from advisor.metafeatures import specs

        return specs()

    @staticmethod
    def meta_feature_names() -> list[str]:
        from advisor.metafeatures import feature_names

        return feature_names()

    @staticmethod
    def check_meta_features(values: Any) -> dict[str, float | None]:
        """A contributed meta-feature vector, validated (raises :class:`ConfigError`)."""
        from advisor.metafeatures import check_vector

        return check_vector(META_VERSION, values)

    @staticmethod
    def trial_id(*parts: object) -> str:
        """A trial id derived from what identifies a trial (re-sending stays idempotent)."""
        from advisor.records import deterministic_trial_id

        return deterministic_trial_id(*parts)
