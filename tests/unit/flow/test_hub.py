"""Hub timing: reference date, horizons, the latest complete week and its check."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from flow.hub import (
    MissingWeekError,
    check_latest_week,
    hub_day,
    hub_week,
    known_at,
    latest_complete_week,
    reference_date,
    target_end_date,
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 22), date(2026, 3, 28)),  # Sunday starts the epiweek
        (date(2026, 3, 25), date(2026, 3, 28)),  # the Wednesday deadline
        (date(2026, 3, 28), date(2026, 3, 28)),  # Saturday ends it
        (date(2026, 3, 29), date(2026, 4, 4)),  # next Sunday: next week
        (date(2025, 12, 31), date(2026, 1, 3)),  # across a year end
    ],
)
def test_reference_date_is_the_saturday_ending_the_sunday_saturday_week(
    day: date, expected: date
) -> None:
    assert reference_date(day) == expected
    assert expected.weekday() == 5


def test_the_day_of_a_run_is_taken_in_us_eastern() -> None:
    # 02:00 UTC on Sunday is still Saturday evening in New York: the week that Saturday ends.
    late = datetime(2026, 3, 29, 2, 0, tzinfo=UTC)
    assert hub_day(late) == date(2026, 3, 28)
    assert reference_date(hub_day(late)) == date(2026, 3, 28)
    # The scheduled Wednesday 18:00 America/New_York run (22:00 UTC in summer time).
    assert hub_day(datetime(2026, 4, 1, 22, 0, tzinfo=UTC)) == date(2026, 4, 1)
    assert hub_day(datetime(2026, 4, 1, 22, 0)) == date(2026, 4, 1)  # naive = UTC


def test_horizons_and_target_end_dates_follow_the_hub() -> None:
    week = hub_week(date(2026, 4, 1))
    assert week.reference_date == date(2026, 4, 4)
    assert week.horizons == (-1, 0, 1, 2, 3)
    assert week.data_week == latest_complete_week(week.reference_date) == date(2026, 3, 28)
    assert week.target_end_dates == tuple(
        date(2026, 4, 4) + timedelta(days=7 * h) for h in (-1, 0, 1, 2, 3)
    )
    assert target_end_date(date(2026, 4, 4), -1) == date(2026, 3, 28)
    line = week.describe()
    assert "reference date 2026-04-04" in line
    assert "week ending 2026-03-28 (the latest complete week)" in line


def _series(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["location", "date", "value"])
    return frame.assign(date=pd.to_datetime(frame["date"]))


def test_a_missing_latest_week_names_each_location_and_its_last_week() -> None:
    series = _series(
        [
            ("06", "2026-03-21", 10.0),
            ("06", "2026-03-28", 12.0),
            ("36", "2026-03-21", 20.0),
        ]
    )
    week = hub_week(date(2026, 4, 1))
    check_latest_week(series, ["06"], week)
    with pytest.raises(MissingWeekError) as caught:
        check_latest_week(series, ["06", "36", "48"], week)
    message = str(caught.value)
    assert "week ending 2026-03-28" in message
    assert "36 (latest week 2026-03-21)" in message
    assert "48 (latest week none)" in message
    assert "06" not in message.split("location(s):")[1]
    assert caught.value.missing == {"36": date(2026, 3, 21), "48": None}


def test_known_at_drops_weeks_after_the_latest_complete_week() -> None:
    series = _series(
        [("06", "2026-03-21", 1.0), ("06", "2026-03-28", 2.0), ("06", "2026-04-04", 3.0)]
    )
    kept = known_at(series, hub_week(date(2026, 4, 1)))
    assert list(kept["value"]) == [1.0, 2.0]
