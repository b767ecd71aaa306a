"""The async CIBA client: discovery, the authentication request, poll / ping / push, ID-token checks.

```python
client = CibaClient.discover(issuer, "demo-poll", auth=ClientSecretBasic("demo-poll-secret"))
flow = await client.authenticate(login_hint="alice", binding_message="W4SCT")   # FlowResult
req = await client.start(login_hint="frank")                                    # AuthRequest
flow = await client.wait(req)
```

Protocol rules live in :mod:`ciba_kit.protocol` (messages, the poll schedule, discovery checks,
ID-token validation); this module only does I/O and keeps the timeline. All waiting goes through
the injected :class:`~ciba_kit.protocol.clock.Clock`, so a ``ScaledClock`` shared with the simulator
makes a 120-second transaction pass in seconds, and nothing here sleeps on its own.
"""

from __future__ import annotations

import asyncio
import json
import math
import warnings
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from ..protocol import jose
from ..protocol.clock import SYSTEM_CLOCK, Clock
from ..protocol.constants import DeliveryMode, ErrorCode, Outcome
from ..protocol.discovery import ProviderMetadata, check_ciba_support, discovery_url
from ..protocol.errors import (
    CibaError,
    DiscoveryError,
    InputError,
    OAuthError,
    ProtocolError,
    TransportError,
)
from ..protocol.idtoken import DEFAULT_ID_TOKEN_ALGS, UnknownSigningKey, validate_id_token
from ..protocol.masking import mask_text
from ..protocol.messages import (
    TokenResponse,
    build_auth_request,
    new_notification_token,
    parse_acknowledgement,
    parse_error_response,
    parse_json_body,
    parse_token_response,
    request_object_claims,
    token_request_form,
)
from ..protocol.polling import PollSchedule, Stop, Wait, parse_retry_after
from .auth import ClientAuth, PrivateKeyJwt
from .http import HttpResponse, HttpSession, check_url, make_ssl_context, sync_get
from .models import AuthRequest, FlowResult, Latency, Recorder, TokenSet, error_fields
from .receiver import NotificationReceiver

__all__ = ["CibaClient"]

_UNAVAILABLE = (429, 503)


