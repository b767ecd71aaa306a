"""Campaigns: many CIBA flows against one target, bounded concurrency, optional arrival rate.

Each flow is ``await client.authenticate(login_hint=...)`` on one of the campaign's clients (one
client per delivery mode or per variant: delivery mode is a property of the registered client,
so "poll, ping or a mix" means one client or several). Every flow is written to the run log as
it starts (``incomplete``) and as it ends, so an interruption loses nothing that finished:

- task cancellation / Ctrl-C under ``asyncio.run`` / a kernel interrupt: in-flight flows are
  cancelled and recorded as ``cancelled``, the run is closed as ``interrupted``, and the
  interruption propagates (``CancelledError`` / ``KeyboardInterrupt``) after the log is safe;
- a killed process: the next :class:`~ciba_kit.runs.store.RunLog` open marks the run ``dead``;
  its in-flight flows stay ``incomplete``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from ciba_kit.protocol.clock import SYSTEM_CLOCK, Clock
from ciba_kit.protocol.constants import Outcome
from ciba_kit.protocol.errors import CibaError, InputError, OAuthError

from .population import Member, Population
from .store import FlowRecord, RunLog

__all__ = ["Campaign", "CampaignProgress", "run_campaign", "flow_record", "attach_truth"]

#: Keys whose values must never reach the run log (event details are free-form).
_SECRET_KEYS = {
    "auth_req_id", "access_token", "id_token", "refresh_token", "client_secret", "client_assertion",
    "client_notification_token", "notification_token", "token", "password", "authorization", "request",
}


def _scrub(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): ("***" if str(k).lower() in _SECRET_KEYS else _scrub(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _detail(detail: Any) -> str | None:
    if detail is None or detail == {} or detail == "":
        return None
    if isinstance(detail, str):
        return detail
    return json.dumps(_scrub(detail), sort_keys=True, default=str)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def flow_record(result: Any, *, ended_at: float | None = None, variant: str | None = None) -> FlowRecord:
    """Flatten a client ``FlowResult`` into a run-log :class:`FlowRecord` (no secrets)."""
    lat = getattr(result, "latency", None)

    def lat_get(name: str) -> float | None:
        if lat is None:
            return None
        return _num(lat.get(name) if isinstance(lat, Mapping) else getattr(lat, name, None))

    outcome = str(getattr(result, "outcome", Outcome.ERROR))
    total = lat_get("total_s")
    events = []
    for ev in getattr(result, "timeline", None) or ():
        status = getattr(ev, "status", None)
        err = getattr(ev, "error", None)
        events.append(
            (
                float(getattr(ev, "t", 0.0) or 0.0),
                str(getattr(ev, "kind", "?")),
                None if status is None else int(status),
                None if err is None else str(err),
                _detail(getattr(ev, "detail", None)),
            )
        )
    mode = getattr(result, "mode", None)
    error = getattr(result, "error", None)
    return FlowRecord(
        outcome=outcome,
        client_id=getattr(result, "client_id", None),
        mode=None if mode is None else str(mode),
        variant=variant,
        error=None if error is None else str(error),
        error_description=getattr(result, "error_description", None),
        ended_at=ended_at,
        expires_in=_num(getattr(result, "expires_in", None)),
        interval_s=_num(getattr(result, "interval", None)),
        polls=getattr(result, "polls", None),
        slow_downs=getattr(result, "slow_downs", None),
        ack_s=lat_get("ack_s"),
        decision_s=lat_get("decision_s"),
        decision_after_s=lat_get("decision_after_s"),
        decision_before_s=lat_get("decision_before_s"),
        # Time to tokens only exists for flows that got tokens.
        tokens_s=total if outcome == Outcome.APPROVED else None,
        auth_req_id_hash=getattr(result, "auth_req_id_hash", None),
        events=events,
    )


def _error_record(exc: BaseException, client_id: str | None, mode: str | None, ended_at: float) -> FlowRecord:
    code = getattr(exc, "code", None) if isinstance(exc, OAuthError) else None
    name = str(code) if code else type(exc).__name__
    text = str(exc) if isinstance(exc, CibaError) else f"{type(exc).__name__}: {exc}"
    return FlowRecord(outcome=str(Outcome.ERROR), client_id=client_id, mode=mode, error=name,
                      error_description=text[:500], ended_at=ended_at)


def _field(rec: Any, *names: str) -> Any:
    for name in names:
        val = rec.get(name) if isinstance(rec, Mapping) else getattr(rec, name, None)
        if val is not None:
            return val
    return None


def _mono(rec: Any, event: str) -> float | None:
    """A truth timestamp on the simulator's monotonic clock (a ``Stamp`` or its dict)."""
    val = _field(rec, event)
    if val is None:
        return None
    if isinstance(val, Mapping):
        return _num(val.get("mono"))
    if hasattr(val, "mono"):
        return _num(val.mono)
    return _num(val)


