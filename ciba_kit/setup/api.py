"""HTTP clients for the products: the PingFederate Admin API and the PingOne management API.

Both are synchronous (setup is a step-by-step workflow), use httpx, mask every secret in their
reprs and errors, and turn the products' error bodies into exceptions that carry the validation
messages: :class:`PingFederateApiError` (``ApiResult``: ``resultId``, ``message``,
``validationErrors[{errorId, message, fieldPath}]``) and :class:`PingOneApiError` (``code``,
``message``, ``details[{code, target, message}]``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import quote, urlparse

import httpx

from ..prompts import PromptTemplate
from ..protocol.errors import CibaError, InputError, ProtocolError, TransportError
from ..protocol.masking import mask_text
from .models import (
    CibaAuthenticator,
    CibaServerSettings,
    MfaPolicy,
    NativeApplication,
    OAuthClient,
    RequestPolicy,
    Secret,
    SignOnPolicy,
)

__all__ = [
    "ApiValidationError",
    "ApiResult",
    "PingFederateApiError",
    "PingOneApiError",
    "PingFederateAdmin",
    "PingOneApi",
    "PINGONE_REGIONS",
    "is_loopback",
    "checked_verify",
]

Json = dict[str, Any]

#: PingOne region -> top-level domain (api.pingone.<tld>/v1, auth.pingone.<tld>/<envId>/as/token).
PINGONE_REGIONS = {"com": "com", "na": "com", "eu": "eu", "asia": "asia", "ca": "ca"}


_AUTHENTICATORS = "/oauth/outOfBandAuthPlugins"
_POLICIES = "/oauth/cibaServerPolicy/requestPolicies"
_SETTINGS = "/oauth/cibaServerPolicy/settings"
_CLIENTS = "/oauth/clients"


def is_loopback(url: str | None) -> bool:
    """Whether ``url`` points at this machine (where plain http is acceptable)."""
    host = (urlparse(url or "").hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


@dataclass
class ApiValidationError:
    """One PingFederate ``ValidationError``."""

    error_id: str
    message: str
    field_path: str = ""
    developer_message: str = ""


@dataclass
class ApiResult:
    """PingFederate's ``ApiResult`` error body."""

    result_id: str
    message: str
    validation_errors: list[ApiValidationError] = field(default_factory=list)
    developer_message: str = ""

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> "ApiResult":
        """Parse an ApiResult document."""
        return cls(result_id=str(doc.get("resultId", "")), message=str(doc.get("message", "")),
                   developer_message=str(doc.get("developerMessage", "") or ""),
                   validation_errors=[ApiValidationError(str(e.get("errorId", "")), str(e.get("message", "")),
                                                         str(e.get("fieldPath", "") or ""),
                                                         str(e.get("developerMessage", "") or ""))
                                      for e in doc.get("validationErrors") or [] if isinstance(e, Mapping)])


class PingFederateApiError(CibaError):
    """The Admin API refused a call; ``result`` holds PingFederate's ApiResult (validation messages)."""

    def __init__(self, method: str, path: str, status: int, result: ApiResult | None, excerpt: str = "") -> None:
        self.method, self.path, self.status, self.result = method, path, status, result
        lines = [f"PingFederate Admin API {method} {path} -> HTTP {status}"]
        if result is not None:
            lines[0] += f" {result.result_id}: {result.message}"
            lines += [f"  - {e.field_path or '(resource)'}: {e.message}" for e in result.validation_errors]
        elif excerpt:
            lines[0] += f": {excerpt[:200]!r}"
        if status == 401:
            lines.append("  Hint: check the admin username and password (pingfederate.username / password_env).")
        elif status == 403:
            lines.append("  Hint: every request needs 'X-XSRF-Header: PingFederate' and an admin role.")
        super().__init__("\n".join(lines))

    @property
    def validation_errors(self) -> list[ApiValidationError]:
        """The ``validationErrors`` entries (empty when none)."""
        return list(self.result.validation_errors) if self.result else []


class PingOneApiError(CibaError):
    """PingOne refused a call; ``code``, ``message`` and ``details`` are PingOne's error body."""

    def __init__(self, method: str, path: str, status: int, body: Mapping[str, Any] | None, excerpt: str = "") -> None:
        self.method, self.path, self.status = method, path, status
        body = body or {}
        self.code = str(body.get("code") or body.get("error") or "")
        self.message = str(body.get("message") or body.get("error_description") or excerpt[:200])
        self.details: list[Json] = [d for d in body.get("details") or [] if isinstance(d, Mapping)]
        lines = [f"PingOne API {method} {path} -> HTTP {status} {self.code}: {self.message}"]
        lines += [f"  - {d.get('target', '')}: {d.get('message', '')}" for d in self.details]
        super().__init__("\n".join(lines))


