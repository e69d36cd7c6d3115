"""The ranker artifacts of one knowledge base: in memory, on disk, shipped, or retrained.

An artifact trained on exactly the knowledge base's trials (same digest) is current; one that
differs a little (see :meth:`RankerArtifact.is_stale`) is still used. A stale or missing one is
retrained and saved under :func:`artifact_path`; an automatic retrain reuses the previous
artifact's settings, a refit chooses them again by grouped cross-validation. The artifact
shipped with the seed is used while it fits the knowledge base.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from advisor.ranker.artifact import RankerArtifact, train_artifact
from advisor.ranker.table import PerformanceTable
from advisor_core.errors import RankerError

__all__ = ["ArtifactCache", "artifact_path"]


def artifact_path(kb_url: str, space: str = "mlp") -> Path:
    """Where the ranker artifact of a knowledge base and a space is saved.

    Parameters
    ----------
    kb_url : str
        The knowledge base's URL (``KnowledgeBase.url``); each URL has its own folder.
    space : str, default="mlp"
        The search space's name, with its version (``mlp@2``).

    Returns
    -------
    Path
        ``$ADVISOR_HOME`` (default: the user's data directory) ``/rankers/<key>/ranker-<space>
        .json``, where the key is a digest of the URL.
    """
    from platformdirs import user_data_dir

    key = hashlib.sha256(kb_url.encode()).hexdigest()[:12]
    root = Path(os.environ.get("ADVISOR_HOME") or user_data_dir("tuning-advisor"))
    return root / "rankers" / key / f"ranker-{space}.json"


class ArtifactCache:
    """Ranker artifacts of one knowledge base, kept per space (see the module docstring).

    Parameters
    ----------
    kb_url : str
        The knowledge base's URL (names the folder of the saved artifacts).
    snapshot : callable
        ``snapshot(space)``: the knowledge base's current snapshot of a space (trial and
        dataset counts, digest; ``KnowledgeBase.snapshot``).
    table : callable
        ``table(space)``: the performance table to train on.
    shipped : Path or None
        A folder of artifacts trained on the shipped seed (``ranker-<space>.json``).
    """

    def __init__(
        self,
        kb_url: str,
        snapshot: Callable[[str], dict[str, Any]],
        table: Callable[[str], PerformanceTable],
        *,
        shipped: Path | None = None,
    ) -> None:
        self.kb_url = kb_url
        self.snapshot = snapshot
        self.table = table
        self.shipped = shipped
        self._artifacts: dict[str, RankerArtifact] = {}
        self._checked: dict[str, float] = {}

    def path(self, space: str) -> Path:
        """Where the artifact of ``space`` is saved (:func:`artifact_path`)."""
        return artifact_path(self.kb_url, space)

    def get(
        self,
        space: str,
        *,
        refit: bool = False,
        max_age_s: float = 0.0,
        progress: Callable[[str], None] | None = None,
    ) -> RankerArtifact:
        """The artifact of ``space``: the one in memory if it was checked against the
        knowledge base less than ``max_age_s`` seconds ago or is not stale, else a saved or
        shipped one that is not stale, else a new one (trained and saved). ``refit`` always
        trains, choosing the settings again."""
        cached = self._artifacts.get(space)
        now = time.monotonic()
        fresh = now - self._checked.get(space, -1e9) < max_age_s
        if not refit and cached is not None and fresh:
            return cached  # checked against the knowledge base moments ago
        snap = self.snapshot(space)
        self._checked[space] = now
        if not refit and cached is not None and not cached.is_stale(snap):
            return cached
        previous = cached
        if not refit:
            for candidate in self._candidates(space):
                try:
                    art = RankerArtifact.load(candidate)
                except RankerError:
                    continue
                if not art.is_stale(snap) and f"{art.space.name}@{art.space.version}" == space:
                    self._artifacts[space] = art
                    return art
                previous = previous or art
        if progress and snap["trials"]:
            progress(f"training the ranker on {snap['trials']} trials of space {space!r}")
        params = None if refit or previous is None else dict(previous.params)
        art = train_artifact(self.table(space), snap, params=params, progress=progress)
        art.save(self.path(space))
        self._artifacts[space] = art
        return art

    def _candidates(self, space: str) -> list[Path]:
        paths = [self.path(space)]
        if self.shipped is not None:
            paths.append(self.shipped / f"ranker-{space}.json")
        return [p for p in paths if p.is_file()]
