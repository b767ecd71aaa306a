"""The simulator's PingOne stand-in (``/pingone/v1``): the management API subset CIBA setup needs.

Routes (mounted by the simulator at ``/pingone/v1``; one environment, ``state.p1.environment_id``):

```
POST               /{envId}/as/token                          worker token (client credentials)
GET                /environments/{envId}
GET|POST           /environments/{envId}/users                ?filter=username eq "alice"
GET|PUT|DELETE     /environments/{envId}/users/{userId}
GET|POST           /environments/{envId}/users/{userId}/devices
GET|DELETE         /environments/{envId}/users/{userId}/devices/{deviceId}
GET|POST           /environments/{envId}/deviceAuthenticationPolicies
GET|PUT|DELETE     /environments/{envId}/deviceAuthenticationPolicies/{id}
GET|POST           /environments/{envId}/applications
GET|PUT|DELETE     /environments/{envId}/applications/{id}
GET|POST           /environments/{envId}/signOnPolicies
GET|PUT|DELETE     /environments/{envId}/signOnPolicies/{id}
GET|POST           /environments/{envId}/signOnPolicies/{id}/actions
GET|PUT|DELETE     /environments/{envId}/signOnPolicies/{id}/actions/{actionId}
GET                /environments/{envId}/templates/{templateName}
GET|POST           /environments/{envId}/templates/{templateName}/contents
GET|PUT|DELETE     /environments/{envId}/templates/{templateName}/contents/{contentId}
```

Shapes follow the PingOne Platform API: collections are
``{"_links": {...}, "_embedded": {"<resource>": [...]}, "count": n, "size": n}``; errors are
``{"id", "code", "message", "details": [{"code", "target", "message", "innerError"}]}``
(``INVALID_DATA`` 400, ``NOT_FOUND`` 404, ``UNIQUENESS_VIOLATION`` in details, ``ACCESS_FAILED``
401). Management calls need ``Authorization: Bearer <worker token>``; the worker app's
credentials are ``worker_client_id`` / ``worker_client_secret`` (defaults below, demo only).

MFA (device authentication) policy mobile-application shape used here (PingOne Go SDK model
``DeviceAuthenticationPolicyCommonMobileApplicationsInner``; ``numberMatching`` as
``push.numberMatching.enabled`` is the SDK's nesting):

```
{"id": app id, "push": {"enabled": true, "numberMatching": {"enabled": false}},
 "pushTimeout": {"duration": 40, "timeUnit": "SECONDS"},             40..150 s
 "pushLimit": {"count": 5, "lockDuration": {...}, "timePeriod": {...}}, 1..50
 "otp": {"enabled": true}, "autoEnrollment": {"enabled": false}, "deviceAuthorization": {"enabled": false}}
```
"""

from __future__ import annotations

import base64
import copy
import re
import secrets as _secrets
import time
import uuid
from typing import Any, Callable
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .rest import Collection, Dialect, DictItems, Handler, ListItems, collection_routes, json_object, now_iso
from .state import SimulatorState

__all__ = [
    "build_pingone_app",
    "DEFAULT_WORKER_CLIENT_ID",
    "DEFAULT_WORKER_CLIENT_SECRET",
    "KNOWN_TEMPLATES",
    "PUSH_TIMEOUT_RANGE",
    "PUSH_LIMIT_RANGE",
    "new_id",
]

Json = dict[str, Any]

DEFAULT_WORKER_CLIENT_ID = "ciba-kit-worker"
DEFAULT_WORKER_CLIENT_SECRET = "ciba-kit-worker-secret"  # demo only, like the demo client secrets
#: Predefined PingOne notification templates (read-only list; transaction and general take dynamic variables).
KNOWN_TEMPLATES = ("transaction", "general", "strong_authentication", "device_pairing", "new_device_paired",
                   "verification_code_template", "recovery_code_template")
PUSH_TIMEOUT_RANGE = (40, 150)
PUSH_LIMIT_RANGE = (1, 50)
_DELIVERY_METHODS = ("Push", "Email", "SMS", "Voice", "WhatsApp")
_PUSH_CATEGORIES = ("BANNER_BUTTONS", "APPROVE_AND_OPEN_APP", "WITHOUT_BANNER_BUTTONS")
_APP_TYPES = ("NATIVE_APP", "WEB_APP", "SINGLE_PAGE_APP", "WORKER", "SERVICE")
_FILTER_RE = re.compile(r'^\s*(username|email|id)\s+eq\s+"([^"]*)"\s*$', re.I)


