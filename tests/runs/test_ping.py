"""Ping and mixed poll + ping campaigns end to end against the embedded simulator.

demo-ping's registered endpoint is the fixed ``http://127.0.0.1:9032/cb``; ``start_receiver``
listens on a free port and re-points the client there through the Admin API.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections import Counter
from pathlib import Path

import pytest

from ciba_kit.cli import build_parser
from ciba_kit.client import CibaClient, ClientSecretBasic
from ciba_kit.protocol.errors import InputError
from ciba_kit.runs import RunLog, run_campaign, start_receiver
from ciba_kit.runs.commands import run_command
from ciba_kit.setup import PingFederateAdmin


def _ping_client(sim, rx) -> CibaClient:  # type: ignore[no-untyped-def]
    return CibaClient.discover(sim.issuer, "demo-ping", auth=ClientSecretBasic("demo-ping-secret"), mode="ping",
                               receiver=rx, clock=sim.clock)


def test_receiver_is_registered_through_the_admin_api(camp_sim) -> None:  # type: ignore[no-untyped-def]
    rx = start_receiver(camp_sim, ["demo-ping"])
    try:
        assert rx.port != 9032 and rx.url.startswith("http://127.0.0.1:")
        with PingFederateAdmin.for_simulator(camp_sim) as admin:
            assert admin.find_client("demo-ping").ciba_notification_endpoint == rx.url  # type: ignore[union-attr]
    finally:
        rx.stop()


def test_receiver_errors_are_input_errors(camp_sim) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as exc:
        start_receiver(None)
    assert exc.value.field == "notification_endpoint"
    with pytest.raises(InputError) as exc:
        start_receiver(camp_sim, ["no-such-client"])
    assert exc.value.field == "client_id"


def test_ping_and_mixed_campaigns(camp_sim, poll_client) -> None:  # type: ignore[no-untyped-def]
    pop = camp_sim.populations["quick"]
    rx = start_receiver(camp_sim, ["demo-ping"])

    async def go() -> tuple[RunLog, RunLog]:
        ping = _ping_client(camp_sim, rx)
        only_ping = await run_campaign(ping, pop, flows=6, concurrency=6, seed=5, progress=False, truth=camp_sim)
        mixed = await run_campaign({"poll": poll_client, "ping": ping}, pop, flows=10, concurrency=10, seed=6,
                                   progress=False, truth=camp_sim)
        await ping.aclose()
        await poll_client.aclose()
        return only_ping, mixed

    try:
        only_ping, mixed = asyncio.run(asyncio.wait_for(go(), 60))
        accepted = rx.counts["accepted"]
    finally:
        rx.stop()
    flows = only_ping.flows()
    assert Counter(flows["outcome"].astype(str)) == {"approved": 6}
    assert set(flows["mode"].astype(str)) == {"ping"} and (flows["polls"] == 1).all()  # the one token call
    ev = only_ping.events()
    assert ((ev["kind"] == "notification") & (ev["detail"] == "ping")).sum() == 6  # one callback per flow, then one token call
    assert (flows["outcome"].astype(str) == flows["true_outcome"]).all()

    mix = mixed.flows()
    assert Counter(zip(mix["variant"].astype(str), mix["mode"].astype(str))) == {("poll", "poll"): 5,
                                                                                ("ping", "ping"): 5}
    assert Counter(mix["outcome"].astype(str)) == {"approved": 10}
    assert (mix.loc[mix["mode"] == "poll", "polls"] >= 1).all()
    assert accepted == 11


def test_cli_ping_run_does_not_need_port_9032(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Hold 9032 so the old fixed endpoint could not have been used.
    blocker = socket.socket()
    try:
        try:
            blocker.bind(("127.0.0.1", 9032))
            blocker.listen(1)
        except OSError:
            pass  # already taken by something else: just as good
        db = tmp_path / "ping.db"
        ns = build_parser().parse_args(["run", "--client-id", "demo-ping", "--population", "6", "--flows", "6",
                                        "--concurrency", "6", "--seed", "2", "--db", str(db), "--json"])
        ns.speed, ns.progress = 20, False
        assert run_command(ns) == 0
    finally:
        blocker.close()
    out = json.loads(capsys.readouterr().out)
    assert out["mode"] == "ping" and out["flows"] == 6
    assert out["counts"].get("error", 0) == 0
    assert "demo-ping-secret" not in json.dumps(out)
