"""Shared fixtures: running simulators over real loopback HTTP (owned by the simulator engineer).

- ``sim``: the demo configuration on the system clock, one per test module.
- ``fast_sim``: the demo configuration on ``ScaledClock(20)`` (a 2 s approval takes 0.1 s real);
  clients must use ``fast_sim.clock`` so both sides agree on time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ciba_kit.protocol.clock import ScaledClock
from ciba_kit.simulator import Simulator


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    """A started demo simulator (system clock, seed 0), shared by one test module."""
    s = Simulator.start(seed=0)
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def fast_sim() -> Iterator[Simulator]:
    """A started demo simulator whose clock runs 20x faster (``fast_sim.clock``)."""
    s = Simulator.start(seed=0, clock=ScaledClock(20))
    try:
        yield s
    finally:
        s.stop()
