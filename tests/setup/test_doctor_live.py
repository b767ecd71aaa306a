"""The doctor's live end-to-end test in each client's registered configuration (real simulator, real HTTP)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from ciba_kit.protocol import jose
from ciba_kit.protocol.clock import ScaledClock
from ciba_kit.protocol.errors import InputError
from ciba_kit.setup import ClientAuth, DoctorCheck, JwksSettings, OAuthClient, PingFederateAdmin, doctor
from ciba_kit.simulator import Simulator
from setup_helpers import QUICK, SILENT

DEMO_SECRETS = {"demo-poll": "demo-poll-secret", "demo-post": "demo-post-secret",
                "demo-ping": "demo-ping-secret"}


@pytest.fixture(scope="module")
def live_sim() -> Iterator[Simulator]:
    """A demo simulator of this module's own (its clients get reconfigured), 20x clock, quick alice."""
    s = Simulator.start(seed=0, clock=ScaledClock(20))
    try:
        s.add_user("alice", persona=QUICK)
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def admin(live_sim: Simulator) -> PingFederateAdmin:
    return PingFederateAdmin(live_sim.admin_url, username="Administrator", password="2FederateM0re")


def live(sim: Simulator, client: str, **kw) -> DoctorCheck:
    r = doctor(target=sim, clock=sim.clock, test_client=client, timeout=kw.pop("timeout", 30.0), **kw)
    c = r.check("e2e.live", f"client {client}")
    assert c is not None, str(r)
    return c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def set_ping_endpoint(admin: PingFederateAdmin, url: str) -> None:
    c = admin.find_client("demo-ping")
    c.ciba_notification_endpoint = url
    admin.update_client(c)


def test_secret_post_client(live_sim):
    c = live(live_sim, "demo-post", client_secrets=DEMO_SECRETS)
    assert c.status == "pass" and "client_secret_basic, poll" in c.detail


def test_private_key_jwt_demo_client_uses_the_demo_key(live_sim):
    c = live(live_sim, "demo-jwt")
    assert c.status == "pass" and "private_key_jwt, poll" in c.detail


def test_signed_request_client(live_sim):
    c = live(live_sim, "demo-signed")
    assert c.status == "pass" and "signed request" in c.detail


def test_without_secrets_the_default_choice_is_a_key_client(live_sim):
    r = doctor(target=live_sim, clock=live_sim.clock)
    assert r.check("e2e.live").status == "pass" and r.check("e2e.live").subject == "client demo-jwt"


def test_private_key_jwt_with_the_callers_key(live_sim, admin):
    key = jose.generate_signing_key("ES256")
    admin.create_client(OAuthClient(
        client_id="own-key", name="own key", client_auth=ClientAuth(type="PRIVATE_KEY_JWT"),
        jwks_settings=JwksSettings(jwks=json.dumps({"keys": [jose.public_jwk(key)]}))))
    try:
        c = live(live_sim, "own-key")
        assert c.status == "skip" and "private key" in c.detail and "client_keys" in c.fix
        assert live(live_sim, "own-key", client_keys={"own-key": key}).status == "pass"
        wrong = live(live_sim, "own-key", client_keys={"own-key": jose.generate_signing_key("ES256")})
        assert wrong.status == "fail" and "invalid_client" in wrong.detail
        bad = live(live_sim, "own-key", client_keys={"own-key": "not a key"})
        assert bad.status == "skip" and "private_key" in bad.detail
    finally:
        admin.delete_client("own-key")


def test_ping_client_on_a_free_loopback_port(live_sim, admin):
    url = f"http://127.0.0.1:{free_port()}/doctor-cb"
    set_ping_endpoint(admin, url)
    try:
        c = live(live_sim, "demo-ping", client_secrets=DEMO_SECRETS)
        assert c.status == "pass" and "client_secret_basic, ping" in c.detail
    finally:
        set_ping_endpoint(admin, "http://127.0.0.1:9032/cb")


@pytest.mark.parametrize("url", ["https://app.example.com/cb", "https://127.0.0.1:9443/cb"])
def test_ping_client_with_a_remote_or_https_endpoint_is_skipped(live_sim, admin, url):
    set_ping_endpoint(admin, url)
    try:
        c = live(live_sim, "demo-ping", client_secrets=DEMO_SECRETS)
        assert c.status == "skip" and "cannot receive the ping" in c.detail and "--mode ping" in c.fix
    finally:
        set_ping_endpoint(admin, "http://127.0.0.1:9032/cb")


