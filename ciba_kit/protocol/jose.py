"""JOSE helpers over joserfc: key loading, JWT signing and verification, left-half hashes.

Used by the client (client assertions, signed request objects, ID-token validation) and by the
simulator (ID tokens, verifying assertions and request objects). No I/O except reading the
shipped demo key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping, Union

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey, import_key

__all__ = [
    "Key",
    "JwtError",
    "ASYMMETRIC_ALGS",
    "SYMMETRIC_ALGS",
    "generate_signing_key",
    "load_private_key",
    "demo_client_key",
    "public_jwk",
    "key_set",
    "sign_jwt",
    "decode_unverified",
    "verify_jwt",
    "left_hash",
    "random_token",
    "secret_key",
]

Key = Union[ECKey, RSAKey, OctKey]

ASYMMETRIC_ALGS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512")
SYMMETRIC_ALGS = ("HS256", "HS384", "HS512")
_EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


class JwtError(ValueError):
    """A JWT could not be parsed, or failed signature verification."""


def random_token(nbytes: int = 32) -> str:
    """URL-safe random string with ``nbytes`` bytes (``8*nbytes`` bits) of entropy."""
    return secrets.token_urlsafe(nbytes)


def generate_signing_key(alg: str = "ES256", *, kid: str | None = None) -> Key:
    """A fresh private key suited to ``alg`` (EC for ES*, RSA 2048 for RS*/PS*)."""
    params: dict[str, Any] = {"use": "sig", "alg": alg, "kid": kid or random_token(8)}
    if alg in _EC_CURVES:
        return ECKey.generate_key(_EC_CURVES[alg], parameters=params, private=True)  # type: ignore[arg-type]
    if alg.startswith(("RS", "PS")):
        return RSAKey.generate_key(2048, parameters=params, private=True)  # type: ignore[arg-type]
    raise ValueError(f"no key type for alg {alg!r}")


def load_private_key(value: str | bytes | Path | Mapping[str, Any], *, kid: str | None = None) -> Key:
    """Load a private key from a JWK (dict or JSON text), a PEM string/bytes, or a file path."""
    if isinstance(value, Path):
        value = value.read_bytes()
    if isinstance(value, (str, bytes)):
        text = value.decode() if isinstance(value, bytes) else value
        stripped = text.strip()
        if stripped.startswith("{"):
            value = json.loads(stripped)
        elif "-----BEGIN" in stripped:
            for cls in (ECKey, RSAKey):
                try:
                    key = cls.import_key(stripped, parameters={"kid": kid} if kid else None)  # type: ignore[arg-type]
                    return key
                except Exception:  # noqa: BLE001 - try the next key type
                    continue
            raise JwtError("PEM is neither an EC nor an RSA private key")
        elif Path(stripped).is_file():
            return load_private_key(Path(stripped), kid=kid)
        else:
            raise JwtError("expected a JWK (JSON), a PEM private key or a key file path")
    data = {k: v for k, v in dict(value).items() if not str(k).startswith("x-")}
    if kid and "kid" not in data:
        data["kid"] = kid
    return import_key(data)  # type: ignore[return-value]


def demo_client_key() -> Key:
    """The ES256 key shipped with the package for the demo clients ``demo-jwt`` and ``demo-signed``.

    DEMO ONLY: its private half is public; never register it anywhere real.
    """
    text = resources.files("ciba_kit.data").joinpath("demo-client-key.jwk.json").read_text()
    return load_private_key(text)


def secret_key(secret: str) -> OctKey:
    """An HMAC key from a client secret (client_secret_jwt)."""
    return OctKey.import_key(secret.encode())


def public_jwk(key: Key) -> dict[str, Any]:
    """The public JWK of ``key`` as a dict (never the private parts)."""
    return dict(key.as_dict(private=False))


def key_set(keys: KeySet | Mapping[str, Any] | Iterable[Key | Mapping[str, Any]] | Key) -> KeySet:
    """Build a joserfc KeySet from a JWKS dict, a list of keys/JWKs, or one key."""
    if isinstance(keys, KeySet):
        return keys
    if isinstance(keys, (ECKey, RSAKey, OctKey)):
        return KeySet([keys])
    if isinstance(keys, Mapping):
        if "keys" in keys:
            return KeySet.import_key_set(dict(keys))  # type: ignore[arg-type]
        return KeySet([import_key(dict(keys))])  # type: ignore[list-item]
    out = []
    for k in keys:
        out.append(k if isinstance(k, (ECKey, RSAKey, OctKey)) else import_key(dict(k)))
    return KeySet(out)  # type: ignore[arg-type]


def sign_jwt(claims: Mapping[str, Any], key: Key, alg: str, *, kid: str | None = None,
             typ: str | None = "JWT") -> str:
    """Sign ``claims`` as a compact JWS."""
    header: dict[str, Any] = {"alg": alg}
    kid = kid if kid is not None else key.kid
    if kid:
        header["kid"] = kid
    if typ:
        header["typ"] = typ
    try:
        return jwt.encode(header, dict(claims), key, algorithms=[alg])
    except JoseError as exc:
        raise JwtError(f"cannot sign with {alg}: {exc}") from exc


def _b64json(part: str) -> dict[str, Any]:
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    obj = json.loads(raw)
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    return obj


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a compact JWS *without* checking the signature (to find iss/kid first)."""
    if not isinstance(token, str) or token.count(".") != 2 or len(token) > 64_000:
        raise JwtError("not a compact JWT (three dot-separated parts)")
    h, c, _ = token.split(".")
    try:
        return _b64json(h), _b64json(c)
    except Exception as exc:  # noqa: BLE001 - any decoding failure means garbage
        raise JwtError(f"JWT header or payload is not base64url JSON: {exc}") from exc


def verify_jwt(token: str, keys: KeySet | Mapping[str, Any] | Iterable[Any] | Key,
               algorithms: Iterable[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify the signature with one of ``keys`` under an alg allow-list; return (header, claims).

    ``none`` is never accepted, whatever ``algorithms`` says. Claim checks (iss, aud, exp...) are
    the caller's: they differ between ID tokens, assertions and request objects.
    """
    algs = [a for a in algorithms if a and a.lower() != "none"]
    header, _ = decode_unverified(token)
    if header.get("alg") not in algs:
        raise JwtError(f"alg {header.get('alg')!r} not allowed (allowed: {', '.join(algs) or 'none'})")
    ks = key_set(keys)
    try:
        tok = jwt.decode(token, ks, algorithms=algs)
    except JoseError as exc:
        raise JwtError(f"signature check failed: {exc.__class__.__name__} {exc}".strip()) from exc
    except Exception as exc:  # noqa: BLE001 - joserfc raises ValueError/KeyError on odd input
        raise JwtError(f"JWT rejected: {exc}") from exc
    return dict(tok.header), dict(tok.claims)


def left_hash(value: str, alg: str) -> str:
    """OIDC left-half hash (at_hash, c_hash, rt_hash) of ``value`` for signing alg ``alg``."""
    bits = alg[2:] if alg[:2] in ("RS", "ES", "PS", "HS") else "256"
    fn = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}.get(bits, hashlib.sha256)
    digest = fn(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()
