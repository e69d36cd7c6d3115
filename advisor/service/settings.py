"""``Settings``: everything the service is configured with, passable through the environment.

``advisor serve --workers N`` starts N uvicorn worker processes from an import string, so the
settings travel as one JSON environment variable (``ADVISOR_SERVICE_SETTINGS``) that every
worker's app factory reads back.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from advisor_core.errors import ConfigError

__all__ = ["DEFAULT_ALLOWED_HOSTS", "ENV_SETTINGS", "Settings", "pg_schema", "studies_url"]

ENV_SETTINGS = "ADVISOR_SERVICE_SETTINGS"
DEFAULT_ALLOWED_HOSTS = ("127.0.0.1", "localhost", "testserver")


@dataclass(frozen=True)
class Settings:
    """Configuration of one service (shared by all of its worker processes).

    ``kb_url``: the knowledge base (``None``: ``$ADVISOR_KB_URL`` or the user's default);
    ``public_read``: read routes need no key; ``cors_origins``: CORS off when empty;
    ``allowed_hosts``: values of the ``Host`` header that are served (``*`` allows any,
    ``*.example.com`` a domain); ``max_body_bytes``: the largest request body (413 beyond);
    ``max_csv_bytes``: the largest CSV upload; ``ranker_check_s``: how often (at most) the
    knowledge base is checked for changes that make the ranker stale (0: on every request);
    ``advice_cache_size``: suggestions remembered per process, keyed by the exact request;
    ``key_cache_s``: how long a verified API key is trusted without a database look-up (a
    revoked key stops working after at most this long); ``studies_url``: the Optuna storage
    of ask/tell studies (default: derived from ``kb_url``, see :func:`studies_url`);
    ``compile_trees``: compile the ranker's trees to native code in the background after a
    ranker loads (several times faster suggestions, the same answers; needs the ``lleaves``
    package of the ``service`` extra, else LightGBM predicts).
    """

    kb_url: str | None = None
    public_read: bool = False
    cors_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    max_body_bytes: int = 16 * 1024 * 1024
    max_csv_bytes: int = 2 * 1024 * 1024
    ranker_check_s: float = 30.0
    advice_cache_size: int = 1024
    key_cache_s: float = 2.0
    studies_url: str | None = None
    compile_trees: bool = True

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_csv_bytes"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 1024 <= v <= 1 << 31:
                raise ConfigError(f"{name} is {v!r}, but must be an integer in [1024, 2**31]")
        for name in ("ranker_check_s", "key_cache_s"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 86_400:
                raise ConfigError(f"{name} is {v!r}, but must be a number of seconds in [0, 86400]")
        if not 0 <= self.advice_cache_size <= 1_000_000:
            raise ConfigError(f"advice_cache_size is {self.advice_cache_size!r}, out of range")
        if not self.allowed_hosts:
            raise ConfigError("allowed_hosts must name at least one host (or '*')")

    # -- environment -----------------------------------------------------------------------
    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """The settings in ``$ADVISOR_SERVICE_SETTINGS`` (defaults when unset)."""
        env = os.environ if environ is None else environ
        text = env.get(ENV_SETTINGS)
        if not text:
            return cls()
        try:
            raw = json.loads(text)
        except ValueError:
            raise ConfigError(f"${ENV_SETTINGS} is not valid JSON") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"${ENV_SETTINGS} must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ConfigError(f"${ENV_SETTINGS} has unknown setting {unknown[0]!r}")
        values: dict[str, Any] = dict(raw)
        for name in ("cors_origins", "allowed_hosts"):
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)


def studies_url(kb_url: str) -> str:
    """Where the ask/tell studies of the knowledge base at ``kb_url`` live (Optuna RDB storage).

    Optuna's tables (``trials``, ``studies``, ...) clash with the knowledge base's own
    ``trials`` table and its Alembic version table, so the studies cannot share the knowledge
    base's tables: SQLite ``.../kb.sqlite`` keeps them in ``.../kb.studies.sqlite`` next to it;
    PostgreSQL keeps them in the same database, in the schema ``<kb schema>_studies``
    (``public_studies`` when the URL sets no ``search_path``).
    """
    from sqlalchemy.engine import make_url

    u = make_url(kb_url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        db = u.database or ""
        if not db or db == ":memory:":
            raise ConfigError("an in-memory knowledge base cannot keep studies; use a file")
        p = Path(db)
        target = p.with_name(f"{p.stem}.studies{p.suffix or '.sqlite'}")
        return u.set(database=str(target)).render_as_string(hide_password=False)
    if backend == "postgresql":
        options = str(u.query.get("options", ""))
        schema = pg_schema(options) or "public"
        kept = " ".join(o for o in options.split() if "search_path" not in o)
        new = f"{kept} -csearch_path={schema}_studies".strip()
        if u.drivername in ("postgresql", "postgres"):
            u = u.set(drivername="postgresql+psycopg")
        return u.update_query_dict({"options": new}).render_as_string(hide_password=False)
    raise ConfigError(f"studies need a sqlite or postgresql knowledge base, not {backend!r}")


def pg_schema(options: str) -> str | None:
    """The first schema of a ``-csearch_path=...`` (or ``-c search_path=...``) option."""
    text = options.replace("-c search_path", "-csearch_path")
    for part in text.split():
        if part.startswith("-csearch_path="):
            first = part.split("=", 1)[1].split(",")[0].strip().strip('"')
            return first or None
    return None
