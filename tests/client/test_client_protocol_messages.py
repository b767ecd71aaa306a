"""Request building/validation and response parsing (CIBA Core 7.1, 7.1.1, 7.3, 10, 13)."""

from __future__ import annotations

import json

import pytest

from ciba_kit.protocol import errors
from ciba_kit.protocol.constants import CIBA_GRANT_TYPE, ErrorCode
from ciba_kit.protocol.messages import (
    build_auth_request,
    check_notification_token,
    join_scope,
    new_notification_token,
    parse_acknowledgement,
    parse_error_response,
    parse_json_body,
    parse_push_notification,
    parse_token_response,
    request_object_claims,
    token_request_form,
)


def test_exactly_one_hint() -> None:
    with pytest.raises(errors.InputError) as e:
        build_auth_request(scope="openid")
    assert e.value.field == "login_hint"
    with pytest.raises(errors.InputError) as e:
        build_auth_request(login_hint="a", id_token_hint="x.y.z")
    assert "more than one" in str(e.value) and e.value.field == "id_token_hint"
    for name in ("login_hint", "login_hint_token", "id_token_hint"):
        assert build_auth_request(**{name: "v"})[name] == "v"


def test_scope_string_or_iterable_and_openid_required() -> None:
    assert build_auth_request(login_hint="a", scope=["openid", "profile", "openid"])["scope"] == "openid profile"
    assert join_scope("  openid   email ") == "openid email"
    with pytest.raises(errors.InputError) as e:
        build_auth_request(login_hint="a", scope="profile")
    assert e.value.field == "scope"


def test_optional_parameters_and_none_dropped() -> None:
    p = build_auth_request(login_hint="a", binding_message="W4SCT", user_code="1234", requested_expiry="60",
                           acr_values=["mfa", "pwd"], extra={"foo": 1, "bar": None, "rc": {"x": 1}})
    assert p == {"scope": "openid", "login_hint": "a", "binding_message": "W4SCT", "user_code": "1234",
                 "requested_expiry": "60", "acr_values": "mfa pwd", "foo": "1", "rc": '{"x": 1}'}
    assert "binding_message" not in build_auth_request(login_hint="a")


@pytest.mark.parametrize("bad", [0, -5, "abc", 1.5, True, "60s"])
def test_requested_expiry_must_be_positive_int(bad: object) -> None:
    with pytest.raises(errors.InputError) as e:
        build_auth_request(login_hint="a", requested_expiry=bad)  # type: ignore[arg-type]
    assert e.value.field == "requested_expiry"


def test_notification_token_rules() -> None:
    t = new_notification_token()
    assert len(t) >= 40  # 32 bytes base64url -> 43 chars, 256 bits
    check_notification_token(t)
    for bad in ("short", "has space in it 12345678901234", "x" * 1025):
        with pytest.raises(errors.InputError):
            check_notification_token(bad)
    assert len({new_notification_token() for _ in range(50)}) == 50


def test_request_object_claims() -> None:
    params = build_auth_request(login_hint="alice", requested_expiry=60, binding_message="B")
    c = request_object_claims(params, client_id="demo-signed", audience="https://as", now=1000.7, jti="j1")
    assert c["iss"] == c["client_id"] == "demo-signed"
    assert c["aud"] == "https://as" and c["jti"] == "j1"
    assert c["iat"] == c["nbf"] == 1000 and c["exp"] == 1300
    assert c["requested_expiry"] == 60 and c["login_hint"] == "alice"
    with pytest.raises(errors.InputError):
        request_object_claims(params, client_id="c", audience="a", now=0, jti="j", lifetime=3601)


def test_token_request_form() -> None:
    assert token_request_form("rid") == {"grant_type": CIBA_GRANT_TYPE, "auth_req_id": "rid"}


@pytest.mark.parametrize("ctype,body,needle", [
    ("text/html", b"<html><body>502 Bad Gateway</body></html>", "HTML page"),
    ("application/json", b"<!doctype html>", "HTML page"),
    ("application/json", b'{"auth_req_id": "abc", "expires_in"', "not valid JSON"),
    ("application/json", b"[1, 2]", "not an object"),
    ("application/json", b"", "empty body"),
    ("application/json", b"\xff\xfe", "not valid JSON"),
])
def test_malformed_bodies_are_protocol_errors(ctype: str, body: bytes, needle: str) -> None:
    with pytest.raises(errors.ProtocolError) as e:
        parse_json_body(500, ctype, body)
    assert needle in str(e.value)


def test_oversized_body() -> None:
    with pytest.raises(errors.ProtocolError, match="larger than"):
        parse_json_body(200, "application/json", b"{" + b" " * 300_000 + b"}")


def test_acknowledgement_validation() -> None:
    ack = parse_acknowledgement({"auth_req_id": "r1", "expires_in": 120, "interval": 2, "x": 1})
    assert (ack.auth_req_id, ack.expires_in, ack.interval, ack.extra) == ("r1", 120, 2, {"x": 1})
    assert parse_acknowledgement({"auth_req_id": "r1", "expires_in": 120}).interval is None
    assert "r1" not in repr(ack)
    for bad in ({"expires_in": 1}, {"auth_req_id": 5, "expires_in": 1}, {"auth_req_id": "r"},
                {"auth_req_id": "r", "expires_in": "120"}, {"auth_req_id": "r", "expires_in": 0},
                {"auth_req_id": "r", "expires_in": 10, "interval": -1},
                {"auth_req_id": "r", "expires_in": 10, "interval": 2.5},
                {"auth_req_id": "r", "expires_in": True}):
        with pytest.raises(errors.ProtocolError):
            parse_acknowledgement(bad)


def test_token_response_validation() -> None:
    t = parse_token_response({"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": "x"})
    assert t.access_token == "at" and "at" not in repr(t).replace("token_type", "")
    with pytest.raises(errors.ProtocolError):
        parse_token_response({"token_type": "Bearer"})
    with pytest.raises(errors.ProtocolError):
        parse_token_response({"access_token": "at", "token_type": "Bearer", "id_token": 5})
    with pytest.raises(errors.ProtocolError):
        parse_token_response({"access_token": "at", "token_type": "Bearer"}, require_id_token=True)


@pytest.mark.parametrize("code", [c.value for c in ErrorCode])
def test_every_wire_code_maps_to_its_class(code: str) -> None:
    exc = parse_error_response({"error": code, "error_description": "d"}, status=400, endpoint="token")
    assert type(exc) is errors.ERROR_CLASSES[code]
    assert exc.error == code and exc.description == "d" and exc.hint


def test_unknown_and_missing_error_codes() -> None:
    exc = parse_error_response({"error": "weird_thing"}, status=400)
    assert isinstance(exc, errors.UnknownOAuthError) and exc.error == "weird_thing"
    with pytest.raises(errors.ProtocolError):
        parse_error_response({"message": "nope"}, status=400)


def test_push_payloads() -> None:
    ok = parse_push_notification({"auth_req_id": "r", "access_token": "a", "token_type": "Bearer",
                                  "id_token": "h.c.s"})
    assert ok.tokens is not None and ok.error is None
    err = parse_push_notification({"auth_req_id": "r", "error": "access_denied"})
    assert isinstance(err.error, errors.AccessDenied)
    with pytest.raises(errors.ProtocolError):
        parse_push_notification({"access_token": "a"})
    assert json.dumps({"ok": 1})
