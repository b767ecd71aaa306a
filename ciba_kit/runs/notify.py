"""One notification receiver for the ping / push flows of a campaign.

A campaign in ping (or mixed poll + ping) mode needs a :class:`~ciba_kit.client.NotificationReceiver`
listening where the provider sends its callbacks. Against the embedded simulator the demo
clients' endpoint (``http://127.0.0.1:9032/cb``) is a fixed port that may be taken, so
:func:`start_receiver` listens on a free loopback port instead and re-points the clients'
``cibaNotificationEndpoint`` at it through the simulator's Admin API, exactly as the setup
walkthrough would against PingFederate. Against a real provider nothing is reconfigured: the
receiver listens at the URL given (which must be the one registered for the client).
"""

from __future__ import annotations

from typing import Any, Iterable

__all__ = ["start_receiver"]


def start_receiver(sim: Any = None, client_ids: Iterable[str] = (), *, url: str | None = None) -> Any:
    """Start one receiver and, for the embedded simulator, register it for ``client_ids``.

    Args:
        sim: a started ``ck.Simulator`` whose clients should call the receiver, or None for a
            real provider (then ``url`` is required: the endpoint registered for the client).
        client_ids: the simulator's ping / push clients to re-point at the receiver.
        url: listen at this URL's host, port and path; a free loopback port (``/cb``) when omitted.

    Returns:
        The started :class:`~ciba_kit.client.NotificationReceiver` (call ``stop()`` when done).

    Raises:
        InputError: no ``url`` for a real provider, a port already taken, or an unknown client.

    Example:
        >>> rx = start_receiver(sim, ["demo-ping"])                      # doctest: +SKIP
        >>> client = ck.CibaClient.discover(sim.issuer, "demo-ping", auth=..., mode="ping", receiver=rx)  # doctest: +SKIP
    """
    from ciba_kit.client import NotificationReceiver
    from ciba_kit.protocol.errors import InputError

    if sim is None and url is None:
        raise InputError("notification_endpoint", "a real provider needs the URL registered for the client",
                         "pass --notification-endpoint URL (the client's CIBA notification endpoint)")
    receiver = NotificationReceiver.start(url or "http://127.0.0.1:0/cb")
    if sim is None:
        return receiver
    try:
        from dataclasses import replace

        from ciba_kit.setup import PingFederateAdmin

        with PingFederateAdmin.for_simulator(sim) as admin:
            for client_id in dict.fromkeys(client_ids):
                found = admin.find_client(client_id)
                if found is None:
                    raise InputError("client_id", f"the simulator has no client {client_id!r}",
                                     "use demo-ping (or a client you created through the Admin API)")
                if found.ciba_notification_endpoint != receiver.url:
                    admin.update_client(replace(found, ciba_notification_endpoint=receiver.url))
    except BaseException:
        receiver.stop()
        raise
    return receiver
