"""Masking helpers: how secrets and tokens appear in reprs, logs, notebook outputs and run logs.

The rule of the house is that a client secret, private key, access/ID/refresh token, auth_req_id
or client_notification_token never appears anywhere a person (or a CI log) can read it. Where
identity matters (which flow was that?), a short SHA-256 prefix stands in for the value: it lets
two records be matched without revealing the token.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "MASK",
    "SENSITIVE_KEYS",
    "token_hash",
    "mask_secret",
    "mask_token",
    "mask_mapping",
    "mask_text",
]

#: What a masked secret looks like. Deliberately carries no length or prefix information.
MASK = "***"

#: Keys whose values are secrets wherever they appear (form parameters, JSON bodies, headers).
SENSITIVE_KEYS: frozenset[str] = frozenset({
    "access_token",
    "id_token",
    "refresh_token",
    "auth_req_id",
    "client_secret",
    "client_assertion",
    "client_notification_token",
    "request",
    "login_hint_token",
    "id_token_hint",
    "user_code",
    "password",
    "secret",
    "private_key",
    "authorization",
    "d", "p", "q", "dp", "dq", "qi", "k",  # private JWK members
})


def token_hash(value: str | bytes, length: int = 12) -> str:
    """Hex prefix of SHA-256 of ``value``: a stable, non-reversible identity for a token.

    Args:
        value: The token or secret.
        length: Number of hex characters kept (12 = 48 bits, plenty to tell flows apart).

    Returns:
        The lowercase hex prefix.
    """
    data = value.encode() if isinstance(value, str) else value
    return hashlib.sha256(data).hexdigest()[:length]


def mask_secret(value: object) -> str:
    """Mask a secret completely (client secrets, keys): ``'***'``, or ``'None'`` when unset."""
    return "None" if value is None else MASK


def mask_token(value: str | None, *, label: str = "") -> str:
    """Mask a token but keep a hash for identity: ``'<masked sha256:1a2b3c4d5e6f>'``.

    Args:
        value: The token (``None`` gives ``'None'``).
        label: Optional prefix such as ``'auth_req_id '``.
    """
    if value is None:
        return "None"
    return f"<{label}masked sha256:{token_hash(value)}>"


def mask_mapping(data: Any, keys: Iterable[str] = SENSITIVE_KEYS) -> Any:
    """Deep copy of ``data`` (dicts, lists, tuples) with the values of sensitive keys masked.

    Keys compare case-insensitively so HTTP headers (``Authorization``) are caught too.
    """
    wanted = {k.lower() for k in keys}

    def walk(obj: Any) -> Any:
        if isinstance(obj, Mapping):
            out: dict[Any, Any] = {}
            for k, v in obj.items():
                if isinstance(k, str) and k.lower() in wanted and v is not None:
                    out[k] = mask_token(v) if isinstance(v, str) else MASK
                else:
                    out[k] = walk(v)
            return out
        if isinstance(obj, (list, tuple)):
            return type(obj)(walk(v) for v in obj)
        return obj

    return walk(data)


def mask_text(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each (non-trivial) secret in ``text`` with ``'***'``.

    Used on server error bodies and exception messages, which may echo what we sent.
    """
    for s in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(s, MASK)
    return text
