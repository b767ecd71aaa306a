"""The doctor: checks a CIBA setup (live, or from a profile) and says what to fix, and where.

Every check reports ``pass``, ``warn``, ``fail`` (or ``skip`` when its inputs are unavailable,
e.g. PingOne without credentials) with a fix that names the console place. Checks:

=======================  ===========================================================================
``discovery``            discovery advertises CIBA (endpoint, grant) and every checked client's mode
``client.grant``         the client has the CIBA grant type
``client.policy``        the client names an existing request policy, or a default one exists
``policy.authenticator`` the request policy references an existing authenticator
``client.user_code``     a user-code client points at a policy with a User Code PCV
``client.ping_endpoint`` a ping client has an https notification endpoint (loopback http allowed)
``client.signed``        signed-request settings agree between the client and discovery
``authenticator.pingone`` the authenticator's Application and MFA policy exist and allow push
``timing.push_timeout``  the MFA policy's push timeout against the request policy's lifetime
``prompt.template``      a PingOne push content exists for the authenticator's template / variant
``prompt.variables``     every template variable is built in or defined in the authenticator's table
``prompt.contract``      every contract attribute used is in the Extended Contract and fulfilled
``user.test``            the Test Username exists with a paired (ACTIVE MOBILE) device
``e2e.live``             a live CIBA request for the Test Username, through ciba_kit's client
=======================  ===========================================================================

The prompt checks use the prompts package's lint (:func:`ciba_kit.prompts.lint.lint_prompt`), so
the doctor and the previewer agree on the four places that must match.
"""

from __future__ import annotations

import dataclasses
import html
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import urlparse

import httpx

from ..prompts import PromptContext, PromptTemplate, ScopeInfo
from ..prompts.lint import lint_inputs_from_pingfederate, lint_prompt
from ..protocol.constants import CIBA_GRANT_TYPE
from ..protocol.discovery import discovery_url
from ..protocol.errors import CibaError, InputError
from ..protocol.masking import mask_text
from .api import (
    PingFederateAdmin,
    PingFederateApiError,
    PingOneApi,
    PingOneApiError,
    checked_verify,
    is_loopback,
)
from .models import CONSOLE, MFA_POLICY_FIELD_4X, AUTH_POLICY_FIELD_3X
from .profile import SetupProfile
from .target import resolve_target

__all__ = ["DoctorCheck", "DoctorReport", "SetupSnapshot", "doctor", "snapshot_from_profile", "snapshot_live"]

Json = dict[str, Any]
_STATUS_ORDER = {"fail": 0, "warn": 1, "pass": 2, "skip": 3}
_BUILTIN_VARS = ("locale", "requestedScope", "requestingApplicationId", "requestingApplicationName",
                 "requestingApplicationLogoUrl", "authUserBindingMessage")


@dataclass
class DoctorCheck:
    """One check: ``status`` is pass / warn / fail / skip; ``fix`` says what to change, and where."""

    id: str
    subject: str
    status: str
    detail: str
    fix: str = ""

    def to_dict(self) -> Json:
        """JSON-safe form."""
        return {"id": self.id, "subject": self.subject, "status": self.status, "detail": self.detail,
                "fix": self.fix}


