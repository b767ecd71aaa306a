"""Who a campaign sends requests to: login hints from a file, or generated simulator users.

A generated population draws its personas from a **mix** (persona name -> share). Shares are
turned into exact counts (largest remainder) and the users are shuffled with the seed, so a
population of 200 with a 55/20/15/10 mix always holds 110/40/30/20 users of each kind and the
campaign's expected approval rate is known exactly: ``sum(share * approve)``.
"""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from ciba_kit.protocol.errors import InputError
from ciba_kit.simulator.personas import Persona

__all__ = ["PersonaSpec", "PERSONAS", "DEFAULT_MIX", "Member", "Population"]


@dataclass(frozen=True)
class PersonaSpec:
    """How a simulated user answers pushes (the simulator's ``Persona`` arguments, plus a name).

    Attributes:
        name: label stored in the run log's ``persona`` column.
        approve, deny, ignore: probabilities (they should sum to 1).
        latency_median_s: median time from push to decision, in clock seconds.
        latency_sigma: log-normal shape of that time.
    """

    name: str
    approve: float = 0.0
    deny: float = 0.0
    ignore: float = 0.0
    latency_median_s: float = 3.0
    latency_sigma: float = 0.5

    def __post_init__(self) -> None:
        # The simulator's own checks on the numbers (types, latency > 0, sigma >= 0, no NaN) at
        # once, not when the population is installed; then this spec's stricter rule.
        self.persona()
        total = self.approve + self.deny + self.ignore
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise InputError(
                f"persona {self.name!r}",
                f"approve + deny + ignore must be probabilities summing to 1, got {total:g}",
                "adjust the three probabilities",
            )

    def persona_kwargs(self) -> dict[str, float]:
        """Keyword arguments for ``ciba_kit.simulator.Persona`` (its fields, read off this spec)."""
        return {f.name: getattr(self, f.name) for f in fields(Persona)}

    def persona(self) -> Persona:
        """The simulator's :class:`~ciba_kit.simulator.Persona` for this spec."""
        return Persona(**self.persona_kwargs())


#: The built-in personas. Each has a single certain outcome, so a campaign's outcome counts
#: follow from the (seeded) population alone; only decision times are random.
PERSONAS: dict[str, PersonaSpec] = {
    "prompt": PersonaSpec("prompt", approve=1.0, latency_median_s=3.0, latency_sigma=0.5),
    # Slow, but (sigma 0.3) all but never past the 40 s push timeout: outcomes stay certain.
    "slow": PersonaSpec("slow", approve=1.0, latency_median_s=10.0, latency_sigma=0.3),
    "denier": PersonaSpec("denier", deny=1.0, latency_median_s=4.0, latency_sigma=0.5),
    "ignorer": PersonaSpec("ignorer", ignore=1.0),
    "hesitant": PersonaSpec("hesitant", approve=0.7, deny=0.3, latency_median_s=8.0, latency_sigma=0.6),
}

#: Prompt approvers, slow approvers, deniers and users who ignore the push.
DEFAULT_MIX: dict[str, float] = {"prompt": 0.55, "slow": 0.20, "denier": 0.15, "ignorer": 0.10}


@dataclass(frozen=True)
class Member:
    """One user of a population."""

    user: str
    group: str | None = None
    persona: PersonaSpec | None = None
    variant: str | None = None

    @property
    def persona_name(self) -> str | None:
        """The persona's name, or None for a login hint of unknown behaviour."""
        return None if self.persona is None else self.persona.name


def _quota(mix: Mapping[str, float], n: int) -> dict[str, int]:
    total = sum(mix.values())
    exact = {k: n * v / total for k, v in mix.items()}
    counts = {k: int(math.floor(x)) for k, x in exact.items()}
    # Largest remainder, ties broken by mix order, so the counts are reproducible.
    order = sorted(mix, key=lambda k: (-(exact[k] - counts[k]), list(mix).index(k)))
    for k in order[: n - sum(counts.values())]:
        counts[k] += 1
    return counts


