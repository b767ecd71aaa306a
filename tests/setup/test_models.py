"""Models: real-shaped Admin API / PingOne JSON round-trips exactly; changes land in the right place."""

from __future__ import annotations

import copy
import json

import pytest

from ciba_kit.prompts import PromptTemplate
from ciba_kit.setup import (
    AttributeSource,
    CibaAuthenticator,
    CibaServerSettings,
    ClientAuth,
    MfaPolicy,
    NativeApplication,
    OAuthClient,
    RequestPolicy,
    Secret,
    SignOnPolicy,
)

# Shapes from the reference's field lists (PF Admin API 12.1 schemas, TF provider examples).
AUTHENTICATOR_3X = {
    "id": "pingOneMfaCiba",
    "name": "PingOne MFA CIBA",
    "pluginDescriptorRef": {"id": "com.pingidentity.oobauth.pingone.mfa.PingOneMfaCibaAuthenticator",
                            "location": "https://pf:9999/pf-admin-api/v1/oauth/outOfBandAuthPlugins/descriptors/x"},
    "configuration": {
        "tables": [{"name": "PingOne Template Variables", "rows": [
            {"defaultRow": False, "fields": [{"name": "PingOne Template Variable Name", "value": "purchaseTotal"},
                                             {"name": "PingOne Template Variable Value",
                                              "value": "$attributes.amount EUR"}]}]}],
        "fields": [
            {"name": "PingOne Environment", "value": "conn-1|0f8c0a7e-0000-4000-8000-000000000000"},
            {"name": "Application", "value": "app-1"},
            {"name": "PingOne Authentication Policy", "value": "employees contractors"},
            {"name": "Test Username", "value": "user.0"},
            {"name": "PingOne Template Name", "value": "transaction"},
            {"name": "PingOne Template Variant", "value": ""},
            {"name": "Client Context", "value": "Example"},
            {"name": "Messages Files", "value": "pingone-mfa-messages"},
            {"name": "API Request Timeout", "value": "5000"},
            {"name": "Proxy Settings", "value": "System Defaults"},
            {"name": "Future Field", "value": "kept"},
        ],
        "sensitiveFields": [{"name": "Legacy Secret", "encryptedValue": "OBF:JWE:abc"}],
    },
    "attributeContract": {"coreAttributes": [{"name": "subject"}], "extendedAttributes": [{"name": "amount"}]},
    "lastModified": "2025-01-01T00:00:00.000Z",
}

REQUEST_POLICY = {
    "id": "cibaPolicy",
    "name": "CIBA policy",
    "authenticatorRef": {"id": "pingOneMfaCiba"},
    "userCodePcvRef": {"id": "userCodes"},
    "transactionLifetime": 300,
    "allowUnsignedLoginHintToken": True,
    "requireTokenForIdentityHint": False,
    "alternativeLoginHintTokenIssuers": [
        {"issuer": "https://idp.example.com", "jwksURL": "https://idp.example.com/jwks"},
        {"issuer": "urn:partner", "jwks": "{\"keys\": []}"}],
    "identityHintContract": {"coreAttributes": [{"name": "IDENTITY_HINT_SUBJECT"}],
                             "extendedAttributes": [{"name": "login_hint_token.attrs.mail"}]},
    "identityHintContractFulfillment": {"attributeContractFulfillment": {
        "IDENTITY_HINT_SUBJECT": {"source": {"type": "REQUEST"}, "value": "IDENTITY_HINT_SUBJECT"}}},
    "identityHintMapping": {
        "attributeContractFulfillment": {
            "USER_KEY": {"source": {"type": "REQUEST"}, "value": "IDENTITY_HINT_SUBJECT"},
            "subject": {"source": {"type": "REQUEST"}, "value": "IDENTITY_HINT_SUBJECT"},
            "USER_CODE_USER_NAME": {"source": {"type": "REQUEST"}, "value": "IDENTITY_HINT_SUBJECT"},
            "amount": {"source": {"type": "TEXT"}, "value": "42.00"}},
        "attributeSources": [],
        "issuanceCriteria": {"conditionalCriteria": [], "expressionCriteria": None}},
    "lastModified": "2025-01-01T00:00:00.000Z",
}

CLIENT = {
    "clientId": "bank-app",
    "name": "Bank app",
    "enabled": True,
    "grantTypes": ["CIBA", "REFRESH_TOKEN"],
    "cibaDeliveryMode": "PING",
    "cibaNotificationEndpoint": "https://bank.example.com/cb",
    "cibaPollingInterval": 3,
    "cibaRequireSignedRequests": True,
    "cibaRequestObjectSigningAlgorithm": "PS256",
    "cibaUserCodeSupported": True,
    "requestPolicyRef": {"id": "cibaPolicy"},
    "clientAuth": {"type": "PRIVATE_KEY_JWT", "enforceReplayPrevention": True,
                   "tokenEndpointAuthSigningAlgorithm": "PS256"},
    "jwksSettings": {"jwksUrl": "https://bank.example.com/jwks"},
    "bypassApprovalPage": True,
    "restrictScopes": False,
    "persistentGrantExpirationType": "SERVER_DEFAULT",
}

