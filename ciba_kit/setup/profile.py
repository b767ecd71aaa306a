"""Setup profiles: a whole CIBA setup in one TOML (or JSON) file, secrets from the environment.

```toml
name = "demo"
ik_version = "4.0"                       # "4.0" (MFA Policy for Authentication) or "3.x"

[pingfederate]                           # --target overrides admin_url
admin_url = "https://pf.example.com:9999/pf-admin-api/v1"
issuer = "https://pf.example.com:9031"
username = "Administrator"
password_env = "CIBA_KIT_PF_ADMIN_PASSWORD"

[pingone]
environment_id = "..."
region = "com"                           # com | eu | asia | ca
worker_client_id = "..."
worker_secret_env = "CIBA_KIT_P1_WORKER_SECRET"

[application]                            # step 1: the PingOne native app
name = "ciba_kit native app"

[mfa_policy]                             # step 1: the MFA policy (push timeout 40-150 s)
name = "ciba_kit CIBA"
[[mfa_policy.applications]]
application = "ciba_kit native app"
push_timeout = 40

[[templates]]                            # PingOne push contents (ciba_kit.prompts.PromptTemplate)
template_name = "transaction"
locale = "en"
title = "${requestingApplicationName} is requesting approval"
body = "${authUserBindingMessage}"

[authenticator]                          # step 2
id = "cibaKitP1Mfa"
name = "ciba_kit PingOne MFA CIBA Authenticator"
application = "ciba_kit native app"
mfa_policy = "ciba_kit CIBA"

[request_policy]                         # step 3
id = "cibaKitPolicy"
name = "ciba_kit request policy"
authenticator_id = "cibaKitP1Mfa"

[[clients]]
client_id = "ciba-kit-poll"
name = "ciba_kit poll client"
[clients.client_auth]
type = "SECRET"
secret_env = "CIBA_KIT_DEMO_SECRET"      # never the secret itself
```

Keys are the model members (snake_case). A key named ``secret``, ``password`` or ``client_secret``
is refused: secrets come only from environment variables named by ``*_env`` keys, and they are
never written back (:meth:`SetupProfile.to_dict`) or shown (masked reprs).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..prompts import PromptTemplate
from ..protocol.errors import InputError
from .models import (
    AttributeSource,
    CibaAuthenticator,
    CibaServerSettings,
    ClientAuth,
    FieldError,
    JwksSettings,
    MfaPolicy,
    NativeApplication,
    OAuthClient,
    RequestPolicy,
    Secret,
    SetupValidationError,
    SignOnPolicy,
)

__all__ = [
    "SetupProfile",
    "PingFederateConnection",
    "PingOneConnection",
    "TestUser",
    "SIMULATOR_ENVIRONMENT_ID",
    "SIMULATOR_ADMIN_USERNAME",
    "SIMULATOR_ADMIN_PASSWORD",
    "SIMULATOR_WORKER_CLIENT_ID",
    "SIMULATOR_WORKER_SECRET",
    "build_section",
]

# The embedded simulator's fixed identities (duplicated from ciba_kit.simulator on purpose: setup/
# may not import the simulator; they meet over HTTP). Demo values only.
SIMULATOR_ENVIRONMENT_ID = "00000000-0000-4000-8000-000000000001"
SIMULATOR_ADMIN_USERNAME = "Administrator"
SIMULATOR_ADMIN_PASSWORD = "2FederateM0re"  # PingFederate's documented default
SIMULATOR_WORKER_CLIENT_ID = "ciba-kit-worker"
SIMULATOR_WORKER_SECRET = "ciba-kit-worker-secret"

_FORBIDDEN_KEYS = {"secret", "password", "client_secret", "worker_secret", "private_key", "bearer_token"}


@dataclass
class PingFederateConnection:
    """How to reach PingFederate's Admin API and runtime."""

    admin_url: str | None = None
    issuer: str | None = None
    username: str = SIMULATOR_ADMIN_USERNAME
    password_env: str | None = None
    bearer_token_env: str | None = None
    verify_tls: bool = True
    ca_bundle: str | None = None
    password: Secret | None = field(default=None, repr=False)
    bearer_token: Secret | None = field(default=None, repr=False)


@dataclass
class PingOneConnection:
    """How to reach the PingOne management API (a worker application's client credentials)."""

    environment_id: str = SIMULATOR_ENVIRONMENT_ID
    region: str = "com"
    worker_client_id: str | None = None
    worker_secret_env: str | None = None
    connection_id: str = "simulator"  # PingFederate's PingOne connection id (System > External Systems)
    api_base: str | None = None
    auth_base: str | None = None
    worker_secret: Secret | None = field(default=None, repr=False)


