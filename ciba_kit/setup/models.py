"""Typed models of the CIBA setup: the three steps (PingOne, authenticator, request policy) and the client.

Each model reads and writes the product's own JSON (PingFederate Admin API: camelCase,
``{"id": ...}`` references, ``configuration.fields[{name, value}]``, tables; PingOne Platform
API), so a real export loads and a model can be sent as it is. Unknown members are kept in
``raw`` and written back unchanged (``from_api(doc).to_api() == doc``).

PingOne resources are referred to by *name* in a profile (PingOne assigns ids); the ``*_id``
members hold resolved ids. :meth:`validate` returns field-level :class:`FieldError` s that name
the field, the value, what is allowed and where the setting lives in the Ping consoles.

The push template content is :class:`ciba_kit.prompts.PromptTemplate` (shared with the prompts
package, not redefined here).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping
from urllib.parse import urlparse

from ..protocol.errors import InputError
from ..protocol.masking import MASK
from ..protocol.pingfederate import (
    CLIENT_AUTH_TYPES,
    GRANT_TYPES,
    PINGONE_MFA_CIBA_DESCRIPTOR_ID,
    PROXY_SETTINGS,
    SIGNING_ALGORITHMS,
    SYMMETRIC_ALGORITHMS,
    TEMPLATE_VARIABLES_TABLE,
    VAR_NAME_FIELD,
    VAR_VALUE_FIELD,
)
from ..protocol.pingfederate import PF_ID_RE as _PF_ID_RE
from ..protocol.pingfederate import VAR_NAME_RE as _VAR_NAME_RE

__all__ = [
    "Secret",
    "FieldError",
    "SetupValidationError",
    "NativeApplication",
    "MfaMobileApplication",
    "MfaPolicy",
    "SignOnPolicy",
    "CibaAuthenticator",
    "AttributeSource",
    "LoginHintTokenIssuer",
    "RequestPolicy",
    "CibaServerSettings",
    "ClientAuth",
    "JwksSettings",
    "OAuthClient",
    "PINGONE_MFA_CIBA_DESCRIPTOR_ID",
    "TEMPLATE_VARIABLES_TABLE",
    "MFA_POLICY_FIELD_4X",
    "AUTH_POLICY_FIELD_3X",
    "CONSOLE",
    "GRANT_TYPES",
    "SIGNING_ALGORITHMS",
    "CLIENT_AUTH_TYPES",
]

Json = dict[str, Any]

#: IK 4.0 drop-down. Its Admin API name is UNCONFIRMED; ciba_kit uses the UI label, as for every
#: other field of this authenticator (the Admin API names its fields by their labels).
MFA_POLICY_FIELD_4X = "MFA Policy for Authentication"
AUTH_POLICY_FIELD_3X = "PingOne Authentication Policy"

_PF_AUTH = "PingFederate > Authentication > OAuth > CIBA Authenticators > (instance) > "
_PF_POLICY = "PingFederate > Applications > OAuth > CIBA Request Policies > (policy) > "
_PF_CLIENT = "PingFederate > Applications > OAuth > Clients > (client) > "
_P1_MFA = "PingOne > Authentication > MFA > MFA Policies > (policy) > Mobile Applications > (application) > "
#: Where each setting lives in the consoles (client CIBA labels are UNCONFIRMED; best known wording).
CONSOLE: dict[str, str] = {
    "application.name": "PingOne > Applications > Applications > + (type Native) > Name",
    "application.type": "PingOne > Applications > Applications > + > Application Type = Native",
    "mfa_policy.name": "PingOne > Authentication > MFA > MFA Policies > + > Policy Name",
    "mfa_policy.applications": "PingOne > Authentication > MFA > MFA Policies > (policy) > Mobile Applications",
    "mfa_policy.application": _P1_MFA + "Application (the Native app)",
    "mfa_policy.push_enabled": _P1_MFA + "Push",
    "mfa_policy.push_timeout": _P1_MFA + "Push Timeout",
    "mfa_policy.number_matching": _P1_MFA + "Number Matching",
    "mfa_policy.push_limit": _P1_MFA + "Push Limit",
    "sign_on_policy.name": "PingOne > Authentication > Authentication > + Add Policy > Policy Name",
    "sign_on_policy.mfa_policy": "PingOne > Authentication > Authentication > (policy) > Multi-factor "
                                 "Authentication step > MFA Policy",
    "sign_on_policy.no_device_mode": "PingOne > Authentication > Authentication > (policy) > Multi-factor "
                                     "Authentication step > None Or Incompatible Methods",
    "template": "PingOne > User Experience > Notification Templates > (template) > Push",
    "authenticator.id": _PF_AUTH + "Type > Instance ID",
    "authenticator.name": _PF_AUTH + "Type > Instance Name",
    "authenticator.environment": _PF_AUTH + "Instance Configuration > PingOne Environment",
    "authenticator.application": _PF_AUTH + "Instance Configuration > Application",
    "authenticator.authentication_policy": _PF_AUTH + "Instance Configuration > PingOne Authentication Policy",
    "authenticator.mfa_policy": _PF_AUTH + "Instance Configuration > MFA Policy for Authentication",
    "authenticator.test_username": _PF_AUTH + "Instance Configuration > Test Username",
    "authenticator.template_name": _PF_AUTH + "Instance Configuration > PingOne Template Name",
    "authenticator.template_variant": _PF_AUTH + "Instance Configuration > PingOne Template Variant",
    "authenticator.client_context": _PF_AUTH + "Instance Configuration > Client Context",
    "authenticator.messages_files": _PF_AUTH + "Instance Configuration > Messages Files",
    "authenticator.api_request_timeout": _PF_AUTH + "Instance Configuration > API Request Timeout",
    "authenticator.proxy_settings": _PF_AUTH + "Instance Configuration > Proxy Settings",
    "authenticator.variables": _PF_AUTH + "Instance Configuration > PingOne Template Variables",
    "authenticator.extended_attributes": _PF_AUTH + "Extended Contract",
    "request_policy.id": _PF_POLICY + "Manage Policy > Policy ID",
    "request_policy.name": _PF_POLICY + "Manage Policy > Name",
    "request_policy.authenticator_id": _PF_POLICY + "Manage Policy > Authenticator",
    "request_policy.user_code_pcv_id": _PF_POLICY + "Manage Policy > User Code PCV",
    "request_policy.transaction_lifetime": _PF_POLICY + "Manage Policy > Transaction Lifetime",
    "request_policy.allow_unsigned_login_hint_token": _PF_POLICY + "Manage Policy > Allow Unsigned Login Hint Token",
    "request_policy.require_token_for_identity_hint": _PF_POLICY + "Manage Policy > Require Token for Identity Hint",
    "request_policy.alternative_login_hint_token_issuers": _PF_POLICY + "Manage Policy > Alternative Login Hint "
                                                                        "Token Issuers",
    "request_policy.identity_hint_extended_attributes": _PF_POLICY + "Identity Hint Contract",
    "request_policy.fulfillment": _PF_POLICY + "Contract Fulfillment",
    "settings.default_request_policy_id": "PingFederate > Applications > OAuth > CIBA Request Policies > "
                                          "Set as Default",
    "client.client_id": _PF_CLIENT + "Client ID",
    "client.name": _PF_CLIENT + "Name",
    "client.grant_types": _PF_CLIENT + "Allowed Grant Types > CIBA",
    "client.ciba_delivery_mode": _PF_CLIENT + "CIBA > Token Delivery Mode",
    "client.ciba_notification_endpoint": _PF_CLIENT + "CIBA > Notification Endpoint",
    "client.ciba_polling_interval": _PF_CLIENT + "CIBA > Polling Interval",
    "client.ciba_require_signed_requests": _PF_CLIENT + "CIBA > Require Signed Requests",
    "client.ciba_request_object_signing_algorithm": _PF_CLIENT + "CIBA > Request Object Signing Algorithm",
    "client.ciba_user_code_supported": _PF_CLIENT + "CIBA > User Code Support",
    "client.request_policy_id": _PF_CLIENT + "CIBA > CIBA Request Policy",
    "client.client_auth.type": _PF_CLIENT + "Client Authentication",
    "client.client_auth.secret": _PF_CLIENT + "Client Authentication > Client Secret",
    "client.client_auth.client_cert_issuer_dn": _PF_CLIENT + "Client Authentication > Issuer",
    "client.client_auth.client_cert_subject_dn": _PF_CLIENT + "Client Authentication > Subject DN",
    "client.client_auth.token_endpoint_auth_signing_algorithm": _PF_CLIENT + "Client Authentication > Signing "
                                                                              "Algorithm",
    "client.jwks_settings": _PF_CLIENT + "JWKS URL / JWKS",
}


# --------------------------------------------------------------------------------------------------
# Secrets and errors


class Secret:
    """A secret value that never shows itself (repr, str, JSON dumps of models)."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, *, source: str = "") -> None:
        self._value = value
        self.source = source  # e.g. "env CIBA_KIT_DEMO_SECRET": safe to show

    def reveal(self) -> str:
        """The plaintext (only for sending to the product)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK}{', from ' + self.source if self.source else ''})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


class FieldError(InputError):
    """One invalid setting: the field, its value, what is allowed, and where it lives in the console."""

    def __init__(self, field: str, value: Any, allowed: str, console: str = "") -> None:
        self.value = value
        self.allowed = allowed
        self.console = console or CONSOLE.get(_console_key(field), "")
        shown = MASK if "secret" in field.lower() and value not in (None, "") else repr(value)
        fix = f"allowed: {allowed}"
        if self.console:
            fix += f" ({self.console})"
        super().__init__(field, f"invalid value {shown}", fix)


def _console_key(path: str) -> str:
    # "clients[0].client_auth.type" -> "client.client_auth.type"; "mfa_policy.applications[0].push_timeout"
    # -> "mfa_policy.push_timeout"
    p = re.sub(r"^clients\[\d+\]", "client", path)
    p = re.sub(r"^templates\[\d+\]", "template", p)
    p = re.sub(r"\.applications\[\d+\]", "", p)
    p = re.sub(r"\[\d+\].*$", "", p)
    p = re.sub(r"^(authenticator\.variables)\..*$", r"\1", p)
    p = re.sub(r"^(request_policy\.fulfillment)\..*$", r"\1", p)
    return p


class SetupValidationError(InputError):
    """Several invalid settings at once; ``errors`` lists each :class:`InputError`."""

    def __init__(self, errors: Iterable[InputError]) -> None:
        self.errors = list(errors)
        first = self.errors[0] if self.errors else InputError("profile", "invalid")
        lines = [f"{len(self.errors)} setup problem(s):"] + [f"  - {e}" for e in self.errors]
        InputError.__init__(self, first.field, "\n".join(lines))
        self.args = ("\n".join(lines),)

    def __str__(self) -> str:
        return self.args[0]


def _check(errors: list[InputError], ok: bool, field: str, value: Any, allowed: str) -> None:
    if not ok:
        errors.append(FieldError(field, value, allowed))


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _ref(value: Any) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def _fields_of(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {f.get("name"): f.get("value") for f in (doc.get("configuration") or {}).get("fields") or []
            if isinstance(f, Mapping)}


def _set_field(fields: list[Json], name: str, value: str | None) -> None:
    for f in fields:
        if f.get("name") == name:
            if value is None:
                fields.remove(f)
            else:
                f["value"] = value
            return
    if value is not None:
        fields.append({"name": name, "value": value})


def _valid_url(url: Any) -> bool:
    if not isinstance(url, str):
        return False
    p = urlparse(url)
    return p.scheme in ("http", "https") and bool(p.hostname)


# --------------------------------------------------------------------------------------------------
# PingOne (step 1)


@dataclass
class NativeApplication:
    """The PingOne **native** OIDC application the phones are paired with (``/applications``).

    Only the Native type supports CIBA; the IK needs response types Token + ID Token and the
    Implicit grant (the rest is irrelevant to the integration).
    """

    name: str
    enabled: bool = True
    description: str | None = None
    bundle_id: str | None = None
    package_name: str | None = None
    id: str | None = None
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    def to_api(self) -> Json:
        """PingOne API JSON (``POST/PUT /environments/{envId}/applications``)."""
        out = copy.deepcopy(self.raw)
        fresh = not out
        out.update({"name": self.name, "type": out.get("type", "NATIVE_APP"), "enabled": self.enabled})
        if fresh:
            # What the IK asks for: response types Token + ID Token, grant Implicit only.
            out.update({"protocol": "OPENID_CONNECT", "grantTypes": ["IMPLICIT"],
                        "responseTypes": ["TOKEN", "ID_TOKEN"], "tokenEndpointAuthMethod": "NONE"})
        if self.description is not None:
            out["description"] = self.description
        if self.bundle_id is not None or self.package_name is not None:
            mobile = out.setdefault("mobile", {})
            if self.bundle_id is not None:
                mobile["bundleId"] = self.bundle_id
            if self.package_name is not None:
                mobile["packageName"] = self.package_name
        if self.id:
            out["id"] = self.id
        return out

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> "NativeApplication":
        """Load a PingOne application document (any type; :meth:`validate` insists on NATIVE_APP)."""
        mobile = doc.get("mobile") or {}
        return cls(name=str(doc.get("name", "")), enabled=bool(doc.get("enabled", True)),
                   description=doc.get("description"), bundle_id=mobile.get("bundleId"),
                   package_name=mobile.get("packageName"), id=doc.get("id"), raw=copy.deepcopy(dict(doc)))

    def validate(self, path: str = "application") -> list[InputError]:
        """Field-level problems (empty list when valid)."""
        errs: list[InputError] = []
        _check(errs, isinstance(self.name, str) and bool(self.name.strip()), f"{path}.name", self.name,
               "a non-empty application name")
        t = self.raw.get("type", "NATIVE_APP")
        _check(errs, t == "NATIVE_APP", f"{path}.type", t, "NATIVE_APP (only Native apps support CIBA)")
        return errs


@dataclass
class MfaMobileApplication:
    """One mobile application inside an MFA policy (``mobile.applications[]``)."""

    application: str | None = None  # NativeApplication name (profile); resolved into application_id
    application_id: str | None = None
    push_enabled: bool = True
    push_timeout: int = 40
    number_matching: bool = False
    push_limit: int = 5
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    def to_api(self) -> Json:
        """The ``mobile.applications[]`` entry."""
        out = copy.deepcopy(self.raw)
        out["id"] = self.application_id or f"<id of application {self.application!r}>"
        push = out.setdefault("push", {})
        push["enabled"] = self.push_enabled
        if "numberMatching" in push or self.number_matching:
            push.setdefault("numberMatching", {})["enabled"] = self.number_matching
        timeout = out.setdefault("pushTimeout", {})
        timeout["duration"] = self.push_timeout
        timeout["timeUnit"] = "SECONDS"
        if "pushLimit" in out or self.push_limit != 5:
            out.setdefault("pushLimit", {})["count"] = self.push_limit
        return out

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> "MfaMobileApplication":
        """Load one ``mobile.applications[]`` entry."""
        timeout = doc.get("pushTimeout") or {}
        unit = {"SECONDS": 1, "MINUTES": 60}.get(str(timeout.get("timeUnit", "SECONDS")).upper(), 1)
        duration = timeout.get("duration", 40)
        return cls(application_id=doc.get("id"),
                   push_enabled=bool((doc.get("push") or {}).get("enabled", True)),
                   push_timeout=duration * unit if _is_int(duration) else duration,
                   number_matching=bool(((doc.get("push") or {}).get("numberMatching") or {}).get("enabled", False)),
                   push_limit=(doc.get("pushLimit") or {}).get("count", 5), raw=copy.deepcopy(dict(doc)))

    def validate(self, path: str) -> list[InputError]:
        """Field-level problems: push timeout 40-150 s, push limit 1-50."""
        errs: list[InputError] = []
        _check(errs, bool(self.application or self.application_id), f"{path}.application", self.application,
               "the name of the PingOne native application")
        _check(errs, _is_int(self.push_timeout) and 40 <= self.push_timeout <= 150, f"{path}.push_timeout",
               self.push_timeout, "40-150 seconds (default 40)")
        _check(errs, _is_int(self.push_limit) and 1 <= self.push_limit <= 50, f"{path}.push_limit",
               self.push_limit, "1-50 (default 5)")
        _check(errs, isinstance(self.push_enabled, bool), f"{path}.push_enabled", self.push_enabled, "true or false")
        _check(errs, isinstance(self.number_matching, bool), f"{path}.number_matching", self.number_matching,
               "true or false")
        if self.push_enabled is False:
            errs.append(FieldError(f"{path}.push_enabled", False, "true (CIBA prompts are pushes)"))
        return errs


@dataclass
class MfaPolicy:
    """A PingOne MFA policy (API: device authentication policy) whose mobile applications allow push.

    PingOne disregards every other method for CIBA requests, so only ``mobile`` matters here.
    """

    name: str
    applications: list[MfaMobileApplication] = field(default_factory=list)
    default: bool = False
    id: str | None = None
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @property
    def push_timeout(self) -> int | None:
        """Push timeout of the first mobile application (seconds)."""
        return self.applications[0].push_timeout if self.applications else None

    def application_for(self, application_id: str | None) -> MfaMobileApplication | None:
        """The entry for ``application_id`` (else the first entry)."""
        for app in self.applications:
            if application_id and app.application_id == application_id:
                return app
        return self.applications[0] if self.applications else None

    def to_api(self) -> Json:
        """PingOne API JSON (``/environments/{envId}/deviceAuthenticationPolicies``)."""
        out = copy.deepcopy(self.raw)
        out["name"] = self.name
        out["default"] = self.default
        mobile = out.setdefault("mobile", {})
        mobile["enabled"] = True
        mobile["applications"] = [a.to_api() for a in self.applications]
        if self.id:
            out["id"] = self.id
        return out

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> "MfaPolicy":
        """Load a device authentication policy document."""
        apps = ((doc.get("mobile") or {}).get("applications")) or []
        return cls(name=str(doc.get("name", "")), applications=[MfaMobileApplication.from_api(a) for a in apps],
                   default=bool(doc.get("default", False)), id=doc.get("id"), raw=copy.deepcopy(dict(doc)))

    def validate(self, path: str = "mfa_policy") -> list[InputError]:
        """Field-level problems (empty list when valid)."""
        errs: list[InputError] = []
        _check(errs, isinstance(self.name, str) and bool(self.name.strip()), f"{path}.name", self.name,
               "a non-empty policy name")
        if not self.applications:
            errs.append(FieldError(f"{path}.applications", [], "at least one mobile application (the native app)"))
        for i, app in enumerate(self.applications):
            errs += app.validate(f"{path}.applications[{i}]")
        return errs


@dataclass
class SignOnPolicy:
    """IK 3.x: the PingOne "CIBA authentication policy" = sign-on policy + MFA action.

    ``device_sign_on_policy_id`` (Terraform's name) is the MFA policy id of the action;
    ``no_device_mode`` is BLOCK or BYPASS (it has no effect on CIBA requests, per Ping).
    """

    name: str
    mfa_policy: str | None = None  # MfaPolicy name (profile)
    device_sign_on_policy_id: str | None = None
    no_device_mode: str = "BLOCK"
    description: str | None = None
    id: str | None = None
    action_id: str | None = None
    raw: Json = field(default_factory=dict, repr=False, compare=False)
    action_raw: Json = field(default_factory=dict, repr=False, compare=False)

    def to_api(self) -> Json:
        """The sign-on policy JSON (``/environments/{envId}/signOnPolicies``)."""
        out = copy.deepcopy(self.raw)
        out.pop("actions", None)
        out["name"] = self.name
        if self.description is not None:
            out["description"] = self.description
        if self.id:
            out["id"] = self.id
        return out

    def action_to_api(self) -> Json:
        """The MFA action JSON (``/signOnPolicies/{id}/actions``)."""
        out = copy.deepcopy(self.action_raw)
        out["type"] = "MULTI_FACTOR_AUTHENTICATION"
        out.setdefault("priority", 1)
        out["deviceAuthenticationPolicy"] = {
            "id": self.device_sign_on_policy_id or f"<id of MFA policy {self.mfa_policy!r}>"}
        out["noDeviceMode"] = self.no_device_mode
        if self.action_id:
            out["id"] = self.action_id
        return out

    @classmethod
    def from_api(cls, doc: Mapping[str, Any], action: Mapping[str, Any] | None = None) -> "SignOnPolicy":
        """Load a sign-on policy and its MFA action (``action`` or the first MFA entry of ``doc['actions']``)."""
        if action is None:
            action = next((a for a in doc.get("actions") or []
                           if a.get("type") == "MULTI_FACTOR_AUTHENTICATION"), None) or {}
        return cls(name=str(doc.get("name", "")),
                   device_sign_on_policy_id=_ref(action.get("deviceAuthenticationPolicy")),
                   no_device_mode=str(action.get("noDeviceMode", "BLOCK")), description=doc.get("description"),
                   id=doc.get("id"), action_id=action.get("id"), raw=copy.deepcopy(dict(doc)),
                   action_raw=copy.deepcopy(dict(action)))

    def validate(self, path: str = "sign_on_policy") -> list[InputError]:
        """Field-level problems (empty list when valid)."""
        errs: list[InputError] = []
        _check(errs, isinstance(self.name, str) and bool(self.name) and " " not in self.name, f"{path}.name",
               self.name, "a non-empty name without spaces (the authenticator lists names space-separated)")
        _check(errs, self.no_device_mode in ("BLOCK", "BYPASS"), f"{path}.no_device_mode", self.no_device_mode,
               "BLOCK or BYPASS (default BLOCK)")
        _check(errs, bool(self.mfa_policy or self.device_sign_on_policy_id), f"{path}.mfa_policy", self.mfa_policy,
               "the name of an MFA policy whose methods include a Mobile Application")
        return errs


# --------------------------------------------------------------------------------------------------
# PingFederate (steps 2 and 3, settings, client)


@dataclass
class CibaAuthenticator:
    """A PingOne MFA CIBA Authenticator instance (``/oauth/outOfBandAuthPlugins``).

    ``ik_version`` picks the field that names the PingOne policy: ``"4.0"`` writes
    ``MFA Policy for Authentication`` (an MFA policy id, or ``Default``; Admin API name UNCONFIRMED,
    the UI label is used), ``"3.x"`` writes ``PingOne Authentication Policy`` (space-separated
    sign-on policy names). ``variables`` is the *PingOne Template Variables* table (name ->
    Velocity source), ``extended_attributes`` the Extended Contract (``subject`` is always there).
    """

    id: str
    name: str
    environment: str = ""  # "<pingOneConnectionId>|<environmentId>"
    application: str | None = None  # NativeApplication name (profile)
    application_id: str | None = None
    ik_version: str = "4.0"
    authentication_policy: str = ""  # 3.x
    mfa_policy: str | None = None  # 4.0: MfaPolicy name (profile); None/"Default" = environment default
    mfa_policy_id: str | None = None
    test_username: str = ""
    template_name: str = "transaction"
    template_variant: str = ""
    client_context: str = ""
    messages_files: str = "pingone-mfa-messages"
    api_request_timeout: int = 5000
    proxy_settings: str = "System Defaults"
    variables: dict[str, str] = field(default_factory=dict)
    extended_attributes: list[str] = field(default_factory=list)
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    def _mfa_value(self) -> str:
        if self.mfa_policy_id:
            return self.mfa_policy_id
        if self.mfa_policy in (None, "", "Default"):
            return "Default"
        return f"<id of MFA policy {self.mfa_policy!r}>"

    def to_api(self) -> Json:
        """Admin API JSON, fields in the descriptor's order; unknown fields and tables kept."""
        out = copy.deepcopy(self.raw)
        out["id"] = self.id
        out["name"] = self.name
        out["pluginDescriptorRef"] = {**(out.get("pluginDescriptorRef") or {}), "id": PINGONE_MFA_CIBA_DESCRIPTOR_ID}
        conf = out.setdefault("configuration", {})
        fields = conf.setdefault("fields", [])
        app_value = self.application_id or (f"<id of application {self.application!r}>" if self.application else "")
        values: list[tuple[str, str | None]] = [
            ("PingOne Environment", self.environment),
            ("Application", app_value),
            (AUTH_POLICY_FIELD_3X, self.authentication_policy if self.ik_version == "3.x" else None),
            (MFA_POLICY_FIELD_4X, self._mfa_value() if self.ik_version != "3.x" else None),
            ("Test Username", self.test_username),
            ("PingOne Template Name", self.template_name),
            ("PingOne Template Variant", self.template_variant),
            ("Client Context", self.client_context),
            ("Messages Files", self.messages_files),
            ("API Request Timeout", str(self.api_request_timeout)),
            ("Proxy Settings", self.proxy_settings),
        ]
        present = {f.get("name") for f in fields}
        for name, value in values:
            if value is None and name in present:
                # A field of the other IK line that a real export carries: keep it as it was.
                continue
            _set_field(fields, name, value)
        tables = conf.setdefault("tables", [])
        table = next((t for t in tables if t.get("name") == TEMPLATE_VARIABLES_TABLE), None)
        if table is None:
            table = {"name": TEMPLATE_VARIABLES_TABLE, "rows": []}
            tables.append(table)
        if _table_variables(table) != self.variables:
            table["rows"] = [{"defaultRow": False, "fields": [{"name": VAR_NAME_FIELD, "value": k},
                                                              {"name": VAR_VALUE_FIELD, "value": v}]}
                             for k, v in self.variables.items()]
        contract = out.setdefault("attributeContract", {})
        contract.setdefault("coreAttributes", [{"name": "subject"}])
        old = [a.get("name") for a in contract.get("extendedAttributes") or []]
        if old != self.extended_attributes:
            contract["extendedAttributes"] = [{"name": n} for n in self.extended_attributes]
        else:
            contract.setdefault("extendedAttributes", [])
        return out

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> "CibaAuthenticator":
        """Load an ``/oauth/outOfBandAuthPlugins`` item."""
        f = _fields_of(doc)
        table = next((t for t in (doc.get("configuration") or {}).get("tables") or []
                      if t.get("name") == TEMPLATE_VARIABLES_TABLE), {"rows": []})
        ik = "4.0" if MFA_POLICY_FIELD_4X in f or AUTH_POLICY_FIELD_3X not in f else "3.x"
        if MFA_POLICY_FIELD_4X in f and AUTH_POLICY_FIELD_3X in f and f.get(AUTH_POLICY_FIELD_3X) \
                and not f.get(MFA_POLICY_FIELD_4X):
            ik = "3.x"
        mfa = f.get(MFA_POLICY_FIELD_4X)
        timeout = f.get("API Request Timeout", "5000")
        return cls(
            id=str(doc.get("id", "")), name=str(doc.get("name", "")),
            environment=f.get("PingOne Environment") or "", application_id=f.get("Application") or None,
            ik_version=ik, authentication_policy=f.get(AUTH_POLICY_FIELD_3X) or "",
            mfa_policy="Default" if mfa in (None, "", "Default") else None,
            mfa_policy_id=None if mfa in (None, "", "Default") else mfa,
            test_username=f.get("Test Username") or "", template_name=f.get("PingOne Template Name") or "",
            template_variant=f.get("PingOne Template Variant") or "", client_context=f.get("Client Context") or "",
            messages_files=f.get("Messages Files") or "",
            api_request_timeout=int(timeout) if str(timeout).isdigit() else timeout,
            proxy_settings=f.get("Proxy Settings") or "",
            variables=_table_variables(table),
            extended_attributes=[a.get("name") for a in (doc.get("attributeContract") or {}).get(
                "extendedAttributes") or []],
            raw=copy.deepcopy(dict(doc)))

    @property
    def contract(self) -> list[str]:
        """The whole attribute contract: ``subject`` plus the extended attributes."""
        return ["subject"] + [a for a in self.extended_attributes if a != "subject"]

    def validate(self, path: str = "authenticator") -> list[InputError]:
        """Field-level problems (empty list when valid)."""
        errs: list[InputError] = []
        _check(errs, isinstance(self.id, str) and bool(_PF_ID_RE.match(self.id or "")), f"{path}.id", self.id,
               "letters, digits, '_', '.', '-'; at most 32 characters")
        _check(errs, bool(self.name), f"{path}.name", self.name, "a non-empty instance name")
        _check(errs, self.ik_version in ("3.x", "4.0"), f"{path}.ik_version", self.ik_version, "'3.x' or '4.0'")
        _check(errs, _is_int(self.api_request_timeout) and self.api_request_timeout > 0,
               f"{path}.api_request_timeout", self.api_request_timeout, "a positive number of milliseconds "
               "(default 5000)")
        _check(errs, self.proxy_settings in PROXY_SETTINGS, f"{path}.proxy_settings", self.proxy_settings,
               ", ".join(PROXY_SETTINGS))
        _check(errs, bool(self.template_name), f"{path}.template_name", self.template_name,
               "a PingOne notification template name such as 'transaction'")
        _check(errs, len(self.template_variant or "") <= 100, f"{path}.template_variant", self.template_variant,
               "at most 100 characters")
        if self.client_context.strip():
            try:
                json.loads(self.client_context)
            except ValueError:
                errs.append(FieldError(f"{path}.client_context", self.client_context, "a JSON object"))
        for name in self.variables:
            _check(errs, bool(_VAR_NAME_RE.match(name)), f"{path}.variables.{name}", name,
                   "a name of letters, digits and '_' (used as ${name} in the template)")
        seen: set[str] = set()
        for i, a in enumerate(self.extended_attributes):
            _check(errs, bool(a) and a not in seen and a != "subject", f"{path}.extended_attributes[{i}]", a,
                   "unique attribute names (subject is always in the contract)")
            seen.add(a)
        if self.ik_version == "3.x":
            _check(errs, bool(self.authentication_policy.strip()) or True, f"{path}.authentication_policy",
                   self.authentication_policy, "space-separated sign-on policy names")
        return errs


def _table_variables(table: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in table.get("rows") or []:
        cells = {c.get("name"): c.get("value") for c in row.get("fields") or []}
        if cells.get(VAR_NAME_FIELD):
            out[str(cells[VAR_NAME_FIELD])] = str(cells.get(VAR_VALUE_FIELD) or "")
    return out


@dataclass
class AttributeSource:
    """One contract-fulfillment entry: ``{"source": {"type": ..., "id": ...}, "value": ...}``."""

    value: str = "IDENTITY_HINT_SUBJECT"
    type: str = "REQUEST"
    id: str | None = None
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    SOURCE_TYPES = ("REQUEST", "TEXT", "CONTEXT", "EXPRESSION", "NO_MAPPING", "LDAP_DATA_STORE",
                    "JDBC_DATA_STORE", "CUSTOM_DATA_STORE")

    def to_api(self) -> Json:
        """The ``attributeContractFulfillment`` entry."""
        out = copy.deepcopy(self.raw)
        src = out.setdefault("source", {})
        src["type"] = self.type
        if self.id:
            src["id"] = self.id
        out["value"] = self.value
        return out

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> "AttributeSource":
        """Load one ``attributeContractFulfillment`` entry."""
        src = doc.get("source") or {}
        return cls(value=str(doc.get("value", "")), type=str(src.get("type", "")), id=src.get("id"),
                   raw=copy.deepcopy(dict(doc)))


@dataclass
class LoginHintTokenIssuer:
    """An alternative ``login_hint_token`` issuer (``issuer`` + ``jwks`` or ``jwksURL``, capital URL)."""

    issuer: str
    jwks: str | None = None
    jwks_url: str | None = None
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    def to_api(self) -> Json:
        """The ``alternativeLoginHintTokenIssuers[]`` entry."""
        out = copy.deepcopy(self.raw)
        out["issuer"] = self.issuer
        for key, val in (("jwks", self.jwks), ("jwksURL", self.jwks_url)):
            if val is not None:
                out[key] = val
        return out

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> "LoginHintTokenIssuer":
        """Load one issuer entry."""
        return cls(issuer=str(doc.get("issuer", "")), jwks=doc.get("jwks"), jwks_url=doc.get("jwksURL"),
                   raw=copy.deepcopy(dict(doc)))


@dataclass
class RequestPolicy:
    """A CIBA request policy (``/oauth/cibaServerPolicy/requestPolicies``), every Admin API field.

    ``fulfillment`` is the request-policy contract fulfillment (``identityHintMapping.
    attributeContractFulfillment``): ``USER_KEY`` -> the grant, the authenticator's contract
    (``subject`` + extended) -> the authenticator, ``USER_CODE_USER_NAME`` -> the user-code PCV.
    Missing defaults (``USER_KEY``, ``subject``, ``USER_CODE_USER_NAME`` from
    ``IDENTITY_HINT_SUBJECT``) are added by :meth:`to_api`.
    """

    id: str
    name: str
    authenticator_id: str
    user_code_pcv_id: str | None = None
    transaction_lifetime: int = 120
    allow_unsigned_login_hint_token: bool = False
    require_token_for_identity_hint: bool = False
    alternative_login_hint_token_issuers: list[LoginHintTokenIssuer] = field(default_factory=list)
    identity_hint_extended_attributes: list[str] = field(default_factory=list)
    identity_hint_contract_fulfillment: Json | None = None
    fulfillment: dict[str, AttributeSource] = field(default_factory=dict)
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    def to_api(self) -> Json:
        """Admin API JSON."""
        out = copy.deepcopy(self.raw)
        fresh = not out
        out.update({"id": self.id, "name": self.name, "authenticatorRef": {"id": self.authenticator_id},
                    "transactionLifetime": self.transaction_lifetime,
                    "allowUnsignedLoginHintToken": self.allow_unsigned_login_hint_token,
                    "requireTokenForIdentityHint": self.require_token_for_identity_hint,
                    "alternativeLoginHintTokenIssuers": [i.to_api() for i in
                                                         self.alternative_login_hint_token_issuers]})
        if self.user_code_pcv_id:
            out["userCodePcvRef"] = {"id": self.user_code_pcv_id}
        else:
            out.pop("userCodePcvRef", None)
        contract = out.setdefault("identityHintContract", {})
        contract.setdefault("coreAttributes", [{"name": "IDENTITY_HINT_SUBJECT"}])
        old = [a.get("name") for a in contract.get("extendedAttributes") or []]
        if old != self.identity_hint_extended_attributes:
            contract["extendedAttributes"] = [{"name": n} for n in self.identity_hint_extended_attributes]
        else:
            contract.setdefault("extendedAttributes", [])
        if self.identity_hint_contract_fulfillment is not None:
            out["identityHintContractFulfillment"] = copy.deepcopy(self.identity_hint_contract_fulfillment)
        mapping = out.setdefault("identityHintMapping", {})
        # Defaults only for a policy built from a profile; an export is written back as it was.
        chosen = self.effective_fulfillment() if fresh else self.fulfillment
        acf = {k: v.to_api() for k, v in chosen.items()}
        if mapping.get("attributeContractFulfillment") != acf:
            mapping["attributeContractFulfillment"] = acf
        if fresh:
            mapping.setdefault("attributeSources", [])
            mapping.setdefault("issuanceCriteria", {"conditionalCriteria": []})
        return out

    def effective_fulfillment(self) -> dict[str, AttributeSource]:
        """``fulfillment`` plus the defaults PingFederate needs (from ``IDENTITY_HINT_SUBJECT``)."""
        out = dict(self.fulfillment)
        defaults = ["USER_KEY", "subject"] + (["USER_CODE_USER_NAME"] if self.user_code_pcv_id else [])
        for name in defaults:
            out.setdefault(name, AttributeSource())
        return out

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> "RequestPolicy":
        """Load a request-policy document."""
        acf = ((doc.get("identityHintMapping") or {}).get("attributeContractFulfillment")) or {}
        return cls(
            id=str(doc.get("id", "")), name=str(doc.get("name", "")),
            authenticator_id=_ref(doc.get("authenticatorRef")) or "",
            user_code_pcv_id=_ref(doc.get("userCodePcvRef")),
            transaction_lifetime=doc.get("transactionLifetime", 120),
            allow_unsigned_login_hint_token=bool(doc.get("allowUnsignedLoginHintToken", False)),
            require_token_for_identity_hint=bool(doc.get("requireTokenForIdentityHint", False)),
            alternative_login_hint_token_issuers=[LoginHintTokenIssuer.from_api(i) for i in
                                                  doc.get("alternativeLoginHintTokenIssuers") or []],
            identity_hint_extended_attributes=[a.get("name") for a in (doc.get("identityHintContract") or {}).get(
                "extendedAttributes") or []],
            identity_hint_contract_fulfillment=copy.deepcopy(doc.get("identityHintContractFulfillment")),
            fulfillment={k: AttributeSource.from_api(v) for k, v in acf.items()},
            raw=copy.deepcopy(dict(doc)))

    def validate(self, path: str = "request_policy", *,
                 authenticator: CibaAuthenticator | None = None) -> list[InputError]:
        """Field-level problems; with ``authenticator`` also the contract fulfillment of its contract."""
        errs: list[InputError] = []
        _check(errs, isinstance(self.id, str) and bool(_PF_ID_RE.match(self.id or "")), f"{path}.id", self.id,
               "letters, digits, '_', '.', '-'; at most 32 characters")
        _check(errs, bool(self.name), f"{path}.name", self.name, "a non-empty policy name")
        _check(errs, bool(self.authenticator_id), f"{path}.authenticator_id", self.authenticator_id,
               "the id of a CIBA authenticator instance")
        _check(errs, _is_int(self.transaction_lifetime) and 1 <= self.transaction_lifetime <= 3600,
               f"{path}.transaction_lifetime", self.transaction_lifetime, "1-3600 seconds (default 120)")
        for flag in ("allow_unsigned_login_hint_token", "require_token_for_identity_hint"):
            _check(errs, isinstance(getattr(self, flag), bool), f"{path}.{flag}", getattr(self, flag),
                   "true or false")
        seen: set[str] = set()
        for i, iss in enumerate(self.alternative_login_hint_token_issuers):
            p = f"{path}.alternative_login_hint_token_issuers[{i}]"
            _check(errs, bool(iss.issuer) and iss.issuer not in seen, f"{p}.issuer", iss.issuer,
                   "a unique issuer identifier")
            seen.add(iss.issuer)
            _check(errs, bool(iss.jwks or iss.jwks_url), f"{p}.jwks", iss.jwks, "a JWKS or a JWKS URL")
            if iss.jwks_url is not None:
                _check(errs, _valid_url(iss.jwks_url), f"{p}.jwks_url", iss.jwks_url, "an http(s) URL")
        for name, src in self.fulfillment.items():
            _check(errs, src.type in AttributeSource.SOURCE_TYPES, f"{path}.fulfillment.{name}", src.type,
                   ", ".join(AttributeSource.SOURCE_TYPES))
        if authenticator is not None:
            eff = self.effective_fulfillment()
            for attr in authenticator.contract:
                if attr not in eff or eff[attr].type == "NO_MAPPING":
                    errs.append(FieldError(f"{path}.fulfillment.{attr}", None,
                                           f"a source for the authenticator's contract attribute '{attr}' "
                                           f"(e.g. {{type = \"REQUEST\", value = \"IDENTITY_HINT_SUBJECT\"}})"))
        return errs


@dataclass
class CibaServerSettings:
    """The CIBA settings singleton (``/oauth/cibaServerPolicy/settings``)."""

    default_request_policy_id: str | None = None
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    def to_api(self) -> Json:
        """Admin API JSON."""
        out = copy.deepcopy(self.raw)
        if self.default_request_policy_id:
            out["defaultRequestPolicyRef"] = {"id": self.default_request_policy_id}
        return out

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> "CibaServerSettings":
        """Load the settings document."""
        return cls(default_request_policy_id=_ref(doc.get("defaultRequestPolicyRef")), raw=copy.deepcopy(dict(doc)))

    def validate(self, path: str = "settings") -> list[InputError]:
        """Field-level problems (empty list when valid)."""
        return []


@dataclass
class ClientAuth:
    """``clientAuth`` of an OAuth client. ``secret`` is write-only (masked, from the environment)."""

    type: str = "SECRET"
    secret: Secret | None = None
    secret_env: str | None = None
    encrypted_secret: str | None = None
    client_cert_issuer_dn: str | None = None
    client_cert_subject_dn: str | None = None
    enforce_replay_prevention: bool | None = None
    token_endpoint_auth_signing_algorithm: str | None = None
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    def to_api(self, *, reveal: bool = False) -> Json:
        """Admin API JSON; the secret is sent in plaintext only with ``reveal=True`` (else ``'***'``)."""
        out = copy.deepcopy(self.raw)
        out.pop("secret", None)
        out["type"] = self.type
        if self.secret is not None:
            out["secret"] = self.secret.reveal() if reveal else MASK
            out.pop("encryptedSecret", None)
        elif self.encrypted_secret:
            out["encryptedSecret"] = self.encrypted_secret
        for key, val in (("clientCertIssuerDn", self.client_cert_issuer_dn),
                         ("clientCertSubjectDn", self.client_cert_subject_dn),
                         ("enforceReplayPrevention", self.enforce_replay_prevention),
                         ("tokenEndpointAuthSigningAlgorithm", self.token_endpoint_auth_signing_algorithm)):
            if val is not None:
                out[key] = val
        return out

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> "ClientAuth":
        """Load ``clientAuth`` (a plaintext ``secret`` in an export becomes a masked :class:`Secret`)."""
        secret = doc.get("secret")
        return cls(type=str(doc.get("type", "NONE")),
                   secret=Secret(secret, source="export") if isinstance(secret, str) and secret else None,
                   encrypted_secret=doc.get("encryptedSecret"),
                   client_cert_issuer_dn=doc.get("clientCertIssuerDn"),
                   client_cert_subject_dn=doc.get("clientCertSubjectDn"),
                   enforce_replay_prevention=doc.get("enforceReplayPrevention"),
                   token_endpoint_auth_signing_algorithm=doc.get("tokenEndpointAuthSigningAlgorithm"),
                   raw={k: copy.deepcopy(v) for k, v in doc.items() if k != "secret"})


@dataclass
class JwksSettings:
    """``jwksSettings``: ``jwks`` (the JWKS document as a *string*) or ``jwksUrl``."""

    jwks: str | None = None
    jwks_url: str | None = None
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    def to_api(self) -> Json:
        """Admin API JSON."""
        out = copy.deepcopy(self.raw)
        if self.jwks is not None:
            out["jwks"] = self.jwks
        if self.jwks_url is not None:
            out["jwksUrl"] = self.jwks_url
        return out

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> "JwksSettings":
        """Load ``jwksSettings``."""
        return cls(jwks=doc.get("jwks"), jwks_url=doc.get("jwksUrl"), raw=copy.deepcopy(dict(doc)))


@dataclass
class OAuthClient:
    """A PingFederate OAuth client set up for CIBA (``/oauth/clients``).

    ``None`` members are not managed (omitted from the JSON, so PingFederate keeps its value or
    default: ``cibaPollingInterval`` defaults to 3 per the API spec).
    """

    client_id: str
    name: str
    grant_types: list[str] = field(default_factory=lambda: ["CIBA"])
    description: str | None = None
    enabled: bool | None = None
    ciba_delivery_mode: str | None = "POLL"
    ciba_notification_endpoint: str | None = None
    ciba_polling_interval: int | None = None
    ciba_require_signed_requests: bool | None = None
    ciba_request_object_signing_algorithm: str | None = None
    ciba_user_code_supported: bool | None = None
    request_policy_id: str | None = None
    client_auth: ClientAuth | None = field(default_factory=ClientAuth)
    jwks_settings: JwksSettings | None = None
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    def to_api(self, *, reveal: bool = False) -> Json:
        """Admin API JSON (secret masked unless ``reveal``)."""
        out = copy.deepcopy(self.raw)
        out.update({"clientId": self.client_id, "name": self.name, "grantTypes": list(self.grant_types)})
        for key, val in (("description", self.description), ("enabled", self.enabled),
                         ("cibaDeliveryMode", self.ciba_delivery_mode),
                         ("cibaNotificationEndpoint", self.ciba_notification_endpoint),
                         ("cibaPollingInterval", self.ciba_polling_interval),
                         ("cibaRequireSignedRequests", self.ciba_require_signed_requests),
                         ("cibaRequestObjectSigningAlgorithm", self.ciba_request_object_signing_algorithm),
                         ("cibaUserCodeSupported", self.ciba_user_code_supported)):
            if val is not None:
                out[key] = val
        if self.request_policy_id:
            out["requestPolicyRef"] = {"id": self.request_policy_id}
        if self.client_auth is not None:
            out["clientAuth"] = self.client_auth.to_api(reveal=reveal)
        if self.jwks_settings is not None:
            out["jwksSettings"] = self.jwks_settings.to_api()
        return out

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> "OAuthClient":
        """Load an ``/oauth/clients`` item."""
        jwks = doc.get("jwksSettings")
        return cls(
            client_id=str(doc.get("clientId", "")), name=str(doc.get("name", "")),
            grant_types=list(doc.get("grantTypes") or []), description=doc.get("description"),
            enabled=doc.get("enabled"), ciba_delivery_mode=doc.get("cibaDeliveryMode"),
            ciba_notification_endpoint=doc.get("cibaNotificationEndpoint"),
            ciba_polling_interval=doc.get("cibaPollingInterval"),
            ciba_require_signed_requests=doc.get("cibaRequireSignedRequests"),
            ciba_request_object_signing_algorithm=doc.get("cibaRequestObjectSigningAlgorithm"),
            ciba_user_code_supported=doc.get("cibaUserCodeSupported"),
            request_policy_id=_ref(doc.get("requestPolicyRef")),
            client_auth=ClientAuth.from_api(doc["clientAuth"]) if isinstance(doc.get("clientAuth"), Mapping) else None,
            jwks_settings=JwksSettings.from_api(jwks) if isinstance(jwks, Mapping) else None,
            raw={k: copy.deepcopy(v) for k, v in doc.items()
                 if k not in ("clientAuth",)})

    @property
    def has_ciba(self) -> bool:
        """Whether the CIBA grant type is allowed."""
        return "CIBA" in self.grant_types

    def validate(self, path: str = "client") -> list[InputError]:
        """Field-level problems (empty list when valid)."""
        errs: list[InputError] = []
        _check(errs, bool(self.client_id) and not any(c.isspace() for c in self.client_id), f"{path}.client_id",
               self.client_id, "a non-empty client id without spaces")
        _check(errs, bool(self.name), f"{path}.name", self.name, "a non-empty client name")
        for i, g in enumerate(self.grant_types):
            _check(errs, g in GRANT_TYPES, f"{path}.grant_types[{i}]", g, ", ".join(GRANT_TYPES))
        _check(errs, bool(self.grant_types), f"{path}.grant_types", self.grant_types, "at least one grant type, "
               "including CIBA")
        _check(errs, self.ciba_delivery_mode in ("POLL", "PING", None), f"{path}.ciba_delivery_mode",
               self.ciba_delivery_mode, "POLL or PING (PingFederate has no push mode)")
        if self.ciba_delivery_mode == "PING":
            _check(errs, _valid_url(self.ciba_notification_endpoint), f"{path}.ciba_notification_endpoint",
                   self.ciba_notification_endpoint, "an https URL (http only for loopback) for PING delivery")
        elif self.ciba_notification_endpoint is not None:
            _check(errs, _valid_url(self.ciba_notification_endpoint), f"{path}.ciba_notification_endpoint",
                   self.ciba_notification_endpoint, "an http(s) URL")
        if self.ciba_polling_interval is not None:
            _check(errs, _is_int(self.ciba_polling_interval) and 0 <= self.ciba_polling_interval <= 3600,
                   f"{path}.ciba_polling_interval", self.ciba_polling_interval, "0-3600 seconds")
        if self.ciba_request_object_signing_algorithm is not None:
            _check(errs, self.ciba_request_object_signing_algorithm in SIGNING_ALGORITHMS,
                   f"{path}.ciba_request_object_signing_algorithm", self.ciba_request_object_signing_algorithm,
                   ", ".join(SIGNING_ALGORITHMS))
        ca = self.client_auth or ClientAuth(type="NONE")
        _check(errs, ca.type in CLIENT_AUTH_TYPES, f"{path}.client_auth.type", ca.type, ", ".join(CLIENT_AUTH_TYPES))
        if ca.type in ("SECRET", "CLIENT_SECRET_JWT") and ca.secret is None and not ca.encrypted_secret:
            errs.append(FieldError(f"{path}.client_auth.secret_env", ca.secret_env,
                                   "the name of an environment variable that holds the client secret"
                                   + (f" (variable {ca.secret_env} is not set)" if ca.secret_env else "")))
        if ca.type == "CERTIFICATE":
            for f in ("client_cert_issuer_dn", "client_cert_subject_dn"):
                _check(errs, bool(getattr(ca, f)), f"{path}.client_auth.{f}", getattr(ca, f),
                       "a distinguished name (required for CERTIFICATE)")
        keys = self.jwks_settings is not None and bool(self.jwks_settings.jwks or self.jwks_settings.jwks_url)
        if ca.type == "PRIVATE_KEY_JWT" or self.ciba_require_signed_requests:
            _check(errs, keys, f"{path}.jwks_settings", None, "a JWKS (string) or a JWKS URL, needed for "
                   "private_key_jwt and signed requests")
        if self.jwks_settings is not None and self.jwks_settings.jwks:
            try:
                ok = isinstance(json.loads(self.jwks_settings.jwks).get("keys"), list)
            except (ValueError, AttributeError):
                ok = False
            _check(errs, ok, f"{path}.jwks_settings.jwks", "<jwks>", "a JSON key set {\"keys\": [...]} as text")
        if ca.token_endpoint_auth_signing_algorithm is not None:
            allowed = SYMMETRIC_ALGORITHMS if ca.type == "CLIENT_SECRET_JWT" else SIGNING_ALGORITHMS
            _check(errs, ca.token_endpoint_auth_signing_algorithm in allowed,
                   f"{path}.client_auth.token_endpoint_auth_signing_algorithm",
                   ca.token_endpoint_auth_signing_algorithm, ", ".join(allowed))
        return errs
