"""Injected time. Everything whose behaviour depends on time takes a :class:`Clock`.

``monotonic()`` drives intervals and deadlines; ``time()`` is the wall clock used for JWT
``iat``/``exp`` claims and timestamps. ``sleep()`` waits in the clock's own time, so a
:class:`ScaledClock` makes a 40-second push timeout pass in 2 real seconds, and a
:class:`ManualClock` lets tests advance time by hand without sleeping at all.
"""

from __future__ import annotations

import asyncio
import contextvars
import time as _time
from collections.abc import Coroutine
from typing import Any, Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock", "ScaledClock", "ManualClock", "SYSTEM_CLOCK"]


@runtime_checkable
class Clock(Protocol):
    """What the kit needs from time."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...

    def time(self) -> float:
        """Seconds since the Unix epoch."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


#: Timer callbacks below only set a future's result, so they need no copy of the caller's context
#: (``loop.call_later`` otherwise copies it for every sleep).
_TIMER_CONTEXT = contextvars.Context()


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


async def _real_sleep(seconds: float) -> None:
    """``asyncio.sleep`` with fewer objects per call.

    Thousands of pending flows each sleep between polls, and whatever a sleep allocates lives for
    the whole interval, so it is promoted to the garbage collector's oldest generation. Returned
    directly by the clocks' ``sleep`` (not awaited inside another coroutine), it costs one coroutine,
    one future and one timer handle: asyncio.sleep under an ``async def sleep`` costs a second
    coroutine and a copy of the context as well.
    """
    if not seconds > 0:  # also NaN: yield once, like asyncio.sleep(0)
        await asyncio.sleep(0)
        return
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[None] = loop.create_future()
    handle = loop.call_later(seconds, _wake, fut, context=_TIMER_CONTEXT)
    try:
        await fut
    finally:
        handle.cancel()


class SystemClock:
    """Real time."""

    def monotonic(self) -> float:
        return _time.monotonic()

    def time(self) -> float:
        return _time.time()

    def sleep(self, seconds: float) -> Coroutine[Any, Any, None]:
        """Wait ``seconds`` (a coroutine to await, as from an ``async def``)."""
        return _real_sleep(seconds)

    def __repr__(self) -> str:
        return "SystemClock()"


class ScaledClock:
    """Time that runs ``factor`` times faster than real time (``factor=20``: 40 s pass in 2 s).

    Both the simulator and a client must use the same factor for their view of intervals to agree.
    """

    def __init__(self, factor: float, *, epoch: float | None = None) -> None:
        if factor <= 0:
            raise ValueError(f"ScaledClock factor must be > 0, got {factor!r}")
        self.factor = float(factor)
        self._real0 = _time.monotonic()
        self._mono0 = self._real0
        self._epoch0 = _time.time() if epoch is None else epoch

    def _elapsed(self) -> float:
        return (_time.monotonic() - self._real0) * self.factor

    def monotonic(self) -> float:
        return self._mono0 + self._elapsed()

    def time(self) -> float:
        return self._epoch0 + self._elapsed()

    def sleep(self, seconds: float) -> Coroutine[Any, Any, None]:
        """Wait ``seconds`` of scaled time (a coroutine to await, as from an ``async def``)."""
        return _real_sleep(seconds / self.factor)

    def __repr__(self) -> str:
        return f"ScaledClock(factor={self.factor:g})"


class ManualClock:
    """A clock that moves only when told to; ``sleep`` advances it instantly (for tests)."""

    def __init__(self, start: float = 1_000.0, *, epoch: float = 1_767_225_600.0) -> None:
        self._now = float(start)
        self._start = float(start)
        self._epoch = float(epoch)
        self.sleeps: list[float] = []

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        self._now += seconds

    def monotonic(self) -> float:
        return self._now

    def time(self) -> float:
        return self._epoch + (self._now - self._start)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)

    def __repr__(self) -> str:
        return f"ManualClock(now={self._now:g})"


SYSTEM_CLOCK = SystemClock()
