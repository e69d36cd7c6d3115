"""Search spaces in the knowledge base: the built-in ones and those declared by contributors.

A declared space is stored once per ``(name, version)`` with its definition; the same name
and version with another definition is a conflict (bump the version instead).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, select

from advisor_core.errors import ConfigError, ConflictError
from advisor_core.spaces import SearchSpace, builtin_space, builtin_spaces, builtin_versions
from knowledge_base import schema
from knowledge_base._common import dumps_sorted, utc_now
from knowledge_base.records import SpaceResolver, default_space_resolver
from knowledge_base.stores import Store, with_retries

__all__ = ["SpaceRegistry"]


class SpaceRegistry:
    """The spaces of one store, with a cache of those already resolved.

    Thread-safety: the cache only ever gains entries that equal the stored ones, so threads
    may share an instance.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[tuple[str, int], SearchSpace] = {}

    def declare(self, space: SearchSpace) -> None:
        """Store a declared space (idempotent; a different definition is a conflict)."""

        def run() -> None:
            with self.store.write_transaction() as conn:
                self.ensure(conn, {(space.name, space.version): space})

        with_retries(self.store, run)

    def all(self) -> list[SearchSpace]:
        """The built-in spaces (unless stored under the same name and version), then the
        stored ones."""
        with self.store.read() as conn:
            rows = conn.execute(select(schema.spaces.c.definition)).all()
        stored = [SearchSpace.from_dict(orjson.loads(r[0])) for r in rows]
        names = {(s.name, s.version) for s in stored}
        builtin = [
            builtin_space(name, v) for name in builtin_spaces() for v in builtin_versions(name)
        ]
        return [s for s in builtin if s is not None and (s.name, s.version) not in names] + stored

    def resolver(self, conn: Connection) -> SpaceResolver:
        """Resolves a record's space: built-in, stored, or declared by the record itself
        (checked against the stored definition)."""

        def resolve(name: str, version: int, definition: Any) -> SearchSpace:
            key = (name, version)
            if key in self._cache and definition is None:
                return self._cache[key]
            space = None if name in builtin_spaces() else self._stored(conn, name, version)
            if space is None:
                space = default_space_resolver(name, version, definition)
            elif definition is not None:
                given = default_space_resolver(name, version, definition)
                if given.to_dict() != space.to_dict():
                    raise ConfigError(
                        f"space {name!r} version {version} is already stored "
                        "with a different definition; bump its version"
                    )
            self._cache[key] = space
            return space

        return resolve

    def ensure(
        self, conn: Connection, wanted: Mapping[tuple[str, int], SearchSpace]
    ) -> dict[tuple[str, int], int]:
        """Store the ``wanted`` spaces that are missing (in ``conn``'s write transaction);
        return the row id of each. A stored different definition is a :class:`ConflictError`."""
        t = schema.spaces
        out: dict[tuple[str, int], int] = {}
        for (name, version), space in wanted.items():
            query = select(t.c.id, t.c.definition).where(t.c.name == name, t.c.version == version)
            row = conn.execute(query).first()
            if row is None:
                conn.execute(
                    self.store.insert_ignore(t, ["name", "version"]).values(
                        name=name,
                        version=version,
                        definition=dumps_sorted(space.to_dict()),
                        created_at=utc_now(),
                    )
                )
                row = conn.execute(query).first()
            assert row is not None  # inserted just now, or by a concurrent writer
            if orjson.loads(row[1]) != space.to_dict():
                raise ConflictError(
                    f"space {name!r} version {version} is stored with a different definition"
                )
            out[(name, version)] = int(row[0])
        return out

    @staticmethod
    def _stored(conn: Connection, name: str, version: int) -> SearchSpace | None:
        row = conn.execute(
            select(schema.spaces.c.definition).where(
                schema.spaces.c.name == name, schema.spaces.c.version == version
            )
        ).first()
        return None if row is None else SearchSpace.from_dict(orjson.loads(row[0]))
