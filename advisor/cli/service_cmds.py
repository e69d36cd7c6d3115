"""``advisor serve`` and ``advisor keys create|list|revoke``."""

from __future__ import annotations

import os
import socket
from types import ModuleType
from typing import Annotated

import typer
from rich.table import Table

from advisor.cli._common import console, emit_json, fail, user_errors
from advisor.cli.kb_cmds import JsonOpt, KbOpt

__all__ = ["keys_app", "serve"]

keys_app = typer.Typer(
    help="API keys of the HTTP service: create, list, revoke.", no_args_is_help=True
)


def serve(
    kb: KbOpt = None,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes")] = 1,
    public_read: Annotated[
        bool, typer.Option("--public-read", help="read routes need no API key")
    ] = False,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option("--cors-origin", help="allow this browser origin (repeatable; CORS is off)"),
    ] = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="serve requests for this Host (repeatable; default 127.0.0.1, localhost)",
        ),
    ] = None,
    max_body_bytes: Annotated[
        int, typer.Option(min=1024, help="largest request body; larger ones get 413")
    ] = 16 * 1024 * 1024,
    no_compile_trees: Annotated[
        bool,
        typer.Option(
            "--no-compile-trees",
            help="predict with LightGBM only (by default each worker compiles the ranker's "
            "trees to native code in the background: the same answers, faster)",
        ),
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
) -> None:
    """Run the HTTP service (FastAPI under uvicorn) on the knowledge base."""
    with user_errors():
        try:
            import uvicorn

            from advisor.service.settings import DEFAULT_ALLOWED_HOSTS, ENV_SETTINGS, Settings
        except ImportError:
            fail("the service needs its extra: pip install 'tuning-advisor[service]'")
        from knowledge_base import KnowledgeBase

        settings = Settings(
            kb_url=kb,
            public_read=public_read,
            cors_origins=tuple(cors_origin or ()),
            allowed_hosts=tuple(allowed_host or DEFAULT_ALLOWED_HOSTS),
            max_body_bytes=max_body_bytes,
            compile_trees=not no_compile_trees,
        )
        KnowledgeBase(kb).close()  # a bad URL or schema fails here, with one line
    os.environ[ENV_SETTINGS] = settings.to_env()
    app = "advisor.service.app:create_app_from_env"
    if workers == 1:
        uvicorn.run(
            app, factory=True, host=host, port=port, log_level=log_level, proxy_headers=False
        )
        return
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        app,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        proxy_headers=False,
    )
    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        # uvicorn's shared socket is made without IPPROTO_TCP, so asyncio does not set
        # TCP_NODELAY on the connections it accepts, and Nagle's algorithm meets delayed ACKs:
        # 40 ms per keep-alive request. Accepted sockets inherit the option from this one.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()


def _keys() -> ModuleType:
    """:mod:`advisor.service.keys` (the service package needs its extra)."""
    try:
        from advisor.service import keys
    except ImportError:
        fail(
            "API keys belong to the service, which needs its extra: "
            "pip install 'tuning-advisor[service]'"
        )
    return keys


@keys_app.command("create")
def create(
    scope: Annotated[str, typer.Option(help="read, write or admin")] = "read",
    name: Annotated[str | None, typer.Option(help="a label for the key")] = None,
    kb: KbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a key and print it (the only time it is shown; only its hash is stored)."""
    with user_errors():
        from knowledge_base import KnowledgeBase

        keys = _keys()
        with KnowledgeBase(kb) as store:
            key = keys.create_api_key(store, scope, name=name)
    if as_json:
        emit_json({"key": key, "key_id": key.split("_", 2)[1], "scope": scope, "name": name})
    else:
        typer.echo(key)


@keys_app.command("list")
def list_keys(kb: KbOpt = None, as_json: JsonOpt = False) -> None:
    """Every key: id, name, scope, created, revoked (never the secret)."""
    with user_errors():
        from knowledge_base import KnowledgeBase

        keys = _keys()
        with KnowledgeBase(kb) as store:
            df = keys.api_keys(store)
    rows = [
        {
            "key_id": r.key_id,
            "name": r.name,
            "scope": r.scope,
            "created_at": None if r.created_at is None else str(r.created_at),
            "revoked_at": None
            if r.revoked_at is None or r.revoked_at != r.revoked_at
            else str(r.revoked_at),
        }
        for r in df.itertuples(index=False)
    ]
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"{len(rows)} API key(s)")
    for c in ("key_id", "name", "scope", "created_at", "revoked_at"):
        table.add_column(c)
    for r in rows:
        table.add_row(*["" if r[c] is None else str(r[c]) for c in r])
    console.print(table)


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="the key's id (advisor keys list)")],
    kb: KbOpt = None,
) -> None:
    """Revoke a key: it stops working at once (within the service's key cache, 2 s)."""
    with user_errors():
        from knowledge_base import KnowledgeBase

        keys = _keys()
        with KnowledgeBase(kb) as store:
            done = keys.revoke_api_key(store, key_id)
    if not done:
        fail(f"no active key with id {key_id!r}")
    console.print(f"revoked key {key_id}", highlight=False)
