"""The client's HTTP layer: one place that sends, bounds what it reads, and turns failures into
:class:`~ciba_kit.protocol.errors.TransportError`.

By default the async client rides on httpx with httpx-aiohttp's transport: httpx's own transport
costs roughly 2-5 ms of CPU per request, which dominates when thousands of flows poll at once
(``bench/bench_client.py`` prints the figures). ``transport="httpx"`` switches back.

Security defaults live here too: TLS verification is on, and ``http://`` is accepted only for
loopback hosts unless ``allow_insecure_http=True`` (which warns).
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlencode, urlsplit

import httpx

from ..protocol.errors import InputError, ProtocolError, TransportError
from ..protocol.messages import MAX_BODY_BYTES

__all__ = ["HttpResponse", "HttpSession", "check_url", "is_loopback_host", "make_ssl_context", "sync_get", "TRANSPORTS"]

TRANSPORTS = ("aiohttp", "httpx")
_FORM = "application/x-www-form-urlencoded"


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ::1."""
    if not host:
        return False
    h = host.strip("[]").lower()
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, field: str = "issuer", allow_insecure_http: bool = False) -> str:
    """Accept ``https://`` anywhere and ``http://`` on loopback; anything else raises.

    Raises:
        InputError: not an http(s) URL, or plain http to a non-loopback host without the opt-in.
    """
    if not isinstance(url, str):
        raise InputError(field, f"must be a URL string, got {type(url).__name__}", "pass e.g. https://pf.example.com")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port out of range or not a number
    except ValueError as exc:
        raise InputError(field, f"{url!r} is not a valid URL ({exc})", "pass e.g. https://pf.example.com:9031") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(field, f"{url!r} is not an http(s) URL", "pass e.g. https://pf.example.com:9031")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        if not allow_insecure_http:
            raise InputError(field, f"{url!r} uses plain http to a non-loopback host",
                             "use https, or opt in with allow_insecure_http=True (--insecure)")
        warnings.warn(f"{field} {url} uses plain http: secrets and tokens travel unencrypted", stacklevel=3)
    return url


def make_ssl_context(*, verify: bool | str | Path | ssl.SSLContext = True,
                     cert: tuple[str, str] | None = None) -> ssl.SSLContext:
    """An SSL context: system CAs (or a CA bundle file), optional client certificate, or no
    verification when ``verify=False`` (warned by the caller)."""
    if isinstance(verify, ssl.SSLContext):
        ctx = verify
    elif verify is False:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif verify is True:
        ctx = ssl.create_default_context()
    else:
        if not Path(verify).is_file():
            raise InputError("ca_bundle", f"file {str(verify)!r} not found", "pass a PEM CA bundle path")
        ctx = ssl.create_default_context(cafile=str(verify))
    if cert is not None:
        try:
            ctx.load_cert_chain(cert[0], cert[1])
        except (OSError, ssl.SSLError) as exc:
            raise InputError("cert", f"cannot load the client certificate ({exc})",
                             "pass a PEM certificate and its private key") from None
    return ctx


@dataclass(slots=True)
class HttpResponse:
    """What came back: status, headers, the (bounded) body, and when it was sent/received."""

    status: int
    headers: httpx.Headers
    content: bytes
    sent: float
    received: float

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in out and len(out) < 10:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def _describe(exc: BaseException) -> str:
    chain = _chain(exc)
    cause = exc.__cause__ or exc.__context__
    text = str(exc) or (str(cause) if cause else "") or exc.__class__.__name__
    low = " ".join(str(e) for e in chain).lower()
    names = " ".join(type(e).__name__ for e in chain)
    # Judge TLS by exception types (aiohttp's messages say "ssl:default" on every connect error).
    if any(isinstance(e, ssl.SSLError) for e in chain) or "SSL" in names or "Certificate" in names:
        return f"TLS failure: {text}"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in low or "connect call failed" in low:
        return f"cannot connect (nothing listening?): {text}"
    if isinstance(exc, httpx.TimeoutException) and "disconnect" not in low:
        return f"timed out: {text}"
    if "reset" in low or "disconnect" in low or isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return f"connection closed or reset by the server: {text}"
    if isinstance(exc, httpx.ConnectError) or "connect" in low:
        return f"cannot connect: {text}"
    return f"{exc.__class__.__name__}: {text}"


