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
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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


Handler = Callable[[Request], Awaitable[Response]]


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

    def api_base(request: Request) -> str:
        return str(request.base_url).rstrip("/") + request.scope.get("root_path", "")

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
        try:
            data = await request.json()
        except (ValueError, UnicodeDecodeError):
            return JSONResponse({"id": new_id(), "code": "INVALID_REQUEST",
                                 "message": "The request body is not valid JSON."}, status_code=400)
        if not isinstance(data, dict):
            return JSONResponse({"id": new_id(), "code": "INVALID_REQUEST",
                                 "message": "The request body must be a JSON object."}, status_code=400)
        return data

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
        tok = _secrets.token_urlsafe(32)
        tokens[tok] = time.monotonic() + token_lifetime
        return JSONResponse({"access_token": tok, "token_type": "Bearer", "expires_in": token_lifetime})

    # ---- environment

    async def env_get(request: Request) -> Response:
        with state.lock:
            return JSONResponse({"id": state.p1.environment_id, "name": "ciba-kit simulator",
                                 "type": "SANDBOX", "region": "SIM", "defaultLanguage": state.p1.default_language})

    # ---- users and devices

    async def users_list(request: Request) -> Response:
        flt = request.query_params.get("filter")
        with state.lock:
            users = [copy.deepcopy(u) for u in state.p1.users.values()]
        if flt:
            m = _FILTER_RE.match(flt)
            if not m:
                d = _Details()
                d.add("filter", 'supported filters: username eq "...", email eq "...", id eq "..."')
                return d.response()  # type: ignore[return-value]
            attr, val = m.group(1).lower(), m.group(2)
            users = [u for u in users if str(u.get(attr, "")).lower() == val.lower()]
        return collection(request, "users", users)

    async def users_create(request: Request) -> Response:
        doc = await body_of(request)
        if isinstance(doc, Response):
            return doc
        with state.lock:
            d = _Details()
            name = doc.get("username")
            if not isinstance(name, str) or not name:
                d.add("username", "username is required", "REQUIRED_VALUE")
            elif any(u.get("username", "").lower() == name.lower() for u in state.p1.users.values()):
                d.add("username", f"a user named {name} already exists", "UNIQUENESS_VIOLATION")
            if (r := d.response()) is not None:
                return r
            doc["id"] = doc.get("id") or new_id()
            doc.setdefault("enabled", True)
            doc.setdefault("mfaEnabled", True)
            doc["createdAt"] = _now()
            state.p1.users[doc["id"]] = doc
            state.p1.devices.setdefault(doc["id"], [])
            state.touch()
            return JSONResponse(copy.deepcopy(doc), status_code=201)

    async def user_get(request: Request) -> Response:
        uid = request.path_params["userId"]
        with state.lock:
            if uid not in state.p1.users:
                return _not_found(f"user {uid}")
            return JSONResponse(copy.deepcopy(state.p1.users[uid]))

    async def user_put(request: Request) -> Response:
        uid = request.path_params["userId"]
        doc = await body_of(request)
        if isinstance(doc, Response):
            return doc
        with state.lock:
            if uid not in state.p1.users:
                return _not_found(f"user {uid}")
            doc["id"] = uid
            doc.setdefault("username", state.p1.users[uid].get("username"))
            state.p1.users[uid] = doc
            state.touch()
            return JSONResponse(copy.deepcopy(doc))

    async def user_delete(request: Request) -> Response:
        uid = request.path_params["userId"]
        with state.lock:
            if uid not in state.p1.users:
                return _not_found(f"user {uid}")
            del state.p1.users[uid]
            state.p1.devices.pop(uid, None)
            state.touch()
            return Response(status_code=204)

    async def devices_list(request: Request) -> Response:
        uid = request.path_params["userId"]
        with state.lock:
            if uid not in state.p1.users:
                return _not_found(f"user {uid}")
            return collection(request, "devices", copy.deepcopy(state.p1.devices.get(uid, [])))

    async def devices_create(request: Request) -> Response:
        uid = request.path_params["userId"]
        doc = await body_of(request)
        if isinstance(doc, Response):
            return doc
        with state.lock:
            if uid not in state.p1.users:
                return _not_found(f"user {uid}")
            d = _Details()
            doc.setdefault("type", "MOBILE")
            if doc["type"] not in ("MOBILE", "SMS", "EMAIL", "VOICE", "TOTP", "FIDO2"):
                d.add("type", "unknown device type")
            app = doc.get("application")
            if doc["type"] == "MOBILE" and isinstance(app, dict) and app.get("id") not in state.p1.applications:
                d.add("application.id", f"application {app.get('id')} does not exist")
            if (r := d.response()) is not None:
                return r
            doc["id"] = doc.get("id") or new_id()
            # Pairing through the mobile SDK is out of scope: a device created here is paired at once.
            doc.setdefault("status", "ACTIVE")
            doc["user"] = {"id": uid}
            doc["createdAt"] = _now()
            state.p1.devices.setdefault(uid, []).append(doc)
            state.touch()
            return JSONResponse(copy.deepcopy(doc), status_code=201)

    async def device_get(request: Request) -> Response:
        uid, did = request.path_params["userId"], request.path_params["deviceId"]
        with state.lock:
            for dev in state.p1.devices.get(uid, []):
                if dev.get("id") == did:
                    return JSONResponse(copy.deepcopy(dev))
            return _not_found(f"device {did}")

    async def device_delete(request: Request) -> Response:
        uid, did = request.path_params["userId"], request.path_params["deviceId"]
        with state.lock:
            devs = state.p1.devices.get(uid, [])
            for i, dev in enumerate(devs):
                if dev.get("id") == did:
                    del devs[i]
                    state.touch()
                    return Response(status_code=204)
            return _not_found(f"device {did}")

    # ---- generic id-keyed collections (MFA policies, applications, sign-on policies)

    def keyed(store: Callable[[], dict[str, Json]], name: str, label: str,
              check: Callable[[Json, _Details, str | None], None],
              in_use: Callable[[str], list[str]] | None = None) -> list[Route]:
        async def list_(request: Request) -> Response:
            with state.lock:
                return collection(request, name, [copy.deepcopy(x) for x in store().values()])

        async def create(request: Request) -> Response:
            doc = await body_of(request)
            if isinstance(doc, Response):
                return doc
            with state.lock:
                d = _Details()
                doc.pop("id", None)  # PingOne assigns ids
                check(doc, d, None)
                if (r := d.response()) is not None:
                    return r
                doc["id"] = new_id()
                doc["environment"] = {"id": state.p1.environment_id}
                doc["createdAt"] = doc["updatedAt"] = _now()
                store()[doc["id"]] = doc
                state.touch()
                return JSONResponse(copy.deepcopy(doc), status_code=201)

        async def get(request: Request) -> Response:
            ident = request.path_params["id"]
            with state.lock:
                if ident not in store():
                    return _not_found(f"{label} {ident}")
                return JSONResponse(copy.deepcopy(store()[ident]))

        async def put(request: Request) -> Response:
            ident = request.path_params["id"]
            doc = await body_of(request)
            if isinstance(doc, Response):
                return doc
            with state.lock:
                if ident not in store():
                    return _not_found(f"{label} {ident}")
                d = _Details()
                check(doc, d, ident)
                if (r := d.response()) is not None:
                    return r
                old = store()[ident]
                doc["id"] = ident
                doc["environment"] = {"id": state.p1.environment_id}
                doc["createdAt"] = old.get("createdAt", _now())
                doc["updatedAt"] = _now()
                if "actions" in old and "actions" not in doc:
                    doc["actions"] = old["actions"]  # actions are a sub-resource
                store()[ident] = doc
                state.touch()
                return JSONResponse(copy.deepcopy(doc))

        async def delete(request: Request) -> Response:
            ident = request.path_params["id"]
            with state.lock:
                if ident not in store():
                    return _not_found(f"{label} {ident}")
                users = in_use(ident) if in_use else []
                if users:
                    d = _Details()
                    d.add("id", f"{label} is in use by {', '.join(users)}", "CONSTRAINT_VIOLATION")
                    return d.response()  # type: ignore[return-value]
                del store()[ident]
                state.touch()
                return Response(status_code=204)

        base = f"/environments/{{envId}}/{name}"
        return [Route(base, guard(list_), methods=["GET"]), Route(base, guard(create), methods=["POST"]),
                Route(base + "/{id}", guard(get), methods=["GET"]), Route(base + "/{id}", guard(put), methods=["PUT"]),
                Route(base + "/{id}", guard(delete), methods=["DELETE"])]

    def mfa_in_use(pid: str) -> list[str]:
        users = [f"sign-on policy {p.get('name')}" for p in state.p1.sign_on_policies.values()
                 if any((a.get("deviceAuthenticationPolicy") or {}).get("id") == pid for a in p.get("actions", []))]
        return users

    def app_in_use(aid: str) -> list[str]:
        return [f"MFA policy {p.get('name')}" for p in state.p1.mfa_policies.values()
                if any(a.get("id") == aid for a in (p.get("mobile") or {}).get("applications", []))]

    def check_mfa(doc: Json, d: _Details, ident: str | None) -> None:
        _check_mfa_policy(state, doc, d)
        doc.setdefault("default", False)
        if doc.get("default") is True:
            for pid, other in state.p1.mfa_policies.items():
                if pid != ident:
                    other["default"] = False  # only one default policy per environment

    def check_app(doc: Json, d: _Details, ident: str | None) -> None:
        _check_application(doc, d)

    def check_sop(doc: Json, d: _Details, ident: str | None) -> None:
        _check_sign_on_policy(state, doc, d, ident)
        doc.setdefault("actions", [])

    routes = [
        Route("/{envId}/as/token", token, methods=["POST"]),
        Route("/environments/{envId}", guard(env_get), methods=["GET"]),
        Route("/environments/{envId}/users", guard(users_list), methods=["GET"]),
        Route("/environments/{envId}/users", guard(users_create), methods=["POST"]),
        Route("/environments/{envId}/users/{userId}", guard(user_get), methods=["GET"]),
        Route("/environments/{envId}/users/{userId}", guard(user_put), methods=["PUT"]),
        Route("/environments/{envId}/users/{userId}", guard(user_delete), methods=["DELETE"]),
        Route("/environments/{envId}/users/{userId}/devices", guard(devices_list), methods=["GET"]),
        Route("/environments/{envId}/users/{userId}/devices", guard(devices_create), methods=["POST"]),
        Route("/environments/{envId}/users/{userId}/devices/{deviceId}", guard(device_get), methods=["GET"]),
        Route("/environments/{envId}/users/{userId}/devices/{deviceId}", guard(device_delete), methods=["DELETE"]),
    ]
    routes += keyed(lambda: state.p1.mfa_policies, "deviceAuthenticationPolicies", "device authentication policy",
                    check_mfa, mfa_in_use)
    routes += keyed(lambda: state.p1.applications, "applications", "application", check_app, app_in_use)
    routes += _sign_on_routes(state, guard, body_of, collection, check_sop)
    routes += _template_routes(state, guard, body_of, collection)
    return Starlette(routes=routes)


