"""plan / apply / verify against an empty simulator over HTTP."""

from __future__ import annotations

import json

import httpx
import pytest

from ciba_kit.setup import (
    PingFederateAdmin,
    SetupApplyError,
    SetupValidationError,
    apply_setup,
    plan_setup,
    verify_setup,
)
from setup_helpers import SECRET

ADMIN_AUTH = ("Administrator", "2FederateM0re")
XSRF = {"X-XSRF-Header": "PingFederate"}


def test_plan_lists_exact_calls_in_dependency_order_with_secrets_masked(profile, empty_sim):
    plan = plan_setup(profile, empty_sim)
    assert not plan.in_sync
    steps = [c.step for c in plan.changes]
    order = ["PingOne application", "PingOne MFA policy", "PingOne push template", "PingOne test user",
             "CIBA authenticator", "CIBA request policy", "CIBA settings", "OAuth client"]
    assert [s for s in order if s in steps] == order
    assert sorted(set(steps), key=steps.index) == order
    calls = [str(c) for c in plan.calls]
    assert calls[0].startswith("POST /v1/environments/") and calls[0].endswith("/applications")
    assert "POST /pf-admin-api/v1/oauth/outOfBandAuthPlugins" in calls
    assert calls[-1] == "POST /pf-admin-api/v1/oauth/clients"
    client_call = plan.calls[-1]
    assert client_call.body["clientAuth"]["secret"] == "***"
    dumped = json.dumps(plan.to_dict()) + str(plan) + plan._repr_html_()
    assert SECRET not in dumped
    # A dry run changes nothing.
    assert empty_sim.state.pf.clients == {} and empty_sim.state.p1.applications == {}


def test_apply_then_second_apply_changes_nothing(profile, empty_sim):
    first = apply_setup(profile, empty_sim)
    assert all(c.done for c in first.pending)
    st = empty_sim.state
    assert st.pf.client_secrets["ciba-kit-poll"] == SECRET
    assert st.pf.ciba_settings["defaultRequestPolicyRef"] == {"id": "cibaKitPolicy"}
    version = st.version
    admin = PingFederateAdmin(empty_sim.admin_url, username="Administrator", password="2FederateM0re")
    second = apply_setup(profile, empty_sim, admin=admin)
    assert second.in_sync and second.calls == []
    assert all(method == "GET" for method, _ in admin.calls)
    assert st.version == version  # no write reached the simulator
    assert verify_setup(profile, empty_sim).in_sync
    # The authenticator references the PingOne ids that apply created.
    plugin = st.pf.oob_plugins["cibaKitP1Mfa"]
    fields = {f["name"]: f["value"] for f in plugin["configuration"]["fields"]}
    (app_id,) = st.p1.applications
    (mfa_id,) = st.p1.mfa_policies
    assert fields["Application"] == app_id and fields["MFA Policy for Authentication"] == mfa_id


def test_verify_reports_drift_and_apply_repairs_it(profile, empty_sim):
    apply_setup(profile, empty_sim)
    url = empty_sim.admin_url + "/oauth/cibaServerPolicy/requestPolicies/cibaKitPolicy"
    doc = httpx.get(url, headers=XSRF, auth=ADMIN_AUTH).json()
    doc["transactionLifetime"] = 600
    doc["allowUnsignedLoginHintToken"] = True
    assert httpx.put(url, json=doc, headers=XSRF, auth=ADMIN_AUTH).status_code == 200
    drift = verify_setup(profile, empty_sim)
    assert not drift.in_sync
    (change,) = drift.pending
    assert change.resource == "request policy 'cibaKitPolicy'"
    assert "transactionLifetime: 600 -> 120" in change.differences
    assert "drift" in drift.summary()
    fixed = apply_setup(profile, empty_sim)
    assert [c.action for c in fixed.pending] == ["update"]
    assert empty_sim.state.pf.request_policies["cibaKitPolicy"]["transactionLifetime"] == 120
    assert verify_setup(profile, empty_sim).in_sync


def test_update_keeps_settings_the_profile_does_not_manage(profile, empty_sim):
    apply_setup(profile, empty_sim)
    url = empty_sim.admin_url + "/oauth/clients/ciba-kit-poll"
    doc = httpx.get(url, headers=XSRF, auth=ADMIN_AUTH).json()
    doc["description"] = "kept by apply"
    doc["cibaPollingInterval"] = 7
    assert httpx.put(url, json=doc, headers=XSRF, auth=ADMIN_AUTH).status_code == 200
    result = apply_setup(profile, empty_sim)
    (change,) = result.pending
    assert change.differences == ["cibaPollingInterval: 7 -> 2"]
    client = empty_sim.state.pf.clients["ciba-kit-poll"]
    assert client["description"] == "kept by apply" and client["cibaPollingInterval"] == 2
    assert empty_sim.state.pf.client_secrets["ciba-kit-poll"] == SECRET  # the secret survived the PUT