SECRET_CLIENT = {"clientId": "c2", "name": "c2", "grantTypes": ["CIBA"],
                 "clientAuth": {"type": "SECRET", "encryptedSecret": "eyJhbGciOiJkaXIi..."}}

MFA_POLICY = {
    "id": "5f0c2a57-0000-4000-8000-00000000b001", "name": "CIBA MFA", "default": True,
    "environment": {"id": "env"}, "authentication": {"deviceSelection": "DEFAULT_TO_FIRST"},
    "mobile": {"enabled": True, "otpFailure": {"count": 3}, "applications": [{
        "id": "app-1", "push": {"enabled": True, "numberMatching": {"enabled": True}},
        "pushTimeout": {"duration": 90, "timeUnit": "SECONDS"},
        "pushLimit": {"count": 7, "lockDuration": {"duration": 30, "timeUnit": "MINUTES"},
                      "timePeriod": {"duration": 10, "timeUnit": "MINUTES"}},
        "otp": {"enabled": True}, "autoEnrollment": {"enabled": False}, "deviceAuthorization": {"enabled": False},
        "pairingKeyLifetime": {"duration": 10, "timeUnit": "MINUTES"}}]},
    "sms": {"enabled": False}, "email": {"enabled": False}, "fido2": {"enabled": False},
    "createdAt": "2025-01-01T00:00:00.000Z",
}

SIGN_ON = {"id": "sop-1", "name": "employees", "default": False, "environment": {"id": "env"}}
ACTION = {"id": "act-1", "type": "MULTI_FACTOR_AUTHENTICATION", "priority": 1,
          "deviceAuthenticationPolicy": {"id": "mfa-1"}, "noDeviceMode": "BYPASS",
          "signOnPolicy": {"id": "sop-1"}, "environment": {"id": "env"}}

APPLICATION = {"id": "app-1", "name": "Bank native", "type": "NATIVE_APP", "protocol": "OPENID_CONNECT",
               "enabled": True, "grantTypes": ["IMPLICIT"], "responseTypes": ["TOKEN", "ID_TOKEN"],
               "tokenEndpointAuthMethod": "NONE",
               "mobile": {"bundleId": "com.example.bank", "packageName": "com.example.bank",
                          "integrityDetection": {"mode": "DISABLED"}}}


@pytest.mark.parametrize("cls,doc", [
    (CibaAuthenticator, AUTHENTICATOR_3X), (RequestPolicy, REQUEST_POLICY), (OAuthClient, CLIENT),
    (OAuthClient, SECRET_CLIENT), (MfaPolicy, MFA_POLICY), (NativeApplication, APPLICATION),
    (CibaServerSettings, {"defaultRequestPolicyRef": {"id": "cibaPolicy"}}),
], ids=["authenticator", "request_policy", "client", "secret_client", "mfa_policy", "application", "settings"])
def test_real_documents_round_trip_exactly(cls, doc):
    original = copy.deepcopy(doc)
    assert cls.from_api(doc).to_api() == original
    assert doc == original  # loading does not mutate the input


def test_sign_on_policy_and_action_round_trip():
    sop = SignOnPolicy.from_api(SIGN_ON, ACTION)
    assert sop.to_api() == SIGN_ON
    assert sop.action_to_api() == ACTION
    assert sop.device_sign_on_policy_id == "mfa-1" and sop.no_device_mode == "BYPASS"


def test_authenticator_fields_are_typed():
    a = CibaAuthenticator.from_api(AUTHENTICATOR_3X)
    assert a.ik_version == "3.x"
    assert a.authentication_policy == "employees contractors"
    assert a.variables == {"purchaseTotal": "$attributes.amount EUR"}
    assert a.extended_attributes == ["amount"] and a.contract == ["subject", "amount"]
    assert a.api_request_timeout == 5000
    a.template_variant = "ciba-purchase"
    a.variables["currency"] = "EUR"
    out = a.to_api()
    fields = {f["name"]: f["value"] for f in out["configuration"]["fields"]}
    assert fields["PingOne Template Variant"] == "ciba-purchase"
    assert fields["Future Field"] == "kept"
    rows = out["configuration"]["tables"][0]["rows"]
    assert [r["fields"][0]["value"] for r in rows] == ["purchaseTotal", "currency"]
    assert out["configuration"]["sensitiveFields"] == AUTHENTICATOR_3X["configuration"]["sensitiveFields"]