@dataclass
class TestUser:
    """A PingOne user the setup expects (and, with ``create``, creates) with a paired mobile device.

    Pairing a real phone needs the PingOne mobile SDK; ``create`` with ``paired`` creates an
    ACTIVE MOBILE device only where the API allows it (the simulator's stand-in).
    """

    __test__ = False  # not a pytest test class

    username: str
    create: bool = False
    paired: bool = True
    locale: str | None = None
    email: str | None = None


@dataclass
class SetupProfile:
    """A whole CIBA setup: connections, the three steps, the default policy and the clients."""

    name: str = "profile"
    description: str = ""
    ik_version: str = "4.0"
    pingfederate: PingFederateConnection = field(default_factory=PingFederateConnection)
    pingone: PingOneConnection = field(default_factory=PingOneConnection)
    application: NativeApplication | None = None
    mfa_policy: MfaPolicy | None = None
    sign_on_policy: SignOnPolicy | None = None
    templates: list[PromptTemplate] = field(default_factory=list)
    users: list[TestUser] = field(default_factory=list)
    authenticator: CibaAuthenticator | None = None
    request_policy: RequestPolicy | None = None
    settings: CibaServerSettings | None = None
    clients: list[OAuthClient] = field(default_factory=list)
    source: str | None = None

    # ---- loading

    @classmethod
    def load(cls, path: str | Path, *, env: Mapping[str, str] | None = None) -> "SetupProfile":
        """Load a ``.toml`` or ``.json`` profile; secrets are read from ``env`` (default ``os.environ``).

        Raises:
            InputError: the file is missing or not TOML/JSON.
            SetupValidationError: keys or values are wrong (every problem listed).
        """
        p = Path(path)
        if not p.is_file():
            raise InputError("--profile", f"no such file: {p}", "give the path of a .toml or .json profile "
                             "(examples: ciba_kit/data/profiles/demo.toml)")
        text = p.read_text(encoding="utf-8")
        try:
            data = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            raise InputError("--profile", f"{p.name} is not valid {'JSON' if p.suffix == '.json' else 'TOML'}: "
                             f"{exc}", "fix the syntax at the position shown") from None
        prof = cls.from_dict(data, env=env, base_dir=p.parent)
        prof.source = str(p)
        return prof

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, env: Mapping[str, str] | None = None,
                  base_dir: str | Path | None = None) -> "SetupProfile":
        """Build a profile from parsed TOML/JSON (snake_case keys), validating as it goes.

        Raises:
            SetupValidationError: every unknown key, wrong type and invalid value at once.
        """
        errors: list[InputError] = []
        ctx = _Ctx(env=os.environ if env is None else env, base=Path(base_dir or "."), errors=errors)
        if not isinstance(data, Mapping):
            raise SetupValidationError([InputError("profile", "must be a table/object", "see demo.toml")])
        prof = _build(cls, dict(data), "", ctx)
        if errors:
            raise SetupValidationError(errors)
        assert isinstance(prof, SetupProfile)
        prof._apply_defaults()
        problems = prof.problems()
        if problems:
            raise SetupValidationError(problems)
        return prof

    def _apply_defaults(self) -> None:
        a = self.authenticator
        if a is not None:
            if not a.environment:
                a.environment = f"{self.pingone.connection_id}|{self.pingone.environment_id}"
            if self.ik_version and a.ik_version != self.ik_version and "ik_version" not in a.raw:
                a.ik_version = self.ik_version
            if a.application is None and a.application_id is None and self.application is not None:
                a.application = self.application.name
            if a.ik_version == "4.0" and a.mfa_policy is None and a.mfa_policy_id is None \
                    and self.mfa_policy is not None:
                a.mfa_policy = self.mfa_policy.name
            if a.ik_version == "3.x" and not a.authentication_policy and self.sign_on_policy is not None:
                a.authentication_policy = self.sign_on_policy.name
        if self.request_policy is not None and self.settings is None:
            # PingFederate: the first request policy must be made the default.
            self.settings = CibaServerSettings(default_request_policy_id=self.request_policy.id)

    # ---- validation

    def problems(self) -> list[InputError]:
        """Every field-level and cross-reference problem (empty list when the profile is consistent)."""
        errs: list[InputError] = []
        if self.ik_version not in ("3.x", "4.0"):
            errs.append(FieldError("ik_version", self.ik_version, "'3.x' or '4.0'"))
        if self.pingone.region not in ("com", "eu", "asia", "ca"):
            errs.append(FieldError("pingone.region", self.pingone.region, "com, eu, asia or ca"))
        if self.application is not None:
            errs += self.application.validate("application")
        if self.mfa_policy is not None:
            errs += self.mfa_policy.validate("mfa_policy")
            for i, app in enumerate(self.mfa_policy.applications):
                if app.application and (self.application is None or app.application != self.application.name):
                    errs.append(FieldError(f"mfa_policy.applications[{i}].application", app.application,
                                           "the name of the [application] section"
                                           + (f" ({self.application.name!r})" if self.application else "")))
        if self.sign_on_policy is not None:
            errs += self.sign_on_policy.validate("sign_on_policy")
            if self.mfa_policy is not None and self.sign_on_policy.mfa_policy not in (None, self.mfa_policy.name):
                errs.append(FieldError("sign_on_policy.mfa_policy", self.sign_on_policy.mfa_policy,
                                       f"the [mfa_policy] name ({self.mfa_policy.name!r})"))
        a = self.authenticator
        if a is not None:
            errs += a.validate("authenticator")
            if a.ik_version == "4.0" and a.mfa_policy not in (None, "Default") and (
                    self.mfa_policy is None or a.mfa_policy != self.mfa_policy.name):
                errs.append(FieldError("authenticator.mfa_policy", a.mfa_policy,
                                       "'Default' or the [mfa_policy] name"
                                       + (f" ({self.mfa_policy.name!r})" if self.mfa_policy else "")))
            if a.application and (self.application is None or a.application != self.application.name):
                errs.append(FieldError("authenticator.application", a.application,
                                       "the [application] name" + (f" ({self.application.name!r})"
                                                                   if self.application else "")))
        for i, t in enumerate(self.templates):
            if len(t.variant or "") > 100:
                errs.append(FieldError(f"templates[{i}].variant", t.variant, "at most 100 characters"))
        rp = self.request_policy
        if rp is not None:
            errs += rp.validate("request_policy", authenticator=a if a is not None and a.id == rp.authenticator_id
                                else None)
            if a is not None and rp.authenticator_id != a.id:
                errs.append(FieldError("request_policy.authenticator_id", rp.authenticator_id,
                                       f"the [authenticator] id ({a.id!r})"))
        policy_ids = {rp.id} if rp else set()
        default_id = self.settings.default_request_policy_id if self.settings else None
        if default_id and rp is not None and default_id not in policy_ids:
            errs.append(FieldError("settings.default_request_policy_id", default_id,
                                   f"the [request_policy] id ({rp.id!r})"))
        seen: set[str] = set()
        for i, c in enumerate(self.clients):
            errs += c.validate(f"clients[{i}]")
            if c.client_id in seen:
                errs.append(FieldError(f"clients[{i}].client_id", c.client_id, "a client id used only once"))
            seen.add(c.client_id)
            if c.request_policy_id and rp is not None and c.request_policy_id not in policy_ids:
                errs.append(FieldError(f"clients[{i}].request_policy_id", c.request_policy_id,
                                       f"the [request_policy] id ({rp.id!r}) or unset (the default policy)"))
            if c.ciba_user_code_supported and c.has_ciba:
                pid = c.request_policy_id or default_id
                if rp is not None and pid == rp.id and not rp.user_code_pcv_id:
                    errs.append(FieldError(f"clients[{i}].ciba_user_code_supported", True,
                                           f"false, or give request policy {rp.id!r} a user_code_pcv_id (a client "
                                           f"with user-code support needs a policy with a User Code PCV)"))
        return errs

    def validate(self) -> "SetupProfile":
        """Raise :class:`SetupValidationError` listing every problem; return self when valid."""
        problems = self.problems()
        if problems:
            raise SetupValidationError(problems)
        return self

    # ---- writing

    def to_dict(self) -> dict[str, Any]:
        """The profile as TOML/JSON-ready data (snake_case); secrets only as their ``*_env`` names."""
        return _dump(self)

    def save_json(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` as JSON (no secrets)."""
        p = Path(path)
        p.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return p

    def secrets(self) -> list[str]:
        """Every secret value held (for masking error texts); never print this."""
        out = [s.reveal() for s in (self.pingfederate.password, self.pingfederate.bearer_token,
                                    self.pingone.worker_secret) if s is not None]
        out += [c.client_auth.secret.reveal() for c in self.clients
                if c.client_auth is not None and c.client_auth.secret is not None]
        return out

    def client(self, client_id: str | None = None) -> OAuthClient | None:
        """The client with ``client_id`` (else the first client with the CIBA grant)."""
        for c in self.clients:
            if (client_id and c.client_id == client_id) or (client_id is None and c.has_ciba):
                return c
        return None

    def __repr__(self) -> str:
        parts = [f"name={self.name!r}", f"ik_version={self.ik_version!r}"]
        for label, obj in (("application", self.application), ("mfa_policy", self.mfa_policy),
                           ("authenticator", self.authenticator), ("request_policy", self.request_policy)):
            if obj is not None:
                parts.append(f"{label}={getattr(obj, 'name', None) or getattr(obj, 'id', '')!r}")
        parts.append(f"clients={[c.client_id for c in self.clients]!r}")
        return f"SetupProfile({', '.join(parts)})"


# --------------------------------------------------------------------------------------------------
# Generic builder (snake_case profile -> dataclasses), with every problem collected


@dataclass
class _Ctx:
    env: Mapping[str, str]
    base: Path
    errors: list[InputError]


def _type_name(tp: Any) -> str:
    if tp is str:
        return "text"
    if tp is int:
        return "a whole number"
    if tp is bool:
        return "true or false"
    if tp is float:
        return "a number"
    origin = typing.get_origin(tp)
    if origin is list:
        return "a list"
    if origin is dict:
        return "a table"
    if dataclasses.is_dataclass(tp):
        return "a table"
    return str(tp)


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _coerce(tp: Any, value: Any, path: str, ctx: _Ctx) -> Any:
    tp, optional = _unwrap_optional(tp)
    if value is None:
        if optional:
            return None
        ctx.errors.append(InputError(path, "may not be empty", f"give {_type_name(tp)}"))
        return None
    if tp is Any:
        return value
    if tp is PromptTemplate:
        return _template(value, path, ctx)
    if tp is AttributeSource:
        if isinstance(value, str):
            return AttributeSource(value=value)
        if isinstance(value, Mapping):
            return _build(AttributeSource, dict(value), path, ctx)
        ctx.errors.append(InputError(path, f"expected a value name or {{type, value}}, got {value!r}",
                                     'e.g. subject = "IDENTITY_HINT_SUBJECT" or {type = "TEXT", value = "x"}'))
        return None
    if tp is JwksSettings and isinstance(value, Mapping):
        return _jwks(dict(value), path, ctx)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            ctx.errors.append(InputError(path, f"expected a table, got {value!r}", f"write [{path}] with its keys"))
            return None
        return _build(tp, dict(value), path, ctx)
    origin = typing.get_origin(tp)
    if origin is list:
        (item_tp,) = typing.get_args(tp) or (Any,)
        if not isinstance(value, list):
            ctx.errors.append(InputError(path, f"expected a list, got {value!r}", "use [ ... ] or [[section]]"))
            return []
        return [_coerce(item_tp, v, f"{path}[{i}]", ctx) for i, v in enumerate(value)]
    if origin is dict:
        args = typing.get_args(tp)
        val_tp = args[1] if len(args) == 2 else Any
        if not isinstance(value, Mapping):
            ctx.errors.append(InputError(path, f"expected a table, got {value!r}", "use a TOML table"))
            return {}
        return {str(k): _coerce(val_tp, v, f"{path}.{k}", ctx) for k, v in value.items()}
    if tp is bool:
        if not isinstance(value, bool):
            ctx.errors.append(InputError(path, f"expected true or false, got {value!r}", "write true or false"))
        return value
    if tp is int:
        if not isinstance(value, int) or isinstance(value, bool):
            ctx.errors.append(InputError(path, f"expected a whole number, got {value!r}", "write e.g. 120"))
        return value
    if tp is str:
        if not isinstance(value, str):
            ctx.errors.append(InputError(path, f"expected text, got {value!r}", 'write it in quotes: "..."'))
            return str(value)
        return value
    return value


def _build(cls: type, data: dict[str, Any], path: str, ctx: _Ctx) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    settable = {n for n, f in fields.items() if n not in ("raw", "action_raw", "source")
                and hints.get(n) not in (Secret, Secret | None)}
    kwargs: dict[str, Any] = {}
    prefix = f"{path}." if path else ""
    for key, value in data.items():
        if key in _FORBIDDEN_KEYS:
            ctx.errors.append(InputError(f"{prefix}{key}", "secrets are never written into a profile",
                                         f"set an environment variable and name it with {key}_env = \"...\""
                                         if key != "client_secret" else "use client_auth.secret_env"))
            continue
        if key not in settable:
            ctx.errors.append(InputError(f"{prefix}{key}", "unknown key",
                                         f"known keys here: {', '.join(sorted(settable))}"))
            continue
        kwargs[key] = _coerce(hints[key], value, f"{prefix}{key}", ctx)
    missing = [n for n, f in fields.items() if n in settable and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING and n not in kwargs]
    for n in missing:
        ctx.errors.append(InputError(f"{prefix}{n}", "required key is missing", f"add {n} = ..."))
    if missing:
        return None
    try:
        obj = cls(**kwargs)
    except (TypeError, InputError) as exc:
        ctx.errors.append(InputError(path or "profile", str(exc), "check the keys of this section"))
        return None
    _resolve_secrets(obj, path, ctx)
    return obj


def _resolve_secrets(obj: Any, path: str, ctx: _Ctx) -> None:
    pairs = {ClientAuth: [("secret_env", "secret")],
             PingFederateConnection: [("password_env", "password"), ("bearer_token_env", "bearer_token")],
             PingOneConnection: [("worker_secret_env", "worker_secret")]}
    for env_key, attr in pairs.get(type(obj), []):
        name = getattr(obj, env_key)
        if not name:
            continue
        value = ctx.env.get(name)
        if value:
            setattr(obj, attr, Secret(value, source=f"env {name}"))
        # Unset: client secrets are reported by OAuthClient.validate (with the console location);
        # connection secrets only when a real product is contacted (the simulator needs none).


def _template(value: Any, path: str, ctx: _Ctx) -> PromptTemplate | None:
    if not isinstance(value, Mapping):
        ctx.errors.append(InputError(path, "expected a table with title and body", "see [[templates]] in demo.toml"))
        return None
    allowed = {"title", "body", "locale", "template_name", "variant", "category"}
    unknown = set(value) - allowed
    for k in sorted(unknown):
        ctx.errors.append(InputError(f"{path}.{k}", "unknown key", f"known keys here: {', '.join(sorted(allowed))}"))
    try:
        return PromptTemplate(**{k: v for k, v in value.items() if k in allowed})
    except TypeError as exc:
        ctx.errors.append(InputError(path, str(exc), "give title and body"))
    except InputError as exc:
        ctx.errors.append(InputError(f"{path}.{exc.field}", exc.problem,
                                     exc.fix + " (PingOne > User Experience > Notification Templates)"))
    return None


def _jwks(data: dict[str, Any], path: str, ctx: _Ctx) -> JwksSettings | None:
    if "jwks_file" in data:
        f = ctx.base / str(data.pop("jwks_file"))
        try:
            data["jwks"] = f.read_text(encoding="utf-8")
        except OSError as exc:
            ctx.errors.append(InputError(f"{path}.jwks_file", f"cannot read {f}: {exc.strerror}", "fix the path"))
    if data.pop("demo_key", False):
        from ..protocol import jose  # the demo key ships with the package, labelled demo-only

        data["jwks"] = json.dumps({"keys": [jose.public_jwk(jose.demo_client_key())]})
    if isinstance(data.get("jwks"), Mapping):
        data["jwks"] = json.dumps(data["jwks"])
    return _build(JwksSettings, data, path, ctx)


def _dump(obj: Any) -> Any:
    if isinstance(obj, PromptTemplate):
        out = {"template_name": obj.template_name, "locale": obj.locale, "title": obj.title, "body": obj.body,
               "category": str(obj.category)}
        if obj.variant:
            out["variant"] = obj.variant
        return out
    if isinstance(obj, Secret):
        return None
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            if f.name in ("raw", "action_raw", "source"):
                continue
            v = getattr(obj, f.name)
            if v is None or isinstance(v, Secret) or v == [] or v == {}:
                continue
            out[f.name] = _dump(v)
        return out
    if isinstance(obj, list):
        return [_dump(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _dump(v) for k, v in obj.items()}
    return obj



def build_section(cls: type, data: Mapping[str, Any], path: str, *,
                  env: Mapping[str, str] | None = None) -> tuple[Any, list[InputError]]:
    """Build one model from profile-style data (snake_case keys) and validate it.

    Returns:
        ``(model or None, problems)``: typing problems, then the model's own field checks.
    """
    errors: list[InputError] = []
    ctx = _Ctx(env=os.environ if env is None else env, base=Path("."), errors=errors)
    obj = _build(cls, dict(data), path, ctx)
    if obj is not None and not errors and hasattr(obj, "validate"):
        errors += obj.validate(path)
    return (obj if not errors else None), errors
