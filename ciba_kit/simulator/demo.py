"""The demo configuration (a contract: DESIGN.md "Demo configuration") in Admin API / PingOne shapes.

Clients (all on the demo request policy, polling interval 2 s, user codes supported):

| client_id     | clientAuth.type             | delivery | notes                                           |
|---------------|-----------------------------|----------|-------------------------------------------------|
| demo-poll     | SECRET (basic or post)      | POLL     | secret ``demo-poll-secret``                     |
| demo-post     | SECRET (basic or post)      | POLL     | secret ``demo-post-secret``                     |
| demo-ping     | SECRET                      | PING     | ``http://127.0.0.1:9032/cb``                    |
| demo-jwt      | PRIVATE_KEY_JWT             | POLL     | public half of ``jose.demo_client_key()`` (ES256) |
| demo-signed   | PRIVATE_KEY_JWT             | POLL     | signed requests required, ES256                 |
| demo-nociba   | SECRET                      | -        | grantTypes without CIBA                         |

``demo-signed``: the brief allows PS256 or ES256; PingFederate's ``cibaRequestObjectSigningAlgorithm``
holds one algorithm and the demo key is an EC key, so the demo uses ES256 only.

Users: alice approves ~2 s, bob denies ~2 s, carol never answers, dave needs user_code 1234 then
approves, frank is manual (device API). The demo request policy (lifetime 120 s) points at a
PingOne MFA CIBA Authenticator instance whose MFA policy has push timeout 40 s, template
``transaction`` with English and French push contents.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from ..protocol import jose
from .personas import PERSONA_FIELD, Persona
from .state import SimulatorState

__all__ = [
    "DEMO_POLICY_ID",
    "DEMO_AUTHENTICATOR_ID",
    "DEMO_PCV_ID",
    "DEMO_APP_ID",
    "DEMO_MFA_POLICY_ID",
    "DEMO_PING_ENDPOINT",
    "PINGONE_MFA_CIBA_DESCRIPTOR",
    "PCV_DESCRIPTOR",
    "DEMO_TEMPLATE_CONTENTS",
    "demo_state",
    "add_user_to_state",
    "user_id_for",
]

DEMO_POLICY_ID = "demo-ciba-policy"
DEMO_AUTHENTICATOR_ID = "demoPingOneMfa"
DEMO_PCV_ID = "demoUserCodes"
DEMO_APP_ID = "5f0c2a57-0000-4000-8000-00000000a001"
DEMO_MFA_POLICY_ID = "5f0c2a57-0000-4000-8000-00000000b001"
DEMO_PING_ENDPOINT = "http://127.0.0.1:9032/cb"
PINGONE_MFA_CIBA_DESCRIPTOR = "com.pingidentity.oobauth.pingone.mfa.PingOneMfaCibaAuthenticator"
PCV_DESCRIPTOR = "org.sourceid.saml20.domain.SimpleUsernamePasswordCredentialValidator"

DEMO_TEMPLATE_CONTENTS: list[dict[str, Any]] = [
    {"id": "5f0c2a57-0000-4000-8000-00000000c001", "template": {"name": "transaction"},
     "deliveryMethod": "Push", "locale": "en", "pushCategory": "BANNER_BUTTONS",
     "title": "${requestingApplicationName} is requesting approval",
     "body": "Message from ${requestingApplicationName}: ${authUserBindingMessage}"},
    {"id": "5f0c2a57-0000-4000-8000-00000000c002", "template": {"name": "transaction"},
     "deliveryMethod": "Push", "locale": "fr", "pushCategory": "BANNER_BUTTONS",
     "title": "${requestingApplicationName} demande votre approbation",
     "body": "Message de ${requestingApplicationName} : ${authUserBindingMessage}"},
]

_USER_NS = uuid.UUID("8d2c3c1e-6f0b-4c1b-9a59-1f2e3d4c5b6a")


def user_id_for(username: str) -> str:
    """A stable PingOne-like user id for ``username`` (uuid5), so outputs are repeatable."""
    return str(uuid.uuid5(_USER_NS, username))


def _client(client_id: str, name: str, *, auth: dict[str, Any], mode: str | None = "POLL",
            grants: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "clientId": client_id, "name": name, "enabled": True,
        "description": "ciba_kit demo client (demo only)",
        "grantTypes": grants if grants is not None else ["CIBA"],
        "clientAuth": auth, "restrictScopes": False,
    }
    if mode:
        doc.update({"cibaDeliveryMode": mode, "cibaPollingInterval": 2, "cibaRequireSignedRequests": False,
                    "cibaUserCodeSupported": True, "requestPolicyRef": {"id": DEMO_POLICY_ID}})
    doc.update(extra)
    return doc


def add_user_to_state(state: SimulatorState, username: str, *, persona: Persona | None = None,
                      user_code: str | None = None, locale: str | None = None, paired: bool = True,
                      pcv_id: str | None = None, email: str | None = None) -> dict[str, Any]:
    """Add or replace a PingOne user (and paired device, user code) in ``state``; returns the user doc.

    ``persona=None`` makes a manual user. ``user_code`` goes into the User Code PCV (``pcv_id``, by
    default the one of the default request policy, else the demo PCV).
    """
    uid = user_id_for(username)
    user: dict[str, Any] = {
        "id": uid, "username": username, "enabled": True, "mfaEnabled": True,
        "name": {"given": username.capitalize(), "family": "Demo"},
        "email": email or f"{username}@example.com",
        PERSONA_FIELD: persona.to_json() if persona is not None else None,
    }
    if locale:
        user["preferredLanguage"] = locale
    with state.lock:
        state.p1.users[uid] = user
        if paired:
            state.p1.devices[uid] = [{
                "id": str(uuid.uuid5(_USER_NS, username + "/device")), "type": "MOBILE", "status": "ACTIVE",
                "name": f"{username}'s phone", "application": {"id": DEMO_APP_ID},
                "user": {"id": uid},
            }]
        else:
            state.p1.devices.pop(uid, None)
        if user_code is not None:
            pid = pcv_id
            if pid is None:
                ref = (state.pf.ciba_settings or {}).get("defaultRequestPolicyRef") or {}
                pol = state.pf.request_policies.get(ref.get("id", ""), {})
                pid = (pol.get("userCodePcvRef") or {}).get("id") or DEMO_PCV_ID
            pcv = state.pf.pcvs.setdefault(pid, _pcv(pid, []))
            rows = _users_table(pcv)["rows"]
            rows[:] = [r for r in rows if _row_value(r, "Username") != username]
            rows.append({"defaultRow": False, "fields": [
                {"name": "Username", "value": username}, {"name": "Password", "value": str(user_code)},
                {"name": "Confirm Password", "value": str(user_code)},
                {"name": "Relax Password Requirements", "value": "true"}]})
        state.touch()
    return user


def _pcv(pid: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": pid, "name": "Demo user codes", "pluginDescriptorRef": {"id": PCV_DESCRIPTOR},
            "configuration": {"tables": [{"name": "Users", "rows": rows}], "fields": []}}


def _users_table(pcv: dict[str, Any]) -> dict[str, Any]:
    conf = pcv.setdefault("configuration", {})
    tables = conf.setdefault("tables", [])
    for t in tables:
        if t.get("name") == "Users":
            t.setdefault("rows", [])
            return t
    t = {"name": "Users", "rows": []}
    tables.append(t)
    return t


def _row_value(row: dict[str, Any], name: str) -> Any:
    for f in row.get("fields", []):
        if f.get("name") == name:
            return f.get("value")
    return None


def demo_state() -> SimulatorState:
    """A fresh :class:`SimulatorState` holding the demo configuration."""
    st = SimulatorState()
    pf, p1 = st.pf, st.p1
    jwks = json.dumps({"keys": [jose.public_jwk(jose.demo_client_key())]})

    p1.applications[DEMO_APP_ID] = {"id": DEMO_APP_ID, "name": "ciba_kit demo native app", "type": "NATIVE_APP",
                                    "protocol": "OPENID_CONNECT", "enabled": True}
    p1.mfa_policies[DEMO_MFA_POLICY_ID] = {
        "id": DEMO_MFA_POLICY_ID, "name": "Demo CIBA MFA policy", "default": True,
        "authentication": {"deviceSelection": "DEFAULT_TO_FIRST"},
        "mobile": {"enabled": True, "applications": [{
            "id": DEMO_APP_ID,
            "push": {"enabled": True, "numberMatching": {"enabled": False}},
            "pushTimeout": {"duration": 40, "timeUnit": "SECONDS"},
            "pushLimit": {"count": 5, "lockDuration": {"duration": 30, "timeUnit": "MINUTES"},
                          "timePeriod": {"duration": 10, "timeUnit": "MINUTES"}},
            "otp": {"enabled": True}, "autoEnrollment": {"enabled": False},
            "deviceAuthorization": {"enabled": False}}]},
        "sms": {"enabled": False}, "voice": {"enabled": False}, "email": {"enabled": False},
        "totp": {"enabled": False}, "fido2": {"enabled": False},
    }
    p1.template_contents["transaction"] = [dict(c) for c in DEMO_TEMPLATE_CONTENTS]

    pf.oob_plugins[DEMO_AUTHENTICATOR_ID] = {
        "id": DEMO_AUTHENTICATOR_ID, "name": "Demo PingOne MFA CIBA Authenticator",
        "pluginDescriptorRef": {"id": PINGONE_MFA_CIBA_DESCRIPTOR},
        "configuration": {
            "fields": [
                {"name": "PingOne Environment", "value": f"simulator|{p1.environment_id}"},
                {"name": "Application", "value": DEMO_APP_ID},
                {"name": "PingOne Authentication Policy", "value": ""},
                {"name": "MFA Policy for Authentication", "value": DEMO_MFA_POLICY_ID},
                {"name": "Test Username", "value": "alice"},
                {"name": "PingOne Template Name", "value": "transaction"},
                {"name": "PingOne Template Variant", "value": ""},
                {"name": "Client Context", "value": ""},
                {"name": "Messages Files", "value": "pingone-mfa-messages"},
                {"name": "API Request Timeout", "value": "5000"},
                {"name": "Proxy Settings", "value": "System Defaults"},
            ],
            "tables": [{"name": "PingOne Template Variables", "rows": []}],
        },
        "attributeContract": {"coreAttributes": [{"name": "subject"}], "extendedAttributes": []},
    }
    pf.pcvs[DEMO_PCV_ID] = _pcv(DEMO_PCV_ID, [])
    req = {"source": {"type": "REQUEST"}, "value": "IDENTITY_HINT_SUBJECT"}
    pf.request_policies[DEMO_POLICY_ID] = {
        "id": DEMO_POLICY_ID, "name": "Demo CIBA request policy",
        "authenticatorRef": {"id": DEMO_AUTHENTICATOR_ID}, "userCodePcvRef": {"id": DEMO_PCV_ID},
        "transactionLifetime": 120, "allowUnsignedLoginHintToken": False, "requireTokenForIdentityHint": False,
        "alternativeLoginHintTokenIssuers": [],
        "identityHintContract": {"coreAttributes": [{"name": "IDENTITY_HINT_SUBJECT"}], "extendedAttributes": []},
        "identityHintContractFulfillment": {"attributeContractFulfillment": {
            "IDENTITY_HINT_SUBJECT": {"source": {"type": "REQUEST"}, "value": "IDENTITY_HINT_SUBJECT"}}},
        "identityHintMapping": {"attributeContractFulfillment": {
            "USER_KEY": dict(req), "subject": dict(req), "USER_CODE_USER_NAME": dict(req)}},
    }
    pf.ciba_settings = {"defaultRequestPolicyRef": {"id": DEMO_POLICY_ID}}

    secret = {"type": "SECRET"}
    pkj = {"type": "PRIVATE_KEY_JWT", "enforceReplayPrevention": True}
    for doc in (
        _client("demo-poll", "Demo Poll Client", auth=dict(secret)),
        _client("demo-post", "Demo Post Client", auth=dict(secret)),
        _client("demo-ping", "Demo Ping Client", auth=dict(secret), mode="PING",
                cibaNotificationEndpoint=DEMO_PING_ENDPOINT),
        _client("demo-jwt", "Demo JWT Client", auth=dict(pkj), jwksSettings={"jwks": jwks}),
        _client("demo-signed", "Demo Signed-Request Client", auth=dict(pkj), jwksSettings={"jwks": jwks},
                cibaRequireSignedRequests=True, cibaRequestObjectSigningAlgorithm="ES256"),
        _client("demo-nociba", "Demo Client Without CIBA", auth=dict(secret), mode=None,
                grants=["CLIENT_CREDENTIALS"]),
    ):
        pf.clients[doc["clientId"]] = doc
    for cid in ("demo-poll", "demo-post", "demo-ping", "demo-nociba"):
        pf.client_secrets[cid] = f"{cid}-secret"

    add_user_to_state(st, "alice", persona=Persona(approve=1, latency_median_s=2.0, latency_sigma=0.1))
    add_user_to_state(st, "bob", persona=Persona(approve=0, deny=1, latency_median_s=2.0, latency_sigma=0.1))
    add_user_to_state(st, "carol", persona=Persona(approve=0, ignore=1))
    add_user_to_state(st, "dave", persona=Persona(approve=1, latency_median_s=2.0, latency_sigma=0.1),
                      user_code="1234")
    add_user_to_state(st, "frank", persona=None)
    st.version = 1
    return st
