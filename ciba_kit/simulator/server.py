"""The embedded simulator: a uvicorn server in a background thread (or the foreground for the CLI).

```python
with ck.Simulator.start() as sim:            # demo configuration, free port on 127.0.0.1
    sim.issuer, sim.admin_url, sim.pingone_url
    sim.devices.pending(); sim.devices.approve("frank")
    sim.truth()                              # ground truth of every transaction
```

The socket is bound before the server starts (port 0 = a free port, so the issuer URL is known
at once and a busy port fails fast with ``OSError``). uvicorn runs with uvloop and httptools when
present, log level warning, no access log, no signal handlers (it is off the main thread).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path
from typing import Any

from ..protocol import jose
from ..protocol.clock import Clock, SystemClock
from .config import state_from_config
from .demo import add_user_to_state
from .engine import Devices, Engine, TruthRecord
from .personas import Persona
from .runtime import Runtime
from .state import SimulatorState

__all__ = ["Simulator", "bind_socket", "uvicorn_config"]


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (raises OSError if the port is taken)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


def uvicorn_config(app: Any, **kw: Any) -> Any:
    """uvicorn Config with the fastest available loop/parser and quiet logging."""
    import uvicorn

    try:
        import uvloop  # noqa: F401
        loop = "uvloop"
    except ImportError:  # pragma: no cover - uvloop is a pinned dependency on Linux
        loop = "asyncio"
    try:
        import httptools  # noqa: F401
        http = "httptools"
    except ImportError:  # pragma: no cover
        http = "h11"
    return uvicorn.Config(app, loop=loop, http=http, log_level="warning", access_log=False, lifespan="off",
                          server_header=False, date_header=False, timeout_keep_alive=30, proxy_headers=False,
                          backlog=2048, **kw)


class Simulator:
    """A running CIBA simulator (PingFederate runtime + Admin API + PingOne stand-in + phones)."""

    def __init__(self, state: SimulatorState, *, host: str, sock: socket.socket, seed: int, clock: Clock) -> None:
        self.state = state
        self.host = host
        self.port = sock.getsockname()[1]
        h = f"[{host}]" if ":" in host else host
        self.issuer = f"http://{h}:{self.port}"
        self.admin_url = self.issuer + "/pf-admin-api/v1"
        self.pingone_url = self.issuer + "/pingone/v1"
        self.seed = seed
        self.clock = clock
        self.signing_key = jose.generate_signing_key("ES256")
        self.engine = Engine(clock=clock, seed=seed, settings=state.sim, issuer=self.issuer,
                             signing_key=self.signing_key)
        self.devices = Devices(self.engine)
        self.runtime = Runtime(self)
        self._sock = sock
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    # ----------------------------------------------------------------- construction
    @classmethod
    def create(cls, config: Any = None, *, host: str = "127.0.0.1", port: int = 0, seed: int = 0,
               clock: Clock | None = None, ping_push_enabled: bool = False) -> "Simulator":
        """Build (but do not start) a simulator; binds the socket. Raises InputError / OSError."""
        state = state_from_config(config)
        if ping_push_enabled:
            with state.lock:
                state.sim.push_enabled = True
                state.touch()
        sock = bind_socket(host, port)
        return cls(state, host=host, sock=sock, seed=seed, clock=clock or SystemClock())

    @classmethod
    def start(cls, config: Any = None, *, host: str = "127.0.0.1", port: int = 0, seed: int = 0,
              clock: Clock | None = None, ping_push_enabled: bool = False) -> "Simulator":
        """Start a simulator in a background thread and return once it accepts connections.

        Args:
            config: ``None`` for the demo configuration, a config dict, a JSON/TOML file path, or a
                :class:`SimulatorState`.
            host: interface to listen on (loopback by default).
            port: TCP port; 0 picks a free one.
            seed: seeds the personas (same seed, same outcomes and latencies).
            clock: the time source (``ScaledClock(20)`` makes demos 20x faster; share it with clients).
            ping_push_enabled: allow push delivery (beyond PingFederate) for clients marked
                ``"x-cibaKitDeliveryMode": "PUSH"``.
        """
        sim = cls.create(config, host=host, port=port, seed=seed, clock=clock, ping_push_enabled=ping_push_enabled)
        sim._start_thread()
        return sim

    def _start_thread(self) -> None:
        import uvicorn

        config = uvicorn_config(self.runtime)
        self._server = uvicorn.Server(config)
        loop_factory = config.get_loop_factory()

        def run() -> None:
            try:
                with asyncio.Runner(loop_factory=loop_factory) as runner:
                    runner.run(self._serve())
            except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
                self._error = exc

        self._thread = threading.Thread(target=run, name=f"ciba-kit-simulator-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"simulator failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("simulator did not start within 15 s")
            time.sleep(0.005)

    async def _serve(self) -> None:
        self.engine.attach_loop(asyncio.get_running_loop())
        try:
            await self._server.serve(sockets=[self._sock])
        finally:
            await self.engine.aclose()

    def serve_forever(self) -> None:
        """Run in the calling (main) thread until interrupted (``ciba-kit simulate``)."""
        import uvicorn

        config = uvicorn_config(self.runtime)
        self._server = uvicorn.Server(config)
        with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
            runner.run(self._serve())

    # ----------------------------------------------------------------- lifecycle
    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server and wait for its thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        try:
            self._sock.close()
        except OSError:
            pass

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> "Simulator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"Simulator(issuer={self.issuer!r}, {state}, seed={self.seed}, clock={self.clock!r})"

    # ----------------------------------------------------------------- API
    def jwks(self) -> dict[str, Any]:
        """The public keys that sign ID tokens (what ``/pf/JWKS`` serves)."""
        return {"keys": [jose.public_jwk(self.signing_key)]}

    def client_ids(self) -> list[str]:
        """The configured OAuth client ids, sorted (what ``/oauth/clients`` of the Admin API lists).

        The demo configuration gives ``demo-jwt``, ``demo-nociba``, ``demo-ping``, ``demo-poll``,
        ``demo-post`` and ``demo-signed``.
        """
        with self.state.lock:
            return sorted(self.state.pf.clients)

    def truth(self, auth_req_id: str | None = None) -> TruthRecord | list[TruthRecord]:
        """Ground truth: every record (oldest first), or the one for an auth_req_id (or its hash)."""
        return self.engine.truth(auth_req_id)

    def add_user(self, username: str, *, persona: Persona | None = None, user_code: str | None = None,
                 locale: str | None = None, paired: bool = True) -> dict[str, Any]:
        """Add (or replace) a PingOne user with a paired phone; ``persona=None`` means manual answers."""
        return add_user_to_state(self.state, username, persona=persona, user_code=user_code, locale=locale,
                                 paired=paired)

    def add_users(self, users: dict[str, Persona | None]) -> None:
        """Add many users at once (one configuration version bump per user; cheap)."""
        for name, persona in users.items():
            self.add_user(name, persona=persona)
