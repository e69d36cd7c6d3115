"""The service's per-process state: the ranker is reloaded when the knowledge base changes,
at most every ``ranker_check_s`` seconds and without making requests wait."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from advisor.service import Settings
from advisor.service.runtime import AdviceCache, RankerCache
from advisor_core.errors import RankerError
from tests.kb_helpers import dataset, record
from tests.service_helpers import api_keys, bearer, meta_features, seeded_kb, thread_server


class _Loader:
    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    def __call__(self, space: str) -> object:
        self.calls += 1
        if self.fail:
            raise RankerError(f"no trials of space {space!r}")
        return (space, self.calls)


def _eventually(cond, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return False


def test_the_ranker_is_checked_at_most_every_interval_and_swapped_in_the_background() -> None:
    load, swapped = _Loader(), []
    cache = RankerCache(load, check_every_s=0.3, on_swap=swapped.append)  # type: ignore[arg-type]
    first = cache.get("mlp")
    assert cache.get("mlp") is first and load.calls == 1
    time.sleep(0.35)
    assert cache.get("mlp") is first  # stale: answered at once, refreshed in the background
    assert _eventually(lambda: cache.get("mlp") != first)
    assert load.calls == 2 and swapped == ["mlp"]


def test_a_ranker_that_cannot_load_is_not_retried_on_every_request() -> None:
    load = _Loader(fail=True)
    cache = RankerCache(load, check_every_s=60)  # type: ignore[arg-type]
    for _ in range(3):
        with pytest.raises(RankerError):
            cache.get("declared")
    assert load.calls == 1


def test_advice_cache_is_a_bounded_lru_dropped_per_space() -> None:
    cache = AdviceCache(2)
    cache.put(("mlp", 1), b"a")
    cache.put(("mlp", 2), b"b")
    assert cache.get(("mlp", 1)) == b"a"
    cache.put(("other", 3), b"c")
    assert cache.get(("mlp", 2)) is None and cache.get(("mlp", 1)) == b"a"
    cache.drop_space("mlp")
    assert cache.get(("mlp", 1)) is None and cache.get(("other", 3)) == b"c"


@pytest.mark.slow
def test_the_service_picks_up_new_trials_after_the_check_interval(
    tmp_path: Path, shared_synthetic_kb: str
) -> None:
    with seeded_kb("sqlite", tmp_path, shared_synthetic_kb) as url:
        keys = api_keys(url)
        settings = Settings(kb_url=url, ranker_check_s=0.5, key_cache_s=0)
        with thread_server(settings) as srv:
            mf, task = meta_features(0)
            body = {"meta_features": mf, "task": task, "k": 2}
            with httpx.Client(base_url=srv.url, headers=bearer(keys["write"]), timeout=120) as c:
                assert c.post("/v1/suggest", json=body).status_code == 200
                runtime = srv.app.state.runtime
                before = runtime.rankers.get("mlp").snapshot["trials"]
                recs = [
                    record(f"fresh-{i}", seed=i, dataset=dataset("feedface0001")) for i in range(30)
                ]
                assert c.post("/v1/trials", json={"records": recs}).status_code == 200
                time.sleep(0.6)
                started = time.monotonic()
                assert c.post("/v1/suggest", json=body).status_code == 200
                assert time.monotonic() - started < 2.0  # the retrain does not block it

                def retrained() -> bool:
                    return runtime.rankers.get("mlp").snapshot["trials"] == before + 30

                assert _eventually(retrained, timeout=120)
                assert c.post("/v1/suggest", json=body).status_code == 200
