"""Fixtures for the campaign tests: a seeded simulator on a 20x clock with generated users."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ciba_kit.client import CibaClient, ClientSecretBasic, ClientSecretPost
from ciba_kit.protocol.clock import ScaledClock
from ciba_kit.runs import PersonaSpec, Population
from ciba_kit.simulator import Simulator

SPEED = 20

#: A quick approver for tests that only need flows to finish fast.
QUICK = PersonaSpec("quick", approve=1.0, latency_median_s=1.0, latency_sigma=0.2)
#: Long enough (about 1.5 s real) to still be in flight when a test interrupts the campaign.
LINGER = PersonaSpec("linger", approve=1.0, latency_median_s=30.0, latency_sigma=0.1)


@pytest.fixture(scope="module")
def camp_sim() -> Iterator[Simulator]:
    """A demo simulator (seed 11, ScaledClock(20)) with three populations installed:
    ``mixed`` (200 users, default persona mix), ``quick`` (20 users) and ``linger`` (10 users)."""
    sim = Simulator.start(seed=11, clock=ScaledClock(SPEED))
    try:
        sim.populations = {  # type: ignore[attr-defined]
            "mixed": Population.generate(200, seed=11, prefix="mix"),
            "quick": Population.generate(20, mix={"quick": 1.0}, personas={"quick": QUICK}, prefix="quick"),
            "linger": Population.generate(10, mix={"linger": 1.0}, personas={"linger": LINGER}, prefix="linger"),
        }
        for pop in sim.populations.values():  # type: ignore[attr-defined]
            pop.install(sim)
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def poll_client(camp_sim: Simulator) -> CibaClient:
    """demo-poll on the simulator's clock (closed by the test through ``await client.aclose()``)."""
    return CibaClient.discover(camp_sim.issuer, "demo-poll", auth=ClientSecretBasic("demo-poll-secret"),
                               clock=camp_sim.clock)


@pytest.fixture
def post_client(camp_sim: Simulator) -> CibaClient:
    """demo-post (client_secret_post, poll) on the simulator's clock."""
    return CibaClient.discover(camp_sim.issuer, "demo-post", auth=ClientSecretPost("demo-post-secret"),
                               clock=camp_sim.clock)
