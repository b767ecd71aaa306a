"""A tiny scripted authorization server for faults the simulator cannot produce on purpose:
503 + Retry-After, 500 with an HTML page, truncated JSON, a slow server, a reset connection,
a rotated signing key. Real HTTP over loopback (uvicorn in a thread), no mocks.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
import time
from urllib.parse import parse_qsl
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ciba_kit.protocol import jose
from ciba_kit.protocol.constants import CIBA_GRANT_TYPE

Scripted = tuple[int, dict[str, str], bytes] | Callable[[dict[str, str]], Any]


def json_body(status: int, data: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json", **(headers or {})}, json.dumps(data).encode()


def pending() -> tuple[int, dict[str, str], bytes]:
    return json_body(400, {"error": "authorization_pending"})


class ServerThread:
    """uvicorn serving ``app`` on 127.0.0.1:<free port> in a daemon thread."""

    def __init__(self, app: Any, **ssl: Any) -> None:
        self.scheme = "https" if ssl else "http"
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="critical", access_log=False, lifespan="off",
                                                    **ssl))
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.005)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)
        self.sock.close()


class ResetServer:
    """Accepts a connection, reads the request, and resets it (RST) without answering."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self._stop = False
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.hits += 1
            try:
                conn.settimeout(1)
                conn.recv(65536)
            except OSError:
                pass
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._stop = True
        self.sock.close()


class FakeAS:
    """Discovery, JWKS, backchannel and token endpoints; the token endpoint plays ``token_script``.

    Attributes:
        token_times: Monotonic receive times of token requests.
        bc_forms / token_forms: What the client sent.
    """

    def __init__(self, *, ack: dict[str, Any] | None = None, bc_response: Scripted | None = None,
                 modes: tuple[str, ...] = ("poll", "ping", "push"), client_id: str = "c1", **ssl: Any) -> None:
        self.key = jose.generate_signing_key("ES256", kid="as-1")
        self.jwks_served = 0
        self.client_id = client_id
        self.ack = ack if ack is not None else {"auth_req_id": "rid-" + jose.random_token(8), "expires_in": 60,
                                                 "interval": 1}
        self.bc_response = bc_response
        self.token_script: list[Scripted] = []
        self.token_default: Scripted = pending()
        self.token_times: list[float] = []
        self.token_forms: list[dict[str, str]] = []
        self.bc_forms: list[dict[str, str]] = []
        self.bc_headers: list[dict[str, str]] = []
        self.token_delay = 0.0
        self.modes = modes
        self.metadata_override: dict[str, Any] = {}
        self.srv = ServerThread(self._app(), **ssl)
        self.peer_certs: list[Any] = []

    @property
    def issuer(self) -> str:
        return self.srv.url

    def metadata(self) -> dict[str, Any]:
        iss = self.issuer
        doc = {"issuer": iss, "token_endpoint": iss + "/token", "backchannel_authentication_endpoint": iss + "/bc",
               "jwks_uri": iss + "/jwks", "backchannel_token_delivery_modes_supported": list(self.modes),
               "backchannel_authentication_request_signing_alg_values_supported": ["ES256", "PS256"],
               "backchannel_user_code_parameter_supported": True,
               "grant_types_supported": [CIBA_GRANT_TYPE], "id_token_signing_alg_values_supported": ["ES256"]}
        doc.update(self.metadata_override)
        return doc

    def id_token(self, *, key: Any = None, **claims: Any) -> str:
        now = int(time.time())
        base = {"iss": self.issuer, "aud": self.client_id, "sub": "alice", "iat": now, "exp": now + 300}
        base.update(claims)
        return jose.sign_jwt(base, key or self.key, "ES256")

    def tokens(self, **claims: Any) -> tuple[int, dict[str, str], bytes]:
        at = "at-" + jose.random_token(8)
        return json_body(200, {"access_token": at, "token_type": "Bearer", "expires_in": 300,
                               "id_token": self.id_token(at_hash=jose.left_hash(at, "ES256"), **claims)})

    def _app(self) -> Starlette:
        async def well_known(_: Request) -> Response:
            return Response(json.dumps(self.metadata()), media_type="application/json")

        async def jwks(_: Request) -> Response:
            self.jwks_served += 1
            return Response(json.dumps({"keys": [jose.public_jwk(self.key)]}), media_type="application/json")

        async def play(item: Scripted, form: dict[str, str]) -> Response:
            if callable(item):
                item = item(form)
                if asyncio.iscoroutine(item):
                    item = await item
            status, headers, body = item  # type: ignore[misc]
            return Response(body, status_code=status, headers=headers)

        async def bc(request: Request) -> Response:
            form = dict(parse_qsl((await request.body()).decode()))
            self.bc_forms.append(form)
            self.bc_headers.append(dict(request.headers))
            if self.bc_response is not None:
                return await play(self.bc_response, form)
            return Response(json.dumps(self.ack), media_type="application/json")

        async def token(request: Request) -> Response:
            self.token_times.append(time.monotonic())
            tls = request.scope.get("extensions", {}).get("tls", {})
            self.peer_certs.append(tls.get("client_cert_chain"))
            form = dict(parse_qsl((await request.body()).decode()))
            self.token_forms.append(form)
            if self.token_delay:
                await asyncio.sleep(self.token_delay)
            item = self.token_script.pop(0) if self.token_script else self.token_default
            return await play(item, form)

        return Starlette(routes=[
            Route("/.well-known/openid-configuration", well_known), Route("/jwks", jwks),
            Route("/bc", bc, methods=["POST"]), Route("/token", token, methods=["POST"]),
        ])

    def stop(self) -> None:
        self.srv.stop()
