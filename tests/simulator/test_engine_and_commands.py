"""Determinism, bounded state, config files, ``Simulator.start`` contract and ``ciba-kit simulate``."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ciba_kit.protocol.clock import ManualClock
from ciba_kit.protocol.errors import InputError
from ciba_kit.simulator import Persona, Simulator
from ciba_kit.simulator.commands import simulate_command
from ciba_kit.simulator.server import bind_socket

AUTH = ("demo-poll", "demo-poll-secret")
ROOT = Path(__file__).resolve().parents[2]


def _bc(s: Simulator, **data: str) -> httpx.Response:
    return httpx.post(s.issuer + "/as/bc-auth.ciba", data={"scope": "openid", **data}, auth=AUTH)


def _token(s: Simulator, rid: str) -> httpx.Response:
    return httpx.post(s.issuer + "/as/token.oauth2", auth=AUTH,
                      data={"grant_type": "urn:openid:params:grant-type:ciba", "auth_req_id": rid})


def _draws(seed: int) -> list[tuple[str, float]]:
    with Simulator.start(seed=seed, clock=ManualClock()) as s:
        s.add_user("mix", persona=Persona(approve=0.5, deny=0.3, ignore=0.2, latency_median_s=5, latency_sigma=0.8))
        for _ in range(12):
            assert _bc(s, login_hint="mix").status_code == 200
        return [(t.planned, round(t.planned_latency_s or -1, 6)) for t in s.truth()]


def test_same_seed_same_outcomes() -> None:
    a, b, c = _draws(11), _draws(11), _draws(12)
    assert a == b
    assert a != c
    assert {d for d, _ in a} >= {"approve", "deny"}


def test_start_contract_and_repr(sim) -> None:
    assert sim.issuer.startswith("http://127.0.0.1:")
    assert sim.admin_url == sim.issuer + "/pf-admin-api/v1"
    assert sim.pingone_url == sim.issuer + "/pingone/v1"
    assert "running" in repr(sim) and "secret" not in repr(sim)
    assert sim.state.pf.clients["demo-poll"]["cibaDeliveryMode"] == "POLL"
    assert httpx.get(sim.issuer + "/sim/health").json()["ok"] is True


def test_context_manager_stops() -> None:
    with Simulator.start() as s:
        url = s.issuer
    assert not s.running
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/sim/health", timeout=1)


def test_manual_clock_lazy_settlement_and_retention() -> None:
    clock = ManualClock()
    with Simulator.start(clock=clock) as s:
        rid = _bc(s, login_hint="alice", requested_expiry="10").json()["auth_req_id"]
        assert _token(s, rid).json()["error"] == "authorization_pending"
        clock.advance(3)  # alice answers after ~2 clock seconds
        assert _token(s, rid).status_code == 200
        old = _bc(s, login_hint="frank", requested_expiry="10").json()["auth_req_id"]
        clock.advance(10 + s.state.sim.retention_s + 1)
        _bc(s, login_hint="alice")  # any new request sweeps dropped transactions
        assert _token(s, old).json()["error"] == "invalid_grant"   # dropped after the grace period
        assert s.truth(old).outcome == "expired"                      # but its ground truth stays
        assert s.engine.lookup(old) is None


def test_truth_is_bounded() -> None:
    with Simulator.start({"settings": {"truth_limit": 5}}, clock=ManualClock()) as s:
        for _ in range(8):
            _bc(s, login_hint="alice")
        assert len(s.truth()) == 5
        assert [t.seq for t in s.truth()] == [4, 5, 6, 7, 8]


def test_add_user_and_locale() -> None:
    with Simulator.start(clock=ManualClock()) as s:
        s.add_user("ren", persona=None, user_code="77", locale="fr")
        assert _bc(s, login_hint="ren").json()["error"] == "missing_user_code"
        assert _bc(s, login_hint="ren", user_code="77").status_code == 200
        p = s.devices.pending("ren")[0]
        assert p.locale == "fr" and p.manual
        s.devices.approve("ren")
        with pytest.raises(InputError):
            s.devices.approve("ren")


def test_config_file_json_and_toml(tmp_path: Path) -> None:
    cfg = {"settings": {"push_timeout_result": "pending"},
           "clients": [{"clientId": "cfg-app", "clientAuth": {"type": "SECRET", "secret": "cfg-secret"},
                        "cibaPollingInterval": 7, "requestPolicyRef": {"id": "demo-ciba-policy"}}],
           "users": [{"username": "erin", "persona": {"approve": 1}}]}
    path = tmp_path / "sim.json"
    path.write_text(json.dumps(cfg))
    with Simulator.start(path) as s:
        assert s.state.sim.push_timeout_result == "pending"
        assert "cfg-secret" not in json.dumps(s.state.pf.clients["cfg-app"])
        r = httpx.post(s.issuer + "/as/bc-auth.ciba", auth=("cfg-app", "cfg-secret"),
                       data={"scope": "openid", "login_hint": "erin"})
        assert r.json()["interval"] == 7
    toml = tmp_path / "sim.toml"
    toml.write_text('[settings]\nbinding_message_pattern = "^.{1,5}$"\n\n[[users]]\nusername = "tom"\n')
    with Simulator.start(toml) as s:
        assert _bc(s, login_hint="tom", binding_message="123456").json()["error"] == "invalid_binding_message"
        assert s.devices is not None


@pytest.mark.parametrize("content,needle", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "top level must be an object"),
    ('{"bogus": 1}', "unknown config key"),
    ('{"settings": {"push_timeout_result": "maybe"}}', "push_timeout_result"),
    ('{"settings": {"truth_limit": "many"}}', "truth_limit"),
    ('{"clients": [{"name": "x"}]}', "clientId"),
    ('{"users": [{"username": "x", "persona": {"approve": -1}}]}', "approve"),
])
def test_bad_config_is_one_clear_error(tmp_path: Path, capsys, content: str, needle: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    rc = simulate_command(argparse.Namespace(host="127.0.0.1", port=0, config=str(path), seed=0))
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err


def test_missing_config_file(capsys) -> None:
    assert simulate_command(argparse.Namespace(host="127.0.0.1", port=0, config="/nope.json", seed=0)) == 2
    assert "file not found" in capsys.readouterr().err


def test_port_in_use_is_one_clear_error(capsys) -> None:
    sock = bind_socket("127.0.0.1", 0)
    try:
        port = sock.getsockname()[1]
        rc = simulate_command(argparse.Namespace(host="127.0.0.1", port=port, config=None, seed=0))
    finally:
        sock.close()
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and str(port) in err and "Traceback" not in err


def test_simulate_runs_in_the_foreground_until_interrupted() -> None:
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    sock.close()
    code = ("import argparse, sys; from ciba_kit.simulator.commands import simulate_command; "
            f"sys.exit(simulate_command(argparse.Namespace(host='127.0.0.1', port={port}, config=None, seed=3)))")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line
        deadline = time.monotonic() + 10
        while True:
            try:
                d = httpx.get(f"http://127.0.0.1:{port}/.well-known/openid-configuration").json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert d["issuer"] == f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


@pytest.mark.parametrize("look_at", [[], [1.5], [1.5, 2.5]])
def test_expiry_before_the_answer_is_the_same_whoever_looks(look_at: list[float]) -> None:
    clock = ManualClock()
    with Simulator.start(clock=clock) as s:
        rid = _bc(s, login_hint="alice", requested_expiry="1").json()["auth_req_id"]
        t0 = clock.monotonic()
        for t in look_at:  # intermediate looks must not change the history
            clock.advance(t0 + t - clock.monotonic())
            s.truth(rid)
        clock.advance(t0 + 5 - clock.monotonic())
        assert _token(s, rid).json()["error"] == "expired_token"
        t = s.truth(rid)
        assert (t.outcome, t.decision, t.device_status) == ("expired", None, "EXPIRED")
