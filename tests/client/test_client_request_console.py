"""The request console widget, driven headless through .value / .click() against the simulator."""

from __future__ import annotations

import asyncio

import pytest

from ciba_kit.client import CibaClient, ClientSecretBasic, NotificationReceiver
from ciba_kit.simulator import Simulator
from ciba_kit.widgets.request_console import RequestConsole, phone_html, timeline_html

pytestmark = pytest.mark.timeout(60)


def test_pure_renderers() -> None:
    from ciba_kit.client.models import TimelineEvent

    out = timeline_html([TimelineEvent(0.0, "request"), TimelineEvent(0.1, "ack", 200)], outcome="approved")
    assert "approved" in out and "ack" in out and "<script" not in out
    assert "No request for frank" in phone_html(None, user="frank")


def test_console_send_approve_and_error(xsim: Simulator, receiver: NotificationReceiver) -> None:
    async def go():
        clients = {
            "demo-poll": CibaClient.discover(xsim.issuer, "demo-poll", auth=ClientSecretBasic("demo-poll-secret"),
                                             clock=xsim.clock),
            "t-ping": CibaClient.discover(xsim.issuer, "t-ping", auth=ClientSecretBasic("t-ping-secret"),
                                          clock=xsim.clock, mode="ping", receiver=receiver),
            "demo-nociba": CibaClient.discover(xsim.issuer, "demo-nociba",
                                               auth=ClientSecretBasic("demo-nociba-secret"), clock=xsim.clock),
        }
        console = RequestConsole(clients, devices=xsim.devices)
        assert list(console.mode.options) == ["poll", "ping"]
        assert list(console.client.options) == ["demo-poll", "demo-nociba"]
        console.mode.value = "ping"
        assert list(console.client.options) == ["t-ping"]
        console.binding_message.value = "CONSOLE1"
        console.send_button.click()
        await console.started()
        assert "CONSOLE1" in console.phone.value and not console.approve_button.disabled
        await asyncio.sleep(0.1)
        assert "in progress" in console.timeline.value and "ack" in console.timeline.value
        console.approve_button.click()
        flow = await console.result()
        assert flow.outcome.value == "approved" and "approved" in console.timeline.value
        assert "No request for frank" in console.phone.value and console.approve_button.disabled

        console.mode.value = "poll"
        console.client.value = "demo-nociba"
        console.send_button.click()
        assert await console.result() is None
        assert "UnauthorizedClient" in console.status.value and "CIBA" in console.status.value
        for c in clients.values():
            await c.aclose()
        return repr(console)
    assert "RequestConsole(clients=" in asyncio.run(go())


def test_second_send_cancels_the_running_flow(xsim: Simulator) -> None:
    async def go():
        client = CibaClient.discover(xsim.issuer, "demo-poll", auth=ClientSecretBasic("demo-poll-secret"),
                                     clock=xsim.clock)
        console = RequestConsole(client, devices=xsim.devices)
        console.binding_message.value = "FIRST"
        first = console.send()
        first_req = await console.started()
        console.binding_message.value = "SECOND"
        second = console.send()
        await console.started()
        await asyncio.sleep(0.2)  # a few polls of the second flow (clock 20x)
        polls_of_first = first_req.schedule.polls
        console.deny_button.click()  # the oldest prompt: FIRST's, still pending at the simulator
        console.deny_button.click()  # SECOND's
        flow = await console.result()
        await client.aclose()
        return first, second, polls_of_first, first_req, flow, console
    first, second, polls_of_first, first_req, flow, console = asyncio.run(go())
    assert first.cancelled() and first_req.timeline[-1].kind == "cancelled"
    assert first_req.schedule.polls == polls_of_first  # stopped polling when cancelled
    assert flow is second.result() and flow.outcome.value == "denied" and "denied" in console.timeline.value
