"""Faults the simulator cannot produce, from a small real Starlette server over loopback:
interval default, slow_down, 503 + Retry-After, HTML 500, truncated JSON, slow server, reset
connection, oversized bodies, rotated keys, bad ID tokens; every wire code mapped to its class.
Waiting uses a ManualClock: the client's sleeps are recorded, never slept."""

from __future__ import annotations

import asyncio
import json
import time
import warnings

import pytest

from ciba_kit.client import CibaClient, ClientSecretBasic, PrivateKeyJwt
from ciba_kit.protocol import errors, jose
from ciba_kit.protocol.clock import ManualClock
from ciba_kit.protocol.constants import ErrorCode, Outcome

from fakeas import FakeAS, ResetServer, json_body, pending

pytestmark = pytest.mark.timeout(60)
SECRET = "fake-secret-123"


@pytest.fixture()
def fas():
    s = FakeAS()
    try:
        yield s
    finally:
        s.stop()


def clock() -> ManualClock:
    return ManualClock(epoch=time.time())


def client_for(fas: FakeAS, clk: ManualClock | None = None, **kw) -> CibaClient:
    return CibaClient.discover(fas.issuer, "c1", auth=ClientSecretBasic(SECRET), clock=clk or clock(), **kw)


def flow(client: CibaClient, **kw):
    async def go():
        try:
            return await client.authenticate(login_hint="alice", **kw)
        finally:
            await client.aclose()
    return asyncio.run(go())


def start(client: CibaClient):
    async def go():
        try:
            return await client.start(login_hint="alice")
        finally:
            await client.aclose()
    return asyncio.run(go())


def test_interval_absent_means_5_seconds(fas: FakeAS) -> None:
    fas.ack = {"auth_req_id": "r1", "expires_in": 60}
    fas.token_script = [pending(), pending(), fas.tokens()]
    clk = clock()
    f = flow(client_for(fas, clk))
    assert f.outcome == Outcome.APPROVED and f.polls == 3 and f.interval == 5
    assert [round(s, 3) for s in clk.sleeps] == [5.0, 5.0, 5.0]


def test_slow_down_adds_5_seconds_for_good(fas: FakeAS) -> None:
    fas.ack = {"auth_req_id": "r1", "expires_in": 120, "interval": 2}
    slow = json_body(400, {"error": "slow_down"})
    fas.token_script = [pending(), slow, pending(), slow, pending(), fas.tokens()]
    clk = clock()
    f = flow(client_for(fas, clk))
    assert f.outcome == Outcome.APPROVED and f.slow_downs == 2 and f.polls == 6
    assert [round(s, 3) for s in clk.sleeps] == [2, 2, 7, 7, 12, 12]
    details = [e.detail for e in f.timeline if e.error == "slow_down"]
    assert details == ["interval now 7s", "interval now 12s"]


def test_503_with_retry_after_is_honoured(fas: FakeAS) -> None:
    fas.ack = {"auth_req_id": "r1", "expires_in": 120, "interval": 2}
    fas.token_script = [json_body(503, {"error": "temporarily_unavailable"}, {"retry-after": "30"}),
                        (503, {"content-type": "text/html", "retry-after": "3"}, b"<html>busy</html>"),
                        fas.tokens()]
    clk = clock()
    f = flow(client_for(fas, clk))
    assert f.outcome == Outcome.APPROVED and f.unavailable == 2
    assert [round(s, 3) for s in clk.sleeps] == [2, 30, 3]
    assert [e.detail for e in f.timeline if e.status == 503] == ["Retry-After 30s", "Retry-After 3s"]


def test_deadline_gives_expired_without_hammering(fas: FakeAS) -> None:
    fas.ack = {"auth_req_id": "r1", "expires_in": 10, "interval": 4}
    clk = clock()
    f = flow(client_for(fas, clk))
    assert f.outcome == Outcome.EXPIRED and f.polls == 2 and len(fas.token_forms) == 2
    assert f.error == "expired_token" and f.timeline[-1].kind == "expired"
    assert round(sum(clk.sleeps), 3) == 10.0


def test_real_time_polls_respect_interval_from_send(fas: FakeAS) -> None:
    from ciba_kit.protocol.clock import ScaledClock

    fas.ack = {"auth_req_id": "r1", "expires_in": 60, "interval": 2}
    fas.token_delay = 0.05  # slow answers must not shorten the gap between sends
    fas.token_script = [pending(), pending(), fas.tokens()]
    f = flow(CibaClient.discover(fas.issuer, "c1", auth=ClientSecretBasic(SECRET), clock=ScaledClock(20)))
    assert f.outcome == Outcome.APPROVED
    gaps = [b - a for a, b in zip(fas.token_times, fas.token_times[1:])]
    assert all(g >= 2 / 20 * 0.95 for g in gaps)


