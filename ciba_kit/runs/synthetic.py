"""Synthetic run logs: realistic flows written straight into SQLite, fast (for benches and tests).

The model mirrors the simulator: each user has a persona from a mix; a persona decides with
a log-normal answer time; poll-mode clients poll every ``interval`` seconds after the
acknowledgement, so the decision is seen at the next poll (bounds = last pending poll .. poll
that saw it); ping-mode clients learn it exactly (plus one token call); users who ignore the
push expire at ``expires_in``. The true decision time is stored in ``true_decision_s``.
Everything is vectorised with numpy and inserted with ``executemany``.
"""

from __future__ import annotations

import math
import os
from typing import Mapping

import numpy as np

from .population import DEFAULT_MIX, PERSONAS, PersonaSpec
from .store import RunLog

__all__ = ["synthesize"]


def synthesize(
    db: RunLog | str | os.PathLike[str],
    n: int,
    *,
    seed: int = 0,
    mix: Mapping[str, float] | None = None,
    personas: Mapping[str, PersonaSpec] | None = None,
    ping_share: float = 0.2,
    interval: float = 2.0,
    expires_in: float = 120.0,
    users: int = 1_000,
    duration_s: float = 6 * 3600.0,
    start: float = 1_767_225_600.0,
    events: bool | int = True,
    variants: tuple[str, ...] = ("A", "B"),
    chunk: int = 200_000,
) -> RunLog:
    """Write one synthetic run of ``n`` flows into ``db``; return the (open) :class:`RunLog`.

    Args:
        n: flows.
        seed: numpy seed (the same seed writes the same log).
        mix: persona shares (:data:`~ciba_kit.runs.population.DEFAULT_MIX` by default).
        ping_share: share of flows from the ping client (``demo-ping``); the rest poll (``demo-poll``).
        interval: poll interval in seconds.
        users: distinct users (each keeps one persona).
        duration_s: flows start uniformly over this span after ``start`` (epoch seconds).
        events: also write the event table (about 5 rows per flow): True for every flow, an
            integer for the first that many flows only (a million-flow log needs events just
            for a swimlane's sample; writing five million event rows dominates generation).
        variants: prompt variants assigned round-robin (``variant`` column).
    """
    log = db if isinstance(db, RunLog) else RunLog(db)
    rng = np.random.default_rng(seed)
    catalogue = {**PERSONAS, **dict(personas or {})}
    mix = dict(DEFAULT_MIX if mix is None else mix)
    names = list(mix)
    shares = np.array([mix[k] for k in names], dtype="float64")
    shares /= shares.sum()
    specs = [catalogue[k] for k in names]

    user_persona = rng.choice(len(names), size=users, p=shares)
    user_idx = rng.integers(0, users, size=n)
    pidx = user_persona[user_idx]
    p_approve = np.array([s.approve for s in specs])[pidx]
    p_deny = np.array([s.deny for s in specs])[pidx]
    median = np.array([s.latency_median_s for s in specs])[pidx]
    sigma = np.array([s.latency_sigma for s in specs])[pidx]
    u = rng.random(n)
    decision = np.where(u < p_approve, 0, np.where(u < p_approve + p_deny, 1, 2))  # approve/deny/ignore
    true_dec = median * np.exp(sigma * rng.standard_normal(n))
    ping = rng.random(n) < ping_share
    ack = 0.02 + rng.gamma(2.0, 0.01, size=n)
    rtt = 0.005 + rng.gamma(2.0, 0.003, size=n)
    true_at = ack + true_dec  # decision time since flow start
    decided = decision < 2
    decided &= true_at < expires_in
    outcome_code = np.where(decided, decision, 2)  # 2 = expired

    # Poll mode: polls at ack + k*interval; the k-th poll sees the decision when ack+k*i >= true_at.
    k_seen = np.where(decided, np.ceil((true_at - ack) / interval), np.floor((expires_in - ack) / interval) + 1)
    k_seen = np.maximum(k_seen, 1)
    before = ack + k_seen * interval + rtt
    after = np.where(k_seen > 1, ack + (k_seen - 1) * interval, ack)
    polls = np.where(ping, np.where(decided, 1, 0), k_seen).astype("int64")
    decision_s = np.where(ping, true_at + rtt, (after + before) / 2)
    tokens_s = np.where(decided & (decision == 0), np.where(ping, true_at + 3 * rtt, before + rtt), np.nan)
    end_s = np.where(decided, np.where(decision == 0, tokens_s, np.where(ping, true_at + 2 * rtt, before)), expires_in)
    started = start + np.sort(rng.random(n)) * duration_s

    outcomes = np.array(["approved", "denied", "expired"])[outcome_code]
    errors = np.array([None, "access_denied", "expired_token"], dtype=object)[outcome_code]
    modes = np.where(ping, "ping", "poll")
    clients = np.where(ping, "demo-ping", "demo-poll")
    persona_names = np.array(names, dtype=object)[pidx]
    variant_arr = np.array(variants, dtype=object)[np.arange(n) % len(variants)] if variants else np.full(n, None)
    hashes = [f"{x:012x}" for x in rng.integers(0, 2**47, size=n)]

    conn = log.connection
    run_id = log.start_run(
        target="synthetic", client="demo-poll,demo-ping",
        settings={"synthetic": True, "flows": n, "mix": mix, "ping_share": ping_share, "interval": interval},
        seed=seed, name="synthetic", started_at=float(started[0]) if n else start,
    )
    first = conn.execute("SELECT COALESCE(MAX(flow_id), 0) FROM flow").fetchone()[0] + 1
    flow_ids = np.arange(first, first + n)
    nan_to_none = lambda a: [None if (isinstance(x, float) and math.isnan(x)) else x for x in a.tolist()]  # noqa: E731
    dec_col = np.where(decided, decision_s, np.nan)
    after_col = np.where(decided & ~ping, after, np.nan)
    before_col = np.where(decided & ~ping, before, np.nan)
    true_col = np.where(decided, true_at, np.nan)
    user_names = [f"user{i:05d}" for i in range(users)]
    conn.execute("PRAGMA synchronous=OFF")  # a synthetic bulk load need not survive a power cut
    try:
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            sl = slice(lo, hi)
            rows = zip(
                flow_ids[sl].tolist(), [run_id] * (hi - lo), range(lo, hi), [user_names[i] for i in user_idx[sl]],
                persona_names[sl].tolist(), persona_names[sl].tolist(), clients[sl].tolist(), modes[sl].tolist(),
                ["transaction"] * (hi - lo), variant_arr[sl].tolist(), outcomes[sl].tolist(), errors[sl].tolist(),
                started[sl].tolist(), (started[sl] + end_s[sl]).tolist(), [expires_in] * (hi - lo),
                np.where(ping[sl], np.nan, interval).tolist(), polls[sl].tolist(), [0] * (hi - lo), ack[sl].tolist(),
                nan_to_none(dec_col[sl]), nan_to_none(after_col[sl]), nan_to_none(before_col[sl]),
                nan_to_none(tokens_s[sl]), [hashes[i] for i in range(lo, hi)], outcomes[sl].tolist(),
                nan_to_none(true_col[sl]),
            )
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO flow(flow_id, run_id, seq, user, grp, persona, client_id, mode, template, variant,"
                " outcome, error, started_at, ended_at, expires_in, interval_s, polls, slow_downs, ack_s,"
                " decision_s, decision_after_s, decision_before_s, tokens_s, auth_req_id_hash, true_outcome,"
                " true_decision_s) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            ev_hi = hi if events is True else min(hi, int(events))
            if events is not False and ev_hi > lo:
                sl = slice(lo, ev_hi)
                conn.executemany(
                    "INSERT INTO event(flow_id, run_id, idx, t, kind, status, error, detail) VALUES (?,?,?,?,?,?,?,?)",
                    _events(flow_ids[sl], run_id, ack[sl], ping[sl], k_seen[sl], interval, rtt[sl], true_at[sl],
                            outcome_code[sl], end_s[sl], decided[sl]),
                )
            conn.execute("COMMIT")
    finally:
        conn.execute("PRAGMA synchronous=NORMAL")
    log.end_run(run_id, ended_at=float(started[-1] + end_s[-1]) if n else start)
    return log


def _events(flow_ids, run_id, ack, ping, k_seen, interval, rtt, true_at, outcome, end, decided):  # type: ignore[no-untyped-def]
    final_kind = ["token_response", "token_response", "expired"]
    final_err = [None, "access_denied", "expired_token"]
    final_status = [200, 400, 400]
    for fid, a, p, k, r, ta, oc, e, d in zip(flow_ids.tolist(), ack.tolist(), ping.tolist(), k_seen.tolist(),
                                             rtt.tolist(), true_at.tolist(), outcome.tolist(), end.tolist(),
                                             decided.tolist()):
        yield (fid, run_id, 0, 0.0, "request", None, None, None)
        yield (fid, run_id, 1, a, "ack", 200, None, None)
        i = 2
        if p:
            if d:
                yield (fid, run_id, i, ta + r, "notification", None, None, None)
                yield (fid, run_id, i + 1, e, final_kind[oc], final_status[oc], final_err[oc], None)
            else:
                yield (fid, run_id, i, e, "expired", None, "expired_token", None)
            continue
        # Poll mode: at most 3 pending polls are written per flow (the first two and the last), so
        # the event table stays ~5 rows a flow; the poll count lives in flow.polls.
        kk = int(k)
        shown = sorted({1, 2, kk - 1} & set(range(1, kk)))
        for j in shown:
            yield (fid, run_id, i, a + j * interval + r, "poll_response", 400, "authorization_pending", None)
            i += 1
        yield (fid, run_id, i, e if oc != 0 else a + kk * interval + r, final_kind[oc], final_status[oc],
               final_err[oc], None)
