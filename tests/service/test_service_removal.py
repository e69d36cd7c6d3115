"""``POST /v1/trials/remove``: an admin takes contributed trials back, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import httpx
import pytest

from knowledge_base import SEED_CONTRIBUTOR, KnowledgeBase
from tests import service_helpers
from tests.kb_helpers import dataset, record
from tests.service_helpers import Service, bearer

service = service_helpers.service  # the fixture

PATH = "/v1/trials/remove"


def _ids(url: str) -> set[str]:
    with KnowledgeBase(url) as kb:
        return set(kb.trials("mlp")["trial_id"])


def _error(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error_code"] == code and "Traceback" not in r.text
    assert "\n" not in body["message"]
    return body


@pytest.fixture
def contributed(service: Service) -> dict[str, list[str]]:
    """Trials of two new datasets (3 and 2) and a seed trial, contributed with a write key."""
    tag = f"rm-{service.backend}-{uuid.uuid4().hex[:8]}"
    fp_a, fp_b, fp_s = (f"{c}{uuid.uuid4().hex[:15]}" for c in "abs")
    a = [record(f"{tag}-a{i}", seed=i, dataset=dataset(fp_a, name=f"{tag}-a")) for i in range(3)]
    b = [record(f"{tag}-b{i}", seed=i, dataset=dataset(fp_b, name=f"{tag}-b")) for i in range(2)]
    s = [record(f"{tag}-s", dataset=dataset(fp_s, name=f"{tag}-s"), contributor=SEED_CONTRIBUTOR)]
    with service.http("write") as http:
        r = http.post("/v1/trials", json={"records": a + b + s})
        assert r.status_code == 200, r.text
    return {
        "a": [x["trial_id"] for x in a],
        "b": [x["trial_id"] for x in b],
        "seed": [s[0]["trial_id"]],
        "names": [f"{tag}-a", f"{tag}-b", f"{tag}-s"],
        "fingerprints": [fp_a, fp_b, fp_s],
    }


def test_removing_trials_needs_an_admin_key(service: Service, contributed) -> None:
    body = {"trial_ids": contributed["a"]}
    url = f"{service.url}{PATH}"
    _error(httpx.post(url, json=body), 401, "unauthorized")
    for scope in ("read", "write"):
        r = httpx.post(url, json=body, headers=bearer(service.keys[scope]))
        assert "'admin'" in _error(r, 403, "forbidden")["message"]
    assert set(contributed["a"]) <= _ids(service.kb_url)


def test_an_admin_removes_a_dataset_and_named_trials_atomically(
    service: Service, contributed
) -> None:
    before = _ids(service.kb_url)
    body = {"datasets": [contributed["names"][0]], "trial_ids": contributed["b"][:1]}
    with service.http("admin") as http:
        plan = http.post(PATH, json={**body, "dry_run": True})
        assert plan.status_code == 200, plan.text
        assert plan.json()["dry_run"] is True and _ids(service.kb_url) == before
        r = http.post(PATH, json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    removed = set(contributed["a"]) | set(contributed["b"][:1])
    assert out["removed"] == 4 and set(out["trial_ids"]) == removed
    assert out["trial_ids"] == plan.json()["trial_ids"] and out["dry_run"] is False
    by_name = {d["name"]: d for d in out["datasets"]}
    assert by_name[contributed["names"][0]]["deleted"] is True
    assert by_name[contributed["names"][1]] | {"deleted": False} == {
        "fingerprint": contributed["fingerprints"][1],
        "name": contributed["names"][1],
        "removed": 1,
        "left": 1,
        "deleted": False,
    }
    assert _ids(service.kb_url) == before - removed


@pytest.mark.parametrize(
    ("body", "status", "code", "names"),
    [
        ({"trial_ids": ["{a0}", "no-such-trial"]}, 422, "invalid_records", "'no-such-trial'"),
        ({"datasets": ["{a}", "no-such-dataset"]}, 422, "invalid_records", "'no-such-dataset'"),
        ({"trial_ids": ["{a0}", "{seed}"]}, 409, "conflict", "the shipped seed"),
        ({"datasets": ["{s}"]}, 409, "conflict", "holds only trials of the shipped seed"),
        ({}, 422, "invalid_records", "at least one trial id or dataset"),
    ],
    ids=["unknown-trial", "unknown-dataset", "seed-trial", "seed-dataset", "nothing"],
)
def test_a_bad_value_is_a_4xx_naming_it_and_removes_nothing(
    service: Service, contributed, body: dict, status: int, code: str, names: str
) -> None:
    values = {
        "a0": contributed["a"][0],
        "seed": contributed["seed"][0],
        "a": contributed["names"][0],
        "s": contributed["names"][2],
    }
    body = {k: [v.format(**values) for v in vs] for k, vs in body.items()}
    before = _ids(service.kb_url)
    with service.http("admin") as http:
        message = _error(http.post(PATH, json=body), status, code)["message"]
    assert names in message
    assert "nothing was removed" in message or not body
    assert _ids(service.kb_url) == before


@pytest.mark.parametrize(
    "body",
    [
        {"trial_ids": [""]},
        {"trial_ids": "t-1"},
        {"trial_ids": [1]},
        {"datasets": ["x" * 201]},
        {"trial_ids": ["t-1"], "everything": True},
        {"trial_ids": ["t-1"], "dry_run": "yes"},
    ],
    ids=["empty-id", "not-a-list", "not-a-string", "too-long", "unknown-field", "not-a-bool"],
)
def test_a_malformed_body_is_a_422(service: Service, body: dict) -> None:
    with service.http("admin") as http:
        _error(http.post(PATH, json=body), 422, "invalid_request")
