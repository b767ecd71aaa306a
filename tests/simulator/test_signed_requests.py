"""Signed authentication requests (CIBA Core 7.1.1, FAPI-CIBA probes) for ``demo-signed``."""

from __future__ import annotations

import base64
import json

import pytest

from ciba_kit.protocol import jose


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def request_object(api, *, key=None, alg="ES256", drop=(), **overrides):
    now = int(api.sim.clock.time())
    claims = {"iss": "demo-signed", "aud": api.sim.issuer, "exp": now + 300, "iat": now, "nbf": now,
              "jti": jose.random_token(12), "client_id": "demo-signed", "scope": "openid",
              "login_hint": "alice", "binding_message": "SIGNED1"}
    claims.update(overrides)
    for d in drop:
        claims.pop(d, None)
    return jose.sign_jwt(claims, key or api.key, alg)


def send(api, ro, client="demo-signed", **form):
    extra, _ = api.auth_for(client)
    return api.http.post("/as/bc-auth.ciba", data={"request": ro, **extra, **form})


def err(r):
    return r.status_code, r.json().get("error")


def test_signed_request_accepted(api) -> None:
    r = send(api, request_object(api), client_id="demo-signed")
    assert r.status_code == 200, r.text
    t = api.sim.truth(r.json()["auth_req_id"])
    assert t.user == "alice" and t.binding_message == "SIGNED1"


@pytest.mark.parametrize("value,expected", [("30", 30), (30, 30)])
def test_requested_expiry_string_or_number(api, value, expected) -> None:
    r = send(api, request_object(api, requested_expiry=value))
    assert r.status_code == 200, r.text
    assert r.json()["expires_in"] == expected


def test_unsigned_request_refused_when_required(api) -> None:
    r = api.bc("demo-signed", login_hint="alice")
    assert err(r) == (400, "invalid_request")


def test_parameters_outside_the_jwt_refused(api) -> None:
    assert err(send(api, request_object(api), scope="openid")) == (400, "invalid_request")
    assert err(send(api, request_object(api), login_hint="alice")) == (400, "invalid_request")


def test_signed_request_also_works_for_clients_not_requiring_it(api) -> None:
    ro = request_object(api, iss="demo-jwt", client_id="demo-jwt")
    assert send(api, ro, client="demo-jwt").status_code == 200


def test_non_string_parameter_inside(api) -> None:
    assert err(send(api, request_object(api, binding_message=123))) == (400, "invalid_request")


def test_rules_still_apply_inside(api) -> None:
    assert err(send(api, request_object(api, binding_message="has space"))) == (400, "invalid_binding_message")
    assert err(send(api, request_object(api, requested_expiry=True))) == (400, "invalid_request")
    assert err(send(api, request_object(api, login_hint="ghost"))) == (400, "unknown_user_id")


def test_negative_probes(api) -> None:
    now = int(api.sim.clock.time())
    other = jose.generate_signing_key("ES256")
    rsa = jose.generate_signing_key("PS256")
    probes = {
        "missing aud": request_object(api, drop=["aud"]),
        "bad aud": request_object(api, aud="https://elsewhere"),
        "missing iss": request_object(api, drop=["iss"]),
        "bad iss": request_object(api, iss="demo-jwt"),
        "missing exp": request_object(api, drop=["exp"]),
        "expired": request_object(api, exp=now - 120, iat=now - 200, nbf=now - 200),
        "exp 70 min ahead": request_object(api, exp=now + 70 * 60),
        "missing iat": request_object(api, drop=["iat"]),
        "iat future": request_object(api, iat=now + 600),
        "missing nbf": request_object(api, drop=["nbf"]),
        "nbf 10 min ahead": request_object(api, nbf=now + 600),
        "nbf 70 min past": request_object(api, nbf=now - 70 * 60),
        "missing jti": request_object(api, drop=["jti"]),
        "exp as string": request_object(api, exp=str(now + 300)),
        "no client_id inside": request_object(api, drop=["client_id"]),
        "client_id inside differs": request_object(api, client_id="demo-jwt"),
        "signed by another key": request_object(api, key=other),
        "PS256 not the registered alg": request_object(api, key=rsa, alg="PS256"),
        "HS256": request_object(api, key=jose.secret_key("k" * 32), alg="HS256"),
        "alg none": f"{_b64({'alg': 'none'})}.{_b64({'iss': 'demo-signed', 'scope': 'openid'})}.",
        "garbage": "not.a.jwt",
        "not a jwt": "plain",
    }
    for name, ro in probes.items():
        r = send(api, ro)
        assert r.status_code == 400, (name, r.text)
        assert r.json()["error"] == "invalid_request_object", (name, r.text)
    r = send(api, request_object(api), client_id="demo-jwt")
    assert r.status_code in (400, 401), r.text


def test_jti_replay(api) -> None:
    ro = request_object(api)
    assert send(api, ro).status_code == 200
    assert err(send(api, ro)) == (400, "invalid_request_object")
