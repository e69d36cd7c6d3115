"""Reports of searches and suggestions: one HTML file each (:mod:`advisor.report`), with the
knowledge base's trials on the nearest datasets queried here."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.facade._tuning import TuningMixin
from advisor_core.errors import AdvisorError

if TYPE_CHECKING:
    import pandas as pd

    from advisor.search import SearchResult
    from advisor.suggest import Advice

__all__ = ["ReportMixin"]


class ReportMixin(TuningMixin):
    """HTML reports of a search or a suggestion."""

    def _nearest_trials(
        self, advice: Advice | Mapping[str, Any], space: str = "mlp"
    ) -> pd.DataFrame:
        """The knowledge base's complete trials on the datasets nearest the advice's.

        Parameters
        ----------
        advice : Advice or mapping
            What :meth:`suggest` returned (or its ``to_dict()``).
        space : str, default="mlp"
            The space whose trials are read.

        Returns
        -------
        DataFrame
            ``dataset``, ``config``, ``config_hash``, ``value`` (the trial's score).
        """
        out = advice if isinstance(advice, Mapping) else advice.to_dict()
        names = list(
            dict.fromkeys(n["name"] for s in out["suggestions"] for n in s.get("neighbors", []))
        )
        sp = self.space(space)
        frame = self.kb.trials(sp.name, version=sp.version, statuses=["complete"])
        near = frame[frame["dataset_name"].isin(names)]
        return near.rename(columns={"dataset_name": "dataset", "score": "value"})[
            ["dataset", "config", "config_hash", "value"]
        ].reset_index(drop=True)

    def search_report(
        self,
        result: SearchResult,
        path: str | Path,
        *,
        dataset_name: str,
        data: Any = None,
        y: Any = None,
        target: str | None = None,
        task: str = "auto",
        space: str = "mlp",
        epochs: int = 20,
        seed: int = 0,
    ) -> Path:
        """Write the HTML report of a search (:func:`advisor.report.write_search_report`).

        Parameters
        ----------
        result : SearchResult
            What :meth:`search` returned.
        path : str or Path
            The HTML file to write (one self-contained page, figures embedded).
        dataset_name : str
            The dataset's name in the report's header.
        data, y, target, task
            The searched data, as for :meth:`search`: with it, the hyperparameter importance
            on similar datasets comes from the knowledge base's trials on the datasets nearest
            it (those :meth:`suggest` names); without it, or without a ranker, the report says
            it has none.
        space : str, default="mlp"
            The searched space.
        epochs, seed : int
            The search's budget and seed (to find the same nearest datasets).

        Returns
        -------
        Path
            The file written. Without matplotlib (the ``report`` extra) raises
            :class:`MissingDependencyError`.
        """
        from advisor.report import write_search_report

        kb_trials = None
        if data is not None:
            try:
                advice = self.suggest(
                    data, y, target=target, task=task, k=3, space=space, epochs=epochs, seed=seed
                )
                kb_trials = self._nearest_trials(advice, space)
            except AdvisorError:
                kb_trials = None
        return write_search_report(result, path, dataset_name=dataset_name, kb_trials=kb_trials)

    def suggest_report(
        self,
        advice: Advice | Mapping[str, Any],
        path: str | Path,
        *,
        dataset_name: str,
        space: str = "mlp",
        with_knowledge_base: bool = True,
    ) -> Path:
        """Write the HTML report of a suggestion (:func:`advisor.report.write_suggest_report`).

        Parameters
        ----------
        advice : Advice or mapping
            What :meth:`suggest` returned, or the JSON of a service's ``/v1/suggest``.
        path : str or Path
            The HTML file to write.
        dataset_name : str
            The dataset's name in the report's header.
        space : str, default="mlp"
            The space of the advice.
        with_knowledge_base : bool, default=True
            Show the suggestions beside the outcomes on the nearest datasets of this
            knowledge base (off for advice from a service, whose knowledge base is not this
            one).

        Returns
        -------
        Path
            The file written.
        """
        from advisor.report import write_suggest_report

        outcomes = self._nearest_trials(advice, space) if with_knowledge_base else None
        return write_suggest_report(
            advice, path, dataset_name=dataset_name, neighbour_outcomes=outcomes
        )