def new_id() -> str:
    """A PingOne-style UUID."""
    return str(uuid.uuid4())


class _Details:
    """Collects PingOne error ``details`` entries."""

    def __init__(self) -> None:
        self.items: list[Json] = []

    def add(self, target: str, message: str, code: str = "INVALID_VALUE", **inner: Any) -> None:
        entry: Json = {"code": code, "target": target, "message": message}
        if inner:
            entry["innerError"] = inner
        self.items.append(entry)

    def response(self) -> JSONResponse | None:
        if not self.items:
            return None
        return JSONResponse({"id": new_id(), "code": "INVALID_DATA",
                             "message": "The request could not be completed. One or more validation errors "
                                        "were in the request.", "details": self.items}, status_code=400)


def _not_found(what: str) -> JSONResponse:
    return JSONResponse({"id": new_id(), "code": "NOT_FOUND",
                         "message": f"The request could not be completed. The requested resource was not found. "
                                    f"({what})"}, status_code=404)


def _duration(value: Any) -> int | None:
    if not isinstance(value, dict):
        return None
    d, unit = value.get("duration"), value.get("timeUnit", "SECONDS")
    if not isinstance(d, int) or isinstance(d, bool):
        return None
    return {"SECONDS": 1, "MINUTES": 60, "HOURS": 3600}.get(str(unit).upper(), 0) * d or None


def _check_mfa_policy(state: SimulatorState, doc: Json, d: _Details) -> None:
    if not isinstance(doc.get("name"), str) or not doc["name"]:
        d.add("name", "name is required", "REQUIRED_VALUE")
    mobile = doc.setdefault("mobile", {"enabled": True, "applications": []})
    if not isinstance(mobile, dict):
        d.add("mobile", "mobile must be an object")
        return
    mobile.setdefault("enabled", True)
    apps = mobile.setdefault("applications", [])
    seen: set[str] = set()
    for i, app in enumerate(apps if isinstance(apps, list) else []):
        base = f"mobile.applications[{i}]"
        if not isinstance(app, dict) or not isinstance(app.get("id"), str):
            d.add(f"{base}.id", "application id is required", "REQUIRED_VALUE")
            continue
        if app["id"] not in state.p1.applications:
            d.add(f"{base}.id", f"application {app['id']} does not exist", "INVALID_VALUE")
        elif state.p1.applications[app["id"]].get("type") != "NATIVE_APP":
            d.add(f"{base}.id", "only NATIVE_APP applications can be used as MFA mobile applications")
        if app["id"] in seen:
            d.add(f"{base}.id", f"application {app['id']} is listed more than once", "UNIQUENESS_VIOLATION")
        seen.add(app["id"])
        push = app.setdefault("push", {"enabled": True})
        push.setdefault("enabled", True)
        push.setdefault("numberMatching", {"enabled": False})
        timeout = app.setdefault("pushTimeout", {"duration": 40, "timeUnit": "SECONDS"})
        secs = _duration(timeout)
        lo, hi = PUSH_TIMEOUT_RANGE
        if secs is None or not lo <= secs <= hi:
            d.add(f"{base}.pushTimeout.duration", f"push timeout must be between {lo} and {hi} seconds",
                  "OUT_OF_RANGE", rangeMinimum=lo, rangeMaximum=hi)
        limit = app.setdefault("pushLimit", {"count": 5})
        count = limit.get("count") if isinstance(limit, dict) else None
        lo, hi = PUSH_LIMIT_RANGE
        if not isinstance(count, int) or isinstance(count, bool) or not lo <= count <= hi:
            d.add(f"{base}.pushLimit.count", f"push limit must be between {lo} and {hi}", "OUT_OF_RANGE",
                  rangeMinimum=lo, rangeMaximum=hi)


def _check_application(doc: Json, d: _Details) -> None:
    if not isinstance(doc.get("name"), str) or not doc["name"]:
        d.add("name", "name is required", "REQUIRED_VALUE")
    if doc.get("type") not in _APP_TYPES:
        d.add("type", f"type must be one of {', '.join(_APP_TYPES)}", "INVALID_VALUE")
    doc.setdefault("protocol", "OPENID_CONNECT")
    doc.setdefault("enabled", True)


