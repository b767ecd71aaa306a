"""The simulator's runtime obeys what setup applied (end to end, through ciba_kit's client)."""

from __future__ import annotations

import pytest

import ciba_kit as ck
from ciba_kit.setup import OAuthClient, PingFederateAdmin, apply_setup
from setup_helpers import SECRET, SILENT, demo_profile

ADMIN = ("Administrator", "2FederateM0re")


def client_for(sim, client_id="ciba-kit-poll", secret=SECRET, **opts):
    return ck.SyncCibaClient.discover(sim.issuer, client_id, auth=ck.ClientSecretBasic(secret), clock=sim.clock,
                                      allow_insecure_http=True, **opts)


def admin_for(sim):
    return PingFederateAdmin(sim.admin_url, username=ADMIN[0], password=ADMIN[1])


def test_approved_flow_on_the_applied_setup(applied_sim):
    with client_for(applied_sim) as c:
        flow = c.authenticate(login_hint="alice", binding_message="OBEY1")
    assert flow.outcome == ck.Outcome.APPROVED
    assert flow.expires_in == 120  # request policy Transaction Lifetime
    assert flow.interval == 2  # client cibaPollingInterval
    assert flow.id_token_claims["sub"] == "alice"


def test_requested_expiry_shortens_expires_in(applied_sim):
    with client_for(applied_sim) as c:
        flow = c.authenticate(login_hint="alice", binding_message="OBEY2", requested_expiry=30)
    assert flow.expires_in == 30


def test_lifetime_and_interval_follow_a_changed_setup(applied_sim):
    profile = demo_profile()
    profile.request_policy.transaction_lifetime = 90
    profile.mfa_policy.applications[0].push_timeout = 90
    profile.clients[0].ciba_polling_interval = 4
    try:
        apply_setup(profile, applied_sim)
        with client_for(applied_sim) as c:
            flow = c.authenticate(login_hint="alice", binding_message="OBEY3")
        assert (flow.expires_in, flow.interval) == (90, 4)
    finally:
        apply_setup(demo_profile(), applied_sim)


def test_client_without_ciba_grant_gets_unauthorized_client(applied_sim):
    admin = admin_for(applied_sim)
    admin.create_client(OAuthClient(client_id="no-ciba", name="No CIBA", grant_types=["CLIENT_CREDENTIALS"],
                                    client_auth=ck.setup.ClientAuth(type="SECRET", secret=ck.setup.Secret("nc-secret"))))
    try:
        with client_for(applied_sim, "no-ciba", "nc-secret") as c:
            with pytest.raises(ck.UnauthorizedClient) as info:
                c.authenticate(login_hint="alice", raise_errors=True)
        assert "Allowed Grant Types > CIBA" in info.value.hint
    finally:
        admin.delete_client("no-ciba")


def test_template_name_and_variant_select_the_prompt(applied_sim):
    applied_sim.add_user("mia", persona=None)  # a manual user: the prompt waits on the phone
    with client_for(applied_sim) as c:
        req = c.start(login_hint="mia", binding_message="VAR1")
        prompt = applied_sim.devices.wait_for_prompt("mia")
        assert (prompt.template_name, prompt.variant, prompt.locale) == ("transaction", "ciba-kit", "en")
        assert prompt.title == "ciba_kit poll client is requesting approval"
        assert prompt.body.startswith("Code VAR1: approve payment of")
        applied_sim.devices.approve(prompt.id)
        assert c.wait(req).outcome == ck.Outcome.APPROVED


def test_contract_attributes_from_the_request_policy_reach_the_prompt(applied_sim):
    applied_sim.add_user("mia", persona=None)
    with client_for(applied_sim) as c:
        req = c.start(login_hint="mia", binding_message="VAR2")
        prompt = applied_sim.devices.wait_for_prompt("mia")
        applied_sim.devices.approve(prompt.id)
        c.wait(req)
    assert prompt.body == "Code VAR2: approve payment of 42.00 EUR?"


def test_ping_goes_to_the_notification_endpoint(applied_sim):
    with ck.NotificationReceiver.start() as rx:
        profile = demo_profile()
        profile.clients[1].ciba_notification_endpoint = rx.url
        apply_setup(profile, applied_sim)
        with client_for(applied_sim, "ciba-kit-ping", mode="ping", receiver=rx) as c:
            flow = c.authenticate(login_hint="alice", binding_message="PING1")
    assert flow.outcome == ck.Outcome.APPROVED and flow.mode == ck.DeliveryMode.PING
    truth = applied_sim.truth()[-1]
    assert truth.client_id == "ciba-kit-ping" and truth.ping_delivered is not None


def test_push_timeout_follows_the_mfa_policy(applied_sim):
    applied_sim.add_user("sam", persona=SILENT)
    profile = demo_profile()
    profile.mfa_policy.applications[0].push_timeout = 40
    try:
        apply_setup(profile, applied_sim)
        with client_for(applied_sim) as c:
            flow = c.authenticate(login_hint="sam", binding_message="SLOW1")
        assert flow.outcome != ck.Outcome.APPROVED
        truth = applied_sim.truth()[-1]
        assert truth.user == "sam" and truth.decision == "timeout"
        assert truth.decided.mono - truth.pushed.mono == pytest.approx(40, abs=2)
        assert flow.latency.total_s < 100  # ended with the push timeout, well before the 120 s lifetime
    finally:
        apply_setup(demo_profile(), applied_sim)



def test_user_code_policy_with_a_pcv_created_through_the_admin_api(empty_sim):
    from setup_helpers import QUICK

    empty_sim.add_user("alice", persona=QUICK)
    admin = admin_for(empty_sim)
    admin.request("POST", "/passwordCredentialValidators", {
        "id": "userCodes", "name": "User codes",
        "pluginDescriptorRef": {"id": "org.sourceid.saml20.domain.SimpleUsernamePasswordCredentialValidator"},
        "configuration": {"fields": [], "tables": [{"name": "Users", "rows": [{"defaultRow": False, "fields": [
            {"name": "Username", "value": "alice"}, {"name": "Password", "value": "2468"}]}]}]}})
    profile = demo_profile()
    profile.request_policy.user_code_pcv_id = "userCodes"
    profile.clients[0].ciba_user_code_supported = True
    apply_setup(profile.validate(), empty_sim)
    with client_for(empty_sim, user_code=True) as c:
        assert c.authenticate(login_hint="alice", binding_message="UC1", user_code="2468").outcome == ck.Outcome.APPROVED
        bad = c.authenticate(login_hint="alice", binding_message="UC2", user_code="0000")
    assert bad.error == "invalid_user_code"
    with pytest.raises(Exception) as info:
        admin.request("DELETE", "/passwordCredentialValidators/userCodes")
    assert "in use" in str(info.value)
