"""The request console: send a CIBA request, watch its timeline as it happens, and answer it on a
simulated phone.

```python
console = RequestConsole({"demo-poll": client_poll, "demo-ping": client_ping}, devices=sim.devices)
console          # displays: hint, binding message, scope, mode, client, Send; timeline; phone panel
```

Everything a button does is also a method (``send()``, ``approve()``, ``deny()``), and the state
shown is derived by pure functions (:func:`timeline_html`, :func:`phone_html`), so notebooks can
drive the console through ``.value`` / ``.click()`` and print deterministic state for nbval.
The console never prints; it only updates its own widgets.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Mapping
from typing import Any

import ipywidgets as w

from ..client.client import CibaClient
from ..client.models import AuthRequest, FlowResult, TimelineEvent
from ..protocol.errors import CibaError

__all__ = ["RequestConsole", "timeline_html", "phone_html"]

_COLOURS = {"approved": "#1a7f37", "denied": "#cf222e", "expired": "#9a6700", "error": "#cf222e"}


def timeline_html(events: list[TimelineEvent], *, outcome: str | None = None, note: str = "") -> str:
    """An HTML table of a flow's timeline (pure: events in, markup out)."""
    e = html.escape
    rows = "".join(
        f"<tr><td style='text-align:right;padding:0 8px'>{ev.t:7.2f}</td><td>{e(ev.kind)}</td>"
        f"<td style='padding:0 8px'>{'' if ev.status is None else ev.status}</td>"
        f"<td style='color:#57606a'>{e(ev.error or ev.detail or '')}</td></tr>" for ev in events)
    head = ""
    if outcome:
        head = (f"<div class='ciba-outcome' style='font-weight:bold;color:{_COLOURS.get(outcome, '#57606a')}'>"
                f"{e(outcome)}</div>")
    if note:
        head += f"<div class='ciba-note' style='color:#57606a'>{e(note)}</div>"
    return (f"<div class='ciba-timeline'>{head}<table style='font-family:monospace;font-size:12px'>"
            f"<thead><tr><th>t (s)</th><th>event</th><th>HTTP</th><th>error / detail</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>")


def phone_html(prompt: Any | None, *, user: str) -> str:
    """A phone-like card for the oldest pending prompt of ``user`` (or an idle screen)."""
    e = html.escape
    screen = (f"<div style='color:#8c959f;text-align:center;margin-top:120px'>No request for {e(user)}</div>"
              if prompt is None else
              f"<div class='ciba-push' style='background:#fff;border-radius:14px;padding:10px;margin-top:40px;"
              f"box-shadow:0 1px 4px rgba(0,0,0,.3)'><div style='font-size:11px;color:#57606a'>"
              f"{e(prompt.client_name)}</div><div style='font-weight:bold'>{e(prompt.title)}</div>"
              f"<div>{e(prompt.body)}</div></div>")
    return (f"<div class='ciba-phone' style='width:220px;height:380px;border:8px solid #24292f;border-radius:28px;"
            f"background:#eaeef2;padding:8px;font-family:sans-serif;font-size:13px'>"
            f"<div style='text-align:center;font-size:11px;color:#57606a'>{e(user)}'s phone</div>{screen}</div>")


