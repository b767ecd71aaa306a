"""Setup widgets: forms validate as values change; the wizard builds a profile and applies it."""

from __future__ import annotations

import pytest

from ciba_kit.protocol.errors import InputError
from ciba_kit.setup import SetupValidationError
from ciba_kit.widgets.setup_forms import SetupWizard
from setup_helpers import ENV, QUICK, SECRET


def test_forms_validate_field_by_field():
    w = SetupWizard()
    assert repr(w) == "SetupWizard(0 problem(s) in the forms)"
    w.pingone.value = {"push_timeout": 30}
    (p,) = w.pingone.validate()
    assert p.field == "mfa_policy.applications[0].push_timeout" and "40-150" in str(p)
    assert "push_timeout" in w.pingone.status.value and "Push Timeout" in w.pingone.status.value
    w.pingone.value = {"push_timeout": 40}
    assert w.pingone.validate() == [] and "valid" in w.pingone.status.value
    w.request_policy.controls["transaction_lifetime"].value = 0
    assert "1-3600" in w.request_policy.status.value
    with pytest.raises(InputError):
        w.client.value = {"no_such_field": 1}


def test_cross_step_problems_show_in_the_wizard():
    w = SetupWizard()
    w.authenticator.value = {"extended_attributes": "amount"}
    with pytest.raises(SetupValidationError) as info:
        w.profile(env=ENV)
    assert any(e.field == "request_policy.fulfillment.amount" for e in info.value.errors)
    assert "Contract Fulfillment" in w.status.value
    w.request_policy.value = {"fulfillment": "amount = TEXT:42.00"}
    assert w.profile(env=ENV).request_policy.fulfillment["amount"].value == "42.00"


def test_wizard_applies_to_the_simulator(empty_sim):
    empty_sim.add_user("alice", persona=QUICK)
    w = SetupWizard()
    w.pingone.value = {"push_timeout": 120}
    result = w.apply(empty_sim, env=ENV)
    assert result.pending and "create" in w.status.value
    assert empty_sim.state.pf.client_secrets["ciba-kit-poll"] == SECRET
    assert w.plan(empty_sim, env=ENV).in_sync
    assert SECRET not in w.status.value


def test_missing_secret_variable_is_reported_when_the_profile_is_built():
    w = SetupWizard()
    w.client.value = {"secret_env": "CIBA_KIT_TEST_UNSET_VARIABLE"}
    assert w.client.validate() == []
    with pytest.raises(SetupValidationError, match="CIBA_KIT_TEST_UNSET_VARIABLE is not set"):
        w.profile(env={})


def test_client_form_without_ciba_grant():
    w = SetupWizard()
    w.client.value = {"ciba_grant": False}
    prof = w.profile(env=ENV)
    assert prof.clients[0].grant_types == ["CLIENT_CREDENTIALS"]
