"""API keys of the HTTP service: create, verify, list and revoke.

A key reads ``adv_<key_id>_<secret>``. Keys are kept in the knowledge base's ``api_keys``
table (schema revision 0003) with their scope and the SHA-256 of the secret only, so the
string :func:`create_api_key` returns is the only copy of the secret. :func:`verify_api_key`
compares secrets in constant time. Used by :mod:`advisor.service.auth` (through its cache)
and by ``advisor keys create|list|revoke``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import select

from advisor_core.errors import ConfigError
from knowledge_base import schema, stores

if TYPE_CHECKING:
    from knowledge_base import KnowledgeBase

__all__ = ["API_SCOPES", "api_keys", "create_api_key", "revoke_api_key", "verify_api_key"]

#: Scopes of API keys: ``read`` < ``write`` < ``admin``.
API_SCOPES = ("read", "write", "admin")
_KEY_ID_CHARS = 12


def create_api_key(kb: KnowledgeBase, scope: str, name: str | None = None) -> str:
    """A new key ``adv_<id>_<secret>`` with ``scope`` (read, write or admin); only its
    hash is stored, so the returned string is the only copy of the secret."""
    if scope not in API_SCOPES:
        raise ConfigError(f"scope is {scope!r}, but must be one of {', '.join(API_SCOPES)}")
    key_id = secrets.token_hex(_KEY_ID_CHARS // 2)
    secret = secrets.token_urlsafe(32)
    digest = hashlib.sha256(secret.encode()).hexdigest()

    def run() -> None:
        with kb.store.write_transaction() as conn:
            conn.execute(
                schema.api_keys.insert().values(
                    key_id=key_id,
                    name=name,
                    scope=scope,
                    secret_hash=digest,
                    created_at=dt.datetime.now(dt.UTC),
                )
            )

    stores.with_retries(kb.store, run)
    return f"adv_{key_id}_{secret}"


def verify_api_key(kb: KnowledgeBase, key: str) -> str | None:
    """The key's scope, or ``None`` for an unknown, revoked or malformed key (the secret
    is compared in constant time)."""
    parts = key.split("_", 2) if isinstance(key, str) else []
    if len(parts) != 3 or parts[0] != "adv" or len(parts[1]) != _KEY_ID_CHARS:
        return None
    k = schema.api_keys
    with kb.store.read() as conn:
        row = conn.execute(
            select(k.c.secret_hash, k.c.scope, k.c.revoked_at).where(k.c.key_id == parts[1])
        ).first()
    digest = hashlib.sha256(parts[2].encode()).hexdigest()
    stored = row[0] if row is not None else "0" * 64
    ok = hmac.compare_digest(stored, digest)
    if row is None or not ok or row[2] is not None:
        return None
    return str(row[1])


def api_keys(kb: KnowledgeBase) -> pd.DataFrame:
    """Every key, oldest first: ``key_id``, ``name``, ``scope``, ``created_at``,
    ``revoked_at`` (never the secret or its hash)."""
    k = schema.api_keys
    with kb.store.read() as conn:
        res = conn.execute(
            select(k.c.key_id, k.c.name, k.c.scope, k.c.created_at, k.c.revoked_at).order_by(k.c.id)
        )
        return pd.DataFrame(res.fetchall(), columns=list(res.keys()))


def revoke_api_key(kb: KnowledgeBase, key_id: str) -> bool:
    """Revoke the active key ``key_id``; ``False`` when there is none."""
    k = schema.api_keys

    def run() -> int:
        with kb.store.write_transaction() as conn:
            res = conn.execute(
                k.update()
                .where(k.c.key_id == key_id, k.c.revoked_at.is_(None))
                .values(revoked_at=dt.datetime.now(dt.UTC))
            )
            return int(res.rowcount or 0)

    return stores.with_retries(kb.store, run) > 0
