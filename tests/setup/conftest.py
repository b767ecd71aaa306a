"""Setup fixtures: empty simulators over real loopback HTTP, the demo profile, a fast persona."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ciba_kit.protocol.clock import ScaledClock
from ciba_kit.setup import SetupProfile
from ciba_kit.simulator import Simulator
from setup_helpers import QUICK, demo_profile


@pytest.fixture
def profile() -> SetupProfile:
    """A fresh copy of the demo profile."""
    return demo_profile()


@pytest.fixture
def empty_sim() -> Iterator[Simulator]:
    """A started EMPTY simulator (no clients, no policies), 20x clock; one per test."""
    s = Simulator.start({"base": "empty"}, clock=ScaledClock(20))
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def applied_sim() -> Iterator[Simulator]:
    """An empty simulator with the demo profile applied and alice as a quick approver (module scope)."""
    from ciba_kit.setup import apply_setup

    s = Simulator.start({"base": "empty"}, clock=ScaledClock(20))
    try:
        s.add_user("alice", persona=QUICK)
        apply_setup(demo_profile(), s)
        yield s
    finally:
        s.stop()
