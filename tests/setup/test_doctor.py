"""The doctor: every check with a passing and a failing setup (from profiles and live)."""

from __future__ import annotations

import json

import pytest

from ciba_kit.prompts import PromptTemplate
from ciba_kit.protocol.errors import InputError
from ciba_kit.setup import ClientAuth, DoctorReport, OAuthClient, PingFederateAdmin, Secret, apply_setup, doctor
from setup_helpers import QUICK, SECRET, demo_profile


def status(report: DoctorReport, check_id: str, subject: str | None = None) -> str:
    c = report.check(check_id, subject)
    assert c is not None, f"no {check_id} check in\n{report}"
    return c.status


# ---- from a profile (offline)


def test_demo_profile_passes_offline():
    r = doctor(demo_profile())
    assert r.ok and not r.warnings
    for cid in ("client.grant", "client.policy", "policy.authenticator", "client.ping_endpoint", "client.signed",
                "authenticator.pingone", "timing.push_timeout", "prompt.template", "prompt.variables",
                "prompt.contract", "user.test"):
        assert status(r, cid) == "pass", cid
    assert status(r, "discovery") == "skip" and status(r, "e2e.live") == "skip"


def test_client_without_ciba_grant_fails():
    p = demo_profile()
    p.clients[0].grant_types = ["CLIENT_CREDENTIALS"]
    c = doctor(p).check("client.grant", "client ciba-kit-poll")
    assert c.status == "fail" and "unauthorized_client" in c.detail and "Allowed Grant Types > CIBA" in c.fix


def test_client_without_policy_or_default_fails():
    p = demo_profile()
    p.settings = None
    p.clients[1].request_policy_id = None
    r = doctor(p)
    assert status(r, "client.policy", "client ciba-kit-ping") == "fail"
    assert status(r, "client.policy", "client ciba-kit-poll") == "pass"
    p.clients[0].request_policy_id = "ghost"
    assert "does not exist" in doctor(p).check("client.policy", "client ciba-kit-poll").detail


def test_policy_with_missing_authenticator_fails():
    p = demo_profile()
    p.request_policy.authenticator_id = "ghost"
    r = doctor(p)
    assert status(r, "policy.authenticator") == "fail"
    assert "ghost" in r.check("policy.authenticator").detail


def test_user_code_client_needs_pcv():
    p = demo_profile()
    p.clients[0].ciba_user_code_supported = True
    c = doctor(p).check("client.user_code", "client ciba-kit-poll")
    assert c.status == "fail" and "User Code PCV" in c.fix
    p.request_policy.user_code_pcv_id = "userCodes"
    assert status(doctor(p), "client.user_code", "client ciba-kit-poll") == "pass"


@pytest.mark.parametrize("url,expected", [
    ("https://app.example.com/cb", "pass"), ("http://127.0.0.1:9032/cb", "pass"),
    ("http://app.example.com/cb", "fail"), (None, "fail")])
def test_ping_endpoint(url, expected):
    p = demo_profile()
    p.clients[1].ciba_notification_endpoint = url
    assert status(doctor(p), "client.ping_endpoint") == expected


def test_signed_requests_need_keys():
    p = demo_profile()
    p.clients[0].ciba_require_signed_requests = True
    c = doctor(p).check("client.signed", "client ciba-kit-poll")
    assert c.status == "fail" and "JWKS" in c.detail


def test_authenticator_pingone_references():
    p = demo_profile()
    p.authenticator.application = None
    c = doctor(p).check("authenticator.pingone")
    assert c.status == "fail" and "Application is blank" in c.detail
    p = demo_profile()
    p.mfa_policy.applications[0].push_enabled = False
    assert "push is disabled" in doctor(p).check("authenticator.pingone").detail


def test_push_timeout_shorter_than_lifetime_warns():
    p = demo_profile()
    p.mfa_policy.applications[0].push_timeout = 40
    c = doctor(p).check("timing.push_timeout")
    assert c.status == "warn"
    assert "users can never approve after 40 s" in c.detail and "120 s" in c.detail
    assert "Transaction Lifetime to 40 s" in c.fix and "Push Timeout to 120 s" in c.fix


def test_missing_template_content_fails():
    p = demo_profile()
    p.authenticator.template_name = "general"
    assert status(doctor(p), "prompt.template") == "fail"
    p = demo_profile()
    p.authenticator.template_variant = "other"
    assert status(doctor(p), "prompt.template") == "warn"


