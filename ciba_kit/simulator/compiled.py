"""The runtime's view of the configuration: Admin API / PingOne documents compiled into fast lookups.

The runtime reads configuration on every request; walking JSON documents each time would cost
more than the protocol work. :func:`compile_state` turns one version of :class:`SimulatorState`
into plain objects (client -> policy -> authenticator -> MFA policy, username -> user) and the
runtime recompiles only when ``state.version`` changes (every Admin API write calls ``touch()``).

Resolution rules (PingFederate's, where known):
- a client's request policy is ``requestPolicyRef.id``, else the default of
  ``/oauth/cibaServerPolicy/settings``;
- the policy's authenticator is ``authenticatorRef.id``; for a PingOne MFA CIBA Authenticator its
  ``MFA Policy for Authentication`` field (IK 4.0) names the PingOne MFA policy, else the PingOne
  default MFA policy (``"default": true``), else the first one;
- the push timeout is the MFA policy's ``mobile.applications[]`` entry for the authenticator's
  ``Application`` (else the first entry): ``pushTimeout {duration, timeUnit}``, clamped to 40-150 s,
  default 40 s;
- user codes come from the policy's ``userCodePcvRef`` PCV (table ``Users``: ``Username``/``Password``);
- the contract fulfillment (``identityHintMapping``) is compiled against the authenticator's
  contract (:mod:`ciba_kit.simulator.fulfillment`);
- the authenticator's ``Messages Files`` field (default ``pingone-mfa-messages``; several names may
  be separated by commas, later ones win) names the language-pack bundles read from
  ``settings.language_packs_dir``: ``""`` (default) means no directory, so ``$messages`` is empty;
  ``"demo"`` is the pack shipped in ``ciba_kit/data/language-packs`` (English base + French);
  anything else is a directory path. A bundle missing from the directory is skipped with a
  warning in each transaction's ground truth (PingFederate's behaviour there: UNCONFIRMED).
"""

from __future__ import annotations

import json
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Mapping

from joserfc.jwk import KeySet

from ..prompts import LanguagePack, PromptTemplate
from ..protocol import jose
from ..protocol.errors import InputError
from .fulfillment import Fulfillment, compile_fulfillment
from .personas import PERSONA_FIELD, Persona, persona_from_json
from .state import SimulatorState

__all__ = ["ClientConf", "PolicyConf", "UserConf", "Compiled", "compile_state", "PUSH_EXTENSION_FIELD",
           "DEMO_LANGUAGE_PACKS", "language_packs_dir", "load_language_pack"]

#: The demo language pack shipped with ciba_kit (``settings.language_packs_dir = "demo"``).
DEMO_LANGUAGE_PACKS = Path(__file__).resolve().parents[1] / "data" / "language-packs"

#: Simulator-only client member that turns on push delivery (PingFederate has no push mode).
PUSH_EXTENSION_FIELD = "x-cibaKitDeliveryMode"

_UNIT_SECONDS = {"SECONDS": 1, "MINUTES": 60, "HOURS": 3600, "MILLISECONDS": 0.001}


@dataclass
class PolicyConf:
    """A CIBA request policy joined with its authenticator and MFA policy."""

    id: str
    lifetime: int = 120
    allow_unsigned_lht: bool = False
    require_token_hint: bool = False
    user_codes: dict[str, str] | None = field(default=None, repr=False)  # None: no User Code PCV
    alt_issuers: dict[str, KeySet] = field(default_factory=dict)
    template_name: str = "transaction"
    variant: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    push_timeout: float = 40.0
    number_matching: bool = False
    fulfillment: Fulfillment = field(default_factory=Fulfillment)
    language_pack: LanguagePack | None = None
    warnings: list[str] = field(default_factory=list)  # configuration warnings, copied into each truth record
    problem: str | None = None  # a configuration fault that makes requests fail (server_error)


