"""plan / apply / verify: the difference between a profile and what is live, applied in dependency order.

Order: PingOne (native application, MFA policy, sign-on policy + MFA action for IK 3.x, push
template contents, test users), then PingFederate (authenticator, request policy, default
request policy setting, clients) — every resource exists before something references it.

Comparison is *subset* comparison: only what the profile states is compared, read-only members
(``lastModified``, ``createdAt``, ``encryptedSecret``...) are ignored, and an update PUTs the live
document with the profile's values laid over it, so settings the profile does not manage survive
(PingFederate's PUT replaces the whole resource). A second apply therefore plans no changes.

Client secrets are write-only in PingFederate: a secret is sent when a client is created (or
with ``rotate_secrets=True``); otherwise the stored secret is kept by sending back its
``encryptedSecret``. The dry run lists the exact calls with ``secret`` masked.
"""

from __future__ import annotations

import copy
import html
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..prompts import PromptTemplate
from ..protocol.errors import CibaError
from ..protocol.masking import MASK
from .api import PingFederateAdmin, PingFederateApiError, PingOneApi, PingOneApiError
from .models import CONSOLE, CibaAuthenticator, OAuthClient
from .profile import SetupProfile
from .target import SetupTarget, resolve_target

__all__ = ["PlannedCall", "PlannedChange", "SetupPlan", "SetupApplyError", "plan_setup", "apply_setup",
           "verify_setup"]

Json = dict[str, Any]

#: Members the product sets itself; never compared.
READ_ONLY = frozenset({"lastModified", "createdAt", "updatedAt", "environment", "_links", "encryptedSecret",
                       "secret", "signOnPolicy", "template"})


@dataclass
class PlannedCall:
    """One HTTP call of a plan: method, API, path and body (secrets masked)."""

    method: str
    api: str  # "pingfederate" | "pingone"
    path: str
    body: Any = None

    def __str__(self) -> str:
        prefix = "/pf-admin-api/v1" if self.api == "pingfederate" else "/v1"
        return f"{self.method} {prefix}{self.path}"

    def to_dict(self) -> Json:
        """JSON-safe form (body masked)."""
        return {"method": self.method, "api": self.api, "path": self.path, "body": self.body}


@dataclass
class PlannedChange:
    """What happens to one resource: ``create``, ``update`` or ``unchanged``, and why."""

    step: str
    resource: str
    action: str
    differences: list[str] = field(default_factory=list)
    calls: list[PlannedCall] = field(default_factory=list)
    done: bool = False

    def to_dict(self) -> Json:
        """JSON-safe form."""
        return {"step": self.step, "resource": self.resource, "action": self.action,
                "differences": list(self.differences), "calls": [c.to_dict() for c in self.calls],
                "done": self.done}


