"""Every backchannel-endpoint rule, over real HTTP with plain httpx."""

from __future__ import annotations

import base64
import json

import pytest

from ciba_kit.protocol import jose


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def err(r) -> tuple[int, str]:
    return r.status_code, r.json().get("error")


def test_discovery_document(api) -> None:
    d = api.http.get("/.well-known/openid-configuration").json()
    iss = api.sim.issuer
    assert d["issuer"] == iss
    assert d["backchannel_authentication_endpoint"] == iss + "/as/bc-auth.ciba"
    assert d["token_endpoint"] == iss + "/as/token.oauth2"
    assert d["jwks_uri"] == iss + "/pf/JWKS"
    assert d["userinfo_endpoint"] == iss + "/idp/userinfo.openid"
    assert d["backchannel_token_delivery_modes_supported"] == ["poll", "ping", "push"]  # push enabled in tsim
    assert "urn:openid:params:grant-type:ciba" in d["grant_types_supported"]
    assert "none" not in d["backchannel_authentication_request_signing_alg_values_supported"]
    assert d["backchannel_user_code_parameter_supported"] is True
    assert set(d["token_endpoint_auth_methods_supported"]) >= {
        "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"}


def test_demo_discovery_has_no_push(sim) -> None:
    import httpx
    d = httpx.get(sim.issuer + "/.well-known/openid-configuration").json()
    assert d["backchannel_token_delivery_modes_supported"] == ["poll", "ping"]


def test_acknowledgement_shape(api) -> None:
    ack = api.start(login_hint="frank", binding_message="ACK1")
    assert set(ack) == {"auth_req_id", "expires_in", "interval"}
    assert ack["expires_in"] == 120 and ack["interval"] == 2
    assert len(ack["auth_req_id"]) >= 43  # 256 bits base64url
    api.sim.devices.deny(api.sim.truth(ack["auth_req_id"]).device_id)


@pytest.mark.parametrize("params,expected", [
    ({"scope": None, "login_hint": "alice"}, "invalid_request"),
    ({"scope": "profile", "login_hint": "alice"}, "invalid_scope"),
    ({"scope": "openid bogus", "login_hint": "alice"}, "invalid_scope"),
    ({}, "invalid_request"),                                             # no hint
    ({"login_hint": "alice", "id_token_hint": "x.y.z"}, "invalid_request"),  # two hints
    ({"login_hint": "alice", "login_hint_token": "a.b.c", "id_token_hint": "x.y.z"}, "invalid_request"),
    ({"login_hint": "nobody"}, "unknown_user_id"),
    ({"login_hint": "alice", "binding_message": "x" * 21}, "invalid_binding_message"),
    ({"login_hint": "alice", "binding_message": "has space"}, "invalid_binding_message"),
    ({"login_hint": "alice", "binding_message": "caf\u00e9"}, "invalid_binding_message"),
    ({"login_hint": "alice", "binding_message": ""}, "invalid_binding_message"),
    ({"login_hint": "alice", "requested_expiry": "0"}, "invalid_request"),
    ({"login_hint": "alice", "requested_expiry": "-5"}, "invalid_request"),
    ({"login_hint": "alice", "requested_expiry": "abc"}, "invalid_request"),
    ({"login_hint": "alice", "requested_expiry": "1.5"}, "invalid_request"),
    ({"login_hint": "alice", "requested_expiry": "121"}, "invalid_request"),
    ({"login_hint": "dave"}, "missing_user_code"),
    ({"login_hint": "dave", "user_code": "0000"}, "invalid_user_code"),
    ({"login_hint": "alice", "user_code": "1234"}, "invalid_user_code"),
])
def test_backchannel_errors(api, params, expected) -> None:
    r = api.bc("demo-poll", **params)
    assert err(r) == (400, expected), r.text
    assert r.headers["cache-control"] == "no-store"
    assert "error_description" in r.json()


def test_valid_variants_accepted(api) -> None:
    for params in ({"scope": "profile openid", "login_hint": "alice"},
                   {"login_hint": "alice", "binding_message": "a-Z.0_9+/!?#" + "x" * 8},
                   {"login_hint": "dave", "user_code": "1234"},
                   {"login_hint": "alice", "requested_expiry": "120"}):
        r = api.bc("demo-poll", **params)
        assert r.status_code == 200, (params, r.text)


def test_requested_expiry_shortens_expires_in(api) -> None:
    assert api.start(login_hint="alice", requested_expiry="30")["expires_in"] == 30


def test_user_code_ignored_for_client_without_support(api) -> None:
    # t-nothrottle has cibaUserCodeSupported false: dave needs no code, a code is ignored.
    assert api.bc("t-nothrottle", login_hint="dave").status_code == 200
    assert api.bc("t-nothrottle", login_hint="dave", user_code="nonsense").status_code == 200


def test_unauthorized_client_without_ciba_grant(api) -> None:
    assert err(api.bc("demo-nociba", login_hint="alice")) == (400, "unauthorized_client")


