"""Populations: exact seeded persona mixes, login-hint files, assignment of flows to users."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ciba_kit.protocol.errors import InputError
from ciba_kit.runs import DEFAULT_MIX, PersonaSpec, Population
from ciba_kit.simulator import Persona


def test_generated_mix_is_exact_and_seeded() -> None:
    pop = Population.generate(200, seed=3)
    assert Counter(m.persona_name for m in pop) == {"prompt": 110, "slow": 40, "denier": 30, "ignorer": 20}
    assert [m.group for m in pop] == [m.persona_name for m in pop]
    again = Population.generate(200, seed=3)
    other = Population.generate(200, seed=4)
    assert [m.persona_name for m in pop] == [m.persona_name for m in again]
    assert [m.persona_name for m in pop] != [m.persona_name for m in other]
    assert pop.users[:2] == ["user0000", "user0001"]
    assert pop.expected_approval_rate() == pytest.approx(0.75)
    assert "Population(200 users" in repr(pop)


def test_largest_remainder_rounding() -> None:
    pop = Population.generate(7, mix={"prompt": 1, "denier": 1, "slow": 1})
    assert sorted(Counter(m.persona_name for m in pop).values()) == [2, 2, 3]


def test_assign_uses_everyone_once_per_round() -> None:
    pop = Population.generate(10, seed=1)
    flows = pop.assign(25, seed=2)
    counts = Counter(m.user for m in flows)
    assert len(flows) == 25 and set(counts.values()) == {2, 3} and len(counts) == 10
    assert [m.user for m in pop.assign(25, seed=2)] == [m.user for m in flows]
    assert pop.expected_approval_rate(25, seed=2) == pytest.approx(
        sum(m.persona.approve for m in flows) / 25)


def test_from_file(tmp_path: Path) -> None:
    f = tmp_path / "users.txt"
    f.write_text("# demo users\nalice, approvers\n\nbob,deniers\ncarol\n", encoding="utf-8")
    pop = Population.from_file(f)
    assert [(m.user, m.group) for m in pop] == [("alice", "approvers"), ("bob", "deniers"), ("carol", None)]
    assert pop.expected_approval_rate() is None


def test_variants_and_concat() -> None:
    a = Population.generate(4, mix={"prompt": 1}, prefix="a", variant="A")
    b = Population.generate(4, mix={"denier": 1}, prefix="b").with_variant("B")
    both = Population.concat(a, b)
    assert [m.variant for m in both] == ["A"] * 4 + ["B"] * 4
    with pytest.raises(InputError, match="repeat"):
        Population.concat(a, a)


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda: Population.generate(0), "population"),
        (lambda: Population.generate(5, mix={"nobody": 1}), "mix"),
        (lambda: Population.generate(5, mix={"prompt": 0}), "mix"),
        (lambda: Population.from_hints([]), "users"),
        (lambda: Population.from_file("/nonexistent/users.txt"), "--users"),
        (lambda: PersonaSpec("x", approve=0.5), "persona"),
    ],
)
def test_bad_input_names_the_field(call, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as exc:
        call()
    assert exc.value.field.startswith(field)


def test_default_mix_has_the_four_kinds() -> None:
    assert set(DEFAULT_MIX) == {"prompt", "slow", "denier", "ignorer"}


def test_persona_spec_numbers_are_checked_when_made() -> None:
    # Bad latencies used to pass here and only fail later, inside Population.install.
    with pytest.raises(InputError) as exc:
        PersonaSpec("x", approve=1.0, latency_median_s=-1.0)
    assert exc.value.field == "Persona.latency_median_s"
    with pytest.raises(InputError) as exc:
        PersonaSpec("x", approve=1.0, deny=-0.5, ignore=0.5)
    assert exc.value.field == "Persona.deny"
    spec = PersonaSpec("y", approve=0.5, deny=0.5, latency_median_s=2.0, latency_sigma=0.1)
    assert spec.persona() == Persona(approve=0.5, deny=0.5, latency_median_s=2.0, latency_sigma=0.1)
