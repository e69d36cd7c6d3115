"""The store plug-in point: what differs between SQLite and PostgreSQL."""

from __future__ import annotations

import abc
import random
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.exc import DBAPIError

__all__ = ["MAX_ATTEMPTS", "Store", "with_retries"]

T = TypeVar("T")
MAX_ATTEMPTS = 12


class Store(abc.ABC):
    """A database behind the knowledge base.

    Thread-safety: one instance may be shared by threads (the engine pools connections);
    every process opens its own. Write transactions retry on lock timeouts, serialization
    failures and deadlocks (bounded, with jittered exponential back-off).
    """

    engine: Engine
    url: str

    @abc.abstractmethod
    def write_transaction(self) -> AbstractContextManager[Connection]:
        """A transaction that takes the write lock up front (or serialises correctly)."""

    @abc.abstractmethod
    def insert_ignore(self, table: Table, conflict_columns: list[str]) -> Any:
        """``INSERT ... ON CONFLICT (cols) DO NOTHING`` for ``table``."""

    @abc.abstractmethod
    def init_lock(self, key: str = "schema") -> AbstractContextManager[None]:
        """A lock shared by every process using this database (schema creation, study set-up).

        ``key`` names independent locks.
        """

    @abc.abstractmethod
    def is_retryable(self, exc: BaseException) -> bool:
        """True for transient errors: lock timeouts, serialization failures, deadlocks."""

    def insert_new(
        self, conn: Connection, table: Table, rows: list[dict[str, Any]], key: str
    ) -> list[Any]:
        """Insert ``rows``, skipping those whose ``key`` exists; return the keys inserted."""
        stmt = self.insert_ignore(table, [key]).returning(table.c[key])
        return [r[0] for r in conn.execute(stmt, rows)]

    def read(self) -> AbstractContextManager[Connection]:
        return self.engine.connect()

    @contextmanager
    def migration_connection(self) -> Iterator[Connection]:
        """A connection for Alembic (it manages the transaction itself)."""
        with self.engine.connect() as conn:
            yield conn.execution_options(advisor_write=True)

    def dispose(self) -> None:
        self.engine.dispose()


def _sleep_for(attempt: int) -> float:
    return random.uniform(0, min(2.0, 0.02 * 2**attempt))


def with_retries(store: Store, fn: Callable[[], T], attempts: int = MAX_ATTEMPTS) -> T:
    """Run ``fn`` again on transient database errors, at most ``attempts`` times."""
    for attempt in range(attempts):
        try:
            return fn()
        except DBAPIError as exc:
            if attempt == attempts - 1 or not store.is_retryable(exc):
                raise
            time.sleep(_sleep_for(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def nothing() -> Iterator[None]:
    yield