def test_undefined_template_variable_fails():
    p = demo_profile()
    p.templates[0] = PromptTemplate("Hi ${requestingApplicationName}", "Pay ${purchaseTotl}", variant="ciba-kit")
    c = doctor(p).check("prompt.variables")
    assert c.status == "fail" and "purchaseTotl" in c.detail


def test_contract_attribute_not_declared_or_not_fulfilled_fails():
    p = demo_profile()
    p.authenticator.variables["purchaseTotal"] = "$attributes.total EUR"
    c = doctor(p).check("prompt.contract")
    assert c.status == "fail" and "total" in c.detail
    p = demo_profile()
    del p.request_policy.fulfillment["amount"]
    c = doctor(p).check("prompt.contract")
    assert c.status == "fail" and "amount" in c.detail and "Contract Fulfillment" in c.fix


def test_test_username():
    p = demo_profile()
    p.authenticator.test_username = ""
    assert status(doctor(p), "user.test") == "warn"
    p.users[0].paired = False
    p.authenticator.test_username = "alice"
    assert status(doctor(p), "user.test") == "fail"


def test_report_renders_and_masks():
    r = doctor(demo_profile())
    text, page = str(r), r._repr_html_()
    assert "PASS" in text and "<table>" in page and "client.grant" in page
    assert SECRET not in text + page + json.dumps(r.to_dict())
    assert r.counts()["fail"] == 0 and "pass" in r.summary()


def test_nothing_to_check_is_bad_input():
    with pytest.raises(InputError):
        doctor()


# ---- live


def test_live_applied_setup_passes_end_to_end(applied_sim):
    r = doctor(demo_profile(), target=applied_sim, clock=applied_sim.clock)
    assert r.ok, str(r)
    assert status(r, "discovery") == "pass" and status(r, "e2e.live") == "pass"
    assert status(r, "user.test") == "pass"
    assert "approved" in r.check("e2e.live").detail


def test_live_discovery_failure(applied_sim):
    r = doctor(demo_profile(), target=applied_sim, issuer=applied_sim.issuer + "/nope", live_test=False)
    assert status(r, "discovery") == "fail"


def test_live_wrong_secret_fails_the_live_test(applied_sim):
    r = doctor(target=applied_sim, client_ids=["ciba-kit-poll"], client_secrets={"ciba-kit-poll": "wrong-secret"},
               clock=applied_sim.clock)
    c = r.check("e2e.live")
    assert c.status == "fail" and "invalid_client" in c.detail and "wrong-secret" not in str(r)


def test_live_client_without_ciba_grant(applied_sim):
    admin = PingFederateAdmin(applied_sim.admin_url, username="Administrator", password="2FederateM0re")
    admin.create_client(OAuthClient(client_id="nogrant", name="x", grant_types=["CLIENT_CREDENTIALS"],
                                    client_auth=ClientAuth(type="SECRET", secret=Secret("x-secret"))))
    try:
        assert status(doctor(target=applied_sim, client_ids=["nogrant"], live_test=False), "client.grant") == "fail"
        # Checking every client, a non-CIBA client is only a warning.
        assert status(doctor(target=applied_sim, live_test=False), "client.grant", "client nogrant") == "warn"
    finally:
        admin.delete_client("nogrant")


def test_live_test_user_problems(empty_sim):
    p = demo_profile()
    p.users = []
    p.authenticator.test_username = "ghost"
    apply_setup(p, empty_sim)
    r = doctor(p, target=empty_sim, live_test=False)
    assert status(r, "user.test") == "fail" and "does not exist" in r.check("user.test").detail
    empty_sim.add_user("ghost", persona=QUICK, paired=False)
    r = doctor(p, target=empty_sim, live_test=False)
    assert "no paired" in r.check("user.test").detail


def test_live_demo_simulator(sim):
    r = doctor(target=sim, live_test=False)
    assert status(r, "client.user_code", "client demo-poll") == "pass"
    assert status(r, "client.signed", "client demo-signed") == "pass"
    assert status(r, "timing.push_timeout") == "warn"  # demo: 120 s lifetime, 40 s push timeout
    assert status(r, "client.grant", "client demo-nociba") == "warn"
    assert r.ok


def test_live_denied_user_warns(applied_sim):
    from ciba_kit.simulator import Persona

    applied_sim.add_user("alice", persona=Persona(approve=0, deny=1, ignore=0, latency_median_s=0.2,
                                                  latency_sigma=0.0))
    try:
        r = doctor(demo_profile(), target=applied_sim, clock=applied_sim.clock)
        assert status(r, "e2e.live") == "warn" and "denied" in r.check("e2e.live").detail
    finally:
        applied_sim.add_user("alice", persona=QUICK)
