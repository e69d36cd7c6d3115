"""What one service process holds: the knowledge base, the rankers, caches, the studies.

The ranker of a space is loaded once per process and kept; whether the knowledge base has
changed (which makes it stale) is checked at most every ``Settings.ranker_check_s`` seconds,
in a background thread, which retrains (one process at a time, under the knowledge base's
lock) or reloads the artifact another process saved, then swaps it in. Until then requests
keep using the previous ranker, so no request waits for a retrain except the very first.

Suggestions are computed by :meth:`Advisor.suggest` itself (the ranker comes from the cache);
the serialised answer is remembered in an LRU keyed by the exact request and the ranker's
knowledge-base snapshot.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson

from advisor.facade import Advisor, ranker_artifact_path
from advisor.service.auth import KeyCache
from advisor.service.keys import verify_api_key
from advisor.service.settings import Settings
from advisor_core.errors import AdvisorError, ConfigError

if TYPE_CHECKING:
    from advisor.ranker.artifact import RankerArtifact
    from advisor.service.studies import StudyService
    from knowledge_base import KnowledgeBase

__all__ = ["AdviceCache", "RankerCache", "Runtime"]

log = logging.getLogger("advisor.service")


@dataclass
class _Entry:
    art: RankerArtifact | None
    error: AdvisorError | None
    checked: float
    refreshing: bool = False


class RankerCache:
    """One ranker artifact per space, refreshed in the background when the KB changed."""

    def __init__(
        self,
        load: Callable[[str], RankerArtifact],
        check_every_s: float,
        on_swap: Callable[[str], None] | None = None,
    ) -> None:
        self._load = load
        self.check_every_s = check_every_s
        self._on_swap = on_swap
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._space_locks: dict[str, threading.Lock] = {}

    def _space_lock(self, space: str) -> threading.Lock:
        with self._lock:
            return self._space_locks.setdefault(space, threading.Lock())

    def _fresh_entry(self, space: str) -> _Entry:
        try:
            return _Entry(self._load(space), None, time.monotonic())
        except AdvisorError as exc:
            return _Entry(None, exc, time.monotonic())

    def get(self, space: str) -> RankerArtifact:
        entry = self._entries.get(space)
        now = time.monotonic()
        if (
            entry is None
            or self.check_every_s <= 0
            or (entry.art is None and now - entry.checked >= self.check_every_s)
        ):
            with self._space_lock(space):
                current = self._entries.get(space)
                if current is None or current is entry:
                    previous = current.art if current is not None else None
                    current = self._fresh_entry(space)
                    self._entries[space] = current
                    if previous is not None and current.art is not previous:
                        self._swapped(space)
                entry = current
        else:
            self._refresh_if_due(space, entry)
        if entry.art is None:
            assert entry.error is not None
            raise entry.error
        return entry.art

    def peek(self, space: str) -> RankerArtifact | None:
        """The loaded ranker without blocking: ``None`` when :meth:`get` would have to load
        (or fail); a due staleness check is started in the background as by :meth:`get`."""
        entry = self._entries.get(space)
        if entry is None or entry.art is None or self.check_every_s <= 0:
            return None
        self._refresh_if_due(space, entry)
        return entry.art

    def _refresh_if_due(self, space: str, entry: _Entry) -> None:
        with self._lock:
            if entry.refreshing or time.monotonic() - entry.checked < self.check_every_s:
                return
            entry.refreshing = True
        threading.Thread(
            target=self._refresh, args=(space, entry), name=f"ranker-{space}", daemon=True
        ).start()

    def _refresh(self, space: str, entry: _Entry) -> None:
        try:
            with self._space_lock(space):
                fresh = self._fresh_entry(space)
                if fresh.art is None:  # keep serving the ranker we have
                    log.warning("could not refresh the ranker of %r: %s", space, fresh.error)
                    entry.checked, entry.refreshing = time.monotonic(), False
                    return
                changed = fresh.art is not entry.art
                self._entries[space] = fresh
            if changed:
                self._swapped(space)
        except Exception:  # pragma: no cover - logged, the old ranker stays
            log.exception("refreshing the ranker of %r failed", space)
            entry.checked, entry.refreshing = time.monotonic(), False

    def recheck(self) -> None:
        """Check every loaded ranker against the knowledge base at its next use (a removal
        has just changed it), without waiting for the interval."""
        with self._lock:
            for entry in self._entries.values():
                entry.checked = float("-inf")

    def _swapped(self, space: str) -> None:
        if self._on_swap is not None:
            self._on_swap(space)


class AdviceCache:
    """Serialised advice, keyed by the exact request (LRU)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        if self.size <= 0:
            return None
        with self._lock:
            hit = self._data.get(key)
            if hit is not None:
                self._data.move_to_end(key)
            return hit

    def put(self, key: tuple[Any, ...], value: bytes) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def drop_space(self, space: str) -> None:
        with self._lock:
            for key in [k for k in self._data if k[0] == space]:
                del self._data[key]


