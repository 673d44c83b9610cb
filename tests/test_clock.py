"""The clock: naive UTC now, the Swedish date, and replaying events at the time they happened."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from marketplace import clock


def test_a_frozen_clock_answers_the_moment_and_its_swedish_date():
    # 23:30 UTC on 30 June is already 1 July in Stockholm (summer time, UTC+2).
    moment = datetime(2026, 6, 30, 23, 30)

    with clock.frozen_at(moment):
        assert clock.utcnow() == moment
        assert clock.today() == date(2026, 7, 1)

    assert abs(clock.utcnow() - datetime.now(UTC).replace(tzinfo=None)) < timedelta(seconds=5)


def test_an_aware_moment_is_stored_as_naive_utc():
    moment = datetime(2026, 1, 15, 9, 0, tzinfo=clock.STOCKHOLM)  # winter time, UTC+1

    with clock.frozen_at(moment):
        assert clock.utcnow() == datetime(2026, 1, 15, 8, 0)


def test_frozen_blocks_nest_and_other_threads_keep_the_real_time():
    seen: list[datetime] = []

    with clock.frozen_at(datetime(2026, 1, 1)):
        with clock.frozen_at(datetime(2026, 2, 1)):
            assert clock.utcnow() == datetime(2026, 2, 1)
            worker = threading.Thread(target=lambda: seen.append(clock.utcnow()))
            worker.start()
            worker.join()
        assert clock.utcnow() == datetime(2026, 1, 1)

    assert abs(seen[0] - datetime.now(UTC).replace(tzinfo=None)) < timedelta(seconds=5)
