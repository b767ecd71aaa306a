"""Client authentication at the backchannel and token endpoints (OIDC Core 9, RFC 7523, RFC 8705).

Each method is a small object whose :meth:`ClientAuth.apply` adds what it needs to an outgoing form
and headers. Secrets and keys never appear in ``repr``. A secret given as ``None`` is read from the
environment (``CIBA_KIT_CLIENT_SECRET``) or a ``.env`` file, so notebooks and scripts need not hold it.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any, ClassVar, Mapping
from urllib.parse import quote

from ..protocol import jose
from ..protocol.constants import CLIENT_ASSERTION_TYPE_JWT_BEARER, ClientAuthMethod
from ..protocol.errors import InputError
from ..protocol.masking import mask_secret

__all__ = [
    "SECRET_ENV_VAR",
    "resolve_secret",
    "ClientAuth",
    "ClientSecretBasic",
    "ClientSecretPost",
    "ClientSecretJwt",
    "PrivateKeyJwt",
    "TlsClientAuth",
    "SelfSignedTlsClientAuth",
    "auth_for_method",
]

SECRET_ENV_VAR = "CIBA_KIT_CLIENT_SECRET"
#: Lifetime of a client assertion JWT (RFC 7523 wants it short; replay is checked by jti anyway).
ASSERTION_LIFETIME = 60


def resolve_secret(secret: str | None, *, env_var: str = SECRET_ENV_VAR, dotenv_path: str | Path | None = None) -> str:
    """The client secret from the argument, else the environment, else a ``.env`` file.

    Raises:
        InputError: no secret anywhere.
    """
    if secret:
        return secret
    value = os.environ.get(env_var)
    if value:
        return value
    try:
        from dotenv import dotenv_values, find_dotenv

        path = str(dotenv_path) if dotenv_path else find_dotenv(usecwd=True)
        if path:
            value = dotenv_values(path).get(env_var)
    except Exception:  # noqa: BLE001 - a broken .env must not crash; we report "no secret" below
        value = None
    if value:
        return value
    raise InputError("client_secret", "no client secret given",
                     f"pass it, or set {env_var} in the environment or a .env file")


class ClientAuth:
    """Base of the client authentication methods."""

    method: ClassVar[ClientAuthMethod]
    #: (certificate file, key file) presented on the TLS connection, for the mTLS methods.
    cert: tuple[str, str] | None = None

    def apply(self, client_id: str, form: dict[str, str], headers: dict[str, str], *, audience: str,
              now: float) -> None:
        """Add authentication to an outgoing request in place.

        Args:
            client_id: The client's id.
            form: Form parameters about to be sent.
            headers: HTTP headers about to be sent.
            audience: ``aud`` for JWT assertions.
            now: Epoch seconds (the injected clock's ``time()``), for ``iat``/``exp``.
        """
        raise NotImplementedError

    @property
    def per_request(self) -> bool:
        """True when every request needs fresh material (a new assertion): nothing can be cached."""
        return False

    def secrets(self) -> list[str]:
        """Secret strings to scrub from any text shown to people."""
        return []


def _basic(client_id: str, secret: str) -> str:
    # RFC 6749 2.3.1: both parts are form-urlencoded before base64.
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


class ClientSecretBasic(ClientAuth):
    """``client_secret_basic``: HTTP Basic with the client id and secret.

    Args:
        secret: The client secret; ``None`` reads ``CIBA_KIT_CLIENT_SECRET`` (environment or .env).
    """

    method = ClientAuthMethod.CLIENT_SECRET_BASIC

    def __init__(self, secret: str | None = None) -> None:
        self._secret = resolve_secret(secret)
        self._cache: tuple[str, str] | None = None

    def apply(self, client_id: str, form: dict[str, str], headers: dict[str, str], *, audience: str,
              now: float) -> None:
        if self._cache is None or self._cache[0] != client_id:
            self._cache = (client_id, _basic(client_id, self._secret))
        headers["Authorization"] = self._cache[1]

    def secrets(self) -> list[str]:
        return [self._secret]

    def __repr__(self) -> str:
        return f"ClientSecretBasic(secret={mask_secret(self._secret)})"


class ClientSecretPost(ClientAuth):
    """``client_secret_post``: ``client_id`` and ``client_secret`` as form parameters."""

    method = ClientAuthMethod.CLIENT_SECRET_POST

    def __init__(self, secret: str | None = None) -> None:
        self._secret = resolve_secret(secret)

    def apply(self, client_id: str, form: dict[str, str], headers: dict[str, str], *, audience: str,
              now: float) -> None:
        form["client_id"] = client_id
        form["client_secret"] = self._secret

    def secrets(self) -> list[str]:
        return [self._secret]

    def __repr__(self) -> str:
        return f"ClientSecretPost(secret={mask_secret(self._secret)})"


class _JwtAssertion(ClientAuth):
    alg: str
    _key: Any

    @property
    def per_request(self) -> bool:
        return True

    def assertion(self, client_id: str, *, audience: str, now: float) -> str:
        """A fresh RFC 7523 client assertion (iss = sub = client_id, aud, jti, iat, exp)."""
        iat = int(now)
        claims = {"iss": client_id, "sub": client_id, "aud": audience, "jti": jose.random_token(16),
                  "iat": iat, "exp": iat + ASSERTION_LIFETIME}
        return jose.sign_jwt(claims, self._key, self.alg)

    def apply(self, client_id: str, form: dict[str, str], headers: dict[str, str], *, audience: str,
              now: float) -> None:
        form["client_id"] = client_id
        form["client_assertion_type"] = CLIENT_ASSERTION_TYPE_JWT_BEARER
        form["client_assertion"] = self.assertion(client_id, audience=audience, now=now)


class ClientSecretJwt(_JwtAssertion):
    """``client_secret_jwt``: an assertion signed with HMAC over the client secret.

    Args:
        secret: The client secret (``None``: environment / .env).
        alg: ``HS256`` (default), ``HS384`` or ``HS512``.
    """

    method = ClientAuthMethod.CLIENT_SECRET_JWT

    def __init__(self, secret: str | None = None, *, alg: str = "HS256") -> None:
        if alg not in jose.SYMMETRIC_ALGS:
            raise InputError("alg", f"{alg!r} is not an HMAC alg", f"use one of {', '.join(jose.SYMMETRIC_ALGS)}")
        self._secret = resolve_secret(secret)
        self._key = jose.secret_key(self._secret)
        self.alg = alg

    def secrets(self) -> list[str]:
        return [self._secret]

    def __repr__(self) -> str:
        return f"ClientSecretJwt(secret={mask_secret(self._secret)}, alg={self.alg!r})"


def _default_alg(key: Any) -> str:
    alg = getattr(key, "alg", None) or (key.get("alg") if hasattr(key, "get") else None)
    if alg:
        return str(alg)
    kty = getattr(key, "key_type", None)
    if kty == "EC":
        crv = key.as_dict().get("crv")
        return {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}.get(crv, "ES256")
    # UNCONFIRMED which RSA alg a given PingFederate client expects; RS256 is the OIDC default.
    return "RS256"


class PrivateKeyJwt(_JwtAssertion):
    """``private_key_jwt``: an assertion signed with the client's private key.

    Args:
        key: A JWK (dict or JSON), a PEM string/bytes, or a path to either.
        alg: Signing alg; default from the key (its ``alg``, else ES256/384/512 by curve, RS256 for RSA).
        kid: Key id placed in the JWS header (default: the JWK's ``kid``).
    """

    method = ClientAuthMethod.PRIVATE_KEY_JWT

    def __init__(self, key: str | bytes | Path | Mapping[str, Any] | jose.Key, *, alg: str | None = None,
                 kid: str | None = None) -> None:
        try:
            self._key = key if hasattr(key, "as_dict") else jose.load_private_key(key, kid=kid)  # type: ignore[arg-type]
        except (jose.JwtError, ValueError, OSError) as exc:
            raise InputError("private_key", f"cannot load the key ({exc})",
                             "pass a private JWK, a PEM private key, or a path to one") from None
        if not self._key.is_private:
            raise InputError("private_key", "the key has no private part", "pass the private key, not the public JWK")
        self.alg = alg or _default_alg(self._key)
        if self.alg not in jose.ASYMMETRIC_ALGS:
            raise InputError("alg", f"{self.alg!r} is not an asymmetric JWS alg", "use ES256, PS256 or RS256")

    @property
    def key(self) -> jose.Key:
        """The private key (also used to sign request objects by default)."""
        return self._key

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK."""
        return jose.public_jwk(self._key)

    def __repr__(self) -> str:
        return f"PrivateKeyJwt(key={mask_secret(self._key)}, alg={self.alg!r}, kid={self._key.kid!r})"


class TlsClientAuth(ClientAuth):
    """``tls_client_auth`` (RFC 8705 2.1): a PKI client certificate on the TLS connection.

    Args:
        cert: Path to the client certificate (PEM).
        key: Path to its private key (PEM).
    """

    method = ClientAuthMethod.TLS_CLIENT_AUTH

    def __init__(self, cert: str | Path, key: str | Path) -> None:
        for name, p in (("cert", cert), ("key", key)):
            if not Path(p).is_file():
                raise InputError(name, f"file {str(p)!r} not found", "pass the PEM file path")
        self.cert = (str(cert), str(key))

    def apply(self, client_id: str, form: dict[str, str], headers: dict[str, str], *, audience: str,
              now: float) -> None:
        form["client_id"] = client_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}(cert={self.cert[0]!r}, key={mask_secret(self.cert[1])})"  # type: ignore[index]


class SelfSignedTlsClientAuth(TlsClientAuth):
    """``self_signed_tls_client_auth`` (RFC 8705 2.2): a self-signed certificate whose key is in the
    client's registered JWKS."""

    method = ClientAuthMethod.SELF_SIGNED_TLS_CLIENT_AUTH


def auth_for_method(method: str, *, secret: str | None = None, private_key: Any = None,
                    cert: str | None = None, cert_key: str | None = None) -> ClientAuth:
    """Build the auth object for a method name (the CLI's ``--auth-method``).

    Raises:
        InputError: unknown method or missing material.
    """
    m = method.replace("-", "_").lower()
    if m == ClientAuthMethod.CLIENT_SECRET_BASIC:
        return ClientSecretBasic(secret)
    if m == ClientAuthMethod.CLIENT_SECRET_POST:
        return ClientSecretPost(secret)
    if m == ClientAuthMethod.CLIENT_SECRET_JWT:
        return ClientSecretJwt(secret)
    if m == ClientAuthMethod.PRIVATE_KEY_JWT:
        if private_key is None:
            raise InputError("private_key", "private_key_jwt needs a key", "pass --private-key FILE")
        return PrivateKeyJwt(private_key)
    if m in (ClientAuthMethod.TLS_CLIENT_AUTH, ClientAuthMethod.SELF_SIGNED_TLS_CLIENT_AUTH):
        if not cert or not cert_key:
            raise InputError("cert", f"{m} needs a client certificate and key", "pass the PEM files")
        cls = TlsClientAuth if m == ClientAuthMethod.TLS_CLIENT_AUTH else SelfSignedTlsClientAuth
        return cls(cert, cert_key)
    raise InputError("auth_method", f"unknown method {method!r}",
                     "use client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt, "
                     "tls_client_auth or self_signed_tls_client_auth")
