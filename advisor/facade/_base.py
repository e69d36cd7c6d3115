"""The knowledge base, search spaces and the ranker: what every part of the facade uses."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from advisor.facade._helpers import _SHIPPED_RANKERS
from advisor.ranker.cache import ArtifactCache
from advisor_core.errors import ConfigError
from advisor_core.spaces import (
    SearchSpace,
    builtin_space,
    builtin_spaces,
    get_space,
    parse_space,
)

if TYPE_CHECKING:
    from advisor.ranker import PerformanceTable
    from advisor.ranker.artifact import RankerArtifact
    from knowledge_base import ContributionReport, KnowledgeBase

__all__ = ["AdvisorBase"]


class AdvisorBase:
    """The state of an :class:`~advisor.facade.Advisor`: knowledge base, spaces, rankers."""

    def __init__(
        self,
        kb: str | KnowledgeBase | None = None,
        *,
        device: str = "auto",
        ranker_check_s: float = 10.0,
    ) -> None:
        self._kb_arg = kb
        self._kb: KnowledgeBase | None = None
        self._artifacts: ArtifactCache | None = None
        self.device = device
        self.ranker_check_s = ranker_check_s

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base (opened on first use)."""
        if self._kb is None:
            from knowledge_base import KnowledgeBase

            arg = self._kb_arg
            self._kb = arg if isinstance(arg, KnowledgeBase) else KnowledgeBase(arg)
        return self._kb

    def close(self) -> None:
        """Close the knowledge base if this advisor opened it (it reopens on next use)."""
        if self._kb is not None and self._kb is not self._kb_arg:
            self._kb.close()
        self._kb = None

    def space(self, name: str = "mlp", version: int | None = None) -> SearchSpace:
        """A built-in search space, or one declared in the knowledge base.

        Parameters
        ----------
        name : str, default="mlp"
            The space's name, optionally with a version (``"mlp@1"``).
        version : int, optional
            The version (default: a built-in space's current version, a declared space's
            latest).

        Returns
        -------
        SearchSpace
            Raises :class:`ConfigError` if there is no such space.
        """
        base, at = parse_space(name)
        version = version if version is not None else at
        if builtin_space(base) is not None:
            return get_space(base, version)
        found = [s for s in self.kb.spaces() if s.name == base]
        found = [s for s in found if version is None or s.version == version]
        if not found:
            declared = sorted({s.name for s in self.kb.spaces()} - set(builtin_spaces()))
            raise ConfigError(
                f"unknown space {name!r}; built-in: {', '.join(builtin_spaces())}; "
                f"declared: {', '.join(declared) or 'none'}"
            )
        return max(found, key=lambda s: s.version)

    def contribute(self, records: Iterable[Any]) -> ContributionReport:
        """Validate and write trial records to the knowledge base, all or none.

        Parameters
        ----------
        records : iterable of TrialRecord or dict
            Records of the trial-log format (``knowledge_base/README.md``).

        Returns
        -------
        ContributionReport
            ``added`` and ``duplicates`` (by ``trial_id``); an invalid record raises
            :class:`ValidationError` and nothing is written.
        """
        return self.kb.contribute(records)

    # -- data and trials ------------------------------------------------------------------------
    def performance_table(self, space: str = "mlp") -> PerformanceTable:
        """The knowledge base's trials of a space as the ranker learns from them.

        Parameters
        ----------
        space : str, default="mlp"
            The search space (``"mlp@1"``: its version 1).

        Returns
        -------
        PerformanceTable
            One smoothed, seed-averaged, normalized value per dataset and configuration (see
            :func:`evaluate_ranker`); no trials raise :class:`RankerError`.
        """
        from advisor.ranker import performance_table
        from advisor_core.errors import RankerError

        sp = self.space(space)
        trials = self.kb.trials(sp.name, version=sp.version, with_curves=True)
        if trials.empty:
            older = self.kb.space_version(sp.name)
            hint = f"; --space {sp.name}@{older} asks version {older}" if older else ""
            if not older and sp.name == "mlp":  # empty: never seeded, or its seeding cut off
                hint = (
                    f" ({self.kb.display_url}); load the shipped seed into it with "
                    "`advisor kb init --seed`, or give another one with --kb"
                )
            raise RankerError(
                f"the knowledge base has no trials of space {sp.name!r} version {sp.version}" + hint
            )
        return performance_table(trials, sp)

    def ranker(
        self,
        space: str = "mlp",
        *,
        refit: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> RankerArtifact:
        """The trained ranker of ``space``: kept, reloaded, or retrained when stale.

        The artifact in memory, saved (:func:`ranker_artifact_path`) or shipped with the seed
        is used while it is not stale (``RankerArtifact.is_stale``: datasets added or removed,
        or over 5% of the trials changed); otherwise a new one is trained with the previous
        one's settings, and saved.

        Parameters
        ----------
        space : str, default="mlp"
            The search space.
        refit : bool, default=False
            Train now, choosing the settings again by grouped cross-validation.
        progress : callable, optional
            Called with a line of text at each training step.

        Returns
        -------
        RankerArtifact
            Too little data to train on raises :class:`RankerError`.
        """
        if self._artifacts is None:  # asks self.kb each time: it may be closed and reopened
            self._artifacts = ArtifactCache(
                self.kb.url,
                self._snapshot,
                self.performance_table,
                shipped=_SHIPPED_RANKERS,
            )
        sp = self.space(space)
        return self._artifacts.get(
            f"{sp.name}@{sp.version}",
            refit=refit,
            max_age_s=self.ranker_check_s,
            progress=progress,
        )

    def _snapshot(self, ref: str) -> dict[str, Any]:
        sp = self.space(ref)
        return self.kb.snapshot(sp.name, sp.version)
