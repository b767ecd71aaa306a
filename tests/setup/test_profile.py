"""Profiles: the demo loads, bad profiles give every problem at once, secrets never leak."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ciba_kit.protocol.errors import InputError
from ciba_kit.setup import SetupProfile, SetupValidationError

from setup_helpers import DEMO_PROFILE, ENV, SECRET


def write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


BASE = """
name = "t"
[application]
name = "app"
[mfa_policy]
name = "mfa"
[[mfa_policy.applications]]
application = "app"
push_timeout = {push_timeout}
[authenticator]
id = "auth1"
name = "Auth"
[request_policy]
id = "pol1"
name = "Pol"
authenticator_id = "auth1"
transaction_lifetime = {lifetime}
[[clients]]
client_id = "c1"
name = "C1"
ciba_user_code_supported = {user_code}
[clients.client_auth]
type = "SECRET"
secret_env = "T_SECRET"
"""


def test_demo_profile_loads_with_defaults(profile):
    assert profile.name == "demo" and profile.ik_version == "4.0"
    assert profile.authenticator.application == "ciba_kit native app"
    assert profile.authenticator.environment.endswith("|00000000-0000-4000-8000-000000000001")
    assert profile.settings.default_request_policy_id == "cibaKitPolicy"
    assert [t.locale for t in profile.templates] == ["en", "fr"]
    assert profile.clients[0].client_auth.secret.reveal() == SECRET
    assert profile.mfa_policy.applications[0].push_timeout == 120


def test_secrets_are_masked_and_never_written(profile, tmp_path):
    assert SECRET not in repr(profile)
    assert SECRET not in repr(profile.clients)
    dumped = json.dumps(profile.to_dict())
    assert SECRET not in dumped and "CIBA_KIT_DEMO_SECRET" in dumped
    out = profile.save_json(tmp_path / "p.json")
    again = SetupProfile.load(out, env=ENV)
    assert again.to_dict() == profile.to_dict()


def test_json_profile(tmp_path):
    data = {"name": "j", "application": {"name": "a"}}
    prof = SetupProfile.load(write(tmp_path, json.dumps(data), "p.json"))
    assert prof.application.name == "a"


def test_many_problems_are_listed_at_once(tmp_path):
    p = write(tmp_path, BASE.format(push_timeout=30, lifetime=5000, user_code="true"))
    with pytest.raises(SetupValidationError) as info:
        SetupProfile.load(p, env={"T_SECRET": "x"})
    fields = [e.field for e in info.value.errors]
    assert "mfa_policy.applications[0].push_timeout" in fields
    assert "request_policy.transaction_lifetime" in fields
    assert "clients[0].ciba_user_code_supported" in fields
    text = str(info.value)
    assert "40-150 seconds" in text and "1-3600" in text and "User Code PCV" in text
    assert "Push Timeout" in text and "Transaction Lifetime" in text
    assert isinstance(info.value, InputError)


def test_valid_base_profile(tmp_path):
    prof = SetupProfile.load(write(tmp_path, BASE.format(push_timeout=60, lifetime=60, user_code="false")),
                             env={"T_SECRET": "x"})
    assert prof.request_policy.transaction_lifetime == 60


def test_missing_secret_env_names_the_variable(tmp_path):
    p = write(tmp_path, BASE.format(push_timeout=60, lifetime=60, user_code="false"))
    with pytest.raises(SetupValidationError) as info:
        SetupProfile.load(p, env={})
    (err,) = info.value.errors
    assert err.field == "clients[0].client_auth.secret_env" and "T_SECRET is not set" in str(err)


@pytest.mark.parametrize("extra,field,words", [
    ('[pingone]\nworker_secret = "x"\n', "pingone.worker_secret", "never written"),
    ('[pingfederate]\npassword = "x"\n', "pingfederate.password", "never written"),
    ('[application]\nname = "a"\ncolour = "red"\n', "application.colour", "unknown key"),
    ('[request_policy]\nid = "p"\nname = "p"\nauthenticator_id = "a"\ntransaction_lifetime = "120"\n',
     "request_policy.transaction_lifetime", "whole number"),
    ('[request_policy]\nid = "p"\nname = "p"\n', "request_policy.authenticator_id", "required"),
    ('[[templates]]\ntitle = "t"\nbody = "b"\nlocale = "not a locale"\n', "templates[0].locale", "locale"),
    ('ik_version = "5"\n', "ik_version", "'3.x' or '4.0'"),
])
def test_bad_keys_and_values(tmp_path, extra, field, words):
    with pytest.raises(SetupValidationError) as info:
        SetupProfile.load(write(tmp_path, extra))
    err = next(e for e in info.value.errors if e.field == field)
    assert words in str(err)


def test_client_secret_in_profile_is_refused(tmp_path):
    text = '[[clients]]\nclient_id = "c"\nname = "c"\n[clients.client_auth]\ntype = "SECRET"\nsecret = "oops-secret"\n'
    with pytest.raises(SetupValidationError) as info:
        SetupProfile.load(write(tmp_path, text))
    assert "oops-secret" not in str(info.value)
    assert any(e.field == "clients[0].client_auth.secret" for e in info.value.errors)


def test_cross_references(tmp_path):
    text = BASE.format(push_timeout=60, lifetime=60, user_code="false").replace(
        'authenticator_id = "auth1"', 'authenticator_id = "other"').replace(
        'application = "app"', 'application = "nope"')
    with pytest.raises(SetupValidationError) as info:
        SetupProfile.load(write(tmp_path, text), env={"T_SECRET": "x"})
    fields = {e.field for e in info.value.errors}
    assert {"request_policy.authenticator_id", "mfa_policy.applications[0].application"} <= fields


def test_unfulfilled_extended_attribute(tmp_path):
    text = BASE.format(push_timeout=60, lifetime=60, user_code="false").replace(
        'name = "Auth"', 'name = "Auth"\nextended_attributes = ["amount"]')
    with pytest.raises(SetupValidationError) as info:
        SetupProfile.load(write(tmp_path, text), env={"T_SECRET": "x"})
    (err,) = info.value.errors
    assert err.field == "request_policy.fulfillment.amount" and "Contract Fulfillment" in str(err)


def test_file_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        SetupProfile.load(tmp_path / "missing.toml")
    with pytest.raises(InputError, match="not valid TOML"):
        SetupProfile.load(write(tmp_path, "name = \n"))
    with pytest.raises(InputError, match="not valid JSON"):
        SetupProfile.load(write(tmp_path, "{", "p.json"))


def test_demo_profile_file_exists():
    assert DEMO_PROFILE.is_file()