@pytest.mark.parametrize("token,ok", [
    (None, False), ("", False), ("a" * 1025, False), ("bad token", False), ("bad\"q", False),
    ("a" * 1024, True), ("abc-._~+/XYZ09==", True),
])
def test_notification_token_rule_for_ping(api, token, ok) -> None:
    r = api.bc("t-ping", login_hint="frank", client_notification_token=token)
    if ok:
        assert r.status_code == 200, r.text
        api.sim.devices.deny(api.sim.truth(r.json()["auth_req_id"]).device_id)
    else:
        assert err(r) == (400, "invalid_request"), r.text


def test_binding_message_rule_is_configurable(api) -> None:
    st = api.sim.state
    with st.lock:
        old = st.sim.binding_message_pattern
        st.sim.binding_message_pattern = r"^.{1,64}$"
        st.touch()
    try:
        assert api.bc(login_hint="alice", binding_message="Pay 10 EUR to Shop, ok?").status_code == 200
    finally:
        with st.lock:
            st.sim.binding_message_pattern = old
            st.touch()
    assert err(api.bc(login_hint="alice", binding_message="Pay 10 EUR")) == (400, "invalid_binding_message")


def test_config_changes_are_obeyed(api) -> None:
    st = api.sim.state
    with st.lock:
        st.pf.clients["demo-poll"]["cibaPollingInterval"] = 4
        st.touch()
    try:
        assert api.start(login_hint="alice")["interval"] == 4
    finally:
        with st.lock:
            st.pf.clients["demo-poll"]["cibaPollingInterval"] = 2
            st.touch()
    assert api.start(login_hint="alice")["interval"] == 2


class TestIdentityHints:
    def _lht(self, api, claims, *, signed=True):
        if signed:
            return jose.sign_jwt(claims, api.key, "ES256")
        return f"{_b64({'alg': 'none'})}.{_b64(claims)}."

    def test_signed_login_hint_token_from_client(self, api) -> None:
        now = int(api.sim.clock.time())
        tok = self._lht(api, {"iss": "demo-jwt", "sub": "alice", "exp": now + 60})
        r = api.bc("demo-jwt", login_hint_token=tok)
        assert r.status_code == 200, r.text
        assert api.sim.truth(r.json()["auth_req_id"]).user == "alice"

    def test_expired_login_hint_token(self, api) -> None:
        now = int(api.sim.clock.time())
        tok = self._lht(api, {"iss": "demo-jwt", "sub": "alice", "exp": now - 10})
        assert err(api.bc("demo-jwt", login_hint_token=tok)) == (400, "expired_login_hint_token")

    def test_unsigned_login_hint_token_refused_by_default(self, api) -> None:
        tok = self._lht(api, {"sub": "alice"}, signed=False)
        assert err(api.bc("demo-poll", login_hint_token=tok)) == (400, "invalid_request")

    def test_unsigned_allowed_by_policy_and_plain_hint_refused(self, api) -> None:
        now = int(api.sim.clock.time())
        assert api.bc("t-lht", login_hint_token=self._lht(api, {"sub": "alice"}, signed=False)).status_code == 200
        expired = self._lht(api, {"sub": "alice", "exp": now - 5}, signed=False)
        assert err(api.bc("t-lht", login_hint_token=expired)) == (400, "expired_login_hint_token")
        assert err(api.bc("t-lht", login_hint_token=self._lht(api, {"sub": "ghost"}, signed=False))) == (
            400, "unknown_user_id")
        # requireTokenForIdentityHint: a plain login_hint is refused
        assert err(api.bc("t-lht", login_hint="alice")) == (400, "invalid_request")
        # ... and the policy's lifetime (300) caps requested_expiry
        assert api.bc("t-lht", login_hint_token=self._lht(api, {"sub": "alice"}, signed=False),
                      requested_expiry="300").json()["expires_in"] == 300

    def test_untrusted_or_garbage_login_hint_token(self, api) -> None:
        other = jose.generate_signing_key("ES256")
        tok = jose.sign_jwt({"iss": "someone", "sub": "alice"}, other, "ES256")
        assert err(api.bc("demo-poll", login_hint_token=tok)) == (400, "invalid_request")
        assert err(api.bc("demo-poll", login_hint_token="not-a-jwt")) == (400, "invalid_request")

    def test_id_token_hint(self, api) -> None:
        ack = api.start(login_hint="alice")
        r = api.wait_result(ack["auth_req_id"])
        id_token = r.json()["id_token"]
        r2 = api.bc("demo-poll", id_token_hint=id_token)
        assert r2.status_code == 200, r2.text
        assert api.sim.truth(r2.json()["auth_req_id"]).user == "alice"
        forged = jose.sign_jwt({"iss": api.sim.issuer, "sub": "alice"}, jose.generate_signing_key("ES256"), "ES256")
        assert err(api.bc("demo-poll", id_token_hint=forged)) == (400, "invalid_request")
        assert err(api.bc("demo-poll", id_token_hint="garbage")) == (400, "invalid_request")
