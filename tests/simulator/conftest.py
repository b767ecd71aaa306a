"""Fixtures for the simulator tests: a notification receiver, a simulator with extra test clients,
and a small plain-httpx API helper (these tests never use ciba_kit.client)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn

from ciba_kit.protocol import jose
from ciba_kit.protocol.clock import ScaledClock
from ciba_kit.protocol.constants import CIBA_GRANT_TYPE, CLIENT_ASSERTION_TYPE_JWT_BEARER
from ciba_kit.simulator import Simulator
from ciba_kit.simulator.server import bind_socket

SECRET_JWT_SECRET = "t-secret-jwt-secret-0123456789abcdef0123456789"


@dataclass
class Receiver:
    """A real HTTP server that records notification callbacks."""

    url: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    status: int = 204
    event: threading.Condition = field(default_factory=threading.Condition)

    def wait(self, n: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self.event:
            while len(self.calls) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.calls)} of {n} notifications")
                self.event.wait(left)
            return list(self.calls)

    def find(self, auth_req_id: str, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.event:
            while True:
                for c in self.calls:
                    if c["json"].get("auth_req_id") == auth_req_id:
                        return c
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no notification for that auth_req_id")
                self.event.wait(left)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    rec = Receiver(url=f"http://127.0.0.1:{port}/cb")

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            m = await receive()
            body += m.get("body", b"")
            if not m.get("more_body"):
                break
        try:
            data = json.loads(body)
        except ValueError:
            data = {}
        with rec.event:
            rec.calls.append({"path": scope["path"], "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
                              "json": data})
            rec.event.notify_all()
        status = rec.status
        headers = [(b"content-length", b"0")]
        if 300 <= status < 400:
            headers.append((b"location", b"http://127.0.0.1:1/elsewhere"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    t = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    t.start()
    while not server.started:
        time.sleep(0.01)
    yield rec
    server.should_exit = True
    t.join(5)


def make_test_config(receiver_url: str) -> dict[str, Any]:
    """Extra clients and a second policy on top of the demo configuration."""
    base = {"grantTypes": ["CIBA"], "cibaPollingInterval": 2, "cibaUserCodeSupported": False,
            "requestPolicyRef": {"id": "demo-ciba-policy"}}
    return {
        "clients": [
            {**base, "clientId": "t-secret-jwt", "clientAuth": {"type": "CLIENT_SECRET_JWT", "secret": SECRET_JWT_SECRET}},
            {**base, "clientId": "t-ping", "clientAuth": {"type": "SECRET", "secret": "t-ping-secret"},
             "cibaDeliveryMode": "PING", "cibaNotificationEndpoint": receiver_url},
            {**base, "clientId": "t-ping-dead", "clientAuth": {"type": "SECRET", "secret": "t-ping-dead-secret"},
             "cibaDeliveryMode": "PING", "cibaNotificationEndpoint": "http://127.0.0.1:9/cb"},
            {**base, "clientId": "t-push", "clientAuth": {"type": "SECRET", "secret": "t-push-secret"},
             "cibaDeliveryMode": "PING", "x-cibaKitDeliveryMode": "PUSH", "cibaNotificationEndpoint": receiver_url,
             "grantTypes": ["CIBA", "REFRESH_TOKEN"]},
            {**base, "clientId": "t-cert", "clientAuth": {"type": "CERTIFICATE", "clientCertIssuerDn": "CN=x",
                                                         "clientCertSubjectDn": "CN=y"}},
            {**base, "clientId": "t-lht", "clientAuth": {"type": "SECRET", "secret": "t-lht-secret"},
             "requestPolicyRef": {"id": "t-unsigned-policy"}},
            {**base, "clientId": "t-nothrottle", "clientAuth": {"type": "SECRET", "secret": "t-nothrottle-secret"},
             "cibaPollingInterval": 0},
            {**base, "clientId": "t-refresh", "clientAuth": {"type": "SECRET", "secret": "t-refresh-secret"},
             "grantTypes": ["CIBA", "REFRESH_TOKEN"]},
        ],
        "requestPolicies": [{
            "id": "t-unsigned-policy", "name": "Unsigned hint tokens", "authenticatorRef": {"id": "demoPingOneMfa"},
            "transactionLifetime": 300, "allowUnsignedLoginHintToken": True, "requireTokenForIdentityHint": True,
            "identityHintContract": {"coreAttributes": [{"name": "IDENTITY_HINT_SUBJECT"}]}}],
        "users": [{"username": "zoe", "persona": {"approve": 1, "latency_median_s": 1, "latency_sigma": 0},
                   "locale": "fr-CA"},
                  {"username": "nodevice", "persona": {"approve": 1}, "paired": False}],
    }


@pytest.fixture(scope="module")
def tsim(receiver: Receiver) -> Iterator[Simulator]:
    """Demo config plus test clients, ScaledClock(20), push enabled."""
    s = Simulator.start(make_test_config(receiver.url), seed=7, clock=ScaledClock(20), ping_push_enabled=True)
    try:
        yield s
    finally:
        s.stop()


class Api:
    """Plain httpx calls against one simulator."""

    secret_jwt_secret = SECRET_JWT_SECRET

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.http = httpx.Client(base_url=sim.issuer, timeout=10)
        self.key = jose.demo_client_key()

    @property
    def factor(self) -> float:
        return getattr(self.sim.clock, "factor", 1.0)

    def sleep_clock(self, seconds: float) -> None:
        """Sleep ``seconds`` of the simulator's clock."""
        time.sleep(seconds / self.factor)

    def assertion(self, client_id: str = "demo-jwt", *, key: Any = None, alg: str = "ES256", **overrides: Any) -> str:
        now = self.sim.clock.time()
        claims: dict[str, Any] = {"iss": client_id, "sub": client_id, "aud": self.sim.issuer, "exp": int(now) + 60,
                                  "iat": int(now), "jti": jose.random_token(12)}
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jose.sign_jwt(claims, key or self.key, alg)

    def auth_for(self, client: str, method: str | None = None) -> tuple[dict[str, str], Any]:
        """(extra form fields, httpx auth) for a client's default method."""
        if method is None:
            method = {"demo-jwt": "jwt", "demo-signed": "jwt", "demo-post": "post", "t-secret-jwt": "secret_jwt"}.get(
                client, "basic")
        if method == "basic":
            return {}, (client, f"{client}-secret")
        if method == "post":
            return {"client_id": client, "client_secret": f"{client}-secret"}, None
        if method == "jwt":
            return {"client_assertion_type": CLIENT_ASSERTION_TYPE_JWT_BEARER,
                    "client_assertion": self.assertion(client)}, None
        if method == "secret_jwt":
            return {"client_assertion_type": CLIENT_ASSERTION_TYPE_JWT_BEARER,
                    "client_assertion": self.assertion(client, key=jose.secret_key(SECRET_JWT_SECRET),
                                                       alg="HS256")}, None
        raise ValueError(method)

    def bc(self, client: str = "demo-poll", *, method: str | None = None, **params: Any) -> httpx.Response:
        extra, auth = self.auth_for(client, method)
        data = {"scope": "openid", **params, **extra}
        data = {k: v for k, v in data.items() if v is not None}
        return self.http.post("/as/bc-auth.ciba", data=data, auth=auth)

    def token(self, auth_req_id: str, client: str = "demo-poll", *, method: str | None = None,
              **params: Any) -> httpx.Response:
        extra, auth = self.auth_for(client, method)
        data = {"grant_type": CIBA_GRANT_TYPE, "auth_req_id": auth_req_id, **params, **extra}
        return self.http.post("/as/token.oauth2", data=data, auth=auth)

    def start(self, client: str = "demo-poll", **params: Any) -> dict[str, Any]:
        r = self.bc(client, **params)
        assert r.status_code == 200, r.text
        return r.json()

    def wait_result(self, auth_req_id: str, client: str = "demo-poll", *, interval: float = 2,
                    limit: float = 200) -> httpx.Response:
        """Poll politely (on the simulator clock) until the answer is not pending."""
        waited = 0.0
        while True:
            r = self.token(auth_req_id, client)
            err = r.json().get("error")
            if err == "slow_down":
                interval += 5
            elif err != "authorization_pending":
                return r
            self.sleep_clock(interval * 1.05)
            waited += interval
            assert waited < limit, "flow did not finish"


@pytest.fixture(scope="module")
def api(tsim: Simulator) -> Iterator[Api]:
    a = Api(tsim)
    yield a
    a.http.close()
