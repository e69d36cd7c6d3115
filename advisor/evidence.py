"""The rules that decide what the advice puts first, and the evidence each answer shows.

The ranker must earn every departure from ``default`` (a robust recipe):

* **no harm** -- the ranker's top configuration goes first only when the evidence supports
  leaving ``default``: the quantile models predict a gain of at least ``MIN_GAIN``, on the
  ``N_NEIGHBORS`` knowledge-base datasets most like this one (at the nearest budget) where both
  were evaluated it beat ``default`` by at least ``MIN_GAIN`` on average and on more than
  ``MIN_WIN_SHARE`` of them (a perturbation of ``default`` has no such evidence: ``default``
  goes first), and it is not riskier (chance of a failed seed) than ``default`` by more than
  ``MAX_EXTRA_RISK``. Otherwise ``default`` goes first and the answer says why;
* **out of distribution** -- a dataset farther from the knowledge base than 95% of its own
  datasets are from their nearest neighbours gets the robust order (best 25th percentile of
  normalized score across datasets), and so does data with more than ``SIZE_MARGIN`` (2) times
  the rows of the largest knowledge-base dataset, however near its other meta-features are;
* **small evidence** -- with fewer than ``MIN_GROUPS`` dataset groups the ranker has nothing to
  learn from: the configurations go by their normalized score on the nearest dataset, then by
  the portfolio (their mean normalized score), and the scores shown are those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from advisor.ranker.no_harm import (
    MIN_GAIN,
    N_NEIGHBORS,
    nearest_differences,
    neighbours_support,
)

if TYPE_CHECKING:
    from advisor.candidates import Prior

__all__ = [
    "MAX_EXTRA_RISK",
    "MIN_GAIN",
    "MIN_GROUPS",
    "N_NEIGHBORS",
    "Comparison",
    "compare",
    "explanation",
    "small_evidence",
    "small_evidence_scores",
]

MAX_EXTRA_RISK = 0.05
MIN_GROUPS = 8


@dataclass(frozen=True)
class Comparison:
    """A configuration (``top``) against ``default`` on one dataset."""

    model_gain: float  # predicted objective (median) minus default's
    gain_interval: tuple[float, float]  # the gain's 80% interval (from the two intervals)
    risk: float  # chance a seed fails
    default_risk: float
    neighbors: int  # nearby knowledge-base datasets where both were evaluated
    wins: int  # ... where it beat default
    mean_diff: float  # its mean objective minus default's there
    names: tuple[str, ...]  # up to three of those datasets

    @property
    def supported(self) -> bool:
        """Whether the evidence supports putting it before ``default`` (module docstring)."""
        if self.model_gain < MIN_GAIN or self.risk > self.default_risk + MAX_EXTRA_RISK:
            return False
        return neighbours_support(self.neighbors, self.wins, self.mean_diff)

    def reason(self, objective: str) -> str:
        """Why ``default`` goes first (when :attr:`supported` is false), or why the ranker's
        favourite goes before it, in words."""
        if self.supported:
            evidence = (
                f"; it beat default on {self.wins} of the {self.neighbors} most similar datasets "
                f"where both ran (mean {self.mean_diff:+.3f})"
                if self.neighbors
                else "; no similar dataset ran both"
            )
            return (
                f"the ranker's favourite goes first: predicted {self.model_gain:+.3f} {objective} "
                f"over default, failing on {self.risk:.0%} of seeds" + evidence
            )
        if self.risk > self.default_risk + MAX_EXTRA_RISK:
            return (
                f"the ranker's favourite fails more often ({self.risk:.0%} of seeds against "
                f"{self.default_risk:.0%} for default)"
            )
        if self.model_gain < MIN_GAIN:
            return (
                f"the predicted gain of the ranker's favourite over default is "
                f"{self.model_gain:+.3f} {objective}, below {MIN_GAIN}"
            )
        return (
            f"on the {self.neighbors} most similar datasets where both ran, the ranker's "
            f"favourite beat default only {self.wins} times (mean {self.mean_diff:+.3f})"
        )


def compare(
    prior: Prior, top: int, default: int, q: dict[str, np.ndarray], risk: np.ndarray
) -> Comparison:
    """``top`` against ``default`` (columns of the knowledge base) for ``prior``'s dataset;
    ``q`` and ``risk`` hold the two configurations' predictions (in that order)."""
    art = prior.art
    diffs, chosen = nearest_differences(
        art.values[:, top],
        art.values[:, default],
        np.where(prior.same_task, prior.dataset_distance, np.inf),
        art.base_names,
    )
    gain = float(q["q50"][0] - q["q50"][1])
    lo = float(q["q10"][0] - q["q90"][1])
    hi = float(q["q90"][0] - q["q10"][1])
    return Comparison(
        model_gain=gain,
        gain_interval=(lo, hi),
        risk=float(risk[0]),
        default_risk=float(risk[1]),
        neighbors=len(chosen),
        wins=int((diffs > 0).sum()),
        mean_diff=float(diffs.mean()) if len(diffs) else 0.0,
        names=tuple(art.base_names[i] for i in chosen[:3]),
    )


def small_evidence(prior: Prior) -> bool:
    """Too few dataset groups for the ranker to learn from."""
    return len(set(prior.art.fs.groups)) < MIN_GROUPS


def small_evidence_scores(prior: Prior) -> np.ndarray:
    """Scores of the evaluated configurations when evidence is small: normalized score on the
    nearest dataset of the task (where evaluated), ties and gaps broken by the portfolio."""
    fs = prior.art.fs
    dist = np.where(prior.same_task, prior.dataset_distance, np.inf)
    if not np.isfinite(dist).any():
        dist = prior.dataset_distance
    portfolio = np.nan_to_num(np.nanmean(np.where(np.isnan(fs.norm), np.nan, fs.norm), axis=0))
    nearest = fs.norm[int(np.argmin(dist))]
    return np.where(np.isnan(nearest), portfolio - 1.0, nearest) + 1e-3 * portfolio


def explanation(
    objective: str,
    predicted: float,
    interval: tuple[float, float],
    risk: float,
    comparison: Comparison | None,
    is_default: bool,
) -> str:
    """One suggestion in plain words."""
    text = f"predicted {objective} {predicted:.3f} (80%: {interval[0]:.3f} to {interval[1]:.3f})"
    if risk >= 0.005:
        text += f"; a seed fails {risk:.0%} of the time"
    if is_default:
        return text + "; this is default, the robust recipe"
    if comparison is not None:
        c = comparison
        text += (
            f"; {c.model_gain:+.3f} over default ({c.gain_interval[0]:+.3f} to "
            f"{c.gain_interval[1]:+.3f})"
        )
        if c.neighbors:
            text += (
                f"; beat default on {c.wins} of the {c.neighbors} most similar datasets "
                f"(mean {c.mean_diff:+.3f}; e.g. {', '.join(c.names)})"
            )
    return text


def rounded(x: Any, digits: int = 4) -> float:
    return round(float(x), digits)