class HttpSession:
    """A per-event-loop httpx client with bounded reads and mapped errors.

    One :class:`httpx.AsyncClient` per running loop: aiohttp sessions are bound to the loop that
    created them, and a notebook may run a client from the kernel's loop and from a
    :class:`~ciba_kit.client.sync.SyncCibaClient` loop thread.

    Args:
        ssl_context: TLS settings (see :func:`make_ssl_context`).
        timeout: Seconds for connect/read/write/pool (real time, not the injected clock).
        transport: ``"aiohttp"`` (default, cheap per request) or ``"httpx"``.
        max_body: Largest body read; larger ones raise :class:`ProtocolError`.
        max_connections: Connection pool size.
    """

    def __init__(self, *, ssl_context: ssl.SSLContext, timeout: float = 10.0, transport: str = "aiohttp",
                 max_body: int = MAX_BODY_BYTES, max_connections: int = 100,
                 user_agent: str = "ciba_kit") -> None:
        if transport not in TRANSPORTS:
            raise InputError("transport", f"unknown transport {transport!r}", f"use one of {', '.join(TRANSPORTS)}")
        self.ssl_context = ssl_context
        self.timeout = timeout
        self.transport = transport
        self.max_body = max_body
        self.max_connections = max_connections
        self.user_agent = user_agent
        self._clients: dict[asyncio.AbstractEventLoop, tuple[httpx.AsyncClient, httpx.AsyncBaseTransport]] = {}

    def _client(self) -> tuple[httpx.AsyncClient, httpx.AsyncBaseTransport]:
        loop = asyncio.get_running_loop()
        entry = self._clients.get(loop)
        if entry is None:
            # Long keep-alive: polls come every `interval` seconds (5 by default), and a connection that
            # expires just before each poll would cost a TCP handshake per poll.
            limits = httpx.Limits(max_connections=self.max_connections,
                                  max_keepalive_connections=self.max_connections, keepalive_expiry=120.0)
            kw: dict[str, Any] = {"timeout": httpx.Timeout(self.timeout), "headers": {"User-Agent": self.user_agent},
                                  "follow_redirects": False, "trust_env": False}
            transport: httpx.AsyncBaseTransport
            if self.transport == "aiohttp":
                from httpx_aiohttp import AiohttpTransport

                transport = AiohttpTransport(verify=self.ssl_context, limits=limits, trust_env=False)
            else:
                transport = httpx.AsyncHTTPTransport(verify=self.ssl_context, limits=limits, trust_env=False)
            entry = (httpx.AsyncClient(transport=transport, **kw), transport)
            # Closed loops leave dead clients behind; drop them so they can be collected.
            for old in [lp for lp in self._clients if lp.is_closed()]:
                del self._clients[old]
            self._clients[loop] = entry
        return entry

    def prepare(self, method: str, url: str | httpx.URL, *, content: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> httpx.Request:
        """Build a request once so it can be sent many times (one flow's identical polls)."""
        return self._client()[0].build_request(method, url, content=content, headers=headers)

    async def request(self, method: str, url: str | httpx.URL, *, content: bytes | None = None,
                      headers: Mapping[str, str] | None = None, clock_now: Any = time.monotonic,
                      prepared: httpx.Request | None = None) -> HttpResponse:
        """Send one request and read at most ``max_body`` bytes.

        The request goes straight to the transport: no cookies, redirects or event hooks are wanted
        on a token endpoint, and skipping them halves the CPU per poll.

        Raises:
            TransportError: connection, TLS, timeout, reset.
            ProtocolError: the body exceeds ``max_body``.
        """
        client, transport = self._client()
        sent = clock_now()
        try:
            req = prepared if prepared is not None else client.build_request(method, url, content=content,
                                                                              headers=headers)
            resp = await transport.handle_async_request(req)
            try:
                declared = resp.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.max_body:
                    raise ProtocolError(f"response body of {declared} bytes exceeds the {self.max_body}-byte limit",
                                        status=resp.status_code)
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_body:
                        raise ProtocolError(f"response body exceeds the {self.max_body}-byte limit",
                                            status=resp.status_code)
                    chunks.append(chunk)
            finally:
                await resp.aclose()
        except (ProtocolError, asyncio.CancelledError):
            raise
        except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
            raise TransportError(_describe(exc), url=str(url)) from None
        except Exception as exc:  # noqa: BLE001 - aiohttp exceptions the transport does not map
            if exc.__class__.__module__.startswith(("aiohttp", "httpx", "httpcore", "h11")):
                raise TransportError(_describe(exc), url=str(url)) from None
            raise
        return HttpResponse(resp.status_code, resp.headers, b"".join(chunks) if len(chunks) != 1 else chunks[0],
                            sent, clock_now())

    async def post_form(self, url: str | httpx.URL, form: Mapping[str, str] | bytes, *,
                        headers: Mapping[str, str] | None = None, clock_now: Any = time.monotonic) -> HttpResponse:
        """POST ``application/x-www-form-urlencoded`` (``form`` may be pre-encoded bytes)."""
        body = form if isinstance(form, bytes) else urlencode(form).encode()
        h = {"Content-Type": _FORM, "Accept": "application/json"}
        if headers:
            h.update(headers)
        return await self.request("POST", url, content=body, headers=h, clock_now=clock_now)

    async def get(self, url: str, *, clock_now: Any = time.monotonic) -> HttpResponse:
        """GET with ``Accept: application/json``."""
        return await self.request("GET", url, headers={"Accept": "application/json"}, clock_now=clock_now)

    async def aclose(self) -> None:
        """Close the client of the running loop (others are closed with their loops)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        entry = self._clients.pop(loop, None)
        if entry is not None:
            await entry[0].aclose()


def sync_get(url: str, *, ssl_context: ssl.SSLContext, timeout: float, max_body: int = MAX_BODY_BYTES) -> HttpResponse:
    """Blocking GET (discovery and JWKS from synchronous code), with the same error mapping."""
    sent = time.monotonic()
    try:
        with httpx.Client(verify=ssl_context, timeout=timeout, trust_env=False, follow_redirects=False) as c:
            with c.stream("GET", url, headers={"Accept": "application/json", "User-Agent": "ciba_kit"}) as resp:
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > max_body:
                        raise ProtocolError(f"response body exceeds the {max_body}-byte limit",
                                            status=resp.status_code)
                    chunks.append(chunk)
                return HttpResponse(resp.status_code, resp.headers, b"".join(chunks), sent, time.monotonic())
    except ProtocolError:
        raise
    except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
        raise TransportError(_describe(exc), url=url) from None
