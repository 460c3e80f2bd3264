"""Rolling-origin backtest: at each reference date, train and forecast from what was known then.

    python -m flow.backtest --source covidhub --data <csv url/path> --model default \
        --start 2025-09-13 --end 2026-03-07
    python -m flow.backtest --source jhu-daily --data '<dir>/{date:%m-%d-%Y}.csv' \
        --start 2021-02-01 --end 2021-02-07 --history-start 2021-01-01

What "known at the origin" means depends on the source (`RULES`):

- `covidhub` (weekly): the hub's rule. Data released on the Wednesday of a forecast week end
  with the Saturday before, i.e. `reference_date - 7`; horizons 0..3 are scored (horizon -1 is
  the last observation itself). Each origin's model is trained on weeks <= reference_date - 7.
- `jhu-daily` (daily): the seed's rule. The reference date is the day of the latest report
  used (JHU names a report by the day it covers and publishes it the day after), so the model
  sees reports dated <= reference_date and horizons 1..7 are reference_date + 1..7 days.

Truth is the whole series as loaded (one vintage): the same revised values the model is trained
on, so the backtest does not model late revisions (NHSN's latest week is under-reported when
first published; see ../shared/data/covidhub/README.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from flow.forecasting import (
    MODELS,
    InsufficientHistoryError,
    relative_wis,
    score,
    summarize,
    train_forecaster,
)
from flow.series import PERIOD_DAYS, Period, infer_period
from flow.sources import load_series

BASELINE = "baseline"


@dataclass(frozen=True)
class Rule:
    """How one source's data relate to a reference date."""

    period: Period
    # Periods between the last data point known at an origin and the origin itself.
    data_lag: int
    horizons: tuple[int, ...]


RULES: dict[str, Rule] = {
    "covidhub": Rule(period="week", data_lag=1, horizons=(0, 1, 2, 3)),
    "jhu-daily": Rule(period="day", data_lag=0, horizons=(1, 2, 3, 4, 5, 6, 7)),
}


@dataclass(frozen=True)
class BacktestResult:
    """Per-row scores of the model and the baseline, and the summary table."""

    scores: pd.DataFrame
    table: pd.DataFrame
    seconds: float


def known_at(series: pd.DataFrame, reference_date: pd.Timestamp, rule: Rule) -> pd.DataFrame:
    """The part of `series` known at `reference_date` under `rule`."""
    cutoff = reference_date - pd.Timedelta(days=rule.data_lag * PERIOD_DAYS[rule.period])
    return series[series["date"] <= cutoff]


def reference_dates(start: Any, end: Any, period: Period) -> list[pd.Timestamp]:
    """Every reference date from `start` to `end` inclusive, one period apart."""
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    if last < first:
        raise ValueError(f"--end {last.date()} is before --start {first.date()}")
    if period == "week" and first.day_of_week != 5:
        raise ValueError(
            f"weekly reference dates are Saturdays (the hub's rule); {first.date()} is a "
            f"{first.day_name()}: use {(first + pd.offsets.Week(weekday=5)).date()}"
        )
    return list(pd.date_range(first, last, freq=f"{PERIOD_DAYS[period]}D"))


