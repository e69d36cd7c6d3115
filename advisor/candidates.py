"""The ranker's ranked, diversified candidate list for one dataset.

One list serves both ``advisor suggest`` and the search: :func:`rank_candidates` scores the
knowledge base's evaluated configurations and perturbations of the best of them for a dataset
(:class:`Prior`, the ranker's view of that dataset), sorts them and interleaves the nearest
datasets' best configurations (:mod:`advisor.ranker.knn`); for a dataset out of the
knowledge base's distribution the list is the robust order instead (best 25th percentile of
normalized score across datasets). :meth:`RankedList.diverse` takes the list's first
configurations at least ``MIN_DISTANCE`` apart: the suggestions, the search's warm start, and,
continued by the search's sampler, its later list turns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np

from advisor.evidence import Comparison, compare, small_evidence, small_evidence_scores
from advisor.ranker.artifact import RankerArtifact
from advisor.ranker.features import UNSEEN_SHRINK, perturb_units
from advisor.ranker.knn import interleave, knn_order
from advisor.ranker.table import BUDGET_COLUMN
from advisor_core.errors import ConfigError
from advisor_core.objectives import DEFAULT_OBJECTIVE
from advisor_core.spaces import CategoricalParam, SearchSpace, config_hash, named_config

__all__ = [
    "DEFAULT_EPOCHS",
    "MIN_DISTANCE",
    "N_CANDIDATES",
    "Prior",
    "RankedList",
    "diverse_picks",
    "rank_candidates",
    "unit_distance",
]

#: The list's configurations are at least this far apart (mean per-hyperparameter distance in
#: [0, 1]; a categorical counts 1 when it differs): the list hedges across regions the ranker
#: scores well instead of repeating one region with small changes
#: (``experiments/search_simulation/README.md``).
MIN_DISTANCE = 0.3
#: Candidates scored for a dataset: the knowledge base's configurations, then perturbations.
N_CANDIDATES = 2000
#: The budget advice is for unless told otherwise (the CLI's and the search's default).
DEFAULT_EPOCHS = 20
#: Perturbations are drawn around this many of the best-scored evaluated configurations.
N_BASES = 20
#: Data with more than this many times the rows of the largest knowledge-base dataset is out
#: of distribution, however near its other meta-features are.
SIZE_MARGIN = 2.0


def unit_distance(
    space: SearchSpace, a: np.ndarray, b: np.ndarray, dims: np.ndarray | None = None
) -> np.ndarray:
    """Mean per-hyperparameter distance between the unit-cube rows of ``a`` and ``b``.

    Parameters
    ----------
    space : SearchSpace
        The space the rows belong to (a categorical counts 1 when it differs).
    a, b : ndarray of shape (n, d) and (m, d)
        Configurations in unit space (``SearchSpace.unit_of``).
    dims : ndarray of bool, optional
        Only these hyperparameters (default: all).

    Returns
    -------
    ndarray of shape (n, m)
    """
    cat = np.array([isinstance(p, CategoricalParam) for p in space.params])
    diff = np.abs(a[:, None, :] - b[None, :, :])
    diff = np.where(cat[None, None, :], (diff > 0).astype(float), diff)
    if dims is not None:
        diff = diff[:, :, dims]
    return np.asarray(diff.mean(axis=2))


def diverse_picks(
    space: SearchSpace,
    units: np.ndarray,
    order: Iterable[int],
    k: int,
    min_distance: float = MIN_DISTANCE,
) -> list[int]:
    """Greedy: the rows of ``units`` in ``order``, skipping those closer than ``min_distance``
    to one already taken; at most ``k``."""
    picked: list[int] = []
    for i in order:
        i = int(i)
        if picked and unit_distance(space, units[i][None, :], units[picked]).min() < min_distance:
            continue
        picked.append(i)
        if len(picked) == k:
            break
    return picked


class Prior:
    """The ranker's view of one dataset: a score for any configuration of the space.

    Parameters
    ----------
    art : RankerArtifact
        The trained ranker of the space.
    meta_features : mapping
        The dataset's meta-features (name to value or ``None``).
    task : {"classification", "regression"}
        The dataset's task: the knowledge-base datasets of the same task decide whether it is
        out of distribution.
    epochs : int, default=20
        The training budget the advice is for (a ranker trained on budgets reads it as a
        feature; one trained without ignores it).

    Attributes
    ----------
    space : SearchSpace
    kb_scores : ndarray
        The score of each evaluated configuration (``art.fs.config_hashes`` order).
    dataset_distance : ndarray
        The distance to each knowledge-base dataset (scaled meta-features).
    same_task : ndarray of bool
        The knowledge-base datasets of the same task.
    nearest : float
        The distance to the nearest knowledge-base dataset of the same task.
    larger_than_kb : tuple of (int, int) or None
        (rows, the knowledge base's largest) when the dataset has more than ``SIZE_MARGIN``
        times the rows of the largest knowledge-base dataset, else ``None``.
    out_of_distribution : bool
        Whether ``nearest`` is beyond the artifact's threshold, or the data is larger than
        anything in the knowledge base.
    """

    def __init__(
        self,
        art: RankerArtifact,
        meta_features: Mapping[str, float | None],
        task: str,
        epochs: int = DEFAULT_EPOCHS,
    ) -> None:
        if task not in ("classification", "regression"):
            raise ConfigError(f"task is {task!r}, but must be classification or regression")
        if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= 1000:
            raise ConfigError(f"epochs is {epochs!r}, but must be an integer in [1, 1000]")
        self.epochs = epochs
        meta_features = {**meta_features, BUDGET_COLUMN[3:]: float(np.log2(epochs))}
        self.art = art
        self.task = task
        self.space: SearchSpace = art.space
        fs = art.fs
        values = [meta_features.get(c[3:]) for c in fs.mf_columns]
        self.mf_row = np.array([np.nan if v is None else float(v) for v in values])
        scaled = fs.scale(self.mf_row[None, :])[0]
        self.pmean, self.pknn, self.dataset_distance = fs.query_priors(scaled)
        same_task = fs.tasks == task
        self.same_task = same_task
        data_distance = fs.distances(scaled, data_only=True)
        self.nearest = float(data_distance[same_task].min()) if same_task.any() else np.inf
        self.larger_than_kb = _larger_than_kb(fs, self.mf_row)
        self.out_of_distribution = bool(
            self.nearest > art.ood_threshold or self.larger_than_kb is not None
        )
        self._col = {h: j for j, h in enumerate(fs.config_hashes)}
        self.kb_scores = art.score(fs.matrix(self.mf_row, fs.encoded, self.pmean, self.pknn))
        self.default_col = self._default_column()

    def _default_column(self) -> int | None:
        """The knowledge-base column of the space's ``default`` recipe for this task, if any."""
        if self.space.name != "mlp":
            return None
        try:
            default = named_config("default", task=self.task, version=self.space.version)
        except ConfigError:
            return None
        return self._col.get(config_hash(default))

    def predict(
        self, enc: np.ndarray, parents: np.ndarray
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """The predicted objective (``q10``, ``q50``, ``q90``) and chance of a failed seed of
        encoded configurations that take the priors of evaluated ``parents``."""
        fs = self.art.fs
        M = fs.matrix(self.mf_row, enc, self.pmean[parents], self.pknn[parents])
        return self.art.predict_objective(M), self.art.predict_risk(M)

    def score_encoded(self, enc: np.ndarray, parents: np.ndarray, unseen: np.ndarray) -> np.ndarray:
        """Scores of encoded configurations that take the priors of evaluated ``parents``.

        The ranker never saw the ``unseen`` ones evaluated: their score is shrunk towards
        their parent's by ``UNSEEN_SHRINK``, so that one wins only where the ranker predicts a
        clear improvement.
        """
        if not len(enc):
            return np.empty(0)
        fs = self.art.fs
        raw = self.art.score(fs.matrix(self.mf_row, enc, self.pmean[parents], self.pknn[parents]))
        parent = self.kb_scores[parents]
        return np.where(unseen, parent + UNSEEN_SHRINK * (raw - parent), raw)

    def score(self, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """The ranker's score of each configuration (higher is better); one never evaluated
        takes the priors of its nearest evaluated one (see :meth:`score_encoded`)."""
        if not configs:
            return np.empty(0)
        par = self.art.fs.parents(configs)
        known = [self._col.get(config_hash(dict(c))) for c in configs]
        idx = np.array([j if j is not None else int(par[i]) for i, j in enumerate(known)])
        unseen = np.array([j is None for j in known])
        return self.score_encoded(self.space.encode(configs), idx, unseen)

    def units(self, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """The configurations in unit space."""
        return self.space.unit_of(configs)

    def distance(self, a: np.ndarray, b: np.ndarray, dims: np.ndarray | None = None) -> np.ndarray:
        """:func:`unit_distance` in this prior's space."""
        return unit_distance(self.space, a, b, dims)

    def perturb(
        self,
        base: Sequence[Mapping[str, Any]],
        n: int,
        rng: np.random.Generator,
        scale: float = 0.07,
        flip: float = 0.15,
    ) -> list[dict[str, Any]]:
        """``n`` configurations near ``base`` (Gaussian in unit space, random category flips)."""
        if not base or n <= 0:
            return []
        U = perturb_units(self.space, self.units(base), n, rng, scale, flip)
        return [self.space.from_unit(u) for u in U]


class RankedList:
    """Candidate configurations for one dataset, in the order the advice takes them.

    Built by :func:`rank_candidates`. Position ``i`` of the list has the unit-space row
    ``units[i]`` (the point :meth:`config` comes from; diversity is judged on these rows), the
    ranker's ``scores[i]``, the evaluated configuration whose priors it takes (``parents[i]``,
    a column of the knowledge base) and whether it is that configuration (``from_kb[i]``).
    """

    def __init__(
        self,
        prior: Prior,
        raw_units: np.ndarray,
        scores: np.ndarray,
        parents: np.ndarray,
        from_kb: np.ndarray,
    ) -> None:
        self.prior = prior
        self.space = prior.space
        self.out_of_distribution = prior.out_of_distribution
        self.units = raw_units
        self.scores = scores
        self.parents = parents
        self.from_kb = from_kb
        self.rule = "ranker"
        self.reason = ""
        self.comparison: Comparison | None = None

    def __len__(self) -> int:
        return len(self.scores)

    def config(self, i: int) -> dict[str, Any]:
        """The configuration at position ``i``."""
        fs = self.prior.art.fs
        if self.from_kb[i]:
            return dict(fs.configs[fs.config_hashes[int(self.parents[i])]])
        return self.space.from_unit(self.units[i])

    @cached_property
    def configs(self) -> list[dict[str, Any]]:
        """Every configuration of the list, in order (built on first use)."""
        return [self.config(i) for i in range(len(self))]

    @cached_property
    def _positions(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i, c in enumerate(self.configs):
            out.setdefault(config_hash(c), i)
        return out

    def position(self, config: Mapping[str, Any]) -> int | None:
        """The first position of ``config`` in the list, or ``None``."""
        return self._positions.get(config_hash(dict(config)))

    def source(self, i: int) -> str:
        """``robust``, ``default`` (put first by the no-harm rule), ``knowledge_base``,
        ``nearest`` (small evidence) or ``perturbation``."""
        if self.out_of_distribution:
            return "robust"
        if i == 0 and self.rule == "no harm":
            return "default"
        if self.rule == "small evidence":
            return "nearest"
        return "knowledge_base" if self.from_kb[i] else "perturbation"

    def diverse(self, k: int, min_distance: float = MIN_DISTANCE) -> list[int]:
        """Positions of the list's first ``k`` configurations at least ``min_distance`` apart
        (:func:`diverse_picks`)."""
        return diverse_picks(self.space, self.units, range(len(self)), k, min_distance)

    def diverse_configs(self, k: int, min_distance: float = MIN_DISTANCE) -> list[dict[str, Any]]:
        """The configurations at :meth:`diverse`'s positions."""
        return [self.config(i) for i in self.diverse(k, min_distance)]


def rank_candidates(prior: Prior, n_candidates: int = N_CANDIDATES, seed: int = 0) -> RankedList:
    """The ranked candidate list of a dataset: what ``suggest`` and the search both take.

    Parameters
    ----------
    prior : Prior
        The ranker's view of the dataset.
    n_candidates : int, default=2000
        Candidates in all: the knowledge base's evaluated configurations, then perturbations
        of the ``N_BASES`` best-scored of them (fresh points near what worked), each taking its
        base's priors and a score shrunk towards the base's.
    seed : int, default=0
        Seed of the perturbations.

    Returns
    -------
    RankedList
        The ranker's order (by score, stable) interleaved with the nearest datasets' best
        configurations (:mod:`advisor.ranker.knn`), ``default`` first where the no-harm rule
        keeps it there; out of distribution, the evaluated configurations in the robust order.
    """
    fs = prior.art.fs
    space = prior.space
    n_kb = len(fs.config_hashes)
    if small_evidence(prior):  # the ranker has nothing to learn from: no perturbations either
        scores = small_evidence_scores(prior)
        order = np.argsort(-scores, kind="stable")
        ranked = RankedList(
            prior, fs.unit[order], scores[order], order.astype(int), np.ones(n_kb, bool)
        )
        ranked.rule = "small evidence"
        ranked.reason = (
            f"the knowledge base has {len(set(fs.groups))} dataset groups for this space, too "
            "few for the ranker: configurations go by their score on the nearest dataset, "
            "then across datasets"
        )
        return ranked
    s_kb = prior.kb_scores
    top = np.argsort(-s_kb, kind="stable")[:N_BASES]
    U_new = perturb_units(
        space, fs.unit[top], max(0, n_candidates - n_kb), np.random.default_rng(seed)
    )
    par = top[np.arange(len(U_new)) % len(top)] if len(U_new) else np.empty(0, dtype=int)
    s_new = prior.score_encoded(space.encoded_from_unit(U_new), par, np.ones(len(U_new), bool))
    units = np.vstack([fs.unit, U_new])
    scores = np.concatenate([s_kb, s_new])
    parents = np.concatenate([np.arange(n_kb), par]).astype(int)
    comparison, reason = None, ""
    if prior.out_of_distribution:
        col = {h: j for j, h in enumerate(fs.config_hashes)}
        order = np.array([col[h] for h in prior.art.robust_order], dtype=int)
        if prior.larger_than_kb is not None:
            rows, largest = prior.larger_than_kb
            reason = (
                f"this dataset ({rows:,} rows) is larger than anything in the knowledge base "
                f"(largest {largest:,} rows): robust configurations (best across datasets) "
                "instead of ranked ones"
            )
        else:
            reason = (
                f"this dataset is farther from the knowledge base ({prior.nearest:.3f}) than "
                f"95% of its datasets are from each other ({prior.art.ood_threshold:.3f}): "
                "robust configurations (best across datasets) instead of ranked ones"
            )
    else:
        knn = knn_order(fs.norm, fs.config_hashes, prior.dataset_distance, prior.art.avg_rank)
        order = interleave(np.argsort(-scores, kind="stable"), knn)
        d = prior.default_col
        # every departure from default is checked, a perturbation of default too (the
        # knowledge base's evidence about its parent says nothing in its favour)
        if d is not None and int(order[0]) != d:
            first = int(order[0])
            enc = np.vstack([space.encoded_from_unit(units[[first]]), fs.encoded[[d]]])
            q, risk = prior.predict(enc, np.array([parents[first], d]))
            comparison = compare(prior, int(parents[first]), d, q, risk)
            objective = DEFAULT_OBJECTIVE[prior.task]
            if not comparison.supported:
                order = np.concatenate([[d], order[order != d]])
                reason = "default goes first: " + comparison.reason(objective)
            else:
                reason = comparison.reason(objective)
        elif d is not None:
            reason = "the ranker puts default first"
    from_kb = order < n_kb
    ranked = RankedList(prior, units[order], scores[order], parents[order], from_kb)
    ranked.comparison = comparison
    ranked.reason = reason
    if prior.out_of_distribution:
        ranked.rule = "out of distribution"
    elif comparison is not None and not comparison.supported:
        ranked.rule = "no harm"
    return ranked


def _larger_than_kb(fs: Any, mf_row: np.ndarray) -> tuple[int, int] | None:
    """(rows, largest) when the dataset has over ``SIZE_MARGIN`` times the rows of the largest
    knowledge-base dataset (the ``log10_n_rows`` meta-feature), else ``None``."""
    col = "mf.log10_n_rows"
    if col not in fs.mf_columns:
        return None
    j = fs.mf_columns.index(col)
    mine, largest = float(mf_row[j]), float(fs.mf_max[j])
    if np.isnan(mine) or mine <= largest + np.log10(SIZE_MARGIN):
        return None
    return round(10 ** min(mine, 18.0)), round(10 ** min(largest, 18.0))
