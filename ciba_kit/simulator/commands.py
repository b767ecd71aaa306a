"""``ciba-kit simulate [--host 127.0.0.1] [--port 9031] [--config FILE] [--seed N]`` (foreground).

Exit status: 0 after Ctrl-C, 2 for a bad config file or a port that cannot be bound (one line on
stderr, no traceback).
"""

from __future__ import annotations

import argparse
import sys

from ..protocol.errors import InputError

__all__ = ["simulate_command", "DEFAULT_PORT"]

DEFAULT_PORT = 9031


def simulate_command(args: argparse.Namespace) -> int:
    """Run the simulator in the foreground until interrupted."""
    from .server import Simulator

    host = getattr(args, "host", None) or "127.0.0.1"
    port = getattr(args, "port", None)
    port = DEFAULT_PORT if port is None else port
    seed = getattr(args, "seed", None) or 0
    config = getattr(args, "config", None)
    try:
        sim = Simulator.create(config, host=host, port=int(port), seed=int(seed))
    except InputError as exc:
        print(f"ciba-kit simulate: bad config: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(f"ciba-kit simulate: cannot listen on {host}:{port}: {reason} — pick another --port",
              file=sys.stderr)
        return 2
    clients = ", ".join(sorted(sim.state.pf.clients))
    print(f"ciba-kit simulator listening on {sim.issuer}", flush=True)
    print(f"  discovery   {sim.issuer}/.well-known/openid-configuration", flush=True)
    print(f"  admin API   {sim.admin_url}", flush=True)
    print(f"  clients     {clients}", flush=True)
    print("  press Ctrl-C to stop", flush=True)
    try:
        sim.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        try:
            sim._sock.close()
        except OSError:
            pass
    return 0
