"""The HTTP service against a real uvicorn server, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute

from advisor.client import AdvisorClient, ServiceRequestError
from advisor.facade import Advisor
from advisor.service import Settings
from advisor.service.auth import SCOPE_ATTR
from advisor.service.keys import create_api_key, revoke_api_key
from advisor_core.errors import ServiceError
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

service = service_helpers.service  # the fixture

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: POST operations that only read (they compute advice); every other POST writes.
READ_ONLY_POSTS = {"/v1/suggest", "/v1/suggest/csv"}


def _n_trials(url: str) -> int:
    with KnowledgeBase(url) as kb:
        return int(kb.stats()["trials"])


def _error(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) >= {"error_code", "message"}
    assert "Traceback" not in r.text
    return body


# -- health, reads, auth -------------------------------------------------------------------------
def test_health_needs_no_key_and_reports_version_and_schema(service: Service) -> None:
    r = httpx.get(f"{service.url}/v1/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": "0.1.0", "schema_revision": "0004"}


def test_reads_need_a_read_key_and_accept_both_headers(service: Service) -> None:
    _error(httpx.get(f"{service.url}/v1/stats"), 401)
    _error(httpx.get(f"{service.url}/v1/stats", headers=bearer("adv_000000000000_nope")), 401)
    r = httpx.get(f"{service.url}/v1/stats", headers=bearer(service.keys["read"]))
    assert r.status_code == 200 and r.json()["trials"] >= 864
    r = httpx.get(f"{service.url}/v1/spaces", headers={"X-API-Key": service.keys["read"]})
    assert r.status_code == 200 and "mlp" in {s["name"] for s in r.json()["spaces"]}
    mlp = {s["version"]: s["current"] for s in r.json()["spaces"] if s["name"] == "mlp"}
    assert mlp == {1: False, 2: True}  # both versions served, the current one says so


#: Write operations that need the admin scope.
ADMIN_POSTS = {"/v1/trials/remove"}


def test_every_write_route_needs_a_write_key(service: Service) -> None:
    routes = [
        r for r in service.app.routes if isinstance(r, APIRoute) and r.methods & WRITE_METHODS
    ]
    assert len(routes) >= 5
    assert {r.path for r in routes} >= {"/v1/trials", "/v1/studies", "/v1/studies/{study_id}/ask"}
    read, admin = service.keys["read"], service.keys["admin"]
    for route in routes:
        scope = (route.openapi_extra or {}).get(SCOPE_ATTR)
        path = route.path.replace("{study_id}", "st-0000")
        for method in route.methods & WRITE_METHODS:
            url = f"{service.url}{path}"
            body = _error(httpx.request(method, url, json={}), 401)
            assert body["error_code"] == "unauthorized", route.path
            if route.path in READ_ONLY_POSTS:
                assert scope == "read"
                r = httpx.request(method, url, json={}, headers=bearer(read))
                assert r.status_code not in (401, 403), route.path
                continue
            needed = "admin" if route.path in ADMIN_POSTS else "write"
            assert scope == needed, f"{method} {route.path} must declare scope {needed}"
            below = [read, service.keys["write"]] if needed == "admin" else [read]
            for key in below:
                for headers in (bearer(key), {"X-API-Key": key}):
                    body = _error(httpx.request(method, url, json={}, headers=headers), 403)
                    assert body["error_code"] == "forbidden", route.path
            r = httpx.request(method, url, json={}, headers=bearer(admin))
            assert r.status_code not in (401, 403), route.path


def test_public_read_serves_reads_without_a_key_but_never_writes(service: Service) -> None:
    settings = Settings(kb_url=service.kb_url, public_read=True, **TEST_SETTINGS)
    with thread_server(settings) as srv:
        assert httpx.get(f"{srv.url}/v1/stats").status_code == 200
        _error(httpx.post(f"{srv.url}/v1/trials", json={"records": [record(0)]}), 401)
        _error(httpx.get(f"{srv.url}/v1/stats", headers=bearer("adv_000000000000_x")), 401)


def test_a_revoked_key_is_rejected(service: Service) -> None:
    with KnowledgeBase(service.kb_url) as kb:
        key = create_api_key(kb, "write", name="to-revoke")
    headers = bearer(key)
    assert httpx.get(f"{service.url}/v1/stats", headers=headers).status_code == 200
    with KnowledgeBase(service.kb_url) as kb:
        assert revoke_api_key(kb, key.split("_", 2)[1])
    _error(httpx.get(f"{service.url}/v1/stats", headers=headers), 401)


# -- suggestions ---------------------------------------------------------------------------------
def test_suggest_answers_exactly_what_advisor_suggest_returns(service: Service) -> None:
    mf, task = meta_features(0)
    with service.http("read") as http:
        r = http.post("/v1/suggest", json={"meta_features": mf, "task": task, "k": 3})
        assert r.status_code == 200, r.text
        again = http.post("/v1/suggest", json={"meta_features": mf, "task": task, "k": 3})
    adv = Advisor(service.kb_url)
    expected = adv.suggest(meta_features=mf, task=task, k=3).to_dict()
    adv.close()
    assert r.json() == json.loads(json.dumps(expected))
    assert again.content == r.content
    assert len(r.json()["suggestions"]) == 3


def test_client_and_cli_suggest_through_the_server(service: Service, cli, tmp_path) -> None:
    mf, task = meta_features(1)
    with AdvisorClient(service.url, api_key=service.keys["read"]) as client:
        via_client = client.suggest(mf, task, k=2)
    (tmp_path / "mf.json").write_text(json.dumps({"task": task, "meta_features": mf}))
    res = cli(
        "suggest",
        "--meta-features",
        tmp_path / "mf.json",
        "-k",
        "2",
        "--server",
        service.url,
        "--json",
        env={"ADVISOR_API_KEY": service.keys["read"]},
    )
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout) == via_client


def test_suggest_file_sends_meta_features_and_csv_upload_computes_the_same(
    service: Service, tmp_path: Path
) -> None:
    from sklearn.datasets import load_wine

    path = tmp_path / "wine.csv"
    load_wine(as_frame=True).frame.to_csv(path, index=False)
    with AdvisorClient(service.url, api_key=service.keys["read"]) as client:
        local = client.suggest_file(path, target="target", k=2)
        uploaded = client.suggest_csv(path, target="target", k=2)
    assert uploaded == local
    assert local["task"] == "classification" and len(local["suggestions"]) == 2


def test_suggest_of_an_unknown_space_is_a_422(service: Service) -> None:
    mf, task = meta_features(0)
    with service.http("read") as http:
        r = http.post("/v1/suggest", json={"meta_features": mf, "task": task, "space": "nope"})
    assert _error(r, 422)["error_code"] == "invalid_config"


# -- contributions -------------------------------------------------------------------------------
def test_contributing_is_idempotent_and_reports_each_record(service: Service) -> None:
    tag = f"c-{service.backend}"
    batch = [record(f"{tag}-{i}", seed=i) for i in range(5)]
    before = _n_trials(service.kb_url)
    with service.http() as http:
        first = http.post("/v1/trials", json={"records": batch})
        again = http.post("/v1/trials", json={"records": [*batch[:2], record(f"{tag}-5")]})
    assert first.status_code == 200, first.text
    assert first.json()["added"] == 5 and first.json()["duplicates"] == 0
    assert [r["status"] for r in again.json()["records"]] == ["duplicate", "duplicate", "added"]
    third = again.json()["records"][2]
    assert third == {"index": 2, "trial_id": f"trial-{tag}-5", "status": "added"}
    assert _n_trials(service.kb_url) == before + 6


def test_an_invalid_record_rejects_the_batch_with_each_index_and_reason(service: Service) -> None:
    tag = f"inv-{service.backend}"
    batch = [
        record(f"{tag}-0"),
        mutate(record(f"{tag}-1"), "config.learning_rate", 5.0),
        record(f"{tag}-2"),
        mutate(record(f"{tag}-3"), "score", True),
    ]
    before = _n_trials(service.kb_url)
    with service.http() as http:
        body = _error(http.post("/v1/trials", json={"records": batch}), 422)
    assert body["error_code"] == "invalid_records"
    assert [p["index"] for p in body["problems"]] == [1, 3]
    assert "learning_rate" in body["problems"][0]["reason"]
    assert _n_trials(service.kb_url) == before


def test_a_conflicting_trial_id_is_a_409_and_writes_nothing(service: Service) -> None:
    tag = f"conf-{service.backend}"
    with service.http() as http:
        assert http.post("/v1/trials", json={"records": [record(f"{tag}-0")]}).status_code == 200
        before = _n_trials(service.kb_url)
        changed = mutate(record(f"{tag}-0"), "score", 0.1)
        r = http.post("/v1/trials", json={"records": [record(f"{tag}-1"), changed]})
    body = _error(r, 409)
    assert body["error_code"] == "conflict" and body["problems"][0]["index"] == 1
    assert _n_trials(service.kb_url) == before


def test_a_batch_over_the_documented_limit_is_rejected(service: Service) -> None:
    batch = [record(f"big-{service.backend}-{i}") for i in range(1001)]
    with service.http() as http:
        body = _error(http.post("/v1/trials", json={"records": batch}), 422)
    assert "records" in body["message"]
    with AdvisorClient(service.url, api_key=service.keys["write"]) as client:
        rep = client.contribute(batch)  # the client splits it: 1000 + 1
    assert rep["added"] == 1001 and rep["records"][-1]["index"] == 1000


def test_kb_add_through_the_server_prints_the_same_report(
    service: Service, cli, tmp_path: Path
) -> None:
    path = tmp_path / "log.jsonl"
    recs = [record(f"cli-{service.backend}-{i}") for i in range(3)]
    path.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    env = {"ADVISOR_API_KEY": service.keys["write"]}
    res = cli("kb", "add", path, "--server", service.url, "--json", env=env)
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout) == {"added": 3, "duplicates": 0, "errors": 0, "records": 3}
    res = cli("kb", "add", path, "--server", service.url, env=env)
    assert res.exit_code == 0 and "0 added, 3 duplicate(s)" in res.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(record(f"cli-{service.backend}-9", status="exploded")) + "\n")
    res = cli("kb", "add", bad, "--server", service.url, "--json", env=env)
    assert res.exit_code == 2
    assert json.loads(res.stdout)["problems"][0]["index"] == 0
    res = cli("kb", "add", path, "--server", service.url, env={"ADVISOR_API_KEY": ""})
    assert res.exit_code == 2 and "HTTP 401" in res.stderr


# -- studies -------------------------------------------------------------------------------------
def test_a_study_warm_starts_asks_tells_and_records_trials(service: Service) -> None:
    mf, task = meta_features(2)
    before = _n_trials(service.kb_url)
    with AdvisorClient(service.url, api_key=service.keys["write"]) as client:
        advice = client.suggest(mf, task, k=3)
        study = client.create_study(mf, task, n_trials=5, warm_start=3)
        sid = study["study_id"]
        assert study["budget"] == 5 and study["remaining"] == 5
        asked = [client.ask(sid) for _ in range(4)]
        assert [a["warm_start"] for a in asked] == [True, True, True, False]
        assert [a["config"] for a in asked[:3]] == [s["config"] for s in advice["suggestions"]]
        curve = [{"epoch": 1, "objective": 0.5}, {"epoch": 2, "objective": 0.7}]
        told = client.tell(sid, asked[0]["trial"], 0.7, learning_curve=curve, metrics={"acc": 0.7})
        assert told["state"] == "complete" and told["value"] == 0.7
        client.tell(sid, asked[1]["trial"], None, "pruned", learning_curve=curve[:1])
        client.tell(sid, asked[2]["trial"], None, "diverged")
        client.tell(sid, asked[3]["trial"], 0.8)
        with pytest.raises(ServiceError) as twice:
            client.tell(sid, asked[3]["trial"], 0.8)
        assert twice.value.status_code == 409
        client.ask(sid)
        with pytest.raises(ServiceError) as spent:
            client.ask(sid)
        assert spent.value.status_code == 409 and spent.value.error_code == "budget_exhausted"
        progress = client.study(sid)
    assert progress["n_complete"] == 2 and progress["n_pruned"] == 1
    assert progress["n_failed"] == 1 and progress["n_running"] == 1
    assert progress["best_value"] == 0.8 and progress["best_config"] == asked[3]["config"]
    assert _n_trials(service.kb_url) == before + 4
    with KnowledgeBase(service.kb_url) as kb:
        mine = [r for r in kb.export_records() if r["dataset"]["name"] == f"study:{sid}"]
    assert sorted(r["status"] for r in mine) == ["complete", "complete", "diverged", "pruned"]
    assert {r["config"]["learning_rate"] for r in mine} <= {
        a["config"]["learning_rate"] for a in asked
    }


def test_study_errors_unknown_study_and_trial_and_bad_values(service: Service) -> None:
    mf, task = meta_features(3)
    sid = f"dup-me-{service.backend}"
    tell = f"/v1/studies/{sid}/tell"
    with service.http() as http:
        missing = _error(http.get("/v1/studies/st-doesnotexist"), 404)
        assert missing["error_code"] == "study_not_found"
        _error(http.post("/v1/studies/st-doesnotexist/ask"), 404)
        r = http.post("/v1/studies", json={"meta_features": mf, "task": task, "name": sid})
        assert r.status_code == 201, r.text
        r = http.post("/v1/studies", json={"meta_features": mf, "task": task, "name": sid})
        assert _error(r, 409)["error_code"] == "study_exists"
        _error(http.post(tell, json={"trial": 99, "value": 1.0}), 404)
        waiting = _error(http.post(tell, json={"trial": 0, "value": 1.0}), 409)
        assert waiting["error_code"] == "trial_not_asked"
        n = http.post(f"/v1/studies/{sid}/ask").json()["trial"]
        _error(http.post(tell, json={"trial": n, "value": None}), 422)
        _error(http.post(tell, json={"trial": n, "value": 1.0, "status": "failed"}), 422)
        assert http.post(tell, json={"trial": n, "value": 0.5}).status_code == 200


def test_studies_survive_a_server_restart(service: Service) -> None:
    mf, task = meta_features(4)
    settings = Settings(kb_url=service.kb_url, **TEST_SETTINGS)
    key = service.keys["write"]
    with thread_server(settings) as first, AdvisorClient(first.url, api_key=key) as client:
        study = client.create_study(mf, task, n_trials=4, warm_start=1, direction="minimize")
        sid = study["study_id"]
        a = client.ask(sid)
        client.tell(sid, a["trial"], 0.3)
    with thread_server(settings) as second, AdvisorClient(second.url, api_key=key) as client:
        before = client.study(sid)
        assert before["n_complete"] == 1 and before["direction"] == "minimize"
        b = client.ask(sid)  # the sampler is rebuilt from the study's meta-features
        assert b["trial"] == 1 and not b["warm_start"]
        client.tell(sid, b["trial"], 0.2)
        after = client.study(sid)
    assert after["n_complete"] == 2 and after["best_value"] == 0.2
    assert after["best_config"] == b["config"]
    with KnowledgeBase(service.kb_url) as kb:
        mine = [r for r in kb.export_records() if r["dataset"]["name"] == f"study:{sid}"]
    assert sorted(r["score"] for r in mine) == [-0.3, -0.2]
    assert {r["objective"] for r in mine} == {"neg_loss"}


def test_client_errors_carry_status_code_and_problems(service: Service) -> None:
    with AdvisorClient(service.url, api_key=service.keys["write"]) as client:
        with pytest.raises(ServiceRequestError) as bad:
            client.contribute([record("cl-ok"), mutate(record("cl-bad"), "status", "boom")])
        assert bad.value.status_code == 422 and bad.value.error_code == "invalid_records"
        assert bad.value.problems[0]["index"] == 1
    with AdvisorClient(service.url, api_key="") as anonymous:
        with pytest.raises(ServiceError) as denied:
            anonymous.stats()
        assert denied.value.status_code == 401
