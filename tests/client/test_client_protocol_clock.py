"""The clocks' sleep: waits as long as asked (scaled), yields on zero, cancels cleanly, no context copy."""

from __future__ import annotations

import asyncio
import contextvars
import time

import pytest

from ciba_kit.protocol.clock import ScaledClock, SystemClock

pytestmark = pytest.mark.timeout(30)

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


def test_system_and_scaled_sleep_wait_as_long_as_asked() -> None:
    async def main() -> tuple[float, float]:
        t0 = time.monotonic()
        await SystemClock().sleep(0.05)
        t1 = time.monotonic()
        await ScaledClock(20).sleep(1.0)  # 1 s of clock time = 0.05 s real
        return t1 - t0, time.monotonic() - t1

    real, scaled = asyncio.run(main())
    assert 0.045 <= real < 1.0 and 0.045 <= scaled < 1.0


@pytest.mark.parametrize("seconds", [0.0, -1.0, float("nan")])
def test_non_positive_sleep_yields_once(seconds: float) -> None:
    async def main() -> list[str]:
        order: list[str] = []

        async def other() -> None:
            order.append("other")

        task = asyncio.ensure_future(other())
        await SystemClock().sleep(seconds)
        order.append("after sleep")
        await task
        return order

    assert asyncio.run(main()) == ["other", "after sleep"]


def test_cancelled_sleep_raises_and_leaves_no_timer_or_error() -> None:
    async def main() -> tuple[bool, list[dict], int]:
        loop = asyncio.get_running_loop()
        errors: list[dict] = []
        loop.set_exception_handler(lambda _loop, ctx: errors.append(ctx))
        task = asyncio.ensure_future(SystemClock().sleep(0.05))
        await asyncio.sleep(0.01)
        task.cancel()
        try:
            await task
            cancelled = False
        except asyncio.CancelledError:
            cancelled = True
        # The sleep's timer is cancelled with it (asyncio's loop keeps its timers in _scheduled).
        pending = sum(1 for h in loop._scheduled if not h.cancelled())  # type: ignore[attr-defined]
        await asyncio.sleep(0.1)  # past the original deadline
        return cancelled, errors, pending

    cancelled, errors, pending = asyncio.run(main())
    assert cancelled and errors == [] and pending == 0


def test_sleep_wakes_the_caller_in_its_own_context() -> None:
    # The timer runs in a shared empty context (no copy per sleep); the sleeper keeps its own.
    async def main() -> str:
        VAR.set("mine")
        await SystemClock().sleep(0.01)
        return VAR.get()

    assert asyncio.run(main()) == "mine"
