"""Input hardening below the routes: allowed hosts, a body-size limit, a strict JSON parser.

``GuardMiddleware`` is a pure ASGI middleware: it answers 400 for a ``Host`` header that is not
allowed, and 413 for a body over the limit, counting the bytes as they arrive (a declared
``Content-Length`` is checked first; chunked bodies are counted chunk by chunk). Bodies under
the limit are buffered and replayed to the app, so nothing downstream reads an unbounded body.

``StrictJSONRoute`` parses JSON bodies with orjson, which rejects ``NaN``, ``Infinity`` and
numbers that overflow a double (``1e999``); a rejected body is a 400 ``invalid_json``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping, MutableMapping
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute

from advisor.service.errors import ApiError, error_body

__all__ = ["GuardMiddleware", "StrictJSONRequest", "StrictJSONRoute", "host_allowed"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: An oversized body is read (and dropped) up to this many bytes so that the client, still
#: sending, can read the 413; beyond it the connection is closed after the answer.
_DRAIN_LIMIT = 64 * 1024 * 1024


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """``host`` (without port) matches a name, ``*``, or a ``*.domain`` pattern."""
    host = host.lower()
    for pattern in allowed:
        p = pattern.lower()
        if p == "*" or host == p or (p.startswith("*.") and host.endswith(p[1:])):
            return True
    return False


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload, "more_body": False})


class GuardMiddleware:
    """Allowed hosts and the body-size limit (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        allowed_hosts: tuple[str, ...],
        path_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.allowed_hosts = allowed_hosts
        self.path_limits = dict(path_limits or {})

    def limit_for(self, path: str) -> int:
        return min(
            self.path_limits.get(path.rstrip("/") or "/", self.max_body_bytes), self.max_body_bytes
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = (_header(scope, b"host") or "").split(":")[0]
        if not host_allowed(host, self.allowed_hosts):
            await _send_json(
                send, 400, error_body("invalid_host", "the Host header is not allowed")
            )
            return
        limit = self.limit_for(scope.get("path", "/"))
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await self._too_large(receive, send, limit, 0)
            return
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > limit:
                await self._too_large(receive, send, limit, total, message.get("more_body", False))
                return
            if chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(
        self, receive: Receive, send: Send, limit: int, seen: int, more: bool = True
    ) -> None:
        while more and seen < _DRAIN_LIMIT:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            seen += len(message.get("body", b""))
            more = bool(message.get("more_body", False))
        await _send_json(
            send,
            413,
            error_body("body_too_large", f"the request body is larger than {limit} bytes"),
        )


class StrictJSONRequest(Request):
    """A request whose ``json()`` rejects non-finite numbers (orjson)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise ApiError(
                    400,
                    "invalid_json",
                    "the request body is not valid JSON (NaN, Infinity and numbers beyond the "
                    f"range of a double are rejected): {str(exc)[:120]}",
                ) from None
        return self._json


class StrictJSONRoute(APIRoute):
    """A route that reads JSON bodies with :class:`StrictJSONRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler
