"""The shared CRUD mechanism (``ciba_kit.simulator.rest``) as both Admin API stand-ins serve it.

Over real loopback HTTP against a fresh demo simulator per test: these pin the behaviours the
generic handlers must keep for every resource (route order, write stamping, referential checks,
sub-resources, secrets, version bumps).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ciba_kit.simulator import Simulator
from ciba_kit.simulator.admin_api import encrypted_secret_for

PF_HEADERS = {"X-XSRF-Header": "PingFederate"}
PF_AUTH = ("Administrator", "2FederateM0re")


@pytest.fixture
def demo() -> Iterator[Simulator]:
    s = Simulator.start(seed=0)
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def pf(demo: Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo.admin_url, headers=PF_HEADERS, auth=PF_AUTH) as c:
        yield c


@pytest.fixture
def p1(demo: Simulator) -> Iterator[httpx.Client]:
    env = demo.state.p1.environment_id
    tok = httpx.post(f"{demo.pingone_url}/{env}/as/token",
                     data={"grant_type": "client_credentials", "client_id": "ciba-kit-worker",
                           "client_secret": "ciba-kit-worker-secret"}).json()["access_token"]
    with httpx.Client(base_url=f"{demo.pingone_url}/environments/{env}",
                      headers={"Authorization": f"Bearer {tok}"}) as c:
        yield c


def test_descriptors_are_not_taken_for_an_authenticator_id(pf: httpx.Client) -> None:
    r = pf.get("/oauth/outOfBandAuthPlugins/descriptors")
    assert r.status_code == 200 and r.json()["items"][0]["type"] == "OOB_AUTH"
    # A method the item route lacks is refused by the first matching route (GET), as before.
    r = pf.patch("/oauth/clients/demo-poll", json={})
    assert r.status_code == 405 and "GET" in r.headers["allow"]


def test_failed_writes_leave_the_state_alone(demo: Simulator, pf: httpx.Client, p1: httpx.Client) -> None:
    before = demo.state.version
    assert pf.put("/oauth/clients/demo-poll", json={"clientId": "other"}).status_code == 422
    assert pf.delete("/passwordCredentialValidators/demoUserCodes").json()["validationErrors"][0]["errorId"] \
        == "resource_in_use"
    bad = p1.post("/applications", json={"name": "x", "type": "NOPE"})
    assert bad.status_code == 400 and bad.json()["details"][0]["target"] == "type"
    assert demo.state.version == before
    assert pf.put("/oauth/clients/demo-poll", json={**pf.get("/oauth/clients/demo-poll").json()}).status_code == 200
    assert demo.state.version == before + 1


def test_pf_put_keeps_the_secret_and_the_extension_field(demo: Simulator, pf: httpx.Client) -> None:
    doc = pf.get("/oauth/clients/demo-poll").json()
    assert doc["clientAuth"]["encryptedSecret"] == encrypted_secret_for("demo-poll-secret")
    doc["x-cibaKitDeliveryMode"] = "PUSH"
    del doc["clientId"]  # filled from the path
    out = pf.put("/oauth/clients/demo-poll", json=doc).json()
    assert out["x-cibaKitDeliveryMode"] == "PUSH" and "secret" not in out["clientAuth"]
    assert demo.state.pf.client_secrets["demo-poll"] == "demo-poll-secret"
    created = pf.post("/oauth/clients", json={"clientId": "c1", "name": "C1", "grantTypes": ["CIBA"],
                                              "clientAuth": {"type": "SECRET", "secret": "s1"}})
    assert created.status_code == 201 and created.json()["clientAuth"]["encryptedSecret"] == encrypted_secret_for("s1")
    assert pf.delete("/oauth/clients/c1").status_code == 204 and "c1" not in demo.state.pf.client_secrets
    assert pf.get("/oauth/clients/c1").json()["resultId"] == "resource_not_found"


def test_pingone_writes_are_stamped_and_in_use_is_refused(demo: Simulator, p1: httpx.Client) -> None:
    app = p1.post("/applications", json={"id": "mine", "name": "Web", "type": "WEB_APP"}).json()
    assert app["id"] != "mine" and app["environment"]["id"] == demo.state.p1.environment_id
    assert app["createdAt"] == app["updatedAt"]
    again = p1.put(f"/applications/{app['id']}", json={"name": "Web 2", "type": "WEB_APP"}).json()
    assert again["createdAt"] == app["createdAt"] and again["id"] == app["id"]
    demo_app = next(iter(demo.state.p1.applications))
    r = p1.delete(f"/applications/{demo_app}")
    assert r.status_code == 400 and r.json()["details"][0]["code"] == "CONSTRAINT_VIOLATION"
    assert p1.get("/applications/nope").json()["code"] == "NOT_FOUND"


def test_actions_are_a_sub_resource_of_sign_on_policies(p1: httpx.Client) -> None:
    mfa = p1.get("/deviceAuthenticationPolicies").json()["_embedded"]["deviceAuthenticationPolicies"][0]["id"]
    sop = p1.post("/signOnPolicies", json={"name": "CIBA1", "actions": [{"x": 1}]}).json()
    assert "actions" not in sop
    base = f"/signOnPolicies/{sop['id']}/actions"
    act = p1.post(base, json={"deviceAuthenticationPolicy": {"id": mfa}}).json()
    assert act["signOnPolicy"] == {"id": sop["id"]}
    assert p1.put(f"/signOnPolicies/{sop['id']}", json={"name": "CIBA2"}).status_code == 200
    assert [a["id"] for a in p1.get(base).json()["_embedded"]["actions"]] == [act["id"]]
    assert p1.get("/signOnPolicies/nope/actions").json()["message"].endswith("(sign-on policy nope)")
    assert p1.delete(f"{base}/{act['id']}").status_code == 204
    assert p1.get(f"{base}/{act['id']}").json()["message"].endswith(f"(sign-on policy action {act['id']})")


def test_devices_and_template_contents_live_in_lists(p1: httpx.Client) -> None:
    user = p1.post("/users", json={"username": "zed", "id": "zed-id"}).json()
    assert user["id"] == "zed-id"  # users keep a caller-chosen id
    dev = p1.post("/users/zed-id/devices", json={"type": "SMS", "id": "d1"})
    assert dev.status_code == 201 and dev.json()["user"] == {"id": "zed-id"}
    assert p1.put("/users/zed-id/devices/d1", json={}).status_code == 405  # devices have no PUT
    assert p1.post("/users/nope/devices", json={}).json()["message"].endswith("(user nope)")
    assert p1.delete("/users/zed-id").status_code == 204
    assert p1.get("/users/zed-id/devices/d1").status_code == 404
    assert p1.get("/templates/nope/contents").json()["message"].endswith("(template nope)")
    c = p1.post("/templates/general/contents", json={"deliveryMethod": "Push", "locale": "de", "title": "T",
                                                     "body": "B"}).json()
    assert c["template"] == {"id": "general", "name": "general"}
    dup = p1.post("/templates/general/contents", json={"deliveryMethod": "Push", "locale": "DE", "title": "T",
                                                       "body": "B"})
    assert dup.status_code == 400 and dup.json()["details"][0]["code"] == "UNIQUENESS_VIOLATION"
    assert p1.delete(f"/templates/general/contents/{c['id']}").status_code == 204
    assert p1.get("/templates/general/contents").json()["count"] == 0


def test_client_ids_follow_admin_api_writes(demo: Simulator, pf: httpx.Client) -> None:
    assert demo.client_ids() == ["demo-jwt", "demo-nociba", "demo-ping", "demo-poll", "demo-post", "demo-signed"]
    doc = {**pf.get("/oauth/clients/demo-poll").json(), "clientId": "a-new"}
    doc.pop("clientAuth", None)
    r = pf.post("/oauth/clients", json=doc)
    assert r.status_code == 201, r.text
    assert demo.client_ids()[0] == "a-new"
    assert pf.delete("/oauth/clients/a-new").status_code == 204
    assert "a-new" not in demo.client_ids()
