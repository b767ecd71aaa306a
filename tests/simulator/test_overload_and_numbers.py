"""The overload drill (503 + Retry-After) and number matching on the simulated phones (plain httpx)."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ciba_kit.protocol.clock import ScaledClock
from ciba_kit.protocol.constants import CIBA_GRANT_TYPE
from ciba_kit.protocol.errors import InputError
from ciba_kit.simulator import Persona, Simulator
from ciba_kit.simulator.demo import DEMO_MFA_POLICY_ID, demo_state

AUTH = ("demo-poll", "demo-poll-secret")


def start(http: httpx.Client, login_hint: str, binding: str = "NM1") -> str:
    r = http.post("/as/bc-auth.ciba", data={"scope": "openid", "login_hint": login_hint, "binding_message": binding},
                  auth=AUTH)
    assert r.status_code == 200, r.text
    return r.json()["auth_req_id"]


def poll(http: httpx.Client, rid: str) -> httpx.Response:
    return http.post("/as/token.oauth2", data={"grant_type": CIBA_GRANT_TYPE, "auth_req_id": rid}, auth=AUTH)


# ----------------------------------------------------------------------------- overload drill

@pytest.fixture(scope="module")
def osim() -> Iterator[Simulator]:
    s = Simulator.start({"settings": {"overload_503_every_n": 2, "overload_retry_after_s": 3}},
                        clock=ScaledClock(20))
    try:
        yield s
    finally:
        s.stop()


def test_every_nth_token_request_is_refused_with_retry_after(osim: Simulator) -> None:
    with httpx.Client(base_url=osim.issuer) as http:
        rid = start(http, "frank")
        answers = [poll(http, rid) for _ in range(4)]
        statuses = [a.status_code for a in answers]
        assert statuses.count(503) == 2 and statuses.count(400) == 2, statuses
        busy = next(a for a in answers if a.status_code == 503)
        assert busy.headers["retry-after"] == "3"
        assert busy.json()["error"] == "temporarily_unavailable"
        assert busy.headers["content-type"] == "application/json"
        assert http.get("/sim/health").json()["overload_rejections"] >= 2
        # The backchannel endpoint is not part of the drill.
        assert all(http.post("/as/bc-auth.ciba", data={"scope": "openid", "login_hint": "frank"},
                             auth=AUTH).status_code == 200 for _ in range(3))


def test_the_drill_is_refused_even_without_client_authentication(osim: Simulator) -> None:
    # A saturated front end answers before PingFederate checks anything.
    with httpx.Client(base_url=osim.issuer) as http:
        statuses = {http.post("/as/token.oauth2", data={"grant_type": CIBA_GRANT_TYPE}).status_code for _ in range(4)}
    assert statuses == {401, 503}


def test_turning_the_drill_off_at_runtime(osim: Simulator) -> None:
    osim.state.sim.overload_503_every_n = 0
    try:
        with httpx.Client(base_url=osim.issuer) as http:
            rid = start(http, "frank")
            assert {poll(http, rid).status_code for _ in range(3)} <= {400}
    finally:
        osim.state.sim.overload_503_every_n = 2


@pytest.mark.parametrize("value", [-1, 1.5, "3"])
def test_bad_overload_settings_are_refused(value: Any) -> None:
    with pytest.raises(InputError) as info:
        Simulator.create({"settings": {"overload_503_every_n": value}})
    assert info.value.field == "settings.overload_503_every_n"


# ----------------------------------------------------------------------------- number matching

def numbers_config() -> dict[str, Any]:
    mfa = copy.deepcopy(demo_state().p1.mfa_policies[DEMO_MFA_POLICY_ID])
    mfa["mobile"]["applications"][0]["push"]["numberMatching"] = {"enabled": True}
    return {"mfaPolicies": [mfa]}


@pytest.fixture(scope="module")
def nsim() -> Iterator[Simulator]:
    s = Simulator.start(numbers_config(), seed=5, clock=ScaledClock(20))
    try:
        yield s
    finally:
        s.stop()


def wait_answer(http: httpx.Client, rid: str, limit: float = 10) -> httpx.Response:
    deadline = time.monotonic() + limit
    while True:
        r = poll(http, rid)
        if r.json().get("error") not in ("authorization_pending", "slow_down"):
            return r
        assert time.monotonic() < deadline, "no answer"
        time.sleep(0.11)  # > interval (2 s) / 20


def test_the_prompt_carries_three_numbers_with_the_right_one(nsim: Simulator) -> None:
    with httpx.Client(base_url=nsim.issuer) as http:
        rid = start(http, "frank")
        p = nsim.devices.wait_for_prompt("frank")
        assert len(p.number_challenge) == 3 and len(set(p.number_challenge)) == 3
        expected = nsim.devices.expected_number(p.id)
        assert expected in p.number_challenge
        twin = http.get("/sim/devices/pending", params={"user": "frank"}).json()["items"][0]
        assert twin["number_challenge"] == p.number_challenge
        with pytest.raises(InputError) as info:
            nsim.devices.approve(p.id)  # number matching needs a number
        assert info.value.field == "number"
        nsim.devices.approve(p.id, number=expected)
        assert wait_answer(http, rid).status_code == 200
        t = nsim.truth(rid)
        assert (t.number_expected, t.number_picked, t.decision) == (expected, expected, "approve")


def test_a_wrong_number_denies(nsim: Simulator) -> None:
    with httpx.Client(base_url=nsim.issuer) as http:
        rid = start(http, "frank", "NM2")
        p = nsim.devices.wait_for_prompt("frank")
        wrong = next(n for n in p.number_challenge if n != nsim.devices.expected_number(p.id))
        assert nsim.devices.approve(p.id, number=wrong).status == "FAILED"
        r = wait_answer(http, rid)
        assert (r.status_code, r.json()["error"]) == (400, "access_denied")
        assert nsim.truth(rid).number_picked == wrong


def test_the_http_twin_takes_the_number(nsim: Simulator) -> None:
    with httpx.Client(base_url=nsim.issuer) as http:
        rid = start(http, "frank", "NM3")
        p = nsim.devices.wait_for_prompt("frank")
        assert http.post(f"/sim/devices/{p.id}/approve").status_code == 400  # no number
        assert http.post(f"/sim/devices/{p.id}/approve", params={"number": "x"}).status_code == 400
        right = nsim.devices.expected_number(p.id)
        r = http.post(f"/sim/devices/{p.id}/approve", json={"number": right})
        assert r.status_code == 200 and r.json()["status"] == "COMPLETED"
        assert wait_answer(http, rid).status_code == 200


def test_personas_pick_the_right_number(nsim: Simulator) -> None:
    with httpx.Client(base_url=nsim.issuer) as http:
        rid = start(http, "alice", "NM4")
        assert wait_answer(http, rid).status_code == 200
        t = nsim.truth(rid)
        assert t.number_picked == t.number_expected is not None and t.number_expected in t.number_challenge
        rid = start(http, "bob", "NM5")
        assert wait_answer(http, rid).json()["error"] == "access_denied"
        assert nsim.truth(rid).number_picked is None


def test_challenges_are_seeded(nsim: Simulator) -> None:
    def draw() -> list[Any]:
        with Simulator.start(numbers_config(), seed=11, clock=ScaledClock(20)) as s, \
                httpx.Client(base_url=s.issuer) as http:
            rid = start(http, "frank")
            p = s.devices.wait_for_prompt("frank")
            return [p.number_challenge, s.truth(rid).number_expected]
    assert draw() == draw()


def test_without_number_matching_nothing_changes(fast_sim: Simulator) -> None:
    with httpx.Client(base_url=fast_sim.issuer) as http:
        rid = start(http, "frank", "NM6")
        p = fast_sim.devices.wait_for_prompt("frank")
        assert p.number_challenge is None and fast_sim.devices.expected_number("frank") is None
        fast_sim.devices.approve("frank")  # old call shape
        assert wait_answer(http, rid).status_code == 200
        assert fast_sim.truth(rid).number_picked is None


def test_number_matching_does_not_change_persona_outcomes() -> None:
    def outcomes(cfg: dict[str, Any]) -> list[Any]:
        with Simulator.start(cfg, seed=2, clock=ScaledClock(20)) as s, httpx.Client(base_url=s.issuer) as http:
            s.add_user("pat", persona=Persona(approve=0.5, deny=0.5, latency_median_s=1))
            rids = [start(http, "pat", f"P{i}") for i in range(6)]
            return [(s.truth(r).planned, round(s.truth(r).planned_latency_s or 0, 6)) for r in rids]
    assert outcomes(numbers_config()) == outcomes({})
