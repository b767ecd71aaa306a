"""The poll schedule of CIBA Core 7.3 / 10.1 as a pure state machine (no I/O, no sleeping).

The client asks :meth:`PollSchedule.next_action` what to do at monotonic time ``now`` and gets one
of :class:`Wait` (sleep that long, then ask again), :class:`Poll` (send one token request now) or
:class:`Stop` (the ``auth_req_id`` has reached its deadline: report ``expired`` without polling).
It reports back what happened with :meth:`sent`, :meth:`pending`, :meth:`slow_down` and
:meth:`unavailable`. Keeping the rules here means they are unit-tested without a server or a clock,
and the async client only translates them to sleeps and HTTP calls.

Rules encoded (each has a test):
- ``interval`` absent in the acknowledgement -> 5 seconds (CIBA Core 7.3).
- Successive polls are at least ``interval`` apart, measured from when the previous poll was
  *sent*; the first poll comes ``interval`` after the authentication request was sent.
- Never two polls in flight for one ``auth_req_id``.
- ``slow_down`` adds 5 seconds to the interval for this and every later poll.
- HTTP 503 (or 429) with ``Retry-After`` pushes the next poll to at least ``now + Retry-After``.
- A poll that would be sent at or after the expiry deadline is not sent: the schedule stops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .constants import DEFAULT_POLL_INTERVAL, SLOW_DOWN_INCREMENT

__all__ = ["Wait", "Poll", "Stop", "PollAction", "PollSchedule", "parse_retry_after"]


@dataclass(frozen=True, slots=True)
class Wait:
    """Sleep ``seconds`` (clock time) and ask again."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Poll:
    """Send one token request now."""


@dataclass(frozen=True, slots=True)
class Stop:
    """Stop polling: ``reason`` is ``'expired'`` (deadline reached)."""

    reason: str = "expired"


PollAction = Wait | Poll | Stop

_POLL = Poll()


class PollSchedule:
    """When to poll the token endpoint for one ``auth_req_id``.

    Args:
        sent_at: Monotonic time the authentication request was sent (the reference for the first
            poll and, conservatively, for the deadline: the server counts ``expires_in`` from when it
            received the request, which is never earlier).
        expires_in: Lifetime of the ``auth_req_id`` from the acknowledgement.
        interval: ``interval`` from the acknowledgement, or ``None`` when absent (-> 5 s).
        min_interval: Client-side floor; the effective interval is never below it (a client may
            always poll more slowly than the server asks).
        anchor: ``"send"`` measures the interval from when the previous poll was sent (CIBA's minimum);
            ``"response"`` from when its answer arrived, which is never earlier: a provider that
            throttles on *arrival* times then never sees two polls closer than ``interval``, however
            long a poll waited in a busy client or network (the kit's client uses this).
    """

    __slots__ = ("interval", "deadline", "sent_at", "last_sent", "not_before", "in_flight", "polls",
                 "slow_downs", "unavailable_count", "anchor", "last_answer")

    def __init__(self, *, sent_at: float, expires_in: float, interval: float | None = None,
                 min_interval: float = 0.0, anchor: str = "send") -> None:
        if anchor not in ("send", "response"):
            raise ValueError(f"anchor must be 'send' or 'response', got {anchor!r}")
        self.anchor = anchor
        self.last_answer: float | None = None
        base = DEFAULT_POLL_INTERVAL if interval is None else interval
        self.interval: float = max(float(base), float(min_interval), 0.0)
        self.sent_at = sent_at
        self.deadline = sent_at + float(expires_in)
        self.last_sent: float | None = None
        self.not_before = -math.inf
        self.in_flight = False
        self.polls = 0
        self.slow_downs = 0
        self.unavailable_count = 0

    def next_poll_at(self) -> float:
        """Earliest monotonic time the next poll may be sent."""
        ref = self.sent_at if self.last_sent is None else self.last_sent
        if self.anchor == "response" and self.last_answer is not None and self.last_answer > ref:
            ref = self.last_answer
        return max(ref + self.interval, self.not_before)

    def next_action(self, now: float) -> PollAction:
        """What to do at ``now``.

        Raises:
            RuntimeError: A poll is still in flight (the caller must report its answer first).
        """
        if self.in_flight:
            raise RuntimeError("a poll is in flight: report its answer before asking for the next action")
        at = self.next_poll_at()
        if at >= self.deadline:
            if now >= self.deadline:
                return Stop("expired")
            # Sleep until the deadline rather than poll early: the next allowed poll is too late.
            return Wait(self.deadline - now)
        if now < at:
            return Wait(at - now)
        return _POLL

    def sent(self, now: float) -> None:
        """A poll was sent at ``now``."""
        if self.in_flight:
            raise RuntimeError("overlapping polls for one auth_req_id are not allowed")
        self.in_flight = True
        self.last_sent = now
        self.polls += 1

    def pending(self, now: float | None = None) -> None:
        """The poll answered ``authorization_pending`` (at ``now``, when known)."""
        self.in_flight = False
        self.last_answer = now

    def slow_down(self, now: float | None = None) -> None:
        """The poll answered ``slow_down``: the interval grows by 5 s for good."""
        self.in_flight = False
        self.last_answer = now
        self.slow_downs += 1
        self.interval += SLOW_DOWN_INCREMENT

    def unavailable(self, now: float, retry_after: float | None) -> None:
        """The poll answered 503/429; ``retry_after`` seconds from the header (or ``None``)."""
        self.in_flight = False
        self.last_answer = now
        self.unavailable_count += 1
        if retry_after is not None and retry_after > 0:
            self.not_before = max(self.not_before, now + retry_after)

    def answered(self) -> None:
        """The poll got a final answer (tokens or a terminal error)."""
        self.in_flight = False

    def remaining(self, now: float) -> float:
        """Seconds until the deadline (never negative)."""
        return max(0.0, self.deadline - now)

    def __repr__(self) -> str:
        return (f"PollSchedule(interval={self.interval:g}, polls={self.polls}, slow_downs={self.slow_downs}, "
                f"in_flight={self.in_flight})")


def parse_retry_after(value: str | None, *, now_wall: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date (RFC 9110 10.2.3).

    Args:
        value: The header value (``None`` when absent).
        now_wall: Current wall-clock epoch seconds (for the HTTP-date form).

    Returns:
        Non-negative seconds, or ``None`` when absent or unparseable.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(int(text))
    try:
        secs = float(text)
        if math.isfinite(secs) and secs >= 0:
            return secs
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now_wall)
