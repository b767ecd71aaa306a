"""The PingFederate runtime stand-in: discovery, backchannel, token, JWKS, userinfo, plus ``/sim`` twins.

The two hot endpoints (``/as/bc-auth.ciba``, ``/as/token.oauth2``) are served by a bare ASGI
handler in front of Starlette: the form body is read and parsed here (strict
``parse_qsl``, duplicate parameters refused, 64 KiB cap -> 413), so no Starlette request/form
machinery runs on the path that carries thousands of polls per second. Everything else is a
Starlette route.

Rules and their answers (HTTP 400 unless noted; CIBA Core 11/13, RFC 6749 5.2):

| condition                                              | error                       |
|--------------------------------------------------------|-----------------------------|
| client authentication failed                           | 401 ``invalid_client``      |
| client without the CIBA grant (both endpoints)         | ``unauthorized_client``     |
| not form-encoded, bad encoding, duplicate parameter    | ``invalid_request``         |
| body larger than ``max_body_bytes``                    | 413 ``invalid_request``     |
| scope missing / without ``openid`` / unknown scope     | ``invalid_request`` / ``invalid_scope`` |
| not exactly one hint                                   | ``invalid_request``         |
| hint resolves to no user                               | ``unknown_user_id``         |
| login_hint_token expired                               | ``expired_login_hint_token``|
| binding_message fails the configured rule              | ``invalid_binding_message`` |
| user code missing / wrong                              | ``missing_user_code`` / ``invalid_user_code`` |
| requested_expiry not a positive int or > lifetime      | ``invalid_request``         |
| client_notification_token missing (ping/push) or bad   | ``invalid_request``         |
| signed request missing (when required) or params outside it | ``invalid_request``    |
| request object bad (alg, signature, aud/iss/exp/iat/nbf/jti, lifetime, client_id) | ``invalid_request_object`` |
| grant_type missing / not CIBA                          | ``invalid_request`` / ``unsupported_grant_type`` |
| auth_req_id unknown, other client's, redeemed          | ``invalid_grant``           |
| pending / polled too fast / expired / denied           | ``authorization_pending`` / ``slow_down`` / ``expired_token`` / ``access_denied`` |

User codes: checked only when the client has ``cibaUserCodeSupported`` and its request policy a
User Code PCV; a user with a code in the PCV must send it; a code sent for a user without one is
``invalid_user_code``; clients without user-code support have ``user_code`` ignored.

Contract fulfillment (:mod:`ciba_kit.simulator.fulfillment`): after the hint is resolved, the
request policy's ``identityHintMapping`` is evaluated; its ``subject`` names the PingOne user the
push goes to (the hint's subject when the policy maps none), ``USER_CODE_USER_NAME`` the PCV user,
and ``subject`` + the authenticator's extended contract become the prompt's ``$attributes``.

Overload drill (``settings.overload_503_every_n`` = N > 0): every N-th token request gets HTTP 503
``temporarily_unavailable`` with ``Retry-After: settings.overload_retry_after_s`` before anything
else is checked; ``/sim/health`` counts them (``overload_rejections``).

Device twins: ``POST /sim/devices/{id|user}/approve?number=N`` (or JSON ``{"number": N}``) for
number matching; ``/sim/ciba/{auth_req_id}/allow`` taps the right number itself.

``slow_down``: a poll arriving less than ``interval`` clock seconds (minus a 10 % tolerance for
network jitter) after the previous poll's arrival; the interval of that request then grows by 5 s.
The first poll is never throttled.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from ..protocol import jose
from ..protocol.constants import CIBA_GRANT_TYPE, MAX_REQUEST_OBJECT_LIFETIME, SLOW_DOWN_INCREMENT
from ..protocol.errors import (
    AccessDenied, AuthorizationPending, ExpiredLoginHintToken, ExpiredToken, InputError, InvalidGrant,
    InvalidRequest, InvalidRequestObject, InvalidScope, InvalidUserCode, MissingUserCode, OAuthError, ServerError,
    SlowDown, UnauthorizedClient, UnknownUserId, UnsupportedGrantType,
)
from ..protocol.rules import (
    AUTH_REQUEST_PARAMETERS, check_binding_message, check_notification_token, parse_form,
    parse_requested_expiry, scope_list, single_hint,
)
from .clientauth import authenticate_client
from .compiled import ClientConf, Compiled, PolicyConf, compile_state
from .engine import COMPLETED, FAILED, PUSH_CONFIRMATION_TIMED_OUT, _denial_text
from .fulfillment import RequestFacts

if TYPE_CHECKING:
    from .server import Simulator

__all__ = ["Runtime", "BC_PATH", "TOKEN_PATH", "JWKS_PATH", "USERINFO_PATH", "DISCOVERY_PATH"]

BC_PATH = "/as/bc-auth.ciba"
TOKEN_PATH = "/as/token.oauth2"
JWKS_PATH = "/pf/JWKS"
USERINFO_PATH = "/idp/userinfo.openid"
DISCOVERY_PATH = "/.well-known/openid-configuration"

_STATUS = {"invalid_client": 401, "server_error": 500, "temporarily_unavailable": 503}
_JSON_HEADERS = [(b"content-type", b"application/json"), (b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode
_OVERLOADED = {"error": "temporarily_unavailable",
               "error_description": "the server is overloaded (simulator overload drill); retry after Retry-After seconds"}


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


_UNSAFE_DESCRIPTION = re.compile(r'[^\x20\x21\x23-\x5b\x5d-\x7e]')


def _error_body(err: OAuthError) -> dict[str, Any]:
    out = {"error": err.error}
    if err.description:
        # error_description: printable ASCII without '"' and '\' (CIBA 13 / RFC 6749 5.2).
        out["error_description"] = _UNSAFE_DESCRIPTION.sub("", err.description)
    return out


class Runtime:
    """The ASGI application of one simulator (hot paths here, the rest in Starlette)."""

    def __init__(self, sim: "Simulator") -> None:
        self.sim = sim
        self.state = sim.state
        self.engine = sim.engine
        self.clock = sim.clock
        self.issuer = sim.issuer
        self.bc_url = self.issuer + BC_PATH
        self.token_url = self.issuer + TOKEN_PATH
        self.audiences = (self.issuer, self.issuer + "/", self.token_url, self.bc_url)
        self._compiled: Compiled | None = None
        self._discovery: tuple[int, bytes] | None = None
        self.token_requests = 0        # counted only while the overload drill is on
        self.overload_rejections = 0   # token requests answered 503 by the drill
        self.app = self._build_starlette()

    # ----------------------------------------------------------------- configuration
    def compiled(self) -> Compiled:
        """The compiled configuration of the current ``state.version`` (recompiled after writes)."""
        c = self._compiled
        st = self.state
        if c is None or c.version != st.version:
            with st.lock:
                c = compile_state(st)
            self._compiled = c
        return c

    def discovery(self) -> dict[str, Any]:
        conf = self.compiled()
        modes = ["poll", "ping"] + (["push"] if conf.push_enabled else [])
        iss = self.issuer
        return {
            "issuer": iss,
            "authorization_endpoint": iss + "/as/authorization.oauth2",
            "token_endpoint": self.token_url,
            "backchannel_authentication_endpoint": self.bc_url,
            "jwks_uri": iss + JWKS_PATH,
            "userinfo_endpoint": iss + USERINFO_PATH,
            "backchannel_token_delivery_modes_supported": modes,
            "backchannel_authentication_request_signing_alg_values_supported": list(jose.ASYMMETRIC_ALGS),
            "backchannel_user_code_parameter_supported": conf.user_code_supported,
            "grant_types_supported": [CIBA_GRANT_TYPE, "refresh_token"],
            "response_types_supported": ["code", "id_token", "token id_token", "code id_token"],
            "scopes_supported": list(self.state.sim.scopes),
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "name", "given_name",
                                 "family_name", "preferred_username", "email", "email_verified", "locale"],
            "subject_types_supported": ["public"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post",
                                                      "client_secret_jwt", "private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": list(jose.ASYMMETRIC_ALGS + jose.SYMMETRIC_ALGS),
            "id_token_signing_alg_values_supported": ["ES256"],
            "userinfo_signing_alg_values_supported": [],
            "request_parameter_supported": True,
            "claims_parameter_supported": False,
            "x_ciba_kit_simulator": True,
        }

    # ----------------------------------------------------------------- ASGI entry
    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                       send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path == TOKEN_PATH or path == BC_PATH:
                await self._hot(scope, receive, send, path)
                return
        await self.app(scope, receive, send)

    async def _hot(self, scope: dict[str, Any], receive: Any, send: Any, path: str) -> None:
        if scope["method"] != "POST":
            await self._send(send, 405, {"error": "invalid_request", "error_description": "use POST"},
                             [(b"allow", b"POST")])
            return
        ctype = authz = None
        length = 0
        for name, value in scope["headers"]:
            if name == b"content-type":
                ctype = value
            elif name == b"authorization":
                authz = value
            elif name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = -1
        limit = self.state.sim.max_body_bytes
        try:
            if length > limit:
                raise _TooLarge()
            body = await self._read(receive, limit)
        except _TooLarge:
            await self._send(send, 413, {"error": "invalid_request", "error_description": "request body too large"})
            return
        except _Disconnected:
            return
        extra: list[tuple[bytes, bytes]] = []
        if path == TOKEN_PATH:
            every = self.state.sim.overload_503_every_n
            if every > 0:
                self.token_requests += 1
                if self.token_requests % every == 0:
                    self.overload_rejections += 1
                    await self._send(send, 503, _OVERLOADED, [
                        (b"retry-after", str(self.state.sim.overload_retry_after_s).encode())])
                    return
        try:
            if ctype is None or not ctype.split(b";", 1)[0].strip().lower() == b"application/x-www-form-urlencoded":
                raise InvalidRequest("the body must be application/x-www-form-urlencoded")
            form = parse_form(body)
            try:
                auth = authz.decode("latin-1") if authz is not None else None
            except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
                auth = None
            if path == TOKEN_PATH:
                status, out = 200, self.token(form, auth)
            else:
                peer = scope.get("client")
                status, out = 200, self.backchannel(form, auth, peer[0] if peer else None)
        except OAuthError as err:
            status = _STATUS.get(err.error, 400)
            if getattr(err, "www_basic", False):
                extra.append((b"www-authenticate", b'Basic realm="PingFederate"'))
            out = _error_body(err)
        except Exception as exc:  # noqa: BLE001 - a bug must answer JSON, not kill the connection
            status, out = 500, {"error": "server_error", "error_description": f"simulator fault: {type(exc).__name__}"}
        await self._send(send, status, out, extra)

    @staticmethod
    async def _read(receive: Any, limit: int) -> bytes:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            raise _Disconnected()
        body = msg.get("body", b"")
        if not msg.get("more_body"):
            if len(body) > limit:
                raise _TooLarge()
            return body
        chunks = [body]
        size = len(body)
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                raise _Disconnected()
            b = msg.get("body", b"")
            size += len(b)
            if size > limit:
                raise _TooLarge()
            chunks.append(b)
            if not msg.get("more_body"):
                return b"".join(chunks)

    @staticmethod
    async def _send(send: Any, status: int, obj: Any, extra: list[tuple[bytes, bytes]] | None = None) -> None:
        body = _dumps(obj).encode()
        headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
        if extra:
            headers.extend(extra)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    # ----------------------------------------------------------------- client auth
    def _client(self, form: dict[str, str], authz: str | None, conf: Compiled) -> ClientConf:
        return authenticate_client(form, authz, conf, audiences=self.audiences, now=self.clock.time(),
                                   skew=self.state.sim.clock_skew_s, remember_jti=self.engine.remember_jti)

    # ----------------------------------------------------------------- backchannel endpoint
    def backchannel(self, form: dict[str, str], authz: str | None, client_ip: str | None = None) -> dict[str, Any]:
        """Validate a backchannel authentication request; return the acknowledgement."""
        conf = self.compiled()
        settings = self.state.sim
        client = self._client(form, authz, conf)
        if not client.ciba:
            raise UnauthorizedClient("this client is not allowed to use the CIBA grant")
        policy = client.policy
        if policy is None or policy.problem:
            raise ServerError(policy.problem if policy else "no CIBA request policy for this client and no default")
        from_jwt = False
        params: dict[str, Any] = form
        if "request" in form:
            params = self._request_object(form, client)
            from_jwt = True
        elif client.require_signed:
            raise InvalidRequest("this client must send a signed request object (the request parameter)")
        scope = params.get("scope")
        if not scope:
            raise InvalidRequest("scope is required")
        scopes = scope_list(scope)
        if "openid" not in scopes:
            raise InvalidScope("scope must contain openid")
        unknown = [s for s in scopes if s not in settings.scopes]
        if unknown:
            raise InvalidScope(f"unknown scope {unknown[0][:40]!r}")
        hint_name, hint = single_hint(params)
        binding = params.get("binding_message")
        check_binding_message(binding, settings.binding_message_pattern)
        requested = parse_requested_expiry(params.get("requested_expiry"), policy.lifetime, allow_number=from_jwt)
        token = check_notification_token(params.get("client_notification_token"),
                                         required=client.mode in ("ping", "push"))
        acr_values = params.get("acr_values")
        acr = acr_values.split()[0] if acr_values and acr_values.split() else None
        hint_sub, hint_claims = self._resolve_hint(hint_name, hint, client, policy)
        # The request policy's contract fulfillment: subject (the PingOne user the authenticator
        # pushes to), the authenticator's extended contract, USER_CODE_USER_NAME for the PCV.
        values, warnings = policy.fulfillment.evaluate(RequestFacts(
            params=params, hint_name=hint_name, hint_subject=hint_sub, hint_claims=hint_claims,
            client_id=client.id, client_ip=client_ip, scopes=scopes))
        subject = values.get("subject")
        username = subject if isinstance(subject, str) and subject else hint_sub
        user = conf.users.get(username)
        if user is None:
            raise UnknownUserId("the hint does not identify a known user")
        if client.user_code and policy.user_codes is not None:
            code = params.get("user_code")
            code_user = values.get("USER_CODE_USER_NAME")
            expected = policy.user_codes.get(code_user if isinstance(code_user, str) and code_user else username)
            if expected:
                if not code:
                    raise MissingUserCode("this user must send a user_code")
                if not hmac.compare_digest(str(code).encode(), expected.encode()):
                    raise InvalidUserCode("the user_code is wrong")
            elif code:
                raise InvalidUserCode("no user code is registered for this user")
        expires_in = requested or policy.lifetime
        if policy.warnings:
            warnings = [*policy.warnings, *warnings] if warnings else list(policy.warnings)
        tx = self.engine.create(client=client, user=user, scopes=scopes, acr=acr, binding_message=binding,
                                notification_token=token, expires_in=expires_in, templates=conf.templates,
                                default_language=conf.default_language,
                                contract_attributes=policy.fulfillment.for_authenticator(values),
                                warnings=warnings)
        ack: dict[str, Any] = {"auth_req_id": tx.auth_req_id, "expires_in": expires_in}
        if client.mode != "push":
            ack["interval"] = client.interval
        return ack

    def _request_object(self, form: dict[str, str], client: ClientConf) -> dict[str, Any]:
        outside = [p for p in AUTH_REQUEST_PARAMETERS if p in form]
        if outside:
            raise InvalidRequest(f"with a signed request, {', '.join(outside)} must be inside the request object only")
        jwt = form["request"]
        try:
            header, claims = jose.decode_unverified(jwt)
        except jose.JwtError:
            raise InvalidRequestObject("the request parameter is not a signed JWT") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg.lower() == "none" or alg not in client.request_algs:
            raise InvalidRequestObject(f"request object alg {str(alg)[:10]!r} not allowed for this client "
                                       f"(allowed: {', '.join(client.request_algs)})")
        if client.keyset is None:
            raise InvalidRequestObject("the client has no JWKS to verify request objects (jwksSettings)")
        try:
            jose.verify_jwt(jwt, client.keyset, client.request_algs)
        except jose.JwtError as exc:
            raise InvalidRequestObject(f"request object signature rejected: {str(exc)[:100]}") from None
        now = self.clock.time()
        skew = self.state.sim.clock_skew_s
        aud = claims.get("aud")
        auds = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if not any(a in self.audiences for a in auds if isinstance(a, str)):
            raise InvalidRequestObject("request object aud must be the issuer (or the token/backchannel URL)")
        if claims.get("iss") != client.id:
            raise InvalidRequestObject("request object iss must be the client_id")
        nums: dict[str, float] = {}
        for name in ("exp", "iat", "nbf"):
            v = claims.get(name)
            if v is None:
                raise InvalidRequestObject(f"request object {name} is required")
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise InvalidRequestObject(f"request object {name} must be a number")
            nums[name] = float(v)
        if nums["exp"] <= now - skew:
            raise InvalidRequestObject("request object has expired")
        if nums["iat"] > now + skew:
            raise InvalidRequestObject("request object iat is in the future")
        if nums["nbf"] > now + skew:
            raise InvalidRequestObject("request object is not valid yet (nbf)")
        if nums["nbf"] < now - MAX_REQUEST_OBJECT_LIFETIME - skew:
            raise InvalidRequestObject("request object nbf is more than 60 minutes in the past")
        if nums["exp"] - nums["nbf"] > MAX_REQUEST_OBJECT_LIFETIME or nums["exp"] > now + MAX_REQUEST_OBJECT_LIFETIME + skew:
            raise InvalidRequestObject("request object lifetime exceeds 60 minutes")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise InvalidRequestObject("request object jti is required")
        inner_cid = claims.get("client_id")
        if inner_cid is None:
            raise InvalidRequestObject("request object must carry client_id (PingFederate wants it inside and outside)")
        if inner_cid != client.id or ("client_id" in form and form["client_id"] != client.id):
            raise InvalidRequestObject("client_id inside and outside the request object must match")
        if not self.engine.remember_jti(f"request|{client.id}|{jti}", nums["exp"] + skew):
            raise InvalidRequestObject("request object jti was already used (replay)")
        params: dict[str, Any] = {}
        for name in AUTH_REQUEST_PARAMETERS:
            if name in claims:
                v = claims[name]
                if name != "requested_expiry" and not isinstance(v, str):
                    raise InvalidRequest(f"{name} in the request object must be a string")
                params[name] = v
        return params

    def _resolve_hint(self, name: str, value: str, client: ClientConf,
                      policy: PolicyConf) -> tuple[str, dict[str, Any] | None]:
        """The hint's subject and, for a hint token, its claims (for claim-path contract attributes)."""
        if name == "login_hint":
            if policy.require_token_hint:
                raise InvalidRequest("the request policy requires id_token_hint or login_hint_token")
            return value, None
        try:
            header, claims = jose.decode_unverified(value)
        except jose.JwtError:
            raise InvalidRequest(f"{name} is not a JWT") from None
        alg = header.get("alg")
        if name == "id_token_hint":
            try:
                jose.verify_jwt(value, self.sim.signing_key, ["ES256"])
            except jose.JwtError:
                raise InvalidRequest("id_token_hint was not issued by this server") from None
            if claims.get("iss") != self.issuer:
                raise InvalidRequest("id_token_hint iss is not this issuer")
        else:
            if not isinstance(alg, str) or alg.lower() == "none":
                if not policy.allow_unsigned_lht:
                    raise InvalidRequest("unsigned login_hint_token is not allowed by the request policy "
                                         "(allowUnsignedLoginHintToken)")
            else:
                iss = claims.get("iss")
                keys = policy.alt_issuers.get(iss) if isinstance(iss, str) else None
                if keys is None and iss == client.id:
                    keys = client.keyset
                if keys is None:
                    raise InvalidRequest("login_hint_token issuer is not trusted")
                try:
                    jose.verify_jwt(value, keys, jose.ASYMMETRIC_ALGS)
                except jose.JwtError:
                    raise InvalidRequest("login_hint_token signature rejected") from None
            exp = claims.get("exp")
            if isinstance(exp, (int, float)) and not isinstance(exp, bool) and exp <= self.clock.time():
                raise ExpiredLoginHintToken("the login_hint_token has expired")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise InvalidRequest(f"{name} has no sub")
        return sub, claims

    # ----------------------------------------------------------------- token endpoint
    def token(self, form: dict[str, str], authz: str | None) -> dict[str, Any]:
        """Token endpoint for the CIBA grant (and refresh_token for clients that got one)."""
        conf = self.compiled()
        client = self._client(form, authz, conf)
        grant = form.get("grant_type")
        if not grant:
            raise InvalidRequest("grant_type is required")
        if grant == "refresh_token":
            return self._refresh(form, client)
        if grant != CIBA_GRANT_TYPE:
            raise UnsupportedGrantType(f"grant_type {grant[:60]!r} is not supported here")
        if not client.ciba:
            raise UnauthorizedClient("this client is not allowed to use the CIBA grant")
        if client.mode == "push":
            raise UnauthorizedClient("push clients receive tokens at their notification endpoint")
        rid = form.get("auth_req_id")
        if not rid:
            raise InvalidRequest("auth_req_id is required")
        engine = self.engine
        tx = engine.lookup(rid)
        if tx is None or tx.client.id != client.id:
            raise InvalidGrant("unknown auth_req_id, or issued to another client")
        now = self.clock.monotonic()
        with engine.lock:
            engine._settle(tx, now)
            t = tx.truth
            t.polls += 1
            if tx.redeemed:
                raise InvalidGrant("this auth_req_id was already redeemed")
            if now >= tx.expires_at:
                raise ExpiredToken("the auth_req_id has expired")
            status = tx.status
            if status == COMPLETED:
                tx.redeemed = True
            elif status == FAILED or (status == PUSH_CONFIRMATION_TIMED_OUT
                                      and self.state.sim.push_timeout_result != "pending"):
                raise AccessDenied(_denial_text(tx, self.state.sim))
            else:
                interval = tx.interval
                last = tx.last_poll
                tx.last_poll = now
                if interval > 0 and last is not None and now - last < interval * 0.9:
                    tx.interval = interval + SLOW_DOWN_INCREMENT
                    t.slow_downs += 1
                    raise SlowDown(f"polled after {now - last:.1f} s; wait at least {tx.interval} s between polls")
                raise AuthorizationPending("the user has not answered yet")
        return engine.issue_tokens(tx)

    def _refresh(self, form: dict[str, str], client: ClientConf) -> dict[str, Any]:
        rt = form.get("refresh_token")
        if not rt:
            raise InvalidRequest("refresh_token is required")
        info = self.engine.refresh_tokens.get(rt)
        if info is None or info["client_id"] != client.id:
            raise InvalidGrant("unknown refresh_token, or issued to another client")
        import secrets
        import heapq
        eng = self.engine
        tok = secrets.token_urlsafe(32)
        exp = self.clock.monotonic() + self.state.sim.access_token_lifetime
        with eng.lock:
            eng.access_tokens[tok] = {"sub": info["user"].username, "scopes": info["tx_scopes"],
                                      "client_id": client.id, "exp": exp, "user": info["user"]}
            heapq.heappush(eng._token_heap, (exp, tok))
        return {"access_token": tok, "token_type": "Bearer", "expires_in": self.state.sim.access_token_lifetime,
                "scope": " ".join(info["tx_scopes"])}

    # ----------------------------------------------------------------- Starlette part
    def _build_starlette(self) -> Starlette:
        engine = self.engine

        async def discovery(request: Request) -> Response:
            v = self.state.version
            cached = self._discovery
            if cached is None or cached[0] != v:
                cached = self._discovery = (v, _dumps(self.discovery()).encode())
            return Response(cached[1], media_type="application/json")

        async def jwks(request: Request) -> Response:
            return JSONResponse(self.sim.jwks())

        async def userinfo(request: Request) -> Response:
            auth = request.headers.get("authorization", "")
            token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
            if token is None and request.method == "POST":
                body = await request.body()
                if len(body) <= self.state.sim.max_body_bytes:
                    try:
                        token = parse_form(body).get("access_token")
                    except OAuthError:
                        token = None
            info = engine.userinfo(token) if token else None
            if info is None:
                return JSONResponse({"error": "invalid_token", "error_description": "missing, unknown or expired token"},
                                    status_code=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
            return JSONResponse(info, headers={"Cache-Control": "no-store"})

        async def sim_pending(request: Request) -> Response:
            user = request.query_params.get("user") or None
            return JSONResponse({"items": [p.to_dict() for p in engine.pending_prompts(user)]})

        async def sim_decide(request: Request) -> Response:
            ident = request.path_params["ident"]
            action = request.path_params["action"]
            if action not in ("approve", "deny"):
                return JSONResponse({"error": "not_found", "message": "action must be approve or deny"}, 404)
            # Number matching: ?number=N or a JSON body {"number": N}.
            raw: Any = request.query_params.get("number")
            if raw is None and request.headers.get("content-type", "").startswith("application/json"):
                try:
                    doc = json.loads(await request.body() or b"{}")
                except ValueError:
                    return JSONResponse({"error": "invalid_request", "message": "the body is not JSON"}, 400)
                raw = doc.get("number") if isinstance(doc, dict) else None
            number: int | None = None
            if raw is not None:
                try:
                    number = int(raw)
                except (TypeError, ValueError):
                    return JSONResponse({"error": "invalid_request", "message": "number must be an integer"}, 400)
            try:
                p = engine.decide_manually(ident, action == "approve", number=number)
            except InputError as exc:
                if exc.field == "number":
                    return JSONResponse({"error": "invalid_request", "message": str(exc)}, 400)
                return JSONResponse({"error": "not_found", "message": str(exc)}, 404)
            return JSONResponse(p.to_dict())

        async def sim_wait(request: Request) -> Response:
            user = request.query_params.get("user") or None
            try:
                timeout = min(60.0, max(0.0, float(request.query_params.get("timeout", "5"))))
            except ValueError:
                return JSONResponse({"error": "invalid_request", "message": "timeout must be a number"}, 400)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while True:
                found = engine.pending_prompts(user)
                if found:
                    return JSONResponse(found[0].to_dict())
                if loop.time() >= deadline:
                    return JSONResponse({"error": "timeout", "message": f"no prompt within {timeout:g} s"}, 408)
                await asyncio.sleep(0.02)

        async def sim_truth(request: Request) -> Response:
            ident = request.path_params.get("ident")
            if ident is None:
                return JSONResponse({"items": [r.to_dict() for r in engine.truth()]})  # type: ignore[union-attr]
            try:
                rec = engine.truth(ident)
            except KeyError:
                return JSONResponse({"error": "not_found", "message": "no ground truth for that id"}, 404)
            return JSONResponse(rec.to_dict())  # type: ignore[union-attr]

        async def sim_ciba_action(request: Request) -> Response:
            # Conformance-suite style hook: automated_ciba_approval_url = .../sim/ciba/{auth_req_id}/{action}
            tx = engine.lookup(request.path_params["auth_req_id"])
            action = request.path_params["action"]
            if tx is None or action not in ("allow", "deny", "approve"):
                return JSONResponse({"error": "not_found"}, 404)
            try:
                engine.decide_manually(tx.device_id, action != "deny", auto_number=True)
            except InputError as exc:
                return JSONResponse({"error": "conflict", "message": str(exc)}, 409)
            return JSONResponse({"ok": True})

        async def sim_health(request: Request) -> Response:
            return JSONResponse({"ok": True, "issuer": self.issuer, "config_version": self.state.version,
                                 "overload_rejections": self.overload_rejections})

        routes: list[Any] = [
            Route(DISCOVERY_PATH, discovery, methods=["GET"]),
            Route(JWKS_PATH, jwks, methods=["GET"]),
            Route(USERINFO_PATH, userinfo, methods=["GET", "POST"]),
            Route("/sim/health", sim_health, methods=["GET"]),
            Route("/sim/devices/pending", sim_pending, methods=["GET"]),
            Route("/sim/devices/wait", sim_wait, methods=["GET"]),
            Route("/sim/devices/{ident}/{action}", sim_decide, methods=["POST"]),
            Route("/sim/truth", sim_truth, methods=["GET"]),
            Route("/sim/truth/{ident}", sim_truth, methods=["GET"]),
            Route("/sim/ciba/{auth_req_id}/{action}", sim_ciba_action, methods=["GET", "POST"]),
        ]
        try:
            from .admin_api import build_admin_app
            routes.append(Mount("/pf-admin-api/v1", app=build_admin_app(self.state)))
        except ImportError:
            pass
        try:
            from .pingone_api import build_pingone_app
            routes.append(Mount("/pingone/v1", app=build_pingone_app(self.state)))
        except ImportError:
            pass
        return Starlette(routes=routes)
