"""Shared constants and helpers of the setup tests (a uniquely named module: tests/ has no packages)."""

from __future__ import annotations

from pathlib import Path

from ciba_kit.setup import SetupProfile
from ciba_kit.simulator import Persona

DEMO_PROFILE = Path(__file__).resolve().parents[2] / "ciba_kit" / "data" / "profiles" / "demo.toml"
SECRET = "s3cret-for-tests"
ENV = {"CIBA_KIT_DEMO_SECRET": SECRET}
#: Approves almost at once (clock seconds; ScaledClock(20) makes it ~10 ms real).
QUICK = Persona(approve=1.0, deny=0.0, ignore=0.0, latency_median_s=0.2, latency_sigma=0.0)
#: Never answers (the push times out).
SILENT = Persona(approve=0.0, deny=0.0, ignore=1.0)


def demo_profile() -> SetupProfile:
    """The shipped demo profile, with the test secret."""
    return SetupProfile.load(DEMO_PROFILE, env=ENV)
