"""PingFederate Admin API vocabulary shared by the simulator (which serves the API) and setup (which
calls it): enumerations, the PingOne MFA CIBA Authenticator's descriptor and table names, and the
id rules. No I/O. One copy, so what setup checks before sending is what the simulator enforces.
"""

from __future__ import annotations

import re

__all__ = [
    "PINGONE_MFA_CIBA_DESCRIPTOR_ID",
    "TEMPLATE_VARIABLES_TABLE",
    "VAR_NAME_FIELD",
    "VAR_VALUE_FIELD",
    "GRANT_TYPES",
    "SIGNING_ALGORITHMS",
    "SYMMETRIC_ALGORITHMS",
    "CLIENT_AUTH_TYPES",
    "PROXY_SETTINGS",
    "PF_ID_RE",
    "VAR_NAME_RE",
]

PINGONE_MFA_CIBA_DESCRIPTOR_ID = "com.pingidentity.oobauth.pingone.mfa.PingOneMfaCibaAuthenticator"
TEMPLATE_VARIABLES_TABLE = "PingOne Template Variables"
VAR_NAME_FIELD = "PingOne Template Variable Name"
VAR_VALUE_FIELD = "PingOne Template Variable Value"
GRANT_TYPES = ("IMPLICIT", "AUTHORIZATION_CODE", "RESOURCE_OWNER_CREDENTIALS", "CLIENT_CREDENTIALS",
               "REFRESH_TOKEN", "EXTENSION", "DEVICE_CODE", "ACCESS_TOKEN_VALIDATION", "CIBA", "TOKEN_EXCHANGE")
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512")
SYMMETRIC_ALGORITHMS = ("HS256", "HS384", "HS512")
CLIENT_AUTH_TYPES = ("NONE", "SECRET", "CERTIFICATE", "PRIVATE_KEY_JWT", "CLIENT_SECRET_JWT")
PROXY_SETTINGS = ("No Proxy", "System Defaults", "Custom")
#: PingFederate instance ids: "alphanumeric, no spaces, fewer than 33 characters" (console wording).
PF_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
#: PingOne Template Variable Names are Velocity identifiers.
VAR_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