@pytest.mark.parametrize("code", [c.value for c in ErrorCode])
def test_every_backchannel_error_code_maps_to_its_class(code: str) -> None:
    s = FakeAS(bc_response=json_body(401 if code == "invalid_client" else 400,
                                     {"error": code, "error_description": f"desc of {code}"}))
    try:
        client = client_for(s)
        with pytest.raises(errors.OAuthError) as e:
            start(client)
        assert type(e.value) is errors.ERROR_CLASSES[code] and e.value.description == f"desc of {code}"
        assert e.value.endpoint == "backchannel"
    finally:
        s.stop()


@pytest.mark.parametrize("code,outcome", [
    ("access_denied", Outcome.DENIED), ("expired_token", Outcome.EXPIRED), ("invalid_grant", Outcome.ERROR),
    ("transaction_failed", Outcome.ERROR), ("unauthorized_client", Outcome.ERROR), ("made_up", Outcome.ERROR),
])
def test_token_errors_map_to_outcomes(fas: FakeAS, code: str, outcome: Outcome) -> None:
    fas.token_script = [json_body(400, {"error": code})]
    f = flow(client_for(fas))
    assert f.outcome == outcome and f.error == code
    assert isinstance(f.exception, errors.ERROR_CLASSES.get(code, errors.UnknownOAuthError))


@pytest.mark.parametrize("item,needle", [
    ((500, {"content-type": "text/html"}, b"<html><h1>Internal Server Error</h1></html>"), "HTML page"),
    ((200, {"content-type": "application/json"}, b'{"access_token": "x", "token_'), "not valid JSON"),
    ((200, {"content-type": "application/json"}, b'{"token_type": "Bearer"}'), "access_token"),
    ((400, {"content-type": "application/json"}, b'{"message": "no error member"}'), "error"),
    ((200, {"content-type": "application/json"}, b"{" + b" " * 300_000 + b"}"), "limit"),
])
def test_malformed_token_answers_are_protocol_errors(fas: FakeAS, item, needle: str) -> None:
    fas.token_script = [item]
    f = flow(client_for(fas))
    assert f.outcome == Outcome.ERROR and f.error == "protocol_error"
    assert isinstance(f.exception, errors.ProtocolError) and needle in str(f.exception)


@pytest.mark.parametrize("ack,needle", [
    ({"expires_in": 60}, "auth_req_id"), ({"auth_req_id": "r"}, "expires_in"),
    ({"auth_req_id": "r", "expires_in": "60"}, "integer"),
])
def test_malformed_acknowledgement(ack, needle: str) -> None:
    s = FakeAS(ack=ack)
    try:
        with pytest.raises(errors.ProtocolError, match=needle):
            start(client_for(s))
    finally:
        s.stop()


def test_slow_server_times_out(fas: FakeAS) -> None:
    fas.token_delay = 2.0
    f = flow(client_for(fas, timeout=0.3))
    assert f.error == "transport_error" and isinstance(f.exception, errors.TransportError)
    assert "timed out" in str(f.exception)


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_connection_reset_is_transport_error(fas: FakeAS, transport: str) -> None:
    rs = ResetServer()
    try:
        fas.metadata_override = {"token_endpoint": rs.url + "/token"}
        f = flow(client_for(fas, transport=transport))
        assert f.error == "transport_error" and isinstance(f.exception, errors.TransportError)
        assert rs.hits >= 1
    finally:
        rs.stop()


def test_connection_refused_at_discovery() -> None:
    with pytest.raises(errors.TransportError, match="connect") as info:
        CibaClient.discover("http://127.0.0.1:1", "c1", auth=ClientSecretBasic(SECRET))
    assert "TLS" not in str(info.value)


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_connection_refused_mid_flow_is_not_called_tls(fas: FakeAS, transport: str) -> None:
    # aiohttp words every connect error "... ssl:default ...": that must not read as a TLS failure.
    fas.metadata_override = {"token_endpoint": "http://127.0.0.1:1/token"}
    f = flow(client_for(fas, transport=transport))
    assert f.error == "transport_error" and "cannot connect" in str(f.exception)
    assert "TLS" not in str(f.exception)