@dataclass
class ClientConf:
    """One OAuth client, ready for the hot path."""

    id: str
    name: str
    doc: Mapping[str, Any] = field(repr=False)
    ciba: bool
    auth_type: str
    secret: str | None = field(repr=False)  # never shown
    keyset: KeySet | None = field(repr=False)
    assertion_algs: tuple[str, ...]
    mode: str  # "poll" | "ping" | "push"
    notification_endpoint: str | None
    interval: int
    require_signed: bool
    request_algs: tuple[str, ...]
    user_code: bool
    policy: PolicyConf | None
    logo_url: str = ""


@dataclass
class UserConf:
    """A PingOne user as the phones see it."""

    id: str
    username: str
    persona: Persona | None
    locale: str | None
    paired: bool
    doc: Mapping[str, Any] = field(repr=False)


@dataclass
class Compiled:
    """One compiled configuration version."""

    version: int
    clients: dict[str, ClientConf]
    users: dict[str, UserConf]
    templates: dict[str, list[PromptTemplate]]
    default_language: str
    user_code_supported: bool
    push_enabled: bool


def _fields(doc: Mapping[str, Any]) -> dict[str, str]:
    conf = doc.get("configuration") or {}
    return {str(f.get("name")): str(f.get("value") or "") for f in conf.get("fields") or [] if isinstance(f, dict)}


def _table(doc: Mapping[str, Any], name: str) -> list[dict[str, str]]:
    conf = doc.get("configuration") or {}
    for t in conf.get("tables") or []:
        if isinstance(t, dict) and t.get("name") == name:
            return [{str(f.get("name")): str(f.get("value") or "") for f in r.get("fields") or []}
                    for r in t.get("rows") or [] if isinstance(r, dict)]
    return []


def _ref(value: Any) -> str | None:
    return value.get("id") if isinstance(value, dict) and value.get("id") else None


def _push_timeout(app_entry: Mapping[str, Any]) -> float:
    pt = app_entry.get("pushTimeout") or {}
    try:
        secs = float(pt.get("duration", 40)) * _UNIT_SECONDS.get(str(pt.get("timeUnit", "SECONDS")).upper(), 1)
    except (TypeError, ValueError):
        secs = 40.0
    return min(150.0, max(40.0, secs))


def _keyset(jwks_text: Any) -> KeySet | None:
    if not jwks_text:
        return None
    try:
        data = json.loads(jwks_text) if isinstance(jwks_text, str) else jwks_text
        return jose.key_set(data)
    except Exception:  # noqa: BLE001 - a broken JWKS makes JWT auth fail, not the server
        return None


