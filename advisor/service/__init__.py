"""The advisor's HTTP service (FastAPI): suggestions, contributions and ask/tell studies.

``create_app(Settings(kb_url=...))`` builds the app; ``advisor serve`` runs it under uvicorn.
Needs the ``service`` extra (``pip install 'tuning-advisor[service]'``).
"""

from advisor.service.app import create_app, create_app_from_env
from advisor.service.settings import Settings

__all__ = ["Settings", "create_app", "create_app_from_env"]
