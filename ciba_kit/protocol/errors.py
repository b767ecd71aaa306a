"""The kit's exceptions: one root, one class per CIBA/OAuth error code, errors that teach.

```
CibaError
├── InputError (also ValueError)      bad argument or config: names the field and the fix
├── TransportError                    connection refused/reset, TLS failure, timeout
├── ProtocolError                     the server's answer is malformed (HTML page, bad JSON, missing field)
│   ├── DiscoveryError                metadata lacks what CIBA needs
│   └── TokenValidationError          ID token signature or claims are wrong
└── OAuthError                        the server answered with a JSON ``error``
    ├── InvalidRequest, InvalidRequestObject, InvalidScope, ExpiredLoginHintToken,
    │   UnknownUserId, UnauthorizedClient, MissingUserCode, InvalidUserCode,
    │   InvalidBindingMessage, InvalidClient, AccessDenied, AuthorizationPending, SlowDown,
    │   ExpiredToken, InvalidGrant, UnsupportedGrantType, TransactionFailed, ServerError,
    │   TemporarilyUnavailable, InvalidToken
    └── UnknownOAuthError             a code outside the specs
```

Every :class:`OAuthError` keeps the server's ``error_description`` and adds a ``hint`` naming the
likely PingFederate / PingOne setup cause (which step, which field).
"""

from __future__ import annotations

from typing import Any, ClassVar

from .constants import ErrorCode

__all__ = [
    "CibaError",
    "InputError",
    "TransportError",
    "ProtocolError",
    "DiscoveryError",
    "TokenValidationError",
    "OAuthError",
    "InvalidRequest",
    "InvalidRequestObject",
    "InvalidScope",
    "ExpiredLoginHintToken",
    "UnknownUserId",
    "UnauthorizedClient",
    "MissingUserCode",
    "InvalidUserCode",
    "InvalidBindingMessage",
    "InvalidClient",
    "AccessDenied",
    "AuthorizationPending",
    "SlowDown",
    "ExpiredToken",
    "InvalidGrant",
    "UnsupportedGrantType",
    "TransactionFailed",
    "ServerError",
    "TemporarilyUnavailable",
    "InvalidToken",
    "UnknownOAuthError",
    "ERROR_CLASSES",
    "error_for",
]


class CibaError(Exception):
    """Root of every exception ciba_kit raises on purpose."""


class InputError(CibaError, ValueError):
    """A user-supplied value is wrong. ``field`` names it, ``fix`` says what to do."""

    def __init__(self, field: str, problem: str, fix: str = "") -> None:
        self.field = field
        self.problem = problem
        self.fix = fix
        msg = f"{field}: {problem}"
        if fix:
            msg += f" — {fix}"
        super().__init__(msg)


