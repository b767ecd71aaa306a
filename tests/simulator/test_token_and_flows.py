"""Token endpoint semantics and end-to-end poll / ping / push flows, device API and ground truth."""

from __future__ import annotations

import time

import httpx
import pytest

from ciba_kit.protocol import jose
from ciba_kit.protocol.constants import CLAIM_AUTH_REQ_ID, CLAIM_RT_HASH
from ciba_kit.simulator import Simulator


def ping_status(api, rid: str, timeout: float = 5.0) -> str:
    """The recorded notification outcome (it lands just after the receiver saw the call)."""
    deadline = time.monotonic() + timeout
    while api.sim.truth(rid).ping_status is None and time.monotonic() < deadline:
        time.sleep(0.01)
    return api.sim.truth(rid).ping_status


def err(r: httpx.Response) -> tuple[int, str]:
    return r.status_code, r.json().get("error")


def test_poll_flow_alice_approves_with_valid_id_token(api) -> None:
    ack = api.start(login_hint="alice", binding_message="W4SCT", acr_values="urn:demo:mfa urn:demo:pwd",
                    scope="openid profile email")
    r = api.wait_result(ack["auth_req_id"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "openid profile email"
    assert body["expires_in"] > 0 and "refresh_token" not in body
    jwks = api.http.get("/pf/JWKS").json()
    header, claims = jose.verify_jwt(body["id_token"], jwks, ["ES256"])
    assert header["kid"] in [k["kid"] for k in jwks["keys"]]
    assert claims["iss"] == api.sim.issuer and claims["aud"] == "demo-poll" and claims["sub"] == "alice"
    assert claims["acr"] == "urn:demo:mfa"
    assert claims["iat"] <= claims["auth_time"] + 1 and claims["exp"] > claims["iat"]
    assert CLAIM_AUTH_REQ_ID not in claims  # hash claims are for push only
    # userinfo, GET and POST
    info = api.http.get("/idp/userinfo.openid", headers={"Authorization": f"Bearer {body['access_token']}"}).json()
    assert info["sub"] == "alice" and info["email"] == "alice@example.com" and info["given_name"] == "Alice"
    info2 = api.http.post("/idp/userinfo.openid", data={"access_token": body["access_token"]}).json()
    assert info2["sub"] == "alice"
    bad = api.http.get("/idp/userinfo.openid", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and "invalid_token" in bad.headers["www-authenticate"]
    # single use
    assert err(api.token(ack["auth_req_id"])) == (400, "invalid_grant")
    # ground truth
    t = api.sim.truth(ack["auth_req_id"])
    assert t.outcome == "approved" and t.decision == "approve" and t.user == "alice"
    assert t.received.mono <= t.decided.mono <= t.tokens_issued.mono
    assert 1.0 < t.decided.mono - t.received.mono < 3.5


def test_bob_denies_and_carol_times_out(api) -> None:
    bob = api.start(login_hint="bob")
    carol = api.start(login_hint="carol")
    r = api.wait_result(bob["auth_req_id"])
    assert err(r) == (400, "access_denied")
    assert "denied" in r.json()["error_description"]
    r = api.wait_result(carol["auth_req_id"], interval=10)
    assert err(r) == (400, "access_denied")
    assert "timed out" in r.json()["error_description"]
    t = api.sim.truth(carol["auth_req_id"])
    assert t.decision == "timeout" and t.device_status == "PUSH_CONFIRMATION_TIMED_OUT"
    assert t.decided.mono - t.received.mono == pytest.approx(40.0)
    assert api.sim.truth(bob["auth_req_id"]).outcome == "denied"


def test_push_timeout_can_stay_pending_until_expired() -> None:
    from ciba_kit.protocol.clock import ScaledClock
    with Simulator.start({"settings": {"push_timeout_result": "pending"}}, clock=ScaledClock(40)) as s:
        c = httpx.Client(base_url=s.issuer, auth=("demo-poll", "demo-poll-secret"))
        rid = c.post("/as/bc-auth.ciba", data={"scope": "openid", "login_hint": "carol",
                                               "requested_expiry": "60"}).json()["auth_req_id"]
        time.sleep(45 / 40)
        r = c.post("/as/token.oauth2", data={"grant_type": "urn:openid:params:grant-type:ciba", "auth_req_id": rid})
        assert err(r) == (400, "authorization_pending")
        time.sleep(20 / 40)
        r = c.post("/as/token.oauth2", data={"grant_type": "urn:openid:params:grant-type:ciba", "auth_req_id": rid})
        assert err(r) == (400, "expired_token")
        assert s.truth(rid).outcome == "expired"


def test_dave_with_user_code_approves(api) -> None:
    ack = api.start(login_hint="dave", user_code="1234")
    assert api.wait_result(ack["auth_req_id"]).status_code == 200


def test_user_without_paired_device_is_denied(api) -> None:
    ack = api.start("t-nothrottle", login_hint="nodevice")
    r = api.token(ack["auth_req_id"], "t-nothrottle")
    assert err(r) == (400, "access_denied")
    assert "no paired device" in r.json()["error_description"]


def test_slow_down_rules(api) -> None:
    rid = api.start(login_hint="frank")["auth_req_id"]
    # The first poll right after the acknowledgement is never throttled.
    assert err(api.token(rid)) == (400, "authorization_pending")
    assert err(api.token(rid)) == (400, "slow_down")          # immediately again: too fast
    api.sleep_clock(3)                                          # 3 s > 2 s, but the interval is now 7 s
    assert err(api.token(rid)) == (400, "slow_down")
    api.sleep_clock(12.5)                                        # > 12 s (7 + 5)
    assert err(api.token(rid)) == (400, "authorization_pending")
    t = api.sim.truth(rid)
    assert t.slow_downs == 2 and t.polls == 4
    api.sim.devices.approve(t.device_id)
    assert api.token(rid).status_code == 200                    # a ready result is never throttled


def test_interval_zero_never_throttles(api) -> None:
    rid = api.start("t-nothrottle", login_hint="frank")["auth_req_id"]
    for _ in range(3):
        assert err(api.token(rid, "t-nothrottle")) == (400, "authorization_pending")
    api.sim.devices.deny("frank")
    assert err(api.token(rid, "t-nothrottle")) == (400, "access_denied")


def test_expired_token(api) -> None:
    rid = api.start(login_hint="frank", requested_expiry="3")["auth_req_id"]
    api.sleep_clock(3.5)
    assert err(api.token(rid)) == (400, "expired_token")
    assert api.sim.truth(rid).outcome == "expired"
    with pytest.raises(Exception):
        api.sim.devices.approve(api.sim.truth(rid).device_id)  # the prompt timed out / is gone


def test_token_endpoint_errors(api) -> None:
    rid = api.start(login_hint="frank")["auth_req_id"]
    assert err(api.token("unknown-id")) == (400, "invalid_grant")
    assert err(api.token(rid, "demo-post")) == (400, "invalid_grant")       # another client's id
    r = api.http.post("/as/token.oauth2", data={"grant_type": "password", "auth_req_id": rid},
                      auth=("demo-poll", "demo-poll-secret"))
    assert err(r) == (400, "unsupported_grant_type")
    r = api.http.post("/as/token.oauth2", data={"auth_req_id": rid}, auth=("demo-poll", "demo-poll-secret"))
    assert err(r) == (400, "invalid_request")
    r = api.http.post("/as/token.oauth2", data={"grant_type": "urn:openid:params:grant-type:ciba"},
                      auth=("demo-poll", "demo-poll-secret"))
    assert err(r) == (400, "invalid_request")
    assert err(api.token(rid, "demo-nociba")) == (400, "unauthorized_client")
    api.sim.devices.deny("frank")


def test_refresh_token_for_clients_with_the_grant(api) -> None:
    ack = api.start("t-refresh", login_hint="alice", scope="openid offline_access")
    r = api.wait_result(ack["auth_req_id"], "t-refresh")
    body = r.json()
    assert "refresh_token" in body
    r2 = api.http.post("/as/token.oauth2", data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
                       auth=("t-refresh", "t-refresh-secret"))
    assert r2.status_code == 200 and r2.json()["access_token"] != body["access_token"]
    r3 = api.http.post("/as/token.oauth2", data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
                       auth=("demo-poll", "demo-poll-secret"))
    assert err(r3) == (400, "invalid_grant")


class TestPing:
    def test_ping_on_approval_then_one_token_call(self, api, receiver) -> None:
        token = jose.random_token(32)
        rid = api.start("t-ping", login_hint="alice", client_notification_token=token)["auth_req_id"]
        call = receiver.find(rid)
        assert call["headers"]["authorization"] == f"Bearer {token}"
        assert call["headers"]["content-type"] == "application/json"
        assert call["json"] == {"auth_req_id": rid}
        r = api.token(rid, "t-ping")
        assert r.status_code == 200, r.text
        t = api.sim.truth(rid)
        assert ping_status(api, rid) == "204"
        assert api.sim.truth(rid).ping_delivered.mono >= t.decided.mono

    def test_ping_on_denial_and_manual_decision(self, api, receiver) -> None:
        rid = api.start("t-ping", login_hint="frank", client_notification_token="tok-deny")["auth_req_id"]
        api.sim.devices.wait_for_prompt("frank")
        api.sim.devices.deny("frank")
        call = receiver.find(rid)
        assert call["json"] == {"auth_req_id": rid}
        assert err(api.token(rid, "t-ping")) == (400, "access_denied")

    def test_redirect_not_followed(self, api, receiver) -> None:
        receiver.status = 302
        try:
            rid = api.start("t-ping", login_hint="alice", client_notification_token="tok-redirect")["auth_req_id"]
            receiver.find(rid)
            assert ping_status(api, rid) == "302"
        finally:
            receiver.status = 204
        assert api.token(rid, "t-ping").status_code == 200

    def test_delivery_failure_is_recorded_and_result_still_fetchable(self, api) -> None:
        rid = api.start("t-ping-dead", login_hint="alice", client_notification_token="tok-dead")["auth_req_id"]
        assert ping_status(api, rid).startswith("error:")
        assert api.token(rid, "t-ping-dead").status_code == 200


class TestPush:
    def test_push_delivers_tokens_with_hash_claims(self, api, receiver) -> None:
        ack = api.start("t-push", login_hint="alice", client_notification_token="tok-push",
                        scope="openid offline_access")
        assert "interval" not in ack
        rid = ack["auth_req_id"]
        call = receiver.find(rid)
        body = call["json"]
        assert call["headers"]["authorization"] == "Bearer tok-push"
        assert body["token_type"] == "Bearer" and body["auth_req_id"] == rid
        _, claims = jose.verify_jwt(body["id_token"], api.http.get("/pf/JWKS").json(), ["ES256"])
        assert claims[CLAIM_AUTH_REQ_ID] == rid
        assert claims["at_hash"] == jose.left_hash(body["access_token"], "ES256")
        assert claims[CLAIM_RT_HASH] == jose.left_hash(body["refresh_token"], "ES256")
        assert err(api.token(rid, "t-push")) == (400, "unauthorized_client")

    def test_push_error_payload_on_denial(self, api, receiver) -> None:
        rid = api.start("t-push", login_hint="bob", client_notification_token="tok-push2")["auth_req_id"]
        body = receiver.find(rid)["json"]
        assert body["error"] == "access_denied" and body["auth_req_id"] == rid and body["error_description"]

    def test_push_requires_opt_in(self) -> None:
        cfg = {"clients": [{"clientId": "p", "clientAuth": {"type": "SECRET", "secret": "p"},
                            "cibaDeliveryMode": "PING", "x-cibaKitDeliveryMode": "PUSH",
                            "cibaNotificationEndpoint": "http://127.0.0.1:9/cb",
                            "requestPolicyRef": {"id": "demo-ciba-policy"}}]}
        with Simulator.start(cfg) as s:  # push not enabled: the client is a ping client
            r = httpx.post(s.issuer + "/as/bc-auth.ciba", auth=("p", "p"),
                           data={"scope": "openid", "login_hint": "frank", "client_notification_token": "t"})
            assert "interval" in r.json()


class TestDevices:
    def test_pending_prompt_rendered_from_template(self, api) -> None:
        rid = api.start(login_hint="frank", binding_message="CODE-42")["auth_req_id"]
        p = api.sim.devices.wait_for_prompt("frank", timeout=2)
        assert p.title == "Demo Poll Client is requesting approval"
        assert p.body == "Message from Demo Poll Client: CODE-42"
        assert p.locale == "en" and p.client_id == "demo-poll" and p.binding_message == "CODE-42"
        assert p.id == api.sim.truth(rid).device_id
        assert api.sim.devices.approve(p.id).status == "COMPLETED"
        assert api.sim.devices.pending("frank") == []
        assert api.token(rid).status_code == 200

    def test_french_user_gets_french_prompt(self, api) -> None:
        api.start(login_hint="zoe", binding_message="FR1")
        p = api.sim.devices.pending("zoe")[0]
        assert p.locale == "fr" and p.title == "Demo Poll Client demande votre approbation"

    def test_template_variables_and_variant_from_authenticator(self, receiver) -> None:
        with Simulator.start() as s:
            with s.state.lock:
                plugin = s.state.pf.oob_plugins["demoPingOneMfa"]
                plugin["configuration"]["tables"][0]["rows"] = [{"fields": [
                    {"name": "PingOne Template Variable Name", "value": "shop"},
                    {"name": "PingOne Template Variable Value", "value": "ACME"}]}]
                for f in plugin["configuration"]["fields"]:
                    if f["name"] == "PingOne Template Variant":
                        f["value"] = "shop"
                s.state.p1.template_contents["transaction"].append(
                    {"deliveryMethod": "Push", "locale": "en", "variant": "shop", "title": "Buy at ${shop}",
                     "body": "${authUserBindingMessage}"})
                s.state.touch()
            httpx.post(s.issuer + "/as/bc-auth.ciba", auth=("demo-poll", "demo-poll-secret"),
                       data={"scope": "openid", "login_hint": "frank", "binding_message": "B1"})
            p = s.devices.pending("frank")[0]
            assert (p.title, p.body, p.variant) == ("Buy at ACME", "B1", "shop")

    def test_http_twins(self, api) -> None:
        rid = api.start(login_hint="frank", binding_message="HTTP1")["auth_req_id"]
        w = api.http.get("/sim/devices/wait", params={"user": "frank", "timeout": 2})
        assert w.status_code == 200 and w.json()["binding_message"] == "HTTP1"
        items = api.http.get("/sim/devices/pending", params={"user": "frank"}).json()["items"]
        assert [i["id"] for i in items] == [w.json()["id"]]
        assert api.http.post(f"/sim/devices/{w.json()['id']}/approve").json()["status"] == "COMPLETED"
        assert api.http.post("/sim/devices/frank/approve").status_code == 404   # nothing pending now
        assert api.token(rid).status_code == 200
        from ciba_kit.protocol.rules import auth_req_id_hash
        t = api.http.get(f"/sim/truth/{auth_req_id_hash(rid)}").json()
        assert t["outcome"] == "approved" and t["binding_message"] == "HTTP1" and "auth_req_id" not in t
        assert any(x["auth_req_id_hash"] == t["auth_req_id_hash"] for x in api.http.get("/sim/truth").json()["items"])
        assert api.http.get("/sim/truth/nothing").status_code == 404
        assert api.http.get("/sim/devices/wait", params={"user": "nobody", "timeout": 0.05}).status_code == 408

    def test_conformance_style_approval_hook(self, api) -> None:
        rid = api.start(login_hint="frank")["auth_req_id"]
        assert api.http.post(f"/sim/ciba/{rid}/deny").json() == {"ok": True}
        assert err(api.token(rid)) == (400, "access_denied")

    def test_wait_for_prompt_times_out(self, api) -> None:
        with pytest.raises(TimeoutError):
            api.sim.devices.wait_for_prompt("nobody", timeout=0.05)


def test_push_error_payload_on_expiry(api, receiver) -> None:
    rid = api.start("t-push", login_hint="frank", client_notification_token="tok-exp",
                    requested_expiry="2")["auth_req_id"]
    body = receiver.find(rid)["json"]
    assert body["error"] == "expired_token" and body["auth_req_id"] == rid
    assert api.sim.truth(rid).outcome == "expired"


def test_ping_with_a_manual_clock(receiver) -> None:
    from ciba_kit.protocol.clock import ManualClock
    clock = ManualClock()
    cfg = {"clients": [{"clientId": "mc-ping", "clientAuth": {"type": "SECRET", "secret": "s"},
                        "cibaDeliveryMode": "PING", "cibaNotificationEndpoint": receiver.url,
                        "requestPolicyRef": {"id": "demo-ciba-policy"}}]}
    with Simulator.start(cfg, clock=clock) as s:
        rid = httpx.post(s.issuer + "/as/bc-auth.ciba", auth=("mc-ping", "s"),
                         data={"scope": "openid", "login_hint": "alice",
                               "client_notification_token": "mc"}).json()["auth_req_id"]
        time.sleep(0.1)
        assert all(c["json"].get("auth_req_id") != rid for c in receiver.calls)  # clock has not moved
        clock.advance(5)
        assert receiver.find(rid, timeout=2)["headers"]["authorization"] == "Bearer mc"
