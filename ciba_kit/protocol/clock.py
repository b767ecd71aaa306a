"""Injected time. Everything whose behaviour depends on time takes a :class:`Clock`.

``monotonic()`` drives intervals and deadlines; ``time()`` is the wall clock used for JWT
``iat``/``exp`` claims and timestamps. ``sleep()`` waits in the clock's own time, so a
:class:`ScaledClock` makes a 40-second push timeout pass in 2 real seconds, and a
:class:`ManualClock` lets tests advance time by hand without sleeping at all.
"""

from __future__ import annotations

import asyncio
import time as _time
from typing import Protocol, runtime_checkable

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


class SystemClock:
    """Real time."""

    def monotonic(self) -> float:
        return _time.monotonic()

    def time(self) -> float:
        return _time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

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

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.factor)

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
