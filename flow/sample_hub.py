"""Generated weekly admissions in the Forecast Hub's target-data layout (no real data is shipped).

One CSV like the hub's `target-data/covid-hospital-admissions.csv` (newest header
`state,target_end_date,value,location`): every hub location (`US`, the states, DC, PR), weeks
ending Saturday from the hub's first week (2024-11-09) up to the latest complete week, each
value a non-negative integer and `US` the sum of the others, as in the real file.

Deterministic: a week's numbers depend only on the seed, the location and the week, never on
the requested range, so a longer range extends a shorter one. Counts follow a winter and a
late-summer wave per location, with weekly noise.

    python -m flow.sample_hub <dest.csv> [--end YYYY-MM-DD] [--seed N]
"""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from flow.hub import hub_day, latest_complete_week, reference_date
from flow.locations import HUB_LOCATIONS

SAMPLE_HUB_EPOCH = date(2024, 11, 9)
# Rough populations (millions, US Census 2020, rounded) so each location's counts have a
# realistic size: about 15 weekly admissions per million people between waves.
POPULATION_MILLIONS = {
    "AL": 5.0, "AK": 0.7, "AZ": 7.2, "AR": 3.0, "CA": 39.5, "CO": 5.8, "CT": 3.6, "DE": 1.0,
    "DC": 0.7, "FL": 21.5, "GA": 10.7, "HI": 1.5, "ID": 1.8, "IL": 12.8, "IN": 6.8, "IA": 3.2,
    "KS": 2.9, "KY": 4.5, "LA": 4.7, "ME": 1.4, "MD": 6.2, "MA": 7.0, "MI": 10.1, "MN": 5.7,
    "MS": 3.0, "MO": 6.2, "MT": 1.1, "NE": 2.0, "NV": 3.1, "NH": 1.4, "NJ": 9.3, "NM": 2.1,
    "NY": 20.2, "NC": 10.4, "ND": 0.8, "OH": 11.8, "OK": 4.0, "OR": 4.2, "PA": 13.0, "RI": 1.1,
    "SC": 5.1, "SD": 0.9, "TN": 6.9, "TX": 29.1, "UT": 3.3, "VT": 0.6, "VA": 8.6, "WA": 7.7,
    "WV": 1.8, "WI": 5.9, "WY": 0.6, "PR": 3.3,
}  # fmt: skip
_ADMISSIONS_PER_MILLION = 15.0
HEADER = ("state", "target_end_date", "value", "location")
DEFAULT_SEED = 11
_WEEK = timedelta(days=7)


def latest_sample_week(today: date) -> date:
    """The latest complete hub week as of `today` (a day in the hub's timezone)."""
    return latest_complete_week(reference_date(today))


def _weekly_counts(location_index: int, millions: float, weeks: int, seed: int) -> np.ndarray:
    """`weeks` weekly admissions of one location from the epoch (one generator per location,
    drawn in week order: a longer range only appends draws)."""
    rng = np.random.default_rng([seed, location_index])
    size = millions * _ADMISSIONS_PER_MILLION * rng.lognormal(mean=0.0, sigma=0.3)
    phase = rng.uniform(-3.0, 3.0)
    noise = rng.lognormal(mean=0.0, sigma=0.12, size=weeks)
    t = np.arange(weeks, dtype="float64")
    # Week 0 is early November: a winter peak around week 9 (January), a summer one around 41.
    winter = np.exp(-0.5 * (((t - 9 - phase + 26) % 52.18 - 26) / 5.0) ** 2)
    summer = 0.6 * np.exp(-0.5 * (((t - 41 - phase + 26) % 52.18 - 26) / 4.0) ** 2)
    level = size * (0.25 + winter + summer) * noise
    return np.floor(level).astype("int64")


def sample_admissions(end: date, seed: int = DEFAULT_SEED) -> list[tuple[str, date, int, str]]:
    """Rows `(state, week end, value, location)` for every hub location, epoch..`end`."""
    if end < SAMPLE_HUB_EPOCH:
        raise ValueError(f"end {end} is before the hub's first week {SAMPLE_HUB_EPOCH}")
    if end.weekday() != 5:
        raise ValueError(f"end {end} is a {end:%A}; hub weeks end on Saturday")
    weeks = (end - SAMPLE_HUB_EPOCH).days // 7 + 1
    days = [SAMPLE_HUB_EPOCH + i * _WEEK for i in range(weeks)]
    parts = [loc for loc in HUB_LOCATIONS if loc.code != "US"]
    counts = {
        loc.code: _weekly_counts(i, POPULATION_MILLIONS[loc.usps], weeks, seed)
        for i, loc in enumerate(parts, start=1)
    }
    counts["US"] = np.sum(list(counts.values()), axis=0)
    rows = []
    for loc in sorted(HUB_LOCATIONS, key=lambda item: item.usps):
        rows += [
            (loc.usps, day, int(v), loc.code) for day, v in zip(days, counts[loc.code], strict=True)
        ]
    return rows


def sample_hub_csv(end: date, seed: int = DEFAULT_SEED) -> str:
    """The CSV text of the generated target-data file up to week `end`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for state, day, value, location in sample_admissions(end, seed):
        writer.writerow([state, day.isoformat(), value, location])
    return out.getvalue()


def write_sample_hub(dest: Path, end: date, seed: int = DEFAULT_SEED) -> Path:
    """Write the generated target-data CSV at `dest` (its folder is created); returns it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(sample_hub_csv(end, seed), encoding="utf-8")
    return dest


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: write the generated weekly admissions file."""
    parser = argparse.ArgumentParser(
        prog="python -m flow.sample_hub", description=__doc__.split("\n")[0]
    )
    parser.add_argument("dest", type=Path, help="CSV file to write")
    parser.add_argument(
        "--end",
        type=date.fromisoformat,
        default=None,
        help="last week (a Saturday; default: the latest complete hub week)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed")
    args = parser.parse_args(argv)
    end = args.end or latest_sample_week(hub_day(datetime.now(UTC)))
    try:
        path = write_sample_hub(args.dest, end, args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    print(f"Wrote weekly admissions {SAMPLE_HUB_EPOCH}..{end} for every hub location to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
