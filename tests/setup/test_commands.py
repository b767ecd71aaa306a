"""``ciba-kit setup`` and ``ciba-kit doctor``: output, exit codes, no secrets, no tracebacks."""

from __future__ import annotations

import argparse

import pytest

from ciba_kit.setup.commands import doctor_command, setup_command
from setup_helpers import DEMO_PROFILE, SECRET


def ns(**kw):
    return argparse.Namespace(**kw)


@pytest.fixture
def secret_env(monkeypatch):
    monkeypatch.setenv("CIBA_KIT_DEMO_SECRET", SECRET)


def test_setup_plan_apply_verify_against_a_target(empty_sim, capsys, secret_env):
    args = dict(profile=str(DEMO_PROFILE), target=empty_sim.issuer)
    assert setup_command(ns(action="verify", **args)) == 1  # nothing applied yet: drift
    assert setup_command(ns(action="plan", **args)) == 0
    out = capsys.readouterr().out
    assert "POST /pf-admin-api/v1/oauth/clients" in out and SECRET not in out
    assert '"secret": "***"' in out and '"transactionLifetime": 120' in out
    assert setup_command(ns(action="apply", **args)) == 0
    assert setup_command(ns(action="verify", **args)) == 0
    assert "in sync" in capsys.readouterr().out


def test_setup_without_target_uses_the_embedded_simulator(capsys, monkeypatch):
    monkeypatch.delenv("CIBA_KIT_DEMO_SECRET", raising=False)
    assert setup_command(ns(action="apply", profile=str(DEMO_PROFILE), target=None)) == 0
    out = capsys.readouterr().out
    assert "embedded simulator" in out and "ciba-kit-demo-secret" not in out


def test_setup_bad_profile_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[request_policy]\nid = "p"\nname = "p"\nauthenticator_id = "a"\ntransaction_lifetime = 0\n')
    assert setup_command(ns(action="plan", profile=str(bad), target=None)) == 2
    err = capsys.readouterr().err
    assert "transaction_lifetime" in err and "Traceback" not in err
    assert setup_command(ns(action="plan", profile=str(tmp_path / "none.toml"), target=None)) == 2


def test_setup_refused_change_exit_2(empty_sim, tmp_path, capsys, secret_env):
    text = DEMO_PROFILE.read_text().replace('transaction_lifetime = 120', 'transaction_lifetime = 120\n'
                                                                          'user_code_pcv_id = "ghostPcv"')
    p = tmp_path / "p.toml"
    p.write_text(text)
    assert setup_command(ns(action="apply", profile=str(p), target=empty_sim.issuer)) == 2
    assert "userCodePcvRef.id" in capsys.readouterr().err


def test_setup_unreachable_target_exit_3(capsys, secret_env):
    assert setup_command(ns(action="plan", profile=str(DEMO_PROFILE), target="http://127.0.0.1:9")) == 3


def test_doctor_profile_only(capsys, secret_env):
    assert doctor_command(ns(profile=str(DEMO_PROFILE), issuer=None)) == 0
    assert "doctor (profile 'demo')" in capsys.readouterr().out


def test_doctor_live_issuer(applied_sim, capsys, secret_env):
    assert doctor_command(ns(profile=str(DEMO_PROFILE), issuer=[applied_sim.issuer])) in (0, 1)
    out = capsys.readouterr().out
    assert "discovery" in out and SECRET not in out


def test_doctor_failing_setup_exit_1(empty_sim, tmp_path, capsys, secret_env):
    # An empty simulator: discovery works but there is nothing else to check (no failure).
    assert doctor_command(ns(profile=None, issuer=[empty_sim.issuer])) == 0
    assert "no OAuth client to check" in capsys.readouterr().out
    bad = tmp_path / "nogrant.toml"
    bad.write_text(DEMO_PROFILE.read_text().replace('grant_types = ["CIBA"]', 'grant_types = ["CLIENT_CREDENTIALS"]', 1))
    assert doctor_command(ns(profile=str(bad), issuer=None)) == 1
    assert "FAIL  client.grant" in capsys.readouterr().out
    assert doctor_command(ns(profile=None, issuer=["http://127.0.0.1:9"])) == 3


def test_doctor_embedded(capsys):
    assert doctor_command(ns(profile=None, issuer=None)) == 0
    out = capsys.readouterr().out
    assert "embedded simulator" in out and "e2e.live" in out
