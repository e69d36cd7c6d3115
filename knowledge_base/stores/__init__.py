"""Stores behind the knowledge base: SQLite (embedded default) and PostgreSQL (teams)."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from advisor_core.errors import KnowledgeBaseError, MissingDependencyError
from knowledge_base.stores._base import MAX_ATTEMPTS, Store, with_retries

__all__ = ["MAX_ATTEMPTS", "Store", "open_store", "with_retries"]


def open_store(url: str) -> Store:
    """The store for a SQLAlchemy URL: ``sqlite:///path`` or ``postgresql://...``."""
    try:
        u = make_url(url)
    except ArgumentError:
        raise KnowledgeBaseError(
            f"knowledge-base URL {url!r} is not valid; use sqlite:///PATH or "
            "postgresql://USER@HOST:PORT/DB"
        ) from None
    backend = u.get_backend_name()
    if backend == "sqlite":
        from knowledge_base.stores._sqlite import SQLiteStore

        return SQLiteStore(url)
    if backend == "postgresql":
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise MissingDependencyError(
                "PostgreSQL needs psycopg: pip install 'tuning-advisor[postgres]'"
            ) from None
        if u.drivername in ("postgresql", "postgres"):
            u = u.set(drivername="postgresql+psycopg")
        return _open_postgres(u.render_as_string(hide_password=False))
    raise KnowledgeBaseError(
        f"knowledge-base URL scheme {u.drivername!r} is not supported; use sqlite or postgresql"
    )


def _open_postgres(url: str) -> Store:
    from knowledge_base.stores._postgres import PostgresStore

    return PostgresStore(url)
