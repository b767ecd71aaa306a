"""The ``ciba-kit`` command: argument parsing only, each subcommand one call into the package.

The commands' behaviour (exit statuses, ``--json`` shapes) is the contract of DESIGN.md; the
work happens in each package's ``commands`` module, imported only when its subcommand runs so
that ``ciba-kit --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

__all__ = ["build_parser", "main"]

#: subcommand -> (module, function) implementing it.
_COMMANDS: dict[str, tuple[str, str]] = {
    "simulate": ("ciba_kit.simulator.commands", "simulate_command"),
    "request": ("ciba_kit.client.commands", "request_command"),
    "run": ("ciba_kit.runs.commands", "run_command"),
    "report": ("ciba_kit.runs.commands", "report_command"),
    "preview": ("ciba_kit.prompts.commands", "preview_command"),
    "setup": ("ciba_kit.setup.commands", "setup_command"),
    "doctor": ("ciba_kit.setup.commands", "doctor_command"),
}


class _Parser(argparse.ArgumentParser):
    """argparse that exits with status 2 and one line (DESIGN.md: 2 = bad usage or config)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"ciba-kit {self.prog.split()[-1]}: error: {message}\n")


def _client_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--issuer", help="issuer URL; without it the embedded simulator is started in-process")
    p.add_argument("--client-id", required=True, help="OAuth client_id (demo: demo-poll, demo-ping, ...)")
    p.add_argument("--client-secret", help="client secret (or CIBA_KIT_CLIENT_SECRET, or .env); never echoed")
    p.add_argument("--auth-method", help="client_secret_basic | client_secret_post | client_secret_jwt | "
                   "private_key_jwt | tls_client_auth | self_signed_tls_client_auth")
    p.add_argument("--private-key", metavar="FILE", help="JWK or PEM private key (private_key_jwt, signed requests)")
    p.add_argument("--scope", default="openid", help="space-separated scopes (default: openid)")
    p.add_argument("--binding-message", help="text shown on both devices")
    p.add_argument("--user-code", help="user code for clients with user-code support")
    p.add_argument("--requested-expiry", type=int, help="requested lifetime of the auth_req_id, seconds")
    p.add_argument("--acr-values", help="space-separated ACR values")
    p.add_argument("--mode", choices=["poll", "ping", "push"], help="token delivery mode (default: the client's)")
    p.add_argument("--notification-endpoint", metavar="URL",
                   help="ping/push: the kit listens at this URL's host, port and path")
    p.add_argument("--sign-request", action="store_true", help="send a signed request object")
    p.add_argument("--timeout", type=float, help="give up after S seconds")
    tls = p.add_mutually_exclusive_group()
    tls.add_argument("--ca-bundle", metavar="FILE", help="CA bundle for TLS verification")
    tls.add_argument("--insecure", action="store_true", help="skip TLS verification / allow http (warns)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _hints(p: argparse.ArgumentParser, *, required: bool) -> None:
    g = p.add_mutually_exclusive_group(required=required)
    g.add_argument("--login-hint", help="user identifier (demo users: alice bob carol dave frank)")
    g.add_argument("--login-hint-token", help="a login_hint_token JWT")
    g.add_argument("--id-token-hint", help="a previously issued ID token")


def build_parser() -> argparse.ArgumentParser:
    """The full ``ciba-kit`` argument parser (DESIGN.md, "Command line")."""
    parser = _Parser(prog="ciba-kit", description="CIBA with PingFederate + PingOne MFA: simulate, "
                     "request, run campaigns, report, preview prompts, set up and diagnose.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("simulate", help="run the embedded PingFederate + PingOne MFA simulator")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9031)
    p.add_argument("--config", metavar="FILE", help="JSON/TOML file overriding the demo configuration")
    p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("request", help="send one CIBA request and follow it to the end")
    _client_options(p)
    _hints(p, required=True)

    p = sub.add_parser("run", help="run a campaign of many flows into a run log")
    _client_options(p)
    pop = p.add_mutually_exclusive_group()
    pop.add_argument("--population", type=int, metavar="N", help="N generated simulator users (persona mix)")
    pop.add_argument("--users", metavar="FILE", help="file of login hints, one per line")
    p.add_argument("--flows", type=int, required=True)
    p.add_argument("--concurrency", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--db", required=True, metavar="FILE", help="SQLite run log (created or appended)")
    p.add_argument("--rate", type=float, metavar="R", help="arrival rate, flows per second (default: as fast "
                   "as the concurrency allows)")
    p.add_argument("--speed", type=float, metavar="F",
                   help="embedded simulator only: run its clock (and the client's) F times faster")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")

    p = sub.add_parser("report", help="statistics, charts and summary.json from a run log")
    p.add_argument("--db", required=True, metavar="FILE")
    p.add_argument("--out", required=True, metavar="DIR")

    p = sub.add_parser("preview", help="render a PingOne push prompt")
    p.add_argument("--template", metavar="FILE", help="PingOne push content JSON")
    p.add_argument("--title")
    p.add_argument("--body")
    p.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                   help="template variable (Velocity source), repeatable")
    p.add_argument("--binding-message")
    p.add_argument("--app-name")
    p.add_argument("--scope")
    p.add_argument("--locale")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true")
    out.add_argument("--html", metavar="FILE", help="write the phone mockup")

    p = sub.add_parser("setup", help="plan, apply or verify a setup profile")
    p.add_argument("action", choices=["plan", "apply", "verify"])
    p.add_argument("--profile", required=True, metavar="FILE")
    p.add_argument("--target", metavar="URL", help="PingFederate/simulator base URL (default: embedded)")

    p = sub.add_parser("doctor", help="explain what is misconfigured")
    p.add_argument("--profile", metavar="FILE")
    p.add_argument("--issuer", action="append", metavar="URL")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ciba-kit`` and ``python -m ciba_kit``; returns the exit status."""
    args = build_parser().parse_args(argv)
    module, func = _COMMANDS[args.command]
    try:
        handler = getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError) as exc:
        print(f"ciba-kit {args.command}: not available in this build ({exc})", file=sys.stderr)
        return 2
    try:
        return int(handler(args))
    except KeyboardInterrupt:
        print(f"ciba-kit {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `ciba-kit request ... | head`: the reader left; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
