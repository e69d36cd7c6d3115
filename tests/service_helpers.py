"""Real servers for the service tests: uvicorn in a thread, or ``advisor serve`` as a process."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from advisor.service import Settings, create_app

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ThreadServer:
    """``create_app(settings)`` served by uvicorn in a thread on a free loopback port."""

    settings: Settings
    url: str = ""
    app: Any = None
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    def start(self) -> ThreadServer:
        self.app = create_app(self.settings)
        port = free_port()
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)


@contextmanager
def thread_server(settings: Settings) -> Iterator[ThreadServer]:
    server = ThreadServer(settings).start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class ProcessServer:
    """``advisor serve`` as a subprocess (SIGKILL-able)."""

    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> ProcessServer:
        self.port = free_port()
        cmd = [
            sys.executable,
            "-c",
            "from advisor.cli import main; main()",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *self.args,
        ]
        env = {**os.environ, **self.env, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"advisor serve exited with {self.proc.returncode}: {err}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("advisor serve did not become healthy")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def sqlite_copy(src_url: str, dst: Path) -> str:
    """A copy of a SQLite knowledge base (a closed one: its WAL is checkpointed)."""
    shutil.copy(src_url.removeprefix("sqlite:///"), dst)
    return f"sqlite:///{dst}"


def pg_schema_url(pg_url: str, schema: str) -> str:
    return f"{pg_url}?options=-csearch_path%3D{schema}"


def create_pg_schema(pg_url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(pg_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        c.execute(f"CREATE SCHEMA {schema}")


def drop_pg_schemas(pg_url: str, *schemas: str) -> None:
    import psycopg

    with psycopg.connect(pg_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        for s in schemas:
            c.execute(f"DROP SCHEMA IF EXISTS {s} CASCADE")


def api_keys(kb_url: str) -> dict[str, str]:
    """One fresh key per scope."""
    from advisor.service.keys import API_SCOPES, create_api_key
    from knowledge_base import KnowledgeBase

    with KnowledgeBase(kb_url) as kb:
        return {s: create_api_key(kb, s, name=f"tests-{s}") for s in API_SCOPES}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# -- fixtures (imported by the service test modules) -------------------------------------------
@dataclass
class Service:
    """A running service on a knowledge base seeded with the synthetic trials."""

    backend: str
    kb_url: str
    keys: dict[str, str]
    server: ThreadServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def app(self) -> Any:
        return self.server.app

    def http(self, scope: str | None = "write") -> httpx.Client:
        headers = bearer(self.keys[scope]) if scope else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)


TEST_SETTINGS: dict[str, Any] = {"ranker_check_s": 3600.0, "key_cache_s": 0.0}


@contextmanager
def seeded_kb(backend: str, tmp: Path, shared_synthetic_kb: str) -> Iterator[str]:
    """A fresh knowledge base holding the synthetic trials, on ``backend``."""
    if backend == "sqlite":
        yield sqlite_copy(shared_synthetic_kb, tmp / "kb.sqlite")
        return
    from knowledge_base import KnowledgeBase
    from tests.conftest import PG_URL, _pg_available
    from tests.kb_helpers import unique_schema
    from tests.ranker_helpers import records

    if not _pg_available():
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    schema = unique_schema()
    create_pg_schema(PG_URL, schema)
    url = pg_schema_url(PG_URL, schema)
    try:
        with KnowledgeBase(url) as kb:
            kb.contribute(records())
        yield url
    finally:
        drop_pg_schemas(PG_URL, schema, f"{schema}_studies")


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def service(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    shared_synthetic_kb: str,
) -> Iterator[Service]:
    """The service on SQLite and on PostgreSQL (one server per module and backend)."""
    with seeded_kb(request.param, tmp_path_factory.mktemp("svc"), shared_synthetic_kb) as url:
        keys = api_keys(url)
        with thread_server(Settings(kb_url=url, **TEST_SETTINGS)) as server:
            yield Service(request.param, url, keys, server)


@pytest.fixture(scope="module")
def sqlite_service(
    tmp_path_factory: pytest.TempPathFactory, shared_synthetic_kb: str
) -> Iterator[Service]:
    """The service on SQLite only (for behaviour that does not depend on the backend)."""
    with seeded_kb("sqlite", tmp_path_factory.mktemp("svc"), shared_synthetic_kb) as url:
        keys = api_keys(url)
        with thread_server(Settings(kb_url=url, **TEST_SETTINGS)) as server:
            yield Service("sqlite", url, keys, server)


def meta_features(i: int = 0) -> tuple[dict[str, float | None], str]:
    """Real meta-features (and task) of the i-th synthetic dataset."""
    from tests.ranker_helpers import synthetic_datasets

    info = synthetic_datasets()[i][0]
    return dict(info["meta_features"]), str(info["task"])