class TransportError(CibaError):
    """The HTTP exchange itself failed (connection, TLS, timeout)."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        self.url = url
        super().__init__(message if url is None else f"{message} ({url})")


class ProtocolError(CibaError):
    """The server answered, but not as the protocol says (status, content type, JSON shape)."""

    def __init__(self, message: str, *, status: int | None = None, body_excerpt: str | None = None) -> None:
        self.status = status
        self.body_excerpt = body_excerpt
        text = message
        if status is not None:
            text += f" [HTTP {status}]"
        if body_excerpt:
            text += f": {body_excerpt!r}"
        super().__init__(text)


class DiscoveryError(ProtocolError):
    """The discovery document lacks something CIBA needs; ``missing`` lists it."""

    def __init__(self, message: str, *, missing: list[str] | None = None) -> None:
        self.missing = list(missing or [])
        super().__init__(message)


class TokenValidationError(ProtocolError):
    """An ID token (or other JWT from the server) failed signature or claim validation."""


class OAuthError(CibaError):
    """The server returned a JSON error response (``error``, ``error_description``, ``error_uri``)."""

    code: ClassVar[str] = ""
    #: The likely setup cause, written for someone holding the PingFederate / PingOne consoles.
    default_hint: ClassVar[str] = ""

    def __init__(
        self,
        description: str | None = None,
        *,
        error: str | None = None,
        uri: str | None = None,
        status: int | None = None,
        endpoint: str | None = None,
        hint: str | None = None,
        response: dict[str, Any] | None = None,
    ) -> None:
        self.error = error or self.code
        self.description = description
        self.uri = uri
        self.status = status
        self.endpoint = endpoint
        self.hint = hint if hint is not None else self.default_hint
        self.response = response or {}
        parts = [self.error]
        if description:
            parts.append(f": {description}")
        if status is not None:
            parts.append(f" [HTTP {status}{' at ' + endpoint if endpoint else ''}]")
        if self.hint:
            parts.append(f"\nHint: {self.hint}")
        super().__init__("".join(parts))


def _cls(name: str, code: ErrorCode, hint: str, doc: str) -> type[OAuthError]:
    return type(name, (OAuthError,), {"code": code.value, "default_hint": hint, "__doc__": doc,
                                       "__module__": __name__})


InvalidRequest = _cls(
    "InvalidRequest", ErrorCode.INVALID_REQUEST,
    "A parameter is missing, duplicated or malformed: send exactly one of login_hint, login_hint_token, "
    "id_token_hint; a scope containing openid; form-encoded POST. For ping clients also a "
    "client_notification_token (PingFederate: OAuth client > CIBA > Token Delivery Mode = PING).",
    "invalid_request: the request is missing a parameter, repeats one, or is malformed.")
InvalidRequestObject = _cls(
    "InvalidRequestObject", ErrorCode.INVALID_REQUEST_OBJECT,
    "The signed request object was rejected: check its alg against the client's "
    "cibaRequestObjectSigningAlgorithm, its aud (the issuer), iss = client_id, exp/nbf within 60 minutes, "
    "a fresh jti, and that the key is in the client's JWKS (jwksSettings).",
    "invalid_request_object: the signed request JWT is invalid.")
InvalidScope = _cls(
    "InvalidScope", ErrorCode.INVALID_SCOPE,
    "A requested scope is not defined in PingFederate (System > OAuth Settings > Scope Management) or "
    "is restricted for this client (OAuth client > Restrict Scopes).",
    "invalid_scope: a requested scope is invalid or unknown.")
ExpiredLoginHintToken = _cls(
    "ExpiredLoginHintToken", ErrorCode.EXPIRED_LOGIN_HINT_TOKEN,
    "The login_hint_token's exp has passed: mint a fresh one.",
    "expired_login_hint_token: the login_hint_token has expired.")
UnknownUserId = _cls(
    "UnknownUserId", ErrorCode.UNKNOWN_USER_ID,
    "The hint did not resolve to a user: check the CIBA request policy's identity hint contract and "
    "mapping (IDENTITY_HINT_SUBJECT -> subject) and that the user exists in the PingOne directory.",
    "unknown_user_id: the hint does not identify a known user.")
UnauthorizedClient = _cls(
    "UnauthorizedClient", ErrorCode.UNAUTHORIZED_CLIENT,
    "The OAuth client lacks the CIBA grant type: PingFederate > Applications > OAuth > Clients > "
    "Allowed Grant Types > CIBA (Admin API grantTypes contains \"CIBA\").",
    "unauthorized_client: this client may not use CIBA (or this grant).")
MissingUserCode = _cls(
    "MissingUserCode", ErrorCode.MISSING_USER_CODE,
    "The client has user-code support on (cibaUserCodeSupported) and its request policy has a User Code "
    "PCV: send user_code.",
    "missing_user_code: a user_code is required but absent.")
InvalidUserCode = _cls(
    "InvalidUserCode", ErrorCode.INVALID_USER_CODE,
    "The request policy's User Code PCV rejected the user_code: check the code, and that the PCV's "
    "USER_CODE_USER_NAME mapping points at the right user.",
    "invalid_user_code: the user_code is wrong.")
InvalidBindingMessage = _cls(
    "InvalidBindingMessage", ErrorCode.INVALID_BINDING_MESSAGE,
    "The provider's binding-message rule refused it: PingFederate deployments have been reported to "
    "accept only 1-20 characters of [a-zA-Z0-9-._+/!?#] (no spaces).",
    "invalid_binding_message: the binding_message is too long or has characters the device cannot show.")
InvalidClient = _cls(
    "InvalidClient", ErrorCode.INVALID_CLIENT,
    "Client authentication failed: check client_id, the secret (or key), and that the authentication "
    "method matches the client's Client Authentication setting (clientAuth.type: SECRET, "
    "CLIENT_SECRET_JWT, PRIVATE_KEY_JWT, CERTIFICATE).",
    "invalid_client: client authentication failed.")
AccessDenied = _cls(
    "AccessDenied", ErrorCode.ACCESS_DENIED,
    "The user denied the request on the phone, or the PingOne push timed out (MFA policy push timeout, "
    "40-150 s) and the authenticator reported FAILURE.",
    "access_denied: the user or the provider refused.")
AuthorizationPending = _cls(
    "AuthorizationPending", ErrorCode.AUTHORIZATION_PENDING,
    "The user has not answered yet: keep polling at the interval.",
    "authorization_pending: the user has not answered yet.")
SlowDown = _cls(
    "SlowDown", ErrorCode.SLOW_DOWN,
    "Polled faster than the interval: add 5 s to the interval for the rest of this request.",
    "slow_down: still pending, and poll more slowly.")
ExpiredToken = _cls(
    "ExpiredToken", ErrorCode.EXPIRED_TOKEN,
    "The auth_req_id outlived expires_in (request policy Transaction Lifetime, default 120 s, or a shorter "
    "requested_expiry): start a new request.",
    "expired_token: the auth_req_id has expired.")
InvalidGrant = _cls(
    "InvalidGrant", ErrorCode.INVALID_GRANT,
    "The auth_req_id is unknown, was issued to another client, or was already redeemed.",
    "invalid_grant: the auth_req_id is not valid for this client.")
UnsupportedGrantType = _cls(
    "UnsupportedGrantType", ErrorCode.UNSUPPORTED_GRANT_TYPE,
    "The token endpoint does not know grant_type urn:openid:params:grant-type:ciba: is CIBA enabled on "
    "this server?",
    "unsupported_grant_type: the grant type is not supported.")
TransactionFailed = _cls(
    "TransactionFailed", ErrorCode.TRANSACTION_FAILED,
    "The provider failed while processing the request (push error payload, CIBA 12).",
    "transaction_failed: the OP could not complete the transaction.")
ServerError = _cls(
    "ServerError", ErrorCode.SERVER_ERROR,
    "The provider hit an internal error: for PingFederate check server.log and the authenticator's "
    "PingOne connection (Actions tab > test).",
    "server_error: the provider failed internally.")
TemporarilyUnavailable = _cls(
    "TemporarilyUnavailable", ErrorCode.TEMPORARILY_UNAVAILABLE,
    "The provider is overloaded: back off (honour Retry-After).",
    "temporarily_unavailable: the provider is overloaded.")
InvalidToken = _cls(
    "InvalidToken", ErrorCode.INVALID_TOKEN,
    "A bearer token was rejected (for a notification: the client_notification_token did not match).",
    "invalid_token: the bearer token is invalid.")


class UnknownOAuthError(OAuthError):
    """An ``error`` code that no spec in scope defines; ``error`` holds the raw code."""

    code = ""
    default_hint = "The server used an error code outside CIBA/OAuth: read its error_description."


#: Wire code -> exception class.
ERROR_CLASSES: dict[str, type[OAuthError]] = {
    cls.code: cls
    for cls in (
        InvalidRequest, InvalidRequestObject, InvalidScope, ExpiredLoginHintToken, UnknownUserId,
        UnauthorizedClient, MissingUserCode, InvalidUserCode, InvalidBindingMessage, InvalidClient,
        AccessDenied, AuthorizationPending, SlowDown, ExpiredToken, InvalidGrant, UnsupportedGrantType,
        TransactionFailed, ServerError, TemporarilyUnavailable, InvalidToken,
    )
}


def error_for(
    error: str,
    description: str | None = None,
    *,
    uri: str | None = None,
    status: int | None = None,
    endpoint: str | None = None,
    response: dict[str, Any] | None = None,
) -> OAuthError:
    """Build the exception for a wire ``error`` code (an :class:`UnknownOAuthError` for unknown codes)."""
    cls = ERROR_CLASSES.get(error, UnknownOAuthError)
    return cls(description, error=error, uri=uri, status=status, endpoint=endpoint, response=response)
