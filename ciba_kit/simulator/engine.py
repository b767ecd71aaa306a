"""Transactions, simulated phones, notifications and ground truth: the simulator's moving parts.

One :class:`Engine` per simulator. Every CIBA request becomes a :class:`Transaction` holding what
PingFederate tracks (the auth_req_id, its client, lifetime, poll interval) and what PingOne tracks
(a device authentication with a status: ``PUSH_CONFIRMATION_REQUIRED`` -> ``COMPLETED`` |
``FAILED`` | ``PUSH_CONFIRMATION_TIMED_OUT``).

Time: decisions are *planned* in clock time when the request arrives (persona draw: decision and
latency) and *settled lazily*: whoever looks at a transaction (a poll, the device API, the truth
API) first applies every planned event whose clock time has passed, stamping it with the planned
time, not the time of the look. So a poll-mode flow needs no timers at all and a ManualClock works.
Only ping and push clients need the server to act on its own (send the notification); for them a
timer fires at the planned clock time (real delay = clock delay / factor for System/Scaled clocks,
a 10 ms ticker for other clocks).

Ground truth: each transaction has a :class:`TruthRecord` with wall and clock-monotonic stamps of
``received``, ``pushed``, ``decided``, ``tokens_issued`` and ``ping_delivered``. Records outlive
their transactions (bounded ring of ``settings.truth_limit``); transactions are dropped
``settings.retention_s`` clock seconds (default 600) after they expire.

Number matching (the MFA policy's ``push.numberMatching.enabled``): each prompt carries a seeded
``number_challenge`` of three distinct numbers 1-99; the right one is in the ground truth
(``number_expected``) and ``Devices.expected_number`` (what the consumption device would show).
Approving needs ``number=``; a wrong number denies (PingOne: FAILED); personas that approve pick the
right one. The numbers are drawn after the persona, so switching number matching on does not
change a seed's outcomes or latencies.

Locking: one ``threading.Lock`` guards all engine state; the event loop thread (HTTP handlers,
timers) and any user thread (device API from a notebook) take it briefly.
"""

from __future__ import annotations

import asyncio
import base64
import heapq
import itertools
import json
import random
import secrets
import threading
import time as _time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

from ..prompts import PromptContext, PromptPreview, PromptTemplate, ScopeInfo, render_prompt
from ..protocol.clock import Clock, ScaledClock, SystemClock
from ..protocol.constants import CLAIM_AUTH_REQ_ID, CLAIM_RT_HASH, Outcome
from ..protocol.errors import InputError
from ..protocol import jose
from ..protocol.rules import auth_req_id_hash
from .compiled import ClientConf, UserConf
from .demo import DEMO_TEMPLATE_CONTENTS
from .state import SimulatorSettings

__all__ = [
    "Stamp", "TruthRecord", "PendingPrompt", "Transaction", "Engine", "Devices",
    "PUSH_CONFIRMATION_REQUIRED", "COMPLETED", "FAILED", "PUSH_CONFIRMATION_TIMED_OUT", "EXPIRED",
]

PUSH_CONFIRMATION_REQUIRED = "PUSH_CONFIRMATION_REQUIRED"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
PUSH_CONFIRMATION_TIMED_OUT = "PUSH_CONFIRMATION_TIMED_OUT"
EXPIRED = "EXPIRED"

_FALLBACK_TEMPLATES = [PromptTemplate.from_api(c) for c in DEMO_TEMPLATE_CONTENTS]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class _Es256Signer:
    """Compact ES256 JWS straight from ``cryptography`` (joserfc costs ~10x more per token).

    The output is a standard JWS verified by ``jose.verify_jwt`` in the tests, so the fast path
    cannot drift from the shared JOSE helpers unnoticed.
    """

    def __init__(self, key: jose.Key) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        self._key = key.private_key  # type: ignore[union-attr]
        self._algo = ec.ECDSA(hashes.SHA256())
        header = {"typ": "JWT", "alg": "ES256", "kid": key.kid}
        self._header = _b64url(json.dumps(header, separators=(",", ":")).encode())

    def sign(self, claims: dict[str, Any]) -> str:
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        signing_input = self._header + "." + _b64url(json.dumps(claims, separators=(",", ":")).encode())
        r, s_ = decode_dss_signature(self._key.sign(signing_input.encode("ascii"), self._algo))
        return signing_input + "." + _b64url(r.to_bytes(32, "big") + s_.to_bytes(32, "big"))