class RequestConsole(w.VBox):
    """Send CIBA requests from a form and answer them on the simulated phone of ``phone_user``.

    Args:
        clients: ``client_id -> CibaClient`` (or a single client). The mode selector filters them by
            their delivery mode.
        devices: The simulator's device API (``sim.devices``) for the phone panel; ``None`` hides it.
        phone_user: Whose phone the panel shows (the demo's manual user ``frank``).
        hint: Initial login_hint.

    Attributes:
        hint, binding_message, scope, mode, client: the form controls (``.value`` is settable).
        send_button, approve_button, deny_button: the buttons (``.click()`` works without a browser).
        last_flow: The last :class:`FlowResult` (``None`` while running).
    """

    def __init__(self, clients: Mapping[str, CibaClient] | CibaClient, *, devices: Any = None,
                 phone_user: str = "frank", hint: str = "frank") -> None:
        if isinstance(clients, CibaClient):
            clients = {clients.client_id: clients}
        if not clients:
            raise ValueError("RequestConsole needs at least one CibaClient")
        self.clients = dict(clients)
        self.devices = devices
        self.phone_user = phone_user
        modes = sorted({c.mode.value for c in self.clients.values()}, key=["poll", "ping", "push"].index)
        self.hint = w.Text(value=hint, description="login_hint")
        self.binding_message = w.Text(value="", description="binding msg", placeholder="e.g. W4SCT")
        self.scope = w.Text(value="openid", description="scope")
        self.mode = w.ToggleButtons(options=modes, value=modes[0], description="mode")
        self.client = w.Dropdown(options=self._ids(modes[0]), description="client")
        self.send_button = w.Button(description="Send request", button_style="primary", icon="paper-plane")
        self.timeline = w.HTML(value=timeline_html([], note="No request sent yet."))
        self.phone = w.HTML(value=phone_html(None, user=phone_user))
        self.approve_button = w.Button(description="Approve", button_style="success")
        self.deny_button = w.Button(description="Deny", button_style="danger")
        self.refresh_button = w.Button(description="Refresh phone", icon="refresh")
        self.status = w.HTML(value="")
        self.last_flow: FlowResult | None = None
        self.last_request: AuthRequest | None = None
        self.last_error: CibaError | None = None
        self._task: asyncio.Task[FlowResult | None] | None = None
        self._started: asyncio.Event | None = None

        self.mode.observe(self._on_mode, names="value")
        self.send_button.on_click(lambda _: self.send())
        self.approve_button.on_click(lambda _: self.approve())
        self.deny_button.on_click(lambda _: self.deny())
        self.refresh_button.on_click(lambda _: self.refresh_phone())
        form = w.VBox([self.hint, self.binding_message, self.scope, self.mode, self.client, self.send_button,
                       self.status])
        left = w.VBox([form, self.timeline])
        right = w.VBox([self.phone, w.HBox([self.approve_button, self.deny_button]), self.refresh_button])
        super().__init__([w.HBox([left, right] if devices is not None else [left])])

    # ------------------------------------------------------------------ form
    def _ids(self, mode: str) -> list[str]:
        return [cid for cid, c in self.clients.items() if c.mode.value == mode]

    def _on_mode(self, change: dict[str, Any]) -> None:
        self.client.options = self._ids(change["new"])

    @property
    def selected_client(self) -> CibaClient:
        return self.clients[self.client.value]

    # ------------------------------------------------------------------ sending
    def send(self) -> asyncio.Task[FlowResult | None]:
        """Send a request with the form's values on the running loop; returns the task.

        A flow still running from an earlier click is cancelled first: it would otherwise keep
        polling and, when it ended, draw its outcome over the new request's timeline.
        """
        loop = asyncio.get_event_loop()
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self.last_flow = None
        self.last_error = None
        self.last_request = None
        self._started = asyncio.Event()
        self.status.value = "<span class='ciba-status'>sending…</span>"
        self._task = loop.create_task(self._run(self.selected_client))
        return self._task

    async def _run(self, client: CibaClient) -> FlowResult | None:
        assert self._started is not None
        params = {"login_hint": self.hint.value.strip() or None, "scope": self.scope.value,
                  "binding_message": self.binding_message.value.strip() or None}
        try:
            try:
                req = await client.start(**params)
            finally:
                self._started.set()
        except CibaError as exc:
            self.last_error = exc
            hint = getattr(exc, "hint", "")
            self.status.value = (f"<span class='ciba-status' style='color:#cf222e'>{html.escape(type(exc).__name__)}: "
                                 f"{html.escape(str(exc).splitlines()[0])}</span>"
                                 + (f"<br><i>{html.escape(hint)}</i>" if hint else ""))
            self.timeline.value = timeline_html([], outcome="error", note=str(exc).splitlines()[0])
            return None
        self.last_request = req
        self.status.value = "<span class='ciba-status'>waiting for the user…</span>"
        self.refresh_phone()
        ticker = asyncio.ensure_future(self._tick(req))
        try:
            flow = await client.wait(req)
        finally:
            ticker.cancel()
        self.last_flow = flow
        self.timeline.value = timeline_html(flow.timeline, outcome=flow.outcome.value,
                                            note=f"{flow.error}: {flow.error_description}" if flow.error else "")
        self.status.value = f"<span class='ciba-status'>{html.escape(flow.outcome.value)}</span>"
        self.refresh_phone()
        return flow

    async def _tick(self, req: AuthRequest) -> None:
        # Show the timeline as it happens (real-time refresh, independent of the flow's clock).
        while True:
            self.timeline.value = timeline_html(req.timeline, note="in progress")
            await asyncio.sleep(0.25)

    async def started(self) -> AuthRequest | None:
        """Wait until the last request was acknowledged (or refused); the prompt is then on the phone."""
        if self._started is not None:
            await self._started.wait()
        self.refresh_phone()
        return self.last_request

    async def result(self) -> FlowResult | None:
        """Wait for the last flow's outcome."""
        return None if self._task is None else await self._task

    # ------------------------------------------------------------------ the phone
    def _prompt(self) -> Any | None:
        if self.devices is None:
            return None
        found = self.devices.pending(self.phone_user)
        return found[0] if found else None

    def refresh_phone(self) -> Any | None:
        """Redraw the phone panel; returns the prompt shown (or None)."""
        prompt = self._prompt()
        self.phone.value = phone_html(prompt, user=self.phone_user)
        self.approve_button.disabled = self.deny_button.disabled = prompt is None
        return prompt

    def approve(self) -> Any | None:
        """Tap Approve on the phone (the oldest pending prompt of ``phone_user``)."""
        return self._answer(True)

    def deny(self) -> Any | None:
        """Tap Deny on the phone."""
        return self._answer(False)

    def _answer(self, approve: bool) -> Any | None:
        prompt = self._prompt()
        if prompt is None:
            self.status.value = "<span class='ciba-status'>no pending prompt on the phone</span>"
            return None
        done = self.devices.approve(prompt.id) if approve else self.devices.deny(prompt.id)
        self.refresh_phone()
        return done

    def __repr__(self) -> str:
        return (f"RequestConsole(clients={list(self.clients)}, phone_user={self.phone_user!r}, "
                f"hint={self.hint.value!r})")
