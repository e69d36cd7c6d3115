"""Schemathesis over every operation: no 500, no response outside the OpenAPI document.

Schemathesis' Python API (strategies per operation, run under Hypothesis against the running
server) rather than its lazy pytest fixture loader, which does not run under pytest 9.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import service_helpers
from tests.service_helpers import Service, bearer

sqlite_service = service_helpers.sqlite_service  # the fixture

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OPERATIONS = [
    ("GET", "/v1/health"),
    ("GET", "/v1/spaces"),
    ("GET", "/v1/stats"),
    ("POST", "/v1/suggest"),
    ("POST", "/v1/suggest/csv"),
    ("POST", "/v1/trials"),
    ("POST", "/v1/trials/remove"),
    ("POST", "/v1/studies"),
    ("GET", "/v1/studies/{study_id}"),
    ("POST", "/v1/studies/{study_id}/ask"),
    ("POST", "/v1/studies/{study_id}/tell"),
]
MAX_EXAMPLES = 100


@pytest.fixture(scope="module")
def api_schema(sqlite_service: Service) -> Any:
    return schemathesis.openapi.from_url(f"{sqlite_service.url}/openapi.json")


def test_the_fuzzed_operations_are_every_operation(api_schema: Any) -> None:
    found = {(r.ok().method.upper(), r.ok().path) for r in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


#: Every operation with valid input, and every operation that takes input with invalid input.
CASES = [(m, p, GenerationMode.POSITIVE) for m, p in OPERATIONS] + [
    (m, p, GenerationMode.NEGATIVE) for m, p in OPERATIONS if p != "/v1/health"
]


@pytest.mark.slow
def _fuzz(operation: Any, headers: dict[str, str], mode: GenerationMode) -> None:
    """Call ``operation`` with generated requests; every answer must be documented, none 500."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)

    run()


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_no_operation_answers_500_or_outside_its_documentation(
    api_schema: Any, sqlite_service: Service, method: str, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]
    headers = bearer(sqlite_service.keys["write"])

    _fuzz(operation, headers, mode)


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_removal_route_with_an_admin_key_answers_no_500_or_outside_its_documentation(
    api_schema: Any, sqlite_service: Service, mode: GenerationMode
) -> None:
    """The operation above is fuzzed with a write key (a 403); here its body is, too."""
    operation = api_schema["/v1/trials/remove"]["POST"]
    headers = bearer(sqlite_service.keys["admin"])

    _fuzz(operation, headers, mode)
