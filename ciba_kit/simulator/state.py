"""The simulator's configuration store: PingFederate and PingOne configuration in their API shapes.

Everything the runtime obeys lives here as the JSON the real Admin APIs use, so the Admin API
routes (``admin_api.py``, ``pingone_api.py``) only validate and store documents, and the
runtime (``runtime.py``) reads the same documents. One re-entrant lock guards all of it: the
server thread, the device API and the notebook's thread may all touch it.

PingFederate (Admin API ``/pf-admin-api/v1`` shapes, camelCase, ``{"id": ...}`` references):
- ``pf.oob_plugins``       id -> ``/oauth/outOfBandAuthPlugins`` item
- ``pf.request_policies``  id -> ``/oauth/cibaServerPolicy/requestPolicies`` item
- ``pf.ciba_settings``     the ``/oauth/cibaServerPolicy/settings`` singleton
- ``pf.clients``           clientId -> ``/oauth/clients`` item (``clientAuth.secret`` is never stored
                           here: see ``pf.client_secrets``; GET answers ``encryptedSecret`` instead)
- ``pf.client_secrets``    clientId -> plaintext secret (write-only through the Admin API)
- ``pf.pcvs``              id -> password credential validator (user-code PCVs)

PingOne (PingOne API shapes, one environment):
- ``p1.environment_id``, ``p1.default_language``
- ``p1.users``             id -> user (``username``, ``name``, ``locale``/``preferredLanguage``, ...)
- ``p1.devices``           user id -> list of MFA devices (``type: MOBILE``, ``status: ACTIVE``, ...)
- ``p1.mfa_policies``      id -> deviceAuthenticationPolicy (``mobile.applications[].pushTimeout``...)
- ``p1.applications``      id -> application (``type: NATIVE_APP`` for CIBA)
- ``p1.sign_on_policies``  id -> signOnPolicy, with ``actions`` list (IK 3.x MFA action)
- ``p1.template_contents`` template name -> list of contents (``deliveryMethod``, ``locale``,
                           ``variant``, ``title``, ``body``, ``pushCategory``)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_SCOPES", "PingFederateConfig", "PingOneConfig", "SimulatorSettings", "SimulatorState"]

Json = dict[str, Any]


@dataclass
class PingFederateConfig:
    """PingFederate configuration documents, keyed by id, in Admin API JSON shape."""

    oob_plugins: dict[str, Json] = field(default_factory=dict)
    request_policies: dict[str, Json] = field(default_factory=dict)
    ciba_settings: Json = field(default_factory=lambda: {"defaultRequestPolicyRef": None})
    clients: dict[str, Json] = field(default_factory=dict)
    client_secrets: dict[str, str] = field(default_factory=dict, repr=False)  # secrets: never in a repr
    pcvs: dict[str, Json] = field(default_factory=dict, repr=False)  # holds user codes (PCV passwords)


@dataclass
class PingOneConfig:
    """PingOne configuration documents for one environment, in PingOne API JSON shape."""

    environment_id: str = "00000000-0000-4000-8000-000000000001"
    default_language: str = "en"
    users: dict[str, Json] = field(default_factory=dict)
    devices: dict[str, list[Json]] = field(default_factory=dict)
    mfa_policies: dict[str, Json] = field(default_factory=dict)
    applications: dict[str, Json] = field(default_factory=dict)
    sign_on_policies: dict[str, Json] = field(default_factory=dict)
    template_contents: dict[str, list[Json]] = field(default_factory=dict)


#: PingFederate's default scopes plus OIDC's standard ones (the simulator accepts only these).
DEFAULT_SCOPES: dict[str, str] = {
    "openid": "Sign you in",
    "profile": "Your name and profile",
    "email": "Your email address",
    "address": "Your postal address",
    "phone": "Your phone number",
    "offline_access": "Stay signed in (refresh token)",
}


@dataclass
class SimulatorSettings:
    """Simulator-only behaviour switches (no PingFederate/PingOne equivalent; see simulator docs).

    Attributes:
        binding_message_pattern: regex a ``binding_message`` must fully match; default is the
            field-reported PingFederate + PingOne MFA rule ``^[a-zA-Z0-9-._+/!?#]{1,20}$``.
        push_timeout_result: what the token endpoint says after a PingOne push timed out:
            ``"access_denied"`` (default: the authenticator reports FAILURE) or ``"pending"`` (keep
            answering ``authorization_pending`` until ``expired_token``). PingFederate: UNCONFIRMED.
        push_enabled: allow the push delivery mode (beyond PingFederate) for clients that carry
            ``"x-cibaKitDeliveryMode": "PUSH"``.
        scopes: scope name -> description (what the prompt's ``requestedScope`` shows).
        access_token_lifetime, id_token_lifetime: seconds of clock time.
        retention_s: clock seconds a finished or expired transaction is kept before it is dropped.
        truth_limit: ground-truth records kept (oldest dropped first).
        ping_timeout_s: real seconds the notification POST may take.
        max_body_bytes: larger request bodies get HTTP 413.
        clock_skew_s: leeway for exp/iat/nbf checks of client JWTs.
        language_packs_dir: where the authenticator's *Messages Files* bundles are read
            (PingFederate's ``conf/language-packs``): ``""`` none (``$messages`` is empty),
            ``"demo"`` the pack shipped with ciba_kit (English + French), else a directory path.
        overload_503_every_n: overload drill: every N-th token-endpoint request (counted per
            simulator, before client authentication, as a saturated front end would) gets HTTP 503
            ``{"error": "temporarily_unavailable"}`` with ``Retry-After``; 0 (default) turns it off,
            1 refuses every token request.
        overload_retry_after_s: the ``Retry-After`` seconds of those 503 answers.
    """

    binding_message_pattern: str = r"^[a-zA-Z0-9-._+/!?#]{1,20}$"
    push_timeout_result: str = "access_denied"
    push_enabled: bool = False
    scopes: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SCOPES))
    access_token_lifetime: int = 7200
    id_token_lifetime: int = 3600
    retention_s: float = 600.0
    truth_limit: int = 50_000
    ping_timeout_s: float = 5.0
    max_body_bytes: int = 65_536
    clock_skew_s: float = 60.0
    language_packs_dir: str = ""
    overload_503_every_n: int = 0
    overload_retry_after_s: int = 2


@dataclass
class SimulatorState:
    """All configuration plus the lock that guards it; ``version`` bumps on every write."""

    pf: PingFederateConfig = field(default_factory=PingFederateConfig)
    p1: PingOneConfig = field(default_factory=PingOneConfig)
    sim: SimulatorSettings = field(default_factory=SimulatorSettings)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    version: int = 0

    def touch(self) -> None:
        """Record a configuration change (callers hold ``lock``)."""
        self.version += 1