@dataclass
class Population:
    """The users a campaign addresses, in a fixed order.

    Build one with :meth:`generate` (simulator users with personas), :meth:`from_file` or
    :meth:`from_hints` (existing login hints), then :meth:`install` generated users into a
    simulator and hand the population to :func:`ciba_kit.runs.run_campaign`.
    """

    members: list[Member] = field(default_factory=list)
    seed: int | None = None
    mix: dict[str, float] | None = None

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def generate(
        cls,
        n: int,
        *,
        mix: Mapping[str, float] | None = None,
        seed: int = 0,
        personas: Mapping[str, PersonaSpec] | None = None,
        prefix: str = "user",
        variant: str | None = None,
    ) -> "Population":
        """``n`` simulator users named ``{prefix}{i:04d}`` with personas drawn from ``mix``.

        Args:
            n: number of users (>= 1).
            mix: persona name -> share (normalised); :data:`DEFAULT_MIX` by default.
            seed: shuffles which user gets which persona.
            personas: name -> :class:`PersonaSpec`; :data:`PERSONAS` plus these.
            prefix: user name prefix (use distinct prefixes when concatenating populations).
            variant: tag every member with this variant (see :meth:`concat`).
        """
        if not isinstance(n, int) or n < 1:
            raise InputError("population", f"must be a whole number >= 1, got {n!r}", "e.g. --population 200")
        catalogue = {**PERSONAS, **dict(personas or {})}
        mix = dict(DEFAULT_MIX if mix is None else mix)
        unknown = [k for k in mix if k not in catalogue]
        if unknown:
            raise InputError("mix", f"unknown persona(s) {unknown}", f"use one of {sorted(catalogue)} or pass personas=")
        if not mix or any(v < 0 for v in mix.values()) or sum(mix.values()) <= 0:
            raise InputError("mix", "shares must be >= 0 and not all zero", "e.g. {'prompt': 0.8, 'denier': 0.2}")
        counts = _quota(mix, n)
        kinds = [k for k in mix for _ in range(counts[k])]
        random.Random(seed).shuffle(kinds)
        width = max(4, len(str(n - 1)))
        members = [
            Member(f"{prefix}{i:0{width}d}", group=k, persona=catalogue[k], variant=variant) for i, k in enumerate(kinds)
        ]
        return cls(members, seed=seed, mix=mix)

    @classmethod
    def from_hints(cls, hints: Iterable[str], *, group: str | None = None) -> "Population":
        """Existing login hints (their behaviour is whatever the provider's users do)."""
        members = [Member(h, group=group) for h in hints]
        if not members:
            raise InputError("users", "no login hints given", "pass at least one login hint")
        return cls(members)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> "Population":
        """Read login hints, one a line: ``hint`` or ``hint,group``; blank lines and ``#`` comments skipped."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError("--users", f"cannot read {str(p)!r}: {exc.strerror}", "pass a file of login hints") from None
        members = []
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            hint, _, group = (part.strip() for part in line.partition(","))
            members.append(Member(hint, group=group or None))
        if not members:
            raise InputError("--users", f"{str(p)!r} holds no login hints", "one login hint a line")
        return cls(members)

    @classmethod
    def concat(cls, *populations: "Population") -> "Population":
        """Join populations (e.g. one per prompt variant, each with its own persona mix)."""
        members = [m for pop in populations for m in pop.members]
        names = [m.user for m in members]
        if len(set(names)) != len(names):
            raise InputError("population", "user names repeat across the joined populations", "use distinct prefix=")
        return cls(members)

    def with_variant(self, variant: str) -> "Population":
        """A copy whose members all carry ``variant``."""
        return Population([replace(m, variant=variant) for m in self.members], seed=self.seed, mix=self.mix)

    # -- use ------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.members)

    def __iter__(self) -> Iterator[Member]:
        return iter(self.members)

    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for m in self.members:
            key = m.persona_name or m.group or "-"
            counts[key] = counts.get(key, 0) + 1
        inner = ", ".join(f"{k}={v}" for k, v in counts.items())
        return f"Population({len(self)} users: {inner})"

    @property
    def users(self) -> list[str]:
        """The login hints, in order."""
        return [m.user for m in self.members]

    def expected_approval_rate(self, flows: int | None = None, *, seed: int = 0) -> float | None:
        """Share of flows the personas approve (None when some member has no persona).

        Args:
            flows: weigh members as a campaign of this many flows (and ``seed``) addresses them
                (see :meth:`assign`); each member once when omitted.
        """
        if any(m.persona is None for m in self.members):
            return None
        chosen = self.members if flows is None else self.assign(flows, seed=seed)
        if not chosen:
            return None
        return sum(m.persona.approve for m in chosen) / len(chosen)  # type: ignore[union-attr]

    def assign(self, flows: int, *, seed: int = 0) -> list[Member]:
        """Which member each of ``flows`` flows addresses.

        Every member is used once per round, rounds are shuffled with ``seed``; so each user gets
        ``flows // len`` or one more flow, reproducibly.
        """
        if flows < 0:
            raise InputError("flows", f"must be >= 0, got {flows}", "e.g. --flows 100")
        rng = random.Random(seed)
        out: list[Member] = []
        while len(out) < flows:
            round_ = list(self.members)
            rng.shuffle(round_)
            out.extend(round_[: flows - len(out)])
        return out

    def install(self, sim: Any, *, persona_factory: Any = None) -> int:
        """Add every generated member to a simulator (``sim.add_user(user, persona=Persona(...))``).

        Args:
            sim: a started ``ciba_kit.Simulator``.
            persona_factory: builds each user's persona from :meth:`PersonaSpec.persona_kwargs`;
                the simulator's ``Persona`` when omitted.

        Returns:
            How many users were added (members without a persona are left alone).
        """
        added = 0
        for m in self.members:
            if m.persona is None:
                continue
            persona = m.persona.persona() if persona_factory is None else persona_factory(**m.persona.persona_kwargs())
            sim.add_user(m.user, persona=persona)
            added += 1
        return added

    def describe(self) -> dict[str, Any]:
        """JSON-safe description for the run's settings."""
        return {
            "size": len(self),
            "seed": self.seed,
            "mix": self.mix,
            "personas": sorted({m.persona_name for m in self.members if m.persona_name}),
        }
