"""``ciba-kit setup plan|apply|verify --profile FILE [--target URL]`` and ``ciba-kit doctor``.

Without ``--target`` / ``--issuer`` the embedded simulator (demo configuration) is started
in-process and used; only this glue module may start it. Client secrets a profile names by
``secret_env`` default to ``ciba-kit-demo-secret`` when unset *and* the target is the embedded
simulator (it accepts any secret it is given; a real target never gets a default).

Exit status: ``setup``: 0 done (``verify``: in sync), 1 ``verify`` found drift, 2 bad profile or a
refused change, 3 transport or protocol failure. ``doctor``: 0 no failing check, 1 a check
failed, 2 bad usage, 3 transport failure.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

from ..protocol.errors import InputError, ProtocolError, TransportError
from .api import PingFederateApiError, PingOneApiError
from .doctor import doctor
from .plan import SetupApplyError, apply_setup, plan_setup, verify_setup
from .profile import SetupProfile

__all__ = ["setup_command", "doctor_command", "DEMO_CLIENT_SECRETS", "EMBEDDED_DEFAULT_SECRET"]

#: The demo configuration's client secrets (DESIGN.md; demo only).
DEMO_CLIENT_SECRETS = {"demo-poll": "demo-poll-secret", "demo-post": "demo-post-secret",
                       "demo-ping": "demo-ping-secret", "demo-nociba": "demo-nociba-secret"}
EMBEDDED_DEFAULT_SECRET = "ciba-kit-demo-secret"


# Exit status 2: a bad profile or input, or a change the product refused (an Admin API / PingOne
# error answer); 3: the product could not be reached or answered nonsense.
_USAGE_ERRORS = (InputError, SetupApplyError, PingFederateApiError, PingOneApiError)
_TRANSPORT_ERRORS = (TransportError, ProtocolError)


def _embedded_env(path: str) -> dict[str, str]:
    env = dict(os.environ)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return env
    for name in re.findall(r'secret_env"?\s*[=:]\s*"([A-Za-z_][A-Za-z0-9_]*)"', text):
        env.setdefault(name, EMBEDDED_DEFAULT_SECRET)
    return env


def _start_simulator() -> Any:
    from ..simulator import Simulator  # glue only: the setup package itself never imports the simulator

    return Simulator.start()


def _err(cmd: str, exc: BaseException) -> None:
    print(f"ciba-kit {cmd}: {exc}", file=sys.stderr)


def setup_command(args: argparse.Namespace) -> int:
    """Run ``ciba-kit setup`` (see the module docstring for exit codes)."""
    action = getattr(args, "action", None)
    path = getattr(args, "profile", None)
    target = getattr(args, "target", None)
    if action not in ("plan", "apply", "verify") or not path:
        _err("setup", InputError("action", f"unknown action {action!r}", "use plan, apply or verify --profile FILE"))
        return 2
    sim = None
    try:
        profile = SetupProfile.load(path, env=None if target else _embedded_env(path))
        if target is None:
            sim = _start_simulator()
            print("target: embedded simulator (demo configuration; changes end with this command)")
        run = {"plan": plan_setup, "apply": apply_setup, "verify": verify_setup}[action]
        result = run(profile, sim if sim is not None else target)
        # A dry run shows the exact bodies it would send (secrets masked).
        print(result.format(bodies=action == "plan"))
        if action == "verify" and not result.in_sync:
            return 1
        return 0
    except _USAGE_ERRORS as exc:
        _err("setup", exc)
        return 2
    except _TRANSPORT_ERRORS as exc:
        _err("setup", exc)
        return 3
    finally:
        if sim is not None:
            sim.stop()


def doctor_command(args: argparse.Namespace) -> int:
    """Run ``ciba-kit doctor`` (see the module docstring for exit codes).

    ``--issuer`` (repeatable): check each live issuer (a loopback issuer is read as a simulator:
    its Admin API and PingOne stand-in too). ``--profile`` alone: check the profile's documents.
    Neither: start the embedded demo simulator and check it live.
    """
    path = getattr(args, "profile", None)
    issuers = list(getattr(args, "issuer", None) or [])
    sim = None
    try:
        profile = SetupProfile.load(path) if path else None
        if not issuers and profile is None:
            sim = _start_simulator()
            print("target: embedded simulator (demo configuration)")
            reports = [doctor(target=sim, client_secrets=DEMO_CLIENT_SECRETS)]
        elif not issuers:
            reports = [doctor(profile)]
        else:
            reports = [doctor(profile, issuer=iss) for iss in issuers]
        for r in reports:
            print(r)
        return 0 if all(r.ok for r in reports) else 1
    except _USAGE_ERRORS as exc:
        _err("doctor", exc)
        return 2
    except _TRANSPORT_ERRORS as exc:
        _err("doctor", exc)
        return 3
    finally:
        if sim is not None:
            sim.stop()
