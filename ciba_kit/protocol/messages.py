"""CIBA messages on the client side: build and validate requests, parse and check responses.

Pure functions over plain data (dicts, bytes, numbers). The HTTP client calls them with what it is
about to send or what it received, so every rule here is unit-tested without a server.

- :func:`build_auth_request` — the backchannel authentication request (CIBA Core 7.1), checked
  before sending: exactly one hint, a scope containing ``openid``, a positive ``requested_expiry``,
  a well-formed ``client_notification_token`` (generated with 256 bits when ping/push needs one).
- :func:`request_object_claims` — the claims of a signed request (7.1.1) with every claim CIBA and
  FAPI-CIBA require, ``client_id`` inside (PingFederate wants it inside and outside).
- :func:`parse_json_body`, :func:`parse_acknowledgement`, :func:`parse_token_response`,
  :func:`parse_error_response` — turn a server answer into a value or a clear
  :class:`~ciba_kit.protocol.errors.ProtocolError` / :class:`~ciba_kit.protocol.errors.OAuthError`.
- :func:`parse_ping_notification`, :func:`parse_push_notification` — callback bodies (10.2, 10.3, 12).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import jose
from .constants import CIBA_GRANT_TYPE, MAX_NOTIFICATION_TOKEN_LENGTH, MAX_REQUEST_OBJECT_LIFETIME
from .errors import InputError, OAuthError, ProtocolError, error_for

__all__ = [
    "HINT_NAMES",
    "MAX_BODY_BYTES",
    "Acknowledgement",
    "TokenResponse",
    "PushNotification",
    "join_scope",
    "new_notification_token",
    "check_notification_token",
    "build_auth_request",
    "request_object_claims",
    "token_request_form",
    "parse_json_body",
    "parse_acknowledgement",
    "parse_token_response",
    "parse_error_response",
    "parse_ping_notification",
    "parse_push_notification",
]

HINT_NAMES = ("login_hint", "login_hint_token", "id_token_hint")
#: Largest response body the client reads (a token response is a few KB; anything bigger is wrong).
MAX_BODY_BYTES = 256 * 1024
# RFC 6750 2.1 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
_EXCERPT = 200


def join_scope(scope: str | Iterable[str] | None, *, field_name: str = "scope") -> str | None:
    """Space-join a scope (or acr_values) given as a string or an iterable of strings."""
    if scope is None:
        return None
    if isinstance(scope, str):
        parts = scope.split()
    else:
        parts = []
        for item in scope:
            if not isinstance(item, str):
                raise InputError(field_name, f"items must be strings, got {type(item).__name__}",
                                 f"pass {field_name} as 'openid profile' or ['openid', 'profile']")
            parts.extend(item.split())
    return " ".join(dict.fromkeys(parts)) or None


def new_notification_token() -> str:
    """A fresh ``client_notification_token``: 32 random bytes (256 bits), base64url."""
    return jose.random_token(32)


def check_notification_token(token: str) -> None:
    """Raise :class:`InputError` unless ``token`` is a valid RFC 6750 b64token of at most 1024 chars
    carrying (at least nominally) 128 bits: 22+ characters of base64url."""
    if not isinstance(token, str) or not _B64TOKEN.match(token):
        raise InputError("client_notification_token", "must be an RFC 6750 b64token (A-Z a-z 0-9 -._~+/)",
                         "leave it unset and the kit generates one")
    if len(token) > MAX_NOTIFICATION_TOKEN_LENGTH:
        raise InputError("client_notification_token", f"longer than {MAX_NOTIFICATION_TOKEN_LENGTH} characters",
                         "use a shorter random token")
    if len(token) < 22:
        raise InputError("client_notification_token", "too short to carry 128 bits of entropy",
                         "use at least 22 random base64url characters, or leave it unset")


def build_auth_request(
    *,
    scope: str | Iterable[str] | None = "openid",
    login_hint: str | None = None,
    login_hint_token: str | None = None,
    id_token_hint: str | None = None,
    binding_message: str | None = None,
    user_code: str | None = None,
    requested_expiry: int | str | None = None,
    acr_values: str | Iterable[str] | None = None,
    client_notification_token: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """Validate and assemble the backchannel authentication request parameters (CIBA Core 7.1).

    ``None`` values are dropped. Client-authentication parameters are not included: the client's
    authentication method adds them.

    Raises:
        InputError: No hint or more than one hint; no ``openid`` in scope; a bad ``requested_expiry``,
            ``binding_message`` or ``client_notification_token``.
    """
    hints = {"login_hint": login_hint, "login_hint_token": login_hint_token, "id_token_hint": id_token_hint}
    given = [k for k, v in hints.items() if v is not None]
    if not given:
        raise InputError("login_hint", "no user hint given",
                         "pass exactly one of login_hint, login_hint_token, id_token_hint")
    if len(given) > 1:
        raise InputError(given[1], f"more than one user hint given ({', '.join(given)})",
                         "pass exactly one of login_hint, login_hint_token, id_token_hint")
    hint_name = given[0]
    hint_value = hints[hint_name]
    if not isinstance(hint_value, str) or not hint_value.strip():
        raise InputError(hint_name, "must be a non-empty string", f"pass the user's {hint_name}")
    scope_s = join_scope(scope)
    if not scope_s or "openid" not in scope_s.split():
        raise InputError("scope", f"must contain 'openid' (got {scope_s!r})",
                         "add openid, e.g. scope='openid profile'")
    params: dict[str, str] = {"scope": scope_s, hint_name: hint_value}
    if binding_message is not None:
        if not isinstance(binding_message, str) or not binding_message:
            raise InputError("binding_message", "must be a non-empty string", "pass a short code like 'W4SCT'")
        params["binding_message"] = binding_message
    if user_code is not None:
        if not isinstance(user_code, str) or not user_code:
            raise InputError("user_code", "must be a non-empty string", "pass the user's code as text")
        params["user_code"] = user_code
    if requested_expiry is not None:
        try:
            n = int(requested_expiry)
            ok = not isinstance(requested_expiry, bool) and str(n) == str(requested_expiry).strip()
        except (TypeError, ValueError):
            ok = False
        if not ok or n <= 0:
            raise InputError("requested_expiry", f"must be a positive integer of seconds (got {requested_expiry!r})",
                             "pass e.g. requested_expiry=60")
        params["requested_expiry"] = str(n)
    acr = join_scope(acr_values, field_name="acr_values")
    if acr:
        params["acr_values"] = acr
    if client_notification_token is not None:
        check_notification_token(client_notification_token)
        params["client_notification_token"] = client_notification_token
    for k, v in (extra or {}).items():
        if v is None:
            continue
        if k in params or k in HINT_NAMES:
            raise InputError(k, "given both as a named argument and in extra parameters", "pass it once")
        params[str(k)] = v if isinstance(v, str) else json.dumps(v) if isinstance(v, (dict, list)) else str(v)
    return params


def request_object_claims(
    params: Mapping[str, str],
    *,
    client_id: str,
    audience: str,
    now: float,
    jti: str,
    lifetime: int = 300,
) -> dict[str, Any]:
    """Claims of a signed authentication request (CIBA Core 7.1.1, FAPI-CIBA).

    Every request parameter goes inside; ``aud`` (the issuer), ``iss`` (= client_id), ``iat``,
    ``nbf`` (= iat), ``exp`` (iat + lifetime), ``jti`` are added, and ``client_id`` as well
    because PingFederate requires it inside and outside. ``requested_expiry`` becomes a JSON number.

    Raises:
        InputError: ``lifetime`` not in 1..3600 seconds (FAPI-CIBA caps nbf..exp at 60 minutes).
    """
    if not 0 < lifetime <= MAX_REQUEST_OBJECT_LIFETIME:
        raise InputError("request_object_lifetime", f"must be 1..{MAX_REQUEST_OBJECT_LIFETIME} s (got {lifetime})",
                         "use the default 300")
    iat = int(now)
    claims: dict[str, Any] = dict(params)
    if "requested_expiry" in claims:
        claims["requested_expiry"] = int(claims["requested_expiry"])
    claims.update({"iss": client_id, "aud": audience, "iat": iat, "nbf": iat, "exp": iat + int(lifetime),
                   "jti": jti, "client_id": client_id})
    return claims


def token_request_form(auth_req_id: str) -> dict[str, str]:
    """The CIBA token request parameters (10.1), without client authentication."""
    return {"grant_type": CIBA_GRANT_TYPE, "auth_req_id": auth_req_id}


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """A successful backchannel authentication response (CIBA Core 7.3)."""

    auth_req_id: str = field(repr=False)
    expires_in: int
    interval: int | None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class TokenResponse:
    """A successful token response (ping/poll token call or push payload). Tokens never in repr."""

    access_token: str = field(repr=False)
    token_type: str
    expires_in: int | None = None
    refresh_token: str | None = field(default=None, repr=False)
    id_token: str | None = field(default=None, repr=False)
    scope: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class PushNotification:
    """What a push callback carried: tokens, or an error (CIBA Core 10.3.1 / 12)."""

    auth_req_id: str = field(repr=False)
    tokens: TokenResponse | None = None
    error: OAuthError | None = None


def _excerpt(content: bytes) -> str:
    text = content[:_EXCERPT].decode("utf-8", "replace")
    return " ".join(text.split())


def parse_json_body(status: int, content_type: str | None, content: bytes, *,
                    max_bytes: int = MAX_BODY_BYTES, what: str = "response") -> dict[str, Any]:
    """Decode a JSON object body or raise a :class:`ProtocolError` saying what arrived instead.

    Catches HTML error pages, non-JSON, truncated JSON, JSON that is not an object and oversized
    bodies. The message carries a short (unmasked-safe: the server's own text) excerpt.
    """
    if len(content) > max_bytes:
        raise ProtocolError(f"{what} body is larger than {max_bytes} bytes", status=status)
    ctype = (content_type or "").split(";")[0].strip().lower()
    if not content.strip():
        raise ProtocolError(f"{what} has an empty body where JSON was expected", status=status)
    if ctype in ("text/html", "application/xhtml+xml") or content.lstrip()[:1] == b"<":
        raise ProtocolError(f"{what} is an HTML page, not JSON (a proxy or error page?)", status=status,
                            body_excerpt=_excerpt(content))
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"{what} is not valid JSON ({exc.__class__.__name__}: {exc})", status=status,
                            body_excerpt=_excerpt(content)) from None
    if not isinstance(data, dict):
        raise ProtocolError(f"{what} is JSON but not an object (got {type(data).__name__})", status=status,
                            body_excerpt=_excerpt(content))
    return data


def _positive_int(data: Mapping[str, Any], name: str, *, required: bool, allow_zero: bool = False,
                  status: int | None = None, what: str) -> int | None:
    if name not in data or data[name] is None:
        if required:
            raise ProtocolError(f"{what} lacks required member {name!r}", status=status)
        return None
    v = data[name]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not v.is_integer()):
        raise ProtocolError(f"{what} member {name!r} must be an integer number of seconds, got {v!r}",
                            status=status)
    n = int(v)
    if n < 0 or (n == 0 and not allow_zero):
        raise ProtocolError(f"{what} member {name!r} must be positive, got {n}", status=status)
    return n


def parse_acknowledgement(data: Mapping[str, Any], *, status: int = 200) -> Acknowledgement:
    """Check a backchannel success body: ``auth_req_id`` (string), ``expires_in`` (positive integer),
    optional ``interval`` (non-negative integer). Unknown members are kept in ``extra``."""
    what = "backchannel authentication response"
    rid = data.get("auth_req_id")
    if not isinstance(rid, str) or not rid:
        raise ProtocolError(f"{what} lacks a string 'auth_req_id'", status=status)
    expires_in = _positive_int(data, "expires_in", required=True, status=status, what=what)
    interval = _positive_int(data, "interval", required=False, allow_zero=True, status=status, what=what)
    extra = {k: v for k, v in data.items() if k not in ("auth_req_id", "expires_in", "interval")}
    assert expires_in is not None
    return Acknowledgement(rid, expires_in, interval, extra)


def parse_token_response(data: Mapping[str, Any], *, status: int = 200, what: str = "token response",
                         require_id_token: bool = False) -> TokenResponse:
    """Check a token response body: ``access_token`` and ``token_type`` strings, optional
    ``expires_in``, ``refresh_token``, ``id_token``, ``scope`` of the right types."""
    at = data.get("access_token")
    if not isinstance(at, str) or not at:
        raise ProtocolError(f"{what} lacks a string 'access_token'", status=status)
    tt = data.get("token_type")
    if not isinstance(tt, str) or not tt:
        raise ProtocolError(f"{what} lacks a string 'token_type'", status=status)
    for name in ("refresh_token", "id_token", "scope"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise ProtocolError(f"{what} member {name!r} must be a string", status=status)
    if require_id_token and not data.get("id_token"):
        raise ProtocolError(f"{what} lacks an 'id_token' (scope openid was requested)", status=status)
    exp = _positive_int(data, "expires_in", required=False, allow_zero=True, status=status, what=what)
    known = {"access_token", "token_type", "expires_in", "refresh_token", "id_token", "scope"}
    return TokenResponse(at, tt, exp, data.get("refresh_token"), data.get("id_token"), data.get("scope"),
                         {k: v for k, v in data.items() if k not in known})


def parse_error_response(data: Mapping[str, Any], *, status: int | None, endpoint: str | None = None) -> OAuthError:
    """Turn an OAuth error body into its exception class (``error_for``); a body without a string
    ``error`` is a :class:`ProtocolError` (raised)."""
    err = data.get("error")
    if not isinstance(err, str) or not err:
        raise ProtocolError("error response lacks a string 'error' member", status=status,
                            body_excerpt=json.dumps(dict(data))[:_EXCERPT])
    desc = data.get("error_description")
    uri = data.get("error_uri")
    return error_for(err, desc if isinstance(desc, str) else None, uri=uri if isinstance(uri, str) else None,
                     status=status, endpoint=endpoint, response=dict(data))


def parse_ping_notification(data: Mapping[str, Any]) -> str:
    """The ``auth_req_id`` of a ping callback body (CIBA Core 10.2), or :class:`ProtocolError`."""
    rid = data.get("auth_req_id")
    if not isinstance(rid, str) or not rid:
        raise ProtocolError("ping notification lacks a string 'auth_req_id'")
    return rid


def parse_push_notification(data: Mapping[str, Any]) -> PushNotification:
    """Parse a push callback: a token payload (10.3.1) or an error payload (12)."""
    rid = data.get("auth_req_id")
    if not isinstance(rid, str) or not rid:
        raise ProtocolError("push notification lacks a string 'auth_req_id'")
    if "error" in data:
        return PushNotification(rid, error=parse_error_response(data, status=None, endpoint="push"))
    tokens = parse_token_response(data, what="push notification", require_id_token=True)
    return PushNotification(rid, tokens=tokens)
