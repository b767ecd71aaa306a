"""Client authentication at the backchannel and token endpoints (RFC 6749 2.3, OIDC Core 9, RFC 7523).

Methods by the client's Admin API ``clientAuth.type``:

- ``SECRET``: ``client_secret_basic`` or ``client_secret_post`` (PingFederate accepts both);
- ``CLIENT_SECRET_JWT``: HMAC-signed ``client_assertion`` (HS256/384/512);
- ``PRIVATE_KEY_JWT``: asymmetric ``client_assertion`` verified with ``jwksSettings.jwks``;
- ``CERTIFICATE`` (mutual TLS): the simulator serves plain HTTP, so such a client always fails
  with ``invalid_client`` (documented gap).

Assertion checks: ``iss`` = ``sub`` = client_id, ``aud`` contains the issuer or the token or
backchannel endpoint URL, ``exp`` required and in the future, ``iat``/``nbf`` not in the future,
``jti`` required and never seen before for this client (replay cache until ``exp``).
Secrets are compared with :func:`hmac.compare_digest`. Using two methods at once is
``invalid_request`` (RFC 6749 2.3).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Any, Callable, Mapping
from urllib.parse import unquote_plus

from ..protocol import jose
from ..protocol.constants import CLIENT_ASSERTION_TYPE_JWT_BEARER
from ..protocol.errors import InvalidClient, InvalidRequest, OAuthError
from .compiled import ClientConf, Compiled

__all__ = ["authenticate_client", "invalid_client"]


def invalid_client(description: str, *, basic: bool = False) -> OAuthError:
    """An ``invalid_client`` error; ``basic`` asks for a ``WWW-Authenticate: Basic`` header (RFC 6749 5.2)."""
    err = InvalidClient(description)
    err.www_basic = basic  # type: ignore[attr-defined]
    return err


def _secret_ok(given: str, expected: str | None) -> bool:
    if expected is None:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))


def _num(claims: Mapping[str, Any], name: str) -> float | None:
    v = claims.get(name)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(f"{name} must be a number")
    return float(v)


def check_assertion_claims(claims: Mapping[str, Any], *, client_id: str, audiences: tuple[str, ...],
                           now: float, skew: float) -> tuple[str, float]:
    """Claims of a client assertion; returns ``(jti, exp)``. Raises ValueError with the reason."""
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise ValueError("iss and sub must both be the client_id")
    aud = claims.get("aud")
    auds = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not any(a in audiences for a in auds if isinstance(a, str)):
        raise ValueError("aud must be the issuer or the endpoint URL")
    exp = _num(claims, "exp")
    if exp is None:
        raise ValueError("exp is required")
    if exp < now - skew:
        raise ValueError("the assertion has expired")
    for name in ("iat", "nbf"):
        v = _num(claims, name)
        if v is not None and v > now + skew:
            raise ValueError(f"{name} is in the future")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise ValueError("jti is required")
    return jti, exp


def authenticate_client(form: Mapping[str, str], authorization: str | None, conf: Compiled, *,
                        audiences: tuple[str, ...], now: float, skew: float,
                        remember_jti: Callable[[str, float], bool]) -> ClientConf:
    """Authenticate the client of a form request; return its configuration.

    Raises:
        InvalidClient: unknown client, wrong secret/key, bad assertion (``www_basic`` set for Basic).
        InvalidRequest: more than one authentication method, or none at all but a malformed request.
    """
    basic = authorization is not None and authorization[:6].lower() == "basic "
    has_post = "client_secret" in form
    has_jwt = "client_assertion" in form or "client_assertion_type" in form
    if basic + has_post + has_jwt > 1:
        raise InvalidRequest("use exactly one client authentication method")
    form_cid = form.get("client_id")
    if basic:
        try:
            raw = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")  # type: ignore[index]
            cid_enc, sep, sec_enc = raw.partition(":")
            if not sep:
                raise ValueError("no colon")
            cid, secret = unquote_plus(cid_enc), unquote_plus(sec_enc)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise invalid_client("malformed HTTP Basic credentials", basic=True) from None
        if form_cid is not None and form_cid != cid:
            raise invalid_client("client_id in the form differs from the Basic credentials", basic=True)
        client = conf.clients.get(cid)
        if client is None:
            raise invalid_client("unknown client or wrong secret", basic=True)
        if client.auth_type != "SECRET":
            raise invalid_client(f"client is not registered for client_secret_basic ({client.auth_type})", basic=True)
        if not _secret_ok(secret, client.secret):
            raise invalid_client("unknown client or wrong secret", basic=True)
        return client
    if has_post:
        if not form_cid:
            raise invalid_client("client_secret_post needs client_id")
        client = conf.clients.get(form_cid)
        if client is None or not _secret_ok(form["client_secret"], client.secret):
            raise invalid_client("unknown client or wrong secret")
        if client.auth_type != "SECRET":
            raise invalid_client(f"client is not registered for client_secret_post ({client.auth_type})")
        return client
    if has_jwt:
        if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE_JWT_BEARER:
            raise invalid_client(f"client_assertion_type must be {CLIENT_ASSERTION_TYPE_JWT_BEARER}")
        assertion = form.get("client_assertion") or ""
        try:
            header, claims = jose.decode_unverified(assertion)
        except jose.JwtError:
            raise invalid_client("client_assertion is not a JWT") from None
        cid = claims.get("iss") if isinstance(claims.get("iss"), str) else None
        if form_cid is not None and form_cid != cid:
            raise invalid_client("client_id differs from the assertion's iss")
        client = conf.clients.get(cid or "")
        if client is None:
            raise invalid_client("unknown client")
        if client.auth_type == "CLIENT_SECRET_JWT":
            if client.secret is None:
                raise invalid_client("client has no secret")
            keys: Any = jose.secret_key(client.secret)
        elif client.auth_type == "PRIVATE_KEY_JWT":
            if client.keyset is None:
                raise invalid_client("client has no usable JWKS (jwksSettings.jwks)")
            keys = client.keyset
        else:
            raise invalid_client(f"client is not registered for JWT authentication ({client.auth_type})")
        try:
            jose.verify_jwt(assertion, keys, client.assertion_algs)
        except jose.JwtError as exc:
            raise invalid_client(f"client_assertion rejected: {str(exc)[:120]}") from None
        try:
            jti, exp = check_assertion_claims(claims, client_id=client.id, audiences=audiences, now=now, skew=skew)
        except ValueError as exc:
            raise invalid_client(f"client_assertion rejected: {exc}") from None
        if not remember_jti(f"assertion|{client.id}|{jti}", exp + skew):
            raise invalid_client("client_assertion jti was already used (replay)")
        return client
    if form_cid and form_cid in conf.clients:
        raise invalid_client("client authentication is required (no secret or assertion sent)")
    raise invalid_client("client authentication is required")