def _policy(state: SimulatorState, pid: str) -> PolicyConf:
    doc = state.pf.request_policies.get(pid)
    if doc is None:
        return PolicyConf(id=pid, problem=f"CIBA request policy {pid!r} does not exist")
    pc = PolicyConf(id=pid)
    try:
        pc.lifetime = max(1, int(doc.get("transactionLifetime") or 120))
    except (TypeError, ValueError):
        pc.lifetime = 120
    pc.allow_unsigned_lht = bool(doc.get("allowUnsignedLoginHintToken"))
    pc.require_token_hint = bool(doc.get("requireTokenForIdentityHint"))
    for alt in doc.get("alternativeLoginHintTokenIssuers") or []:
        if isinstance(alt, dict) and alt.get("issuer"):
            ks = _keyset(alt.get("jwks"))
            if ks is not None:
                pc.alt_issuers[str(alt["issuer"])] = ks
    pcv_id = _ref(doc.get("userCodePcvRef"))
    if pcv_id:
        pcv = state.pf.pcvs.get(pcv_id)
        pc.user_codes = {r.get("Username", ""): r.get("Password", "") for r in _table(pcv or {}, "Users")}
    aid = _ref(doc.get("authenticatorRef"))
    plugin = state.pf.oob_plugins.get(aid or "")
    if plugin is None:
        pc.problem = f"CIBA authenticator {aid!r} of request policy {pid!r} does not exist"
        return pc
    f = _fields(plugin)
    pc.fulfillment = compile_fulfillment(doc, plugin)
    pc.language_pack, pack_warnings = load_language_pack(state.sim.language_packs_dir,
                                                         f.get("Messages Files") or "pingone-mfa-messages")
    pc.warnings = [*pc.fulfillment.warnings, *pack_warnings]
    pc.template_name = f.get("PingOne Template Name") or "transaction"
    pc.variant = f.get("PingOne Template Variant") or None
    pc.variables = {r.get("PingOne Template Variable Name", ""): r.get("PingOne Template Variable Value", "")
                    for r in _table(plugin, "PingOne Template Variables") if r.get("PingOne Template Variable Name")}
    mfa_id = f.get("MFA Policy for Authentication") or ""
    policies = state.p1.mfa_policies
    mfa = policies.get(mfa_id) or next((p for p in policies.values() if p.get("default")), None) \
        or next(iter(policies.values()), None)
    if mfa is not None:
        apps = [a for a in ((mfa.get("mobile") or {}).get("applications") or []) if isinstance(a, dict)]
        app_id = f.get("Application") or ""
        entry = next((a for a in apps if a.get("id") == app_id), apps[0] if apps else {})
        pc.push_timeout = _push_timeout(entry)
        nm = (entry.get("push") or {}).get("numberMatching")
        pc.number_matching = bool(nm.get("enabled") if isinstance(nm, dict) else nm)
    return pc


def language_packs_dir(setting: str) -> Path | None:
    """The directory ``settings.language_packs_dir`` names (None: no language packs).

    Raises:
        InputError: the directory does not exist.
    """
    if not setting:
        return None
    d = DEMO_LANGUAGE_PACKS if setting == "demo" else Path(setting).expanduser()
    if not d.is_dir():
        raise InputError("settings.language_packs_dir", f"not a directory: {d}",
                         'give PingFederate\'s language-packs folder, "demo" for the shipped pack, or "" for none')
    return d


_PACK_CACHE: dict[tuple[str, str], tuple[tuple[tuple[str, int], ...], LanguagePack]] = {}


def load_language_pack(setting: str, messages_files: str) -> tuple[LanguagePack, list[str]]:
    """The language pack for an authenticator's *Messages Files* value, and warnings.

    Never raises: a missing directory or bundle gives an empty pack and a warning (the phone must
    still show a prompt). Packs are cached until one of their files changes.
    """
    names = [n.strip() for n in messages_files.replace(";", ",").split(",") if n.strip()] or ["pingone-mfa-messages"]
    try:
        d = language_packs_dir(setting)
    except InputError as exc:
        return LanguagePack(name=names[-1]), [f"language packs: {exc.problem}"]
    if d is None:
        return LanguagePack(name=names[-1]), []
    packs: list[LanguagePack] = []
    warnings: list[str] = []
    for name in names:
        files = sorted(d.glob(f"{name}*.properties"))
        sig = tuple((f.name, f.stat().st_mtime_ns) for f in files)
        key = (str(d), name)
        cached = _PACK_CACHE.get(key)
        if cached is not None and cached[0] == sig:
            packs.append(cached[1])
            continue
        try:
            pack = LanguagePack.from_dir(d, name=name)
        except InputError:
            warnings.append(f"language packs: no {name}*.properties in {d} (Messages Files {name!r} skipped)")
            continue
        _PACK_CACHE[key] = (sig, pack)
        packs.append(pack)
    if not packs:
        return LanguagePack(name=names[-1]), warnings
    return (packs[0] if len(packs) == 1 else LanguagePack.merge(packs)), warnings


