"""The simulator's PingFederate Admin API subset (``/pf-admin-api/v1``), in PingFederate's JSON shapes.

Routes (mounted by the simulator at ``/pf-admin-api/v1``):

```
GET|POST           /oauth/outOfBandAuthPlugins
GET                /oauth/outOfBandAuthPlugins/descriptors[/{id}]
GET|PUT|DELETE     /oauth/outOfBandAuthPlugins/{id}
GET|POST           /oauth/cibaServerPolicy/requestPolicies
GET|PUT|DELETE     /oauth/cibaServerPolicy/requestPolicies/{id}
GET|PUT            /oauth/cibaServerPolicy/settings
GET|POST           /oauth/clients
GET|PUT|DELETE     /oauth/clients/{id}
GET|POST           /passwordCredentialValidators           (User Code PCVs; the runtime reads table "Users")
GET|PUT|DELETE     /passwordCredentialValidators/{id}
```

Behaviour copied from PingFederate (reference: ping-logs-and-admin-api.md 3e, PF Admin API 12.1):
- every request needs ``X-XSRF-Header: PingFederate`` (403 otherwise) and HTTP basic auth
  (demo credentials ``Administrator`` / ``2FederateM0re``, PingFederate's documented default;
  configurable, bearer tokens optional) — 401 otherwise;
- collections are ``{"items": [...]}``; references are ``{"id": ...}``;
- validation failures answer **422** with an ``ApiResult``
  ``{"resultId": "validation_error", "message": "Validation error(s) occurred.",
  "validationErrors": [{"errorId", "message", "fieldPath"}]}``; unknown ids **404** ApiResult;
  deleting something still referenced **422**; malformed JSON **400**;
- client secrets are write-only: stored in ``state.pf.client_secrets``, answered as
  ``clientAuth.encryptedSecret``; sending the ``encryptedSecret`` back unchanged keeps the secret.

Deliberate simulator leniencies (documented so nobody mistakes them for PingFederate facts):
- the authenticator's ``PingOne Environment`` and ``Application`` may be blank (real PF requires
  them); when set, ``Application`` must name an application in the PingOne stand-in and the
  environment part after ``|`` must equal the stand-in's environment id;
- both the IK 3.x field ``PingOne Authentication Policy`` and the IK 4.0 field
  ``MFA Policy for Authentication`` (name UNCONFIRMED, chosen from the UI label) are accepted.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import secrets as _secrets
from typing import Any, Callable, Iterable
from urllib.parse import urlparse

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..protocol.pingfederate import (
    CLIENT_AUTH_TYPES,
    GRANT_TYPES,
    PINGONE_MFA_CIBA_DESCRIPTOR_ID,
    PROXY_SETTINGS,
    SIGNING_ALGORITHMS,
    SYMMETRIC_ALGORITHMS,
)
from ..protocol.pingfederate import PF_ID_RE as _PF_ID_RE
from ..protocol.pingfederate import TEMPLATE_VARIABLES_TABLE as _TEMPLATE_VARS_TABLE
from ..protocol.pingfederate import VAR_NAME_FIELD as _VAR_NAME_FIELD
from ..protocol.pingfederate import VAR_NAME_RE as _VAR_NAME_RE
from ..protocol.pingfederate import VAR_VALUE_FIELD as _VAR_VALUE_FIELD
from .rest import Collection, Dialect, DictItems, Handler, collection_routes, json_object, now_iso
from .state import SimulatorState

__all__ = [
    "build_admin_app",
    "ApiValidation",
    "PINGONE_MFA_CIBA_DESCRIPTOR_ID",
    "DEFAULT_ADMIN_USERNAME",
    "DEFAULT_ADMIN_PASSWORD",
    "GRANT_TYPES",
    "SIGNING_ALGORITHMS",
    "CLIENT_AUTH_TYPES",
    "descriptors",
    "encrypted_secret_for",
]

Json = dict[str, Any]

DEFAULT_ADMIN_USERNAME = "Administrator"
DEFAULT_ADMIN_PASSWORD = "2FederateM0re"
DELIVERY_MODES = ("POLL", "PING")


# --------------------------------------------------------------------------------------------------
# ApiResult helpers


class ApiValidation:
    """Collects PingFederate ``ValidationError`` entries for one request."""

    def __init__(self) -> None:
        self.errors: list[Json] = []

    def add(self, field_path: str, message: str, error_id: str = "validation_error") -> None:
        """Record one error at ``field_path`` (PingFederate's dotted/indexed path)."""
        self.errors.append({"errorId": error_id, "message": message, "fieldPath": field_path})

    def response(self) -> JSONResponse | None:
        """A 422 ApiResult when anything was recorded, else None."""
        if not self.errors:
            return None
        return JSONResponse({"resultId": "validation_error", "message": "Validation error(s) occurred.",
                             "validationErrors": self.errors}, status_code=422)


def _result(status: int, result_id: str, message: str) -> JSONResponse:
    return JSONResponse({"resultId": result_id, "message": message}, status_code=status)


def _not_found(kind: str, ident: str) -> JSONResponse:
    return _result(404, "resource_not_found", f"Resource not found: {kind} with id '{ident}' does not exist.")


def _in_use(kind: str, ident: str, users: Iterable[str]) -> JSONResponse:
    users = list(users)
    return JSONResponse({
        "resultId": "validation_error", "message": "Validation error(s) occurred.",
        "validationErrors": [{"errorId": "resource_in_use",
                              "message": f"{kind} '{ident}' is in use by: {', '.join(users)}.",
                              "fieldPath": "id"}]}, status_code=422)


def encrypted_secret_for(secret: str) -> str:
    """The opaque ``encryptedSecret`` the simulator answers for a stored secret.

    Real PingFederate answers a JWE; here a salted hash stands in, so nothing reversible leaves
    the server and a changed secret gives a changed value.
    """
    digest = hashlib.sha256(b"ciba-kit-sim:" + secret.encode()).digest()
    return "OBF:SIM:" + base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def _ref_id(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("id"), str) and value["id"]:
        return value["id"]
    return None


def _check_optional_ref(v: ApiValidation, field: str, ref: Any, known: dict[str, Json], label: str,
                        kind: str) -> None:
    """Validate an optional ``{"id": ...}`` reference ``field`` to one of ``known`` (absent is fine)."""
    if ref is None:
        return
    ident = _ref_id(ref)
    if ident is None:
        v.add(f"{field}.id", f"{label} reference needs an id.")
    elif ident not in known:
        v.add(f"{field}.id", f"Referenced {kind} '{ident}' does not exist.")


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------------
# Descriptors


def _field(name: str, ftype: str, description: str, default: str = "", required: bool = False,
           advanced: bool = False, options: list[str] | None = None) -> Json:
    out: Json = {"type": ftype, "name": name, "label": name, "description": description,
                 "defaultValue": default, "required": required, "advanced": advanced}
    if options is not None:
        out["optionValues"] = [{"name": o, "value": o} for o in options]
    return out


def descriptors() -> list[Json]:
    """The plugin descriptors the simulator knows (PingFederate ``PluginDescriptor`` shape)."""
    fields = [
        _field("PingOne Environment", "SELECT", "PingOne connection and environment, '<connectionId>|<envId>'.",
               required=True),
        _field("Application", "SELECT", "PingOne native application used for CIBA pushes.", required=True),
        _field("PingOne Authentication Policy", "TEXT",
               "IK 3.x: space-separated CIBA-only sign-on policy names, sent as acr_values."),
        _field("MFA Policy for Authentication", "SELECT",
               "IK 4.0: PingOne MFA policy id sent as policy.id ('Default' = the environment default).",
               default="Default"),
        _field("Test Username", "TEXT", "PingOne user with a paired device, used by the Actions tab test.",
               advanced=True),
        _field("PingOne Template Name", "TEXT", "PingOne notification template for the CIBA prompt.",
               default="transaction", advanced=True),
        _field("PingOne Template Variant", "TEXT", "Variant of that template.", advanced=True),
        _field("Client Context", "TEXTAREA", "JSON forwarded to the app as push client context.",
               advanced=True),
        _field("Messages Files", "TEXT", "Language-pack file name.", default="pingone-mfa-messages",
               advanced=True),
        _field("API Request Timeout", "TEXT", "Milliseconds to wait on PingOne calls.", default="5000",
               advanced=True),
        _field("Proxy Settings", "SELECT", "Outbound proxy.", default="System Defaults", advanced=True,
               options=list(PROXY_SETTINGS)),
    ]
    tables = [{"name": _TEMPLATE_VARS_TABLE, "description": "Extra variables passed to PingOne.",
               "columns": [_field(_VAR_NAME_FIELD, "TEXT", "Name used as ${name} in the template.",
                                  required=True),
                           _field(_VAR_VALUE_FIELD, "TEXTAREA", "Velocity template evaluated per request.")],
               "requireDefaultRow": False}]
    return [{
        "id": PINGONE_MFA_CIBA_DESCRIPTOR_ID,
        "name": "PingOne MFA CIBA Authenticator",
        "className": PINGONE_MFA_CIBA_DESCRIPTOR_ID,
        "type": "OOB_AUTH",
        "attributeContract": ["subject"],
        "supportsExtendedContract": True,
        "configDescriptor": {"description": "Out-of-band authentication through PingOne MFA push.",
                             "fields": fields, "tables": tables,
                             "actionDescriptors": [{"name": "Test PingOne MFA Connection",
                                                    "description": "Uses Test Username."}]},
    }]


# --------------------------------------------------------------------------------------------------
# Validation of each resource (reads state; caller holds state.lock)


def _check_plugin(state: SimulatorState, doc: Json, v: ApiValidation) -> None:
    ident = doc.get("id")
    if not isinstance(ident, str) or not ident:
        v.add("id", "ID is required.")
    elif not _PF_ID_RE.match(ident):
        v.add("id", "ID must be alphanumeric, contain no spaces, and be less than 33 characters.")
    if not isinstance(doc.get("name"), str) or not doc.get("name"):
        v.add("name", "Name is required.")
    desc_id = _ref_id(doc.get("pluginDescriptorRef"))
    known = {d["id"]: d for d in descriptors()}
    if desc_id is None:
        v.add("pluginDescriptorRef", "Plugin descriptor reference is required.")
    elif desc_id not in known:
        v.add("pluginDescriptorRef.id", f"Plugin descriptor '{desc_id}' is not available.")
    config = doc.get("configuration")
    if config is None:
        config = {}
        doc["configuration"] = config
    if not isinstance(config, dict):
        v.add("configuration", "Configuration must be an object.")
        return
    fields = config.setdefault("fields", [])
    tables = config.setdefault("tables", [])
    if not isinstance(fields, list) or not isinstance(tables, list):
        v.add("configuration", "configuration.fields and configuration.tables must be arrays.")
        return
    if desc_id == PINGONE_MFA_CIBA_DESCRIPTOR_ID:
        _check_pingone_fields(state, fields, v)
        _check_template_table(tables, v)
    contract = doc.get("attributeContract")
    if contract is None:
        contract = {}
        doc["attributeContract"] = contract
    if not isinstance(contract, dict):
        v.add("attributeContract", "Attribute contract must be an object.")
        return
    contract["coreAttributes"] = [{"name": "subject"}]  # fixed by the descriptor, as in PingFederate
    ext = contract.setdefault("extendedAttributes", [])
    seen: set[str] = set()
    if not isinstance(ext, list):
        v.add("attributeContract.extendedAttributes", "Extended attributes must be an array.")
        return
    for i, item in enumerate(ext):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name:
            v.add(f"attributeContract.extendedAttributes[{i}].name", "Attribute name is required.")
        elif name in seen or name == "subject":
            v.add(f"attributeContract.extendedAttributes[{i}].name",
                  f"Attribute '{name}' is defined more than once in the contract.")
        else:
            seen.add(name)


def _check_pingone_fields(state: SimulatorState, fields: list[Any], v: ApiValidation) -> None:
    allowed = {f["name"] for f in descriptors()[0]["configDescriptor"]["fields"]}
    seen: set[str] = set()
    for i, f in enumerate(fields):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            v.add(f"configuration.fields[{i}]", "Each field needs a name and a value.")
            continue
        name, value = f["name"], f.get("value", "")
        path = f"configuration.fields[{i}].value"
        if name not in allowed:
            v.add(f"configuration.fields[{i}].name", f"'{name}' is not a field of this plugin type.",
                  "plugin_validation_error")
            continue
        if name in seen:
            v.add(f"configuration.fields[{i}].name", f"Field '{name}' appears more than once.")
        seen.add(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            v.add(path, f"Field '{name}' must be a string.", "plugin_validation_error")
            continue
        if name == "API Request Timeout" and value and not (value.isdigit() and int(value) > 0):
            v.add(path, "API Request Timeout must be a positive whole number of milliseconds.",
                  "plugin_validation_error")
        elif name == "Proxy Settings" and value and value not in PROXY_SETTINGS:
            v.add(path, f"Proxy Settings must be one of {', '.join(PROXY_SETTINGS)}.", "plugin_validation_error")
        elif name == "Application" and value and value not in state.p1.applications:
            v.add(path, f"Application '{value}' does not exist in the PingOne environment.",
                  "plugin_validation_error")
        elif name == "PingOne Environment" and value and "|" in value \
                and value.rsplit("|", 1)[1] != state.p1.environment_id:
            v.add(path, f"PingOne environment '{value.rsplit('|', 1)[1]}' is not reachable through this "
                        f"connection.", "plugin_validation_error")
        elif name == "MFA Policy for Authentication" and value and value != "Default" \
                and value not in state.p1.mfa_policies:
            v.add(path, f"MFA policy '{value}' does not exist in the PingOne environment.",
                  "plugin_validation_error")
        elif name == "Client Context" and value.strip():
            try:
                json.loads(value)
            except ValueError:
                v.add(path, "Client Context must be valid JSON.", "plugin_validation_error")


def _check_template_table(tables: list[Any], v: ApiValidation) -> None:
    for ti, table in enumerate(tables):
        if not isinstance(table, dict) or table.get("name") != _TEMPLATE_VARS_TABLE:
            v.add(f"configuration.tables[{ti}].name", f"Only the table '{_TEMPLATE_VARS_TABLE}' exists.",
                  "plugin_validation_error")
            continue
        seen: set[str] = set()
        for ri, row in enumerate(table.get("rows") or []):
            cells = {c.get("name"): c.get("value") for c in (row.get("fields") or []) if isinstance(c, dict)}
            idx = {c.get("name"): k for k, c in enumerate(row.get("fields") or []) if isinstance(c, dict)}
            name = cells.get(_VAR_NAME_FIELD)
            path = f"configuration.tables[{ti}].rows[{ri}].fields[{idx.get(_VAR_NAME_FIELD, 0)}].value"
            if not isinstance(name, str) or not name:
                v.add(path, "PingOne Template Variable Name is required.", "plugin_validation_error")
            elif not _VAR_NAME_RE.match(name):
                v.add(path, f"PingOne Template Variable Name '{name}' must be letters, digits and underscores.",
                      "plugin_validation_error")
            elif name in seen:
                v.add(path, f"PingOne Template Variable Name '{name}' is used more than once.",
                      "plugin_validation_error")
            else:
                seen.add(name)


def _authenticator_contract(state: SimulatorState, plugin_id: str) -> list[str]:
    plugin = state.pf.oob_plugins.get(plugin_id) or {}
    ext = (plugin.get("attributeContract") or {}).get("extendedAttributes") or []
    return ["subject"] + [a["name"] for a in ext if isinstance(a, dict) and a.get("name")]


def _check_policy(state: SimulatorState, doc: Json, v: ApiValidation) -> None:
    ident = doc.get("id")
    if not isinstance(ident, str) or not ident:
        v.add("id", "Policy ID is required.")
    elif not _PF_ID_RE.match(ident):
        v.add("id", "Policy ID must be alphanumeric, contain no spaces, and be less than 33 characters.")
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        v.add("name", "Name is required.")
    else:
        for other in state.pf.request_policies.values():
            if other.get("name") == name and other.get("id") != ident:
                v.add("name", f"Name '{name}' is already used by policy '{other.get('id')}'.")
    auth_id = _ref_id(doc.get("authenticatorRef"))
    if auth_id is None:
        v.add("authenticatorRef", "Authenticator is required.")
    elif auth_id not in state.pf.oob_plugins:
        v.add("authenticatorRef.id", f"Referenced authenticator '{auth_id}' does not exist.")
    pcv = doc.get("userCodePcvRef")
    _check_optional_ref(v, "userCodePcvRef", pcv, state.pf.pcvs, "User Code PCV", "password credential validator")
    lifetime = doc.setdefault("transactionLifetime", 120)
    if not _is_int(lifetime) or not 1 <= lifetime <= 3600:
        v.add("transactionLifetime", "Transaction Lifetime must be between 1 and 3600 seconds.")
    for flag in ("allowUnsignedLoginHintToken", "requireTokenForIdentityHint"):
        doc.setdefault(flag, False)
        if not _is_bool(doc[flag]):
            v.add(flag, f"{flag} must be true or false.")
    issuers = doc.setdefault("alternativeLoginHintTokenIssuers", [])
    seen: set[str] = set()
    for i, item in enumerate(issuers if isinstance(issuers, list) else []):
        iss = item.get("issuer") if isinstance(item, dict) else None
        if not isinstance(iss, str) or not iss:
            v.add(f"alternativeLoginHintTokenIssuers[{i}].issuer", "Issuer is required.")
            continue
        if iss in seen:
            v.add(f"alternativeLoginHintTokenIssuers[{i}].issuer", f"Issuer '{iss}' is listed more than once.")
        seen.add(iss)
        jwks, url = item.get("jwks"), item.get("jwksURL")
        if not jwks and not url:
            v.add(f"alternativeLoginHintTokenIssuers[{i}]", "Either JWKS or JWKS URL is required.")
        if jwks and not _valid_jwks(jwks):
            v.add(f"alternativeLoginHintTokenIssuers[{i}].jwks", "JWKS must be a JSON key set with 'keys'.")
        if url and not _valid_url(url, https_only=False):
            v.add(f"alternativeLoginHintTokenIssuers[{i}].jwksURL", f"'{url}' is not a valid URL.")
    contract = doc.get("identityHintContract")
    if not isinstance(contract, dict):
        v.add("identityHintContract", "Identity hint contract is required.")
        contract = {}
        doc["identityHintContract"] = contract
    contract["coreAttributes"] = [{"name": "IDENTITY_HINT_SUBJECT"}]  # fixed, as in PingFederate
    contract.setdefault("extendedAttributes", [])
    hint_names = {"IDENTITY_HINT_SUBJECT"} | {a.get("name") for a in contract["extendedAttributes"]
                                               if isinstance(a, dict)}
    mapping = doc.get("identityHintMapping")
    if not isinstance(mapping, dict) or not isinstance(mapping.get("attributeContractFulfillment"), dict):
        v.add("identityHintMapping.attributeContractFulfillment", "Contract fulfillment is required.")
        return
    fulfil = mapping["attributeContractFulfillment"]
    needed = ["USER_KEY"]
    if auth_id in state.pf.oob_plugins:
        needed += _authenticator_contract(state, auth_id)
    if _ref_id(pcv) is not None:
        needed.append("USER_CODE_USER_NAME")
    for name in needed:
        if name not in fulfil:
            v.add(f"identityHintMapping.attributeContractFulfillment.{name}",
                  f"Contract attribute '{name}' must be fulfilled.")
    for name, entry in fulfil.items():
        src = (entry or {}).get("source") if isinstance(entry, dict) else None
        stype = src.get("type") if isinstance(src, dict) else None
        if stype is None:
            v.add(f"identityHintMapping.attributeContractFulfillment.{name}.source.type", "Source type is required.")
        elif stype == "REQUEST" and entry.get("value") not in hint_names:
            v.add(f"identityHintMapping.attributeContractFulfillment.{name}.value",
                  f"'{entry.get('value')}' is not an attribute of the identity hint contract.")


def _valid_url(url: Any, *, https_only: bool) -> bool:
    if not isinstance(url, str):
        return False
    parsed = urlparse(url)
    if parsed.scheme not in (("https",) if https_only else ("http", "https")) or not parsed.hostname:
        return False
    return True


def _valid_jwks(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parsed = json.loads(value)
    except ValueError:
        return False
    return isinstance(parsed, dict) and isinstance(parsed.get("keys"), list)


def _effective_policy(state: SimulatorState, doc: Json) -> str | None:
    return _ref_id(doc.get("requestPolicyRef")) or _ref_id(state.pf.ciba_settings.get("defaultRequestPolicyRef"))


def _check_client(state: SimulatorState, doc: Json, v: ApiValidation, *, existing: Json | None) -> str | None:
    """Validate a client; return the plaintext secret to store (or None to keep/none)."""
    cid = doc.get("clientId")
    if not isinstance(cid, str) or not cid or any(ch.isspace() for ch in cid):
        v.add("clientId", "Client ID is required and may not contain spaces.")
    if not isinstance(doc.get("name"), str) or not doc.get("name"):
        v.add("name", "Name is required.")
    grants = doc.get("grantTypes")
    if not isinstance(grants, list) or not grants:
        v.add("grantTypes", "At least one grant type is required.")
        grants = []
    for i, g in enumerate(grants):
        if g not in GRANT_TYPES:
            v.add(f"grantTypes[{i}]", f"'{g}' is not a grant type; allowed: {', '.join(GRANT_TYPES)}.")
    doc.setdefault("enabled", True)
    doc.setdefault("cibaDeliveryMode", "POLL")
    doc.setdefault("cibaPollingInterval", 3)
    doc.setdefault("cibaRequireSignedRequests", False)
    doc.setdefault("cibaUserCodeSupported", False)
    mode = doc["cibaDeliveryMode"]
    if mode not in DELIVERY_MODES:
        v.add("cibaDeliveryMode", f"'{mode}' is not a delivery mode; allowed: POLL, PING.")
    ciba = "CIBA" in grants
    endpoint = doc.get("cibaNotificationEndpoint")
    if ciba and mode == "PING":
        if not endpoint:
            v.add("cibaNotificationEndpoint", "A notification endpoint is required for the PING delivery mode.")
        elif not _valid_url(endpoint, https_only=False):
            v.add("cibaNotificationEndpoint", f"'{endpoint}' is not a valid URL.")
    elif endpoint and not _valid_url(endpoint, https_only=False):
        v.add("cibaNotificationEndpoint", f"'{endpoint}' is not a valid URL.")
    interval = doc["cibaPollingInterval"]
    if not _is_int(interval) or not 0 <= interval <= 3600:
        v.add("cibaPollingInterval", "Polling interval must be between 0 and 3600 seconds.")
    for flag in ("cibaRequireSignedRequests", "cibaUserCodeSupported", "enabled"):
        if not _is_bool(doc[flag]):
            v.add(flag, f"{flag} must be true or false.")
    alg = doc.get("cibaRequestObjectSigningAlgorithm")
    if alg is not None and alg not in SIGNING_ALGORITHMS:
        v.add("cibaRequestObjectSigningAlgorithm", f"'{alg}' is not allowed; use one of {', '.join(SIGNING_ALGORITHMS)}.")
    _check_optional_ref(v, "requestPolicyRef", doc.get("requestPolicyRef"), state.pf.request_policies,
                        "Request policy", "CIBA request policy")
    if ciba and doc.get("cibaUserCodeSupported") is True:
        pid = _effective_policy(state, doc)
        policy = state.pf.request_policies.get(pid or "")
        if policy is None:
            v.add("cibaUserCodeSupported", "User code support needs a CIBA request policy (none is set and "
                                           "there is no default policy).")
        elif _ref_id(policy.get("userCodePcvRef")) is None:
            v.add("cibaUserCodeSupported", f"CIBA request policy '{pid}' has no User Code PCV; user code "
                                           f"support requires one.")
    jwks_settings = doc.get("jwksSettings")
    has_keys = False
    if jwks_settings is not None:
        if not isinstance(jwks_settings, dict):
            v.add("jwksSettings", "jwksSettings must be an object.")
        else:
            jwks, url = jwks_settings.get("jwks"), jwks_settings.get("jwksUrl")
            if jwks and not _valid_jwks(jwks):
                v.add("jwksSettings.jwks", "JWKS must be a JSON key set (as a string) with 'keys'.")
            if url and not _valid_url(url, https_only=False):
                v.add("jwksSettings.jwksUrl", f"'{url}' is not a valid URL.")
            if jwks and url:
                v.add("jwksSettings", "Specify either JWKS or JWKS URL, not both.")
            has_keys = bool(jwks or url)
    if doc.get("cibaRequireSignedRequests") is True and not has_keys:
        v.add("jwksSettings", "Signed CIBA requests require a JWKS or a JWKS URL.")
    return _check_client_auth(state, doc, v, existing=existing, has_keys=has_keys)


def _check_client_auth(state: SimulatorState, doc: Json, v: ApiValidation, *, existing: Json | None,
                       has_keys: bool) -> str | None:
    auth = doc.get("clientAuth")
    if auth is None:
        auth = {"type": "NONE"}
        doc["clientAuth"] = auth
    if not isinstance(auth, dict):
        v.add("clientAuth", "clientAuth must be an object.")
        return None
    ctype = auth.get("type", "NONE")
    auth["type"] = ctype
    if ctype not in CLIENT_AUTH_TYPES:
        v.add("clientAuth.type", f"'{ctype}' is not a client authentication type; allowed: "
                                 f"{', '.join(CLIENT_AUTH_TYPES)}.")
        return None
    secret = auth.pop("secret", None)
    enc = auth.pop("encryptedSecret", None)
    new_secret: str | None = None
    if ctype in ("SECRET", "CLIENT_SECRET_JWT"):
        old_enc = (existing or {}).get("clientAuth", {}).get("encryptedSecret")
        if isinstance(secret, str) and secret:
            new_secret = secret
        elif enc and old_enc and enc == old_enc:
            new_secret = None  # keep the stored secret, as PingFederate does
        elif enc:
            v.add("clientAuth.encryptedSecret", "The encrypted secret does not match the stored secret.")
        else:
            v.add("clientAuth.secret", "Client secret is required for this client authentication type.")
    if ctype == "CERTIFICATE":
        for f in ("clientCertIssuerDn", "clientCertSubjectDn"):
            if not auth.get(f):
                v.add(f"clientAuth.{f}", f"{f} is required for CERTIFICATE client authentication.")
    if ctype == "PRIVATE_KEY_JWT" and not has_keys:
        v.add("jwksSettings", "PRIVATE_KEY_JWT client authentication requires a JWKS or a JWKS URL.")
    alg = auth.get("tokenEndpointAuthSigningAlgorithm")
    if alg is not None:
        allowed = SYMMETRIC_ALGORITHMS if ctype == "CLIENT_SECRET_JWT" else SIGNING_ALGORITHMS
        if alg not in allowed:
            v.add("clientAuth.tokenEndpointAuthSigningAlgorithm",
                  f"'{alg}' is not allowed for {ctype}; use one of {', '.join(allowed)}.")
    if "enforceReplayPrevention" in auth and not _is_bool(auth["enforceReplayPrevention"]):
        v.add("clientAuth.enforceReplayPrevention", "enforceReplayPrevention must be true or false.")
    return new_secret


# --------------------------------------------------------------------------------------------------
# The app


_SECRET_AUTH_TYPES = ("SECRET", "CLIENT_SECRET_JWT")
_ID_IMMUTABLE = "The ID in the body does not match the ID in the path; IDs are immutable."


def _check_pcv(doc: Json, v: ApiValidation) -> None:
    ident = doc.get("id")
    if not isinstance(ident, str) or not _PF_ID_RE.match(ident):
        v.add("id", "ID must be alphanumeric, contain no spaces, and be less than 33 characters.")
    if not isinstance(doc.get("name"), str) or not doc.get("name"):
        v.add("name", "Name is required.")
    if _ref_id(doc.get("pluginDescriptorRef")) is None:
        v.add("pluginDescriptorRef", "Plugin descriptor reference is required.")
    conf = doc.setdefault("configuration", {})
    if not isinstance(conf, dict):
        v.add("configuration", "Configuration must be an object.")
    else:
        conf.setdefault("fields", [])
        conf.setdefault("tables", [])


def _pf_collection(path: str, label: str, store: Callable[[], dict[str, Json]],
                   check: Callable[[Json, ApiValidation, str | None], Any], *, duplicate: str,
                   id_field: str = "id", mismatch: str = _ID_IMMUTABLE, stamp: bool = True,
                   save: Callable[[Json, Json | None, Any], None] | None = None, **hooks: Any) -> Collection:
    """A PingFederate resource: the caller names the id (``id_field``), which is immutable.

    ``check(doc, v, ident)`` validates; ``duplicate`` is the create-time message for a taken id
    (``{}`` = the id); ``stamp`` sets ``lastModified`` on every write; ``save(doc, old, extra)``
    runs before the document is stored; other ``hooks`` go to :class:`Collection` unchanged.
    """

    def checked(request: Request, doc: Json, v: ApiValidation, ident: str | None) -> Any:
        if ident is not None:
            # PingFederate fills a missing id from the path but refuses a different one.
            doc.setdefault(id_field, ident)
            if doc[id_field] != ident:
                v.add(id_field, mismatch)
        extra = check(doc, v, ident)
        if ident is None and doc.get(id_field) in store():
            v.add(id_field, duplicate.format(doc[id_field]))
        return extra

    def saved(request: Request, doc: Json, ident: str | None, old: Json | None, extra: Any) -> str:
        if stamp:
            doc["lastModified"] = now_iso()
        if save is not None:
            save(doc, old, extra)
        return doc[id_field]

    return Collection(path=path, label=label, items=lambda request: DictItems(store()), save=saved,
                      check=checked, **hooks)


def build_admin_app(state: SimulatorState, *, username: str = DEFAULT_ADMIN_USERNAME,
                    password: str = DEFAULT_ADMIN_PASSWORD, bearer_tokens: Iterable[str] = ()) -> Starlette:
    """Build the Admin API sub-app over ``state``.

    Args:
        state: the simulator's configuration store (documents are read and written under its lock).
        username: basic-auth user (PingFederate's documented default ``Administrator``).
        password: basic-auth password (default ``2FederateM0re``).
        bearer_tokens: also accept ``Authorization: Bearer <token>`` with one of these tokens
            (PingFederate can be set up for OAuth-protected admin access).

    Returns:
        A Starlette app to mount at ``/pf-admin-api/v1``.
    """
    tokens = set(bearer_tokens)
    expected_basic = base64.b64encode(f"{username}:{password}".encode()).decode()
    pf = state.pf

    def guard(fn: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            if request.headers.get("x-xsrf-header") != "PingFederate":
                return _result(403, "forbidden",
                               "The X-XSRF-Header header is required: send 'X-XSRF-Header: PingFederate'.")
            authz = request.headers.get("authorization", "")
            scheme, _, cred = authz.partition(" ")
            ok = (scheme.lower() == "basic" and _secrets.compare_digest(cred.strip(), expected_basic)) or \
                (scheme.lower() == "bearer" and cred.strip() in tokens)
            if not ok:
                return JSONResponse({"resultId": "unauthorized", "message": "Authentication required."},
                                    status_code=401, headers={"WWW-Authenticate": 'Basic realm="PingFederate"'})
            return await fn(request)
        return wrapped

    async def body_of(request: Request) -> Json | Response:
        data = await json_object(request)
        return _result(400, "invalid_json", data) if isinstance(data, str) else data

    api = Dialect(state=state, guard=guard, body_of=body_of, errors=ApiValidation, not_found=_not_found,
                  in_use=_in_use, listing=lambda request, name, items: JSONResponse({"items": items}))

    # ---- out-of-band authenticators (and their read-only descriptors)

    async def descriptors_list(request: Request) -> Response:
        return JSONResponse({"items": descriptors()})

    async def descriptor_get(request: Request) -> Response:
        ident = request.path_params["id"]
        for d in descriptors():
            if d["id"] == ident:
                return JSONResponse(d)
        return _not_found("Plugin descriptor", ident)

    plugins = _pf_collection(
        "/oauth/outOfBandAuthPlugins", "Out-of-band authenticator", lambda: pf.oob_plugins,
        lambda doc, v, ident: _check_plugin(state, doc, v),
        duplicate="An authenticator with ID '{}' already exists.",
        users_of=lambda ident: [f"CIBA request policy '{pid}'" for pid, p in pf.request_policies.items()
                                if _ref_id(p.get("authenticatorRef")) == ident])

    # ---- request policies

    def check_policy(doc: Json, v: ApiValidation, ident: str | None) -> None:
        _check_policy(state, doc, v)
        if ident is not None and _ref_id(doc.get("userCodePcvRef")) is None:
            # Dropping the PCV would strand the user-code clients that rely on this policy.
            users = [cid for cid, c in pf.clients.items()
                     if c.get("cibaUserCodeSupported") is True and _effective_policy(state, c) == ident]
            if users:
                v.add("userCodePcvRef", "User Code PCV is required: user-code clients use this policy: "
                                        + ", ".join(users) + ".")

    def policy_users(ident: str) -> list[str]:
        users = [f"OAuth client '{cid}'" for cid, c in pf.clients.items()
                 if _ref_id(c.get("requestPolicyRef")) == ident]
        if _ref_id(pf.ciba_settings.get("defaultRequestPolicyRef")) == ident:
            users.insert(0, "CIBA settings (default request policy)")
        return users

    policies = _pf_collection(
        "/oauth/cibaServerPolicy/requestPolicies", "CIBA request policy", lambda: pf.request_policies,
        check_policy, duplicate="A CIBA request policy with ID '{}' already exists.", users_of=policy_users)

    # ---- settings (a singleton, not a collection)

    def settings_out(doc: Json) -> Json:
        out = copy.deepcopy(doc)
        if out.get("defaultRequestPolicyRef") is None:
            out.pop("defaultRequestPolicyRef", None)  # stored as None, answered as absent
        return out

    async def settings_get(request: Request) -> Response:
        with state.lock:
            return JSONResponse(settings_out(pf.ciba_settings))

    async def settings_put(request: Request) -> Response:
        doc = await body_of(request)
        if isinstance(doc, Response):
            return doc
        with state.lock:
            v = ApiValidation()
            ref = doc.get("defaultRequestPolicyRef")
            pid = _ref_id(ref)
            if ref is not None and pid is None:
                v.add("defaultRequestPolicyRef.id", "Default request policy reference needs an id.")
            elif pid is not None and pid not in pf.request_policies:
                v.add("defaultRequestPolicyRef.id", f"Referenced CIBA request policy '{pid}' does not exist.")
            elif pid is None and pf.request_policies:
                v.add("defaultRequestPolicyRef", "A default request policy is required once policies exist.")
            if (r := v.response()) is not None:
                return r
            doc["defaultRequestPolicyRef"] = {"id": pid} if pid else None
            pf.ciba_settings = doc
            state.touch()
            return JSONResponse(settings_out(doc))

    # ---- clients (secrets are write-only: kept in pf.client_secrets, answered as encryptedSecret)

    def client_out(doc: Json) -> Json:
        out = copy.deepcopy(doc)
        cid = out.get("clientId")
        auth = out.get("clientAuth") or {}
        auth.pop("secret", None)
        if cid in pf.client_secrets and auth.get("type") in _SECRET_AUTH_TYPES:
            auth["encryptedSecret"] = encrypted_secret_for(pf.client_secrets[cid])
        return out

    def select_clients(request: Request, docs: list[Json]) -> list[Json] | Response:
        flt = (request.query_params.get("filter") or "").lower()
        docs = [c for c in docs
                if not flt or flt in str(c.get("clientId", "")).lower() or flt in str(c.get("name", "")).lower()]
        try:
            page = int(request.query_params.get("page", "1"))
            per = int(request.query_params["numberPerPage"]) if "numberPerPage" in request.query_params else None
        except ValueError:
            page = per = -1
        if page < 1 or (per is not None and per < 1):
            return _result(400, "invalid_request", "page and numberPerPage must be whole numbers of at least 1.")
        return docs[(page - 1) * per: page * per] if per else docs

    def check_client(doc: Json, v: ApiValidation, ident: str | None) -> str | None:
        # The stored secret is compared through its answered form (encryptedSecret sent back = keep).
        existing = client_out(pf.clients[ident]) if ident is not None else None
        return _check_client(state, doc, v, existing=existing)

    def save_secret(doc: Json, old: Json | None, new_secret: str | None) -> None:
        cid = doc["clientId"]
        if new_secret is not None:
            pf.client_secrets[cid] = new_secret
        elif old is not None and doc["clientAuth"].get("type") not in _SECRET_AUTH_TYPES:
            pf.client_secrets.pop(cid, None)  # switching away from a secret drops it

    clients = _pf_collection(
        "/oauth/clients", "OAuth client", lambda: pf.clients, check_client,
        duplicate="A client with ID '{}' already exists.", id_field="clientId",
        mismatch="The client ID in the body does not match the ID in the path.", stamp=False,
        save=save_secret, out=client_out, select=select_clients,
        forget=lambda cid: pf.client_secrets.pop(cid, None))

    # ---- password credential validators (the User Code PCV a request policy may reference)

    pcvs = _pf_collection(
        "/passwordCredentialValidators", "Password credential validator", lambda: pf.pcvs,
        lambda doc, v, ident: _check_pcv(doc, v),
        duplicate="A password credential validator with ID '{}' already exists.", stamp=False,
        users_of=lambda ident: [f"CIBA request policy '{pid}'" for pid, p in pf.request_policies.items()
                                if _ref_id(p.get("userCodePcvRef")) == ident])

    # Descriptors come first so ".../descriptors" is not taken for an authenticator id.
    routes = [
        *collection_routes(api, pcvs),
        Route("/oauth/outOfBandAuthPlugins/descriptors", guard(descriptors_list), methods=["GET"]),
        Route("/oauth/outOfBandAuthPlugins/descriptors/{id}", guard(descriptor_get), methods=["GET"]),
        *collection_routes(api, plugins),
        *collection_routes(api, policies),
        Route("/oauth/cibaServerPolicy/settings", guard(settings_get), methods=["GET"]),
        Route("/oauth/cibaServerPolicy/settings", guard(settings_put), methods=["PUT"]),
        *collection_routes(api, clients),
    ]
    return Starlette(routes=routes)