def _sign_on_routes(state: SimulatorState, guard: Callable[[Handler], Handler], body_of: Any, collection: Any,
                    check_sop: Callable[[Json, _Details, str | None], None]) -> list[Route]:
    base = "/environments/{envId}/signOnPolicies"

    async def list_(request: Request) -> Response:
        with state.lock:
            items = [{k: copy.deepcopy(v) for k, v in p.items() if k != "actions"}
                     for p in state.p1.sign_on_policies.values()]
        return collection(request, "signOnPolicies", items)

    def strip(p: Json) -> Json:
        return {k: copy.deepcopy(v) for k, v in p.items() if k != "actions"}

    async def create(request: Request) -> Response:
        doc = await body_of(request)
        if isinstance(doc, Response):
            return doc
        with state.lock:
            d = _Details()
            doc.pop("id", None)
            doc.pop("actions", None)
            check_sop(doc, d, None)
            if (r := d.response()) is not None:
                return r
            doc["id"] = new_id()
            doc["environment"] = {"id": state.p1.environment_id}
            state.p1.sign_on_policies[doc["id"]] = doc
            state.touch()
            return JSONResponse(strip(doc), status_code=201)

    async def get(request: Request) -> Response:
        ident = request.path_params["id"]
        with state.lock:
            if ident not in state.p1.sign_on_policies:
                return _not_found(f"sign-on policy {ident}")
            return JSONResponse(strip(state.p1.sign_on_policies[ident]))

    async def put(request: Request) -> Response:
        ident = request.path_params["id"]
        doc = await body_of(request)
        if isinstance(doc, Response):
            return doc
        with state.lock:
            if ident not in state.p1.sign_on_policies:
                return _not_found(f"sign-on policy {ident}")
            d = _Details()
            doc.pop("actions", None)
            check_sop(doc, d, ident)
            if (r := d.response()) is not None:
                return r
            doc["id"] = ident
            doc["environment"] = {"id": state.p1.environment_id}
            doc["actions"] = state.p1.sign_on_policies[ident].get("actions", [])
            state.p1.sign_on_policies[ident] = doc
            state.touch()
            return JSONResponse(strip(doc))

    async def delete(request: Request) -> Response:
        ident = request.path_params["id"]
        with state.lock:
            if ident not in state.p1.sign_on_policies:
                return _not_found(f"sign-on policy {ident}")
            del state.p1.sign_on_policies[ident]
            state.touch()
            return Response(status_code=204)

    async def actions_list(request: Request) -> Response:
        ident = request.path_params["id"]
        with state.lock:
            if ident not in state.p1.sign_on_policies:
                return _not_found(f"sign-on policy {ident}")
            return collection(request, "actions", copy.deepcopy(state.p1.sign_on_policies[ident].get("actions", [])))

    async def action_create(request: Request) -> Response:
        ident = request.path_params["id"]
        doc = await body_of(request)
        if isinstance(doc, Response):
            return doc
        with state.lock:
            if ident not in state.p1.sign_on_policies:
                return _not_found(f"sign-on policy {ident}")
            d = _Details()
            _check_action(state, doc, d)
            if (r := d.response()) is not None:
                return r
            doc["id"] = new_id()
            doc["signOnPolicy"] = {"id": ident}
            doc["environment"] = {"id": state.p1.environment_id}
            state.p1.sign_on_policies[ident].setdefault("actions", []).append(doc)
            state.touch()
            return JSONResponse(copy.deepcopy(doc), status_code=201)

    def find_action(ident: str, aid: str) -> tuple[list[Json], int] | None:
        actions = state.p1.sign_on_policies.get(ident, {}).get("actions", [])
        for i, a in enumerate(actions):
            if a.get("id") == aid:
                return actions, i
        return None

    async def action_get(request: Request) -> Response:
        ident, aid = request.path_params["id"], request.path_params["actionId"]
        with state.lock:
            found = find_action(ident, aid)
            if found is None:
                return _not_found(f"sign-on policy action {aid}")
            return JSONResponse(copy.deepcopy(found[0][found[1]]))

    async def action_put(request: Request) -> Response:
        ident, aid = request.path_params["id"], request.path_params["actionId"]
        doc = await body_of(request)
        if isinstance(doc, Response):
            return doc
        with state.lock:
            found = find_action(ident, aid)
            if found is None:
                return _not_found(f"sign-on policy action {aid}")
            d = _Details()
            _check_action(state, doc, d)
            if (r := d.response()) is not None:
                return r
            doc.update({"id": aid, "signOnPolicy": {"id": ident}, "environment": {"id": state.p1.environment_id}})
            found[0][found[1]] = doc
            state.touch()
            return JSONResponse(copy.deepcopy(doc))

    async def action_delete(request: Request) -> Response:
        ident, aid = request.path_params["id"], request.path_params["actionId"]
        with state.lock:
            found = find_action(ident, aid)
            if found is None:
                return _not_found(f"sign-on policy action {aid}")
            del found[0][found[1]]
            state.touch()
            return Response(status_code=204)

    return [
        Route(base, guard(list_), methods=["GET"]), Route(base, guard(create), methods=["POST"]),
        Route(base + "/{id}", guard(get), methods=["GET"]), Route(base + "/{id}", guard(put), methods=["PUT"]),
        Route(base + "/{id}", guard(delete), methods=["DELETE"]),
        Route(base + "/{id}/actions", guard(actions_list), methods=["GET"]),
        Route(base + "/{id}/actions", guard(action_create), methods=["POST"]),
        Route(base + "/{id}/actions/{actionId}", guard(action_get), methods=["GET"]),
        Route(base + "/{id}/actions/{actionId}", guard(action_put), methods=["PUT"]),
        Route(base + "/{id}/actions/{actionId}", guard(action_delete), methods=["DELETE"]),
    ]


