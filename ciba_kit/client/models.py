"""Value objects of a CIBA flow: :class:`TimelineEvent`, :class:`Latency`, :class:`TokenSet`,
:class:`AuthRequest` (a started request) and :class:`FlowResult` (how it ended).

Every secret-bearing field is kept out of ``repr``, ``_repr_html_`` and ``to_dict``: the
``auth_req_id`` appears only as a SHA-256 prefix (``auth_req_id_hash``) so runs can be matched to
the simulator's ground truth without revealing it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from ..protocol.constants import CLAIM_AUTH_REQ_ID, DeliveryMode, Outcome
from ..protocol.errors import CibaError, OAuthError
from ..protocol.masking import mask_mapping, mask_token, token_hash

if TYPE_CHECKING:
    from ..protocol.polling import PollSchedule

_TIME_CLAIMS = frozenset({"iat", "exp", "nbf", "auth_time"})

__all__ = ["TimelineEvent", "Latency", "TokenSet", "AuthRequest", "FlowResult", "Recorder"]


class TimelineEvent(NamedTuple):
    """One step of a flow.

    A named tuple on purpose: a tuple holding only numbers, strings and ``None`` is untracked by
    Python's cyclic garbage collector, so the timelines of 10,000 pending flows cost no GC time
    (as slotted objects they made full collections take hundreds of milliseconds).

    Attributes:
        t: Seconds since the flow started (the client's monotonic clock).
        kind: ``request``, ``ack``, ``poll``, ``poll_response``, ``notification``, ``token_request``,
            ``token_response``, ``id_token``, ``expired``, ``cancelled``, ``error``.
        status: HTTP status of a response, if any.
        error: OAuth ``error`` code (or ``transport_error`` / ``protocol_error``), if any.
        detail: Short human text (never a secret).
    """

    t: float
    kind: str
    status: int | None = None
    error: str | None = None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (``t`` rounded to milliseconds)."""
        return {"t": round(self.t, 3), "kind": self.kind, "status": self.status, "error": self.error,
                "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Latency:
    """Seconds from the start of the flow (client clock).

    Attributes:
        ack_s: Until the acknowledgement arrived.
        decision_s: Until the user's decision, best estimate: for ping/push when the notification
            arrived; for poll the midpoint of [decision_after_s, decision_before_s].
        total_s: Until the flow ended (tokens validated, or the final error).
        decision_after_s: Poll mode lower bound: the last poll that still saw ``authorization_pending``
            was sent then (or 0, the request's send, if no poll was pending).
        decision_before_s: Poll mode upper bound: the answer carrying the decision arrived then.
    """

    ack_s: float | None = None
    decision_s: float | None = None
    total_s: float | None = None
    decision_after_s: float | None = None
    decision_before_s: float | None = None

    def to_dict(self) -> dict[str, float | None]:
        """The ``latency_s`` object of ``request --json``."""
        r = (lambda v: None if v is None else round(v, 3))
        return {"ack": r(self.ack_s), "decision": r(self.decision_s), "total": r(self.total_s),
                "decision_after": r(self.decision_after_s), "decision_before": r(self.decision_before_s)}


@dataclass(frozen=True, slots=True)
class TokenSet:
    """The tokens a flow obtained. Access, ID and refresh tokens are reachable but never shown."""

    access_token: str = field(repr=False)
    token_type: str = "Bearer"
    expires_in: int | None = None
    id_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    scope: str | None = None

    def __repr__(self) -> str:
        return (f"TokenSet(token_type={self.token_type!r}, expires_in={self.expires_in}, scope={self.scope!r}, "
                f"access_token={mask_token(self.access_token)}, id_token={mask_token(self.id_token)}, "
                f"refresh_token={mask_token(self.refresh_token)})")


class Recorder:
    """Collects timeline events relative to the flow's start on the client's monotonic clock.

    Entries are kept as plain tuples (exact tuples of atoms are untracked by the cyclic GC, named
    tuples are not) and become :class:`TimelineEvent` objects only when read.
    """

    __slots__ = ("t0", "raw")

    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self.raw: list[tuple[float, str, int | None, str | None, str | None]] = []

    def add(self, now: float, kind: str, *, status: int | None = None, error: str | None = None,
            detail: str | None = None) -> float:
        t = now - self.t0
        self.raw.append((t, kind, status, error, detail))
        return t

    @property
    def events(self) -> list[TimelineEvent]:
        """The events so far, in order."""
        return [TimelineEvent(*e) for e in self.raw]


class AuthRequest:
    """A started CIBA request (acknowledged by the server), ready for :meth:`CibaClient.wait`.

    The ``auth_req_id`` and ``client_notification_token`` are attributes but never shown.
    """

    # Slots: thousands of these stay alive while pending, and a per-instance __dict__ is one more
    # object for every full garbage collection to walk. ``_prepared`` (the flow's reusable token
    # request) and ``_waiter`` (its receiver registration) are set by the client.
    __slots__ = ("client_id", "mode", "auth_req_id", "expires_in", "interval", "recorder", "sent_at", "ack_at",
                 "started_at", "schedule", "notification_token", "extra", "binding_message", "finished",
                 "last_pending_sent", "cached_result", "_prepared", "_waiter")

    def __init__(self, *, client_id: str, mode: DeliveryMode, auth_req_id: str, expires_in: int,
                 interval: int | None, recorder: Recorder, sent_at: float, ack_at: float, started_at: float,
                 schedule: PollSchedule, notification_token: str | None = None, extra: dict[str, Any] | None = None,
                 binding_message: str | None = None) -> None:
        self.client_id = client_id
        self.mode = mode
        self.auth_req_id = auth_req_id
        self.expires_in = expires_in
        self.interval = interval
        self.recorder = recorder
        self.sent_at = sent_at
        self.ack_at = ack_at
        self.started_at = started_at
        self.schedule = schedule
        self.notification_token = notification_token
        self.extra = extra or {}
        self.binding_message = binding_message
        self.finished = False
        # Poll-mode bounds of the decision time (client clock, absolute).
        self.last_pending_sent: float | None = None
        self.cached_result: FlowResult | None = None
        self._prepared: Any = None
        self._waiter: Any = None

    @property
    def auth_req_id_hash(self) -> str:
        """SHA-256 prefix of the auth_req_id (identity without the secret)."""
        return token_hash(self.auth_req_id)

    @property
    def deadline(self) -> float:
        """Monotonic time at which the auth_req_id expires (conservative: counted from sending)."""
        return self.schedule.deadline

    @property
    def timeline(self) -> list[TimelineEvent]:
        return list(self.recorder.events)

    def __repr__(self) -> str:
        return (f"AuthRequest(client_id={self.client_id!r}, mode={self.mode.value!r}, "
                f"auth_req_id={mask_token(self.auth_req_id)}, expires_in={self.expires_in}, "
                f"interval={self.interval})")


@dataclass
class FlowResult:
    """How one CIBA flow ended (the contract shared with runs/, analysis/ and the CLI).

    Attributes:
        outcome: approved, denied, expired or error (also cancelled when the caller cancelled).
        error: OAuth error code, ``transport_error``, ``protocol_error``, ``token_validation_error``,
            ``timeout`` (client-side), or ``None``.
        error_description: The server's description (or the client's explanation).
        hint: The likely setup cause for an OAuth error (from the error class).
        client_id: The client.
        mode: Delivery mode.
        expires_in: From the acknowledgement (``None`` if the request failed before).
        interval: Effective starting interval (server's, or 5 when absent); ``None`` for push.
        polls: Token requests sent in poll mode (ping: token calls after the ping).
        slow_downs: ``slow_down`` answers received.
        timeline: Every exchange, in order.
        latency: Measured latencies.
        id_token_claims: Validated ID token claims (``None`` unless approved).
        started_at: Wall-clock epoch seconds when the flow started.
        auth_req_id_hash: SHA-256 prefix of the auth_req_id (never the value).
        tokens: The tokens (masked in every display), ``None`` unless approved.
        exception: The exception behind ``error``, if any (for ``raise_for_error``).
    """

    outcome: Outcome
    client_id: str
    mode: DeliveryMode
    error: str | None = None
    error_description: str | None = None
    hint: str | None = None
    expires_in: int | None = None
    interval: float | None = None
    polls: int = 0
    slow_downs: int = 0
    unavailable: int = 0
    timeline: list[TimelineEvent] = field(default_factory=list)
    latency: Latency = field(default_factory=Latency)
    id_token_claims: dict[str, Any] | None = None
    started_at: float = 0.0
    auth_req_id_hash: str | None = None
    tokens: TokenSet | None = field(default=None, repr=False)
    exception: CibaError | None = field(default=None, repr=False)

    @property
    def approved(self) -> bool:
        return self.outcome == Outcome.APPROVED

    @property
    def events(self) -> list[TimelineEvent]:
        """Alias of ``timeline``."""
        return self.timeline

    def raise_for_error(self) -> FlowResult:
        """Raise the exception behind a failed flow (OAuth error class, TransportError...), else return self."""
        if self.exception is not None and self.outcome != Outcome.APPROVED:
            raise self.exception
        return self

    def safe_claims(self, *, without_times: bool = False) -> dict[str, Any] | None:
        """ID token claims with the pushed auth_req_id claim masked.

        ``without_times=True`` also drops the time claims (iat, exp, nbf, auth_time), which differ
        on every run: for displays that must be reproducible (notebooks under nbval).
        """
        if self.id_token_claims is None:
            return None
        claims = mask_mapping(self.id_token_claims, keys=(CLAIM_AUTH_REQ_ID, "nonce"))
        if without_times:
            claims = {k: v for k, v in claims.items() if k not in _TIME_CLAIMS}
        return claims

    def to_dict(self) -> dict[str, Any]:
        """The ``ciba-kit request --json`` object (JSON-safe, masked)."""
        return {
            "outcome": self.outcome.value,
            "error": self.error,
            "error_description": self.error_description,
            "hint": self.hint,
            "client_id": self.client_id,
            "mode": self.mode.value,
            "expires_in": self.expires_in,
            "interval": self.interval,
            "polls": self.polls,
            "slow_downs": self.slow_downs,
            "unavailable": self.unavailable,
            "latency_s": self.latency.to_dict(),
            "id_token_claims": self.safe_claims(),
            "started_at": round(self.started_at, 3),
            "auth_req_id_hash": self.auth_req_id_hash,
            "events": [e.to_dict() for e in self.timeline],
        }

    def __repr__(self) -> str:
        total = self.latency.total_s
        return (f"FlowResult(outcome={self.outcome.value!r}, client_id={self.client_id!r}, mode={self.mode.value!r}, "
                f"error={self.error!r}, polls={self.polls}, slow_downs={self.slow_downs}, "
                f"total_s={None if total is None else round(total, 3)}, "
                f"auth_req_id_hash={self.auth_req_id_hash!r})")

    def _repr_html_(self) -> str:
        e = html.escape
        colour = {"approved": "#1a7f37", "denied": "#cf222e", "expired": "#9a6700"}.get(self.outcome.value, "#57606a")
        head = (f"<div class='ciba-flow'><b style='color:{colour}'>{e(self.outcome.value)}</b> "
                f"&middot; client <code>{e(self.client_id)}</code> &middot; mode {e(self.mode.value)} "
                f"&middot; polls {self.polls} &middot; slow_downs {self.slow_downs}")
        if self.error:
            head += f"<br>error <code>{e(self.error)}</code>: {e(self.error_description or '')}"
            if self.hint:
                head += f"<br><i>Hint: {e(self.hint)}</i>"
        rows = "".join(
            f"<tr><td style='text-align:right'>{ev.t:.3f}</td><td>{e(ev.kind)}</td>"
            f"<td>{'' if ev.status is None else ev.status}</td><td>{e(ev.error or '')}</td>"
            f"<td>{e(ev.detail or '')}</td></tr>" for ev in self.timeline)
        table = ("<table><thead><tr><th>t (s)</th><th>event</th><th>HTTP</th><th>error</th><th>detail</th></tr>"
                 f"</thead><tbody>{rows}</tbody></table>")
        claims = ""
        if self.id_token_claims:
            items = "".join(f"<li><code>{e(str(k))}</code>: {e(str(v))}</li>" for k, v in (self.safe_claims() or {}).items())
            claims = f"<details><summary>ID token claims</summary><ul>{items}</ul></details>"
        return head + table + claims + "</div>"


def error_fields(exc: CibaError) -> tuple[str, str | None, str | None]:
    """(error code, description, hint) of an exception, for FlowResult."""
    from ..protocol.errors import ProtocolError, TokenValidationError, TransportError

    if isinstance(exc, OAuthError):
        return exc.error, exc.description, exc.hint or None
    if isinstance(exc, TokenValidationError):
        return "token_validation_error", str(exc), "Check the provider's JWKS, issuer and the client's id."
    if isinstance(exc, ProtocolError):
        return "protocol_error", str(exc), "The server's answer was not valid CIBA/OAuth JSON: is the URL right?"
    if isinstance(exc, TransportError):
        return "transport_error", str(exc), "Is the server reachable (host, port, TLS trust)?"
    return exc.__class__.__name__, str(exc), None