def test_ping_client_whose_port_is_taken_is_skipped(live_sim, admin):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        set_ping_endpoint(admin, f"http://127.0.0.1:{busy.getsockname()[1]}/cb")
        try:
            c = live(live_sim, "demo-ping", client_secrets=DEMO_SECRETS)
        finally:
            set_ping_endpoint(admin, "http://127.0.0.1:9032/cb")
    assert c.status == "skip" and "cannot receive pings" in c.detail and "free loopback port" in c.fix


def test_ping_client_that_gets_no_ping_warns(live_sim, admin):
    set_ping_endpoint(admin, f"http://127.0.0.1:{free_port()}/cb")
    live_sim.add_user("alice", persona=SILENT)
    try:
        c = live(live_sim, "demo-ping", client_secrets=DEMO_SECRETS, timeout=4.0)
    finally:
        live_sim.add_user("alice", persona=QUICK)
        set_ping_endpoint(admin, "http://127.0.0.1:9032/cb")
    assert c.status == "warn" and "no ping notification arrived" in c.detail
    assert "Notification Endpoint" in c.fix


def test_unsupported_auth_and_unknown_client(live_sim, admin):
    admin.create_client(OAuthClient(client_id="mtls", name="mtls", client_auth=ClientAuth(
        type="CERTIFICATE", client_cert_issuer_dn="CN=ca", client_cert_subject_dn="CN=me")))
    try:
        c = live(live_sim, "mtls")
        assert c.status == "skip" and "CERTIFICATE" in c.detail and "ciba-kit request" in c.fix
    finally:
        admin.delete_client("mtls")
    r = doctor(target=live_sim, clock=live_sim.clock, test_client="ghost")
    assert r.check("e2e.live", "client ghost").status == "fail"


def test_no_callable_client_says_why(live_sim):
    r = doctor(target=live_sim, client_ids=["demo-poll", "demo-ping"], clock=live_sim.clock)
    c = r.check("e2e.live")
    assert c.status == "skip" and "demo-poll: no client secret given" in c.detail and "client_secrets" in c.fix


def test_ping_with_a_remote_provider_is_skipped(live_sim):
    from ciba_kit.setup.doctor import _Live, _live_plan

    doc = {"clientAuth": {"type": "SECRET"}, "cibaDeliveryMode": "PING",
           "cibaNotificationEndpoint": "http://127.0.0.1:9032/cb"}
    plan = _live_plan("p", doc, _Live("https://pf.example.com", "alice", {"p": "x"}, {}))
    assert "provider is not on this machine" in plan.skip
    assert not _live_plan("p", doc, _Live(live_sim.issuer, "alice", {"p": "x"}, {})).skip


def test_unreadable_ca_bundle_is_bad_input_not_a_traceback(live_sim, profile):
    profile.pingfederate.ca_bundle = "/nonexistent/ca.pem"
    assert doctor(profile).ok  # offline: nothing is contacted, the bundle is not needed
    with pytest.raises(InputError) as info:
        doctor(profile, target=live_sim, live_test=False)
    assert info.value.field == "pingfederate.ca_bundle"
    with pytest.raises(InputError):
        PingFederateAdmin(live_sim.admin_url, verify="/nonexistent/ca.pem")


def test_doctor_command_reports_a_bad_ca_bundle(tmp_path, capsys, monkeypatch):
    import argparse

    from ciba_kit.setup.commands import doctor_command
    from setup_helpers import DEMO_PROFILE

    text = DEMO_PROFILE.read_text(encoding="utf-8").replace(
        'password_env = "CIBA_KIT_PF_ADMIN_PASSWORD"',
        'password_env = "CIBA_KIT_PF_ADMIN_PASSWORD"\nca_bundle = "/nonexistent/ca.pem"', 1)
    path = tmp_path / "p.toml"
    monkeypatch.setenv("CIBA_KIT_DEMO_SECRET", "x")
    path.write_text(text, encoding="utf-8")
    assert doctor_command(argparse.Namespace(profile=str(path), issuer=["http://127.0.0.1:9"])) == 2
    assert "ca_bundle" in capsys.readouterr().err