def test_authenticator_4x_writes_mfa_policy_field():
    a = CibaAuthenticator(id="a1", name="A", ik_version="4.0", mfa_policy_id="mfa-9", application_id="app-1")
    fields = {f["name"]: f["value"] for f in a.to_api()["configuration"]["fields"]}
    assert fields["MFA Policy for Authentication"] == "mfa-9"
    assert "PingOne Authentication Policy" not in fields
    assert CibaAuthenticator(id="a1", name="A").to_api()["configuration"]["fields"][2]["value"] == "Default"
    back = CibaAuthenticator.from_api(a.to_api())
    assert back.ik_version == "4.0" and back.mfa_policy_id == "mfa-9"


def test_mfa_policy_fields():
    m = MfaPolicy.from_api(MFA_POLICY)
    app = m.applications[0]
    assert (app.push_timeout, app.push_limit, app.number_matching, app.push_enabled) == (90, 7, True, True)
    app.push_timeout = 150
    out = m.to_api()
    assert out["mobile"]["applications"][0]["pushTimeout"] == {"duration": 150, "timeUnit": "SECONDS"}
    assert out["mobile"]["otpFailure"] == {"count": 3}


def test_request_policy_fields_and_defaults():
    rp = RequestPolicy.from_api(REQUEST_POLICY)
    assert rp.transaction_lifetime == 300 and rp.user_code_pcv_id == "userCodes"
    assert rp.alternative_login_hint_token_issuers[0].jwks_url == "https://idp.example.com/jwks"
    assert rp.alternative_login_hint_token_issuers[0].to_api() == REQUEST_POLICY["alternativeLoginHintTokenIssuers"][0]
    assert rp.fulfillment["amount"].type == "TEXT"
    fresh = RequestPolicy(id="p", name="p", authenticator_id="a", user_code_pcv_id="pcv",
                          fulfillment={"amount": AttributeSource(type="TEXT", value="1")})
    acf = fresh.to_api()["identityHintMapping"]["attributeContractFulfillment"]
    assert set(acf) == {"amount", "USER_KEY", "subject", "USER_CODE_USER_NAME"}
    assert fresh.to_api()["identityHintContract"]["coreAttributes"] == [{"name": "IDENTITY_HINT_SUBJECT"}]
    assert fresh.to_api()["userCodePcvRef"] == {"id": "pcv"}


def test_client_secret_is_masked_unless_revealed():
    c = OAuthClient(client_id="c", name="c", client_auth=ClientAuth(type="SECRET", secret=Secret("hunter2-xyz")))
    assert c.to_api()["clientAuth"]["secret"] == "***"
    assert c.to_api(reveal=True)["clientAuth"]["secret"] == "hunter2-xyz"
    assert "hunter2" not in repr(c) and "hunter2" not in str(c.client_auth.secret)
    # An export that carries a plaintext secret keeps it only inside a masked Secret.
    loaded = OAuthClient.from_api({"clientId": "c", "name": "c", "grantTypes": ["CIBA"],
                                   "clientAuth": {"type": "SECRET", "secret": "plain-text-secret"}})
    assert "plain-text-secret" not in repr(loaded)
    assert loaded.to_api()["clientAuth"]["secret"] == "***"
    assert "plain-text-secret" not in json.dumps(loaded.to_api())


def test_client_fields():
    c = OAuthClient.from_api(CLIENT)
    assert c.has_ciba and c.ciba_delivery_mode == "PING" and c.ciba_request_object_signing_algorithm == "PS256"
    assert c.jwks_settings is not None and c.jwks_settings.jwks_url == "https://bank.example.com/jwks"
    assert c.client_auth is not None and c.client_auth.enforce_replay_prevention is True
    c.grant_types.remove("CIBA")
    assert c.to_api()["grantTypes"] == ["REFRESH_TOKEN"]
    assert c.to_api()["bypassApprovalPage"] is True


def test_validation_names_field_value_range_and_console():
    m = MfaPolicy.from_api(MFA_POLICY)
    m.applications[0].push_timeout = 30
    m.applications[0].push_limit = 0
    errs = m.validate()
    assert [e.field for e in errs] == ["mfa_policy.applications[0].push_timeout", "mfa_policy.applications[0].push_limit"]
    text = str(errs[0])
    assert "30" in text and "40-150" in text and "PingOne > Authentication > MFA > MFA Policies" in text
    rp = RequestPolicy(id="p", name="p", authenticator_id="a", transaction_lifetime=5000)
    (err,) = rp.validate()
    assert err.field == "request_policy.transaction_lifetime" and "1-3600" in str(err)
    assert "PingFederate > Applications > OAuth > CIBA Request Policies" in str(err) and "Transaction Lifetime" in str(err)
    c = OAuthClient(client_id="c", name="c", ciba_delivery_mode="PUSH", client_auth=ClientAuth(type="BASIC"))
    fields = {e.field for e in c.validate()}
    assert {"client.ciba_delivery_mode", "client.client_auth.type"} <= fields


def test_prompt_template_is_the_shared_model():
    # Push contents are ciba_kit.prompts.PromptTemplate (not redefined by setup).
    import ciba_kit.setup.profile as profile_mod

    assert profile_mod.PromptTemplate is PromptTemplate