def forecasts_from_origins(
    series: pd.DataFrame,
    model: str,
    origins: Sequence[pd.Timestamp],
    rule: Rule,
    horizons: Sequence[int],
    params: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Forecast frames of `model` trained and run at each origin on the data known then."""
    frames = []
    for origin in origins:
        known = known_at(series, origin, rule)
        if known.empty:
            raise InsufficientHistoryError(f"no data is known at reference date {origin.date()}")
        forecaster = train_forecaster(known, model, **(params or {}))
        frames.append(forecaster.predict(known, origin, horizons))
    return pd.concat(frames, ignore_index=True)


def backtest(
    series: pd.DataFrame,
    source: str,
    origins: Sequence[pd.Timestamp],
    *,
    model: str = "default",
    horizons: Sequence[int] | None = None,
    params: dict[str, Any] | None = None,
) -> BacktestResult:
    """Score `model` and the baseline from every origin; the table is per horizon and overall.

    Table columns: `n, wis, baseline_wis, relative_wis, ae_median, cover_50, cover_95`.
    """
    rule = _rule(source, series)
    chosen = tuple(horizons) if horizons is not None else rule.horizons
    started = time.perf_counter()
    scored = []
    for name in dict.fromkeys([model, BASELINE]):
        forecasts = forecasts_from_origins(
            series, name, origins, rule, chosen, params if name == model else None
        )
        scored.append(score(forecasts, series).assign(model=name))
    seconds = time.perf_counter() - started
    model_scores, baseline_scores = scored[0], scored[-1]
    if model_scores.empty:
        raise ValueError(
            "no forecast could be scored: the series has no truth for any target date "
            f"(origins {origins[0].date()}..{origins[-1].date()}, horizons {list(chosen)})"
        )
    table = relative_wis(model_scores, baseline_scores).join(
        summarize(model_scores)[["ae_median", "cover_50", "cover_95"]]
    )
    scores = pd.concat(scored, ignore_index=True) if len(scored) > 1 else model_scores
    return BacktestResult(scores=scores, table=table, seconds=seconds)


def _rule(source: str, series: pd.DataFrame) -> Rule:
    if source not in RULES:
        raise ValueError(f"source must be one of {sorted(RULES)}, got {source!r}")
    rule = RULES[source]
    period = infer_period(series)
    if period != rule.period:
        raise ValueError(f"{source} data should be {rule.period}ly, but these are {period}ly")
    return rule


def format_table(table: pd.DataFrame) -> str:
    """The summary table as aligned text."""
    shown = table.copy()
    for column in ("wis", "baseline_wis", "ae_median"):
        shown[column] = shown[column].map(lambda value: f"{value:,.1f}")
    for column in ("relative_wis", "cover_50", "cover_95"):
        shown[column] = shown[column].map(lambda value: f"{value:.3f}")
    return shown.to_string()


def main(argv: list[str] | None = None) -> int:
    """Command line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m flow.backtest",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--source", choices=sorted(RULES), required=True)
    parser.add_argument(
        "--data", help="file, URL or (jhu-daily) {date} template; default: the source's default URL"
    )
    parser.add_argument("--model", default="default", choices=sorted(MODELS))
    parser.add_argument("--start", required=True, help="first reference date, YYYY-MM-DD")
    parser.add_argument("--end", required=True, help="last reference date, YYYY-MM-DD")
    parser.add_argument("--horizons", type=int, nargs="+", help="default: the source's rule")
    parser.add_argument(
        "--history-start",
        help="first data date to load (jhu-daily: needed for more than the default look-back)",
    )
    parser.add_argument("--scores", help="write the per-row scores to this CSV")
    args = parser.parse_args(argv)

    rule = RULES[args.source]
    try:
        origins = reference_dates(args.start, args.end, rule.period)
    except ValueError as error:
        parser.error(str(error))
    horizons = tuple(args.horizons) if args.horizons else rule.horizons
    last_target = origins[-1] + pd.Timedelta(days=max(horizons) * PERIOD_DAYS[rule.period])
    series = load_series(args.source, args.data, as_of=last_target.date(), start=args.history_start)
    result = backtest(series, args.source, origins, model=args.model, horizons=horizons)
    print(
        f"{args.model} vs {BASELINE}, {args.source}, {len(origins)} reference dates "
        f"{origins[0].date()}..{origins[-1].date()}, "
        f"{series['location'].nunique()} locations, {result.seconds:.1f} s"
    )
    print(format_table(result.table))
    if args.scores:
        result.scores.to_csv(args.scores, index=False, date_format="%Y-%m-%d")
    return 0


if __name__ == "__main__":
    sys.exit(main())