def test_discovery_document_not_json(fas: FakeAS) -> None:
    s = FakeAS()
    s.srv.stop()
    from fakeas import ServerThread
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    async def page(_):
        return HTMLResponse("<html>login</html>")
    srv = ServerThread(Starlette(routes=[Route("/.well-known/openid-configuration", page)]))
    try:
        with pytest.raises(errors.ProtocolError, match="HTML"):
            CibaClient.discover(srv.url, "c1", auth=ClientSecretBasic(SECRET))
    finally:
        srv.stop()


def test_jwks_refreshed_once_on_unknown_kid(fas: FakeAS) -> None:
    client = client_for(fas)
    assert fas.jwks_served == 1
    fas.key = jose.generate_signing_key("ES256", kid="as-2")  # key rotation after discovery
    fas.token_script = [fas.tokens()]
    f = flow(client)
    assert f.outcome == Outcome.APPROVED and fas.jwks_served == 2
    # a kid that stays unknown after the refresh is a validation error (and no second refresh)
    client = client_for(fas)
    stranger = jose.generate_signing_key("ES256", kid="stranger")
    fas.token_script = [json_body(200, {"access_token": "a", "token_type": "Bearer",
                                        "id_token": fas.id_token(key=stranger)})]
    served = fas.jwks_served
    f = flow(client)
    assert f.error == "token_validation_error" and fas.jwks_served == served + 1


@pytest.mark.parametrize("claims,needle", [
    ({"iss": "https://evil"}, "iss"), ({"aud": "someone-else"}, "aud"),
    ({"exp": int(time.time()) - 3600}, "expired"), ({"at_hash": "AAAA"}, "at_hash"),
])
def test_bad_id_tokens_fail_the_flow(fas: FakeAS, claims, needle: str) -> None:
    fas.token_script = [json_body(200, {"access_token": "a", "token_type": "Bearer",
                                        "id_token": fas.id_token(**claims)})]
    f = flow(client_for(fas))
    assert f.outcome == Outcome.ERROR and f.error == "token_validation_error" and needle in f.error_description
    assert f.id_token_claims is None and f.tokens is None


