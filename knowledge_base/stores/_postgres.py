"""PostgreSQL (psycopg 3): a shared team knowledge base."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table, create_engine, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from knowledge_base.stores._base import Store

__all__ = ["PostgresStore"]

#: serialization_failure, deadlock_detected, lock_not_available, query_canceled (lock timeout)
RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03", "57014"}
LOCK_TIMEOUT = "10s"


class PostgresStore(Store):
    def __init__(self, url: str) -> None:
        self.url = url
        u = make_url(url)
        options = " ".join(
            filter(None, [str(u.query.get("options", "")), f"-c lock_timeout={LOCK_TIMEOUT}"])
        )
        u = u.difference_update_query(["options"])
        self.engine = create_engine(
            u, pool_pre_ping=True, pool_size=2, max_overflow=4, connect_args={"options": options}
        )

    @contextmanager
    def write_transaction(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def insert_ignore(self, table: Table, conflict_columns: list[str]) -> Any:
        return pg_insert(table).on_conflict_do_nothing(index_elements=conflict_columns)

    def insert_new(
        self, conn: Connection, table: Table, rows: list[dict[str, Any]], key: str
    ) -> list[Any]:
        """COPY into a temporary table, then one INSERT ... ON CONFLICT DO NOTHING RETURNING."""
        if len(rows) < 200:
            return super().insert_new(conn, table, rows, key)
        cols = list(rows[0])
        tmp = f"_incoming_{table.name}_{zlib.crc32(','.join(cols).encode()):08x}"
        raw = conn.connection.driver_connection
        assert raw is not None
        col_list = ", ".join(f'"{c}"' for c in cols)
        with raw.cursor() as cur:
            cur.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {tmp} ON COMMIT DELETE ROWS AS "
                f'SELECT {col_list} FROM "{table.name}" WITH NO DATA'
            )
            with cur.copy(f"COPY {tmp} ({col_list}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row([r[c] for c in cols])
            cur.execute(
                f'INSERT INTO "{table.name}" ({col_list}) SELECT {col_list} FROM {tmp} '
                f'ON CONFLICT ("{key}") DO NOTHING RETURNING "{key}"'
            )
            inserted = [r[0] for r in cur.fetchall()]
            cur.execute(f"TRUNCATE {tmp}")
        return inserted

    @contextmanager
    def init_lock(self, key: str = "schema") -> Iterator[None]:
        lock_key = zlib.crc32(f"tuning-advisor-{key}".encode())
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock_key})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key})
                conn.commit()

    def is_retryable(self, exc: BaseException) -> bool:
        orig = getattr(exc, "orig", None)
        state = getattr(orig, "sqlstate", None)
        return isinstance(exc, DBAPIError) and state in RETRYABLE_SQLSTATES
