"""Hostile input gets a 4xx JSON error, never a 500 or a traceback; limits are enforced."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from advisor.service import Settings
from knowledge_base import KnowledgeBase
from tests import service_helpers
from tests.kb_helpers import mutate, record
from tests.service_helpers import (
    TEST_SETTINGS,
    Service,
    bearer,
    meta_features,
    thread_server,
)

sqlite_service = service_helpers.sqlite_service  # the fixture


def _error(r: httpx.Response, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) >= {"error_code", "message"} and body["message"]
    assert "Traceback" not in r.text and 'File "' not in r.text
    if code is not None:
        assert body["error_code"] == code, body
    return body


@pytest.fixture
def http(sqlite_service: Service) -> Iterator[httpx.Client]:
    with sqlite_service.http("write") as client:
        yield client


def _suggest_body(**over: object) -> dict:
    mf, task = meta_features(0)
    body: dict = {"meta_features": mf, "task": task, "k": 2}
    body.update(over)
    return body


def _raw(http: httpx.Client, path: str, text: str) -> httpx.Response:
    return http.post(path, content=text.encode(), headers={"content-type": "application/json"})


# -- numbers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
def test_non_finite_numbers_are_rejected_anywhere_in_a_body(http, constant: str) -> None:
    text = json.dumps(_suggest_body()).replace('"k": 2', f'"k": {constant}')
    _error(_raw(http, "/v1/suggest", text), 400, "invalid_json")
    mf_text = json.dumps(_suggest_body()).replace('"n_rows": ', f'"n_rows": {constant}, "x": ', 1)
    _error(_raw(http, "/v1/suggest", mf_text), 400, "invalid_json")
    rec = json.dumps({"records": [record("nan-0")]}).replace('"score": 0.8', f'"score": {constant}')
    _error(_raw(http, "/v1/trials", rec), 400, "invalid_json")
    _error(_raw(http, "/v1/studies/anything/tell", f'{{"trial": 0, "value": {constant}}}'), 400)


def test_a_boolean_or_a_string_is_not_a_number(http) -> None:
    mf, task = meta_features(0)
    for body in (
        _suggest_body(k=True),
        _suggest_body(k="2"),
        _suggest_body(k=2.0),
        _suggest_body(meta_features={**mf, "n_rows": True}),
        _suggest_body(meta_features={**mf, "n_rows": "779"}),
        {"meta_features": mf, "task": task, "n_trials": True},
    ):
        path = "/v1/studies" if "n_trials" in body else "/v1/suggest"
        body_ = _error(http.post(path, json=body), 422, "invalid_request")
        assert body_["problems"] and body_["problems"][0]["location"].startswith("body.")
    bad = mutate(record("bool-0"), "score", True)
    body = _error(http.post("/v1/trials", json={"records": [bad]}), 422)
    assert body["problems"][0]["index"] == 0


def test_out_of_range_values_are_rejected(http) -> None:
    mf, _ = meta_features(0)
    for body in (
        _suggest_body(k=0),
        _suggest_body(k=51),
        _suggest_body(k=10**30),
        _suggest_body(meta_features={**mf, "n_rows": 1e300}),
        _suggest_body(task="clustering"),
    ):
        _error(http.post("/v1/suggest", json=body), 422, "invalid_request")


def test_unknown_or_missing_fields_are_rejected(http) -> None:
    mf, _ = meta_features(0)
    _error(http.post("/v1/suggest", json=_suggest_body(extra=1)), 422, "invalid_request")
    _error(http.post("/v1/suggest", json=_suggest_body(meta_features={**mf, "x": 1.0})), 422)
    missing = {k: v for k, v in mf.items() if k != "lm_best"}
    body = _error(http.post("/v1/suggest", json=_suggest_body(meta_features=missing)), 422)
    assert "lm_best" in body["message"]
    r = http.post("/v1/trials", json={"records": [{**record("unk-0"), "surprise": 1}]})
    assert "surprise" in _error(r, 422, "invalid_records")["problems"][0]["reason"]
    _error(http.post("/v1/trials", json={"records": [record("x")], "more": 1}), 422)


def test_malformed_bodies_are_json_errors(http) -> None:
    _error(_raw(http, "/v1/suggest", '{"meta_features": '), 400, "invalid_json")
    _error(_raw(http, "/v1/suggest", "[" * 5000 + "]" * 5000), 400, "invalid_json")
    _error(_raw(http, "/v1/suggest", '"just a string"'), 422)
    _error(http.post("/v1/suggest", content=b"k=2", headers={"content-type": "text/plain"}), 422)
    _error(http.post("/v1/suggest", content=b"\xff\xfe\x00garbage"), 422)


# -- sizes -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small(sqlite_service: Service) -> Iterator[tuple[str, dict[str, str]]]:
    settings = Settings(kb_url=sqlite_service.kb_url, max_body_bytes=64 * 1024, **TEST_SETTINGS)
    with thread_server(settings) as srv:
        yield srv.url, bearer(sqlite_service.keys["write"])


def test_an_oversized_body_is_a_413_declared_or_chunked(small) -> None:
    url, headers = small
    big = json.dumps({"records": [record(f"big-{i}") for i in range(60)]}).encode()
    assert len(big) > 64 * 1024
    r = httpx.post(f"{url}/v1/trials", content=big, headers=headers | {"content-type": "x"})
    _error(r, 413, "body_too_large")

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(big), 4096):
            yield big[i : i + 4096]

    r = httpx.post(
        f"{url}/v1/trials",
        content=chunks(),
        headers=headers | {"content-type": "application/json"},
    )
    assert r.request.headers.get("transfer-encoding") == "chunked"
    _error(r, 413, "body_too_large")
    small_batch = json.dumps({"records": [record("fits-0")]}).encode()
    ok = httpx.post(
        f"{url}/v1/trials",
        content=iter([small_batch[:100], small_batch[100:]]),
        headers=headers | {"content-type": "application/json"},
    )
    assert ok.status_code == 200, ok.text


def test_a_csv_over_its_limit_is_a_413(sqlite_service: Service) -> None:
    data = b"a,b,target\n" + b"1,2,0\n3,4,1\n" * 200_000
    assert len(data) > 2 * 1024 * 1024
    r = httpx.post(
        f"{sqlite_service.url}/v1/suggest/csv",
        params={"target": "target"},
        content=data,
        headers=bearer(sqlite_service.keys["read"]) | {"content-type": "text/csv"},
        timeout=60,
    )
    _error(r, 413, "body_too_large")


def test_a_bad_csv_is_a_422(sqlite_service: Service) -> None:
    headers = bearer(sqlite_service.keys["read"]) | {"content-type": "text/csv"}
    url = f"{sqlite_service.url}/v1/suggest/csv"
    for content, target in [
        (b"a,b\n1,2\n", "target"),
        (b"\x00\x01\x02\xff\xfe", "x"),
        (b"a,target\n1,0\n", "target"),
        (b"", "target"),
    ]:
        _error(httpx.post(url, params={"target": target}, content=content, headers=headers), 422)


# -- names and ids ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sid",
    [
        "../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e",
        "x' OR '1'='1",
        "1; DROP TABLE trials; --",
        "a" * 65,
        "st-\u00e9t\u00e9",
        "-leading-dash",
    ],
)
def test_hostile_study_ids_are_404_or_422_json(http, sid: str) -> None:
    for method, suffix in (("GET", ""), ("POST", "/ask")):
        r = http.request(method, f"/v1/studies/{sid}{suffix}")
        assert r.status_code in (404, 422), (sid, r.status_code, r.text)
        _error(r, r.status_code)


def test_hostile_names_are_rejected_or_stored_literally(sqlite_service: Service, http) -> None:
    mf, task = meta_features(0)
    for name in ("../x", "a/b", "x' OR 1=1 --", "a" * 65):
        r = http.post("/v1/studies", json={"meta_features": mf, "task": task, "name": name})
        _error(r, 422, "invalid_request")
    bad = mutate(record("name-0"), "dataset.name", "../../etc/passwd")
    assert (
        "path separators"
        in _error(http.post("/v1/trials", json={"records": [bad]}), 422)["problems"][0]["reason"]
    )
    sql = "Robert'); DROP TABLE trials;--"
    ok = mutate(mutate(record("name-1"), "dataset.name", sql), "dataset.fingerprint", "feedbeef99")
    assert http.post("/v1/trials", json={"records": [ok]}).status_code == 200
    with KnowledgeBase(sqlite_service.kb_url) as kb:
        assert sql in set(kb.datasets()["name"])
        assert kb.stats()["trials"] > 0


# -- hosts, CORS, routing, the unexpected -----------------------------------------------------
def test_a_host_that_is_not_allowed_is_a_400(sqlite_service: Service) -> None:
    r = httpx.get(f"{sqlite_service.url}/v1/health", headers={"Host": "evil.example"})
    _error(r, 400, "invalid_host")
    assert httpx.get(f"{sqlite_service.url}/v1/health").status_code == 200


def test_cors_is_off_by_default_and_on_for_named_origins(sqlite_service: Service) -> None:
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    r = httpx.options(f"{sqlite_service.url}/v1/suggest", headers=preflight)
    assert "access-control-allow-origin" not in r.headers
    settings = Settings(
        kb_url=sqlite_service.kb_url, cors_origins=("https://app.example",), **TEST_SETTINGS
    )
    with thread_server(settings) as srv:
        r = httpx.options(f"{srv.url}/v1/suggest", headers=preflight)
        assert r.headers["access-control-allow-origin"] == "https://app.example"
        other = httpx.get(f"{srv.url}/v1/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_unknown_routes_and_methods_are_json(http) -> None:
    _error(http.get("/v1/nothing-here"), 404, "not_found")
    _error(http.delete("/v1/trials"), 405, "method_not_allowed")


def test_an_unexpected_error_is_a_500_without_a_traceback(sqlite_service: Service) -> None:
    with thread_server(Settings(kb_url=sqlite_service.kb_url, **TEST_SETTINGS)) as srv:

        def broken() -> dict:
            raise RuntimeError("secret internals /etc/shadow")

        srv.app.state.runtime.kb.stats = broken
        r = httpx.get(f"{srv.url}/v1/stats", headers=bearer(sqlite_service.keys["read"]))
        body = _error(r, 500, "internal_error")
        assert "secret" not in r.text and "shadow" not in body["message"]


# -- the OpenAPI document ------------------------------------------------------------------------
def test_the_openapi_document_lists_every_error_response(sqlite_service: Service) -> None:
    doc = httpx.get(f"{sqlite_service.url}/openapi.json").json()
    ops = [(p, m, op) for p, item in doc["paths"].items() for m, op in item.items()]
    assert len(ops) == 11
    for path, method, op in ops:
        codes = set(op["responses"])
        assert {"400", "500"} <= codes, (method, path)
        if op.get("x-required-scope"):
            assert {"401", "403"} <= codes, (method, path)
        if "requestBody" in op:
            assert {"413", "422"} <= codes, (method, path)
        if "{study_id}" in path:
            assert {"404", "422"} <= codes, (method, path)
        if method == "post" and path != "/v1/suggest" and "suggest" not in path:
            assert "409" in codes, (method, path)
        for code in codes - {"200", "201"}:
            schema = op["responses"][code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (path, code)
