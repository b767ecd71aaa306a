"""End to end against the embedded simulator over loopback HTTP: modes, auth methods, hints,
signed requests, error classes, ping receiver behaviour, cancellation, expiry, the sync facade."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from ciba_kit import protocol
from ciba_kit.client import (
    CibaClient,
    ClientSecretBasic,
    ClientSecretJwt,
    ClientSecretPost,
    NotificationReceiver,
    PrivateKeyJwt,
    SyncCibaClient,
)
from ciba_kit.protocol import errors, jose
from ciba_kit.protocol.constants import Outcome
from ciba_kit.simulator import Simulator

pytestmark = pytest.mark.timeout(60)

DEMO_KEY = jose.demo_client_key()


def _client(sim: Simulator, client_id: str, auth, **kw) -> CibaClient:
    return CibaClient.discover(sim.issuer, client_id, auth=auth, clock=sim.clock, **kw)


def run(coro):
    return asyncio.run(coro)


async def _flow(client: CibaClient, **kw):
    try:
        return await client.authenticate(**kw)
    finally:
        await client.aclose()


# ---------------------------------------------------------------- outcomes and auth methods
@pytest.mark.parametrize("client_id,auth", [
    ("demo-poll", ClientSecretBasic("demo-poll-secret")),
    ("demo-post", ClientSecretPost("demo-post-secret")),
    ("demo-jwt", PrivateKeyJwt(DEMO_KEY)),
    ("t-csjwt", ClientSecretJwt("t-csjwt-secret-0123456789abcdef0123456789")),
])
def test_poll_approved_with_every_auth_method(xsim: Simulator, client_id: str, auth) -> None:
    flow = run(_flow(_client(xsim, client_id, auth), login_hint="alice", binding_message="W4SCT"))
    assert flow.outcome == Outcome.APPROVED, flow.error_description
    assert flow.id_token_claims["sub"] == "alice" and flow.id_token_claims["aud"] == client_id
    stable = flow.safe_claims(without_times=True)
    assert stable is not None and stable["sub"] == "alice" and not {"iat", "exp", "auth_time"} & set(stable)
    assert {"iat", "exp"} <= set(flow.safe_claims() or {})
    assert flow.polls >= 1 and flow.slow_downs == 0
    kinds = [e.kind for e in flow.timeline]
    assert kinds[:2] == ["request", "ack"] and kinds[-1] == "id_token"
    # polls never closer than the interval (2 s), measured from send to send
    sends = [e.t for e in flow.timeline if e.kind == "poll"]
    assert sends[0] - flow.timeline[0].t >= 2.0
    assert all(b - a >= 2.0 for a, b in zip(sends, sends[1:]))
    lat = flow.latency
    assert 0 < lat.ack_s <= lat.total_s
    assert 0 <= lat.decision_after_s <= lat.decision_s <= lat.decision_before_s <= lat.total_s
    truth = xsim.truth(flow.auth_req_id_hash)
    assert truth.user == "alice" and truth.decided is not None


def test_denied_and_unknown_user_and_user_code(xsim: Simulator) -> None:
    auth = ClientSecretBasic("demo-poll-secret")
    assert run(_flow(_client(xsim, "demo-poll", auth), login_hint="bob")).outcome == Outcome.DENIED
    f = run(_flow(_client(xsim, "demo-poll", auth), login_hint="nobody"))
    assert f.outcome == Outcome.ERROR and isinstance(f.exception, errors.UnknownUserId) and f.hint
    f = run(_flow(_client(xsim, "demo-poll", auth), login_hint="dave"))
    assert isinstance(f.exception, errors.MissingUserCode)
    f = run(_flow(_client(xsim, "demo-poll", auth), login_hint="dave", user_code="0000"))
    assert isinstance(f.exception, errors.InvalidUserCode)
    f = run(_flow(_client(xsim, "demo-poll", auth, user_code=True), login_hint="dave", user_code="1234"))
    assert f.outcome == Outcome.APPROVED


def test_wrong_secret_is_invalid_client_and_never_leaks(xsim: Simulator) -> None:
    f = run(_flow(_client(xsim, "demo-poll", ClientSecretBasic("wrong-secret-value")), login_hint="alice"))
    assert isinstance(f.exception, errors.InvalidClient) and f.exception.status == 401
    dump = json.dumps(f.to_dict()) + repr(f) + f._repr_html_()
    assert "wrong-secret-value" not in dump


def test_no_ciba_grant_is_unauthorized_client_with_hint(xsim: Simulator) -> None:
    client = _client(xsim, "demo-nociba", ClientSecretBasic("demo-nociba-secret"))
    async def start():
        try:
            return await client.start(login_hint="alice")
        finally:
            await client.aclose()
    with pytest.raises(errors.UnauthorizedClient) as e:
        run(start())
    assert "CIBA" in e.value.hint
    f = run(_flow(client, login_hint="alice"))
    assert f.error == "unauthorized_client" and f.outcome == Outcome.ERROR
    with pytest.raises(errors.UnauthorizedClient):
        f.raise_for_error()


def test_signed_request_object(xsim: Simulator) -> None:
    client = _client(xsim, "demo-signed", PrivateKeyJwt(DEMO_KEY), sign_requests=True)
    f = run(_flow(client, login_hint="alice", binding_message="SIGNED1", requested_expiry=60))
    assert f.outcome == Outcome.APPROVED and f.expires_in == 60
    # the same client without a request object is refused
    f = run(_flow(_client(xsim, "demo-signed", PrivateKeyJwt(DEMO_KEY)), login_hint="alice"))
    assert isinstance(f.exception, errors.InvalidRequest)


def test_login_hint_token_and_id_token_hint(xsim: Simulator) -> None:
    now = xsim.clock.time()
    lht = jose.sign_jwt({"iss": "demo-jwt", "sub": "alice", "exp": int(now) + 300}, DEMO_KEY, "ES256")
    client = _client(xsim, "demo-jwt", PrivateKeyJwt(DEMO_KEY))
    f = run(_flow(client, login_hint_token=lht))
    assert f.outcome == Outcome.APPROVED, f.error_description
    expired = jose.sign_jwt({"iss": "demo-jwt", "sub": "alice", "exp": int(now) - 300}, DEMO_KEY, "ES256")
    f = run(_flow(_client(xsim, "demo-jwt", PrivateKeyJwt(DEMO_KEY)), login_hint_token=expired))
    assert isinstance(f.exception, errors.ExpiredLoginHintToken)
    assert expired not in json.dumps(f.to_dict())
    idt = run(_flow(_client(xsim, "demo-jwt", PrivateKeyJwt(DEMO_KEY)), login_hint="alice")).tokens.id_token
    f = run(_flow(_client(xsim, "demo-jwt", PrivateKeyJwt(DEMO_KEY)), id_token_hint=idt))
    assert f.outcome == Outcome.APPROVED, f.error_description


def test_two_hints_rejected_before_sending(xsim: Simulator) -> None:
    client = _client(xsim, "demo-poll", ClientSecretBasic("demo-poll-secret"))
    before = len(xsim.truth())
    with pytest.raises(errors.InputError) as e:
        run(client.authenticate(login_hint="alice", id_token_hint="a.b.c"))
    assert e.value.field == "id_token_hint"
    assert len(xsim.truth()) == before


# ---------------------------------------------------------------- manual user, cancel, expiry
def test_manual_user_frank_and_start_wait(xsim: Simulator) -> None:
    async def go():
        client = _client(xsim, "demo-poll", ClientSecretBasic("demo-poll-secret"))
        req = await client.start(login_hint="frank", binding_message="FRANK1")
        assert "auth_req_id=<masked" in repr(req) and req.auth_req_id not in repr(req)
        prompt = await asyncio.to_thread(xsim.devices.wait_for_prompt, "frank")
        assert prompt.binding_message == "FRANK1"
        xsim.devices.approve(prompt.id)
        flow = await client.wait(req)
        await client.aclose()
        return flow
    assert run(go()).outcome == Outcome.APPROVED


def test_cancellation_leaves_nothing_running(xsim: Simulator) -> None:
    async def go():
        client = _client(xsim, "demo-poll", ClientSecretBasic("demo-poll-secret"))
        req = await client.start(login_hint="frank")
        task = asyncio.create_task(client.wait(req))
        await asyncio.sleep(0.3)  # ~6 clock seconds: a few polls
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        polls = req.schedule.polls
        await asyncio.sleep(0.3)
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        await client.aclose()
        return polls, req.schedule.polls, others, req.timeline[-1].kind
    before, after, others, last = run(go())
    assert before >= 1 and after == before and not others and last == "cancelled"
    for p in xsim.devices.pending("frank"):
        xsim.devices.deny(p.id)


def test_pending_flow_holds_no_response_while_it_sleeps(xsim: Simulator) -> None:
    # Whatever a pending flow keeps across its sleep is promoted to the GC's oldest generation: with
    # thousands of flows that made full collections frequent. The last poll's answer must be gone.
    from ciba_kit.client.http import HttpResponse

    def held(task: asyncio.Task) -> list:
        """The local variables of every coroutine the task is suspended in."""
        found, coro = [], task.get_coro()
        while coro is not None and getattr(coro, "cr_frame", None) is not None:
            found += list(coro.cr_frame.f_locals.values())
            coro = coro.cr_await
        return found

    async def go():
        client = _client(xsim, "demo-poll", ClientSecretBasic("demo-poll-secret"))
        req = await client.start(login_hint="frank")
        task = asyncio.create_task(client.wait(req))
        while req.schedule.polls < 2 or req.schedule.in_flight:  # answered at least once, now sleeping
            await asyncio.sleep(0.005)
        alive = [o for o in held(task) if isinstance(o, (HttpResponse, httpx.Response))]
        assert len(held(task)) > 5  # the walk did reach wait() / _poll() / the sleep
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await client.aclose()
        return req, alive
    req, alive = run(go())
    assert req.timeline[-2].kind == "poll_response" and req.timeline[-2].error == "authorization_pending"
    assert alive == []
    for p in xsim.devices.pending("frank"):
        xsim.devices.deny(p.id)


def test_expiry_deadline_stops_polling(xsim: Simulator) -> None:
    client = _client(xsim, "demo-poll", ClientSecretBasic("demo-poll-secret"))
    f = run(_flow(client, login_hint="frank", requested_expiry=5))
    assert f.outcome == Outcome.EXPIRED and f.expires_in == 5
    assert f.polls == 2  # at 2 s and 4 s; the next (6 s) would be after the deadline
    assert f.timeline[-1].kind == "expired" and 5.0 <= f.timeline[-1].t < 5.5
    for p in xsim.devices.pending("frank"):
        xsim.devices.deny(p.id)


def test_client_timeout(xsim: Simulator) -> None:
    f = run(_flow(_client(xsim, "demo-poll", ClientSecretBasic("demo-poll-secret")), login_hint="frank", timeout=3))
    assert f.outcome == Outcome.EXPIRED and f.error == "timeout" and f.polls == 1
    for p in xsim.devices.pending("frank"):
        xsim.devices.deny(p.id)


def test_sync_client_in_a_script_and_under_a_running_loop(xsim: Simulator) -> None:
    with SyncCibaClient.discover(xsim.issuer, "demo-poll", auth=ClientSecretBasic("demo-poll-secret"),
                                 clock=xsim.clock) as c:
        assert c.authenticate(login_hint="alice").outcome == Outcome.APPROVED

        async def inside_loop():  # what a Jupyter cell does: blocking call while a loop runs
            return c.authenticate(login_hint="bob").outcome
        assert run(inside_loop()) == Outcome.DENIED
        req = c.start(login_hint="frank")
        xsim.devices.wait_for_prompt("frank")
        xsim.devices.deny("frank")
        assert c.wait(req).outcome == Outcome.DENIED


# ---------------------------------------------------------------- ping and push
def test_ping_manual_exactly_one_token_call(xsim: Simulator, receiver: NotificationReceiver) -> None:
    async def go():
        client = _client(xsim, "t-ping", ClientSecretBasic("t-ping-secret"), mode="ping", receiver=receiver)
        req = await client.start(login_hint="frank")
        assert req.notification_token and len(req.notification_token) >= 27  # >= 160 bits
        await asyncio.sleep(0.2)  # several intervals pass: ping mode must not poll
        assert req.schedule.polls == 0
        await asyncio.to_thread(xsim.devices.wait_for_prompt, "frank")
        xsim.devices.approve("frank")
        flow = await client.wait(req)
        await client.aclose()
        return flow
    flow = run(go())
    assert flow.outcome == Outcome.APPROVED, flow.error_description
    kinds = [e.kind for e in flow.timeline]
    assert kinds.count("token_request") == 1 and "poll" not in kinds and "notification" in kinds
    assert flow.polls == 1 and receiver.pending == 0
    assert flow.latency.decision_s is not None and flow.latency.decision_after_s is None


def test_ping_persona_alice(xsim: Simulator, receiver: NotificationReceiver) -> None:
    client = _client(xsim, "t-ping", ClientSecretBasic("t-ping-secret"), mode="ping", receiver=receiver)
    f = run(_flow(client, login_hint="alice", timeout=20))
    assert f.outcome == Outcome.APPROVED


def test_ping_receiver_tokens(xsim: Simulator, receiver: NotificationReceiver) -> None:
    async def go():
        client = _client(xsim, "t-ping", ClientSecretBasic("t-ping-secret"), mode="ping", receiver=receiver)
        req = await client.start(login_hint="frank")
        counts0 = dict(receiver.counts)
        async with httpx.AsyncClient() as h:
            body = {"auth_req_id": req.auth_req_id}
            missing = await h.post(receiver.url, json=body)
            wrong = await h.post(receiver.url, json=body, headers={"Authorization": "Bearer " + "x" * 43})
            unknown = await h.post(receiver.url, json={"auth_req_id": "not-mine"},
                                   headers={"Authorization": f"Bearer {req.notification_token}"})
            garbage = await h.post(receiver.url, content=b"<html>", headers={
                "Authorization": f"Bearer {req.notification_token}"})
        assert not req._waiter.future.done()
        await asyncio.to_thread(xsim.devices.wait_for_prompt, "frank")
        xsim.devices.deny("frank")
        flow = await client.wait(req)
        await client.aclose()
        return counts0, missing, wrong, unknown, garbage, flow
    counts0, missing, wrong, unknown, garbage, flow = run(go())
    assert missing.status_code == 401 and wrong.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert unknown.status_code == 204 and garbage.status_code == 400
    assert receiver.counts["unauthorized"] == counts0["unauthorized"] + 2
    assert receiver.counts["ignored"] == counts0["ignored"] + 1
    assert flow.outcome == Outcome.DENIED  # the real ping still arrived and one token call followed


def test_push_tokens_validated(xsim: Simulator, receiver: NotificationReceiver) -> None:
    async def go():
        client = _client(xsim, "t-push", ClientSecretBasic("t-push-secret"), mode="push", receiver=receiver)
        req = await client.start(login_hint="frank")
        await asyncio.to_thread(xsim.devices.wait_for_prompt, "frank")
        xsim.devices.approve("frank")
        flow = await client.wait(req)
        req2 = await client.start(login_hint="frank")
        await asyncio.to_thread(xsim.devices.wait_for_prompt, "frank")
        xsim.devices.deny("frank")
        flow2 = await client.wait(req2)
        await client.aclose()
        return flow, flow2
    flow, flow2 = run(go())
    assert flow.outcome == Outcome.APPROVED, flow.error_description
    assert flow.polls == 0 and "poll" not in [e.kind for e in flow.timeline]
    assert protocol.constants.CLAIM_AUTH_REQ_ID in flow.id_token_claims
    masked = flow.to_dict()["id_token_claims"][protocol.constants.CLAIM_AUTH_REQ_ID]
    assert masked.startswith("<masked")
    assert flow2.outcome == Outcome.DENIED and flow2.error == "access_denied"


def test_push_mode_needs_receiver(xsim: Simulator) -> None:
    with pytest.raises(errors.InputError) as e:
        _client(xsim, "t-push", ClientSecretBasic("t-push-secret"), mode="push")
    assert e.value.field == "receiver"


def test_discovery_says_what_is_missing(xsim: Simulator) -> None:
    # the simulator without push enabled does not offer push: DiscoveryError names it
    with Simulator.start(seed=0) as plain:
        with pytest.raises(errors.DiscoveryError) as e:
            CibaClient.discover(plain.issuer, "demo-ping", auth=ClientSecretBasic("demo-ping-secret"), mode="push",
                                receiver=NotificationReceiver())
        assert any(m.startswith("backchannel_token_delivery_modes_supported: push") for m in e.value.missing)


def test_many_concurrent_flows(xsim: Simulator) -> None:
    async def go():
        client = _client(xsim, "demo-poll", ClientSecretBasic("demo-poll-secret"))
        t = time.monotonic()
        flows = await asyncio.gather(*[client.authenticate(login_hint=h) for h in ["alice", "bob"] * 20])
        await client.aclose()
        return flows, time.monotonic() - t
    flows, _ = run(go())
    assert [f.outcome for f in flows].count(Outcome.APPROVED) == 20
    assert len({f.auth_req_id_hash for f in flows}) == 40
