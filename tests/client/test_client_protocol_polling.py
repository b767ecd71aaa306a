"""The poll schedule state machine (CIBA Core 7.3, 10.1): pure, no clock, no server."""

from __future__ import annotations

import pytest

from ciba_kit.protocol.polling import Poll, PollSchedule, Stop, Wait, parse_retry_after


def test_interval_defaults_to_5_when_absent() -> None:
    s = PollSchedule(sent_at=100.0, expires_in=120, interval=None)
    assert s.interval == 5
    assert s.next_action(100.0) == Wait(5.0)
    assert s.next_action(105.0) == Poll()


def test_interval_measured_from_previous_send() -> None:
    s = PollSchedule(sent_at=0.0, expires_in=120, interval=2)
    assert s.next_action(2.0) == Poll()
    s.sent(2.5)          # sent late
    s.pending()          # the answer came much later...
    assert s.next_action(4.0) == Wait(0.5)  # ...but the next poll is 2 s after the *send*
    assert s.next_action(4.5) == Poll()


def test_never_overlapping() -> None:
    s = PollSchedule(sent_at=0.0, expires_in=60, interval=1)
    s.sent(1.0)
    with pytest.raises(RuntimeError):
        s.next_action(5.0)
    with pytest.raises(RuntimeError):
        s.sent(5.0)


def test_slow_down_adds_5_for_good() -> None:
    s = PollSchedule(sent_at=0.0, expires_in=300, interval=2)
    s.sent(2.0)
    s.slow_down()
    assert s.interval == 7 and s.slow_downs == 1
    assert s.next_action(2.0) == Wait(7.0)
    s.sent(9.0)
    s.pending()
    assert s.interval == 7  # stays increased
    assert s.next_action(9.0) == Wait(7.0)
    s.sent(16.0)
    s.slow_down()
    assert s.interval == 12


def test_retry_after_pushes_next_poll() -> None:
    s = PollSchedule(sent_at=0.0, expires_in=300, interval=2)
    s.sent(2.0)
    s.unavailable(2.1, 30.0)
    assert s.next_action(4.0) == Wait(pytest.approx(28.1))
    assert s.next_action(32.1) == Poll()
    s.sent(32.1)
    s.unavailable(32.2, None)  # no Retry-After: back to the interval
    assert s.next_action(32.2) == Wait(pytest.approx(1.9))


def test_stops_at_deadline_instead_of_polling_late() -> None:
    s = PollSchedule(sent_at=0.0, expires_in=10, interval=4)
    s.sent(4.0); s.pending()
    s.sent(8.0); s.pending()
    # next allowed poll at 12 > deadline 10: sleep until the deadline, then stop
    assert s.next_action(8.1) == Wait(pytest.approx(1.9))
    assert s.next_action(10.0) == Stop("expired")
    assert s.polls == 2


def test_min_interval_floor() -> None:
    assert PollSchedule(sent_at=0, expires_in=60, interval=1, min_interval=5).interval == 5
    assert PollSchedule(sent_at=0, expires_in=60, interval=0).interval == 0


@pytest.mark.parametrize("value,expected", [
    ("30", 30.0), (" 7 ", 7.0), ("1.5", 1.5), ("", None), (None, None), ("soon", None),
    ("Thu, 01 Jan 2026 00:01:00 GMT", 60.0), ("Thu, 01 Jan 2026 00:00:00 GMT", 0.0),
])
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now_wall=1_767_225_600.0) == expected


def test_response_anchor_never_closer_than_interval_after_the_answer() -> None:
    s = PollSchedule(sent_at=0.0, expires_in=120, interval=5, anchor="response")
    s.sent(5.0)
    s.pending(6.5)  # the answer took 1.5 s (queued somewhere)
    assert s.next_action(10.0) == Wait(1.5)  # 5 s after the answer, not after the send
    s.sent(11.5)
    s.slow_down(11.6)
    assert s.next_poll_at() == pytest.approx(21.6)
    with pytest.raises(ValueError):
        PollSchedule(sent_at=0, expires_in=1, anchor="arrival")
