"""A follow-up's time is the local time of its own day (issue 14 item 11): across a
daylight-saving change "tomorrow 10:00" stays 10:00 on the clock. TZ is a POSIX rule string
(no tz database needed), set for this test only."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from softphone.workflow import due_in_days

CET = "CET-1CEST,M3.5.0,M10.5.0/3"  # Central Europe: summer time from the last Sunday of March


@pytest.fixture
def central_europe(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", CET)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(("now", "days", "expected"), [
    # Saturday 30 March 2024, 12:00 CET; summer time starts on Sunday 31 at 02:00
    (datetime(2024, 3, 30, 11, 0, tzinfo=UTC), 1, datetime(2024, 3, 31, 8, 0, tzinfo=UTC)),
    # Saturday 26 October 2024, 12:00 CEST; winter time from Sunday 27 at 03:00
    (datetime(2024, 10, 26, 10, 0, tzinfo=UTC), 1, datetime(2024, 10, 27, 9, 0, tzinfo=UTC)),
    (datetime(2024, 10, 26, 10, 0, tzinfo=UTC), 7, datetime(2024, 11, 2, 9, 0, tzinfo=UTC)),
    # late in the evening local time it is already "tomorrow" in UTC terms: local day counts
    (datetime(2024, 6, 3, 22, 30, tzinfo=UTC), 1, datetime(2024, 6, 5, 8, 0, tzinfo=UTC)),
])
def test_follow_up_keeps_the_clock_time_across_dst(central_europe: None, now: datetime,
                                                    days: int, expected: datetime) -> None:
    due = due_in_days(days, now)
    assert due == expected
    assert due.astimezone().strftime("%H:%M") == "10:00"


def test_follow_up_at_a_chosen_minute(central_europe: None) -> None:
    due = due_in_days(3, datetime(2024, 3, 29, 9, 0, tzinfo=UTC), hour=11, minute=45)
    assert due.astimezone().strftime("%Y-%m-%d %H:%M") == "2024-04-01 11:45"
