"""``AdvisorClient``: the Python client of the advisor's HTTP service.

    from advisor.client import AdvisorClient

    client = AdvisorClient("http://127.0.0.1:8000")  # key: $ADVISOR_API_KEY
    advice = client.suggest_file("data.csv", target="y")  # meta-features computed locally
    study = client.create_study(advice["meta_features"], task=advice["task"], n_trials=30)
    asked = client.ask(study["study_id"])
    client.tell(study["study_id"], asked["trial"], value=0.91)

Every error the service answers raises :class:`advisor_core.errors.ServiceError` (``status_code``,
``error_code``; ``problems`` for per-record errors). Data never leaves the machine:
``suggest_file`` sends only the dataset's meta-features.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor_core.errors import ConfigError, MissingDependencyError, ServiceError

if TYPE_CHECKING:
    import httpx

__all__ = ["ENV_API_KEY", "MAX_BATCH_RECORDS", "AdvisorClient", "ServiceRequestError"]

ENV_API_KEY = "ADVISOR_API_KEY"
#: Records per ``POST /v1/trials`` (the service's limit); ``contribute`` splits larger uploads.
MAX_BATCH_RECORDS = 1_000


class ServiceRequestError(ServiceError):
    """A :class:`ServiceError` that also carries the service's ``problems`` (index, reason).

    From :meth:`AdvisorClient.contribute`, ``added`` and ``duplicates`` count what the batches
    before the rejected one wrote.
    """

    def __init__(
        self,
        message: str,
        status_code: int = 0,
        error_code: str | None = None,
        problems: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message, status_code, error_code)
        self.problems = list(problems or [])
        self.added = 0
        self.duplicates = 0


def _finite_or_none(value: Any) -> Any:
    """JSON-ready: non-finite floats become null (JSON has no NaN); metrics drop them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_none(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _finite_or_none(value.item())
    return value


def _record_json(rec: Any) -> Any:
    if not isinstance(rec, Mapping):
        return rec
    out = dict(rec)
    metrics = out.get("metrics")
    if isinstance(metrics, Mapping):
        out["metrics"] = {
            k: v for k, v in metrics.items() if not (isinstance(v, float) and not math.isfinite(v))
        }
    return _finite_or_none(out)


class AdvisorClient:
    """A client of one advisor service (``base_url``, e.g. ``http://127.0.0.1:8000``)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        timeout: float = 60.0,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        try:
            import httpx
        except ImportError:  # pragma: no cover - depends on the installation
            raise MissingDependencyError(
                "the client needs httpx: pip install 'tuning-advisor[service]'"
            ) from None
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"server URL is {base_url!r}, but must start with http(s)://")
        self.base_url = base_url.rstrip("/")
        key = api_key if api_key is not None else os.environ.get(ENV_API_KEY)
        headers = {"Accept": "application/json", "User-Agent": "tuning-advisor-client"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AdvisorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ------------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        content: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        content_type: str = "application/json",
    ) -> Any:
        import httpx

        body = content
        if payload is not None:
            try:
                body = json.dumps(payload, allow_nan=False, separators=(",", ":")).encode()
            except ValueError:
                raise ConfigError("the request holds NaN or infinity, which JSON cannot") from None
            except TypeError as exc:
                raise ConfigError(f"the request is not JSON-serialisable: {exc}") from None
        headers = {"Content-Type": content_type} if body is not None else None
        try:
            response = self._http.request(
                method, path, content=body, params=params, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ServiceError(
                f"cannot reach the advisor service at {self.base_url}: {exc}"
            ) from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400:
            if isinstance(data, dict) and "message" in data:
                raise ServiceRequestError(
                    f"{self.base_url}: {data['message']} (HTTP {response.status_code})",
                    response.status_code,
                    str(data.get("error_code") or "service_error"),
                    data.get("problems") or [],
                )
            raise ServiceRequestError(
                f"{self.base_url}: HTTP {response.status_code} {response.text[:200]}",
                response.status_code,
            )
        if data is None:
            raise ServiceError(f"{self.base_url}{path}: the answer is not JSON")
        return data

    # -- service --------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        out: dict[str, Any] = self._request("GET", "/v1/health")
        return out

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = self._request("GET", "/v1/stats")
        return out

    def spaces(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._request("GET", "/v1/spaces")["spaces"]
        return out

    # -- suggestions ----------------------------------------------------------------------------
    def suggest(
        self,
        meta_features: Mapping[str, float | None],
        task: str,
        k: int = 5,
        space: str = "mlp",
        epochs: int = 20,
    ) -> dict[str, Any]:
        """The advice (``advisor suggest --json``) for a dataset's meta-features and a budget
        of ``epochs``."""
        payload = {
            "meta_features": _finite_or_none(dict(meta_features)),
            "task": task,
            "k": k,
            "space": space,
            "epochs": epochs,
        }
        out: dict[str, Any] = self._request("POST", "/v1/suggest", payload)
        return out

    def suggest_file(
        self,
        path: str | Path,
        target: str,
        task: str = "auto",
        k: int = 5,
        space: str = "mlp",
        epochs: int = 20,
    ) -> dict[str, Any]:
        """Meta-features of ``path`` computed here, then :meth:`suggest` (no data is sent)."""
        from advisor.facade import Advisor

        mf = Advisor().meta_features(path, target, task=task)  # never opens a knowledge base
        return self.suggest(dict(mf.values), mf.task, k=k, space=space, epochs=epochs)

    def suggest_csv(
        self,
        path: str | Path,
        target: str,
        task: str = "auto",
        k: int = 5,
        space: str = "mlp",
        epochs: int = 20,
    ) -> dict[str, Any]:
        """Upload a small CSV (at most 2 MB by default); the server computes meta-features."""
        data = Path(path).read_bytes()
        params = {"target": target, "task": task, "k": k, "space": space, "epochs": epochs}
        out: dict[str, Any] = self._request(
            "POST", "/v1/suggest/csv", content=data, params=params, content_type="text/csv"
        )
        return out

    # -- contributions --------------------------------------------------------------------------
    def contribute(
        self, records: Iterable[Any], batch_size: int = MAX_BATCH_RECORDS
    ) -> dict[str, Any]:
        """Send trial records in batches of ``batch_size`` (each batch is atomic on the server).

        Returns ``{"added", "duplicates", "errors": 0, "records": [...]}`` over all batches
        (indexes count from the first record). A rejected batch raises
        :class:`ServiceRequestError` whose ``problems`` carry indexes of the whole upload;
        earlier batches stay written.
        """
        if not 1 <= batch_size <= MAX_BATCH_RECORDS:
            raise ConfigError(
                f"batch_size is {batch_size}, but must be in [1, {MAX_BATCH_RECORDS}]"
            )
        items: Sequence[Any] = records if isinstance(records, Sequence) else list(records)
        total: dict[str, Any] = {"added": 0, "duplicates": 0, "errors": 0, "records": []}
        for start in range(0, len(items), batch_size):
            batch = [_record_json(r) for r in items[start : start + batch_size]]
            try:
                rep = self._request("POST", "/v1/trials", {"records": batch})
            except ServiceRequestError as exc:
                for p in exc.problems:
                    if isinstance(p, dict) and isinstance(p.get("index"), int):
                        p["index"] += start
                exc.added, exc.duplicates = total["added"], total["duplicates"]
                raise
            total["added"] += rep["added"]
            total["duplicates"] += rep["duplicates"]
            total["records"] += [{**r, "index": r["index"] + start} for r in rep.get("records", [])]
        return total

    # -- studies --------------------------------------------------------------------------------
    def create_study(
        self,
        meta_features: Mapping[str, float | None],
        task: str,
        *,
        space: str = "mlp",
        direction: str = "maximize",
        n_trials: int = 20,
        name: str | None = None,
        objective: str | None = None,
        warm_start: int = 5,
    ) -> dict[str, Any]:
        """A warm-started study on the server; returns its progress (``study_id`` among it)."""
        payload: dict[str, Any] = {
            "meta_features": _finite_or_none(dict(meta_features)),
            "task": task,
            "space": space,
            "direction": direction,
            "n_trials": n_trials,
            "warm_start": warm_start,
        }
        if name is not None:
            payload["name"] = name
        if objective is not None:
            payload["objective"] = objective
        out: dict[str, Any] = self._request("POST", "/v1/studies", payload)
        return out

    def ask(self, study_id: str) -> dict[str, Any]:
        """``{"trial": number, "config": {...}, "warm_start": bool}``."""
        out: dict[str, Any] = self._request("POST", f"/v1/studies/{_sid(study_id)}/ask")
        return out

    def tell(
        self,
        study_id: str,
        trial: int,
        value: float | None = None,
        status: str = "complete",
        *,
        learning_curve: Sequence[Mapping[str, Any]] | None = None,
        metrics: Mapping[str, float] | None = None,
        epochs: int | None = None,
        max_epochs: int | None = None,
        runtime_s: float | None = None,
    ) -> dict[str, Any]:
        """Report a trial's outcome (recorded in the study and in the knowledge base)."""
        payload: dict[str, Any] = {"trial": trial, "value": value, "status": status}
        optional = {
            "learning_curve": None if learning_curve is None else [dict(p) for p in learning_curve],
            "metrics": None if metrics is None else dict(metrics),
            "epochs": epochs,
            "max_epochs": max_epochs,
            "runtime_s": runtime_s,
        }
        payload.update({k: v for k, v in optional.items() if v is not None})
        out: dict[str, Any] = self._request("POST", f"/v1/studies/{_sid(study_id)}/tell", payload)
        return out

    def study(self, study_id: str) -> dict[str, Any]:
        """Progress: trials, ``n_complete``, ``best_value``, ``best_config``, budget."""
        out: dict[str, Any] = self._request("GET", f"/v1/studies/{_sid(study_id)}")
        return out


def _sid(study_id: str) -> str:
    from urllib.parse import quote

    return quote(str(study_id), safe="")