@dataclass(slots=True)
class Stamp:
    """A moment on both clocks: ``wall`` (epoch seconds) and ``mono`` (clock monotonic seconds)."""

    wall: float
    mono: float

    def to_dict(self) -> dict[str, float]:
        return {"wall": self.wall, "mono": self.mono}


@dataclass(slots=True)
class TruthRecord:
    """What really happened to one transaction (never holds the auth_req_id itself)."""

    auth_req_id_hash: str
    client_id: str
    user: str
    mode: str
    seq: int
    device_id: str
    expires_in: int
    interval: int
    binding_message: str | None
    received: Stamp
    pushed: Stamp | None = None
    decided: Stamp | None = None
    tokens_issued: Stamp | None = None
    ping_delivered: Stamp | None = None
    decision: str | None = None          # approve | deny | timeout (what the phone did)
    planned: str | None = None           # the persona's draw: approve | deny | ignore | manual
    planned_latency_s: float | None = None
    device_status: str = PUSH_CONFIRMATION_REQUIRED
    outcome: str | None = None           # approved | denied | expired (what the client is told)
    error: str | None = None             # the token-endpoint error behind a denied/expired outcome
    polls: int = 0
    slow_downs: int = 0
    ping_status: str | None = None       # HTTP status of the notification POST, or the failure
    expired_at: Stamp | None = None
    contract_attributes: dict[str, Any] | None = None  # what the authenticator received (its contract only)
    warnings: list[str] | None = None    # what the simulator could not do as configured (e.g. OGNL sources)
    number_challenge: list[int] | None = None  # number matching: the three numbers on the phone
    number_expected: int | None = None   # ... the right one (what the other screen shows)
    number_picked: int | None = None     # ... the one the user tapped (None: no pick, e.g. a denial)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (stamps as ``{"wall", "mono"}``)."""
        out: dict[str, Any] = {}
        for name in self.__slots__:  # type: ignore[attr-defined]
            v = getattr(self, name)
            out[name] = v.to_dict() if isinstance(v, Stamp) else v
        return out


@dataclass
class PendingPrompt:
    """A push waiting on a simulated phone (what the phone widget shows)."""

    id: str
    user: str
    title: str
    body: str
    category: str
    binding_message: str | None
    client_id: str
    client_name: str
    locale: str
    variant: str | None
    template_name: str = "transaction"
    status: str = PUSH_CONFIRMATION_REQUIRED
    manual: bool = True
    reason: str = ""
    number_challenge: list[int] | None = None  # number matching on: pick one (approve(id, number=N))

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Transaction:
    """One CIBA request: PingFederate's grant state plus PingOne's device authentication."""

    __slots__ = ("auth_req_id", "client", "user", "scopes", "acr", "binding_message", "notification_token",
                 "mode", "received", "expires_at", "interval", "last_poll", "planned", "planned_at",
                 "push_deadline", "status", "decided_at", "redeemed", "prompt", "truth", "device_id",
                 "notified", "denial_reported", "render_args", "number_challenge", "number_expected")

    def __init__(self, **kw: Any) -> None:
        for k in self.__slots__:
            setattr(self, k, kw.get(k))


