"""ID token validation for CIBA token responses and push payloads (OIDC Core 3.1.3.7, CIBA 10.3.1).

:func:`validate_id_token` checks the signature against the provider's JWKS under an alg allow-list
(``none`` never passes), then ``iss``, ``aud`` (and ``azp`` when several audiences), ``exp`` and
``iat`` with leeway, ``at_hash`` when present, and for push the binding claims
``urn:openid:params:jwt:claim:auth_req_id``, ``at_hash`` and ``urn:openid:params:jwt:claim:rt_hash``.
:func:`check_push_binding` is the key-free half of the push checks (what the notification receiver
can verify before it answers).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from typing import Any

from . import jose
from .constants import CLAIM_AUTH_REQ_ID, CLAIM_RT_HASH
from .errors import TokenValidationError

__all__ = ["DEFAULT_ID_TOKEN_ALGS", "UnknownSigningKey", "key_ids", "validate_id_token", "check_push_binding"]

#: Asymmetric algs accepted by default. RS256 is OIDC's mandatory default; FAPI profiles narrow this.
DEFAULT_ID_TOKEN_ALGS = ("RS256", "PS256", "ES256", "RS384", "PS384", "ES384", "RS512", "PS512", "ES512")


class UnknownSigningKey(TokenValidationError):
    """The token's ``kid`` is not in the key set (the caller may refresh the JWKS once and retry)."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        super().__init__(f"ID token is signed with kid {kid!r}, which the provider's JWKS does not contain")


def key_ids(keys: Mapping[str, Any]) -> set[str]:
    """The ``kid`` values of a JWKS document."""
    return {k["kid"] for k in keys.get("keys", []) if isinstance(k, Mapping) and isinstance(k.get("kid"), str)}


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def check_push_binding(claims: Mapping[str, Any], *, alg: str, auth_req_id: str, access_token: str,
                       refresh_token: str | None) -> None:
    """Check that a pushed ID token is bound to the pushed values (CIBA Core 10.3.1).

    Raises:
        TokenValidationError: a binding claim is missing or does not match.
    """
    got = claims.get(CLAIM_AUTH_REQ_ID)
    if not isinstance(got, str) or not _same(got, auth_req_id):
        raise TokenValidationError(f"pushed ID token's {CLAIM_AUTH_REQ_ID} is missing or differs from the payload's")
    at_hash = claims.get("at_hash")
    if not isinstance(at_hash, str) or not _same(at_hash, jose.left_hash(access_token, alg)):
        raise TokenValidationError("pushed ID token's at_hash is missing or does not match the access token")
    if refresh_token is not None:
        rt_hash = claims.get(CLAIM_RT_HASH)
        if not isinstance(rt_hash, str) or not _same(rt_hash, jose.left_hash(refresh_token, alg)):
            raise TokenValidationError(f"pushed ID token's {CLAIM_RT_HASH} is missing or does not match the "
                                       "refresh token")


def validate_id_token(
    token: str,
    keys: Mapping[str, Any],
    *,
    issuer: str,
    client_id: str,
    now: float,
    leeway: float = 60.0,
    algorithms: Iterable[str] = DEFAULT_ID_TOKEN_ALGS,
    max_age_iat: float = 24 * 3600,
    access_token: str | None = None,
    refresh_token: str | None = None,
    push_auth_req_id: str | None = None,
) -> dict[str, Any]:
    """Verify an ID token and return its claims.

    Args:
        token: The compact JWS.
        keys: The provider's JWKS document (``{"keys": [...]}``).
        issuer: Expected ``iss``.
        client_id: Must be in ``aud``; when ``aud`` has several entries, ``azp`` must equal it.
        now: Current epoch seconds (the injected clock's ``time()``).
        leeway: Seconds of tolerated clock skew for ``exp`` / ``iat``.
        algorithms: Allow-list of JWS algs (``none`` is dropped whatever is passed).
        max_age_iat: Reject tokens whose ``iat`` is older than this.
        access_token: When given and ``at_hash`` is present, ``at_hash`` must match.
        refresh_token: For push: the pushed refresh token (``rt_hash`` must match).
        push_auth_req_id: For push: the ``auth_req_id`` the token must be bound to.

    Raises:
        UnknownSigningKey: the ``kid`` is not in ``keys``.
        TokenValidationError: anything else is wrong.
    """
    algs = tuple(a for a in algorithms if a and a.lower() != "none")
    try:
        header, _ = jose.decode_unverified(token)
    except jose.JwtError as exc:
        raise TokenValidationError(f"ID token is not a JWT: {exc}") from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algs:
        raise TokenValidationError(f"ID token alg {alg!r} is not allowed (allowed: {', '.join(algs)})")
    kid = header.get("kid")
    kids = key_ids(keys)
    if isinstance(kid, str) and kid not in kids:
        raise UnknownSigningKey(kid)
    try:
        _, claims = jose.verify_jwt(token, dict(keys), algs)
    except jose.JwtError as exc:
        raise TokenValidationError(f"ID token signature is invalid: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - joserfc may raise on odd keys; never let it escape raw
        raise TokenValidationError(f"ID token could not be verified: {exc.__class__.__name__}") from None
    if claims.get("iss") != issuer:
        raise TokenValidationError(f"ID token iss {claims.get('iss')!r} is not the issuer {issuer!r}")
    aud = claims.get("aud")
    auds = [aud] if isinstance(aud, str) else list(aud) if isinstance(aud, list) else []
    if client_id not in auds:
        raise TokenValidationError(f"ID token aud {aud!r} does not contain client_id {client_id!r}")
    if len(auds) > 1 and claims.get("azp") not in (None, client_id):
        raise TokenValidationError(f"ID token azp {claims.get('azp')!r} is not client_id {client_id!r}")
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        raise TokenValidationError("ID token lacks a numeric exp")
    if now > exp + leeway:
        raise TokenValidationError(f"ID token expired {now - exp:.0f} s ago (leeway {leeway:g} s)")
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, (int, float)):
        raise TokenValidationError("ID token lacks a numeric iat")
    if iat > now + leeway:
        raise TokenValidationError(f"ID token iat is {iat - now:.0f} s in the future (leeway {leeway:g} s)")
    if now - iat > max_age_iat:
        raise TokenValidationError(f"ID token iat is {now - iat:.0f} s old")
    if push_auth_req_id is not None:
        if access_token is None:
            raise TokenValidationError("push validation needs the pushed access token")
        check_push_binding(claims, alg=alg, auth_req_id=push_auth_req_id, access_token=access_token,
                           refresh_token=refresh_token)
    elif access_token is not None and "at_hash" in claims:
        at_hash = claims["at_hash"]
        if not isinstance(at_hash, str) or not _same(at_hash, jose.left_hash(access_token, alg)):
            raise TokenValidationError("ID token at_hash does not match the access token")
    return claims