def _truth_by_hash(truth: Any) -> dict[str, Any]:
    if truth is None:
        return {}
    records = truth.values() if isinstance(truth, Mapping) else truth
    out = {}
    for rec in records:
        h = _field(rec, "auth_req_id_hash")
        if h is None:
            rid = _field(rec, "auth_req_id")
            h = None if rid is None else hashlib.sha256(str(rid).encode()).hexdigest()
        if h is not None:
            out[str(h)] = rec
    return out


def attach_truth(log: RunLog, run_id: int, truth: Any) -> int:
    """Join the simulator's ground truth (``sim.truth()``) onto a run's flows; return matches.

    Records are matched on the auth_req_id hash (prefixes of one SHA-256, so differing lengths
    still match). ``true_decision_s`` is decided - received on the simulator's clock: when the
    user really answered, on (nearly) the time base of the client's ``decision_*`` columns,
    which start when the request is sent.
    """
    by_hash = _truth_by_hash(truth)
    if not by_hash:
        return 0
    rows = log.connection.execute(
        "SELECT flow_id, auth_req_id_hash FROM flow WHERE run_id = ? AND auth_req_id_hash IS NOT NULL", (run_id,)
    ).fetchall()
    if not rows:
        return 0
    n = min(len(rows[0][1]), min(len(h) for h in by_hash))
    index = {h[:n]: rec for h, rec in by_hash.items()}
    updates = []
    for flow_id, h in rows:
        rec = index.get(h[:n])
        if rec is None:
            continue
        decided, origin = _mono(rec, "decided"), _mono(rec, "received")
        outcome = _field(rec, "outcome")
        dec = None if decided is None or origin is None else decided - origin
        updates.append((flow_id, None if outcome is None else str(outcome), dec))
    log.set_truth(updates)
    return len(updates)


@dataclass
class CampaignProgress:
    """Live counts of a campaign (also what the progress bar's postfix shows)."""

    total: int
    done: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def postfix(self) -> dict[str, int]:
        """The progress bar's postfix: approved / denied / expired / errors."""
        c = self.counts
        return {
            "approved": c.get("approved", 0),
            "denied": c.get("denied", 0),
            "expired": c.get("expired", 0),
            "errors": c.get("error", 0),
        }


def _make_bar(total: int, enabled: bool, desc: str) -> Any:
    if not enabled:
        return None
    # tqdm.auto picks the ipywidgets bar inside a kernel and the text bar in a terminal.
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="flow", dynamic_ncols=True, leave=True)


