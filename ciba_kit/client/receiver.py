"""The ping / push notification receiver (CIBA Core 10.2, 10.3, 12).

A small Starlette app with one POST route. It can run on loopback in a uvicorn thread
(:meth:`NotificationReceiver.start`) or be mounted into the user's own ASGI app (:attr:`app`).

For every callback it:
- checks ``Authorization: Bearer <client_notification_token>`` in constant time (the token is
  looked up by its SHA-256 digest, then compared with :func:`hmac.compare_digest`); a missing or
  wrong token gets **401** and nothing else happens;
- ignores (``204``) an ``auth_req_id`` that does not belong to that token's flow;
- for push, validates the payload shape and the ID token's binding claims (auth_req_id, at_hash,
  rt_hash) before handing it over; the client then checks signature, iss, aud and times;
- answers **204** and wakes the waiting flow (thread-safe: the flow may live on another loop).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..protocol import jose
from ..protocol.constants import DeliveryMode
from ..protocol.errors import CibaError, InputError, ProtocolError, TokenValidationError
from ..protocol.idtoken import check_push_binding
from ..protocol.messages import PushNotification, parse_ping_notification, parse_push_notification

__all__ = ["NotificationReceiver", "Notification"]

_MAX_BODY = 64 * 1024


@dataclass(slots=True)
class Notification:
    """What reached the receiver for one flow: the ``auth_req_id`` and, for push, the parsed payload."""

    auth_req_id: str = field(repr=False)
    push: PushNotification | None = field(default=None, repr=False)
    failure: CibaError | None = None


class _Waiter:
    __slots__ = ("token", "mode", "auth_req_id", "loop", "future", "early")

    def __init__(self, token: str, mode: DeliveryMode, loop: asyncio.AbstractEventLoop) -> None:
        self.token = token
        self.mode = mode
        self.auth_req_id: str | None = None
        self.loop = loop
        self.future: asyncio.Future[Notification] = loop.create_future()
        self.early: list[Notification] = []

    def offer(self, n: Notification) -> None:
        # Runs on the waiter's loop.
        if self.auth_req_id is None:
            # The callback beat the acknowledgement: keep it until the auth_req_id is known.
            self.early.append(n)
            return
        if not hmac.compare_digest(n.auth_req_id.encode(), self.auth_req_id.encode()):
            return
        if not self.future.done():
            self.future.set_result(n)

    def bind(self, auth_req_id: str) -> None:
        self.auth_req_id = auth_req_id
        early, self.early = self.early, []
        for n in early:
            self.offer(n)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class NotificationReceiver:
    """Receives CIBA ping and push callbacks and routes them to waiting flows.

    Args:
        path: The route path (``/cb``).
        host: Bind host for :meth:`start` (loopback by default).
        port: Bind port for :meth:`start` (0 = a free port).
        public_url: The URL the provider should call, if not ``http://host:port/path`` (behind a proxy).

    Example:
        >>> rx = NotificationReceiver.start("http://127.0.0.1:0/cb")   # doctest: +SKIP
        >>> client = CibaClient.discover(issuer, "demo-ping", auth=..., mode="ping", receiver=rx)  # doctest: +SKIP
    """

    def __init__(self, *, path: str = "/cb", host: str = "127.0.0.1", port: int = 0,
                 public_url: str | None = None) -> None:
        if not path.startswith("/"):
            raise InputError("path", f"{path!r} must start with '/'", "use e.g. '/cb'")
        self.path = path
        self.host = host
        self.port = port
        self._public_url = public_url
        self._waiters: dict[bytes, _Waiter] = {}
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        #: Counters for tests and the doctor: accepted, ignored, unauthorized, malformed.
        self.counts: dict[str, int] = {"accepted": 0, "ignored": 0, "unauthorized": 0, "malformed": 0}
        self._app = self._build_app()

    # -- registration (called by CibaClient) -------------------------------------------------
    def register(self, token: str, mode: DeliveryMode) -> _Waiter:
        """Expect a callback carrying ``token`` (call before sending the request: callbacks can be fast)."""
        w = _Waiter(token, DeliveryMode(mode), asyncio.get_running_loop())
        with self._lock:
            self._waiters[_digest(token)] = w
        return w

    def unregister(self, token: str) -> None:
        """Forget a flow (done, failed or cancelled)."""
        with self._lock:
            self._waiters.pop(_digest(token), None)

    @property
    def pending(self) -> int:
        """Number of flows waiting for a callback."""
        with self._lock:
            return len(self._waiters)

    # -- the ASGI app ---------------------------------------------------------------------------
    @property
    def app(self) -> Any:
        """The Starlette app (mount it in your own ASGI app to receive callbacks there)."""
        return self._app

    def _build_app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route

        unauthorized = {"WWW-Authenticate": 'Bearer error="invalid_token"'}

        async def callback(request: Request) -> Response:
            auth = request.headers.get("authorization", "")
            scheme, _, token = auth.partition(" ")
            token = token.strip()
            waiter = None
            if scheme.lower() == "bearer" and token:
                with self._lock:
                    waiter = self._waiters.get(_digest(token))
                if waiter is not None and not hmac.compare_digest(token.encode(), waiter.token.encode()):
                    waiter = None
            if waiter is None:
                self.counts["unauthorized"] += 1
                return Response(status_code=401, headers=unauthorized)
            body = b""
            async for chunk in request.stream():
                body += chunk
                if len(body) > _MAX_BODY:
                    self.counts["malformed"] += 1
                    return JSONResponse({"error": "invalid_request", "error_description": "body too large"}, 413)
            try:
                data = json.loads(body)
                if not isinstance(data, dict):
                    raise ValueError("not an object")
            except ValueError:
                self.counts["malformed"] += 1
                return JSONResponse({"error": "invalid_request", "error_description": "body is not a JSON object"},
                                    400)
            try:
                if waiter.mode == DeliveryMode.PUSH:
                    note = self._push(data)
                else:
                    note = Notification(parse_ping_notification(data))
            except (ProtocolError, TokenValidationError) as exc:
                self.counts["malformed"] += 1
                rid = data.get("auth_req_id")
                if isinstance(rid, str) and isinstance(exc, TokenValidationError):
                    # The provider pushed tokens that are not bound to this request: end the flow with
                    # the reason rather than leave it waiting until expiry.
                    try:
                        waiter.loop.call_soon_threadsafe(waiter.offer, Notification(rid, failure=exc))
                    except RuntimeError:  # the flow's loop is gone
                        pass
                return JSONResponse({"error": "invalid_request", "error_description": str(exc)[:200]}, 400)
            if waiter.auth_req_id is not None and not hmac.compare_digest(note.auth_req_id.encode(),
                                                                          waiter.auth_req_id.encode()):
                self.counts["ignored"] += 1
                return Response(status_code=204)
            self.counts["accepted"] += 1
            try:
                waiter.loop.call_soon_threadsafe(waiter.offer, note)
            except RuntimeError:  # the flow's loop is gone (cancelled and closed): nothing to wake
                pass
            return Response(status_code=204)

        return Starlette(routes=[Route(self.path, callback, methods=["POST"])])

    @staticmethod
    def _push(data: dict[str, Any]) -> Notification:
        note = parse_push_notification(data)
        if note.tokens is not None:
            assert note.tokens.id_token is not None
            try:
                header, claims = jose.decode_unverified(note.tokens.id_token)
            except jose.JwtError as exc:
                raise TokenValidationError(f"pushed id_token is not a JWT: {exc}") from None
            check_push_binding(claims, alg=str(header.get("alg", "")), auth_req_id=note.auth_req_id,
                               access_token=note.tokens.access_token, refresh_token=note.tokens.refresh_token)
        return Notification(note.auth_req_id, push=note)

    # -- running it -----------------------------------------------------------------------------
    @classmethod
    def start(cls, url: str | None = None, *, host: str = "127.0.0.1", port: int = 0, path: str = "/cb",
              public_url: str | None = None) -> NotificationReceiver:
        """Start a receiver in a background uvicorn thread.

        Args:
            url: Listen at this URL's host, port and path (``http://127.0.0.1:9032/cb``); overrides
                ``host``/``port``/``path``.
            host: Bind host (loopback by default; binding elsewhere is the caller's decision).
            port: Bind port (0 = free port).
            path: Route path.
            public_url: The URL to register at the provider, if different.
        """
        if url is not None:
            try:
                parts = urlsplit(url)
                url_port = parts.port
            except ValueError as exc:  # port out of range or not a number, broken IPv6 literal
                raise InputError("notification_endpoint", f"{url!r} is not a valid URL ({exc})",
                                 "pass e.g. http://127.0.0.1:9032/cb") from None
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise InputError("notification_endpoint", f"{url!r} is not an http(s) URL",
                                 "pass e.g. http://127.0.0.1:9032/cb")
            host, port, path = parts.hostname, url_port or (443 if parts.scheme == "https" else 80), parts.path or "/"
        rx = cls(path=path, host=host, port=port, public_url=public_url)
        rx._serve()
        return rx

    def _serve(self) -> None:
        import uvicorn

        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise InputError("notification_endpoint", f"cannot listen on {self.host}:{self.port} ({exc})",
                             "pick a free port or stop what is using it") from None
        sock.listen(512)
        self._sock = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self._app, log_level="warning", access_log=False, lifespan="off")
        server = uvicorn.Server(config)
        # Signal handlers belong to the main thread (a notebook kernel's, usually).
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._server = server
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                                        name="ciba-kit-receiver")
        self._thread.start()
        import time

        deadline = time.monotonic() + 10
        while not server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not server.started:
            raise RuntimeError("notification receiver did not start")

    @property
    def url(self) -> str:
        """The callback URL (``public_url`` if given, else ``http://host:port/path``)."""
        if self._public_url:
            return self._public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.path}"

    def stop(self) -> None:
        """Stop the background server (no-op for a mounted receiver)."""
        if self._server is not None:
            self._server.should_exit = True
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> NotificationReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        running = "running" if self._server is not None else "not running"
        return f"NotificationReceiver(path={self.path!r}, {running}, pending={self.pending})"
