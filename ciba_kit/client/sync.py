"""A blocking facade over :class:`~ciba_kit.client.client.CibaClient` for scripts.

:class:`SyncCibaClient` owns a private event loop running in a daemon thread and submits each
call to it, so it works the same in a plain script and inside a Jupyter kernel (whose own loop is
already running and cannot be re-entered with ``asyncio.run``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from .auth import ClientAuth
from .client import CibaClient
from .models import AuthRequest, FlowResult

__all__ = ["SyncCibaClient"]

T = TypeVar("T")


class _LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True, name="ciba-kit-sync-client")
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        fut = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return fut.result()
        except KeyboardInterrupt:
            # Ctrl-C in a script: cancel the flow on the loop so no poll keeps running.
            fut.cancel()
            raise

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()


class SyncCibaClient:
    """The :class:`CibaClient` API, blocking.

    Example:
        >>> client = SyncCibaClient.discover(issuer, "demo-poll", auth=ClientSecretBasic("demo-poll-secret"))  # doctest: +SKIP
        >>> flow = client.authenticate(login_hint="alice")  # doctest: +SKIP
    """

    def __init__(self, client: CibaClient) -> None:
        self.client = client
        self._loop = _LoopThread()

    @classmethod
    def discover(cls, issuer: str, client_id: str, *, auth: ClientAuth, **opts: Any) -> SyncCibaClient:
        """Same as :meth:`CibaClient.discover`, returning a blocking client."""
        return cls(CibaClient.discover(issuer, client_id, auth=auth, **opts))

    def __getattr__(self, name: str) -> Any:
        # metadata, client_id, mode, jwks... are the async client's.
        if name in ("client", "_loop") or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.client, name)

    def start(self, **params: Any) -> AuthRequest:
        """Blocking :meth:`CibaClient.start`."""
        return self._loop.run(self.client.start(**params))

    def wait(self, req: AuthRequest, *, timeout: float | None = None) -> FlowResult:
        """Blocking :meth:`CibaClient.wait`."""
        return self._loop.run(self.client.wait(req, timeout=timeout))

    def authenticate(self, **params: Any) -> FlowResult:
        """Blocking :meth:`CibaClient.authenticate`."""
        return self._loop.run(self.client.authenticate(**params))

    def validate_id_token(self, id_token: str, **kw: Any) -> dict[str, Any]:
        """Blocking :meth:`CibaClient.validate_id_token`."""
        return self._loop.run(self.client.validate_id_token(id_token, **kw))

    def close(self) -> None:
        """Close the HTTP client and stop the private loop."""
        if not self._loop.loop.is_closed():
            self._loop.run(self.client.aclose())
        self._loop.close()

    def __enter__(self) -> SyncCibaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return "Sync" + repr(self.client)
