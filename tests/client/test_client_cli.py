"""``ciba-kit request``: exit statuses, --json fields, embedded simulator, no secret on screen."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ciba_kit.cli import build_parser
from ciba_kit.client.commands import request_command
from ciba_kit.simulator import Simulator

pytestmark = pytest.mark.timeout(90)


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    args = build_parser().parse_args(["request", *argv])
    code = request_command(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_embedded_simulator_approved_json(capsys) -> None:
    code, out, err = run(["--client-id", "demo-poll", "--login-hint", "alice", "--binding-message", "CLI1",
                          "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    for key in ("outcome", "error", "error_description", "expires_in", "interval", "polls", "slow_downs", "mode",
                "latency_s", "id_token_claims", "events"):
        assert key in d
    assert d["outcome"] == "approved" and d["mode"] == "poll" and d["interval"] == 2
    assert set(d["latency_s"]) >= {"ack", "decision", "total"} and d["id_token_claims"]["sub"] == "alice"
    assert "demo-poll-secret" not in out + err


def test_denied_is_exit_1_and_human_output(capsys) -> None:
    code, out, err = run(["--client-id", "demo-post", "--login-hint", "bob"], capsys)
    assert code == 1 and "outcome: denied" in out and "access_denied" in out


def test_error_with_hint_exit_1(capsys) -> None:
    code, out, _ = run(["--client-id", "demo-nociba", "--login-hint", "alice", "--json"], capsys)
    d = json.loads(out)
    assert code == 1 and d["error"] == "unauthorized_client" and "CIBA" in d["hint"]


def test_bad_usage_exit_2_one_line(capsys) -> None:
    code, out, err = run(["--client-id", "no-such-client", "--login-hint", "alice"], capsys)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    code, _, err = run(["--client-id", "demo-poll", "--login-hint", "alice", "--scope", "profile"], capsys)
    assert code == 2 and "scope" in err
    code, _, err = run(["--issuer", "http://example.com", "--client-id", "x", "--client-secret", "topsecret-1",
                        "--login-hint", "alice"], capsys)
    assert code == 2 and "topsecret-1" not in err and err.count("\n") == 1


def test_transport_failure_exit_3(capsys) -> None:
    code, _, err = run(["--issuer", "http://127.0.0.1:1", "--client-id", "x", "--client-secret", "s",
                        "--login-hint", "alice"], capsys)
    assert code == 3 and "cannot connect" in err and err.count("\n") == 1


def test_private_key_jwt_signed_with_demo_key(capsys) -> None:
    code, out, err = run(["--client-id", "demo-signed", "--login-hint", "alice", "--sign-request", "--json"], capsys)
    assert code == 0, out + err


def test_external_issuer_with_secret_from_env(capsys, monkeypatch) -> None:
    monkeypatch.setenv("CIBA_KIT_CLIENT_SECRET", "demo-poll-secret")
    with Simulator.start() as sim:
        code, out, err = run(["--issuer", sim.issuer, "--client-id", "demo-poll", "--login-hint", "nobody",
                              "--json"], capsys)
    assert code == 1 and json.loads(out)["error"] == "unknown_user_id" and "demo-poll-secret" not in out + err


def test_ping_mode_listens_at_notification_endpoint(capsys) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    code, out, err = run(["--client-id", "demo-ping", "--login-hint", "nobody", "--notification-endpoint",
                          f"http://127.0.0.1:{port}/ciba/cb", "--json"], capsys)
    d = json.loads(out)
    assert code == 1 and d["mode"] == "ping" and d["error"] == "unknown_user_id"


def test_python_dash_m_entry_point() -> None:
    p = subprocess.run([sys.executable, "-m", "ciba_kit", "request", "--client-id", "demo-nociba",
                        "--login-hint", "alice", "--json"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p.stderr
    assert json.loads(p.stdout)["outcome"] == "error"
