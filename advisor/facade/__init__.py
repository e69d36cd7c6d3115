"""``Advisor``: the one facade that composes data, meta-features, trials and the knowledge base.

The CLI, the service and the integrations call this module, not the layers below it: the
:class:`Advisor` class, and the functions they need besides it (``__all__``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.facade._helpers import (
    announce_contribution,
    dataset_name_for,
    dataset_record,
    distributions,
    enqueue_warm_start,
    evaluate_ranker,
    load_dataset,
    make_trial_id,
    meta_feature_specs,
    ranker_artifact_path,
    read_table,
    trial_value,
)
from advisor.facade._progress import progress_bar, wants_progress
from advisor.facade._reports import ReportMixin
from advisor.facade._training import TrainingMixin
from advisor.facade._trial_log import TrialLog
from advisor.search.confirm import searched as searched_trials

if TYPE_CHECKING:
    from knowledge_base import KnowledgeBase

__all__ = [
    "Advisor",
    "TrialLog",
    "announce_contribution",
    "dataset_name_for",
    "dataset_record",
    "distributions",
    "enqueue_warm_start",
    "evaluate_ranker",
    "load_dataset",
    "make_trial_id",
    "meta_feature_specs",
    "progress_bar",
    "ranker_artifact_path",
    "read_table",
    "searched_trials",
    "trial_value",
    "wants_progress",
]


class Advisor(ReportMixin, TrainingMixin):
    """Suggest, search and remember hyperparameters for PyTorch MLPs on tabular data.

    Parameters
    ----------
    kb : str, KnowledgeBase or None, default=None
        A knowledge-base URL (``sqlite:///PATH``, ``postgresql://USER@HOST/DB``), an open
        :class:`~knowledge_base.KnowledgeBase` (left open by :meth:`close`), or ``None`` for
        the default one (``$ADVISOR_KB_URL``, else in the user's data directory). Opened on
        first use; training and evaluating open none.
    device : {"auto", "cpu", "cuda"}, default="auto"
        Where trials train (``auto``: CUDA when present).
    ranker_check_s : float, default=10.0
        A loaded ranker is checked against the knowledge base at most this often (seconds;
        also an attribute, ``0``: on every call).

    Examples
    --------
    >>> adv = Advisor()
    >>> advice = adv.suggest("examples/credit_card.csv", target="card", k=5)
    >>> result = adv.search(X, y, n_trials=20)
    """

    def __init__(
        self,
        kb: str | KnowledgeBase | None = None,
        *,
        device: str = "auto",
        ranker_check_s: float = 10.0,
    ) -> None:
        super().__init__(kb, device=device, ranker_check_s=ranker_check_s)
