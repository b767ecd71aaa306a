"""Fixtures of the client tests: simulators with extra clients, a notification receiver, a fake AS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ciba_kit.client import NotificationReceiver
from ciba_kit.protocol.clock import ScaledClock
from ciba_kit.simulator import Simulator

FACTOR = 20

EXTRA = {
    "settings": {"push_enabled": True},
    "clients": [
        {"clientId": "t-csjwt", "name": "Secret JWT", "grantTypes": ["CIBA"],
         "clientAuth": {"type": "CLIENT_SECRET_JWT", "secret": "t-csjwt-secret-0123456789abcdef0123456789"},
         "cibaDeliveryMode": "POLL", "cibaPollingInterval": 2, "cibaUserCodeSupported": True,
         "requestPolicyRef": {"id": "demo-ciba-policy"}},
        {"clientId": "t-push", "name": "Push App", "grantTypes": ["CIBA"],
         "clientAuth": {"type": "SECRET", "secret": "t-push-secret"},
         "cibaDeliveryMode": "PING", "x-cibaKitDeliveryMode": "PUSH",
         "cibaNotificationEndpoint": "http://127.0.0.1:9/unset", "cibaPollingInterval": 2,
         "requestPolicyRef": {"id": "demo-ciba-policy"}},
        {"clientId": "t-ping", "name": "Ping App", "grantTypes": ["CIBA"],
         "clientAuth": {"type": "SECRET", "secret": "t-ping-secret"},
         "cibaDeliveryMode": "PING", "cibaNotificationEndpoint": "http://127.0.0.1:9/unset",
         "cibaPollingInterval": 2, "requestPolicyRef": {"id": "demo-ciba-policy"}},
    ],
}


@pytest.fixture(scope="module")
def xsim() -> Iterator[Simulator]:
    """Demo configuration plus test clients (client_secret_jwt, ping, push), clock 20x fast."""
    s = Simulator.start(EXTRA, seed=0, clock=ScaledClock(FACTOR), ping_push_enabled=True)
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def receiver(xsim: Simulator) -> Iterator[NotificationReceiver]:
    """A receiver on a free loopback port; t-ping and t-push call it."""
    rx = NotificationReceiver.start("http://127.0.0.1:0/cb")
    with xsim.state.lock:
        for cid in ("t-ping", "t-push"):
            xsim.state.pf.clients[cid]["cibaNotificationEndpoint"] = rx.url
        xsim.state.touch()
    try:
        yield rx
    finally:
        rx.stop()