def test_rotate_secrets(profile, empty_sim):
    apply_setup(profile, empty_sim)
    profile.clients[0].client_auth.secret = type(profile.clients[0].client_auth.secret)("rotated-secret")
    assert apply_setup(profile, empty_sim).in_sync  # secrets are write-only: not compared
    assert empty_sim.state.pf.client_secrets["ciba-kit-poll"] == SECRET
    result = apply_setup(profile, empty_sim, rotate_secrets=True)
    assert "clientAuth.secret: rotated" in result.pending[0].differences
    assert empty_sim.state.pf.client_secrets["ciba-kit-poll"] == "rotated-secret"
    assert "rotated-secret" not in str(result)


def test_refused_change_carries_validation_messages_and_console_place(profile, empty_sim):
    profile.request_policy.user_code_pcv_id = "noSuchPcv"
    with pytest.raises(SetupApplyError) as info:
        apply_setup(profile, empty_sim)
    text = str(info.value)
    assert "request policy 'cibaKitPolicy'" in text and "userCodePcvRef.id" in text
    assert "does not exist" in text and "Manage Policy > User Code PCV" in text
    assert "already applied" in text and "authenticator 'cibaKitP1Mfa'" in text
    assert info.value.cause.status == 422


def test_invalid_profile_calls_nothing(profile, empty_sim):
    profile.mfa_policy.applications[0].push_timeout = 10
    before = empty_sim.state.version
    with pytest.raises(SetupValidationError):
        apply_setup(profile, empty_sim)
    assert empty_sim.state.version == before and empty_sim.state.p1.applications == {}


def test_target_as_url(profile, empty_sim):
    plan = plan_setup(profile, empty_sim.issuer)
    assert plan.target == empty_sim.issuer and len(plan.pending) == len(plan.changes)
    assert apply_setup(profile, empty_sim.admin_url.replace("/pf-admin-api/v1", "")).pending


def test_ik_3x_creates_sign_on_policy_and_action(profile, empty_sim):
    from ciba_kit.setup import SignOnPolicy

    profile.ik_version = "3.x"
    profile.sign_on_policy = SignOnPolicy(name="ciba-kit-ciba", mfa_policy=profile.mfa_policy.name)
    profile.authenticator.ik_version = "3.x"
    profile.authenticator.authentication_policy = "ciba-kit-ciba"
    apply_setup(profile, empty_sim)
    (sop,) = empty_sim.state.p1.sign_on_policies.values()
    (action,) = sop["actions"]
    (mfa_id,) = empty_sim.state.p1.mfa_policies
    assert action["deviceAuthenticationPolicy"] == {"id": mfa_id} and action["noDeviceMode"] == "BLOCK"
    fields = {f["name"]: f["value"] for f in empty_sim.state.pf.oob_plugins["cibaKitP1Mfa"]["configuration"]["fields"]}
    assert fields["PingOne Authentication Policy"] == "ciba-kit-ciba" and "MFA Policy for Authentication" not in fields
    assert verify_setup(profile, empty_sim).in_sync


def test_ik3x_signed_example_profile_end_to_end(empty_sim):
    import ciba_kit as ck
    from ciba_kit.protocol import jose
    from ciba_kit.setup import SetupProfile, doctor
    from setup_helpers import DEMO_PROFILE, QUICK

    prof = SetupProfile.load(DEMO_PROFILE.with_name("ik3x-signed.toml"), env={})
    assert prof.ik_version == "3.x" and prof.authenticator.ik_version == "3.x"
    assert json.loads(prof.clients[0].jwks_settings.jwks)["keys"][0]["kty"] == "EC"
    empty_sim.add_user("alice", persona=QUICK)
    apply_setup(prof, empty_sim)
    assert verify_setup(prof, empty_sim).in_sync
    auth = ck.PrivateKeyJwt(jose.demo_client_key(), alg="ES256")
    with ck.SyncCibaClient.discover(empty_sim.issuer, "ciba-kit-signed", auth=auth, clock=empty_sim.clock,
                                    sign_requests=True) as c:
        assert c.authenticate(login_hint="alice", binding_message="SIGN1").outcome == ck.Outcome.APPROVED
    r = doctor(prof, target=empty_sim, live_test=False)
    assert r.ok and r.check("client.signed").status == "pass"
    assert r.check("authenticator.pingone").status == "pass"  # found through the sign-on policy's MFA action


def test_pingone_applications_are_listed_once_per_run(profile, empty_sim):
    from ciba_kit.setup import PingOneApi

    p1 = PingOneApi.for_simulator(empty_sim)
    apply_setup(profile, empty_sim, pingone=p1)
    assert sum(1 for method, path in p1.calls if method == "GET" and path.endswith("/applications")) == 1
    p1.calls.clear()
    assert verify_setup(profile, empty_sim, pingone=p1).in_sync
    assert sum(1 for method, path in p1.calls if method == "GET" and path.endswith("/applications")) == 1
