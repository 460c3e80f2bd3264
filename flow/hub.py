"""The CDC COVID-19 Forecast Hub's timing rules (pure): reference date, horizons, the week used.

The hub names a forecast by its `reference_date`: the Saturday ending the epiweek (Sunday to
Saturday) that contains the Wednesday submission deadline (23:00 US/Eastern). A run's own week
is the week of its scheduled day *in US/Eastern* (`HUB_TIMEZONE`): the hub's deadline is set
there, so a run scheduled late on a Saturday evening in California, already Sunday in UTC,
still belongs to the week that Saturday ends.

Data published on Wednesday ends with the Saturday four days earlier, `reference_date - 7`
(the latest complete week): the forecast uses data up to that week only, and refuses to run,
naming the locations, when that week is missing from the data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from flow.series import HUB_HORIZONS

HUB_TIMEZONE = ZoneInfo("America/New_York")
WEEK = timedelta(days=7)
_SATURDAY = 5  # date.weekday(): Monday 0 .. Sunday 6


class MissingWeekError(LookupError):
    """The latest complete week is missing for some requested locations."""

    def __init__(self, week: date, reference: date, missing: dict[str, date | None]) -> None:
        self.week = week
        self.reference_date = reference
        self.missing = missing
        shown = ", ".join(
            f"{location} (latest week {last.isoformat() if last else 'none'})"
            for location, last in sorted(missing.items())
        )
        super().__init__(
            f"the forecast for reference date {reference.isoformat()} needs the week ending "
            f"{week.isoformat()} (the latest complete week), which the data lacks for "
            f"{len(missing)} location(s): {shown}. The hub publishes each Wednesday the week "
            "that ended the Saturday before: re-run once it is published, or pass an earlier "
            "as_of to forecast a past week"
        )


def reference_date(day: date) -> date:
    """The Saturday ending the Sunday-Saturday week that contains `day`."""
    return day + timedelta(days=(_SATURDAY - day.weekday()) % 7)


def hub_day(moment: datetime) -> date:
    """The calendar day of `moment` in the hub's timezone (US/Eastern); naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(HUB_TIMEZONE).date()


def latest_complete_week(reference: date) -> date:
    """The last week whose data the hub has published by the deadline: `reference - 7`."""
    return reference - WEEK


def target_end_date(reference: date, horizon: int) -> date:
    """`reference + 7 x horizon`."""
    return reference + horizon * WEEK


@dataclass(frozen=True)
class HubWeek:
    """The weeks one hub forecast is about."""

    reference_date: date
    horizons: tuple[int, ...] = HUB_HORIZONS

    @property
    def data_week(self) -> date:
        """The latest complete week, the last one the forecast may use."""
        return latest_complete_week(self.reference_date)

    @property
    def target_end_dates(self) -> tuple[date, ...]:
        """One target end date per horizon."""
        return tuple(target_end_date(self.reference_date, h) for h in self.horizons)

    def describe(self) -> str:
        """The log line saying which week was used and what is forecast."""
        first, last = self.target_end_dates[0], self.target_end_dates[-1]
        return (
            f"reference date {self.reference_date.isoformat()}: data up to the week ending "
            f"{self.data_week.isoformat()} (the latest complete week); horizons "
            f"{self.horizons[0]}..{self.horizons[-1]}, weeks ending {first.isoformat()}.."
            f"{last.isoformat()}"
        )


def hub_week(day: date) -> HubWeek:
    """The hub forecast whose week contains `day` (a day in the hub's timezone)."""
    return HubWeek(reference_date(day))


def check_latest_week(series: pd.DataFrame, locations: Iterable[str], week: HubWeek) -> None:
    """Raise `MissingWeekError` unless every location has a value for `week.data_week`."""
    wanted = list(locations)
    dates = pd.to_datetime(series["date"])
    target = pd.Timestamp(week.data_week)
    present = set(series.loc[dates == target, "location"])
    missing: dict[str, date | None] = {}
    for location in wanted:
        if location in present:
            continue
        own = dates[series["location"] == location]
        missing[location] = own.max().date() if not own.empty else None
    if missing:
        raise MissingWeekError(week.data_week, week.reference_date, missing)


def known_at(series: pd.DataFrame, week: HubWeek) -> pd.DataFrame:
    """The rows a forecast for `week` may use: dates up to its latest complete week."""
    dates = pd.to_datetime(series["date"])
    return series.loc[dates <= pd.Timestamp(week.data_week)].reset_index(drop=True)