@dataclass
class DoctorReport:
    """All checks of one doctor run; ``ok`` is True when nothing failed."""

    source: str
    checks: list[DoctorCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No failing check."""
        return not self.failures

    @property
    def failures(self) -> list[DoctorCheck]:
        """Checks that failed."""
        return [c for c in self.checks if c.status == "fail"]

    @property
    def warnings(self) -> list[DoctorCheck]:
        """Checks that warned."""
        return [c for c in self.checks if c.status == "warn"]

    def check(self, check_id: str, subject: str | None = None) -> DoctorCheck | None:
        """The first check with ``check_id`` (and ``subject``), or None."""
        return next((c for c in self.checks if c.id == check_id and (subject is None or c.subject == subject)), None)

    def counts(self) -> dict[str, int]:
        """Number of checks per status."""
        return {s: sum(1 for c in self.checks if c.status == s) for s in ("pass", "warn", "fail", "skip")}

    def summary(self) -> str:
        """One line: counts."""
        n = self.counts()
        return f"{n['pass']} pass, {n['warn']} warn, {n['fail']} fail" + (f", {n['skip']} skipped" if n["skip"] else "")

    def to_dict(self) -> Json:
        """JSON-safe form."""
        return {"source": self.source, "ok": self.ok, "counts": self.counts(),
                "checks": [c.to_dict() for c in self.checks]}

    def __str__(self) -> str:
        lines = [f"ciba_kit doctor ({self.source}): {self.summary()}"]
        for c in self.checks:
            lines.append(f"  {c.status.upper():4}  {c.id:<22} {c.subject}: {c.detail}")
            if c.fix and c.status in ("warn", "fail"):
                lines.append(f"        fix: {c.fix}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colors = {"pass": "#1a7f37", "warn": "#9a6700", "fail": "#cf222e", "skip": "#57606a"}
        rows = "".join(
            f"<tr><td style='color:{colors[c.status]};font-weight:bold'>{c.status}</td>"
            f"<td><code>{html.escape(c.id)}</code></td><td>{html.escape(c.subject)}</td>"
            f"<td>{html.escape(c.detail)}</td><td>{html.escape(c.fix) if c.status in ('warn', 'fail') else ''}</td></tr>"
            for c in self.checks)
        return (f"<div><b>ciba_kit doctor</b> ({html.escape(self.source)}): {html.escape(self.summary())}"
                "<table><tr><th>status</th><th>check</th><th>subject</th><th>detail</th><th>fix</th></tr>"
                f"{rows}</table></div>")


# --------------------------------------------------------------------------------------------------
# What the checks look at: documents in API shapes, from a live setup or from a profile


@dataclass
class SetupSnapshot:
    """A setup's documents in Admin API / PingOne shapes (``None``: that side was not readable)."""

    source: str
    authenticators: dict[str, Json] = field(default_factory=dict)
    request_policies: dict[str, Json] = field(default_factory=dict)
    settings: Json = field(default_factory=dict)
    clients: dict[str, Json] = field(default_factory=dict)
    applications: list[Json] | None = None
    mfa_policies: list[Json] | None = None
    sign_on_policies: list[Json] | None = None  # each with "actions"
    templates: dict[str, list[Json]] | None = None
    users: dict[str, tuple[Json, list[Json]]] | None = None  # username -> (user, devices)
    discovery: Json | None = None
    discovery_error: str | None = None
    pingone_error: str | None = None


def snapshot_from_profile(profile: SetupProfile) -> SetupSnapshot:
    """The documents a profile would create (PingOne ids stand in as ``<id of ...>`` placeholders)."""
    snap = SetupSnapshot(source=f"profile {profile.name!r}")
    if profile.authenticator is not None:
        snap.authenticators[profile.authenticator.id] = profile.authenticator.to_api()
    if profile.request_policy is not None:
        snap.request_policies[profile.request_policy.id] = profile.request_policy.to_api()
    if profile.settings is not None:
        snap.settings = profile.settings.to_api()
    for c in profile.clients:
        snap.clients[c.client_id] = c.to_api()
    snap.applications = _created(profile.application, "application")
    snap.mfa_policies = _created(profile.mfa_policy, "MFA policy")
    sops = []
    if profile.sign_on_policy is not None:
        doc = profile.sign_on_policy.to_api()
        doc["actions"] = [profile.sign_on_policy.action_to_api()]
        sops.append(doc)
    snap.sign_on_policies = sops
    snap.templates = {}
    for t in profile.templates:
        snap.templates.setdefault(t.template_name, []).append(t.to_api())
    # Users declared in a profile are assumed to exist with a device only when the setup creates them.
    snap.users = {u.username: ({"username": u.username},
                               [{"type": "MOBILE", "status": "ACTIVE"}] if u.paired and u.create else [])
                  for u in profile.users}
    return snap


def _created(model: Any, what: str) -> list[Json]:
    """The PingOne document ``model`` would create, its id a placeholder (PingOne assigns ids)."""
    if model is None:
        return []
    return [{**model.to_api(), "id": f"<id of {what} {model.name!r}>"}]


def snapshot_live(admin: PingFederateAdmin | None, pingone: PingOneApi | None, issuer: str | None,
                  *, verify: bool | str = True) -> SetupSnapshot:
    """Read the live documents (each side is optional)."""
    snap = SetupSnapshot(source="live")
    if admin is not None:
        snap.authenticators = {d["id"]: d for d in admin.items("/oauth/outOfBandAuthPlugins")}
        snap.request_policies = {d["id"]: d for d in admin.items("/oauth/cibaServerPolicy/requestPolicies")}
        snap.settings = admin.request("GET", "/oauth/cibaServerPolicy/settings") or {}
        snap.clients = {d["clientId"]: d for d in admin.items("/oauth/clients")}
    if pingone is not None:
        try:
            snap.applications = pingone.embedded("/applications", "applications")
            snap.mfa_policies = pingone.embedded("/deviceAuthenticationPolicies", "deviceAuthenticationPolicies")
            sops = pingone.embedded("/signOnPolicies", "signOnPolicies")
            for s in sops:
                s["actions"] = pingone.embedded(f"/signOnPolicies/{s['id']}/actions", "actions")
            snap.sign_on_policies = sops
            snap.templates = {}
            snap.users = {}
        except (PingOneApiError, CibaError) as exc:
            snap.pingone_error = str(exc).splitlines()[0]
            snap.applications = snap.mfa_policies = snap.sign_on_policies = None
    if issuer:
        try:
            resp = httpx.get(discovery_url(issuer), timeout=10.0, verify=verify)
            if resp.status_code != 200:
                snap.discovery_error = f"HTTP {resp.status_code} from the discovery document"
            else:
                snap.discovery = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            snap.discovery_error = f"cannot read the discovery document ({type(exc).__name__})"
    return snap


def _fields(doc: Mapping[str, Any]) -> dict[str, str]:
    return {str(f.get("name")): str(f.get("value") or "") for f in (doc.get("configuration") or {}).get("fields") or []}


def _ref(value: Any) -> str | None:
    return value.get("id") if isinstance(value, Mapping) and value.get("id") else None


# --------------------------------------------------------------------------------------------------
# The checks


class _Doctor:
    def __init__(self, snap: SetupSnapshot, *, profile: SetupProfile | None, pingone: PingOneApi | None,
                 client_ids: list[str] | None, explicit: bool) -> None:
        self.s = snap
        self.profile = profile
        self.p1 = pingone
        self.report = DoctorReport(source=snap.source)
        self.client_ids = client_ids if client_ids is not None else list(snap.clients)
        self.explicit = explicit  # clients named by a profile or the caller: a missing CIBA grant is a failure

    def add(self, cid: str, subject: str, status: str, detail: str, fix: str = "") -> None:
        self.report.checks.append(DoctorCheck(cid, subject, status, detail, fix))

    # -- helpers

    def policy_of(self, client: Json) -> tuple[str | None, str]:
        pid = _ref(client.get("requestPolicyRef"))
        if pid:
            return pid, "its requestPolicyRef"
        return _ref(self.s.settings.get("defaultRequestPolicyRef")), "the default request policy"

    def mfa_policy_for(self, plugin: Json) -> tuple[Json | None, str]:
        f = _fields(plugin)
        pols = self.s.mfa_policies or []
        names = f.get(AUTH_POLICY_FIELD_3X, "").split()
        if MFA_POLICY_FIELD_4X in f or not names:
            val = f.get(MFA_POLICY_FIELD_4X) or "Default"
            if val == "Default":
                pol = next((p for p in pols if p.get("default")), None) or (pols[0] if pols else None)
                return pol, "the environment's default MFA policy"
            pol = next((p for p in pols if p.get("id") == val), None)
            return pol, f"MFA policy {pol.get('name')!r}" if pol else f"MFA policy {val!r}"
        for sop in self.s.sign_on_policies or []:
            if sop.get("name") in names:
                for a in sop.get("actions") or []:
                    mid = _ref(a.get("deviceAuthenticationPolicy"))
                    pol = next((p for p in pols if p.get("id") == mid), None)
                    if pol is not None:
                        return pol, f"the MFA policy of sign-on policy {sop.get('name')!r}"
        return None, f"sign-on policy {' '.join(names)!r}"

    # -- checks

    def discovery(self) -> None:
        if self.s.discovery is None:
            if self.s.discovery_error:
                self.add("discovery", "issuer", "fail", self.s.discovery_error,
                         "check the issuer URL: PingFederate serves /.well-known/openid-configuration on the "
                         "runtime port (9031 by default)")
            else:
                self.add("discovery", "issuer", "skip", "no issuer given", "pass issuer=... (--issuer URL)")
            return
        d = self.s.discovery
        missing = []
        if not d.get("backchannel_authentication_endpoint"):
            missing.append("backchannel_authentication_endpoint")
        grants = d.get("grant_types_supported")
        if isinstance(grants, list) and CIBA_GRANT_TYPE not in grants:
            missing.append(f"{CIBA_GRANT_TYPE} in grant_types_supported")
        modes = [str(m).lower() for m in d.get("backchannel_token_delivery_modes_supported") or []]
        for cid in self.client_ids:
            c = self.s.clients.get(cid)
            if c and "CIBA" in (c.get("grantTypes") or []):
                mode = str(c.get("cibaDeliveryMode") or "POLL").lower()
                if mode not in modes:
                    missing.append(f"delivery mode {mode} (client {cid})")
        if missing:
            self.add("discovery", "issuer", "fail", "discovery lacks " + "; ".join(missing),
                     "enable CIBA in PingFederate (System > OAuth Settings > Authorization Server Settings) and "
                     "check the issuer is the PingFederate runtime")
        else:
            self.add("discovery", "issuer", "pass", "advertises CIBA with modes " + ", ".join(modes))

    def clients(self) -> None:
        if not self.client_ids:
            self.add("client.grant", "(none)", "warn", "no OAuth client to check",
                     "create a client with the CIBA grant: " + CONSOLE["client.grant_types"])
        for cid in self.client_ids:
            c = self.s.clients.get(cid)
            subject = f"client {cid}"
            if c is None:
                self.add("client.grant", subject, "fail", "the client does not exist",
                         "create it (ciba-kit setup apply) or fix the client id: PingFederate > Applications > "
                         "OAuth > Clients")
                continue
            if "CIBA" not in (c.get("grantTypes") or []):
                self.add("client.grant", subject, "fail" if self.explicit else "warn",
                         "no CIBA grant type: its requests get unauthorized_client",
                         "add CIBA to the allowed grant types: " + CONSOLE["client.grant_types"]
                         + " (Admin API grantTypes)")
                continue
            self.add("client.grant", subject, "pass", "has the CIBA grant type")
            self.client_policy(cid, c)
            self.ping_endpoint(cid, c)
            self.signed(cid, c)

    def client_policy(self, cid: str, c: Json) -> None:
        subject = f"client {cid}"
        pid, how = self.policy_of(c)
        if pid is None:
            self.add("client.policy", subject, "fail", "no request policy and no default request policy",
                     "set the client's CIBA Request Policy or a default: " + CONSOLE["settings.default_request_policy_id"])
            return
        pol = self.s.request_policies.get(pid)
        if pol is None:
            self.add("client.policy", subject, "fail", f"{how} {pid!r} does not exist",
                     "create the policy or point the client at an existing one: " + CONSOLE["client.request_policy_id"])
            return
        self.add("client.policy", subject, "pass", f"uses request policy {pid!r} ({how})")
        if c.get("cibaUserCodeSupported"):
            if _ref(pol.get("userCodePcvRef")):
                detail = f"user codes checked by PCV {_ref(pol.get('userCodePcvRef'))!r}"
                if self.s.discovery is not None and not self.s.discovery.get("backchannel_user_code_parameter_supported"):
                    self.add("client.user_code", subject, "warn", detail + ", but discovery says "
                             "backchannel_user_code_parameter_supported is false",
                             "clients that read discovery will not send user_code")
                else:
                    self.add("client.user_code", subject, "pass", detail)
            else:
                self.add("client.user_code", subject, "fail",
                         f"user-code support is on but request policy {pid!r} has no User Code PCV",
                         "select a User Code PCV: " + CONSOLE["request_policy.user_code_pcv_id"]
                         + ", or turn off " + CONSOLE["client.ciba_user_code_supported"])

    def ping_endpoint(self, cid: str, c: Json) -> None:
        if str(c.get("cibaDeliveryMode") or "POLL").upper() != "PING":
            return
        subject = f"client {cid}"
        url = c.get("cibaNotificationEndpoint")
        parsed = urlparse(url or "")
        fix = "set an https notification endpoint: " + CONSOLE["client.ciba_notification_endpoint"]
        if not url or not parsed.hostname:
            self.add("client.ping_endpoint", subject, "fail", "ping mode without a notification endpoint", fix)
        elif parsed.scheme == "https":
            self.add("client.ping_endpoint", subject, "pass", "https notification endpoint")
        elif parsed.scheme == "http" and is_loopback(url):
            self.add("client.ping_endpoint", subject, "pass", "loopback http endpoint (allowed for local work)")
        else:
            self.add("client.ping_endpoint", subject, "fail", f"{parsed.scheme} endpoint on {parsed.hostname}: "
                     "pings would travel unprotected", fix)

    def signed(self, cid: str, c: Json) -> None:
        subject = f"client {cid}"
        required = bool(c.get("cibaRequireSignedRequests"))
        alg = c.get("cibaRequestObjectSigningAlgorithm")
        jwks = c.get("jwksSettings") or {}
        if not required:
            self.add("client.signed", subject, "pass", "signed requests not required")
            return
        problems = []
        if not (jwks.get("jwks") or jwks.get("jwksUrl")):
            problems.append("no JWKS or JWKS URL to verify request objects")
        if self.s.discovery is not None:
            algs = self.s.discovery.get("backchannel_authentication_request_signing_alg_values_supported") or []
            if not algs:
                problems.append("discovery advertises no backchannel_authentication_request_signing_alg_values_supported")
            elif alg and alg not in algs:
                problems.append(f"client algorithm {alg} is not in discovery's {', '.join(algs)}")
        if problems:
            self.add("client.signed", subject, "fail", "; ".join(problems),
                     "align " + CONSOLE["client.ciba_request_object_signing_algorithm"] + " and "
                     + CONSOLE["client.jwks_settings"] + " with the provider's advertised algorithms")
        else:
            self.add("client.signed", subject, "pass", f"signed requests required ({alg or 'any advertised alg'})")

    def policies(self) -> list[tuple[str, Json, Json]]:
        """Check every request policy the checked clients use; return (policy id, policy, plugin)."""
        used: list[str] = []
        for cid in self.client_ids:
            c = self.s.clients.get(cid)
            if c and "CIBA" in (c.get("grantTypes") or []):
                pid, _ = self.policy_of(c)
                if pid and pid in self.s.request_policies and pid not in used:
                    used.append(pid)
        if not used and self.s.request_policies:
            used = list(self.s.request_policies)[:1]
        out = []
        for pid in used:
            pol = self.s.request_policies[pid]
            aid = _ref(pol.get("authenticatorRef"))
            plugin = self.s.authenticators.get(aid or "")
            if plugin is None:
                self.add("policy.authenticator", f"policy {pid}", "fail",
                         f"references authenticator {aid!r}, which does not exist",
                         "create the authenticator or pick an existing one: " + CONSOLE["request_policy.authenticator_id"])
                continue
            self.add("policy.authenticator", f"policy {pid}", "pass", f"uses authenticator {aid!r}")
            out.append((pid, pol, plugin))
        return out

    def pingone(self, pid: str, pol: Json, plugin: Json) -> None:
        aid = plugin.get("id", "")
        subject = f"authenticator {aid}"
        if self.s.mfa_policies is None:
            reason = self.s.pingone_error or "PingOne not readable (no worker credentials)"
            for cid in ("authenticator.pingone", "timing.push_timeout"):
                self.add(cid, subject, "skip", reason, "set pingone.worker_client_id / worker_secret_env")
            return
        f = _fields(plugin)
        app_id = f.get("Application", "")
        apps = {a.get("id"): a for a in self.s.applications or []}
        problems = []
        if not app_id:
            problems.append("Application is blank")
        elif app_id not in apps:
            problems.append(f"Application {app_id!r} does not exist in PingOne")
        elif apps[app_id].get("type") not in (None, "NATIVE_APP"):
            problems.append(f"Application {apps[app_id].get('name')!r} is {apps[app_id].get('type')}, not Native")
        mfa, how = self.mfa_policy_for(plugin)
        entry = None
        if mfa is None:
            problems.append(f"{how} does not exist")
        else:
            entries = (mfa.get("mobile") or {}).get("applications") or []
            entry = next((e for e in entries if e.get("id") == app_id), None)
            if entry is None:
                problems.append(f"{how} has no mobile application entry for the authenticator's Application")
            elif not (entry.get("push") or {}).get("enabled", True):
                problems.append(f"push is disabled for the application in {how}")
        if problems:
            self.add("authenticator.pingone", subject, "fail", "; ".join(problems),
                     "select the Native app in " + CONSOLE["authenticator.application"] + " and add it with push "
                     "enabled to the MFA policy: " + CONSOLE["mfa_policy.applications"])
        else:
            self.add("authenticator.pingone", subject, "pass", f"Application and {how} allow push")
        if entry is None and mfa is not None:
            entries = (mfa.get("mobile") or {}).get("applications") or []
            entry = entries[0] if entries else None
        if entry is None:
            self.add("timing.push_timeout", subject, "skip", "no MFA mobile application to read the push timeout from")
            return
        pt = entry.get("pushTimeout") or {}
        mult = {"SECONDS": 1, "MINUTES": 60}.get(str(pt.get("timeUnit", "SECONDS")).upper(), 1)
        push = int(pt.get("duration", 40)) * mult
        life = int(pol.get("transactionLifetime") or 120)
        if life > push:
            self.add("timing.push_timeout", f"policy {pid}", "warn",
                     f"transaction lifetime {life} s but push timeout {push} s: users can never approve after "
                     f"{push} s, although expires_in says {life} s",
                     f"lower {CONSOLE['request_policy.transaction_lifetime']} to {push} s, or raise "
                     f"{CONSOLE['mfa_policy.push_timeout']} to {min(150, life)} s")
        else:
            self.add("timing.push_timeout", f"policy {pid}", "pass",
                     f"push timeout {push} s covers the transaction lifetime {life} s")

    def prompt(self, pid: str, pol: Json, plugin: Json) -> None:
        aid = plugin.get("id", "")
        subject = f"authenticator {aid}"
        inputs = lint_inputs_from_pingfederate(plugin, pol)
        name, variant = inputs["template_name"], inputs["variant"]
        if self.s.templates is None:
            for cid in ("prompt.template", "prompt.variables", "prompt.contract"):
                self.add(cid, subject, "skip", self.s.pingone_error or "PingOne templates not readable")
            return
        if name not in self.s.templates and self.p1 is not None:
            try:
                self.s.templates[name] = self.p1.template_contents(name)
            except (PingOneApiError, CibaError):
                self.s.templates[name] = []
        contents = []
        for c in self.s.templates.get(name, []):
            if str(c.get("deliveryMethod", "Push")).lower() == "push":
                try:
                    contents.append(PromptTemplate.from_api(c, template_name=name))
                except InputError:
                    continue
        matching = [c for c in contents if (c.variant or "").lower() == (variant or "").lower()]
        label = f"template {name!r}" + (f" variant {variant!r}" if variant else "")
        if not contents:
            self.add("prompt.template", subject, "fail", f"no push content for {label}",
                     "add push content: " + CONSOLE["template"] + " (or fix "
                     + CONSOLE["authenticator.template_name"] + ")")
            return
        if variant and not matching:
            self.add("prompt.template", subject, "warn", f"no content for {label}; PingOne falls back to the "
                     "template's default content", "add the variant's content or fix "
                     + CONSOLE["authenticator.template_variant"])
        else:
            self.add("prompt.template", subject, "pass",
                     f"{label}: {', '.join(sorted(c.locale for c in matching or contents))}")
        ctx = PromptContext(client_id="doctor", client_name="ciba_kit doctor", binding_message="DOCTOR",
                            scopes=[ScopeInfo("openid", "OpenID")])
        try:
            findings = lint_prompt(contents, ctx, template_name=name, variant=variant,
                                   variables=inputs["variables"], extended_contract=inputs["extended_contract"],
                                   fulfilled_attributes=inputs.get("fulfilled_attributes"))
        except (CibaError, LookupError) as exc:
            self.add("prompt.variables", subject, "fail", f"the prompt does not render: {exc}",
                     "fix the template content: " + CONSOLE["template"])
            return
        var_rules = {"unknown-placeholder", "invalid-variable-name", "velocity-syntax", "velocity-execution",
                     "velocity-forbidden"}
        con_rules = {"contract-not-in-extended-contract", "contract-not-fulfilled"}
        var_errs = [f for f in findings if f.rule in var_rules and f.severity == "error"]
        con_errs = [f for f in findings if f.rule in con_rules and f.severity == "error"]
        if var_errs:
            self.add("prompt.variables", subject, "fail", "; ".join(f"{f.place}: {f.message}" for f in var_errs),
                     "; ".join(dict.fromkeys(f.fix for f in var_errs if f.fix)) + " ("
                     + CONSOLE["authenticator.variables"] + ")")
        else:
            used = sorted(inputs["variables"])
            self.add("prompt.variables", subject, "pass", "every ${variable} is built in"
                     + (f" or in the table ({', '.join(used)})" if used else ""))
        # Extended-contract attributes the request policy does not fulfil fail in PingFederate too.
        ext = sorted(set(inputs["extended_contract"]) - {"subject"})
        fulfilled = inputs.get("fulfilled_attributes") or set()
        unfulfilled = [a for a in ext if a not in fulfilled]
        if con_errs or unfulfilled:
            parts = [f"{f.place}: {f.message}" for f in con_errs]
            if unfulfilled:
                parts.append(f"Extended Contract attribute(s) {', '.join(unfulfilled)} not fulfilled by policy {pid!r}")
            self.add("prompt.contract", subject, "fail", "; ".join(parts),
                     "declare each attribute in " + CONSOLE["authenticator.extended_attributes"] + " and supply it in "
                     + CONSOLE["request_policy.fulfillment"])
        else:
            self.add("prompt.contract", subject, "pass", "contract attributes declared and fulfilled"
                     + (f" ({', '.join(ext)})" if ext else ""))

    def test_user(self, plugin: Json) -> str | None:
        aid = plugin.get("id", "")
        user = _fields(plugin).get("Test Username", "")
        subject = f"authenticator {aid}"
        if not user:
            self.add("user.test", subject, "warn", "Test Username is blank", "set "
                     + CONSOLE["authenticator.test_username"] + " to a user with a paired device")
            return None
        if self.s.users is None:
            self.add("user.test", f"user {user}", "skip", self.s.pingone_error or "PingOne users not readable")
            return user
        if user not in self.s.users and self.p1 is None:
            self.add("user.test", f"user {user}", "skip", "not declared in the profile's [[users]]",
                     "checked against a live PingOne only")
            return user
        if user not in self.s.users and self.p1 is not None:
            try:
                doc = self.p1.find_user(user)
                self.s.users[user] = (doc, self.p1.devices(doc["id"])) if doc else ({}, [])
            except (PingOneApiError, CibaError) as exc:
                self.add("user.test", f"user {user}", "skip", str(exc).splitlines()[0])
                return user
        doc, devices = self.s.users.get(user, ({}, []))
        if not doc:
            self.add("user.test", f"user {user}", "fail", "the Test Username does not exist in PingOne",
                     "create the user in PingOne (Directory > Users) or fix " + CONSOLE["authenticator.test_username"])
        elif not any(d.get("type") == "MOBILE" and d.get("status", "ACTIVE") == "ACTIVE" for d in devices):
            self.add("user.test", f"user {user}", "fail", "the user has no paired (ACTIVE) mobile device",
                     "pair the PingOne MFA mobile app (built on the PingOne Mobile SDK) for this user")
        else:
            self.add("user.test", f"user {user}", "pass", "exists with a paired mobile device")
        return user


@dataclass
class _LivePlan:
    """How the doctor calls one client in its registered configuration (or why it cannot)."""

    cid: str
    skip: str = ""
    fix: str = ""
    auth: Any = None
    opts: dict[str, Any] = field(default_factory=dict)
    endpoint: str | None = None  # ping: where the doctor's receiver listens
    secrets: list[str] = field(default_factory=list)


def _registered_demo_key(client: Json) -> Any:
    """The demo-only private key when the client registered its public half (the demo clients do)."""
    from ..protocol import jose  # the demo key ships with the package, labelled demo-only

    text = (client.get("jwksSettings") or {}).get("jwks")
    if not text:
        return None
    try:
        keys = (json.loads(text) if isinstance(text, str) else text).get("keys") or []
    except (ValueError, AttributeError):
        return None
    demo = jose.demo_client_key()
    pub = jose.public_jwk(demo)
    same = [f for f in ("kty", "crv", "x", "y", "n", "e") if f in pub]
    return demo if any(all(k.get(f) == pub.get(f) for f in same) for k in keys if isinstance(k, Mapping)) else None


@dataclass
class _Live:
    """What every live request of one doctor run shares."""

    issuer: str
    username: str
    secrets: Mapping[str, str]
    keys: Mapping[str, Any]
    clock: Any = None
    timeout: float = 30.0
    verify: bool | str = True


def _live_plan(cid: str, c: Json, live: _Live) -> _LivePlan:
    """The auth, delivery mode and request signing the client is registered with, as client options."""
    from ..client import ClientSecretBasic, ClientSecretJwt, PrivateKeyJwt

    plan = _LivePlan(cid)
    auth_doc = c.get("clientAuth") or {}
    auth_type = str(auth_doc.get("type", "SECRET"))
    secrets, key = live.secrets, live.keys.get(cid)
    if key is None and (auth_type == "PRIVATE_KEY_JWT" or c.get("cibaRequireSignedRequests")):
        key = _registered_demo_key(c)
    try:
        if auth_type in ("SECRET", "CLIENT_SECRET_JWT"):
            if cid not in secrets:
                plan.skip, plan.fix = "no client secret given", f"pass client_secrets={{{cid!r}: ...}}"
                return plan
            secret = secrets[cid]
            plan.secrets.append(secret)
            plan.auth = ClientSecretBasic(secret) if auth_type == "SECRET" else ClientSecretJwt(secret)
        elif auth_type == "PRIVATE_KEY_JWT":
            if key is None:
                plan.skip, plan.fix = "private_key_jwt needs the client's private key", \
                    f"pass client_keys={{{cid!r}: <private JWK or PEM>}}"
                return plan
            plan.auth = PrivateKeyJwt(key, alg=auth_doc.get("tokenEndpointAuthSigningAlgorithm") or None)
        else:
            plan.skip = f"client authentication {auth_type} is not tried by the doctor"
            plan.fix = f"try it with `ciba-kit request --client-id {cid} ...`"
            return plan
        if c.get("cibaRequireSignedRequests"):
            if key is None:
                plan.skip, plan.fix = "signed requests need the client's private key", \
                    f"pass client_keys={{{cid!r}: <private JWK or PEM>}}"
                return plan
            plan.opts.update(sign_requests=True, request_signing_key=key,
                             request_signing_alg=c.get("cibaRequestObjectSigningAlgorithm") or None)
    except InputError as exc:  # an unusable key the caller gave
        plan.skip, plan.fix = f"{exc.field}: {exc.problem}", exc.fix
        return plan
    if str(c.get("cibaDeliveryMode") or "POLL") == "PING":
        url = c.get("cibaNotificationEndpoint") or ""
        # The doctor can receive the ping only where it runs, and its receiver speaks plain http.
        if not (is_loopback(url) and urlparse(url).scheme == "http" and urlparse(url).port):
            plan.skip = f"ping notification endpoint {url or '(none)'} is not a plain-http loopback URL: " \
                        "the doctor cannot receive the ping"
            plan.fix = ("run `ciba-kit request --client-id " + cid + " --mode ping --notification-endpoint URL` "
                        "on the host the endpoint points at")
            return plan
        if not is_loopback(live.issuer):
            # A remote provider's loopback is its own machine: its pings would never reach the doctor.
            plan.skip = f"ping notification endpoint {url} is loopback but the provider is not on this machine"
            plan.fix = "set " + CONSOLE["client.ciba_notification_endpoint"] + " to an https URL the provider can reach"
            return plan
        plan.endpoint = url
        plan.opts["mode"] = "ping"
    return plan


def _live_test(d: _Doctor, live: _Live, test_clients: list[str]) -> None:
    if test_clients:
        for cid in test_clients:
            c = d.s.clients.get(cid)
            if c is None:
                d.add("e2e.live", f"client {cid}", "fail", "no such client", "fix test_client= or create the client")
            else:
                _live_request(d, _live_plan(cid, c, live), live)
        return
    # The first checked client the doctor can call as registered; one live request, because against
    # a real deployment each request is a push to the Test Username's phone.
    skipped: list[_LivePlan] = []
    for want_grant in (True, False):
        # Prefer a client with the CIBA grant; else try a named one anyway, to show what it is told.
        for cid in d.client_ids:
            c = d.s.clients.get(cid)
            has_grant = bool(c) and "CIBA" in (c.get("grantTypes") or [])
            if not c or has_grant != want_grant or (not has_grant and not d.explicit):
                continue
            plan = _live_plan(cid, c, live)
            if not plan.skip:
                _live_request(d, plan, live)
                return
            skipped.append(plan)
    why = "; ".join(f"{p.cid}: {p.skip}" for p in skipped[:3]) + ("; ..." if len(skipped) > 3 else "")
    d.add("e2e.live", "live request", "skip", "no client the doctor can call" + (f" ({why})" if why else ""),
          skipped[0].fix if skipped else "check a client with the CIBA grant")


def _live_request(d: _Doctor, plan: _LivePlan, live: _Live) -> None:
    from ..client import NotificationReceiver, SyncCibaClient

    subject = f"client {plan.cid}"
    if plan.skip:
        d.add("e2e.live", subject, "skip", plan.skip, plan.fix)
        return
    username = live.username
    opts: dict[str, Any] = {"allow_insecure_http": is_loopback(live.issuer), **plan.opts}
    if live.clock is not None:
        opts["clock"] = live.clock
    if live.verify is not True:
        opts["verify"] = live.verify
    receiver = None
    try:
        if plan.endpoint:
            try:
                receiver = NotificationReceiver.start(plan.endpoint)
            except InputError as exc:
                d.add("e2e.live", subject, "skip", f"cannot receive pings at {plan.endpoint}: {exc.problem}",
                      "stop what listens there, or point " + CONSOLE["client.ciba_notification_endpoint"]
                      + " at a free loopback port")
                return
            opts["receiver"] = receiver
        with SyncCibaClient.discover(live.issuer, plan.cid, auth=plan.auth, **opts) as client:
            flow = client.authenticate(login_hint=username, binding_message="DOCTOR", scope="openid",
                                       timeout=live.timeout)
    except CibaError as exc:
        d.add("e2e.live", subject, "fail", mask_text(str(exc).splitlines()[0], plan.secrets),
              getattr(exc, "hint", "") or "see the checks above")
        return
    finally:
        if receiver is not None:
            receiver.stop()
    how = _describe(plan)
    outcome = str(getattr(flow.outcome, "value", flow.outcome))
    if outcome == "approved":
        d.add("e2e.live", subject, "pass", f"user {username} approved ({how}); tokens issued and validated")
    elif outcome == "expired" and receiver is not None and not receiver.counts["accepted"]:
        d.add("e2e.live", subject, "warn", f"the request to user {username} ended expired and no ping "
              f"notification arrived at {plan.endpoint} ({how})",
              "approve the push on the test user's phone in time; if it was approved, the provider cannot "
              "reach " + CONSOLE["client.ciba_notification_endpoint"])
    elif outcome in ("denied", "expired"):
        d.add("e2e.live", subject, "warn", f"the request reached user {username} but ended {outcome}"
              + (f" ({flow.error})" if flow.error else ""), "approve the push on the test user's phone in time")
    else:
        exc = getattr(flow, "exception", None)
        hint = getattr(exc, "hint", "") if exc is not None else ""
        d.add("e2e.live", subject, "fail",
              mask_text(f"{flow.error}: {flow.error_description or ''}".strip(), plan.secrets),
              hint or "see the checks above")


def _describe(plan: _LivePlan) -> str:
    parts = [plan.auth.method.value, plan.opts.get("mode", "poll")]
    if plan.opts.get("sign_requests"):
        parts.append("signed request")
    return ", ".join(parts)


def doctor(profile: SetupProfile | None = None, *, issuer: str | None = None, target: Any = None,
           admin: PingFederateAdmin | None = None, pingone: PingOneApi | None = None,
           client_ids: Iterable[str] | None = None, client_secrets: Mapping[str, str] | None = None,
           client_keys: Mapping[str, Any] | None = None, test_client: str | Sequence[str] | None = None,
           live_test: bool = True, clock: Any = None, timeout: float = 30.0,
           verify: bool | str | None = None) -> DoctorReport:
    """Check a CIBA setup and report each check as pass / warn / fail with the fix.

    Args:
        profile: a setup profile. Alone (no issuer/target/admin), the doctor checks the profile's
            documents offline; with a live target it names the clients to check and supplies
            their secrets for the live test.
        issuer: the PingFederate runtime issuer (discovery and the live test). A loopback issuer is
            taken to be a ciba_kit simulator, whose Admin API and PingOne stand-in are then read too.
        target: a setup target as for :func:`~ciba_kit.setup.plan_setup` (URL or Simulator).
        admin: an explicit PingFederate Admin API client.
        pingone: an explicit PingOne client.
        client_ids: the clients to check (default: the profile's, else every client).
        client_secrets: client id -> secret for the live test (the profile's secrets are used too).
        client_keys: client id -> private key (JWK, PEM or a path) for ``private_key_jwt`` clients and
            signed requests. A client whose registered JWKS holds the demo key's public half (the
            simulator's ``demo-jwt`` / ``demo-signed``, a profile's ``demo_key = true``) uses the
            demo-only key without one.
        test_client: the client(s) for the live test, each tried in its registered configuration
            (default: the first checked client the doctor can call: its secret or key is known and,
            for ping, its notification endpoint is a loopback http URL the doctor can listen at).
        live_test: run the live end-to-end request (one request per test client: against a real
            deployment each one is a push to the Test Username's phone).
        clock: the clock shared with a simulator on a ScaledClock.
        timeout: seconds (on ``clock``) the live test waits for a decision.
        verify: TLS verification of the runtime (discovery and the live test): True, False or a CA
            bundle path (default: the profile's ``pingfederate.ca_bundle`` / ``verify_tls``).
    """
    explicit = client_ids is not None or profile is not None
    if verify is None:
        pf = profile.pingfederate if profile is not None else None
        verify = (pf.ca_bundle or pf.verify_tls) if pf is not None else True
    ids = list(client_ids) if client_ids is not None else (
        [c.client_id for c in profile.clients] if profile is not None else None)
    secrets = dict(client_secrets or {})
    if profile is not None:
        for c in profile.clients:
            if c.client_auth is not None and c.client_auth.secret is not None:
                secrets.setdefault(c.client_id, c.client_auth.secret.reveal())
    live = issuer is not None or target is not None or admin is not None or pingone is not None
    if not live:
        if profile is None:
            raise InputError("profile", "nothing to check", "pass a profile, an issuer or a target")
        snap = snapshot_from_profile(profile)
        d = _Doctor(snap, profile=profile, pingone=None, client_ids=ids, explicit=explicit)
        _run_checks(d)
        d.add("e2e.live", "live request", "skip", "checked from the profile only", "pass issuer=... for a live test")
        return d.report
    verify = checked_verify(verify)  # a bad CA bundle path is bad input, not an OSError later
    if target is None and issuer is not None and is_loopback(issuer) and admin is None:
        target = issuer
    t = None
    if target is not None or profile is not None or admin is not None or pingone is not None:
        try:
            t = resolve_target(profile, target, admin=admin, pingone=pingone, issuer=issuer)
        except InputError as exc:
            if not exc.field.startswith("pingone.") or profile is None:
                raise
            # No PingOne credentials: check PingFederate alone; the PingOne checks report "skip".
            bare = dataclasses.replace(profile, pingone=dataclasses.replace(
                profile.pingone, worker_client_id=None, api_base=None, auth_base=None))
            t = resolve_target(bare, target, admin=admin, pingone=pingone, issuer=issuer)
    try:
        adm = t.admin if t else None
        p1 = t.pingone if t else None
        iss = issuer or (t.issuer if t else None)
        try:
            snap = snapshot_live(adm, p1, iss, verify=verify)
        except PingFederateApiError as exc:
            report = DoctorReport(source="live")
            report.checks.append(DoctorCheck("admin_api", "PingFederate Admin API", "fail",
                                             str(exc).splitlines()[0], "check the admin URL and credentials"))
            return report
        snap.source = "live" + (f" ({t.label})" if t and t.label == "embedded simulator" else "")
        d = _Doctor(snap, profile=profile, pingone=p1, client_ids=ids, explicit=explicit)
        user = _run_checks(d)
        if live_test:
            if not iss or not user:
                d.add("e2e.live", "live request", "skip", "no issuer" if not iss else "no Test Username",
                      "give issuer=... and set " + CONSOLE["authenticator.test_username"])
            else:
                tests = [test_client] if isinstance(test_client, str) else list(test_client or [])
                _live_test(d, _Live(iss, user, secrets, dict(client_keys or {}), clock, timeout, verify), tests)
        return d.report
    finally:
        if t is not None and admin is None and pingone is None:
            t.close()


def _run_checks(d: _Doctor) -> str | None:
    d.discovery()
    d.clients()
    user = None
    for pid, pol, plugin in d.policies():
        d.pingone(pid, pol, plugin)
        d.prompt(pid, pol, plugin)
        user = d.test_user(plugin) or user
    return user
