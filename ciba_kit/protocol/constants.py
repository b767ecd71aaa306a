"""CIBA and OAuth protocol constants: grant type, delivery modes, error codes, claim names."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "CIBA_GRANT_TYPE",
    "CLIENT_ASSERTION_TYPE_JWT_BEARER",
    "CLAIM_AUTH_REQ_ID",
    "CLAIM_RT_HASH",
    "DEFAULT_POLL_INTERVAL",
    "SLOW_DOWN_INCREMENT",
    "MAX_NOTIFICATION_TOKEN_LENGTH",
    "MAX_REQUEST_OBJECT_LIFETIME",
    "DeliveryMode",
    "ClientAuthMethod",
    "ErrorCode",
    "Outcome",
]

CIBA_GRANT_TYPE = "urn:openid:params:grant-type:ciba"
CLIENT_ASSERTION_TYPE_JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLAIM_AUTH_REQ_ID = "urn:openid:params:jwt:claim:auth_req_id"
CLAIM_RT_HASH = "urn:openid:params:jwt:claim:rt_hash"

#: Seconds a client waits between polls when the acknowledgement carries no ``interval`` (CIBA Core 7.3).
DEFAULT_POLL_INTERVAL = 5
#: Seconds added to the interval for good after each ``slow_down`` (CIBA Core 11 / RFC 8628 3.5).
SLOW_DOWN_INCREMENT = 5
#: Upper bound of ``client_notification_token`` (CIBA Core 7.1).
MAX_NOTIFICATION_TOKEN_LENGTH = 1024
#: FAPI-CIBA: a signed request object may live at most 60 minutes (nbf..exp).
MAX_REQUEST_OBJECT_LIFETIME = 3600


class DeliveryMode(StrEnum):
    """Token delivery modes of CIBA Core section 5."""

    POLL = "poll"
    PING = "ping"
    PUSH = "push"


class ClientAuthMethod(StrEnum):
    """Token endpoint client authentication methods (OIDC Core 9, RFC 8705)."""

    CLIENT_SECRET_BASIC = "client_secret_basic"
    CLIENT_SECRET_POST = "client_secret_post"
    CLIENT_SECRET_JWT = "client_secret_jwt"
    PRIVATE_KEY_JWT = "private_key_jwt"
    TLS_CLIENT_AUTH = "tls_client_auth"
    SELF_SIGNED_TLS_CLIENT_AUTH = "self_signed_tls_client_auth"
    NONE = "none"


class ErrorCode(StrEnum):
    """Every error code of the backchannel endpoint (CIBA 13), token endpoint (CIBA 11, RFC 6749 5.2)
    and push error payload (CIBA 12)."""

    INVALID_REQUEST = "invalid_request"
    INVALID_REQUEST_OBJECT = "invalid_request_object"
    INVALID_SCOPE = "invalid_scope"
    EXPIRED_LOGIN_HINT_TOKEN = "expired_login_hint_token"
    UNKNOWN_USER_ID = "unknown_user_id"
    UNAUTHORIZED_CLIENT = "unauthorized_client"
    MISSING_USER_CODE = "missing_user_code"
    INVALID_USER_CODE = "invalid_user_code"
    INVALID_BINDING_MESSAGE = "invalid_binding_message"
    INVALID_CLIENT = "invalid_client"
    ACCESS_DENIED = "access_denied"
    AUTHORIZATION_PENDING = "authorization_pending"
    SLOW_DOWN = "slow_down"
    EXPIRED_TOKEN = "expired_token"
    INVALID_GRANT = "invalid_grant"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
    TRANSACTION_FAILED = "transaction_failed"
    SERVER_ERROR = "server_error"
    TEMPORARILY_UNAVAILABLE = "temporarily_unavailable"
    INVALID_TOKEN = "invalid_token"


class Outcome(StrEnum):
    """How one CIBA flow ended, as reported in FlowResult, the run log and ``request --json``."""

    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"
    ERROR = "error"
    CANCELLED = "cancelled"
    INCOMPLETE = "incomplete"
