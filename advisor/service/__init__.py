"""The advisor's HTTP service (FastAPI): suggestions, contributions and ask/tell studies.

``create_app(Settings(kb_url=...))`` builds the app; ``advisor serve`` runs it under uvicorn.
Needs the ``service`` extra (``pip install 'tuning-advisor[service]'``); the API keys of
:mod:`advisor.service.keys` do not, so the app is imported only when asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.service.app import create_app, create_app_from_env
    from advisor.service.settings import Settings

__all__ = ["Settings", "create_app", "create_app_from_env"]


def __getattr__(name: str) -> Any:
    if name in ("create_app", "create_app_from_env"):
        from advisor.service import app

        return getattr(app, name)
    if name == "Settings":
        from advisor.service.settings import Settings

        return Settings
    raise AttributeError(f"module 'advisor.service' has no attribute {name!r}")
