"""Server-side CIBA request rules as pure functions (no I/O): shared by the simulator and the client.

Each checker returns the normalised value or raises the matching :class:`~ciba_kit.protocol.errors.OAuthError`
subclass (``InvalidRequest``, ``InvalidBindingMessage``...), so a server can turn the exception
straight into a JSON error and a client can run the same rule before sending (fail fast, same words).

Facts behind the defaults:

- ``binding_message``: CIBA Core sets no limit. PingFederate's documentation gives none either; a
  field report (PF 13.x with the PingOne MFA integration kit) saw HTTP 400 ``invalid_binding_message``
  for values over 20 characters or with spaces, accepted pattern ``^[a-zA-Z0-9-._+/!?#]{1,20}$``
  (the same rule node-oidc-provider ships). That is :data:`PINGFEDERATE_BINDING_MESSAGE_PATTERN`,
  the default; pass another pattern to model Keycloak (50, no spaces) or Auth0 (64).
- ``client_notification_token``: RFC 6750 section 2.1 ``b64token`` syntax, at most 1024 characters
  (CIBA Core 7.1).
- ``requested_expiry``: a positive integer; in a signed request object a JSON number or a numeric
  string (CIBA Core 7.1.1). The simulator refuses values above the request policy's transaction
  lifetime with ``invalid_request`` (PingFederate behaviour UNCONFIRMED; clamping is the alternative).
"""

from __future__ import annotations

import re
from typing import Any, Mapping
from urllib.parse import unquote

from .constants import MAX_NOTIFICATION_TOKEN_LENGTH
from .errors import InvalidBindingMessage, InvalidRequest
from .masking import token_hash

__all__ = [
    "PINGFEDERATE_BINDING_MESSAGE_PATTERN",
    "B64TOKEN_RE",
    "AUTH_REQ_ID_RE",
    "HINT_PARAMETERS",
    "AUTH_REQUEST_PARAMETERS",
    "MAX_FORM_FIELDS",
    "parse_form",
    "check_binding_message",
    "binding_message_matcher",
    "single_hint",
    "check_notification_token",
    "parse_requested_expiry",
    "scope_list",
    "auth_req_id_hash",
]

#: The field-reported PingFederate + PingOne MFA rule (see the module docstring).
PINGFEDERATE_BINDING_MESSAGE_PATTERN = r"^[a-zA-Z0-9-._+/!?#]{1,20}$"
#: RFC 6750 section 2.1 ``b64token``.
B64TOKEN_RE = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
#: CIBA Core 7.3: characters allowed in an ``auth_req_id``.
AUTH_REQ_ID_RE = re.compile(r"[A-Za-z0-9._\-]+")
#: The three identity hints of CIBA Core 7.1 (exactly one must be sent).
HINT_PARAMETERS = ("login_hint_token", "id_token_hint", "login_hint")
#: Authentication-request parameters that must live inside a signed request object (CIBA Core 7.1.1).
AUTH_REQUEST_PARAMETERS = (
    "scope", "client_notification_token", "acr_values", "login_hint_token", "id_token_hint", "login_hint",
    "binding_message", "user_code", "requested_expiry",
)
#: More form fields than this is not a CIBA request (bounds parsing work on garbage).
MAX_FORM_FIELDS = 64

_matchers: dict[str, re.Pattern[str]] = {}


def _unquote(part: str) -> str:
    if "+" in part:
        part = part.replace("+", " ")
    if "%" in part:
        return unquote(part, encoding="utf-8", errors="strict")
    return part


def parse_form(body: bytes) -> dict[str, str]:
    """Parse an ``application/x-www-form-urlencoded`` body strictly.

    Equivalent to ``urllib.parse.parse_qsl(..., strict_parsing=True, errors="strict")`` but cheaper on
    the common case (no escapes) and refusing what a CIBA endpoint must refuse.

    Raises:
        InvalidRequest: not ASCII on the wire, not UTF-8 after percent-decoding, a field without ``=``
            or empty, more than :data:`MAX_FORM_FIELDS` fields, or a parameter sent twice (RFC 6749
            3.1: parameters must not be included more than once).
    """
    if not body:
        return {}
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise InvalidRequest("the form body must be ASCII (percent-encode everything else)") from None
    parts = text.split("&")
    if len(parts) > MAX_FORM_FIELDS:
        raise InvalidRequest(f"the form body has more than {MAX_FORM_FIELDS} fields")
    out: dict[str, str] = {}
    try:
        for part in parts:
            name, sep, value = part.partition("=")
            if not sep or not name:
                raise InvalidRequest("the form body is malformed (a field without name=value)")
            name = _unquote(name)
            if name in out:
                raise InvalidRequest(f"parameter {name[:40]!r} is included more than once")
            out[name] = _unquote(value)
    except UnicodeDecodeError:
        raise InvalidRequest("the form body is not valid percent-encoded UTF-8") from None
    return out