def _secret_text(value: str | Secret | None) -> str | None:
    if value is None:
        return None
    return value.reveal() if isinstance(value, Secret) else str(value)


def checked_verify(verify: bool | str) -> bool | str:
    """TLS ``verify`` itself, once a CA bundle path is known to be readable (else httpx raises OSError)."""
    if isinstance(verify, str) and not os.path.isfile(verify):
        raise InputError("pingfederate.ca_bundle", f"CA bundle {verify!r} is not a readable file",
                         "give the path of a PEM file with the CAs that signed the server's certificate")
    return verify


class _Http:
    """Shared httpx plumbing: transport errors, JSON parsing, masking."""

    def __init__(self, *, verify: bool | str, timeout: float, transport: httpx.BaseTransport | None) -> None:
        self._http = httpx.Client(verify=checked_verify(verify), timeout=timeout, transport=transport)
        self._secrets: list[str] = []
        #: (method, path) of every call made, in order (inspection and tests; no bodies, no secrets).
        self.calls: list[tuple[str, str]] = []

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _send(self, method: str, url: str, **kw: Any) -> httpx.Response:
        try:
            return self._http.request(method, url, **kw)
        except httpx.TimeoutException as exc:
            raise TransportError(f"timed out: {mask_text(str(exc), self._secrets)}", url=url) from None
        except httpx.HTTPError as exc:
            raise TransportError(f"cannot reach the server: {mask_text(str(exc), self._secrets)}", url=url) from None

    @staticmethod
    def _json(resp: httpx.Response) -> Any:
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            raise ProtocolError("the server did not answer JSON", status=resp.status_code,
                                body_excerpt=resp.text[:120]) from None


