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

__all__ = ["PingFederateConfig", "PingOneConfig", "SimulatorState"]

Json = dict[str, Any]


@dataclass
class PingFederateConfig:
    """PingFederate configuration documents, keyed by id, in Admin API JSON shape."""

    oob_plugins: dict[str, Json] = field(default_factory=dict)
    request_policies: dict[str, Json] = field(default_factory=dict)
    ciba_settings: Json = field(default_factory=lambda: {"defaultRequestPolicyRef": None})
    clients: dict[str, Json] = field(default_factory=dict)
    client_secrets: dict[str, str] = field(default_factory=dict)
    pcvs: dict[str, Json] = field(default_factory=dict)


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


@dataclass
class SimulatorState:
    """All configuration plus the lock that guards it; ``version`` bumps on every write."""

    pf: PingFederateConfig = field(default_factory=PingFederateConfig)
    p1: PingOneConfig = field(default_factory=PingOneConfig)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    version: int = 0

    def touch(self) -> None:
        """Record a configuration change (callers hold ``lock``)."""
        self.version += 1
