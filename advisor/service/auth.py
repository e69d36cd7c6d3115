"""API keys: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; scopes read < write < admin.

Keys live in the knowledge base, hashed (:mod:`advisor.service.keys`); a verified key is
trusted for ``Settings.key_cache_s`` seconds without another database look-up.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from advisor.service.errors import ApiError
from advisor.service.keys import API_SCOPES

__all__ = ["SCOPES", "SCOPE_ATTR", "KeyCache", "Principal", "require_scope", "scope_extra"]

SCOPES = API_SCOPES
#: OpenAPI extension naming the scope an operation needs.
SCOPE_ATTR = "x-required-scope"
_MAX_KEY_CHARS = 200
_MAX_CACHED = 10_000

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <API key>`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="the API key")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's scope (``None`` for anonymous public reads)."""

    scope: str | None
    key_id: str | None


class KeyCache:
    """Verified keys (and rejected ones) remembered for a short while."""

    def __init__(self, verify: Callable[[str], str | None], ttl_s: float) -> None:
        self._verify = verify
        self._ttl = ttl_s
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[str | None, float]] = {}

    def cached(self, key: str) -> tuple[bool, str | None]:
        """``(known, scope)`` from the cache alone (no database look-up)."""
        if self._ttl <= 0:
            return False, None
        digest = hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()
        with self._lock:
            hit = self._seen.get(digest)
        if hit is not None and hit[1] > time.monotonic():
            return True, hit[0]
        return False, None

    def scope_of(self, key: str) -> str | None:
        known, scope = self.cached(key)
        if known:
            return scope
        scope = self._verify(key)
        if self._ttl <= 0:
            return scope
        digest = hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()
        now = time.monotonic()
        with self._lock:
            if len(self._seen) >= _MAX_CACHED:
                self._seen.clear()
            self._seen[digest] = (scope, now + self._ttl)
        return scope


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def require_scope(scope: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the request carries a key of at least ``scope`` (reads may be public)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    needed = SCOPES.index(scope)

    async def dependency(
        request: Request,
        bearer: HTTPAuthorizationCredentials | None = Security(_bearer),
        header_key: str | None = Security(_header),
    ) -> Principal:
        runtime: Any = request.app.state.runtime
        key = bearer.credentials if bearer is not None else header_key
        if not key:
            if scope == "read" and runtime.settings.public_read:
                return Principal(None, None)
            raise _unauthorized(
                f"this operation needs an API key with scope {scope!r} "
                "(Authorization: Bearer KEY or X-API-Key: KEY)"
            )
        if len(key) > _MAX_KEY_CHARS:
            raise _unauthorized("unknown or revoked API key")
        known, granted = runtime.keys.cached(key)
        if not known:  # a database look-up: off the event loop
            granted = await run_in_threadpool(runtime.keys.scope_of, key)
        if granted is None:
            raise _unauthorized("unknown or revoked API key")
        if SCOPES.index(granted) < needed:
            raise ApiError(
                403, "forbidden", f"this operation needs scope {scope!r}; the key has {granted!r}"
            )
        return Principal(granted, key.split("_", 2)[1] if key.count("_") >= 2 else None)

    return dependency


def scope_extra(scope: str) -> dict[str, Any]:
    """``openapi_extra`` that documents the scope an operation needs."""
    return {SCOPE_ATTR: scope}
