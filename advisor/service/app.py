"""The FastAPI app: ``create_app(settings)`` and the ``/v1`` routes.

Routes (scopes: ``read`` < ``write`` < ``admin``; reads are public with ``--public-read``):

=======  ===========================  =====  ================================================
method   path                         scope  what
=======  ===========================  =====  ================================================
GET      /v1/health                   none   status, version, schema revision
GET      /v1/spaces                   read   the search spaces (built-in and declared)
GET      /v1/stats                    read   ``KnowledgeBase.stats()``
POST     /v1/suggest                  read   suggestions from meta-features
POST     /v1/suggest/csv              read   suggestions from a small CSV (server-side)
POST     /v1/trials                   write  contribute a batch of trial records (atomic)
POST     /v1/trials/remove            admin  take contributed trials back (atomic)
POST     /v1/studies                  write  create a warm-started ask/tell study
GET      /v1/studies/{study_id}       read   a study's progress
POST     /v1/studies/{study_id}/ask   write  the next configuration to try
POST     /v1/studies/{study_id}/tell  write  the outcome of an asked trial
=======  ===========================  =====  ================================================
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware

from advisor._version import __version__
from advisor.service.auth import require_scope, scope_extra
from advisor.service.errors import JSONBody, error_body, error_responses, install_error_handlers
from advisor.service.limits import GuardMiddleware, StrictJSONRoute
from advisor.service.models import (
    SPACE_PATTERN,
    STUDY_ID_PATTERN,
    AdviceResponse,
    AskResponse,
    ContributeRequest,
    ContributionResponse,
    CreateStudyRequest,
    HealthResponse,
    RemovalResponse,
    RemoveTrialsRequest,
    SpacesResponse,
    StudyResponse,
    SuggestRequest,
    TellRequest,
    TellResponse,
)
from advisor.service.runtime import Runtime
from advisor.service.settings import Settings
from advisor_core.errors import AdvisorError, DataError
from advisor_core.spaces import builtin_spaces

__all__ = ["CSV_PATH", "create_app", "create_app_from_env"]

log = logging.getLogger("advisor.service")

CSV_PATH = "/v1/suggest/csv"
_READ = [Depends(require_scope("read"))]
_WRITE = [Depends(require_scope("write"))]
_ADMIN = [Depends(require_scope("admin"))]
StudyId = Annotated[
    str,
    PathParam(pattern=STUDY_ID_PATTERN, max_length=64, description="the study's id"),
]


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _json(content: Any, status_code: int = 200) -> JSONBody:
    return JSONBody(content, status_code=status_code)


def _add_routes(app: FastAPI, settings: Settings) -> None:
    """The ``/v1`` routes, registered on the app itself (so ``app.routes`` lists them all)."""
    app.router.route_class = StrictJSONRoute
    router = app.router

    @router.get(
        "/v1/health",
        response_model=HealthResponse,
        responses=error_responses(400, 503),
        summary="Liveness: status, version, knowledge-base schema revision",
        tags=["service"],
    )
    def health(request: Request) -> Response:
        try:
            revision = _runtime(request).kb.schema_revision()
        except Exception:
            log.exception("health check: the knowledge base does not answer")
            body = error_body("unavailable", "the knowledge base is unavailable")
            return _json(body, status_code=503)
        return _json({"status": "ok", "version": __version__, "schema_revision": revision})

    @router.get(
        "/v1/spaces",
        response_model=SpacesResponse,
        dependencies=_READ,
        openapi_extra=scope_extra("read"),
        responses=error_responses(400, 401, 403, 503),
        summary="The search spaces: built-in and declared in the knowledge base",
        tags=["knowledge base"],
    )
    def spaces(request: Request) -> Response:
        spaces = _runtime(request).kb.spaces()
        newest = {s.name: max(t.version for t in spaces if t.name == s.name) for s in spaces}
        current = {name: space.version for name, space in builtin_spaces().items()}
        return _json(
            {
                "spaces": [
                    {**s.to_dict(), "current": s.version == current.get(s.name, newest[s.name])}
                    for s in spaces
                ]
            }
        )

    @router.get(
        "/v1/stats",
        response_model=dict[str, Any],
        dependencies=_READ,
        openapi_extra=scope_extra("read"),
        responses=error_responses(400, 401, 403, 503),
        summary="Counts of datasets, groups and trials (KnowledgeBase.stats())",
        tags=["knowledge base"],
    )
    def stats(request: Request) -> Response:
        return _json(_runtime(request).kb.stats())

    @router.post(
        "/v1/suggest",
        response_model=AdviceResponse,
        dependencies=_READ,
        openapi_extra=scope_extra("read"),
        responses=error_responses(400, 401, 403, 409, 413, 422, 503),
        summary="Suggestions from meta-features (as `advisor suggest --json`)",
        tags=["advice"],
    )
    async def suggest(body: SuggestRequest, request: Request) -> Response:
        # a remembered answer is served from the event loop; anything else runs in a thread
        mf = body.meta_features.model_dump()  # type: ignore[attr-defined]
        runtime = _runtime(request)
        payload = runtime.cached_advice_json(mf, body.task, body.k, body.space, body.epochs)
        if payload is None:
            payload = await run_in_threadpool(
                runtime.advice_json, mf, body.task, body.k, body.space, body.epochs
            )
        return Response(payload, media_type="application/json")

    @router.post(
        "/v1/suggest/csv",
        response_model=AdviceResponse,
        dependencies=_READ,
        openapi_extra={
            **scope_extra("read"),
            "requestBody": {
                "required": True,
                "description": f"the CSV file itself (at most {settings.max_csv_bytes} bytes)",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            },
        },
        responses=error_responses(400, 401, 403, 409, 413, 422, 503),
        summary="Suggestions from a small CSV: meta-features computed on the server",
        tags=["advice"],
    )
    async def suggest_csv(
        request: Request,
        target: Annotated[str, Query(min_length=1, max_length=200, description="target column")],
        task: Annotated[Literal["auto", "classification", "regression"], Query()] = "auto",
        k: Annotated[int, Query(ge=1, le=50)] = 5,
        space: Annotated[str, Query(pattern=SPACE_PATTERN)] = "mlp",
        epochs: Annotated[int, Query(ge=1, le=1000, description="the training budget")] = 20,
    ) -> Response:
        body = await request.body()
        if not body:
            raise DataError("the request body must be the CSV file (text/csv)")
        runtime = _runtime(request)
        payload = await run_in_threadpool(
            _csv_advice, runtime, body, target, task, k, space, epochs
        )
        return Response(payload, media_type="application/json")

    @router.post(
        "/v1/trials",
        response_model=ContributionResponse,
        dependencies=_WRITE,
        openapi_extra=scope_extra("write"),
        responses=error_responses(400, 401, 403, 409, 413, 422, 503),
        summary="Contribute a batch of trial records (atomic; idempotent by trial id)",
        tags=["knowledge base"],
    )
    def contribute(body: ContributeRequest, request: Request) -> Response:
        report = _runtime(request).kb.contribute(body.records)
        return _json(report.to_dict())

    @router.post(
        "/v1/trials/remove",
        response_model=RemovalResponse,
        dependencies=_ADMIN,
        openapi_extra=scope_extra("admin"),
        responses=error_responses(400, 401, 403, 409, 413, 422, 503),
        summary="Take contributed trials back, by dataset and/or trial id (atomic; not the "
        "seed's: 409)",
        tags=["knowledge base"],
    )
    def remove_trials(body: RemoveTrialsRequest, request: Request) -> Response:
        return _json(_runtime(request).remove_trials(body.trial_ids, body.datasets, body.dry_run))

    @router.post(
        "/v1/studies",
        response_model=StudyResponse,
        status_code=201,
        dependencies=_WRITE,
        openapi_extra=scope_extra("write"),
        responses=error_responses(400, 401, 403, 409, 413, 422, 503),
        summary="Create a warm-started ask/tell study",
        tags=["studies"],
    )
    def create_study(body: CreateStudyRequest, request: Request) -> Response:
        return _json(_runtime(request).studies.create(body), status_code=201)

    @router.get(
        "/v1/studies/{study_id}",
        response_model=StudyResponse,
        dependencies=_READ,
        openapi_extra=scope_extra("read"),
        responses=error_responses(400, 401, 403, 404, 422, 503),
        summary="A study's progress: trials, best value and configuration, budget",
        tags=["studies"],
    )
    def study(study_id: StudyId, request: Request) -> Response:
        return _json(_runtime(request).studies.info(study_id))

    @router.post(
        "/v1/studies/{study_id}/ask",
        response_model=AskResponse,
        dependencies=_WRITE,
        openapi_extra=scope_extra("write"),
        responses=error_responses(400, 401, 403, 404, 409, 413, 422, 503),
        summary="The next configuration to evaluate",
        tags=["studies"],
    )
    def ask(study_id: StudyId, request: Request) -> Response:
        return _json(_runtime(request).studies.ask(study_id))

    @router.post(
        "/v1/studies/{study_id}/tell",
        response_model=TellResponse,
        dependencies=_WRITE,
        openapi_extra=scope_extra("write"),
        responses=error_responses(400, 401, 403, 404, 409, 413, 422, 503),
        summary="The outcome of an asked trial (recorded in the study and the knowledge base)",
        tags=["studies"],
    )
    def tell(study_id: StudyId, body: TellRequest, request: Request) -> Response:
        return _json(_runtime(request).studies.tell(study_id, body))


def _csv_advice(
    runtime: Runtime, body: bytes, target: str, task: str, k: int, space: str, epochs: int
) -> bytes:
    from advisor.facade import Advisor

    runtime.check_space(space)
    with tempfile.TemporaryDirectory(prefix="advisor-upload-") as tmp:
        path = Path(tmp) / "upload.csv"
        path.write_bytes(body)
        try:
            mf = Advisor().meta_features(path, target, task=task)
        except AdvisorError:
            raise
        except Exception as exc:  # a parser's error on a user's file is the user's error
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            raise DataError(f"cannot read the CSV: {first or type(exc).__name__}") from None
    return runtime.advice_json(dict(mf.values), mf.task, k, space, epochs)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service for ``settings`` (opens the knowledge base now; fails fast if it cannot)."""
    settings = settings or Settings()
    runtime = Runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        runtime.close()

    app = FastAPI(
        title="Tuning advisor",
        version=__version__,
        description=(
            "Metalearning advisor for neural-network hyperparameters: suggestions, a shared "
            "knowledge base of trial outcomes, and warm-started ask/tell studies. Every error is "
            '`{"error_code", "message"}` JSON.'
        ),
        lifespan=lifespan,
        default_response_class=JSONBody,
    )
    app.state.runtime = runtime
    app.state.settings = settings
    install_error_handlers(app)
    _add_routes(app, settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        )
    app.add_middleware(
        GuardMiddleware,
        max_body_bytes=settings.max_body_bytes,
        allowed_hosts=settings.allowed_hosts,
        path_limits={CSV_PATH: settings.max_csv_bytes},
    )
    return app


def create_app_from_env() -> FastAPI:
    """The app factory of ``advisor serve`` (settings from ``$ADVISOR_SERVICE_SETTINGS``)."""
    return create_app(Settings.from_env())
