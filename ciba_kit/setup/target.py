"""Where a setup goes: a simulator, a URL, or the connections of a profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from ..protocol.errors import InputError
from .api import PingFederateAdmin, PingOneApi, is_loopback
from .profile import (
    SIMULATOR_ADMIN_PASSWORD,
    SIMULATOR_ADMIN_USERNAME,
    SIMULATOR_ENVIRONMENT_ID,
    SIMULATOR_WORKER_CLIENT_ID,
    SIMULATOR_WORKER_SECRET,
    SetupProfile,
)

__all__ = ["SetupTarget", "resolve_target"]

_ADMIN_SUFFIX = "/pf-admin-api/v1"


@dataclass
class SetupTarget:
    """The API clients (and runtime issuer) one setup talks to."""

    admin: PingFederateAdmin | None
    pingone: PingOneApi | None
    issuer: str | None
    label: str

    def close(self) -> None:
        """Close both HTTP clients."""
        for c in (self.admin, self.pingone):
            if c is not None:
                c.close()


def _simulator_like(target: Any) -> bool:
    return all(hasattr(target, a) for a in ("admin_url", "pingone_url", "issuer"))


def resolve_target(profile: SetupProfile | None, target: Any = None, *, admin: PingFederateAdmin | None = None,
                   pingone: PingOneApi | None = None, issuer: str | None = None) -> SetupTarget:
    """Build the API clients for ``target``.

    Args:
        profile: supplies credentials and PingOne environment (may be None with a simulator target).
        target: None (the profile's ``pingfederate.admin_url`` / ``pingone``), a URL (the
            simulator's issuer, or an Admin API base ending in ``/pf-admin-api/v1``), or a
            running ``Simulator`` (anything with ``issuer``, ``admin_url``, ``pingone_url``).
        admin: use this Admin API client instead.
        pingone: use this PingOne client instead.
        issuer: the PingFederate runtime issuer (for the doctor's discovery and live test).

    Raises:
        InputError: the target or the credentials are unusable.
    """
    pf = profile.pingfederate if profile else None
    p1 = profile.pingone if profile else None
    admin_url: str | None
    pingone_base: str | None = None
    local = False
    if target is None:
        admin_url = pf.admin_url if pf else None
        issuer = issuer or (pf.issuer if pf else None)
        label = admin_url or "profile"
    elif isinstance(target, str):
        parsed = urlparse(target)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise InputError("--target", f"not an http(s) URL: {target!r}",
                             "give the simulator's URL (http://127.0.0.1:PORT) or https://host:9999/pf-admin-api/v1")
        base = target.rstrip("/")
        if base.endswith(_ADMIN_SUFFIX):
            admin_url = base
            root = base[: -len(_ADMIN_SUFFIX)]
        else:
            admin_url = base + _ADMIN_SUFFIX
            root = base
        local = is_loopback(target)
        if local:
            # A loopback target is taken to be a ciba_kit simulator: PingOne stand-in and runtime on it.
            pingone_base = root + "/pingone/v1"
            issuer = issuer or root
        else:
            issuer = issuer or (pf.issuer if pf else None)
        label = target
    elif _simulator_like(target):
        admin_url = target.admin_url
        pingone_base = target.pingone_url
        issuer = issuer or target.issuer
        local = True
        label = "embedded simulator"
    else:
        raise InputError("target", f"cannot use {type(target).__name__} as a setup target",
                         "pass a URL, a running Simulator, or admin=/pingone= clients")

    if admin is None and admin_url:
        password = pf.password if pf else None
        bearer = pf.bearer_token if pf else None
        username = pf.username if pf else SIMULATOR_ADMIN_USERNAME
        if password is None and bearer is None:
            if not local:
                raise InputError("pingfederate.password_env",
                                 "no admin password (environment variable "
                                 f"{pf.password_env if pf and pf.password_env else 'unset'})",
                                 "export the variable named by pingfederate.password_env")
            username, password = SIMULATOR_ADMIN_USERNAME, SIMULATOR_ADMIN_PASSWORD
        admin = PingFederateAdmin(admin_url, username=username, password=password, bearer_token=bearer,
                                  verify=(pf.ca_bundle or pf.verify_tls) if pf else True)
    if pingone is None and (pingone_base or (p1 and (p1.worker_client_id or p1.api_base))):
        env_id = p1.environment_id if p1 else SIMULATOR_ENVIRONMENT_ID
        cid = p1.worker_client_id if p1 else None
        secret = p1.worker_secret if p1 else None
        if local and (secret is None or pingone_base):
            # The stand-in accepts only its own demo worker (profiles name the real one).
            cid, secret = SIMULATOR_WORKER_CLIENT_ID, SIMULATOR_WORKER_SECRET
            env_id = SIMULATOR_ENVIRONMENT_ID
        if secret is None:
            raise InputError("pingone.worker_secret_env",
                             f"no worker secret (environment variable {p1.worker_secret_env if p1 else 'unset'})",
                             "export the variable named by pingone.worker_secret_env")
        pingone = PingOneApi(env_id, client_id=cid, client_secret=secret, region=p1.region if p1 else "com",
                             api_base=pingone_base or (p1.api_base if p1 else None),
                             auth_base=pingone_base or (p1.auth_base if p1 else None))
    return SetupTarget(admin=admin, pingone=pingone, issuer=issuer, label=label)
