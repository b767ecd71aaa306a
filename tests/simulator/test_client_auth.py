"""Client authentication at both endpoints: all four methods and their failures."""

from __future__ import annotations

import pytest

from ciba_kit.protocol import jose
from ciba_kit.protocol.constants import CLIENT_ASSERTION_TYPE_JWT_BEARER

ENDPOINTS = ["/as/bc-auth.ciba", "/as/token.oauth2"]


def post(api, path, data, auth=None, headers=None):
    base = {"scope": "openid", "login_hint": "alice"} if path.endswith("ciba") else {
        "grant_type": "urn:openid:params:grant-type:ciba", "auth_req_id": "x"}
    return api.http.post(path, data={**base, **data}, auth=auth, headers=headers)


def err(r):
    return r.status_code, r.json().get("error")


@pytest.mark.parametrize("client,method", [
    ("demo-poll", "basic"), ("demo-poll", "post"), ("demo-post", "post"), ("demo-post", "basic"),
    ("demo-jwt", "jwt"), ("t-secret-jwt", "secret_jwt"),
])
def test_methods_succeed_at_both_endpoints(api, client, method) -> None:
    r = api.bc(client, method=method, login_hint="alice")
    assert r.status_code == 200, r.text
    r = api.token(r.json()["auth_req_id"], client, method=method)
    assert err(r) == (400, "authorization_pending"), r.text


@pytest.mark.parametrize("path", ENDPOINTS)
def test_basic_failures_are_401_with_challenge(api, path) -> None:
    for auth in (("demo-poll", "wrong"), ("nobody", "x"), ("demo-jwt", "demo-jwt-secret")):
        r = post(api, path, {}, auth=auth)
        assert err(r) == (401, "invalid_client"), (auth, r.text)
        assert r.headers["www-authenticate"].startswith("Basic")
    r = post(api, path, {}, headers={"Authorization": "Basic !!!notbase64"})
    assert err(r) == (401, "invalid_client")


@pytest.mark.parametrize("path", ENDPOINTS)
def test_post_and_missing_auth_failures(api, path) -> None:
    r = post(api, path, {"client_id": "demo-poll", "client_secret": "nope"})
    assert err(r) == (401, "invalid_client") and "www-authenticate" not in r.headers
    assert err(post(api, path, {"client_id": "demo-poll"})) == (401, "invalid_client")
    assert err(post(api, path, {})) == (401, "invalid_client")
    # two methods at once
    r = post(api, path, {"client_id": "demo-poll", "client_secret": "demo-poll-secret"},
             auth=("demo-poll", "demo-poll-secret"))
    assert err(r) == (400, "invalid_request")
    # SECRET client presenting an assertion
    r = post(api, path, {"client_assertion_type": CLIENT_ASSERTION_TYPE_JWT_BEARER,
                         "client_assertion": api.assertion("demo-poll")})
    assert err(r) == (401, "invalid_client")


def test_secret_with_url_encoding_in_basic(api) -> None:
    # RFC 6749 2.3.1: id and secret are form-urlencoded before base64.
    st = api.sim.state
    with st.lock:
        st.pf.client_secrets["t-nothrottle"] = "p@ss:w rd+"
        st.touch()
    import base64
    cred = base64.b64encode(b"t-nothrottle:p%40ss%3Aw+rd%2B").decode()
    r = api.http.post("/as/bc-auth.ciba", data={"scope": "openid", "login_hint": "alice"},
                      headers={"Authorization": f"Basic {cred}"})
    assert r.status_code == 200, r.text
    with st.lock:
        st.pf.client_secrets["t-nothrottle"] = "t-nothrottle-secret"
        st.touch()


def jwt_form(assertion, **extra):
    return {"client_assertion_type": CLIENT_ASSERTION_TYPE_JWT_BEARER, "client_assertion": assertion, **extra}


@pytest.mark.parametrize("path", ENDPOINTS)
def test_private_key_jwt_audiences(api, path) -> None:
    for aud in (api.sim.issuer, api.sim.issuer + "/as/token.oauth2", api.sim.issuer + "/as/bc-auth.ciba",
                [api.sim.issuer, "https://other"]):
        r = post(api, path, jwt_form(api.assertion(aud=aud)))
        assert r.status_code != 401, (aud, r.text)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_private_key_jwt_failures(api, path) -> None:
    now = int(api.sim.clock.time())
    other = jose.generate_signing_key("ES256")
    bad = {
        "wrong aud": api.assertion(aud="https://elsewhere"),
        "no exp": api.assertion(exp=None),
        "expired": api.assertion(exp=now - 600, iat=now - 700),
        "iat future": api.assertion(iat=now + 600, exp=now + 700),
        "no jti": api.assertion(jti=None),
        "sub differs": api.assertion(sub="demo-poll"),
        "wrong key": api.assertion(key=other),
        "garbage": "a.b.c",
        "not jwt": "hello",
        "HS256 with secret for pkjwt": api.assertion(key=jose.secret_key("x" * 32), alg="HS256"),
        "unknown client": api.assertion("ghost"),
    }
    for name, assertion in bad.items():
        r = post(api, path, jwt_form(assertion))
        assert err(r) == (401, "invalid_client"), (name, r.text)
    r = post(api, path, {"client_assertion_type": "urn:wrong", "client_assertion": api.assertion()})
    assert err(r) == (401, "invalid_client")
    r = post(api, path, jwt_form(api.assertion(), client_id="demo-poll"))
    assert err(r) == (401, "invalid_client")


def test_assertion_replay_refused(api) -> None:
    a = api.assertion()
    assert post(api, "/as/bc-auth.ciba", jwt_form(a)).status_code == 200
    r = post(api, "/as/bc-auth.ciba", jwt_form(a))
    assert err(r) == (401, "invalid_client") and "replay" in r.json()["error_description"]


def test_client_secret_jwt_failures(api) -> None:
    wrong = api.assertion("t-secret-jwt", key=jose.secret_key("not-the-secret-0123456789abcdef01"), alg="HS256")
    assert err(post(api, "/as/token.oauth2", jwt_form(wrong))) == (401, "invalid_client")
    es = api.assertion("t-secret-jwt")  # asymmetric alg for a secret-JWT client
    assert err(post(api, "/as/token.oauth2", jwt_form(es))) == (401, "invalid_client")
    ok = api.assertion("t-secret-jwt", key=jose.secret_key(api.secret_jwt_secret), alg="HS512")
    assert post(api, "/as/token.oauth2", jwt_form(ok)).status_code == 400  # authenticated -> invalid_grant


def test_certificate_clients_cannot_authenticate_over_plain_http(api) -> None:
    r = post(api, "/as/bc-auth.ciba", {"client_id": "t-cert"})
    assert err(r) == (401, "invalid_client")