@dataclass
class Campaign:
    """A configured campaign; :meth:`run` executes it and returns the :class:`RunLog`.

    Args:
        clients: one client, a list, or ``{variant: client}``. Flows go round-robin over them
            (or to the client of the member's variant when the population carries variants).
        population: who to address: a :class:`Population` or a list of login hints.
        flows: how many flows in total.
        concurrency: maximum flows in flight (an ``asyncio.Semaphore``).
        rate: mean arrivals per clock second (Poisson, seeded); unlimited when None.
        seed: seeds user assignment and arrival gaps.
        db: a :class:`RunLog`, a file path, or None for an in-memory log.
        clock: campaign time (timestamps, arrival gaps); the first client's ``clock`` by default.
        progress: show a progress bar (turn off in tests and nbval-compared cells).
        binding_message: a fixed string or ``f(seq, member) -> str | None``.
        request: extra keyword arguments for ``client.authenticate`` (scope, acr_values, ...).
        truth: a simulator (anything with ``truth()``) to join ground truth after the run.
        target, name: labels stored with the run.
    """

    clients: Any
    population: Population | Sequence[str]
    flows: int
    concurrency: int = 10
    rate: float | None = None
    seed: int = 0
    db: RunLog | str | None = None
    clock: Clock | None = None
    progress: bool = True
    binding_message: str | Callable[[int, Member], str | None] | None = None
    request: Mapping[str, Any] = field(default_factory=dict)
    truth: Any = None
    target: str | None = None
    name: str | None = None
    run_id: int | None = field(default=None, init=False)
    state: CampaignProgress | None = field(default=None, init=False)
    interrupted: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.flows, int) or self.flows < 0:
            raise InputError("flows", f"must be a whole number >= 0, got {self.flows!r}", "e.g. --flows 100")
        if not isinstance(self.concurrency, int) or self.concurrency < 1:
            raise InputError("concurrency", f"must be a whole number >= 1, got {self.concurrency!r}", "e.g. --concurrency 10")
        if self.rate is not None and not self.rate > 0:
            raise InputError("rate", f"must be > 0 flows per second, got {self.rate!r}", "omit it for no arrival limit")
        if not isinstance(self.population, Population):
            self.population = Population.from_hints(list(self.population))
        if isinstance(self.clients, Mapping):
            self._arms = [(str(k), v) for k, v in self.clients.items()]
        elif isinstance(self.clients, (list, tuple)):
            self._arms = [(None, c) for c in self.clients]
        else:
            self._arms = [(None, self.clients)]
        if not self._arms:
            raise InputError("clients", "no client given", "pass a CibaClient")
        self._by_variant = {k: c for k, c in self._arms if k is not None}
        if self.clock is None:
            self.clock = getattr(self._arms[0][1], "clock", None) or SYSTEM_CLOCK

    # -- helpers --------------------------------------------------------------------------------
    def _client_for(self, seq: int, member: Member) -> tuple[str | None, Any]:
        if member.variant is not None and member.variant in self._by_variant:
            return member.variant, self._by_variant[member.variant]
        label, client = self._arms[seq % len(self._arms)]
        return (member.variant if label is None else label), client

    def _settings(self) -> dict[str, Any]:
        pop = self.population
        assert isinstance(pop, Population)
        return {
            "flows": self.flows,
            "concurrency": self.concurrency,
            "rate": self.rate,
            "clients": [{"variant": k, "client_id": getattr(c, "client_id", None),
                         "mode": str(getattr(c, "mode", "") or "") or None} for k, c in self._arms],
            "population": pop.describe(),
            "clock": repr(self.clock),
            "request": {k: v for k, v in _scrub(dict(self.request)).items()},
        }

    def _open_log(self) -> RunLog:
        if isinstance(self.db, RunLog):
            return self.db
        return RunLog(":memory:" if self.db is None else self.db)

    # -- run ------------------------------------------------------------------------------------
    async def run(self) -> RunLog:
        """Run every flow; return the run log (``log.run_id`` is this run)."""
        log = self._open_log()
        clock = self.clock
        assert clock is not None
        pop = self.population
        assert isinstance(pop, Population)
        client_ids = sorted({str(getattr(c, "client_id", "?")) for _, c in self._arms})
        target = self.target or getattr(self._arms[0][1], "issuer", None)
        self.run_id = run_id = log.start_run(
            target=None if target is None else str(target), client=",".join(client_ids),
            settings=self._settings(), seed=self.seed, name=self.name, started_at=clock.time(),
        )
        members = pop.assign(self.flows, seed=self.seed)
        rng = random.Random(f"arrivals-{self.seed}")
        state = self.state = CampaignProgress(total=self.flows)
        bar = _make_bar(self.flows, self.progress, self.name or "flows")
        sem = asyncio.Semaphore(self.concurrency)
        tasks: set[asyncio.Task[None]] = set()

        def done(outcome: str) -> None:
            state.done += 1
            state.counts[outcome] = state.counts.get(outcome, 0) + 1
            if bar is not None:
                bar.set_postfix(state.postfix(), refresh=False)
                bar.update(1)

        async def one(seq: int, member: Member) -> None:
            variant, client = self._client_for(seq, member)
            client_id = getattr(client, "client_id", None)
            mode = getattr(client, "mode", None)
            mode = None if mode is None else str(mode)
            flow_id = log.begin_flow(
                run_id, seq=seq, user=member.user, group=member.group, persona=member.persona_name,
                client_id=client_id, mode=mode, variant=variant, started_at=clock.time(),
            )
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
            try:
                msg = self.binding_message(seq, member) if callable(self.binding_message) else self.binding_message
                kwargs = dict(self.request)
                if msg is not None:
                    kwargs["binding_message"] = msg
                try:
                    result = await client.authenticate(login_hint=member.user, **kwargs)
                    record = flow_record(result, ended_at=clock.time(), variant=variant)
                except asyncio.CancelledError:
                    log.finish_flow(flow_id, FlowRecord(outcome=str(Outcome.CANCELLED), ended_at=clock.time(),
                                                        error="cancelled"))
                    done(str(Outcome.CANCELLED))
                    raise
                except Exception as exc:  # one broken flow must not end the campaign
                    record = _error_record(exc, client_id, mode, clock.time())
                log.finish_flow(flow_id, record)
                done(record.outcome)
            finally:
                state.in_flight -= 1
                sem.release()

        status = "finished"
        try:
            for seq, member in enumerate(members):
                if self.rate is not None and seq:
                    await clock.sleep(rng.expovariate(self.rate))
                await sem.acquire()
                task = asyncio.ensure_future(one(seq, member))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            while tasks:
                await asyncio.wait(set(tasks))
        except (asyncio.CancelledError, KeyboardInterrupt):
            status = "interrupted"
            self.interrupted = True
            pending = [t for t in tasks if not t.done()]
            for t in pending:
                t.cancel()
            # Shield: a second cancel while we tidy up must not leave flows unrecorded.
            if pending:
                await asyncio.shield(asyncio.gather(*pending, return_exceptions=True))
            raise
        finally:
            if bar is not None:
                bar.set_postfix(state.postfix(), refresh=False)
                bar.close()
            if self.truth is not None and status == "finished":
                truth = self.truth.truth() if hasattr(self.truth, "truth") else self.truth
                attach_truth(log, run_id, truth)
            log.end_run(run_id, status=status, ended_at=clock.time())
        return log


async def run_campaign(
    clients: Any,
    population: Population | Sequence[str],
    *,
    flows: int,
    concurrency: int = 10,
    rate: float | None = None,
    seed: int = 0,
    db: RunLog | str | None = None,
    clock: Clock | None = None,
    progress: bool = True,
    binding_message: str | Callable[[int, Member], str | None] | None = None,
    request: Mapping[str, Any] | None = None,
    truth: Any = None,
    target: str | None = None,
    name: str | None = None,
) -> RunLog:
    """Run a campaign of ``flows`` CIBA flows and return its :class:`RunLog`.

    See :class:`Campaign` for the arguments. ``log.run_id`` is the id of the run just written;
    ``ck.load_flows(log, run_id=log.run_id)`` gives its flows.

    Example:
        >>> pop = ck.Population.generate(200, seed=7)
        >>> pop.install(sim)
        >>> log = await ck.run_campaign(client, pop, flows=300, concurrency=50, truth=sim)
    """
    campaign = Campaign(
        clients, population, flows, concurrency=concurrency, rate=rate, seed=seed, db=db, clock=clock,
        progress=progress, binding_message=binding_message, request=dict(request or {}), truth=truth,
        target=target, name=name,
    )
    return await campaign.run()
