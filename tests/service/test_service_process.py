"""``advisor serve`` as a real process: workers, API keys, and a SIGKILL during a batch upload."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest

from advisor.service.keys import verify_api_key
from knowledge_base import KnowledgeBase
from tests.kb_helpers import record
from tests.service_helpers import (
    BACKENDS,
    ProcessServer,
    api_keys,
    bearer,
    meta_features,
    seeded_kb,
)


def _count(url: str) -> int:
    with KnowledgeBase(url) as kb:
        return int(kb.stats()["trials"])


def _batch(tag: str, n: int = 1000) -> bytes:
    return json.dumps({"records": [record(f"{tag}-{i}", seed=i) for i in range(n)]}).encode()


def _upload(
    url: str, body: bytes, headers: dict[str, str]
) -> tuple[threading.Thread, list[BaseException]]:
    """POST ``body`` from a thread; the list collects the client's error, if any."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            httpx.post(url, content=body, headers=headers, timeout=120)
        except httpx.HTTPError as exc:
            failed.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, failed


def _write_in_progress(kb_url: str) -> bool:
    """True while some connection holds the knowledge base's write lock on ``trials``."""
    from sqlalchemy.engine import make_url

    u = make_url(kb_url)
    if u.get_backend_name() == "sqlite":
        import sqlite3

        conn = sqlite3.connect(u.database or "", timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()
    import psycopg

    from advisor.service.settings import pg_schema
    from tests.conftest import PG_URL

    schema = pg_schema(str(u.query.get("options", "")).replace("%3D", "="))
    with psycopg.connect(PG_URL.replace("postgresql+psycopg", "postgresql")) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'trials' "
            "AND n.nspname = %s AND l.mode = 'RowExclusiveLock' AND l.granted",
            (schema,),
        ).fetchone()
    return bool(row and row[0])


def _kill_during_write(server: ProcessServer, kb_url: str, thread: threading.Thread) -> bool:
    """SIGKILL the server as soon as its write transaction is seen (or when the upload ends)."""
    deadline = time.monotonic() + 120
    seen = False
    while thread.is_alive() and time.monotonic() < deadline:
        if _write_in_progress(kb_url):
            seen = True
            break
        time.sleep(0.001)
    server.kill()
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_server_killed_during_a_batch_upload_writes_all_of_it_or_nothing(
    backend: str, tmp_path: Path, shared_synthetic_kb: str
) -> None:
    with seeded_kb(backend, tmp_path, shared_synthetic_kb) as url:
        headers = bearer(api_keys(url)["write"]) | {"content-type": "application/json"}
        outcomes = []
        for attempt in ("during-write", "mid-request"):
            server = ProcessServer(["--kb", url, "--log-level", "warning"]).start()
            try:
                took = 0.0
                for warm in range(2):  # the second one is timed (caches are warm)
                    started = time.monotonic()
                    r = httpx.post(
                        f"{server.url}/v1/trials",
                        content=_batch(f"warm-{attempt}-{warm}"),
                        headers=headers,
                        timeout=120,
                    )
                    took = time.monotonic() - started
                    assert r.status_code == 200 and r.json()["added"] == 1000, r.text
                before = _count(url)
                body = _batch(f"kill-{attempt}")
                thread, failed = _upload(f"{server.url}/v1/trials", body, headers)
                if attempt == "during-write":
                    seen = _kill_during_write(server, url, thread)
                else:
                    time.sleep(took * 0.5)
                    seen = False
                    server.kill()
                thread.join(timeout=120)
            finally:
                server.kill()
            added = _count(url) - before
            assert added in (0, 1000), f"a killed batch left {added} of 1000 trials"
            if attempt == "during-write":
                assert seen, "the write transaction was never observed"
            outcomes.append((attempt, added, "request failed" if failed else "request answered"))
        print(f"\n{backend}: {outcomes}")


@pytest.mark.slow
def test_serve_with_two_workers_answers_from_each(tmp_path: Path, shared_synthetic_kb: str) -> None:
    with seeded_kb("sqlite", tmp_path, shared_synthetic_kb) as url:
        keys = api_keys(url)
        server = ProcessServer(["--kb", url, "--workers", "2", "--log-level", "warning"])
        server.start(timeout=180)
        try:
            mf, task = meta_features(5)
            with httpx.Client(base_url=server.url, headers=bearer(keys["write"]), timeout=120) as c:
                answers = [
                    c.post("/v1/suggest", json={"meta_features": mf, "task": task, "k": 2})
                    for _ in range(4)
                ]
                assert {a.status_code for a in answers} == {200}
                assert len({a.content for a in answers}) == 1
                r = c.post("/v1/trials", json={"records": [record("two-workers")]})
                assert r.status_code == 200 and r.json()["added"] == 1
                assert c.get("/v1/stats").json()["trials"] == _count(url)
        finally:
            server.stop()


def test_keys_cli_creates_lists_and_revokes(cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    res = cli("keys", "create", "--scope", "write", "--name", "ci", "--kb", url)
    assert res.exit_code == 0, res.stderr
    key = res.stdout.strip()
    assert key.startswith("adv_")
    with KnowledgeBase(url) as kb:
        assert verify_api_key(kb, key) == "write"
    listed = json.loads(cli("keys", "list", "--kb", url, "--json").stdout)
    assert [(k["name"], k["scope"], k["revoked_at"]) for k in listed] == [("ci", "write", None)]
    assert key.split("_", 2)[2] not in json.dumps(listed)
    assert cli("keys", "revoke", listed[0]["key_id"], "--kb", url).exit_code == 0
    with KnowledgeBase(url) as kb:
        assert verify_api_key(kb, key) is None
    again = cli("keys", "revoke", listed[0]["key_id"], "--kb", url)
    assert again.exit_code == 2 and "no active key" in again.stderr
    bad = cli("keys", "create", "--scope", "root", "--kb", url)
    assert bad.exit_code == 2 and "scope" in bad.stderr


def test_serve_rejects_a_bad_knowledge_base_with_one_line(cli, tmp_path: Path) -> None:
    res = cli("serve", "--kb", "mysql://nope/x")
    assert res.exit_code == 2 and "error:" in res.stderr