class _ServiceAdvisor(Advisor):
    """The facade with the service's ranker cache in front of :meth:`Advisor.ranker`.

    The cache decides when to look at the knowledge base again (``Settings.ranker_check_s``),
    so the facade's own throttle is off: when the cache asks (:meth:`load_ranker`), the
    facade checks.
    """

    def __init__(self, kb: KnowledgeBase, rankers: Callable[[str], RankerArtifact]) -> None:
        super().__init__(kb, ranker_check_s=0.0)
        self._cached_ranker = rankers

    def ranker(
        self,
        space: str = "mlp",
        *,
        refit: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> RankerArtifact:
        if refit:
            return super().ranker(space, refit=True, progress=progress)
        return self._cached_ranker(space)

    def load_ranker(self, space: str) -> RankerArtifact:
        """The facade's own :meth:`Advisor.ranker`: reloaded or retrained if stale."""
        return super().ranker(space)


class Runtime:
    """The state of one service process (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        from knowledge_base import KnowledgeBase

        self.settings = settings
        self.kb = KnowledgeBase(settings.kb_url)
        self.advice = AdviceCache(settings.advice_cache_size)
        self.rankers = RankerCache(
            self._load_ranker, settings.ranker_check_s, self.advice.drop_space
        )
        self.advisor = _ServiceAdvisor(self.kb, self.rankers.get)
        self.keys = KeyCache(partial(verify_api_key, self.kb), settings.key_cache_s)
        self._compute = threading.Lock()
        self._spaces: tuple[float, frozenset[str]] | None = None
        self._studies: StudyService | None = None
        self._studies_lock = threading.Lock()

    def close(self) -> None:
        if self._studies is not None:
            self._studies.close()
        self.kb.close()

    # -- rankers and spaces ---------------------------------------------------------------------
    def _load_ranker(self, space: str) -> RankerArtifact:
        """Reload or retrain (one process at a time: the others then load its artifact)."""
        with self.kb.store.init_lock(f"ranker-{space}"):
            art = self.advisor.load_ranker(space)
        if self.settings.compile_trees:  # LightGBM answers until the compiled trees are ready
            folder = ranker_artifact_path(self.kb.url, space).parent / "compiled"
            threading.Thread(
                target=art.compile, args=(folder,), name=f"compile-{space}", daemon=True
            ).start()
        return art

    def space_names(self) -> frozenset[str]:
        now = time.monotonic()
        cached = self._spaces
        if cached is None or now - cached[0] >= max(self.settings.ranker_check_s, 1.0):
            spaces = self.kb.spaces()
            names = frozenset([s.name for s in spaces] + [f"{s.name}@{s.version}" for s in spaces])
            self._spaces = cached = (now, names)
        return cached[1]

    def _fresh_space_names(self) -> frozenset[str] | None:
        cached = self._spaces
        if cached is None or time.monotonic() - cached[0] >= max(self.settings.ranker_check_s, 1.0):
            return None
        return cached[1]

    def check_space(self, space: str) -> None:
        if space not in self.space_names():
            known = ", ".join(sorted(self.space_names()))
            raise ConfigError(f"unknown space {space!r}; known spaces: {known}")

    # -- suggestions ----------------------------------------------------------------------------
    @staticmethod
    def _advice_key(
        art: RankerArtifact,
        meta_features: Mapping[str, float | None],
        task: str,
        k: int,
        space: str,
        epochs: int = 20,
    ) -> tuple[Any, ...]:
        mf = tuple((n, meta_features[n]) for n in sorted(meta_features))
        return (space, str(art.snapshot.get("digest")), task, k, epochs, mf)

    def cached_advice_json(
        self,
        meta_features: Mapping[str, float | None],
        task: str,
        k: int,
        space: str,
        epochs: int = 20,
    ) -> bytes | None:
        """The remembered answer, without any I/O or computation (``None``: not at hand)."""
        names = self._fresh_space_names()
        if names is None or space not in names:
            return None
        art = self.rankers.peek(space)
        if art is None:
            return None
        return self.advice.get(self._advice_key(art, meta_features, task, k, space, epochs))

    def advice_json(
        self,
        meta_features: Mapping[str, float | None],
        task: str,
        k: int,
        space: str,
        epochs: int = 20,
    ) -> bytes:
        """``Advisor.suggest(meta_features=..., task=..., k=..., epochs=...).to_dict()`` as
        JSON bytes."""
        self.check_space(space)
        art = self.rankers.get(space)
        key = self._advice_key(art, meta_features, task, k, space, epochs)
        hit = self.advice.get(key)
        if hit is not None:
            return hit
        with self._compute:
            advice = self.advisor.suggest(
                meta_features=meta_features, task=task, k=k, space=space, epochs=epochs
            )
        payload = orjson.dumps(advice.to_dict(), option=orjson.OPT_SERIALIZE_NUMPY)
        self.advice.put(key, payload)
        return payload

    def advice_dict(
        self,
        meta_features: Mapping[str, float | None],
        task: str,
        k: int,
        space: str,
        epochs: int = 20,
    ) -> dict[str, Any]:
        payload = self.advice_json(meta_features, task, k, space, epochs)
        result: dict[str, Any] = orjson.loads(payload)
        return result

    # -- removals -------------------------------------------------------------------------------
    def remove_trials(
        self, trial_ids: list[str], datasets: list[str], dry_run: bool = False
    ) -> dict[str, Any]:
        """``KnowledgeBase.remove_trials(...).to_dict()``; the rankers are checked again at
        their next use."""
        report = self.kb.remove_trials(trial_ids, datasets=datasets, dry_run=dry_run)
        if report.removed and not dry_run:
            log.info("removed %d trial(s) of %d dataset(s)", report.removed, len(report.datasets))
            self.rankers.recheck()
        return report.to_dict()

    # -- studies --------------------------------------------------------------------------------
    @property
    def studies(self) -> StudyService:
        if self._studies is None:
            with self._studies_lock:
                if self._studies is None:
                    from advisor.service.studies import StudyService

                    self._studies = StudyService(self)
        return self._studies