class CibaClient:
    """An async CIBA client for one OAuth client at one provider.

    Build it with :meth:`discover` (reads the discovery document and the JWKS) rather than directly.
    One client serves any number of concurrent flows. With thousands pending in one process, give
    CPython's garbage collector a larger young generation (``gc.set_threshold(50_000, 20, 100)``):
    ``bench/bench_client.py`` shows full collections otherwise eating half the process's time.

    Args:
        metadata: The provider's metadata (endpoints are always taken from here).
        client_id: The OAuth client id.
        auth: Client authentication (:class:`~ciba_kit.client.auth.ClientSecretBasic`, ...).
        jwks: The provider's JWKS document (fetched by :meth:`discover`; refreshed once on an unknown kid).
        mode: The client's registered token delivery mode: ``poll`` (default), ``ping`` or ``push``.
        receiver: The :class:`NotificationReceiver` for ping/push.
        clock: Injected time (share the simulator's ``ScaledClock`` in demos).
        verify: TLS verification: ``True`` (system CAs), a CA bundle path, an ``ssl.SSLContext``, or
            ``False`` (warns; only with ``allow_insecure_http``).
        timeout: HTTP timeout in real seconds.
        transport: ``"aiohttp"`` (default: low CPU per request) or ``"httpx"``.
        allow_insecure_http: Accept ``http://`` to non-loopback hosts (warns).
        sign_requests: Send the authentication request as a signed request object by default.
        request_signing_key: Key for request objects (default: the PrivateKeyJwt key).
        request_signing_alg: Alg for request objects (default: the key's alg).
        request_object_lifetime: Seconds between ``nbf`` and ``exp`` of a request object (<= 3600).
        id_token_algs: Allow-list of ID token algs (default: the provider's advertised asymmetric algs).
        leeway: Seconds of clock skew tolerated on ID token times.
        min_interval: Client-side floor for the poll interval.
        poll_tick: Wake-ups for polls are rounded up to this grid of clock seconds (default 0.05), so
            that thousands of pending flows wake together in few loop iterations instead of one
            each; a poll is never early, at most ``poll_tick`` late. 0 disables it.
        poll_anchor: ``"response"`` (default): the interval runs from the previous poll's answer, so
            even a poll delayed by a busy loop or network never arrives early at a provider that
            throttles on arrival times; ``"send"``: from the previous send (CIBA's bare minimum).
        assertion_audience: ``aud`` of client assertions: ``"token_endpoint"`` (default, what
            PingFederate documents), ``"issuer"``, or ``"endpoint"`` (the URL being called).
        require_id_token: Treat a token response without ``id_token`` as a protocol error.
        max_connections: HTTP connection pool size.
    """

    def __init__(
        self,
        metadata: ProviderMetadata,
        client_id: str,
        *,
        auth: ClientAuth,
        jwks: Mapping[str, Any] | None = None,
        mode: DeliveryMode | str = DeliveryMode.POLL,
        receiver: NotificationReceiver | None = None,
        clock: Clock | None = None,
        verify: Any = True,
        timeout: float = 10.0,
        transport: str = "aiohttp",
        allow_insecure_http: bool = False,
        sign_requests: bool = False,
        request_signing_key: Any = None,
        request_signing_alg: str | None = None,
        request_object_lifetime: int = 300,
        id_token_algs: Iterable[str] | None = None,
        leeway: float = 60.0,
        min_interval: float = 0.0,
        poll_tick: float = 0.05,
        poll_anchor: str = "response",
        assertion_audience: str = "token_endpoint",
        require_id_token: bool = True,
        max_connections: int = 100,
        ssl_context: Any = None,
    ) -> None:
        if not isinstance(client_id, str) or not client_id:
            raise InputError("client_id", "must be a non-empty string", "pass the OAuth client's id")
        if not isinstance(auth, ClientAuth):
            raise InputError("auth", f"expected a client authentication object, got {type(auth).__name__}",
                             "pass e.g. auth=ClientSecretBasic('...')")
        try:
            self.mode = DeliveryMode(mode)
        except ValueError:
            raise InputError("mode", f"unknown delivery mode {mode!r}", "use poll, ping or push") from None
        if self.mode != DeliveryMode.POLL and receiver is None:
            raise InputError("receiver", f"{self.mode.value} mode needs a NotificationReceiver",
                             "pass receiver=NotificationReceiver.start('http://127.0.0.1:9032/cb')")
        if assertion_audience not in ("token_endpoint", "issuer", "endpoint"):
            raise InputError("assertion_audience", f"unknown value {assertion_audience!r}",
                             "use token_endpoint, issuer or endpoint")
        self.metadata = metadata
        self.client_id = client_id
        self.auth = auth
        self.receiver = receiver
        self.clock: Clock = clock or SYSTEM_CLOCK
        self.allow_insecure_http = allow_insecure_http
        for name, url in metadata.endpoints().items():
            if url:
                check_url(url, field=name, allow_insecure_http=allow_insecure_http)
        if verify is False:
            warnings.warn("TLS certificate verification is off", stacklevel=2)
        self._ssl = ssl_context or make_ssl_context(verify=verify, cert=auth.cert)
        self.http = HttpSession(ssl_context=self._ssl, timeout=timeout, transport=transport,
                                max_connections=max_connections)
        self._jwks: dict[str, Any] = dict(jwks) if jwks else {"keys": []}
        self._refreshed_kids: set[str] = set()
        self.sign_requests = sign_requests
        self._req_key = request_signing_key
        if self._req_key is None and isinstance(auth, PrivateKeyJwt):
            self._req_key = auth.key
        elif self._req_key is not None and not hasattr(self._req_key, "as_dict"):
            try:
                self._req_key = jose.load_private_key(self._req_key)
            except (jose.JwtError, ValueError, OSError) as exc:
                raise InputError("request_signing_key", f"cannot load the key ({exc})",
                                 "pass a private JWK or PEM") from None
            if not self._req_key.is_private:
                raise InputError("request_signing_key", "the key has no private part",
                                 "pass the private key, not the public JWK")
        self.request_signing_alg = request_signing_alg or (
            auth.alg if isinstance(auth, PrivateKeyJwt) and self._req_key is auth.key
            else getattr(self._req_key, "alg", None) or ("ES256" if self._req_key is not None else None))
        self.request_object_lifetime = request_object_lifetime
        advertised = [a for a in metadata.id_token_signing_alg_values_supported if a in DEFAULT_ID_TOKEN_ALGS]
        self.id_token_algs = tuple(id_token_algs) if id_token_algs else tuple(advertised or DEFAULT_ID_TOKEN_ALGS)
        self.leeway = leeway
        self.min_interval = min_interval
        self.poll_tick = max(0.0, float(poll_tick))
        if poll_anchor not in ("send", "response"):
            raise InputError("poll_anchor", f"unknown value {poll_anchor!r}", "use 'response' (default) or 'send'")
        self.poll_anchor = poll_anchor
        self.assertion_audience = assertion_audience
        self.require_id_token = require_id_token
        self._token_url = httpx.URL(metadata.token_endpoint) if metadata.token_endpoint else None
        self._bc_url = httpx.URL(metadata.backchannel_authentication_endpoint or "")

    # ------------------------------------------------------------------ discovery
    @classmethod
    def discover(cls, issuer: str, client_id: str, *, auth: ClientAuth, user_code: bool = False,
                 **opts: Any) -> CibaClient:
        """Read ``issuer``'s discovery document and JWKS, check CIBA support, return a client.

        Blocking (one-off HTTP); use :meth:`adiscover` inside a running loop if blocking matters.

        Args:
            issuer: The provider's issuer URL.
            client_id: The OAuth client id.
            auth: Client authentication.
            user_code: The client will send ``user_code`` (checked against the metadata).
            **opts: Any :class:`CibaClient` keyword (mode, receiver, clock, verify, sign_requests...).

        Raises:
            InputError: bad issuer URL or options.
            DiscoveryError: the provider lacks CIBA features this client needs (``missing`` lists them).
            TransportError, ProtocolError: the documents could not be fetched or parsed.
        """
        allow = bool(opts.get("allow_insecure_http", False))
        check_url(issuer, field="issuer", allow_insecure_http=allow)
        if not isinstance(auth, ClientAuth):
            raise InputError("auth", f"expected a client authentication object, got {type(auth).__name__}",
                             "pass e.g. auth=ClientSecretBasic('...')")
        verify = opts.pop("verify", True)
        timeout = float(opts.get("timeout", 10.0))
        if verify is False:
            warnings.warn("TLS certificate verification is off", stacklevel=2)
        ctx = opts.pop("ssl_context", None) or make_ssl_context(verify=verify, cert=auth.cert)
        resp = sync_get(discovery_url(issuer), ssl_context=ctx, timeout=timeout)
        if resp.status != 200:
            raise DiscoveryError(f"{discovery_url(issuer)} answered HTTP {resp.status}, not a discovery document",
                                 missing=["/.well-known/openid-configuration"])
        meta = ProviderMetadata.from_dict(parse_json_body(resp.status, resp.content_type, resp.content,
                                                          what="discovery document"))
        mode = opts.get("mode", DeliveryMode.POLL)
        signing_alg = None
        if opts.get("sign_requests"):
            key = opts.get("request_signing_key") or (auth.key if isinstance(auth, PrivateKeyJwt) else None)
            if key is None:
                raise InputError("request_signing_key", "signed requests need a private key",
                                 "use PrivateKeyJwt auth or pass request_signing_key")
            signing_alg = opts.get("request_signing_alg") or (
                auth.alg if isinstance(auth, PrivateKeyJwt) else getattr(key, "alg", None) or "ES256")
        check_ciba_support(meta, expected_issuer=issuer, mode=mode, auth_method=auth.method.value,
                           signing_alg=signing_alg, user_code=user_code)
        assert meta.jwks_uri is not None
        check_url(meta.jwks_uri, field="jwks_uri", allow_insecure_http=allow)
        jr = sync_get(meta.jwks_uri, ssl_context=ctx, timeout=timeout)
        jwks = _jwks_from(jr)
        return cls(meta, client_id, auth=auth, jwks=jwks, ssl_context=ctx, **opts)

    @classmethod
    async def adiscover(cls, issuer: str, client_id: str, *, auth: ClientAuth, **opts: Any) -> CibaClient:
        """:meth:`discover` without blocking the running loop (runs it in a worker thread)."""
        return await asyncio.to_thread(lambda: cls.discover(issuer, client_id, auth=auth, **opts))

    @property
    def issuer(self) -> str:
        return self.metadata.issuer

    @property
    def jwks(self) -> dict[str, Any]:
        """The cached provider JWKS (public keys)."""
        return self._jwks

    # ------------------------------------------------------------------ plumbing
    def _audience(self, endpoint: httpx.URL) -> str:
        if self.assertion_audience == "issuer":
            return self.metadata.issuer
        if self.assertion_audience == "endpoint":
            return str(endpoint)
        return self.metadata.token_endpoint or self.metadata.issuer

    def _authed(self, form: dict[str, str], endpoint: httpx.URL) -> tuple[bytes, dict[str, str]]:
        headers: dict[str, str] = {}
        self.auth.apply(self.client_id, form, headers, audience=self._audience(endpoint), now=self.clock.time())
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Accept"] = "application/json"
        return urlencode(form).encode(), headers

    async def _send(self, url: httpx.URL, body: bytes, headers: dict[str, str], *,
                    prepared: httpx.Request | None = None) -> HttpResponse:
        return await self.http.request("POST", url, content=body, headers=headers, clock_now=self.clock.monotonic,
                                       prepared=prepared)

    def _scrub(self, exc: CibaError, secrets: Iterable[str | None]) -> CibaError:
        # Server error bodies can echo what we sent; never let a secret reach a message.
        allsec = [*self.auth.secrets(), *secrets]
        msg = str(exc)
        clean = mask_text(msg, allsec)
        if clean != msg:
            exc.args = (clean,)
        if isinstance(exc, OAuthError) and exc.description:
            exc.description = mask_text(exc.description, allsec)
        return exc

    def _error_from(self, resp: HttpResponse, endpoint: str) -> CibaError:
        """An OAuthError for a JSON error body, or a ProtocolError for anything else."""
        try:
            data = parse_json_body(resp.status, resp.content_type, resp.content, what=f"{endpoint} error response")
            return parse_error_response(data, status=resp.status, endpoint=endpoint)
        except ProtocolError as exc:
            return exc

    async def refresh_jwks(self) -> dict[str, Any]:
        """Fetch the provider's JWKS again (done automatically, once, on an unknown ``kid``)."""
        assert self.metadata.jwks_uri is not None
        resp = await self.http.get(self.metadata.jwks_uri, clock_now=self.clock.monotonic)
        self._jwks = _jwks_from(resp)
        return self._jwks

    async def validate_id_token(self, id_token: str, *, access_token: str | None = None,
                                refresh_token: str | None = None, push_auth_req_id: str | None = None) -> dict[str, Any]:
        """Verify an ID token from this provider and return its claims (refreshing the JWKS once on an
        unknown ``kid``).

        Raises:
            TokenValidationError: signature, alg, iss, aud, exp, iat, at_hash or push binding is wrong.
        """
        kw: dict[str, Any] = {"issuer": self.metadata.issuer, "client_id": self.client_id,
                              "leeway": self.leeway, "algorithms": self.id_token_algs,
                              "access_token": access_token, "refresh_token": refresh_token,
                              "push_auth_req_id": push_auth_req_id}
        try:
            return validate_id_token(id_token, self._jwks, now=self.clock.time(), **kw)
        except UnknownSigningKey as exc:
            if exc.kid in self._refreshed_kids:
                raise
            self._refreshed_kids.add(exc.kid)
            await self.refresh_jwks()
            return validate_id_token(id_token, self._jwks, now=self.clock.time(), **kw)

    # ------------------------------------------------------------------ the request
    async def start(
        self,
        *,
        login_hint: str | None = None,
        login_hint_token: str | None = None,
        id_token_hint: str | None = None,
        scope: str | Iterable[str] = "openid",
        binding_message: str | None = None,
        user_code: str | None = None,
        requested_expiry: int | str | None = None,
        acr_values: str | Iterable[str] | None = None,
        client_notification_token: str | None = None,
        sign_request: bool | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> AuthRequest:
        """Send the backchannel authentication request and return the acknowledged :class:`AuthRequest`.

        Raises:
            InputError: bad parameters (checked before anything is sent).
            OAuthError: the provider refused (its subclass names the code: UnknownUserId, ...).
            TransportError, ProtocolError: the exchange failed or the answer was malformed.
        """
        rec = Recorder(self.clock.monotonic())
        return await self._start(rec, self.clock.time(), dict(
            login_hint=login_hint, login_hint_token=login_hint_token, id_token_hint=id_token_hint, scope=scope,
            binding_message=binding_message, user_code=user_code, requested_expiry=requested_expiry,
            acr_values=acr_values, client_notification_token=client_notification_token, extra=extra),
            sign_request)

    async def _start(self, rec: Recorder, started_at: float, p: dict[str, Any], sign_request: bool | None) -> AuthRequest:
        if self.mode != DeliveryMode.POLL and p.get("client_notification_token") is None:
            p["client_notification_token"] = new_notification_token()
        elif self.mode == DeliveryMode.POLL and p.get("client_notification_token") is not None:
            raise InputError("client_notification_token", "only ping and push clients send one",
                             "drop it, or create the client with mode='ping'")
        params = build_auth_request(**p)
        token = params.get("client_notification_token")
        signed = self.sign_requests if sign_request is None else sign_request
        if signed:
            if self._req_key is None or not self.request_signing_alg:
                raise InputError("sign_request", "signed requests need a private key",
                                 "use PrivateKeyJwt auth or pass request_signing_key to the client")
            claims = request_object_claims(params, client_id=self.client_id, audience=self.metadata.issuer,
                                           now=self.clock.time(), jti=jose.random_token(16),
                                           lifetime=self.request_object_lifetime)
            form = {"request": jose.sign_jwt(claims, self._req_key, self.request_signing_alg),
                    "client_id": self.client_id}
        else:
            form = dict(params)
        body, headers = self._authed(form, self._bc_url)
        waiter = None
        if token is not None:
            assert self.receiver is not None
            # Register before sending: a fast provider may call back before the acknowledgement arrives.
            waiter = self.receiver.register(token, self.mode)
        secrets = [token, params.get("user_code"), params.get("login_hint_token"), params.get("id_token_hint")]
        sent = self.clock.monotonic()
        rec.add(sent, "request", detail=f"{self.mode.value}{', signed' if signed else ''}")
        try:
            try:
                resp = await self._send(self._bc_url, body, headers)
            except TransportError as exc:
                rec.add(self.clock.monotonic(), "error", error="transport_error", detail=str(exc)[:120])
                raise
            now = resp.received
            if resp.status != 200:
                err = self._scrub(self._error_from(resp, "backchannel"), secrets)
                code = err.error if isinstance(err, OAuthError) else "protocol_error"
                rec.add(now, "ack", status=resp.status, error=code)
                raise err
            try:
                data = parse_json_body(resp.status, resp.content_type, resp.content,
                                       what="backchannel authentication response")
                ack = parse_acknowledgement(data, status=resp.status)
            except ProtocolError:
                rec.add(now, "ack", status=resp.status, error="protocol_error")
                raise
        except BaseException:
            if token is not None and self.receiver is not None:
                self.receiver.unregister(token)
            raise
        rec.add(now, "ack", status=200, detail=f"expires_in={ack.expires_in} interval={ack.interval}")
        sched = PollSchedule(sent_at=sent, expires_in=ack.expires_in, interval=ack.interval,
                             min_interval=self.min_interval, anchor=self.poll_anchor)
        req = AuthRequest(client_id=self.client_id, mode=self.mode, auth_req_id=ack.auth_req_id,
                          expires_in=ack.expires_in, interval=ack.interval, recorder=rec, sent_at=sent, ack_at=now,
                          started_at=started_at, schedule=sched, notification_token=token, extra=ack.extra,
                          binding_message=params.get("binding_message"))
        if waiter is not None:
            waiter.bind(ack.auth_req_id)
            req._waiter = waiter
        return req

    async def authenticate(
        self,
        *,
        login_hint: str | None = None,
        login_hint_token: str | None = None,
        id_token_hint: str | None = None,
        scope: str | Iterable[str] = "openid",
        binding_message: str | None = None,
        user_code: str | None = None,
        requested_expiry: int | str | None = None,
        acr_values: str | Iterable[str] | None = None,
        client_notification_token: str | None = None,
        sign_request: bool | None = None,
        extra: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        raise_errors: bool = False,
    ) -> FlowResult:
        """Run a whole flow: request, then poll / wait for the ping or push, then validate.

        Server refusals and failures end up in the :class:`FlowResult` (``outcome='error'``, the code in
        ``error``, the exception in ``exception``); only bad input raises, unless ``raise_errors``.

        Args:
            timeout: Client-side limit in clock seconds (the flow ends ``expired`` with error ``timeout``).
            raise_errors: Raise the mapped exception instead of returning a failed FlowResult.
        """
        started_at = self.clock.time()
        rec = Recorder(self.clock.monotonic())
        p = dict(login_hint=login_hint, login_hint_token=login_hint_token, id_token_hint=id_token_hint,
                 scope=scope, binding_message=binding_message, user_code=user_code,
                 requested_expiry=requested_expiry, acr_values=acr_values,
                 client_notification_token=client_notification_token, extra=extra)
        try:
            req = await self._start(rec, started_at, p, sign_request)
        except InputError:
            raise
        except CibaError as exc:
            if raise_errors:
                raise
            return self._failed_start(rec, started_at, exc)
        result = await self.wait(req, timeout=None if timeout is None else timeout - (self.clock.monotonic() - rec.t0))
        if raise_errors:
            result.raise_for_error()
        return result

    def _failed_start(self, rec: Recorder, started_at: float, exc: CibaError) -> FlowResult:
        code, desc, hint = error_fields(exc)
        end = rec.raw[-1][0] if rec.raw else 0.0
        return FlowResult(outcome=Outcome.ERROR, client_id=self.client_id, mode=self.mode, error=code,
                          error_description=desc, hint=hint, timeline=list(rec.events),
                          latency=Latency(ack_s=None, total_s=end), started_at=started_at, exception=exc)

    # ------------------------------------------------------------------ waiting for the result
    async def wait(self, req: AuthRequest, *, timeout: float | None = None) -> FlowResult:
        """Wait for the outcome of a started request (poll, or the ping / push callback).

        Cancelling the awaiting task stops polling at once and unregisters the flow from the receiver:
        nothing keeps running.

        Args:
            req: From :meth:`start`.
            timeout: Client-side limit in clock seconds from now.
        """
        if req.cached_result is not None:
            return req.cached_result
        if req.finished:
            raise InputError("req", "this request was already waited for", "start a new request")
        req.finished = True
        limit = None if timeout is None else self.clock.monotonic() + max(0.0, timeout)
        state = _FlowState(req)
        try:
            if self.mode == DeliveryMode.POLL:
                await self._poll(req, state, limit)
            else:
                await self._await_callback(req, state, limit)
        except asyncio.CancelledError:
            req.recorder.add(self.clock.monotonic(), "cancelled")
            raise
        except CibaError as exc:
            state.fail(exc, self.clock.monotonic())
        finally:
            if req.notification_token is not None and self.receiver is not None:
                self.receiver.unregister(req.notification_token)
        result = state.result(self)
        req.cached_result = result
        return result

    def _tick_align(self, now: float, seconds: float) -> float:
        tick = self.poll_tick
        if tick <= 0:
            return seconds
        # Round the wake-up time (not the delay) up to the grid: flows due close together share it.
        target = math.ceil((now + seconds) / tick - 1e-9) * tick
        return max(seconds, target - now)

    async def _token_call(self, req: AuthRequest) -> HttpResponse:
        if self._token_url is None:
            raise DiscoveryError("the provider has no token_endpoint", missing=["token_endpoint"])
        if self.auth.per_request:  # a fresh assertion (new jti) for every call
            body, headers = self._authed(token_request_form(req.auth_req_id), self._token_url)
            return await self._send(self._token_url, body, headers)
        # Identical polls: build the request once per flow (and per loop), send it many times.
        loop = asyncio.get_running_loop()
        cached = req._prepared
        if cached is None or cached[0] is not loop:
            body, headers = self._authed(token_request_form(req.auth_req_id), self._token_url)
            cached = (loop, self.http.prepare("POST", self._token_url, content=body, headers=headers))
            req._prepared = cached
        return await self._send(self._token_url, b"", {}, prepared=cached[1])

    async def _poll(self, req: AuthRequest, state: _FlowState, limit: float | None) -> None:
        # Nothing from one poll is held across the next sleep (the response lives only in
        # _poll_once): with thousands of flows pending, every object that outlives a sleep is
        # promoted to the oldest GC generation and brings its next full collection closer.
        sched = req.schedule
        clock = self.clock
        while True:
            now = clock.monotonic()
            act = sched.next_action(now)
            if isinstance(act, Wait):
                delay, act = act.seconds, None
                if limit is not None and now + delay >= limit:
                    if now < limit:
                        await clock.sleep(limit - now)
                    state.timed_out(clock.monotonic())
                    return
                await clock.sleep(self._tick_align(now, delay))
                continue
            if isinstance(act, Stop):
                state.expired(now)
                return
            if limit is not None and now >= limit:
                state.timed_out(now)
                return
            if await self._poll_once(req, state, now):
                return

    async def _poll_once(self, req: AuthRequest, state: _FlowState, now: float) -> bool:
        """Send one poll at ``now`` and handle its answer; True when the flow is over."""
        req.schedule.sent(now)
        req.recorder.add(now, "poll")
        try:
            resp = await self._token_call(req)
        except TransportError as exc:
            req.schedule.answered()
            req.recorder.add(self.clock.monotonic(), "poll_response", error="transport_error",
                             detail=str(exc)[:120])
            raise
        return await self._handle_token_response(req, state, resp, sent=now, kind="poll_response")

    async def _handle_token_response(self, req: AuthRequest, state: _FlowState, resp: HttpResponse, *,
                                     sent: float, kind: str) -> bool:
        """Record one token-endpoint answer; return True when the flow is over."""
        sched = req.schedule
        rec = req.recorder
        now = resp.received
        if resp.status == 200:
            sched.answered()
            rec.add(now, kind, status=200, detail="tokens")
            state.decided(now)
            tokens = parse_token_response(parse_json_body(resp.status, resp.content_type, resp.content,
                                                          what="token response"),
                                          require_id_token=self.require_id_token)
            await self._finish_tokens(req, state, tokens, push=False)
            return True
        if resp.status in _UNAVAILABLE:
            retry = parse_retry_after(resp.headers.get("retry-after"), now_wall=self.clock.time())
            sched.unavailable(now, retry)
            state.unavailable += 1
            rec.add(now, kind, status=resp.status, error=ErrorCode.TEMPORARILY_UNAVAILABLE.value,
                    detail=f"Retry-After {retry:g}s" if retry is not None else "no Retry-After")
            return False
        # Hot path (thousands of pending flows): read the code before building any exception object.
        try:
            data = parse_json_body(resp.status, resp.content_type, resp.content, what="token error response")
        except ProtocolError:
            sched.answered()
            rec.add(now, kind, status=resp.status, error="protocol_error")
            raise
        code = data.get("error")
        if code == ErrorCode.AUTHORIZATION_PENDING:
            sched.pending(now)
            req.last_pending_sent = sent
            rec.add(now, kind, status=resp.status, error=code)
            return False
        if code == ErrorCode.SLOW_DOWN:
            sched.slow_down(now)
            req.last_pending_sent = sent
            rec.add(now, kind, status=resp.status, error=code, detail=f"interval now {sched.interval:g}s")
            return False
        sched.answered()
        try:
            err = parse_error_response(data, status=resp.status, endpoint="token")
        except ProtocolError:
            rec.add(now, kind, status=resp.status, error="protocol_error")
            raise
        rec.add(now, kind, status=resp.status, error=err.error)
        state.decided(now)
        state.fail(self._scrub(err, [req.auth_req_id]), now)
        return True

    async def _finish_tokens(self, req: AuthRequest, state: _FlowState, tokens: TokenResponse, *, push: bool) -> None:
        claims = None
        if tokens.id_token:
            claims = await self.validate_id_token(
                tokens.id_token, access_token=tokens.access_token,
                refresh_token=tokens.refresh_token if push else None,
                push_auth_req_id=req.auth_req_id if push else None)
            req.recorder.add(self.clock.monotonic(), "id_token", detail="valid")
        state.approved(TokenSet(tokens.access_token, tokens.token_type, tokens.expires_in, tokens.id_token,
                                tokens.refresh_token, tokens.scope), claims, self.clock.monotonic())

    async def _await_callback(self, req: AuthRequest, state: _FlowState, limit: float | None) -> None:
        waiter = req._waiter
        assert waiter is not None, "ping/push request without a receiver registration"
        clock = self.clock
        rec = req.recorder
        end = req.deadline if limit is None else min(req.deadline, limit)
        sleeper = asyncio.ensure_future(clock.sleep(max(0.0, end - clock.monotonic())))
        try:
            await asyncio.wait({waiter.future, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
        if not waiter.future.done():
            now = clock.monotonic()
            if limit is not None and limit < req.deadline:
                state.timed_out(now)
            else:
                state.expired(now)
            return
        note = waiter.future.result()
        now = clock.monotonic()
        state.decided(now, exact=True)
        if note.failure is not None:
            rec.add(now, "notification", error="token_validation_error", detail="push binding invalid")
            raise note.failure
        if self.mode == DeliveryMode.PUSH:
            assert note.push is not None
            if note.push.error is not None:
                rec.add(now, "notification", error=note.push.error.error, detail="push error payload")
                state.fail(note.push.error, now)
                return
            rec.add(now, "notification", detail="tokens pushed")
            assert note.push.tokens is not None
            await self._finish_tokens(req, state, note.push.tokens, push=True)
            return
        rec.add(now, "notification", detail="ping")
        # Exactly one token call after the ping; the interval no longer applies (CIBA Core 10.2).
        sched = req.schedule
        sched.sent(now)
        rec.add(now, "token_request")
        try:
            resp = await self._token_call(req)
        except TransportError as exc:
            sched.answered()
            rec.add(clock.monotonic(), "token_response", error="transport_error", detail=str(exc)[:120])
            raise
        if await self._handle_token_response(req, state, resp, sent=now, kind="token_response"):
            return
        # A provider that pings before the result is ready: fall back to polling at the interval.
        await self._poll(req, state, limit)

    # ------------------------------------------------------------------ lifecycle
    async def aclose(self) -> None:
        """Close the HTTP client of the running loop."""
        await self.http.aclose()

    async def __aenter__(self) -> CibaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return (f"CibaClient(issuer={self.metadata.issuer!r}, client_id={self.client_id!r}, mode={self.mode.value!r}, "
                f"auth={self.auth!r})")


def _jwks_from(resp: HttpResponse) -> dict[str, Any]:
    if resp.status != 200:
        raise ProtocolError("JWKS endpoint did not answer 200", status=resp.status)
    data = parse_json_body(resp.status, resp.content_type, resp.content, what="JWKS")
    if not isinstance(data.get("keys"), list):
        raise ProtocolError("JWKS lacks a 'keys' array", status=resp.status,
                            body_excerpt=json.dumps(data)[:200])
    return data


class _FlowState:
    """Accumulates the outcome of one flow while it runs."""

    __slots__ = ("req", "outcome", "exception", "tokens", "claims", "end", "decision_at", "decision_exact",
                 "unavailable", "timeout")

    def __init__(self, req: AuthRequest) -> None:
        self.req = req
        self.outcome: Outcome | None = None
        self.exception: CibaError | None = None
        self.tokens: TokenSet | None = None
        self.claims: dict[str, Any] | None = None
        self.end: float | None = None
        self.decision_at: float | None = None
        self.decision_exact = False
        self.unavailable = 0
        self.timeout = False

    def decided(self, now: float, *, exact: bool = False) -> None:
        if self.decision_at is None:
            self.decision_at = now
            self.decision_exact = exact

    def approved(self, tokens: TokenSet, claims: dict[str, Any] | None, now: float) -> None:
        self.outcome = Outcome.APPROVED
        self.tokens = tokens
        self.claims = claims
        self.end = now

    def fail(self, exc: CibaError, now: float) -> None:
        self.exception = exc
        code = exc.error if isinstance(exc, OAuthError) else None
        if code == ErrorCode.ACCESS_DENIED:
            self.outcome = Outcome.DENIED
        elif code == ErrorCode.EXPIRED_TOKEN:
            self.outcome = Outcome.EXPIRED
        else:
            self.outcome = Outcome.ERROR
        if not isinstance(exc, OAuthError):
            self.req.recorder.add(now, "error", error=error_fields(exc)[0], detail=str(exc)[:160])
        self.end = now

    def expired(self, now: float) -> None:
        self.req.recorder.add(now, "expired", detail="deadline reached without a decision")
        self.outcome = Outcome.EXPIRED
        self.end = now

    def timed_out(self, now: float) -> None:
        self.req.recorder.add(now, "expired", error="timeout", detail="client-side timeout")
        self.outcome = Outcome.EXPIRED
        self.timeout = True
        self.end = now

    def result(self, client: CibaClient) -> FlowResult:
        req = self.req
        t0 = req.recorder.t0
        rel = (lambda v: None if v is None else v - t0)
        error = desc = hint = None
        if self.exception is not None:
            error, desc, hint = error_fields(self.exception)
        elif self.timeout:
            error, desc = "timeout", "the client-side timeout passed before a decision"
        elif self.outcome == Outcome.EXPIRED:
            error, desc = ErrorCode.EXPIRED_TOKEN.value, "the auth_req_id reached expires_in without a decision"
            hint = "The user did not answer in time (or the push never reached the phone)."
        after = before = decision = None
        if self.decision_at is not None:
            if self.decision_exact:
                decision = rel(self.decision_at)
            else:
                before = rel(self.decision_at)
                # With no pending poll the user may have decided even before the acknowledgement
                # arrived (under load), so the only safe lower bound is the request's send.
                after = rel(req.last_pending_sent if req.last_pending_sent is not None else t0)
                if after is not None and before is not None:
                    decision = (after + before) / 2
        latency = Latency(ack_s=req.ack_at - t0, decision_s=decision, total_s=rel(self.end),
                          decision_after_s=after, decision_before_s=before)
        sched = req.schedule
        return FlowResult(
            outcome=self.outcome or Outcome.ERROR, client_id=req.client_id, mode=req.mode, error=error,
            error_description=desc, hint=hint, expires_in=req.expires_in,
            interval=None if req.mode == DeliveryMode.PUSH else float(req.interval if req.interval is not None else 5),
            polls=sched.polls, slow_downs=sched.slow_downs, unavailable=self.unavailable,
            timeline=list(req.recorder.events), latency=latency, id_token_claims=self.claims,
            started_at=req.started_at, auth_req_id_hash=req.auth_req_id_hash, tokens=self.tokens,
            exception=self.exception)