@dataclass
class SetupPlan:
    """The result of plan / apply / verify."""

    mode: str  # "plan" | "apply" | "verify"
    target: str
    changes: list[PlannedChange] = field(default_factory=list)

    @property
    def pending(self) -> list[PlannedChange]:
        """Changes that are not ``unchanged``."""
        return [c for c in self.changes if c.action != "unchanged"]

    @property
    def in_sync(self) -> bool:
        """True when live already matches the profile (nothing to create or update)."""
        return not self.pending

    @property
    def calls(self) -> list[PlannedCall]:
        """Every write call, in order."""
        return [call for c in self.changes for call in c.calls]

    def to_dict(self) -> Json:
        """JSON-safe form (secrets masked)."""
        return {"mode": self.mode, "target": self.target, "in_sync": self.in_sync,
                "changes": [c.to_dict() for c in self.changes]}

    def summary(self) -> str:
        """One line: counts by action."""
        counts = {a: sum(1 for c in self.changes if c.action == a) for a in ("create", "update", "unchanged")}
        verb = {"plan": "to", "apply": "applied:", "verify": "drift:"}[self.mode]
        if self.mode == "verify":
            return "in sync" if self.in_sync else f"drift: {counts['create']} missing, {counts['update']} different"
        return f"{verb} create {counts['create']}, update {counts['update']}, unchanged {counts['unchanged']}"

    def format(self, *, bodies: bool = False) -> str:
        """Readable text; with ``bodies`` each call's JSON body too (secrets masked)."""
        lines = [f"setup {self.mode} ({self.target}): {self.summary()}"]
        for c in self.changes:
            mark = {"create": "+", "update": "~", "unchanged": "="}[c.action]
            lines.append(f"  {mark} {c.step}: {c.resource} ({c.action})")
            for d in c.differences:
                lines.append(f"      {d}")
            for call in c.calls:
                lines.append(f"      {call}")
                if bodies and call.body is not None:
                    text = json.dumps(call.body, indent=2, sort_keys=True)
                    lines += [f"        {line}" for line in text.splitlines()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = []
        for c in self.changes:
            color = {"create": "#1a7f37", "update": "#9a6700", "unchanged": "#57606a"}[c.action]
            detail = "<br>".join(html.escape(d) for d in c.differences)
            calls = "<br>".join(f"<code>{html.escape(str(x))}</code>" for x in c.calls)
            rows.append(f"<tr><td>{html.escape(c.step)}</td><td>{html.escape(c.resource)}</td>"
                        f"<td style='color:{color};font-weight:bold'>{c.action}</td><td>{detail}</td>"
                        f"<td>{calls}</td></tr>")
        return (f"<div><b>setup {self.mode}</b> ({html.escape(self.target)}): {html.escape(self.summary())}"
                "<table><tr><th>step</th><th>resource</th><th>action</th><th>differences</th><th>calls</th></tr>"
                + "".join(rows) + "</table></div>")


class SetupApplyError(CibaError):
    """A write failed during apply; ``cause`` is the API error, ``plan`` what was done before it."""

    def __init__(self, change: PlannedChange, cause: Exception, plan: SetupPlan) -> None:
        self.change, self.cause, self.plan = change, cause, plan
        lines = [f"apply stopped at {change.step} {change.resource}: {cause}"]
        hints = _console_hints(change.step, cause)
        lines += [f"  where: {h}" for h in hints]
        done = [c for c in plan.changes if c.done]
        if done:
            lines.append(f"  already applied: {', '.join(c.resource for c in done)}")
        super().__init__("\n".join(lines))


_STEP_KIND = {"PingOne application": "application", "PingOne MFA policy": "mfa_policy",
              "PingOne sign-on policy": "sign_on_policy", "CIBA authenticator": "authenticator",
              "CIBA request policy": "request_policy", "CIBA settings": "settings", "OAuth client": "client"}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _console_hints(step: str, cause: Exception) -> list[str]:
    kind = _STEP_KIND.get(step)
    if kind is None:
        return []
    paths: list[str] = []
    if isinstance(cause, PingFederateApiError):
        paths = [e.field_path for e in cause.validation_errors]
    elif isinstance(cause, PingOneApiError):
        paths = [str(d.get("target", "")) for d in cause.details]
    out = []
    for p in paths:
        head = re.sub(r"\[\d+\]", "", p).split(".")
        key = f"{kind}.{_snake(head[-1] if head[0] in ('clientAuth', 'mobile') else head[0])}"
        if head[0] == "clientAuth":
            key = f"client.client_auth.{_snake(head[-1])}"
        if p.startswith("configuration"):
            key = "authenticator.variables" if "tables" in p else "authenticator.environment"
        if p.startswith("identityHintMapping"):
            key = "request_policy.fulfillment"
        if key.endswith("_ref"):
            key = key[:-4] + "_id"
        if head[0] in ("authenticatorRef", "userCodePcvRef", "requestPolicyRef", "defaultRequestPolicyRef"):
            key = {"authenticatorRef": "request_policy.authenticator_id",
                   "userCodePcvRef": "request_policy.user_code_pcv_id",
                   "requestPolicyRef": "client.request_policy_id",
                   "defaultRequestPolicyRef": "settings.default_request_policy_id"}[head[0]]
        if "pushTimeout" in p:
            key = "mfa_policy.push_timeout"
        elif "pushLimit" in p:
            key = "mfa_policy.push_limit"
        if key in CONSOLE and CONSOLE[key] not in out:
            out.append(CONSOLE[key])
    return out


# --------------------------------------------------------------------------------------------------
# JSON comparison and merging


def _key_of(item: Any) -> str | None:
    if isinstance(item, Mapping):
        for k in ("name", "id"):
            if isinstance(item.get(k), str):
                return f"{k}={item[k]}"
    return None


def _differences(desired: Any, live: Any, path: str = "") -> list[str]:
    """What in ``desired`` differs from ``live`` (subset comparison, read-only members ignored)."""
    if isinstance(desired, Mapping):
        if not isinstance(live, Mapping):
            return [f"{path or '(document)'}: {_short(live)} -> {_short(desired)}"]
        out: list[str] = []
        for k, v in desired.items():
            if k in READ_ONLY:
                continue
            sub = f"{path}.{k}" if path else k
            if k not in live:
                if v in (None, [], {}, False, ""):
                    continue  # absent and empty mean the same to the products
                out.append(f"{sub}: (absent) -> {_short(v)}")
            else:
                out += _differences(v, live[k], sub)
        return out
    if isinstance(desired, list):
        if not isinstance(live, list):
            return [f"{path}: {_short(live)} -> {_short(desired)}"]
        keys = [_key_of(d) for d in desired]
        if desired and all(keys) and len(set(keys)) == len(keys):
            live_by = {_key_of(x): x for x in live}
            out = []
            for k, d in zip(keys, desired):
                if k not in live_by:
                    out.append(f"{path}[{k}]: (absent) -> {_short(d)}")
                else:
                    out += _differences(d, live_by[k], f"{path}[{k}]")
            extra = [k for k in live_by if k not in keys]
            if extra and not path.endswith("configuration.fields"):
                out.append(f"{path}: remove {', '.join(str(e) for e in extra)}")
            return out
        if len(desired) != len(live):
            return [f"{path}: {_short(live)} -> {_short(desired)}"]
        out = []
        for i, (d, x) in enumerate(zip(desired, live)):
            out += _differences(d, x, f"{path}[{i}]")
        return out
    if desired != live:
        return [f"{path}: {_short(live)} -> {_short(desired)}"]
    return []


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 70 else text[:67] + "..."


def _merge(live: Any, desired: Any, path: str = "") -> Any:
    """``live`` with ``desired`` laid over it (lists of named/id'd items merged item by item)."""
    if isinstance(desired, Mapping) and isinstance(live, Mapping):
        out = copy.deepcopy(dict(live))
        for k, v in desired.items():
            out[k] = _merge(live.get(k), v, f"{path}.{k}") if k in live else copy.deepcopy(v)
        return out
    if isinstance(desired, list) and isinstance(live, list):
        keys = [_key_of(d) for d in desired]
        if desired and all(keys):
            live_by = {_key_of(x): x for x in live}
            merged = [_merge(live_by[k], d, path) if k in live_by else copy.deepcopy(d) for k, d in zip(keys, desired)]
            if path.endswith("configuration.fields"):
                # Fields the profile does not mention (another IK version's) are kept.
                merged += [copy.deepcopy(x) for x in live if _key_of(x) not in keys]
            return merged
        return copy.deepcopy(desired)
    return copy.deepcopy(desired)


def _mask(body: Any) -> Any:
    if isinstance(body, Mapping):
        return {k: (MASK if k == "secret" and v else _mask(v)) for k, v in body.items()}
    if isinstance(body, list):
        return [_mask(v) for v in body]
    return body


# --------------------------------------------------------------------------------------------------
# The reconciler


class _Reconciler:
    def __init__(self, profile: SetupProfile, target: SetupTarget, mode: str, rotate_secrets: bool) -> None:
        self.p = profile
        self.t = target
        self.dry = mode != "apply"
        self.rotate = rotate_secrets
        self.plan = SetupPlan(mode=mode, target=target.label)
        self.app_id: str | None = None
        self.mfa_id: str | None = None

    # -- plumbing

    def _write(self, change: PlannedChange, api: str, method: str, path: str, body: Any,
               real_body: Any = None) -> Any:
        change.calls.append(PlannedCall(method, api, path, _mask(body)))
        if self.dry:
            return None
        client: PingFederateAdmin | PingOneApi | None = self.t.admin if api == "pingfederate" else self.t.pingone
        assert client is not None
        call_path = path
        if api == "pingone" and isinstance(client, PingOneApi):
            call_path = path.removeprefix(f"/environments/{client.environment_id}")
        try:
            return client.request(method, call_path, real_body if real_body is not None else body)
        except (PingFederateApiError, PingOneApiError) as exc:
            raise SetupApplyError(change, exc, self.plan) from None

    def _p1_path(self, path: str) -> str:
        assert self.t.pingone is not None
        return f"/environments/{self.t.pingone.environment_id}{path}"

    def _reconcile(self, step: str, resource: str, api: str, live: Json | None, desired: Json,
                   create: tuple[str, str], update_path: Callable[[Json], str], *,
                   real: Callable[[Json], Json] | None = None) -> Json | None:
        """Create or update one resource; return the live (or created) document (None in a dry run)."""
        if live is None:
            change = PlannedChange(step, resource, "create")
            self.plan.changes.append(change)
            body = desired
            out = self._write(change, api, create[0], create[1], body, real(body) if real else None)
            change.done = not self.dry
            return out
        diffs = _differences(desired, live)
        if not diffs:
            self.plan.changes.append(PlannedChange(step, resource, "unchanged"))
            return live
        change = PlannedChange(step, resource, "update", diffs)
        self.plan.changes.append(change)
        body = _merge(live, desired)
        for ro in ("lastModified", "createdAt", "updatedAt", "_links"):
            body.pop(ro, None)
        out = self._write(change, api, "PUT", update_path(live), body, real(body) if real else None)
        change.done = not self.dry
        return out if out is not None else live

    # -- PingOne

    def pingone(self) -> None:
        p1 = self.t.pingone
        if p1 is None:
            return
        # One listing serves both steps: an application created here is known by self.app_id.
        apps_live = p1.embedded("/applications", "applications") \
            if self.p.application is not None or self.p.mfa_policy is not None else []
        if self.p.application is not None:
            app = self.p.application
            live = next((a for a in apps_live if a.get("name") == app.name), None)
            doc = self._reconcile("PingOne application", f"application {app.name!r}", "pingone", live, app.to_api(),
                                  ("POST", self._p1_path("/applications")),
                                  lambda d: self._p1_path(f"/applications/{d['id']}"))
            self.app_id = (doc or {}).get("id")
        if self.p.mfa_policy is not None:
            pol = copy.deepcopy(self.p.mfa_policy)
            apps = {a.get("name"): a.get("id") for a in apps_live}
            for entry in pol.applications:
                if entry.application_id is None and entry.application:
                    entry.application_id = self.app_id if (self.p.application and entry.application ==
                                                           self.p.application.name and self.app_id) \
                        else apps.get(entry.application)
            live = next((m for m in p1.embedded("/deviceAuthenticationPolicies", "deviceAuthenticationPolicies")
                         if m.get("name") == pol.name), None)
            doc = self._reconcile("PingOne MFA policy", f"MFA policy {pol.name!r}", "pingone", live, pol.to_api(),
                                  ("POST", self._p1_path("/deviceAuthenticationPolicies")),
                                  lambda d: self._p1_path(f"/deviceAuthenticationPolicies/{d['id']}"))
            self.mfa_id = (doc or {}).get("id")
        if self.p.sign_on_policy is not None and self.p.ik_version == "3.x":
            self._sign_on(p1)
        for t in self.p.templates:
            self._template(p1, t)
        for u in self.p.users:
            if u.create:
                self._user(p1, u)

    def _sign_on(self, p1: PingOneApi) -> None:
        sop = copy.deepcopy(self.p.sign_on_policy)
        assert sop is not None
        if sop.device_sign_on_policy_id is None:
            sop.device_sign_on_policy_id = self.mfa_id
        live = next((s for s in p1.embedded("/signOnPolicies", "signOnPolicies") if s.get("name") == sop.name), None)
        doc = self._reconcile("PingOne sign-on policy", f"sign-on policy {sop.name!r}", "pingone", live, sop.to_api(),
                              ("POST", self._p1_path("/signOnPolicies")),
                              lambda d: self._p1_path(f"/signOnPolicies/{d['id']}"))
        pid = (doc or {}).get("id")
        actions = p1.embedded(f"/signOnPolicies/{pid}/actions", "actions") if pid and live else []
        action = next((a for a in actions if a.get("type") == "MULTI_FACTOR_AUTHENTICATION"), None)
        base = f"/signOnPolicies/{pid or '<new>'}/actions"
        self._reconcile("PingOne sign-on policy", f"MFA action of {sop.name!r}", "pingone", action,
                        sop.action_to_api(), ("POST", self._p1_path(base)),
                        lambda d: self._p1_path(f"{base}/{d['id']}"))

    def _template(self, p1: PingOneApi, t: PromptTemplate) -> None:
        contents = p1.template_contents(t.template_name)
        key = ("Push", t.locale.lower(), (t.variant or "").lower())
        live = next((c for c in contents if (c.get("deliveryMethod"), str(c.get("locale", "")).lower(),
                                             str(c.get("variant") or "").lower()) == key), None)
        label = f"{t.template_name} push content {t.locale}" + (f"/{t.variant}" if t.variant else "")
        base = f"/templates/{t.template_name}/contents"
        self._reconcile("PingOne push template", label, "pingone", live, t.to_api(),
                        ("POST", self._p1_path(base)), lambda d: self._p1_path(f"{base}/{d['id']}"))

    def _user(self, p1: PingOneApi, u: Any) -> None:
        live = p1.find_user(u.username)
        body: Json = {"username": u.username}
        if u.email:
            body["email"] = u.email
        if u.locale:
            body["preferredLanguage"] = u.locale
        doc = self._reconcile("PingOne test user", f"user {u.username!r}", "pingone", live, body,
                              ("POST", self._p1_path("/users")), lambda d: self._p1_path(f"/users/{d['id']}"))
        if not u.paired:
            return
        uid = (doc or {}).get("id")
        devices = p1.devices(uid) if uid and live else []
        paired = next((d for d in devices if d.get("type") == "MOBILE" and d.get("status") == "ACTIVE"), None)
        dev: Json = {"type": "MOBILE", "name": f"{u.username}'s phone"}
        if self.app_id:
            dev["application"] = {"id": self.app_id}
        if paired is None:
            self._reconcile("PingOne test user", f"paired device of {u.username!r}", "pingone", None, dev,
                            ("POST", self._p1_path(f"/users/{uid or '<new>'}/devices")), lambda d: "")
        else:
            self.plan.changes.append(PlannedChange("PingOne test user", f"paired device of {u.username!r}",
                                                   "unchanged"))

    # -- PingFederate

    def pingfederate(self) -> None:
        admin = self.t.admin
        if admin is None:
            return
        if self.p.authenticator is not None:
            a: CibaAuthenticator = copy.deepcopy(self.p.authenticator)
            self._resolve_authenticator(a)
            live = admin.get_or_none(f"/oauth/outOfBandAuthPlugins/{a.id}")
            self._reconcile("CIBA authenticator", f"authenticator {a.id!r}", "pingfederate", live, a.to_api(),
                            ("POST", "/oauth/outOfBandAuthPlugins"), lambda d: f"/oauth/outOfBandAuthPlugins/{a.id}")
        if self.p.request_policy is not None:
            rp = self.p.request_policy
            live = admin.get_or_none(f"/oauth/cibaServerPolicy/requestPolicies/{rp.id}")
            self._reconcile("CIBA request policy", f"request policy {rp.id!r}", "pingfederate", live, rp.to_api(),
                            ("POST", "/oauth/cibaServerPolicy/requestPolicies"),
                            lambda d: f"/oauth/cibaServerPolicy/requestPolicies/{rp.id}")
        if self.p.settings is not None and self.p.settings.default_request_policy_id:
            live = admin.request("GET", "/oauth/cibaServerPolicy/settings") or {}
            desired = self.p.settings.to_api()
            if _differences(desired, live):
                change = PlannedChange("CIBA settings", "default request policy", "update",
                                       _differences(desired, live))
                self.plan.changes.append(change)
                self._write(change, "pingfederate", "PUT", "/oauth/cibaServerPolicy/settings", _merge(live, desired))
                change.done = not self.dry
            else:
                self.plan.changes.append(PlannedChange("CIBA settings", "default request policy", "unchanged"))
        for c in self.p.clients:
            self._client(admin, c)

    def _resolve_authenticator(self, a: CibaAuthenticator) -> None:
        p1 = self.t.pingone
        if a.application_id is None and a.application:
            if self.app_id and self.p.application and a.application == self.p.application.name:
                a.application_id = self.app_id
            elif p1 is not None:
                a.application_id = next((x.get("id") for x in p1.embedded("/applications", "applications")
                                         if x.get("name") == a.application), None)
        if a.ik_version == "4.0" and a.mfa_policy_id is None and a.mfa_policy not in (None, "", "Default"):
            if self.mfa_id and self.p.mfa_policy and a.mfa_policy == self.p.mfa_policy.name:
                a.mfa_policy_id = self.mfa_id
            elif p1 is not None:
                a.mfa_policy_id = next((x.get("id") for x in p1.embedded(
                    "/deviceAuthenticationPolicies", "deviceAuthenticationPolicies") if x.get("name") == a.mfa_policy),
                    None)
        if p1 is not None and "|" in a.environment:
            # The profile names its own environment; the target's PingOne environment is what counts.
            conn, env = a.environment.rsplit("|", 1)
            if env == self.p.pingone.environment_id and env != p1.environment_id:
                a.environment = f"{conn}|{p1.environment_id}"

    def _client(self, admin: PingFederateAdmin, c: OAuthClient) -> None:
        live = admin.get_or_none(f"/oauth/clients/{c.client_id}")
        desired = c.to_api(reveal=False)
        send_secret = live is None or self.rotate
        if not send_secret:
            (desired.get("clientAuth") or {}).pop("secret", None)

        def real(body: Json) -> Json:
            out = copy.deepcopy(body)
            if send_secret and c.client_auth is not None and c.client_auth.secret is not None:
                out.setdefault("clientAuth", {})["secret"] = c.client_auth.secret.reveal()
                out["clientAuth"].pop("encryptedSecret", None)
            return out

        if live is not None and self.rotate and c.client_auth is not None and c.client_auth.secret is not None:
            change = PlannedChange("OAuth client", f"client {c.client_id!r}", "update",
                                   _differences(desired, live) + ["clientAuth.secret: rotated"])
            self.plan.changes.append(change)
            body = _merge(live, desired)
            self._write(change, "pingfederate", "PUT", f"/oauth/clients/{c.client_id}", body, real(body))
            change.done = not self.dry
            return
        self._reconcile("OAuth client", f"client {c.client_id!r}", "pingfederate", live, desired,
                        ("POST", "/oauth/clients"), lambda d: f"/oauth/clients/{c.client_id}", real=real)


def _run(mode: str, profile: SetupProfile, target: Any, admin: PingFederateAdmin | None, pingone: PingOneApi | None,
         rotate_secrets: bool) -> SetupPlan:
    profile.validate()
    t = resolve_target(profile, target, admin=admin, pingone=pingone)
    owned = admin is None and pingone is None
    try:
        r = _Reconciler(profile, t, mode, rotate_secrets)
        r.pingone()
        r.pingfederate()
        return r.plan
    finally:
        if owned:
            t.close()


def plan_setup(profile: SetupProfile, target: Any = None, *, admin: PingFederateAdmin | None = None,
               pingone: PingOneApi | None = None, rotate_secrets: bool = False) -> SetupPlan:
    """Dry run: what apply would create or update, with the exact calls (secrets masked).

    Args:
        profile: the desired setup.
        target: None (the profile's connections), a URL, or a running Simulator.
        admin: an explicit Admin API client (overrides ``target``).
        pingone: an explicit PingOne client.
        rotate_secrets: also send the profile's client secrets to existing clients.

    Raises:
        SetupValidationError: the profile is inconsistent (nothing is called).
        PingFederateApiError, PingOneApiError, TransportError: reading the live state failed.
    """
    return _run("plan", profile, target, admin, pingone, rotate_secrets)


def apply_setup(profile: SetupProfile, target: Any = None, *, admin: PingFederateAdmin | None = None,
                pingone: PingOneApi | None = None, rotate_secrets: bool = False) -> SetupPlan:
    """Create and update what differs, in dependency order; a second apply changes nothing.

    Raises:
        SetupApplyError: a write was refused (carries the product's validation messages and
            where the field lives in the console).
    """
    return _run("apply", profile, target, admin, pingone, rotate_secrets)


def verify_setup(profile: SetupProfile, target: Any = None, *, admin: PingFederateAdmin | None = None,
                 pingone: PingOneApi | None = None) -> SetupPlan:
    """Check that live matches the profile; ``.in_sync`` is True when nothing drifted."""
    return _run("verify", profile, target, admin, pingone, False)

