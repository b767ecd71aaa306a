"""``ciba-kit request``: exit statuses, --json fields, embedded simulator, no secret on screen."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ciba_kit.cli import build_parser
from ciba_kit.client.commands import cli_message, request_command
from ciba_kit.protocol import jose
from ciba_kit.protocol.errors import InputError
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


def test_sign_request_without_key_names_the_cli_flag(capsys) -> None:
    # A secret-auth client has no key to sign with: the command line's option is --private-key.
    code, _, err = run(["--client-id", "demo-poll", "--login-hint", "alice", "--sign-request"], capsys)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("ciba-kit request: error: --private-key:") and "request_signing_key" not in err


def test_sign_request_with_secret_client_signs_with_private_key_file(capsys, tmp_path) -> None:
    key = jose.demo_client_key()
    private = tmp_path / "key.json"
    private.write_text(json.dumps(dict(key.as_dict(private=True))))
    code, out, err = run(["--client-id", "demo-poll", "--login-hint", "alice", "--sign-request", "--private-key",
                          str(private), "--json"], capsys)
    d = json.loads(out)
    # The request went out signed (demo-poll has no JWKS, so the simulator refuses the request object).
    assert code == 1 and d["events"][0]["detail"] == "poll, signed" and d["error"] == "invalid_request_object", err
    public = tmp_path / "public.json"
    public.write_text(json.dumps(jose.public_jwk(key)))
    code, _, err = run(["--client-id", "demo-poll", "--login-hint", "alice", "--sign-request", "--private-key",
                        str(public)], capsys)
    assert code == 2 and err.startswith("ciba-kit request: error: --private-key: the key has no private part")


def test_bad_option_values_exit_2_naming_the_flag(capsys, tmp_path) -> None:
    binary = tmp_path / "key.der"
    binary.write_bytes(b"\x30\x82\xff\xfe\x00")
    cases = [
        (["--client-id", "demo-jwt", "--private-key", str(tmp_path)], "--private-key"),  # a directory
        (["--client-id", "demo-jwt", "--private-key", str(binary)], "--private-key"),  # not text
        (["--client-id", "demo-ping", "--notification-endpoint", "http://127.0.0.1:99999/cb"], "--notification-endpoint"),
        (["--issuer", "http://127.0.0.1:99999", "--client-id", "x", "--client-secret", "s"], "--issuer"),
        (["--issuer", "http://[::1", "--client-id", "x", "--client-secret", "s"], "--issuer"),
        (["--client-id", "demo-poll", "--auth-method", "tls_client_auth"], "--auth-method"),
        (["--client-id", "demo-poll", "--timeout", "-1"], "--timeout"),
    ]
    for argv, flag in cases:
        code, out, err = run([*argv, "--login-hint", "alice"], capsys)
        assert code == 2 and err.startswith(f"ciba-kit request: error: {flag}:"), (argv, err)
        assert err.count("\n") == 1 and "Traceback" not in err and out == "", (argv, err)


def test_cli_message_maps_library_fields_to_flags() -> None:
    args = build_parser().parse_args(["request", "--client-id", "x", "--login-hint", "alice"])
    assert cli_message(InputError("private_key", "bad", "fix it"), args) == "--private-key: bad — fix it"
    assert cli_message(InputError("request_signing_key", "bad"), args) == "--private-key: bad"
    assert cli_message(InputError("notification_endpoint", "bad", "f"), args) == "--notification-endpoint: bad — f"
    # Not a command-line option, already a flag, or not an InputError: unchanged.
    assert cli_message(InputError("auth", "bad", "f"), args) == "auth: bad — f"
    assert cli_message(InputError("--client-id", "bad"), args) == "--client-id: bad"
    assert cli_message(ValueError("plain"), args) == "plain"
