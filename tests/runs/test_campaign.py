"""Campaigns against the real simulator over loopback HTTP (ScaledClock(20) on both sides)."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import numpy as np
import pytest

from ciba_kit import analysis as A
from ciba_kit.protocol.errors import InputError
from ciba_kit.runs import Campaign, RunLog, load_events, load_flows, run_campaign


def _overlap(intervals: list[tuple[float, float]]) -> int:
    """Largest number of intervals open at one moment."""
    points = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals], key=lambda p: (p[0], p[1]))
    best = cur = 0
    for _, d in points:
        cur += d
        best = max(best, cur)
    return best


def test_concurrency_limit_is_honoured(camp_sim, poll_client) -> None:  # type: ignore[no-untyped-def]
    pop = camp_sim.populations["quick"]

    async def go() -> Campaign:
        c = Campaign(poll_client, pop, 24, concurrency=4, seed=1, progress=False, truth=camp_sim)
        await c.run()
        await poll_client.aclose()
        return c

    c = asyncio.run(go())
    # The limit was reached and never exceeded (counted where flows start and end).
    assert c.state.max_in_flight == 4 and c.state.done == 24
    assert c.state.counts == {"approved": 24}


def test_concurrency_seen_by_the_server(camp_sim, poll_client) -> None:  # type: ignore[no-untyped-def]
    pop = camp_sim.populations["quick"]

    async def go() -> RunLog:
        log = await run_campaign(poll_client, pop, flows=24, concurrency=3, seed=2, progress=False, truth=camp_sim)
        await poll_client.aclose()
        return log

    log = asyncio.run(go())
    flows = log.flows()
    assert len(flows) == 24 and set(flows["outcome"].astype(str)) == {"approved"}
    hashes = set(flows["auth_req_id_hash"])
    spans = []
    for rec in camp_sim.truth():
        if any(h.startswith(rec.auth_req_id_hash) or rec.auth_req_id_hash.startswith(h) for h in hashes):
            end = rec.tokens_issued or rec.decided
            spans.append((rec.received.mono, end.mono))
    assert len(spans) == 24
    assert 2 <= _overlap(spans) <= 3
    # Ground truth was joined onto every flow.
    assert flows["true_outcome"].tolist() == ["approved"] * 24
    assert flows["true_decision_s"].notna().all()


def test_population_seeding_is_reproducible(camp_sim, poll_client) -> None:  # type: ignore[no-untyped-def]
    pop = camp_sim.populations["mixed"]

    async def go() -> RunLog:
        log = RunLog(":memory:")
        for seed in (5, 5, 6):
            await run_campaign(poll_client, pop, flows=12, concurrency=12, seed=seed, progress=False, db=log)
        await poll_client.aclose()
        return log

    log = asyncio.run(go())
    runs = [load_flows(log, run_id=r) for r in (1, 2, 3)]
    users = [r.sort_values("seq")["user"].tolist() for r in runs]
    assert users[0] == users[1] != users[2]
    outcomes = [Counter(r["outcome"].astype(str)) for r in runs]
    assert outcomes[0] == outcomes[1]
    # Each persona's single outcome is what the simulator decided.
    persona_outcome = {"prompt": "approved", "slow": "approved", "denier": "denied", "ignorer": "denied"}
    for r in runs:
        assert all(persona_outcome[p] == o for p, o in zip(r["persona"].astype(str), r["outcome"].astype(str)))


def test_interrupting_records_in_flight_flows_as_cancelled(camp_sim, poll_client) -> None:  # type: ignore[no-untyped-def]
    quick, linger = camp_sim.populations["quick"], camp_sim.populations["linger"]
    from ciba_kit.runs import Population

    pop = Population.concat(Population(quick.members[:3]), Population(linger.members[:5]))
    log = RunLog(":memory:")

    async def go() -> Campaign:
        c = Campaign(poll_client, pop, 8, concurrency=8, seed=0, progress=False, db=log)
        task = asyncio.ensure_future(c.run())
        while c.state is None or c.state.counts.get("approved", 0) < 3:
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await poll_client.aclose()
        return c

    c = asyncio.run(asyncio.wait_for(go(), 30))
    assert c.interrupted
    (run,) = log.runs()
    assert run.status == "interrupted" and run.ended_at is not None
    flows = log.flows()
    counts = Counter(flows["outcome"].astype(str))
    assert counts == {"approved": 3, "cancelled": 5}
    assert set(flows.loc[flows["outcome"] == "cancelled", "persona"].astype(str)) == {"linger"}
    # Nothing finished was lost: the approved flows kept their timelines.
    ev = log.events()
    done_ids = set(flows.loc[flows["outcome"] == "approved", "flow_id"])
    assert done_ids <= set(ev["flow_id"])


def test_errors_are_recorded_and_the_campaign_goes_on(camp_sim, poll_client) -> None:  # type: ignore[no-untyped-def]
    async def go() -> RunLog:
        log = await run_campaign(poll_client, ["nobody-here", "quick0000"], flows=4, concurrency=2, progress=False)
        await poll_client.aclose()
        return log

    flows = asyncio.run(go()).flows()
    by_user = dict(zip(flows["user"], flows["outcome"].astype(str)))
    assert by_user == {"nobody-here": "error", "quick0000": "approved"}
    assert set(flows.loc[flows["outcome"] == "error", "error"]) == {"unknown_user_id"}


def test_two_clients_as_variants_and_arrival_rate(camp_sim, poll_client, post_client) -> None:  # type: ignore[no-untyped-def]
    pop = camp_sim.populations["quick"]

    async def go() -> tuple[RunLog, RunLog]:
        spaced = await run_campaign({"basic": poll_client, "post": post_client}, pop, flows=10, concurrency=10,
                                    rate=5.0, seed=3, progress=False)
        burst = await run_campaign(poll_client, pop, flows=10, concurrency=10, seed=3, progress=False)
        await poll_client.aclose()
        await post_client.aclose()
        return spaced, burst

    spaced, burst = asyncio.run(go())
    flows = spaced.flows()
    assert Counter(flows["variant"].astype(str)) == {"basic": 5, "post": 5}
    assert set(flows.loc[flows["variant"] == "post", "client"].astype(str)) == {"demo-post"}
    cmp = A.compare_variants(flows, "variant")
    assert cmp.a_rate.rate == cmp.b_rate.rate == 1.0
    # Seeded Poisson arrivals at 5/s (clock): the starts are at least the seeded gaps apart (about
    # 1.8 clock-s in all); a burst starts them together. The burst bound is loose on purpose: ten
    # SQLite commits on a busy 2-core machine can take tens of real ms (x20 on the clock).
    rng = random.Random("arrivals-3")
    gaps = sum(rng.expovariate(5.0) for _ in range(9))

    def span(df) -> float:  # type: ignore[no-untyped-def]
        s = df["started_at"].astype("int64").to_numpy() / 1e9
        return float(s.max() - s.min())

    assert span(flows) >= gaps - 0.1 and span(burst.flows()) < gaps / 2


def test_bad_settings_are_input_errors(poll_client) -> None:  # type: ignore[no-untyped-def]
    for kw, field in (({"flows": -1}, "flows"), ({"flows": 1, "concurrency": 0}, "concurrency"),
                      ({"flows": 1, "rate": 0}, "rate")):
        with pytest.raises(InputError) as exc:
            Campaign(poll_client, ["alice"], **kw)
        assert exc.value.field == field
    asyncio.run(poll_client.aclose())


def test_seeded_campaign_agrees_with_ground_truth(camp_sim, poll_client) -> None:  # type: ignore[no-untyped-def]
    pop = camp_sim.populations["mixed"]

    async def go() -> RunLog:
        log = await run_campaign(poll_client, pop, flows=200, concurrency=20, seed=11, progress=False, truth=camp_sim)
        await poll_client.aclose()
        return log

    log = asyncio.run(go())
    flows = log.flows()
    assert len(flows) == 200 and flows["true_outcome"].notna().all()
    # Outcomes reported by the client are the simulator's truth.
    assert (flows["outcome"].astype(str) == flows["true_outcome"]).all()
    # The approval rate's interval covers the rate the persona mix implies.
    rate = A.approval_rate(flows)
    expected = pop.expected_approval_rate(200, seed=11)
    assert rate.ci_low <= expected <= rate.ci_high
    # The censoring-aware estimate of decision times beats "when the poll saw it".
    fit = A.decision_time_fit(flows, by="persona")
    decided = flows[flows["outcome"].astype(str).isin(["approved", "denied"]) & (flows["persona"] != "ignorer")]
    true_median = float(np.median(decided["true_decision_s"]))
    seen = A.decision_bounds(decided)["seen"]
    fit_all = A.decision_time_fit(decided, by="persona")
    assert abs(fit_all.median_s - true_median) < abs(float(np.median(seen)) - true_median)
    assert fit.n >= fit_all.n
    ev = load_events(log)
    assert set(ev["flow_id"]) == set(flows["flow_id"])
