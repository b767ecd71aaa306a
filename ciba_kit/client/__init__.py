"""The CIBA client: discovery, client authentication, poll / ping / push, flow timelines.

Speaks to any CIBA provider (the embedded simulator included) over HTTP only; it never imports the
simulator.
"""

from ..protocol.discovery import ProviderMetadata
from .auth import (
    ClientAuth,
    ClientSecretBasic,
    ClientSecretJwt,
    ClientSecretPost,
    PrivateKeyJwt,
    SelfSignedTlsClientAuth,
    TlsClientAuth,
)
from .client import CibaClient
from .models import AuthRequest, FlowResult, Latency, TimelineEvent, TokenSet
from .receiver import NotificationReceiver
from .sync import SyncCibaClient

__all__ = [
    "AuthRequest",
    "CibaClient",
    "ClientAuth",
    "ClientSecretBasic",
    "ClientSecretJwt",
    "ClientSecretPost",
    "FlowResult",
    "Latency",
    "NotificationReceiver",
    "PrivateKeyJwt",
    "ProviderMetadata",
    "SelfSignedTlsClientAuth",
    "SyncCibaClient",
    "TimelineEvent",
    "TlsClientAuth",
    "TokenSet",
]
