"""Simulated people: a persona says how a user answers pushes (approve/deny/ignore, how fast).

A persona draws from a ``random.Random`` seeded with the simulator seed and the transaction's
sequence number, so the same seed gives the same outcomes and latencies in the same order, whatever
the interleaving of threads. Latency is lognormal (``median * exp(sigma * N(0, 1))``): most answers
come near the median, a few take much longer, as real people do.

In the PingOne user document a persona lives in the simulator-only member ``"x-cibaKitPersona"``;
a user without one (or with ``null``) is *manual*: only the device API decides.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass
from typing import Any, Mapping

from ..protocol.errors import InputError

__all__ = ["Persona", "Decision", "PERSONA_FIELD", "persona_from_json"]

#: Where a user's persona is kept in the PingOne user document (simulator extension).
PERSONA_FIELD = "x-cibaKitPersona"

Decision = str  # "approve" | "deny" | "ignore"


@dataclass(frozen=True)
class Persona:
    """How a simulated user answers a push.

    Args:
        approve: relative weight of approving.
        deny: relative weight of denying.
        ignore: relative weight of never answering (the push times out).
        latency_median_s: median answer time in clock seconds.
        latency_sigma: lognormal shape; 0 answers always after exactly the median.
    """

    approve: float = 1.0
    deny: float = 0.0
    ignore: float = 0.0
    latency_median_s: float = 2.0
    latency_sigma: float = 0.25

    def __post_init__(self) -> None:
        for name in ("approve", "deny", "ignore"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 or math.isnan(v):
                raise InputError(f"Persona.{name}", f"must be a number >= 0, got {v!r}",
                                 "give relative weights such as approve=0.8, deny=0.1, ignore=0.1")
        if self.approve + self.deny + self.ignore <= 0:
            raise InputError("Persona", "approve + deny + ignore is 0", "give at least one positive weight")
        if not isinstance(self.latency_median_s, (int, float)) or not self.latency_median_s > 0:
            raise InputError("Persona.latency_median_s", f"must be > 0, got {self.latency_median_s!r}",
                             "use the typical answer time in seconds, e.g. 2.0")
        if not isinstance(self.latency_sigma, (int, float)) or not self.latency_sigma >= 0:
            raise InputError("Persona.latency_sigma", f"must be >= 0, got {self.latency_sigma!r}",
                             "use 0 for a fixed latency, 0.5 for a realistic spread")

    def decide(self, rng: random.Random) -> tuple[Decision, float]:
        """Draw ``(decision, latency_s)``; ``latency_s`` is meaningless for ``"ignore"``."""
        total = self.approve + self.deny + self.ignore
        u = rng.random() * total
        decision = "approve" if u < self.approve else "deny" if u < self.approve + self.deny else "ignore"
        z = rng.gauss(0.0, 1.0)
        latency = self.latency_median_s * math.exp(self.latency_sigma * z)
        return decision, latency

    def to_json(self) -> dict[str, float]:
        """The ``x-cibaKitPersona`` document."""
        return asdict(self)


def persona_from_json(value: Any, *, field: str = PERSONA_FIELD) -> Persona | None:
    """A persona from its JSON document (``None`` means a manual user).

    Raises:
        InputError: not an object, unknown members, or bad numbers.
    """
    if value is None:
        return None
    if isinstance(value, Persona):
        return value
    if not isinstance(value, Mapping):
        raise InputError(field, f"must be an object or null, got {type(value).__name__}",
                         'e.g. {"approve": 0.9, "deny": 0.1, "latency_median_s": 2}')
    known = {"approve", "deny", "ignore", "latency_median_s", "latency_sigma"}
    extra = sorted(set(value) - known)
    if extra:
        raise InputError(field, f"unknown member(s) {', '.join(extra)}", f"use only {', '.join(sorted(known))}")
    return Persona(**dict(value))