def _template_routes(state: SimulatorState, guard: Callable[[Handler], Handler], body_of: Any,
                     collection: Any) -> list[Route]:
    base = "/environments/{envId}/templates/{name}"

    def known(name: str) -> bool:
        return name in KNOWN_TEMPLATES or name in state.p1.template_contents

    async def template_get(request: Request) -> Response:
        name = request.path_params["name"]
        if not known(name):
            return _not_found(f"template {name}")
        dynamic = name in ("transaction", "general")
        return JSONResponse({"id": name, "name": name, "displayName": name.replace("_", " ").title(),
                             "deliveryMethods": ["Email", "SMS", "Voice", "Push"],
                             "defaultVariables": ["user.username", "user.name.given"],
                             "optionalVariables": [], "allowsDynamicVariables": dynamic})

    async def contents_list(request: Request) -> Response:
        name = request.path_params["name"]
        if not known(name):
            return _not_found(f"template {name}")
        with state.lock:
            items = copy.deepcopy(state.p1.template_contents.get(name, []))
        return collection(request, "contents", items)

    async def content_create(request: Request) -> Response:
        name = request.path_params["name"]
        if not known(name):
            return _not_found(f"template {name}")
        doc = await body_of(request)
        if isinstance(doc, Response):
            return doc
        with state.lock:
            existing = state.p1.template_contents.setdefault(name, [])
            d = _Details()
            doc.pop("id", None)
            _check_content(doc, d, existing, None)
            if (r := d.response()) is not None:
                return r
            doc["id"] = new_id()
            doc["template"] = {"id": name, "name": name}
            doc["environment"] = {"id": state.p1.environment_id}
            existing.append(doc)
            state.touch()
            return JSONResponse(copy.deepcopy(doc), status_code=201)

    def find(name: str, cid: str) -> tuple[list[Json], int] | None:
        for i, c in enumerate(state.p1.template_contents.get(name, [])):
            if c.get("id") == cid:
                return state.p1.template_contents[name], i
        return None

    async def content_get(request: Request) -> Response:
        name, cid = request.path_params["name"], request.path_params["contentId"]
        with state.lock:
            found = find(name, cid)
            if found is None:
                return _not_found(f"template content {cid}")
            return JSONResponse(copy.deepcopy(found[0][found[1]]))

    async def content_put(request: Request) -> Response:
        name, cid = request.path_params["name"], request.path_params["contentId"]
        doc = await body_of(request)
        if isinstance(doc, Response):
            return doc
        with state.lock:
            found = find(name, cid)
            if found is None:
                return _not_found(f"template content {cid}")
            d = _Details()
            _check_content(doc, d, found[0], cid)
            if (r := d.response()) is not None:
                return r
            doc.update({"id": cid, "template": {"id": name, "name": name},
                        "environment": {"id": state.p1.environment_id}})
            found[0][found[1]] = doc
            state.touch()
            return JSONResponse(copy.deepcopy(doc))

    async def content_delete(request: Request) -> Response:
        name, cid = request.path_params["name"], request.path_params["contentId"]
        with state.lock:
            found = find(name, cid)
            if found is None:
                return _not_found(f"template content {cid}")
            del found[0][found[1]]
            state.touch()
            return Response(status_code=204)

    return [
        Route(base, guard(template_get), methods=["GET"]),
        Route(base + "/contents", guard(contents_list), methods=["GET"]),
        Route(base + "/contents", guard(content_create), methods=["POST"]),
        Route(base + "/contents/{contentId}", guard(content_get), methods=["GET"]),
        Route(base + "/contents/{contentId}", guard(content_put), methods=["PUT"]),
        Route(base + "/contents/{contentId}", guard(content_delete), methods=["DELETE"]),
    ]
