"""``ciba-kit run`` and ``ciba-kit report`` (DESIGN.md "Command line").

Command-line glue: this is the one runs/ module allowed to start the embedded simulator. Without
``--issuer`` it starts it in-process with the demo configuration; ``--population N`` then adds N
generated users with the seeded default persona mix. Against a real ``--issuer`` the users come
from ``--users FILE`` (login hints, one a line).

Ping / push: the kit listens at ``--notification-endpoint``. Against the embedded simulator
without it, the receiver takes a free loopback port and the client's ``cibaNotificationEndpoint``
is re-pointed there through the Admin API (so demo-ping never needs port 9032); against a real
issuer it defaults to ``http://127.0.0.1:9032/cb``, which must be the registered endpoint.

Optional attributes read from ``args`` when present (the parser may add flags for them):
``rate`` (arrivals per second), ``speed`` (embedded simulator only: ScaledClock factor shared by
simulator and client, e.g. 20), ``progress`` (False to hide the bar).

Exit status: 0 the campaign ran to its end (whatever the outcomes); 2 bad usage or config;
3 transport or protocol failure before the campaign could start; 130 interrupted (every
finished flow is in the log, in-flight ones are recorded as cancelled).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import warnings
from contextlib import ExitStack
from typing import Any

from ciba_kit.protocol.clock import SYSTEM_CLOCK, Clock, ScaledClock
from ciba_kit.protocol.constants import DeliveryMode
from ciba_kit.protocol.errors import CibaError, DiscoveryError, InputError, ProtocolError, TransportError
from ciba_kit.protocol.masking import mask_text

from .campaign import Campaign
from .population import Population
from .store import RunLog

__all__ = ["run_command", "report_command", "EXIT_OK", "EXIT_USAGE", "EXIT_TRANSPORT", "EXIT_INTERRUPTED"]

EXIT_OK, EXIT_USAGE, EXIT_TRANSPORT, EXIT_INTERRUPTED = 0, 2, 3, 130
DEFAULT_NOTIFICATION_ENDPOINT = "http://127.0.0.1:9032/cb"


def _get(args: argparse.Namespace, name: str, default: Any = None) -> Any:
    value = getattr(args, name, default)
    return default if value is None else value


def _fail(cmd: str, code: int, message: str, secrets: list[str | None]) -> int:
    print(f"ciba-kit {cmd}: error: {mask_text(message, secrets).splitlines()[0]}", file=sys.stderr)
    return code


def _auth(args: argparse.Namespace, sim: Any) -> Any:
    from ciba_kit.client.commands import auth_from_args

    doc = None
    if sim is not None:
        with sim.state.lock:
            doc = sim.state.pf.clients.get(args.client_id)
        if doc is None:
            raise InputError("--client-id", f"the embedded simulator has no client {args.client_id!r}",
                             "use demo-poll, demo-post, demo-ping, demo-jwt or demo-signed")
    return auth_from_args(args, sim, doc)


def _mode(args: argparse.Namespace, sim: Any) -> DeliveryMode:
    doc: dict[str, Any] = {}
    if sim is not None:
        with sim.state.lock:
            doc = dict(sim.state.pf.clients.get(args.client_id) or {})
    return DeliveryMode(_get(args, "mode") or str(doc.get("cibaDeliveryMode") or "poll").lower())


def _receiver_url(args: argparse.Namespace, sim: Any) -> str | None:
    """Where to listen: ``--notification-endpoint``; else, against the embedded simulator, a free
    port (the simulator's client is re-pointed there); else the demo default."""
    url = _get(args, "notification_endpoint")
    if url is None and sim is None:
        url = DEFAULT_NOTIFICATION_ENDPOINT
    return url


def _population(args: argparse.Namespace, sim: Any) -> Population:
    n, users = _get(args, "population"), _get(args, "users")
    if n is not None and users is not None:
        raise InputError("--population", "cannot be combined with --users", "pick one of them")
    if users is not None:
        return Population.from_file(users)
    if sim is None:
        raise InputError("--users", "a real --issuer needs a file of login hints",
                         "pass --users FILE (--population only works with the embedded simulator)")
    pop = Population.generate(int(n) if n is not None else min(max(int(args.flows), 1), 100), seed=int(_get(args, "seed", 0)))
    pop.install(sim)
    return pop


async def _campaign(args: argparse.Namespace, issuer: str, auth: Any, mode: DeliveryMode, receiver: Any,
                    clock: Clock, pop: Population, log: RunLog, sim: Any, opts: dict[str, Any]) -> Campaign:
    from ciba_kit.client import CibaClient

    client = await CibaClient.adiscover(issuer, args.client_id, auth=auth, mode=mode, receiver=receiver, clock=clock,
                                        user_code=_get(args, "user_code") is not None,
                                        max_connections=max(100, int(args.concurrency)), **opts)
    request = {k: v for k, v in {
        "scope": _get(args, "scope", "openid"), "user_code": _get(args, "user_code"),
        "requested_expiry": _get(args, "requested_expiry"), "acr_values": _get(args, "acr_values"),
        "timeout": _get(args, "timeout"),
    }.items() if v is not None}
    campaign = Campaign(
        client, pop, int(args.flows), concurrency=int(args.concurrency), rate=_get(args, "rate"),
        seed=int(_get(args, "seed", 0)), db=log, clock=clock,
        progress=bool(_get(args, "progress", sys.stderr.isatty())),
        binding_message=_get(args, "binding_message"), request=request, truth=sim, target=issuer, name="cli",
    )
    try:
        await campaign.run()
    finally:
        await client.aclose()
    return campaign


def run_command(args: argparse.Namespace) -> int:
    """``ciba-kit run``: a campaign of ``--flows`` flows into the ``--db`` run log."""
    secrets: list[str | None] = [_get(args, "client_secret"), os.environ.get("CIBA_KIT_CLIENT_SECRET"),
                                 _get(args, "user_code")]
    campaign: Campaign | None = None
    log: RunLog | None = None
    with ExitStack() as stack:
        try:
            for name in ("flows", "concurrency"):
                if not isinstance(_get(args, name), int) or _get(args, name) < 1:
                    raise InputError(f"--{name}", f"must be a whole number >= 1, got {_get(args, name)!r}",
                                     f"e.g. --{name} 10")
            issuer = _get(args, "issuer")
            sim = None
            clock: Clock = SYSTEM_CLOCK
            speed = _get(args, "speed")
            if not issuer:
                # CLI glue exception to the floors rule (see the module docstring).
                from ciba_kit.simulator import Simulator

                if speed is not None:
                    clock = ScaledClock(float(speed))
                sim = stack.enter_context(Simulator.start(seed=int(_get(args, "seed", 0)), clock=clock))
                issuer = sim.issuer
            elif speed is not None:
                raise InputError("--speed", "only applies to the embedded simulator", "drop it with --issuer")
            pop = _population(args, sim)
            auth = _auth(args, sim)
            secrets += auth.secrets()
            mode = _mode(args, sim)
            receiver = None
            if mode != DeliveryMode.POLL:
                from .notify import start_receiver

                receiver = start_receiver(sim, [args.client_id], url=_receiver_url(args, sim))
                stack.callback(receiver.stop)
            from ciba_kit.client.commands import signing_from_args

            doc = None
            if sim is not None:
                with sim.state.lock:
                    doc = dict(sim.state.pf.clients.get(args.client_id) or {})
            opts: dict[str, Any] = signing_from_args(args, auth, doc)
            if _get(args, "insecure"):
                print("ciba-kit run: warning: --insecure: TLS verification off, plain http allowed", file=sys.stderr)
                opts.update(verify=False, allow_insecure_http=True)
            elif _get(args, "ca_bundle"):
                opts["verify"] = args.ca_bundle
            log = stack.enter_context(RunLog(args.db))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                campaign = asyncio.run(_campaign(args, issuer, auth, mode, receiver, clock, pop, log, sim, opts))
        except KeyboardInterrupt:
            print("ciba-kit run: interrupted; finished flows are in the run log, in-flight ones marked cancelled",
                  file=sys.stderr)
            return EXIT_INTERRUPTED
        except (InputError, DiscoveryError) as exc:
            return _fail("run", EXIT_USAGE, str(exc), secrets)
        except (TransportError, ProtocolError) as exc:
            return _fail("run", EXIT_TRANSPORT, str(exc), secrets)
        except CibaError as exc:
            return _fail("run", EXIT_TRANSPORT, str(exc), secrets)
        except ValueError as exc:
            return _fail("run", EXIT_USAGE, str(exc), secrets)
        from ciba_kit.analysis import approval_rate

        assert campaign is not None and log is not None and campaign.run_id is not None
        counts = log.count(campaign.run_id)
        rate = approval_rate(log.flows(campaign.run_id))
        out = {
            "run_id": campaign.run_id,
            "db": str(args.db),
            "target": "embedded simulator" if sim is not None else issuer,
            "client_id": args.client_id,
            "mode": mode.value,
            "flows": sum(counts.values()),
            "counts": counts,
            "approval_rate": None if rate.n == 0 else round(rate.rate, 4),  # type: ignore[union-attr]
            "approval_rate_ci95": [round(rate.ci_low, 4), round(rate.ci_high, 4)] if rate.n else None,  # type: ignore[union-attr]
            "max_in_flight": campaign.state.max_in_flight if campaign.state else None,
        }
    if _get(args, "json"):
        print(mask_text(json.dumps(out), secrets))
    else:
        print(f"run {out['run_id']}: {out['flows']} flows against {out['target']} ({out['client_id']}, {out['mode']})"
              f" -> {args.db}")
        print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        if out["approval_rate"] is not None:
            lo, hi = out["approval_rate_ci95"]
            print(f"approval rate: {out['approval_rate']:.1%} (95% CI {lo:.1%} – {hi:.1%})")
        print(f"next: ciba-kit report --db {args.db} --out report/")
    return EXIT_OK


def report_command(args: argparse.Namespace) -> int:
    """``ciba-kit report``: summary.json, PNG charts and report.md from a run log."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a command line; figures are only saved
    from ciba_kit.analysis import write_report

    try:
        files = write_report(args.db, args.out)
    except InputError as exc:
        return _fail("report", EXIT_USAGE, str(exc), [])
    except Exception as exc:  # a corrupt or foreign SQLite file
        import sqlite3

        if isinstance(exc, sqlite3.DatabaseError):
            return _fail("report", EXIT_USAGE, f"--db: {args.db!r} is not a ciba-kit run log ({exc})", [])
        raise
    print(f"wrote {files.summary}")
    print(f"wrote {files.report}")
    for path in files.charts.values():
        print(f"wrote {path}")
    return EXIT_OK