def _check_sign_on_policy(state: SimulatorState, doc: Json, d: _Details, ident: str | None) -> None:
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        d.add("name", "name is required", "REQUIRED_VALUE")
    elif any(p.get("name") == name and pid != ident for pid, p in state.p1.sign_on_policies.items()):
        d.add("name", f"a sign-on policy named {name} already exists", "UNIQUENESS_VIOLATION")
    elif " " in name:
        # The IK's "PingOne Authentication Policy" field separates several names by spaces.
        d.add("name", "policy names used for CIBA may not contain spaces", "INVALID_VALUE")


def _check_action(state: SimulatorState, doc: Json, d: _Details) -> None:
    doc.setdefault("type", "MULTI_FACTOR_AUTHENTICATION")
    doc.setdefault("priority", 1)
    if doc["type"] != "MULTI_FACTOR_AUTHENTICATION":
        d.add("type", "the stand-in supports only MULTI_FACTOR_AUTHENTICATION actions")
        return
    ref = doc.get("deviceAuthenticationPolicy")
    pid = ref.get("id") if isinstance(ref, dict) else None
    if not pid:
        d.add("deviceAuthenticationPolicy.id", "deviceAuthenticationPolicy is required", "REQUIRED_VALUE")
    elif pid not in state.p1.mfa_policies:
        d.add("deviceAuthenticationPolicy.id", f"device authentication policy {pid} does not exist")
    mode = doc.setdefault("noDeviceMode", "BLOCK")
    if mode not in ("BLOCK", "BYPASS"):
        d.add("noDeviceMode", "noDeviceMode must be BLOCK or BYPASS")


def _check_content(doc: Json, d: _Details, existing: list[Json], ident: str | None) -> None:
    method = doc.get("deliveryMethod")
    if method not in _DELIVERY_METHODS:
        d.add("deliveryMethod", f"deliveryMethod must be one of {', '.join(_DELIVERY_METHODS)}", "INVALID_VALUE")
    if not isinstance(doc.get("locale"), str) or not doc.get("locale"):
        d.add("locale", "locale is required", "REQUIRED_VALUE")
    variant = doc.get("variant")
    if variant is not None and (not isinstance(variant, str) or len(variant) > 100):
        d.add("variant", "variant must be a string of at most 100 characters", "SIZE_LIMIT_EXCEEDED")
    if method == "Push":
        for f in ("title", "body"):
            if not isinstance(doc.get(f), str) or not doc.get(f):
                d.add(f, f"{f} is required for Push content", "REQUIRED_VALUE")
        doc.setdefault("pushCategory", "BANNER_BUTTONS")
        if doc["pushCategory"] not in _PUSH_CATEGORIES:
            d.add("pushCategory", f"pushCategory must be one of {', '.join(_PUSH_CATEGORIES)}")
    key = (method, str(doc.get("locale", "")).lower(), str(variant or "").lower())
    for other in existing:
        if other.get("id") != ident and (other.get("deliveryMethod"), str(other.get("locale", "")).lower(),
                                         str(other.get("variant") or "").lower()) == key:
            d.add("locale", "content for this delivery method, locale and variant already exists",
                  "UNIQUENESS_VIOLATION")


def _p1_keyed(name: str, label: str, store: Callable[[], dict[str, Json]],
              check: Callable[[Json, _Details, str | None], None], environment_id: Callable[[], str],
              **hooks: Any) -> Collection:
    """A top-level PingOne resource under ``/environments/{envId}/<name>``.

    PingOne assigns the id and stamps ``environment``, ``createdAt`` and ``updatedAt``; an update
    keeps ``createdAt`` and the ``actions`` sub-resource.
    """

    def checked(request: Request, doc: Json, d: _Details, ident: str | None) -> None:
        if ident is None:
            doc.pop("id", None)  # PingOne assigns ids
        check(doc, d, ident)

    def save(request: Request, doc: Json, ident: str | None, old: Json | None, extra: Any) -> str:
        doc["id"] = ident if ident is not None else new_id()
        doc["environment"] = {"id": environment_id()}
        if old is None:
            doc["createdAt"] = doc["updatedAt"] = now_iso()
        else:
            doc["createdAt"] = old.get("createdAt", now_iso())
            doc["updatedAt"] = now_iso()
            if "actions" in old and "actions" not in doc:
                doc["actions"] = old["actions"]  # actions are a sub-resource
        return doc["id"]

    return Collection(path=f"/environments/{{envId}}/{name}", label=label, name=name,
                      items=lambda request: DictItems(store()), save=save, check=checked, **hooks)


