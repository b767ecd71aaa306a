"""Contract fulfillment (request policy -> authenticator -> prompt) and language packs on the phones."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ciba_kit.protocol.clock import ScaledClock
from ciba_kit.protocol.errors import InputError
from ciba_kit.simulator import Simulator
from ciba_kit.simulator.demo import DEMO_AUTHENTICATOR_ID, demo_state
from ciba_kit.simulator.fulfillment import RequestFacts, compile_fulfillment


def _b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any]) -> str:
    return f"{_b64({'alg': 'none'})}.{_b64(claims)}."


def src(kind: str, value: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"source": {"type": kind}}
    if value is not None:
        out["value"] = value
    return out


EXTENDED = ["amount", "mail", "client", "ip", "note", "calc", "skipped"]


def contract_config(**settings: Any) -> dict[str, Any]:
    """The demo plus a policy whose fulfillment uses every source type, and a client on it."""
    auth = copy.deepcopy(demo_state().pf.oob_plugins[DEMO_AUTHENTICATOR_ID])
    auth["id"] = "contractAuth"
    auth["attributeContract"]["extendedAttributes"] = [{"name": n} for n in EXTENDED]
    fields = {f["name"]: f for f in auth["configuration"]["fields"]}
    fields["PingOne Template Variant"]["value"] = "contract"
    rows = {"line": "$attributes.amount|$attributes.mail|$attributes.client|$attributes.note|$attributes.subject",
            "greet": '$messages.format("ciba.greeting", $attributes.subject)'}
    auth["configuration"]["tables"] = [{"name": "PingOne Template Variables", "rows": [
        {"defaultRow": False, "fields": [{"name": "PingOne Template Variable Name", "value": k},
                                         {"name": "PingOne Template Variable Value", "value": v}]}
        for k, v in rows.items()]}]
    hint = src("REQUEST", "IDENTITY_HINT_SUBJECT")
    policy = {
        "id": "contractPolicy", "name": "Contract policy", "authenticatorRef": {"id": "contractAuth"},
        "transactionLifetime": 120, "allowUnsignedLoginHintToken": True,
        "identityHintContract": {"coreAttributes": [{"name": "IDENTITY_HINT_SUBJECT"}],
                                 "extendedAttributes": [{"name": "login_hint_token.attrs.mail"}]},
        "identityHintMapping": {"attributeContractFulfillment": {
            "USER_KEY": hint, "subject": hint,
            "amount": src("TEXT", "42.00"),
            "mail": src("REQUEST", "login_hint_token.attrs.mail"),
            "client": src("CONTEXT", "ClientId"),
            "ip": src("CONTEXT", "ClientIp"),
            "note": src("REQUEST", "binding_message"),
            "calc": src("EXPRESSION", "#this.get('x')"),
            "skipped": src("NO_MAPPING"),
            "notInContract": src("TEXT", "must not reach the authenticator"),
        }},
    }
    contents = [
        {"deliveryMethod": "Push", "locale": "en", "variant": "contract", "title": "${greet}", "body": "${line}"},
        {"deliveryMethod": "Push", "locale": "fr", "variant": "contract", "title": "${greet}", "body": "${line}"},
    ]
    return {
        "settings": settings,
        "outOfBandAuthPlugins": [auth], "requestPolicies": [policy],
        "clients": [{"clientId": "c-contract", "name": "Contract Client", "grantTypes": ["CIBA"],
                     "clientAuth": {"type": "SECRET", "secret": "c-contract-secret"}, "cibaPollingInterval": 2,
                     "requestPolicyRef": {"id": "contractPolicy"}}],
        "templateContents": {"transaction": [*demo_state().p1.template_contents["transaction"], *contents]},
        "users": [{"username": "mia", "persona": None}, {"username": "remy", "persona": None, "locale": "fr"}],
    }


@pytest.fixture(scope="module")
def csim() -> Iterator[Simulator]:
    s = Simulator.start(contract_config(language_packs_dir="demo"), seed=3, clock=ScaledClock(20))
    try:
        yield s
    finally:
        s.stop()


def bc(sim: Simulator, **params: Any) -> httpx.Response:
    data = {"scope": "openid", **params}
    return httpx.post(sim.issuer + "/as/bc-auth.ciba", data=data, auth=("c-contract", "c-contract-secret"))


def test_every_source_type_reaches_the_authenticator_as_documented(csim: Simulator) -> None:
    token = unsigned({"sub": "mia", "attrs": {"mail": "mia@bank.example"}})
    r = bc(csim, login_hint_token=token, binding_message="TX-1")
    assert r.status_code == 200, r.text
    truth = csim.truth(r.json()["auth_req_id"])
    assert truth.contract_attributes == {"subject": "mia", "amount": "42.00", "mail": "mia@bank.example",
                                         "client": "c-contract", "ip": "127.0.0.1", "note": "TX-1"}
    assert "notInContract" not in truth.contract_attributes  # only the authenticator's contract
    assert sum("EXPRESSION" in w and "'calc'" in w for w in truth.warnings) == 1
    prompt = csim.devices.wait_for_prompt("mia")
    assert prompt.body == "42.00|mia@bank.example|c-contract|TX-1|mia"
    csim.devices.deny(prompt.id)


def test_a_missing_request_attribute_is_absent_and_reported(csim: Simulator) -> None:
    r = bc(csim, login_hint="mia")  # no login_hint_token (no mail claim), no binding_message
    assert r.status_code == 200, r.text
    truth = csim.truth(r.json()["auth_req_id"])
    assert "mail" not in truth.contract_attributes and "note" not in truth.contract_attributes
    assert any("'mail'" in w and "not found" in w for w in truth.warnings)
    prompt = csim.devices.wait_for_prompt("mia")
    # Velocity leaves an unresolved reference visible, so the gap shows on the phone.
    assert prompt.body.startswith("42.00|$attributes.mail|c-contract|")
    csim.devices.deny(prompt.id)


def test_language_pack_messages_follow_the_users_locale(csim: Simulator) -> None:
    r = bc(csim, login_hint="mia", binding_message="LP1")
    csim.devices.deny(csim.devices.wait_for_prompt("mia").id)
    r2 = bc(csim, login_hint="remy", binding_message="LP2")
    assert r.status_code == r2.status_code == 200
    fr = csim.devices.wait_for_prompt("remy")
    assert fr.title == "Bonjour remy, vérifiez le code"
    csim.devices.deny(fr.id)
    en = [t for t in csim.truth() if t.binding_message == "LP1"][0]
    assert en.contract_attributes["subject"] == "mia"


def test_english_message_from_the_base_bundle(csim: Simulator) -> None:
    bc(csim, login_hint="mia", binding_message="LP3")
    p = csim.devices.wait_for_prompt("mia")
    assert p.title == "Hello mia"
    csim.devices.deny(p.id)


def test_without_language_packs_messages_stay_visible() -> None:
    with Simulator.start(contract_config(), clock=ScaledClock(20)) as s:
        assert bc(s, login_hint="mia", binding_message="LP4").status_code == 200
        p = s.devices.wait_for_prompt("mia")
        assert p.title.startswith("$messages.format")  # empty pack: the reference is left as typed
        s.devices.deny(p.id)


def test_a_language_pack_directory_and_messages_files_field(tmp_path: Path) -> None:
    (tmp_path / "bank-messages.properties").write_text("ciba.greeting=Welcome {0}\n", encoding="utf-8")
    cfg = contract_config(language_packs_dir=str(tmp_path))
    fields = cfg["outOfBandAuthPlugins"][0]["configuration"]["fields"]
    next(f for f in fields if f["name"] == "Messages Files")["value"] = "bank-messages"
    with Simulator.start(cfg, clock=ScaledClock(20)) as s:
        bc(s, login_hint="mia", binding_message="LP5")
        p = s.devices.wait_for_prompt("mia")
        assert p.title == "Welcome mia"
        s.devices.deny(p.id)
        # A Messages Files name the directory lacks: empty pack and a warning, never a failure.
        with s.state.lock:
            next(f for f in s.state.pf.oob_plugins["contractAuth"]["configuration"]["fields"]
                 if f["name"] == "Messages Files")["value"] = "nope-messages"
            s.state.touch()
        r = bc(s, login_hint="mia", binding_message="LP6")
        assert r.status_code == 200
        assert any("nope-messages" in w for w in s.truth(r.json()["auth_req_id"]).warnings)
        s.devices.deny(s.devices.wait_for_prompt("mia").id)


def test_a_bad_language_packs_dir_is_refused_at_load(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        Simulator.create({"settings": {"language_packs_dir": str(tmp_path / "missing")}})
    assert info.value.field == "settings.language_packs_dir"


def test_subject_fulfilled_from_a_hint_claim_picks_the_users_phone() -> None:
    cfg = contract_config()
    acf = cfg["requestPolicies"][0]["identityHintMapping"]["attributeContractFulfillment"]
    acf["subject"] = src("REQUEST", "login_hint_token.attrs.user")
    cfg["requestPolicies"][0]["identityHintContract"]["extendedAttributes"].append({"name": "login_hint_token.attrs.user"})
    with Simulator.start(cfg, clock=ScaledClock(20)) as s:
        r = bc(s, login_hint_token=unsigned({"sub": "customer-77", "attrs": {"user": "remy"}}), binding_message="S1")
        assert r.status_code == 200, r.text
        p = s.devices.wait_for_prompt("remy")
        assert s.truth(r.json()["auth_req_id"]).user == "remy"
        s.devices.deny(p.id)


def test_compile_fulfillment_pure() -> None:
    policy = contract_config()["requestPolicies"][0]
    auth = {"attributeContract": {"extendedAttributes": [{"name": "amount"}, {"name": "scope"}, {"name": "ghost"}]}}
    policy["identityHintMapping"]["attributeContractFulfillment"]["scope"] = src("CONTEXT", "Scope")
    policy["identityHintMapping"]["attributeContractFulfillment"]["ldap"] = src("LDAP_DATA_STORE", "cn")
    f = compile_fulfillment(policy, auth)
    assert f.contract == ("subject", "amount", "scope", "ghost")
    assert any("'ghost'" in w and "no fulfillment" in w for w in f.warnings)
    facts = RequestFacts(params={"acr_values": "x"}, hint_name="login_hint", hint_subject="ann", hint_claims=None,
                         client_id="c", client_ip=None, scopes=["openid", "email"])
    values, _ = f.evaluate(facts)
    assert f.for_authenticator(values) == {"subject": "ann", "amount": "42.00", "scope": "openid email"}
    assert values["USER_KEY"] == "ann"


def test_policy_without_a_mapping_still_passes_the_subject() -> None:
    f = compile_fulfillment({"id": "p"}, None)
    values, warnings = f.evaluate(RequestFacts(params={}, hint_name="login_hint", hint_subject="bo", hint_claims=None,
                                               client_id="c", client_ip=None, scopes=["openid"]))
    assert (f.for_authenticator(values), warnings) == ({"subject": "bo"}, [])
