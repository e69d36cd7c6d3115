"""The schema's revision: check it when a knowledge base opens, migrate it with Alembic.

A new database is created at the current schema (:data:`schema.HEAD_REVISION`); an older
one raises :class:`SchemaVersionError` until :func:`upgrade_schema` (``advisor kb upgrade``)
migrates it; one stamped by a newer advisor is never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, inspect, text

from advisor_core.errors import KnowledgeBaseError, SchemaVersionError
from knowledge_base import schema
from knowledge_base.stores import Store, open_store

__all__ = [
    "KNOWN_REVISIONS",
    "alembic_config",
    "ensure_schema",
    "migrate",
    "revision",
    "upgrade_schema",
]

#: Revisions this advisor can migrate from (and read at the head).
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004")
_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(conn: Connection) -> Any:
    """An Alembic configuration that runs the package's migrations on ``conn``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def revision(store: Store) -> str | None:
    """The Alembic revision stamped in the database (``None`` for an empty one). Read with
    plain SQL: importing Alembic costs more than opening the knowledge base."""
    with store.read() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            conn.rollback()
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        conn.rollback()
    return str(rows[0]) if len(rows) == 1 else (None if not rows else ",".join(rows))


def migrate(store: Store, target: str = "head") -> None:
    """Run the migrations up to ``target`` (the caller holds ``store.init_lock()``)."""
    from alembic import command

    with store.migration_connection() as conn:
        command.upgrade(alembic_config(conn), target)
        conn.commit()


def ensure_schema(
    store: Store,
    display_url: str,
    *,
    create: bool,
    on_create: Callable[[], object] | None = None,
) -> None:
    """Check the schema of the database behind ``store``, creating it if it is empty.

    ``on_create`` runs once, under the schema lock, right after a new database is created
    (the knowledge base loads its seed there). Raises :class:`SchemaVersionError` for an
    older or newer schema, :class:`KnowledgeBaseError` when the database cannot be opened or
    is not a knowledge base (or is empty and ``create`` is false).
    """
    try:
        rev = revision(store)
        if rev == schema.HEAD_REVISION:
            return
        with store.init_lock():
            rev = revision(store)
            if rev is None:
                tables = set(inspect(store.engine).get_table_names())
                if tables & {"datasets", "trials"}:
                    raise KnowledgeBaseError(
                        f"{display_url} has tables but no schema version: "
                        "not a knowledge base of this advisor"
                    )
                if not create:
                    raise KnowledgeBaseError(f"{display_url} has no knowledge base")
                migrate(store)
                if on_create is not None:
                    on_create()
                return
    except KnowledgeBaseError:
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise KnowledgeBaseError(
            f"cannot open knowledge base {display_url}: {first[:300]}"
        ) from None
    if rev == schema.HEAD_REVISION:
        return
    if rev in KNOWN_REVISIONS:
        raise SchemaVersionError(
            f"knowledge base {display_url} has schema revision {rev}, this advisor "
            f"needs {schema.HEAD_REVISION}: run `advisor kb upgrade`"
        )
    raise SchemaVersionError(
        f"knowledge base {display_url} has schema revision {rev!r}, unknown to this "
        "advisor (created by a newer version?); upgrade the advisor"
    )


def upgrade_schema(url: str) -> tuple[str | None, str]:
    """Migrate the database at ``url`` to the current schema; return (from, to).

    An empty database is created at the current schema; one stamped by a newer advisor
    raises :class:`SchemaVersionError` and is left as it is.
    """
    store = open_store(url)
    try:
        with store.init_lock():
            before = revision(store)
            if before is not None and before not in KNOWN_REVISIONS:
                raise SchemaVersionError(f"schema revision {before!r} is newer than this advisor's")
            migrate(store)
        return before, schema.HEAD_REVISION
    finally:
        store.dispose()
