"""OpenID Provider metadata for CIBA (CIBA Core 4): parse it and say exactly what is missing.

:class:`ProviderMetadata` wraps the ``/.well-known/openid-configuration`` document;
:func:`check_ciba_support` raises :class:`~ciba_kit.protocol.errors.DiscoveryError` whose
``missing`` lists every absent or unsuitable item (not just the first), so one run of the doctor
or one failed ``discover`` tells the whole story.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .constants import CIBA_GRANT_TYPE, DeliveryMode
from .errors import DiscoveryError

__all__ = ["WELL_KNOWN_PATH", "ProviderMetadata", "discovery_url", "check_ciba_support"]

WELL_KNOWN_PATH = "/.well-known/openid-configuration"


def discovery_url(issuer: str) -> str:
    """The discovery document URL of ``issuer`` (OIDC Discovery 4: issuer + well-known path)."""
    return issuer.rstrip("/") + WELL_KNOWN_PATH


def _strs(value: Any) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(v for v in value if isinstance(v, str))
    return ()


@dataclass(frozen=True)
class ProviderMetadata:
    """The CIBA-relevant part of a discovery document; ``raw`` keeps the whole document."""

    issuer: str
    token_endpoint: str | None
    backchannel_authentication_endpoint: str | None
    jwks_uri: str | None
    backchannel_token_delivery_modes_supported: tuple[str, ...] = ()
    backchannel_authentication_request_signing_alg_values_supported: tuple[str, ...] = ()
    backchannel_user_code_parameter_supported: bool = False
    grant_types_supported: tuple[str, ...] | None = None
    token_endpoint_auth_methods_supported: tuple[str, ...] | None = None
    id_token_signing_alg_values_supported: tuple[str, ...] = ()
    userinfo_endpoint: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProviderMetadata:
        """Build from a decoded discovery document (types are coerced; wrong types count as absent)."""
        def s(name: str) -> str | None:
            v = data.get(name)
            return v if isinstance(v, str) and v else None

        return cls(
            issuer=s("issuer") or "",
            token_endpoint=s("token_endpoint"),
            backchannel_authentication_endpoint=s("backchannel_authentication_endpoint"),
            jwks_uri=s("jwks_uri"),
            backchannel_token_delivery_modes_supported=_strs(data.get("backchannel_token_delivery_modes_supported")),
            backchannel_authentication_request_signing_alg_values_supported=_strs(
                data.get("backchannel_authentication_request_signing_alg_values_supported")),
            backchannel_user_code_parameter_supported=data.get("backchannel_user_code_parameter_supported") is True,
            grant_types_supported=(_strs(data["grant_types_supported"])
                                   if isinstance(data.get("grant_types_supported"), list) else None),
            token_endpoint_auth_methods_supported=(_strs(data["token_endpoint_auth_methods_supported"])
                                                   if isinstance(data.get("token_endpoint_auth_methods_supported"),
                                                                 list) else None),
            id_token_signing_alg_values_supported=_strs(data.get("id_token_signing_alg_values_supported")),
            userinfo_endpoint=s("userinfo_endpoint"),
            raw=dict(data),
        )

    def endpoints(self) -> dict[str, str | None]:
        """The endpoint URLs the client uses (always taken from here, never guessed)."""
        return {"token_endpoint": self.token_endpoint,
                "backchannel_authentication_endpoint": self.backchannel_authentication_endpoint,
                "jwks_uri": self.jwks_uri}


def check_ciba_support(
    meta: ProviderMetadata,
    *,
    expected_issuer: str | None = None,
    mode: DeliveryMode | str = DeliveryMode.POLL,
    auth_method: str | None = None,
    signing_alg: str | None = None,
    user_code: bool = False,
) -> None:
    """Check that ``meta`` supports the CIBA flow the client is about to run.

    Args:
        meta: The parsed discovery document.
        expected_issuer: The issuer the caller asked for; ``issuer`` must equal it (OIDC Discovery 4.3).
        mode: The client's token delivery mode.
        auth_method: The client authentication method name (checked against
            ``token_endpoint_auth_methods_supported`` when the server lists it).
        signing_alg: Set when the client will send signed requests with this alg.
        user_code: ``True`` when the client will send ``user_code``.

    Raises:
        DiscoveryError: ``missing`` names each absent or unsuitable item.
    """
    missing: list[str] = []
    if not meta.issuer:
        missing.append("issuer")
    elif expected_issuer is not None and meta.issuer.rstrip("/") != expected_issuer.rstrip("/"):
        missing.append(f"issuer (document says {meta.issuer!r}, expected {expected_issuer!r})")
    if not meta.backchannel_authentication_endpoint:
        missing.append("backchannel_authentication_endpoint")
    if not meta.token_endpoint and str(mode) != DeliveryMode.PUSH:
        missing.append("token_endpoint")
    if not meta.jwks_uri:
        missing.append("jwks_uri")
    modes = meta.backchannel_token_delivery_modes_supported
    if not modes:
        missing.append("backchannel_token_delivery_modes_supported")
    elif str(mode) not in modes:
        missing.append(f"backchannel_token_delivery_modes_supported: {mode} (server offers {', '.join(modes)})")
    if meta.grant_types_supported is not None and CIBA_GRANT_TYPE not in meta.grant_types_supported \
            and str(mode) != DeliveryMode.PUSH:
        missing.append(f"grant_types_supported: {CIBA_GRANT_TYPE}")
    if auth_method and meta.token_endpoint_auth_methods_supported is not None \
            and auth_method not in meta.token_endpoint_auth_methods_supported:
        missing.append(f"token_endpoint_auth_methods_supported: {auth_method}")
    if signing_alg:
        algs = meta.backchannel_authentication_request_signing_alg_values_supported
        if not algs:
            missing.append("backchannel_authentication_request_signing_alg_values_supported")
        elif signing_alg not in algs:
            missing.append(f"backchannel_authentication_request_signing_alg_values_supported: {signing_alg} "
                           f"(server offers {', '.join(algs)})")
    if user_code and not meta.backchannel_user_code_parameter_supported:
        missing.append("backchannel_user_code_parameter_supported: true")
    if missing:
        raise DiscoveryError(f"{meta.issuer or expected_issuer or 'provider'} lacks what this CIBA client needs: "
                             + "; ".join(missing), missing=missing)