def compile_state(state: SimulatorState) -> Compiled:
    """Compile the current configuration (call with ``state.lock`` held)."""
    settings = state.sim
    default_pid = _ref((state.pf.ciba_settings or {}).get("defaultRequestPolicyRef"))
    policies: dict[str, PolicyConf] = {}
    clients: dict[str, ClientConf] = {}
    any_user_code = False
    for cid, doc in state.pf.clients.items():
        grants = [str(g).upper() for g in doc.get("grantTypes") or []]
        ciba = "CIBA" in grants and doc.get("enabled", True) is not False
        auth = doc.get("clientAuth") or {}
        auth_type = str(auth.get("type") or "NONE").upper()
        pid = _ref(doc.get("requestPolicyRef")) or default_pid
        policy = None
        if pid:
            policy = policies.get(pid) or policies.setdefault(pid, _policy(state, pid))
        mode = str(doc.get("cibaDeliveryMode") or "POLL").lower()
        if settings.push_enabled and str(doc.get(PUSH_EXTENSION_FIELD) or "").upper() == "PUSH":
            mode = "push"
        jwks = (doc.get("jwksSettings") or {}).get("jwks")
        alg = auth.get("tokenEndpointAuthSigningAlgorithm")
        if auth_type == "CLIENT_SECRET_JWT":
            assertion_algs = (alg,) if alg in jose.SYMMETRIC_ALGS else jose.SYMMETRIC_ALGS
        else:
            assertion_algs = (alg,) if alg in jose.ASYMMETRIC_ALGS else jose.ASYMMETRIC_ALGS
        ro_alg = doc.get("cibaRequestObjectSigningAlgorithm")
        try:
            interval = max(0, int(doc.get("cibaPollingInterval", 3) if doc.get("cibaPollingInterval") is not None else 3))
        except (TypeError, ValueError):
            interval = 3
        user_code = bool(doc.get("cibaUserCodeSupported")) and policy is not None and policy.user_codes is not None
        any_user_code = any_user_code or user_code
        clients[cid] = ClientConf(
            id=cid, name=str(doc.get("name") or cid), doc=doc, ciba=ciba, auth_type=auth_type,
            secret=state.pf.client_secrets.get(cid), keyset=_keyset(jwks), assertion_algs=assertion_algs,
            mode=mode, notification_endpoint=doc.get("cibaNotificationEndpoint") or None, interval=interval,
            require_signed=bool(doc.get("cibaRequireSignedRequests")),
            request_algs=(ro_alg,) if ro_alg in jose.ASYMMETRIC_ALGS else jose.ASYMMETRIC_ALGS,
            user_code=user_code, policy=policy, logo_url=str(doc.get("logoUrl") or ""))
    users: dict[str, UserConf] = {}
    for uid, doc in state.p1.users.items():
        name = doc.get("username")
        if not name or doc.get("enabled", True) is False:
            continue
        try:
            persona = persona_from_json(doc.get(PERSONA_FIELD))
        except Exception:  # noqa: BLE001 - a bad persona makes the user manual rather than break the server
            persona = None
        devices = [d for d in state.p1.devices.get(uid, []) if d.get("status", "ACTIVE") == "ACTIVE"]
        users[str(name)] = UserConf(id=uid, username=str(name), persona=persona,
                                    locale=doc.get("preferredLanguage") or doc.get("locale"),
                                    paired=bool(devices), doc=doc)
    templates: dict[str, list[PromptTemplate]] = {}
    for tname, contents in state.p1.template_contents.items():
        out = []
        for c in contents:
            if str(c.get("deliveryMethod", "Push")).lower() != "push":
                continue
            try:
                out.append(PromptTemplate.from_api(c, template_name=tname))
            except Exception:  # noqa: BLE001 - skip a content the model cannot load
                continue
        templates[tname] = out
    return Compiled(version=state.version, clients=clients, users=users, templates=templates,
                    default_language=state.p1.default_language or "en", user_code_supported=any_user_code,
                    push_enabled=settings.push_enabled)