class _Scheduler:
    """Run callbacks at clock-monotonic times on the server's event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, clock: Clock) -> None:
        self.loop = loop
        self.clock = clock
        if isinstance(clock, SystemClock):
            self.factor: float | None = 1.0
        elif isinstance(clock, ScaledClock):
            self.factor = clock.factor
        else:
            self.factor = None
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._count = itertools.count()
        self._ticker: asyncio.Task[None] | None = None

    def at(self, when: float, fn: Callable[[], None]) -> None:
        """Schedule ``fn`` at clock time ``when`` (call on the loop thread)."""
        if self.factor is not None:
            delay = max(0.0, (when - self.clock.monotonic()) / self.factor) + 0.001
            self.loop.call_later(delay, fn)
            return
        heapq.heappush(self._heap, (when, next(self._count), fn))
        if self._ticker is None:
            self._ticker = self.loop.create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(0.01)
            now = self.clock.monotonic()
            while self._heap and self._heap[0][0] <= now:
                _, _, fn = heapq.heappop(self._heap)
                try:
                    fn()
                except Exception:  # noqa: BLE001 - a failing callback must not stop the ticker
                    pass


class Engine:
    """All transactions, tokens and ground truth of one simulator."""

    def __init__(self, *, clock: Clock, seed: int, settings: SimulatorSettings, issuer: str,
                 signing_key: jose.Key) -> None:
        self.clock = clock
        self.seed = seed
        self.settings = settings
        self.issuer = issuer
        self.key = signing_key
        self.kid = signing_key.kid
        self._signer = _Es256Signer(signing_key)
        self.lock = threading.Lock()
        self.txs: dict[str, Transaction] = {}
        self.by_device: dict[str, Transaction] = {}
        self.pending: dict[str, Transaction] = {}   # device id -> tx awaiting a decision
        self.truth_records: OrderedDict[str, TruthRecord] = OrderedDict()  # hash -> record
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        self._drop_heap: list[tuple[float, str]] = []
        self._token_heap: list[tuple[float, str]] = []
        self._user_seq: dict[str, int] = {}
        self._seq = 0
        self.jti_cache: dict[str, float] = {}
        self._jti_heap: list[tuple[float, str]] = []
        self.prompt_event = threading.Condition(self.lock)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.scheduler: _Scheduler | None = None
        self.http: Any = None  # aiohttp.ClientSession for notifications, created on the loop

    # ----------------------------------------------------------------- lifecycle
    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Bind to the server's event loop (timers and notifications run there)."""
        self.loop = loop
        self.scheduler = _Scheduler(loop, self.clock)

    def stamp(self) -> Stamp:
        return Stamp(self.clock.time(), self.clock.monotonic())

    def _stamp_at(self, tx: Transaction, mono: float) -> Stamp:
        rec = tx.received
        return Stamp(rec.wall + (mono - rec.mono), mono)

    # ----------------------------------------------------------------- replay caches
    def remember_jti(self, key: str, until: float) -> bool:
        """Record a JWT id until wall-clock time ``until`` (its exp); False if already seen (replay)."""
        now = self.clock.time()
        with self.lock:
            heap = self._jti_heap
            while heap and heap[0][0] <= now:
                _, old = heapq.heappop(heap)
                if self.jti_cache.get(old, 0) <= now:
                    self.jti_cache.pop(old, None)
            if key in self.jti_cache:
                return False
            self.jti_cache[key] = until
            heapq.heappush(heap, (until, key))
            return True

    # ----------------------------------------------------------------- transactions
    def create(self, *, client: ClientConf, user: UserConf, scopes: list[str], acr: str | None,
               binding_message: str | None, notification_token: str | None, expires_in: int,
               templates: dict[str, list[PromptTemplate]], default_language: str,
               contract_attributes: dict[str, Any] | None = None,
               warnings: list[str] | None = None) -> Transaction:
        """Register a new CIBA request, send the (simulated) push and plan the user's answer.

        ``contract_attributes`` are what the request policy's contract fulfillment gave the
        authenticator (``subject`` + its extended contract); ``warnings`` go to the ground truth.
        """
        now = self.stamp()
        auth_req_id = secrets.token_urlsafe(32)
        policy = client.policy
        assert policy is not None
        with self.lock:
            self._sweep(now.mono)
            n = self._user_seq.get(user.username, 0)
            self._user_seq[user.username] = n + 1
            self._seq += 1
            seq = self._seq
        rng = random.Random(f"{self.seed}/{user.username}/{n}")
        device_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        push_deadline = now.mono + policy.push_timeout
        if not user.paired:
            planned, latency = "no_device", 0.0
        elif user.persona is None:
            planned, latency = "manual", None
        else:
            planned, latency = user.persona.decide(rng)
        challenge: list[int] | None = None
        expected: int | None = None
        if policy.number_matching and user.paired:
            # Drawn after the persona so number matching does not change a seed's outcomes.
            challenge = rng.sample(range(1, 100), 3)
            expected = challenge[rng.randrange(3)]
        if contract_attributes is None:
            contract_attributes = {"subject": user.username}
        # Rendered on first look (device API, widget): a pure function of these request-time inputs,
        # so deferring it changes nothing but the cost of requests nobody looks at.
        render_args = (client, user, scopes, binding_message, templates, default_language, device_id,
                       planned == "manual", contract_attributes, challenge)
        tx = Transaction(
            auth_req_id=auth_req_id, client=client, user=user, scopes=scopes, acr=acr,
            binding_message=binding_message, notification_token=notification_token, mode=client.mode,
            received=now, expires_at=now.mono + expires_in, interval=client.interval, last_poll=None,
            planned=planned, push_deadline=push_deadline, status=PUSH_CONFIRMATION_REQUIRED, decided_at=None,
            redeemed=False, prompt=None, device_id=device_id, notified=False, denial_reported=False,
            render_args=render_args, number_challenge=challenge, number_expected=expected)
        if planned in ("approve", "deny"):
            tx.planned_at = now.mono + latency  # type: ignore[operator]
        elif planned == "no_device":
            tx.planned_at = now.mono
        else:
            tx.planned_at = None
        truth = TruthRecord(
            auth_req_id_hash=auth_req_id_hash(auth_req_id), client_id=client.id, user=user.username,
            mode=client.mode, seq=seq, device_id=device_id, expires_in=expires_in, interval=client.interval,
            binding_message=binding_message, received=now, pushed=now if user.paired else None,
            planned=planned, planned_latency_s=latency if planned in ("approve", "deny") else None,
            contract_attributes=contract_attributes, warnings=warnings or None, number_challenge=challenge,
            number_expected=expected)
        tx.truth = truth
        with self.lock:
            self.txs[auth_req_id] = tx
            self.by_device[device_id] = tx
            if user.paired:
                self.pending[device_id] = tx
            self.truth_records[truth.auth_req_id_hash] = truth
            while len(self.truth_records) > self.settings.truth_limit:
                self.truth_records.popitem(last=False)
            heapq.heappush(self._drop_heap, (tx.expires_at + self.settings.retention_s, auth_req_id))
            if not user.paired:
                self._settle(tx, now.mono)
            self.prompt_event.notify_all()
        if tx.mode in ("ping", "push") and self.scheduler is not None:
            first = min(tx.planned_at, push_deadline) if tx.planned_at is not None else push_deadline
            self.scheduler.at(first, lambda: self._on_timer(tx))
        return tx

    def prompt_of(self, tx: Transaction) -> PendingPrompt:
        """The prompt the phone shows for ``tx`` (rendered once, on first use)."""
        if tx.prompt is None:
            tx.prompt = self._render(*tx.render_args)
        tx.prompt.status = tx.status
        return tx.prompt

    def _render(self, client: ClientConf, user: UserConf, scopes: list[str], binding_message: str | None,
                templates: dict[str, list[PromptTemplate]], default_language: str, device_id: str,
                manual: bool, contract_attributes: dict[str, Any], challenge: list[int] | None) -> PendingPrompt:
        policy = client.policy
        assert policy is not None
        descr = self.settings.scopes
        ctx = PromptContext(client_id=client.id, client_name=client.name, logo_url=client.logo_url,
                            scopes=[ScopeInfo(s, descr.get(s, "")) for s in scopes],
                            binding_message=binding_message, locale=None, user_locale=user.locale,
                            user_attributes={"username": user.username, "email": user.doc.get("email", "")},
                            contract_attributes=dict(contract_attributes))
        contents = templates.get(policy.template_name) or []
        name = policy.template_name
        if not contents:
            # PingOne falls back to its built-in content for a template without custom content.
            contents, name = _FALLBACK_TEMPLATES, "transaction"
        try:
            pv: PromptPreview = render_prompt(contents, ctx, template_name=name, variant=policy.variant,
                                              variables=policy.variables or None, default_language=default_language,
                                              language_pack=policy.language_pack, lint=False)
            return PendingPrompt(id=device_id, user=user.username, title=pv.title, body=pv.body,
                                 category=str(pv.category), binding_message=binding_message, client_id=client.id,
                                 client_name=client.name, locale=pv.locale, variant=pv.variant,
                                 template_name=pv.template_name, manual=manual, reason=pv.reason,
                                 number_challenge=list(challenge) if challenge else None)
        except Exception as exc:  # noqa: BLE001 - a broken template shows on the phone, not as a 500
            return PendingPrompt(id=device_id, user=user.username, title=client.name,
                                 body=f"(prompt could not be rendered: {exc})", category="BANNER_BUTTONS",
                                 binding_message=binding_message, client_id=client.id, client_name=client.name,
                                 locale=default_language, variant=policy.variant, template_name=name,
                                 manual=manual, reason=f"render error: {exc}",
                                 number_challenge=list(challenge) if challenge else None)

    def _sweep(self, now: float) -> None:
        heap = self._drop_heap
        while heap and heap[0][0] <= now:
            _, rid = heapq.heappop(heap)
            tx = self.txs.pop(rid, None)
            if tx is not None:
                self._settle(tx, now)  # finalise its ground truth before it goes
                self.by_device.pop(tx.device_id, None)
                self.pending.pop(tx.device_id, None)
        th = self._token_heap
        while th and th[0][0] <= now:
            _, tok = heapq.heappop(th)
            self.access_tokens.pop(tok, None)

    def _settle(self, tx: Transaction, now: float) -> None:
        """Apply planned events up to ``now`` (lock held)."""
        if tx.status != PUSH_CONFIRMATION_REQUIRED:
            self._expire_truth(tx, now)
            return
        if tx.planned == "no_device":
            self._decide(tx, "deny", tx.received.mono, status=FAILED)
        else:
            # The phone's next event: the planned answer, or the push timeout if that comes first.
            if tx.planned_at is not None and tx.planned_at < tx.push_deadline:
                at, what = tx.planned_at, tx.planned
            else:
                at, what = tx.push_deadline, "timeout"
            if at < tx.expires_at:
                if now >= at:
                    self._decide(tx, what, at)
            elif now >= tx.expires_at:
                # PingFederate gave up on the grant first: the prompt leaves the phone unanswered.
                tx.status = EXPIRED
                tx.truth.device_status = EXPIRED
                self.pending.pop(tx.device_id, None)
        self._expire_truth(tx, now)

    def _expire_truth(self, tx: Transaction, now: float) -> None:
        t = tx.truth
        if t.outcome is None and now >= tx.expires_at and not tx.redeemed:
            t.outcome = Outcome.EXPIRED.value
            t.error = "expired_token"
            t.expired_at = self._stamp_at(tx, tx.expires_at)

    def _decide(self, tx: Transaction, decision: str, at: float, *, status: str | None = None) -> None:
        """Record the phone's answer at clock time ``at`` (lock held)."""
        if decision == "approve":
            tx.status = COMPLETED
        elif decision == "deny":
            tx.status = status or FAILED
        else:
            tx.status = PUSH_CONFIRMATION_TIMED_OUT
        tx.decided_at = at
        t = tx.truth
        if decision == "approve" and tx.number_expected is not None and t.number_picked is None:
            t.number_picked = tx.number_expected  # a persona (or an automation hook) taps the right one
        t.decision = decision if tx.planned != "no_device" else "no_device"
        t.device_status = tx.status
        t.decided = self._stamp_at(tx, at)
        if at < tx.expires_at:
            if tx.status == FAILED:
                t.outcome, t.error = Outcome.DENIED.value, "access_denied"
            elif tx.status == PUSH_CONFIRMATION_TIMED_OUT and self.settings.push_timeout_result != "pending":
                t.outcome, t.error = Outcome.DENIED.value, "access_denied"
        self.pending.pop(tx.device_id, None)

    def settle(self, tx: Transaction) -> None:
        """Bring ``tx`` up to the clock's present."""
        with self.lock:
            self._settle(tx, self.clock.monotonic())

    def lookup(self, auth_req_id: str) -> Transaction | None:
        return self.txs.get(auth_req_id)

    # ----------------------------------------------------------------- manual decisions
    def _find_pending(self, id_or_user: str) -> Transaction:
        """A pending prompt's transaction by prompt id, else the user's oldest (lock held, settled)."""
        tx = self.pending.get(id_or_user)
        if tx is None:
            mine = [t for t in self.pending.values() if t.user.username == id_or_user]
            if not mine:
                raise InputError("id_or_user", f"no pending prompt with id or for user {id_or_user!r}",
                                 "call sim.devices.pending() to see the prompts waiting for an answer")
            tx = min(mine, key=lambda t: t.received.mono)
        return tx

    def decide_manually(self, id_or_user: str, approve: bool, *, number: int | None = None,
                        auto_number: bool = False) -> PendingPrompt:
        """Approve or deny a pending prompt by its id, or the oldest pending prompt of a user.

        With number matching on, approving needs ``number`` (one of the prompt's
        ``number_challenge``); a wrong number denies (PingOne: FAILED). ``auto_number`` picks the
        right one (automation hooks). Without number matching, ``number`` is ignored.

        Raises:
            InputError: no such pending prompt; number matching on and no (or a non-integer) number.
        """
        now = self.clock.monotonic()
        with self.lock:
            for t in list(self.pending.values()):
                self._settle(t, now)
            tx = self._find_pending(id_or_user)
            decision = "approve" if approve else "deny"
            if approve and tx.number_expected is not None:
                if auto_number:
                    number = tx.number_expected
                if number is None or isinstance(number, bool) or not isinstance(number, int):
                    raise InputError("number", f"this prompt uses number matching; got {number!r}",
                                     f"approve with one of {tx.number_challenge}, e.g. "
                                     f"sim.devices.approve({tx.device_id!r}, number=N)")
                tx.truth.number_picked = number
                if number != tx.number_expected:
                    decision = "deny"  # PingOne fails the authentication on a wrong pick
            self._decide(tx, decision, now)
            prompt = self.prompt_of(tx)
        if tx.mode in ("ping", "push") and self.loop is not None:
            try:
                self.loop.call_soon_threadsafe(self._on_timer, tx)
            except RuntimeError:  # loop closed: the simulator is stopping
                pass
        return prompt

    def expected_number(self, id_or_user: str) -> int | None:
        """The right number of a pending prompt (number matching), None when it is off."""
        now = self.clock.monotonic()
        with self.lock:
            for t in list(self.pending.values()):
                self._settle(t, now)
            tx = self._find_pending(id_or_user)
            return tx.number_expected

    def pending_prompts(self, user: str | None = None) -> list[PendingPrompt]:
        now = self.clock.monotonic()
        with self.lock:
            for t in list(self.pending.values()):
                self._settle(t, now)
            txs = sorted(self.pending.values(), key=lambda t: t.received.mono)
            return [self.prompt_of(t) for t in txs if user is None or t.user.username == user]

    def wait_for_prompt(self, user: str | None, timeout: float = 5.0) -> PendingPrompt:
        """Block (real seconds) until ``user`` has a pending prompt; return the oldest."""
        deadline = _time.monotonic() + timeout
        while True:
            found = self.pending_prompts(user)
            if found:
                return found[0]
            left = deadline - _time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no prompt for {user or 'any user'} within {timeout:g} s")
            with self.lock:
                self.prompt_event.wait(min(left, 0.05))

    # ----------------------------------------------------------------- tokens
    def issue_tokens(self, tx: Transaction, *, push: bool = False) -> dict[str, Any]:
        """Mint the token response for an approved transaction (lock NOT held)."""
        settings = self.settings
        now_wall = self.clock.time()
        access_token = secrets.token_urlsafe(32)
        scope = " ".join(tx.scopes)
        claims: dict[str, Any] = {
            "iss": self.issuer, "sub": tx.user.username, "aud": tx.client.id,
            "iat": int(now_wall), "exp": int(now_wall) + settings.id_token_lifetime,
            "auth_time": int(tx.truth.decided.wall if tx.truth.decided else now_wall),
        }
        if tx.acr:
            claims["acr"] = tx.acr
        refresh_token = None
        if "offline_access" in tx.scopes and "REFRESH_TOKEN" in [str(g).upper() for g in tx.client.doc.get("grantTypes") or []]:
            refresh_token = secrets.token_urlsafe(32)
        if push:
            claims[CLAIM_AUTH_REQ_ID] = tx.auth_req_id
            claims["at_hash"] = jose.left_hash(access_token, "ES256")
            if refresh_token:
                claims[CLAIM_RT_HASH] = jose.left_hash(refresh_token, "ES256")
        id_token = self._signer.sign(claims)
        body: dict[str, Any] = {"access_token": access_token, "token_type": "Bearer",
                                "expires_in": settings.access_token_lifetime, "scope": scope, "id_token": id_token}
        if refresh_token:
            body["refresh_token"] = refresh_token
        stamp = self.stamp()
        with self.lock:
            self.access_tokens[access_token] = {"sub": tx.user.username, "scopes": tx.scopes, "client_id": tx.client.id,
                                                "exp": stamp.mono + settings.access_token_lifetime, "user": tx.user}
            heapq.heappush(self._token_heap, (stamp.mono + settings.access_token_lifetime, access_token))
            if refresh_token:
                self.refresh_tokens[refresh_token] = {"tx_scopes": tx.scopes, "client_id": tx.client.id,
                                                      "user": tx.user}
            tx.truth.tokens_issued = stamp
            tx.truth.outcome = Outcome.APPROVED.value
            tx.truth.error = None
        if push:
            body["auth_req_id"] = tx.auth_req_id
        return body

    def userinfo(self, access_token: str) -> dict[str, Any] | None:
        now = self.clock.monotonic()
        with self.lock:
            info = self.access_tokens.get(access_token)
        if info is None or info["exp"] <= now:
            return None
        user: UserConf = info["user"]
        out: dict[str, Any] = {"sub": info["sub"]}
        scopes = info["scopes"]
        doc = user.doc
        if "profile" in scopes:
            name = doc.get("name") or {}
            out.update({"preferred_username": user.username, "given_name": name.get("given"),
                        "family_name": name.get("family"),
                        "name": " ".join(x for x in (name.get("given"), name.get("family")) if x)})
            if user.locale:
                out["locale"] = user.locale
        if "email" in scopes and doc.get("email"):
            out["email"] = doc["email"]
            out["email_verified"] = True
        return {k: v for k, v in out.items() if v is not None}

    # ----------------------------------------------------------------- notifications
    def _on_timer(self, tx: Transaction) -> None:
        """Settle and, for ping/push clients, notify once the result is final (loop thread)."""
        now = self.clock.monotonic()
        with self.lock:
            self._settle(tx, now)
            if tx.notified:
                return
            status = tx.status
            expired = now >= tx.expires_at
            final = status in (COMPLETED, FAILED) or (
                status == PUSH_CONFIRMATION_TIMED_OUT and self.settings.push_timeout_result != "pending")
            if tx.mode == "push" and expired and not final:
                final = True
            if not final:
                # Timers may fire a hair early (libuv rounds to milliseconds): try again at the
                # next planned moment rather than miss the notification.
                nxt = [t for t in (tx.planned_at if status == PUSH_CONFIRMATION_REQUIRED else None,
                                   tx.push_deadline if status == PUSH_CONFIRMATION_REQUIRED else None,
                                   tx.expires_at) if t is not None and t > now]
                if nxt and self.scheduler is not None:
                    self.scheduler.at(min(nxt), lambda: self._on_timer(tx))
                return
            tx.notified = True
        if self.loop is not None:
            self.loop.create_task(self._notify(tx, expired=expired and status != COMPLETED))

    async def _notify(self, tx: Transaction, *, expired: bool) -> None:
        url = tx.client.notification_endpoint
        token = tx.notification_token or ""
        if tx.mode == "ping":
            payload: dict[str, Any] = {"auth_req_id": tx.auth_req_id}
        elif tx.status == COMPLETED and not expired:
            payload = self.issue_tokens(tx, push=True)
            with self.lock:
                tx.redeemed = True
        elif expired:
            payload = {"auth_req_id": tx.auth_req_id, "error": "expired_token",
                       "error_description": "The authentication request expired before the user answered"}
        else:
            payload = {"auth_req_id": tx.auth_req_id, "error": "access_denied",
                       "error_description": _denial_text(tx, self.settings)}
        result: str
        if not url:
            result = "error: no cibaNotificationEndpoint configured"
        else:
            try:
                if self.http is None:
                    # aiohttp rather than httpx: it stays cheap with hundreds of notifications in flight.
                    import aiohttp
                    self.http = aiohttp.ClientSession(
                        connector=aiohttp.TCPConnector(limit=256),
                        timeout=aiohttp.ClientTimeout(total=self.settings.ping_timeout_s), trust_env=False)
                async with self.http.post(url, data=json.dumps(payload).encode(), allow_redirects=False,
                                          headers={"Authorization": f"Bearer {token}",
                                                   "Content-Type": "application/json"}) as resp:
                    await resp.read()
                    result = str(resp.status)
            except Exception as exc:  # noqa: BLE001 - delivery failure is recorded, never raised
                result = f"error: {type(exc).__name__}"
        with self.lock:
            tx.truth.ping_delivered = self.stamp()
            tx.truth.ping_status = result

    async def aclose(self) -> None:
        if self.http is not None:
            try:
                await self.http.close()
            except Exception:  # noqa: BLE001
                pass
            self.http = None

    # ----------------------------------------------------------------- truth
    def truth(self, auth_req_id: str | None = None) -> TruthRecord | list[TruthRecord]:
        """One record (by auth_req_id or its hash) or all records, settled to the present."""
        now = self.clock.monotonic()
        with self.lock:
            for t in list(self.pending.values()):
                self._settle(t, now)
            if auth_req_id is None:
                for tx in self.txs.values():
                    self._expire_truth(tx, now)
                return list(self.truth_records.values())
            tx = self.txs.get(auth_req_id)
            if tx is not None:
                self._settle(tx, now)
                return tx.truth
            rec = self.truth_records.get(auth_req_id) or self.truth_records.get(auth_req_id_hash(auth_req_id))
            if rec is None:
                raise KeyError("no ground truth for that auth_req_id (or hash)")
            return rec