def build_pingone_app(state: SimulatorState, *, worker_client_id: str = DEFAULT_WORKER_CLIENT_ID,
                      worker_client_secret: str = DEFAULT_WORKER_CLIENT_SECRET,
                      token_lifetime: int = 3600, require_token: bool = True) -> Starlette:
    """Build the PingOne stand-in sub-app over ``state``.

    Args:
        state: the simulator's configuration store.
        worker_client_id: client id of the worker application allowed to get management tokens.
        worker_client_secret: its secret (demo only).
        token_lifetime: seconds a worker token is valid.
        require_token: when False, management calls need no bearer token (handy for ad-hoc poking).

    Returns:
        A Starlette app to mount at ``/pingone/v1``.
    """
    tokens: dict[str, float] = {}  # token -> monotonic expiry; tokens are never logged
    p1 = state.p1

    def env() -> Json:
        return {"id": p1.environment_id}

    def collection(request: Request, name: str, items: list[Json]) -> JSONResponse:
        return JSONResponse({"_links": {"self": {"href": str(request.url)}},
                             "_embedded": {name: items}, "count": len(items), "size": len(items)})

    def guard(fn: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            if require_token:
                scheme, _, tok = request.headers.get("authorization", "").partition(" ")
                exp = tokens.get(tok.strip()) if scheme.lower() == "bearer" else None
                if exp is None or exp < time.monotonic():
                    return JSONResponse({"id": new_id(), "code": "ACCESS_FAILED",
                                         "message": "The request could not be completed. Access token is "
                                                    "missing, expired or invalid."}, status_code=401)
            if request.path_params.get("envId", state.p1.environment_id) != state.p1.environment_id:
                return _not_found(f"environment {request.path_params['envId']}")
            return await fn(request)
        return wrapped

    async def body_of(request: Request) -> Json | Response:
        data = await json_object(request)
        if isinstance(data, str):
            return JSONResponse({"id": new_id(), "code": "INVALID_REQUEST", "message": data}, status_code=400)
        return data

    def in_use(label: str, ident: str, users: list[str]) -> Response:
        d = _Details()
        d.add("id", f"{label} is in use by {', '.join(users)}", "CONSTRAINT_VIOLATION")
        return d.response()  # type: ignore[return-value]

    api = Dialect(state=state, guard=guard, body_of=body_of, errors=_Details,
                  not_found=lambda label, ident: _not_found(f"{label} {ident}"), in_use=in_use,
                  listing=collection)

    # ---- worker token

    async def token(request: Request) -> Response:
        if request.path_params["envId"] != state.p1.environment_id:
            return JSONResponse({"error": "invalid_request", "error_description": "Unknown environment."},
                                status_code=400)
        # Parsed by hand: starlette's form parser needs python-multipart, which is not a dependency.
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        cid, secret = form.get("client_id"), form.get("client_secret")
        scheme, _, cred = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                cid, _, secret = base64.b64decode(cred.strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                cid = secret = None
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type",
                                 "error_description": "Use grant_type=client_credentials."}, status_code=400)
        if cid != worker_client_id or not isinstance(secret, str) or \
                not _secrets.compare_digest(secret, worker_client_secret):
            return JSONResponse({"error": "invalid_client", "error_description": "Worker client authentication "
                                 "failed."}, status_code=401)
        now = time.monotonic()
        # Forget expired tokens as new ones are issued, so a long-running simulator does not grow.
        for old in [k for k, exp in tokens.items() if exp < now]:
            del tokens[old]
        tok = _secrets.token_urlsafe(32)
        tokens[tok] = now + token_lifetime
        return JSONResponse({"access_token": tok, "token_type": "Bearer", "expires_in": token_lifetime})

    # ---- environment

    async def env_get(request: Request) -> Response:
        with state.lock:
            return JSONResponse({"id": state.p1.environment_id, "name": "ciba-kit simulator",
                                 "type": "SANDBOX", "region": "SIM", "defaultLanguage": state.p1.default_language})

    # ---- users and devices

    def select_users(request: Request, docs: list[Json]) -> list[Json] | Response:
        flt = request.query_params.get("filter")
        if not flt:
            return docs
        m = _FILTER_RE.match(flt)
        if not m:
            d = _Details()
            d.add("filter", 'supported filters: username eq "...", email eq "...", id eq "..."')
            return d.response()  # type: ignore[return-value]
        attr, val = m.group(1).lower(), m.group(2)
        return [u for u in docs if str(u.get(attr, "")).lower() == val.lower()]

    def check_user(request: Request, doc: Json, d: _Details, ident: str | None) -> None:
        if ident is not None:
            return  # a PUT replaces the user as sent (only id and username are kept)
        name = doc.get("username")
        if not isinstance(name, str) or not name:
            d.add("username", "username is required", "REQUIRED_VALUE")
        elif any(u.get("username", "").lower() == name.lower() for u in p1.users.values()):
            d.add("username", f"a user named {name} already exists", "UNIQUENESS_VIOLATION")

    def save_user(request: Request, doc: Json, ident: str | None, old: Json | None, extra: Any) -> str:
        if old is not None:
            doc["id"] = ident
            doc.setdefault("username", old.get("username"))
            return doc["id"]
        doc["id"] = doc.get("id") or new_id()  # unlike other resources, a caller-chosen id is kept
        doc.setdefault("enabled", True)
        doc.setdefault("mfaEnabled", True)
        doc["createdAt"] = now_iso()
        p1.devices.setdefault(doc["id"], [])
        return doc["id"]

    def forget_user(uid: str) -> None:
        p1.devices.pop(uid, None)

    users = Collection(path="/environments/{envId}/users", label="user", name="users", param="userId",
                       items=lambda request: DictItems(p1.users), check=check_user, save=save_user,
                       select=select_users, forget=forget_user)

    def user_devices(request: Request) -> ListItems:
        uid = request.path_params["userId"]
        return ListItems(lambda: p1.devices.get(uid, []), lambda: p1.devices.setdefault(uid, []))

    def user_exists(request: Request) -> Response | None:
        uid = request.path_params["userId"]
        return None if uid in p1.users else _not_found(f"user {uid}")

    def check_device(request: Request, doc: Json, d: _Details, ident: str | None) -> None:
        doc.setdefault("type", "MOBILE")
        if doc["type"] not in ("MOBILE", "SMS", "EMAIL", "VOICE", "TOTP", "FIDO2"):
            d.add("type", "unknown device type")
        app = doc.get("application")
        if doc["type"] == "MOBILE" and isinstance(app, dict) and app.get("id") not in p1.applications:
            d.add("application.id", f"application {app.get('id')} does not exist")

    def save_device(request: Request, doc: Json, ident: str | None, old: Json | None, extra: Any) -> str:
        doc["id"] = doc.get("id") or new_id()
        # Pairing through the mobile SDK is out of scope: a device created here is paired at once.
        doc.setdefault("status", "ACTIVE")
        doc["user"] = {"id": request.path_params["userId"]}
        doc["createdAt"] = now_iso()
        return doc["id"]

    devices = Collection(path="/environments/{envId}/users/{userId}/devices", label="device", name="devices",
                         param="deviceId", items=user_devices, parent=user_exists, check=check_device,
                         save=save_device, updatable=False)

    # ---- MFA policies and applications

    def mfa_in_use(pid: str) -> list[str]:
        return [f"sign-on policy {p.get('name')}" for p in p1.sign_on_policies.values()
                if any((a.get("deviceAuthenticationPolicy") or {}).get("id") == pid for a in p.get("actions", []))]

    def app_in_use(aid: str) -> list[str]:
        return [f"MFA policy {p.get('name')}" for p in p1.mfa_policies.values()
                if any(a.get("id") == aid for a in (p.get("mobile") or {}).get("applications", []))]

    def check_mfa(doc: Json, d: _Details, ident: str | None) -> None:
        _check_mfa_policy(state, doc, d)
        doc.setdefault("default", False)
        if doc.get("default") is True:
            for pid, other in p1.mfa_policies.items():
                if pid != ident:
                    other["default"] = False  # only one default policy per environment

    mfa_policies = _p1_keyed("deviceAuthenticationPolicies", "device authentication policy",
                             lambda: p1.mfa_policies, check_mfa, lambda: p1.environment_id, users_of=mfa_in_use)
    applications = _p1_keyed("applications", "application", lambda: p1.applications,
                             lambda doc, d, ident: _check_application(doc, d), lambda: p1.environment_id,
                             users_of=app_in_use)

    # ---- sign-on policies and their actions (a sub-resource: never part of the policy's own answers)

    def strip_actions(p: Json) -> Json:
        return {k: copy.deepcopy(v) for k, v in p.items() if k != "actions"}

    def check_sop(request: Request, doc: Json, d: _Details, ident: str | None) -> None:
        if ident is None:
            doc.pop("id", None)
        doc.pop("actions", None)
        _check_sign_on_policy(state, doc, d, ident)
        doc.setdefault("actions", [])

    def save_sop(request: Request, doc: Json, ident: str | None, old: Json | None, extra: Any) -> str:
        doc["id"] = ident if ident is not None else new_id()
        doc["environment"] = env()
        if old is not None:
            doc["actions"] = old.get("actions", [])
        return doc["id"]

    sign_on = Collection(path="/environments/{envId}/signOnPolicies", label="sign-on policy",
                         name="signOnPolicies", items=lambda request: DictItems(p1.sign_on_policies),
                         check=check_sop, save=save_sop, out=strip_actions)

    def policy_actions(request: Request) -> ListItems:
        pid = request.path_params["id"]
        return ListItems(lambda: p1.sign_on_policies.get(pid, {}).get("actions", []),
                         lambda: p1.sign_on_policies[pid].setdefault("actions", []))

    def sop_exists(request: Request) -> Response | None:
        pid = request.path_params["id"]
        return None if pid in p1.sign_on_policies else _not_found(f"sign-on policy {pid}")

    def save_action(request: Request, doc: Json, ident: str | None, old: Json | None, extra: Any) -> str:
        doc.update({"id": ident or new_id(), "signOnPolicy": {"id": request.path_params["id"]},
                    "environment": env()})
        return doc["id"]

    actions = Collection(path="/environments/{envId}/signOnPolicies/{id}/actions", label="sign-on policy action",
                         name="actions", param="actionId", items=policy_actions, parent=sop_exists,
                         check=lambda request, doc, d, ident: _check_action(state, doc, d), save=save_action)

    # ---- notification templates (predefined, read-only) and their contents

    def known_template(request: Request) -> Response | None:
        name = request.path_params["name"]
        return None if name in KNOWN_TEMPLATES or name in p1.template_contents else _not_found(f"template {name}")

    async def template_get(request: Request) -> Response:
        name = request.path_params["name"]
        if (r := known_template(request)) is not None:
            return r
        dynamic = name in ("transaction", "general")
        return JSONResponse({"id": name, "name": name, "displayName": name.replace("_", " ").title(),
                             "deliveryMethods": ["Email", "SMS", "Voice", "Push"],
                             "defaultVariables": ["user.username", "user.name.given"],
                             "optionalVariables": [], "allowsDynamicVariables": dynamic})

    def template_contents(request: Request) -> ListItems:
        name = request.path_params["name"]
        return ListItems(lambda: p1.template_contents.get(name, []), lambda: p1.template_contents[name])

    def check_content(request: Request, doc: Json, d: _Details, ident: str | None) -> None:
        # Created even when validation fails: the (known) template then lists no contents.
        existing = p1.template_contents.setdefault(request.path_params["name"], [])
        if ident is None:
            doc.pop("id", None)
        _check_content(doc, d, existing, ident)

    def save_content(request: Request, doc: Json, ident: str | None, old: Json | None, extra: Any) -> str:
        name = request.path_params["name"]
        doc.update({"id": ident or new_id(), "template": {"id": name, "name": name}, "environment": env()})
        return doc["id"]

    contents = Collection(path="/environments/{envId}/templates/{name}/contents", label="template content",
                          name="contents", param="contentId", items=template_contents, precheck=known_template,
                          check=check_content, save=save_content)

    routes = [
        Route("/{envId}/as/token", token, methods=["POST"]),
        Route("/environments/{envId}", guard(env_get), methods=["GET"]),
    ]
    for col in (users, devices, mfa_policies, applications, sign_on, actions):
        routes += collection_routes(api, col)
    routes.append(Route("/environments/{envId}/templates/{name}", guard(template_get), methods=["GET"]))
    routes += collection_routes(api, contents)
    app = Starlette(routes=routes)
    app.state.worker_tokens = tokens  # live worker tokens (inspected by tests; never logged)
    return app