def binding_message_matcher(pattern: str | None = None) -> re.Pattern[str]:
    """The compiled (and cached) binding-message pattern; ``None`` means PingFederate's reported rule."""
    pat = pattern or PINGFEDERATE_BINDING_MESSAGE_PATTERN
    m = _matchers.get(pat)
    if m is None:
        m = _matchers[pat] = re.compile(pat)
    return m


def check_binding_message(message: str | None, pattern: str | None = None) -> str | None:
    """Return ``message`` if the rule accepts it (``None`` passes: the parameter is optional).

    Raises:
        InvalidBindingMessage: the message does not match ``pattern`` (default: 1-20 characters of
            ``[a-zA-Z0-9-._+/!?#]``, no spaces).
    """
    if message is None:
        return None
    if binding_message_matcher(pattern).fullmatch(message) is None:
        rule = pattern or PINGFEDERATE_BINDING_MESSAGE_PATTERN
        raise InvalidBindingMessage(
            f"binding_message is not displayable: it must match {rule} (got {len(message)} characters)")
    return message


def single_hint(params: Mapping[str, Any]) -> tuple[str, str]:
    """The one identity hint of a request as ``(name, value)``.

    Raises:
        InvalidRequest: none, or more than one, of login_hint_token / id_token_hint / login_hint.
    """
    present = [(n, params[n]) for n in HINT_PARAMETERS if params.get(n) not in (None, "")]
    if len(present) != 1:
        which = ", ".join(n for n, _ in present) or "none"
        raise InvalidRequest(
            f"send exactly one of login_hint_token, id_token_hint, login_hint (got {which})")
    name, value = present[0]
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} must be a string")
    return name, value


def check_notification_token(token: Any, *, required: bool) -> str | None:
    """Validate ``client_notification_token`` (required for ping and push clients).

    Raises:
        InvalidRequest: missing when required, not a string, longer than 1024 characters, or not
            RFC 6750 b64token syntax.
    """
    if token is None or token == "":
        if required:
            raise InvalidRequest("client_notification_token is required for ping and push clients")
        return None
    if not isinstance(token, str):
        raise InvalidRequest("client_notification_token must be a string")
    if len(token) > MAX_NOTIFICATION_TOKEN_LENGTH:
        raise InvalidRequest(
            f"client_notification_token is longer than {MAX_NOTIFICATION_TOKEN_LENGTH} characters")
    if B64TOKEN_RE.fullmatch(token) is None:
        raise InvalidRequest("client_notification_token must use RFC 6750 b64token characters")
    return token


def parse_requested_expiry(value: Any, maximum: int | None = None, *, allow_number: bool = False) -> int | None:
    """``requested_expiry`` as an int, or ``None`` when absent.

    Args:
        value: the form string, or (``allow_number=True``, inside a signed request) a JSON number.
        maximum: the largest acceptable value (the request policy's transaction lifetime).
        allow_number: accept JSON integers as well as numeric strings.

    Raises:
        InvalidRequest: not a positive integer, or above ``maximum``.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidRequest("requested_expiry must be a positive integer")
    if isinstance(value, int) and allow_number:
        n = value
    elif isinstance(value, float) and allow_number and value.is_integer():
        n = int(value)
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        n = int(value)
    else:
        raise InvalidRequest("requested_expiry must be a positive integer (seconds)")
    if n <= 0:
        raise InvalidRequest("requested_expiry must be a positive integer (seconds)")
    if maximum is not None and n > maximum:
        raise InvalidRequest(f"requested_expiry {n} exceeds the transaction lifetime of {maximum} s")
    return n


def scope_list(scope: str | None) -> list[str]:
    """Space-separated scope string -> list (order kept, duplicates dropped)."""
    if not scope:
        return []
    seen: dict[str, None] = {}
    for s in scope.split(" "):
        if s:
            seen.setdefault(s, None)
    return list(seen)


def auth_req_id_hash(auth_req_id: str) -> str:
    """The kit-wide identity of an ``auth_req_id`` without its value (``masking.token_hash``: sha256, 12 hex)."""
    return token_hash(auth_req_id)