def _denial_text(tx: Transaction, settings: SimulatorSettings) -> str:
    if tx.status == PUSH_CONFIRMATION_TIMED_OUT:
        return "The PingOne push notification timed out: the user did not answer"
    if tx.planned == "no_device":
        return "The user has no paired device for push authentication"
    return "The user denied the request"


class Devices:
    """The simulated phones: what is waiting, and manual answers (the phone widget's API)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def pending(self, user: str | None = None) -> list[PendingPrompt]:
        """Prompts waiting for an answer, oldest first (optionally one user's)."""
        return self._engine.pending_prompts(user)

    def approve(self, id_or_user: str, *, number: int | None = None) -> PendingPrompt:
        """Tap Approve on a prompt (by prompt id, or the user's oldest pending prompt).

        Args:
            id_or_user: the prompt's ``id``, or a username (their oldest pending prompt).
            number: with number matching on (MFA policy ``push.numberMatching.enabled``), the
                number tapped among the prompt's ``number_challenge``; a wrong one denies.
                Ignored when number matching is off.

        Raises:
            InputError: no such prompt, or number matching on and ``number`` missing.
        """
        return self._engine.decide_manually(id_or_user, True, number=number)

    def expected_number(self, id_or_user: str) -> int | None:
        """The number the user must pick (what the consumption device shows), or None without number matching.

        Raises:
            InputError: no such pending prompt.
        """
        return self._engine.expected_number(id_or_user)

    def deny(self, id_or_user: str) -> PendingPrompt:
        """Tap Deny on a prompt (by prompt id, or the user's oldest pending prompt)."""
        return self._engine.decide_manually(id_or_user, False)

    def wait_for_prompt(self, user: str | None = None, timeout: float = 5.0) -> PendingPrompt:
        """Block up to ``timeout`` real seconds for a prompt to reach ``user``'s phone."""
        return self._engine.wait_for_prompt(user, timeout)

    def __repr__(self) -> str:
        return f"Devices(pending={len(self._engine.pending)})"