class PingFederateAdmin(_Http):
    """PingFederate Admin API client (``https://host:9999/pf-admin-api/v1``).

    Sends ``X-XSRF-Header: PingFederate`` on every request and basic or bearer authentication.

    Args:
        base_url: the Admin API base, e.g. ``https://pf.example.com:9999/pf-admin-api/v1`` or a
            simulator's ``sim.admin_url``.
        username: admin user (basic auth).
        password: its password (str or :class:`Secret`; masked everywhere).
        bearer_token: OAuth access token instead of basic auth.
        verify: TLS verification (True, False or a CA bundle path).
        timeout: seconds per request.
        transport: an httpx transport (tests).
    """

    def __init__(self, base_url: str, *, username: str | None = None, password: str | Secret | None = None,
                 bearer_token: str | Secret | None = None, verify: bool | str = True, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        parsed = urlparse(base_url or "")
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise InputError("admin_url", f"not an http(s) URL: {base_url!r}",
                             "use https://<host>:9999/pf-admin-api/v1")
        if parsed.scheme == "http" and not is_loopback(base_url):
            raise InputError("admin_url", f"plain http to {parsed.hostname} would expose admin credentials",
                             "use https (plain http is accepted for loopback hosts only)")
        super().__init__(verify=verify, timeout=timeout, transport=transport)
        self.base_url = base_url.rstrip("/")
        self.username = username
        pw, tok = _secret_text(password), _secret_text(bearer_token)
        self._secrets = [s for s in (pw, tok) if s]
        self._headers = {"X-XSRF-Header": "PingFederate", "Accept": "application/json"}
        if tok:
            self._headers["Authorization"] = f"Bearer {tok}"
            self._auth: httpx.Auth | None = None
        elif username is not None and pw is not None:
            self._auth = httpx.BasicAuth(username, pw)
        else:
            self._auth = None

    @classmethod
    def for_simulator(cls, sim: Any, **kw: Any) -> "PingFederateAdmin":
        """A client for a running ciba_kit simulator's Admin API (``sim.admin_url``, demo admin credentials).

        Args:
            sim: a started ``ck.Simulator`` (anything with ``admin_url``).
            **kw: passed on (``timeout``, ``transport``...).
        """
        from .profile import SIMULATOR_ADMIN_PASSWORD, SIMULATOR_ADMIN_USERNAME

        admin_url = getattr(sim, "admin_url", None)
        if not isinstance(admin_url, str):
            raise InputError("sim", f"{type(sim).__name__} has no admin_url", "pass a started ck.Simulator")
        return cls(admin_url, username=SIMULATOR_ADMIN_USERNAME, password=SIMULATOR_ADMIN_PASSWORD, **kw)

    def __repr__(self) -> str:
        how = "bearer ***" if "Authorization" in self._headers else (f"basic {self.username}:***" if self._auth
                                                                        else "no auth")
        return f"PingFederateAdmin({self.base_url!r}, {how})"

    # ---- raw

    def request(self, method: str, path: str, body: Any = None, *, params: Mapping[str, Any] | None = None) -> Any:
        """Call ``path`` (relative to the base); return the JSON (None for 204).

        Raises:
            PingFederateApiError: any 4xx/5xx, with the ApiResult's validation messages.
            TransportError: the server cannot be reached.
        """
        url = self.base_url + path
        self.calls.append((method, path))
        kw: dict[str, Any] = {"headers": dict(self._headers), "params": params}
        if self._auth is not None:
            kw["auth"] = self._auth
        if body is not None:
            kw["content"] = json.dumps(body)
            kw["headers"]["Content-Type"] = "application/json"
        resp = self._send(method, url, **kw)
        if resp.status_code >= 400:
            result = None
            try:
                doc = resp.json()
                if isinstance(doc, Mapping) and ("resultId" in doc or "message" in doc):
                    result = ApiResult.from_json(doc)
            except ValueError:
                pass
            raise PingFederateApiError(method, path, resp.status_code, result,
                                       mask_text(resp.text, self._secrets))
        return self._json(resp)

    def get_or_none(self, path: str) -> Any:
        """GET ``path``; None on 404."""
        try:
            return self.request("GET", path)
        except PingFederateApiError as exc:
            if exc.status == 404:
                return None
            raise

    def items(self, path: str) -> list[Json]:
        """GET a collection and return its ``items``."""
        doc = self.request("GET", path) or {}
        items = doc.get("items") if isinstance(doc, Mapping) else None
        if not isinstance(items, list):
            raise ProtocolError(f"expected {{'items': [...]}} from {path}", body_excerpt=str(doc)[:120])
        return items

    # ---- collections: one shape for authenticators, request policies and clients

    @staticmethod
    def _item_path(collection: str, ident: str) -> str:
        return f"{collection}/{quote(ident, safe='')}"

    def _find(self, collection: str, ident: str, model: Any) -> Any:
        doc = self.get_or_none(self._item_path(collection, ident))
        return model.from_api(doc) if doc else None

    def _create(self, collection: str, body: Json, model: Any) -> Any:
        return model.from_api(self.request("POST", collection, body))

    def _update(self, collection: str, ident: str, body: Json, model: Any) -> Any:
        return model.from_api(self.request("PUT", self._item_path(collection, ident), body))

    def _delete(self, collection: str, ident: str) -> None:
        self.request("DELETE", self._item_path(collection, ident))

    # ---- authenticators

    def descriptors(self) -> list[Json]:
        """``GET /oauth/outOfBandAuthPlugins/descriptors`` items."""
        return self.items(_AUTHENTICATORS + "/descriptors")

    def authenticators(self) -> list[CibaAuthenticator]:
        """Every out-of-band authenticator instance."""
        return [CibaAuthenticator.from_api(d) for d in self.items(_AUTHENTICATORS)]

    def find_authenticator(self, ident: str) -> CibaAuthenticator | None:
        """The instance ``ident``, or None."""
        return self._find(_AUTHENTICATORS, ident, CibaAuthenticator)

    def create_authenticator(self, a: CibaAuthenticator) -> CibaAuthenticator:
        """POST a new instance."""
        return self._create(_AUTHENTICATORS, a.to_api(), CibaAuthenticator)

    def update_authenticator(self, a: CibaAuthenticator) -> CibaAuthenticator:
        """PUT an instance."""
        return self._update(_AUTHENTICATORS, a.id, a.to_api(), CibaAuthenticator)

    def delete_authenticator(self, ident: str) -> None:
        """DELETE an instance (422 while a request policy uses it)."""
        self._delete(_AUTHENTICATORS, ident)

    # ---- request policies and settings

    def request_policies(self) -> list[RequestPolicy]:
        """Every CIBA request policy."""
        return [RequestPolicy.from_api(d) for d in self.items(_POLICIES)]

    def find_request_policy(self, ident: str) -> RequestPolicy | None:
        """The policy ``ident``, or None."""
        return self._find(_POLICIES, ident, RequestPolicy)

    def create_request_policy(self, p: RequestPolicy) -> RequestPolicy:
        """POST a new policy."""
        return self._create(_POLICIES, p.to_api(), RequestPolicy)

    def update_request_policy(self, p: RequestPolicy) -> RequestPolicy:
        """PUT a policy."""
        return self._update(_POLICIES, p.id, p.to_api(), RequestPolicy)

    def delete_request_policy(self, ident: str) -> None:
        """DELETE a policy (422 while it is the default or a client uses it)."""
        self._delete(_POLICIES, ident)

    def settings(self) -> CibaServerSettings:
        """The CIBA settings singleton."""
        return CibaServerSettings.from_api(self.request("GET", _SETTINGS) or {})

    def update_settings(self, s: CibaServerSettings) -> CibaServerSettings:
        """PUT the CIBA settings."""
        return CibaServerSettings.from_api(self.request("PUT", _SETTINGS, s.to_api()) or {})

    # ---- clients

    def clients(self, filter: str | None = None) -> list[OAuthClient]:
        """Every OAuth client (``filter``: partial match on id and name)."""
        doc = self.request("GET", _CLIENTS, params={"filter": filter} if filter else None) or {}
        return [OAuthClient.from_api(d) for d in doc.get("items") or []]

    def find_client(self, client_id: str) -> OAuthClient | None:
        """The client ``client_id``, or None."""
        return self._find(_CLIENTS, client_id, OAuthClient)

    def create_client(self, c: OAuthClient) -> OAuthClient:
        """POST a new client (its secret is sent once, in plaintext, over the admin channel)."""
        return self._create(_CLIENTS, c.to_api(reveal=True), OAuthClient)

    def update_client(self, c: OAuthClient) -> OAuthClient:
        """PUT a client (without a secret, its ``encrypted_secret`` keeps the stored one)."""
        return self._update(_CLIENTS, c.client_id, c.to_api(reveal=True), OAuthClient)

    def delete_client(self, client_id: str) -> None:
        """DELETE a client."""
        self._delete(_CLIENTS, client_id)


class PingOneApi(_Http):
    """PingOne management API client for one environment, authenticated as a worker application.

    Args:
        environment_id: the PingOne environment.
        client_id: the worker application's client id.
        client_secret: its secret (str or :class:`Secret`; masked everywhere).
        region: ``com`` (North America), ``eu``, ``asia`` or ``ca``: picks ``api.pingone.<tld>/v1``
            and ``auth.pingone.<tld>``.
        api_base: override the API base (the simulator: ``sim.pingone_url``).
        auth_base: override the auth base (token URL = ``{auth_base}/{envId}/as/token``; the
            simulator: ``sim.pingone_url``).
        access_token: use this token instead of client credentials.
    """

    def __init__(self, environment_id: str, *, client_id: str | None = None,
                 client_secret: str | Secret | None = None, region: str = "com", api_base: str | None = None,
                 auth_base: str | None = None, access_token: str | Secret | None = None,
                 verify: bool | str = True, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        if region not in PINGONE_REGIONS:
            raise InputError("pingone.region", f"unknown region {region!r}", "use com, eu, asia or ca")
        if not environment_id:
            raise InputError("pingone.environment_id", "missing", "copy the environment ID from the PingOne console "
                             "(Environment > Properties)")
        super().__init__(verify=verify, timeout=timeout, transport=transport)
        tld = PINGONE_REGIONS[region]
        self.environment_id = environment_id
        self.region = region
        self.api_base = (api_base or f"https://api.pingone.{tld}/v1").rstrip("/")
        self.auth_base = (auth_base or f"https://auth.pingone.{tld}").rstrip("/")
        for label, url in (("pingone.api_base", self.api_base), ("pingone.auth_base", self.auth_base)):
            if urlparse(url).scheme != "https" and not is_loopback(url):
                raise InputError(label, f"plain http to {urlparse(url).hostname}", "use https")
        self.client_id = client_id
        self._client_secret = _secret_text(client_secret)
        self._token = _secret_text(access_token)
        self._secrets = [s for s in (self._client_secret, self._token) if s]

    @classmethod
    def for_simulator(cls, sim: Any, **kw: Any) -> "PingOneApi":
        """A client for a running ciba_kit simulator's PingOne stand-in (``sim.pingone_url``, demo worker).

        Args:
            sim: a started ``ck.Simulator`` (anything with ``pingone_url``; its
                ``state.p1.environment_id`` is used when present).
            **kw: passed on (``timeout``, ``transport``...).
        """
        from .profile import SIMULATOR_ENVIRONMENT_ID, SIMULATOR_WORKER_CLIENT_ID, SIMULATOR_WORKER_SECRET

        base = getattr(sim, "pingone_url", None)
        if not isinstance(base, str):
            raise InputError("sim", f"{type(sim).__name__} has no pingone_url", "pass a started ck.Simulator")
        env_id = getattr(getattr(getattr(sim, "state", None), "p1", None), "environment_id", None)
        return cls(env_id or SIMULATOR_ENVIRONMENT_ID, client_id=SIMULATOR_WORKER_CLIENT_ID,
                   client_secret=SIMULATOR_WORKER_SECRET, api_base=base, auth_base=base, **kw)

    def __repr__(self) -> str:
        return f"PingOneApi(environment_id={self.environment_id!r}, api_base={self.api_base!r}, " \
               f"client_id={self.client_id!r}, secret=***)"

    @property
    def token_url(self) -> str:
        """The worker token endpoint."""
        return f"{self.auth_base}/{self.environment_id}/as/token"

    def _fetch_token(self) -> str:
        if not self.client_id or not self._client_secret:
            raise InputError("pingone.worker_client_id", "worker credentials are missing",
                             "set worker_client_id and worker_secret_env (a PingOne worker application with "
                             "Environment Admin or Identity Data Admin roles)")
        resp = self._send("POST", self.token_url, data={"grant_type": "client_credentials"},
                          auth=httpx.BasicAuth(self.client_id, self._client_secret))
        if resp.status_code != 200:
            try:
                body = resp.json()
            except ValueError:
                body = None
            raise PingOneApiError("POST", "/as/token", resp.status_code, body, mask_text(resp.text, self._secrets))
        tok = (self._json(resp) or {}).get("access_token")
        if not isinstance(tok, str):
            raise ProtocolError("the PingOne token response has no access_token", status=resp.status_code)
        self._secrets.append(tok)
        return tok

    def request(self, method: str, path: str, body: Any = None, *, params: Mapping[str, Any] | None = None) -> Any:
        """Call ``/environments/{envId}{path}``; return the JSON (None for 204).

        Raises:
            PingOneApiError: any 4xx/5xx, with PingOne's ``details``.
            TransportError: PingOne cannot be reached.
        """
        full = f"/environments/{self.environment_id}{path}"
        self.calls.append((method, full))
        for attempt in (1, 2):
            if self._token is None:
                self._token = self._fetch_token()
            headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
            kw: dict[str, Any] = {"headers": headers, "params": params}
            if body is not None:
                kw["content"] = json.dumps(body)
                headers["Content-Type"] = "application/json"
            resp = self._send(method, self.api_base + full, **kw)
            if resp.status_code == 401 and attempt == 1 and self._client_secret:
                self._token = None  # expired: fetch a new worker token once
                continue
            break
        if resp.status_code >= 400:
            try:
                doc = resp.json()
            except ValueError:
                doc = None
            raise PingOneApiError(method, full, resp.status_code, doc if isinstance(doc, Mapping) else None,
                                  mask_text(resp.text, self._secrets))
        return self._json(resp)

    def embedded(self, path: str, name: str, *, params: Mapping[str, Any] | None = None) -> list[Json]:
        """GET a collection and return ``_embedded.<name>``."""
        doc = self.request("GET", path, params=params) or {}
        items = (doc.get("_embedded") or {}).get(name) if isinstance(doc, Mapping) else None
        if not isinstance(items, list):
            raise ProtocolError(f"expected _embedded.{name} from {path}", body_excerpt=str(doc)[:120])
        return items

    # ---- typed helpers

    def applications(self) -> list[NativeApplication]:
        """Every application (check ``raw['type']`` for NATIVE_APP)."""
        return [NativeApplication.from_api(d) for d in self.embedded("/applications", "applications")]

    def create_application(self, app: NativeApplication) -> NativeApplication:
        """POST a native application."""
        return NativeApplication.from_api(self.request("POST", "/applications", app.to_api()))

    def update_application(self, app: NativeApplication) -> NativeApplication:
        """PUT an application (``app.id`` required)."""
        return NativeApplication.from_api(self.request("PUT", f"/applications/{app.id}", app.to_api()))

    def mfa_policies(self) -> list[MfaPolicy]:
        """Every MFA (device authentication) policy."""
        return [MfaPolicy.from_api(d) for d in self.embedded("/deviceAuthenticationPolicies",
                                                             "deviceAuthenticationPolicies")]

    def create_mfa_policy(self, policy: MfaPolicy) -> MfaPolicy:
        """POST an MFA policy (mobile application ids must be resolved)."""
        return MfaPolicy.from_api(self.request("POST", "/deviceAuthenticationPolicies", policy.to_api()))

    def update_mfa_policy(self, policy: MfaPolicy) -> MfaPolicy:
        """PUT an MFA policy (``policy.id`` required)."""
        return MfaPolicy.from_api(self.request("PUT", f"/deviceAuthenticationPolicies/{policy.id}", policy.to_api()))

    def sign_on_policies(self) -> list[SignOnPolicy]:
        """Every sign-on policy with its first MFA action."""
        out = []
        for d in self.embedded("/signOnPolicies", "signOnPolicies"):
            actions = self.embedded(f"/signOnPolicies/{d['id']}/actions", "actions")
            mfa = next((a for a in actions if a.get("type") == "MULTI_FACTOR_AUTHENTICATION"), None)
            out.append(SignOnPolicy.from_api(d, mfa))
        return out

    def create_sign_on_policy(self, sop: SignOnPolicy) -> SignOnPolicy:
        """POST a sign-on policy and its MFA action."""
        doc = self.request("POST", "/signOnPolicies", sop.to_api())
        action = self.request("POST", f"/signOnPolicies/{doc['id']}/actions", sop.action_to_api())
        return SignOnPolicy.from_api(doc, action)

    def template_contents(self, template: str) -> list[Json]:
        """The contents of a notification template (raw PingOne documents)."""
        return self.embedded(f"/templates/{quote(template, safe='')}/contents", "contents")

    def prompt_templates(self, template: str) -> list[PromptTemplate]:
        """The Push contents of a template as :class:`PromptTemplate` s."""
        return [PromptTemplate.from_api(c, template_name=template) for c in self.template_contents(template)
                if c.get("deliveryMethod") == "Push"]

    def create_template_content(self, t: PromptTemplate) -> Json:
        """POST a push content."""
        return self.request("POST", f"/templates/{quote(t.template_name, safe='')}/contents", t.to_api())

    def upsert_template_contents(self, templates: PromptTemplate | list[PromptTemplate]) -> list[Json]:
        """Create or replace push contents: PUT over the content with the same locale and variant, else POST.

        PingOne allows one content per (delivery method, locale, variant) of a template, so
        "replace the teller's English text" is a PUT to that content's id.

        Args:
            templates: one content or several (each names its ``template_name``).

        Returns:
            The stored PingOne documents, in the order given.
        """
        items = [templates] if isinstance(templates, PromptTemplate) else list(templates)
        existing: dict[str, list[Json]] = {}
        out: list[Json] = []
        for t in items:
            if t.template_name not in existing:
                existing[t.template_name] = self.template_contents(t.template_name)
            key = (t.delivery_method, t.locale.lower(), (t.variant or "").lower())
            same = next((c for c in existing[t.template_name]
                         if (c.get("deliveryMethod"), str(c.get("locale", "")).lower(),
                             str(c.get("variant") or "").lower()) == key), None)
            base = f"/templates/{quote(t.template_name, safe='')}/contents"
            body = {k: v for k, v in t.to_api().items() if k != "id"}
            if same is not None and same.get("id"):
                out.append(self.request("PUT", f"{base}/{same['id']}", body))
            else:
                doc = self.request("POST", base, body)
                existing[t.template_name].append(doc)
                out.append(doc)
        return out

    def find_user(self, username: str) -> Json | None:
        """The user named ``username``, or None."""
        users = self.embedded("/users", "users", params={"filter": f'username eq "{username}"'})
        return users[0] if users else None

    def create_user(self, username: str, **attrs: Any) -> Json:
        """POST a user."""
        return self.request("POST", "/users", {"username": username, **attrs})

    def devices(self, user_id: str) -> list[Json]:
        """The user's MFA devices."""
        return self.embedded(f"/users/{user_id}/devices", "devices")

    def create_device(self, user_id: str, body: Mapping[str, Any]) -> Json:
        """POST a device for the user."""
        return self.request("POST", f"/users/{user_id}/devices", dict(body))

