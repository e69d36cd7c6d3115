"""SQLite: the embedded default. WAL, a busy timeout, ``BEGIN IMMEDIATE`` for writes."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, create_engine, event
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from knowledge_base.stores._base import Store

__all__ = ["SQLiteStore"]

BUSY_TIMEOUT_MS = 30_000


class SQLiteStore(Store):
    def __init__(self, url: str) -> None:
        self.url = url
        u = make_url(url)
        self.path = u.database or ""
        if self.path and self.path != ":memory:":
            Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.close()

        @event.listens_for(self.engine, "begin")
        def _on_begin(conn: Connection) -> None:
            if conn.get_execution_options().get("advisor_write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

    @contextmanager
    def write_transaction(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(advisor_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def migration_connection(self) -> Iterator[Connection]:
        """Foreign keys off while Alembic copies tables (batch mode), or cascades would fire."""
        with self.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA foreign_keys = OFF")
            try:
                yield conn.execution_options(advisor_write=True)
            finally:
                raw.execute("PRAGMA foreign_keys = ON")

    def insert_ignore(self, table: Table, conflict_columns: list[str]) -> Any:
        return sqlite_insert(table).on_conflict_do_nothing(index_elements=conflict_columns)

    @contextmanager
    def init_lock(self, key: str = "schema") -> Iterator[None]:
        if not self.path or self.path == ":memory:":
            yield
            return
        suffix = ".lock" if key == "schema" else f".{key}.lock"
        lock = Path(os.path.expanduser(self.path) + suffix)
        with lock.open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def is_retryable(self, exc: BaseException) -> bool:
        text = str(getattr(exc, "orig", exc)).lower()
        return isinstance(exc, DBAPIError) and ("locked" in text or "busy" in text)
