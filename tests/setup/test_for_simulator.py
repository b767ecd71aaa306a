"""PingFederateAdmin.for_simulator / PingOneApi.for_simulator and upserting push contents."""

from __future__ import annotations

import pytest

import ciba_kit as ck
from ciba_kit.protocol.errors import InputError
from ciba_kit.setup import PingFederateAdmin, PingOneApi


def test_admin_for_simulator_renames_a_client() -> None:
    with ck.Simulator.start(seed=0) as sim:
        admin = PingFederateAdmin.for_simulator(sim)
        client = admin.find_client("demo-poll")
        client.name = "TrustNow Banking"
        admin.update_client(client)
        assert sim.state.pf.clients["demo-poll"]["name"] == "TrustNow Banking"
        assert sim.state.pf.client_secrets["demo-poll"] == "demo-poll-secret"  # PUT without a secret keeps it
        assert "***" in repr(admin) and "2FederateM0re" not in repr(admin)


def test_pingone_for_simulator_upserts_template_contents(empty_sim) -> None:
    p1 = PingOneApi.for_simulator(empty_sim)
    assert p1.environment_id == empty_sim.state.p1.environment_id
    first = p1.upsert_template_contents([ck.PromptTemplate("A", "a", locale="en"), ck.PromptTemplate("B", "b", locale="fr")])
    again = p1.upsert_template_contents(ck.PromptTemplate("A2", "a2", locale="EN"))
    assert again[0]["id"] == first[0]["id"]  # same locale and variant: replaced, not added
    contents = {c["locale"].lower(): c["title"] for c in p1.template_contents("transaction")}
    assert contents == {"en": "A2", "fr": "B"}
    p1.upsert_template_contents(ck.PromptTemplate("V", "v", locale="en", variant="teller"))
    assert len(p1.template_contents("transaction")) == 3


def test_for_simulator_refuses_other_objects() -> None:
    with pytest.raises(InputError):
        PingFederateAdmin.for_simulator(object())
    with pytest.raises(InputError):
        PingOneApi.for_simulator("http://127.0.0.1:1")