def test_alg_none_id_token_rejected(fas: FakeAS) -> None:
    import base64

    def b64(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    now = int(time.time())
    tok = f"{b64({'alg': 'none'})}.{b64({'iss': fas.issuer, 'aud': 'c1', 'iat': now, 'exp': now + 60})}."
    fas.token_script = [json_body(200, {"access_token": "a", "token_type": "Bearer", "id_token": tok})]
    f = flow(client_for(fas, id_token_algs=["none", "ES256"]))
    assert f.error == "token_validation_error"


def test_wire_format_of_requests(fas: FakeAS) -> None:
    fas.token_script = [fas.tokens()]
    f = flow(client_for(fas), binding_message="B1", scope=["openid", "profile"], acr_values="mfa",
             requested_expiry=30, extra={"request_context": {"geo": "x"}})
    assert f.outcome == Outcome.APPROVED
    bc = fas.bc_forms[0]
    assert bc == {"scope": "openid profile", "login_hint": "alice", "binding_message": "B1",
                  "requested_expiry": "30", "acr_values": "mfa", "request_context": '{"geo": "x"}'}
    assert fas.bc_headers[0]["authorization"].startswith("Basic ")
    assert fas.token_forms[0] == {"grant_type": "urn:openid:params:grant-type:ciba", "auth_req_id": fas.ack["auth_req_id"]}


def test_signed_request_and_assertion_claims_on_the_wire(fas: FakeAS) -> None:
    key = jose.demo_client_key()
    fas.token_script = [fas.tokens()]
    clk = clock()
    client = CibaClient.discover(fas.issuer, "c1", auth=PrivateKeyJwt(key), clock=clk, sign_requests=True)
    f = flow(client, binding_message="B2", requested_expiry=45)
    assert f.outcome == Outcome.APPROVED
    form = fas.bc_forms[0]
    assert set(form) == {"request", "client_id", "client_assertion", "client_assertion_type"}
    h, c = jose.decode_unverified(form["request"])
    assert h["alg"] == "ES256"
    assert c["iss"] == c["client_id"] == form["client_id"] == "c1" and c["aud"] == fas.issuer
    assert {"exp", "iat", "nbf", "jti"} <= set(c) and 0 < c["exp"] - c["nbf"] <= 3600
    assert c["requested_expiry"] == 45 and c["login_hint"] == "alice" and c["binding_message"] == "B2"
    jose.verify_jwt(form["request"], jose.public_jwk(key), ["ES256"])
    _, a = jose.decode_unverified(form["client_assertion"])
    assert a["iss"] == a["sub"] == "c1" and a["aud"] == fas.issuer + "/token"
    assert {"jti", "exp", "iat"} <= set(a)
    _, a2 = jose.decode_unverified(fas.token_forms[0]["client_assertion"])
    assert a2["jti"] != a["jti"]


def test_security_defaults() -> None:
    with pytest.raises(errors.InputError, match="non-loopback"):
        CibaClient.discover("http://as.example.com", "c1", auth=ClientSecretBasic(SECRET))
    with pytest.raises(errors.InputError, match="not an http"):
        CibaClient.discover("ftp://127.0.0.1", "c1", auth=ClientSecretBasic(SECRET))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with pytest.raises(errors.TransportError):
            CibaClient.discover("http://192.0.2.1:1", "c1", auth=ClientSecretBasic(SECRET),
                                allow_insecure_http=True, timeout=0.2)
    assert any("plain http" in str(x.message) for x in w)


def test_secret_from_environment_and_dotenv(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("CIBA_KIT_CLIENT_SECRET", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.InputError) as e:
        ClientSecretBasic()
    assert e.value.field == "client_secret"
    (tmp_path / ".env").write_text("CIBA_KIT_CLIENT_SECRET=from-dotenv\n")
    assert ClientSecretBasic().secrets() == ["from-dotenv"]
    monkeypatch.setenv("CIBA_KIT_CLIENT_SECRET", "from-env")
    auth = ClientSecretBasic()
    assert auth.secrets() == ["from-env"] and "from-env" not in repr(auth)


def test_reprs_never_show_secrets(fas: FakeAS) -> None:
    key = jose.generate_signing_key("ES256")
    for auth in (ClientSecretBasic(SECRET), PrivateKeyJwt(key)):
        assert SECRET not in repr(auth) and key.as_dict(private=True)["d"] not in repr(auth)
    fas.token_script = [fas.tokens()]
    f = flow(client_for(fas))
    shown = repr(f) + f._repr_html_() + json.dumps(f.to_dict()) + repr(f.tokens)
    for secret in (fas.ack["auth_req_id"], f.tokens.access_token, f.tokens.id_token, SECRET):
        assert secret not in shown
    assert f.auth_req_id_hash and f.auth_req_id_hash in shown
    d = f.to_dict()
    assert {"outcome", "error", "error_description", "expires_in", "interval", "polls", "slow_downs", "mode",
            "latency_s", "id_token_claims", "events"} <= set(d)
    assert set(d["latency_s"]) >= {"ack", "decision", "total"}


def test_private_key_jwt_from_pem_and_bad_keys(tmp_path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    assert PrivateKeyJwt(ec_pem.decode()).alg == "ES256"
    rsa_file = tmp_path / "rsa.pem"
    rsa_file.write_bytes(rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    assert PrivateKeyJwt(rsa_file).alg == "RS256"
    assert PrivateKeyJwt(rsa_file, alg="PS256").alg == "PS256"
    with pytest.raises(errors.InputError) as e:
        PrivateKeyJwt(jose.public_jwk(jose.demo_client_key()))
    assert e.value.field == "private_key"
    with pytest.raises(errors.InputError):
        PrivateKeyJwt("not a key")


def test_push_receiver_rejects_unbound_tokens() -> None:
    """A pushed ID token whose at_hash / auth_req_id do not match the payload: 400, and the flow ends
    with token_validation_error instead of waiting for expiry."""
    import httpx

    from ciba_kit.client import NotificationReceiver
    from ciba_kit.protocol.constants import CLAIM_AUTH_REQ_ID

    s = FakeAS(modes=("push",))
    rx = NotificationReceiver.start("http://127.0.0.1:0/cb")
    try:
        client = CibaClient.discover(s.issuer, "c1", auth=ClientSecretBasic(SECRET), mode="push", receiver=rx)

        async def go():
            req = await client.start(login_hint="alice")
            token = s.bc_forms[0]["client_notification_token"]
            rid = s.ack["auth_req_id"]
            bad_idt = s.id_token(**{CLAIM_AUTH_REQ_ID: rid, "at_hash": "wrong"})
            async with httpx.AsyncClient() as h:
                r = await h.post(rx.url, json={"auth_req_id": rid, "access_token": "at", "token_type": "Bearer",
                                               "id_token": bad_idt}, headers={"Authorization": f"Bearer {token}"})
            flow = await client.wait(req)
            await client.aclose()
            return r.status_code, flow
        status, flow = asyncio.run(go())
        assert status == 400
        assert flow.outcome == Outcome.ERROR and flow.error == "token_validation_error"
        assert "at_hash" in flow.error_description
    finally:
        rx.stop()
        s.stop()
