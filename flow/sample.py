"""Generated JHU-format daily reports for the offline demo and tests (no real data is shipped).

Deterministic: a day's numbers depend only on the seed and the day, never on the requested
range, so a longer range extends a shorter one. Cumulative counts grow in waves from the JHU
start date (2020-01-22), with daily noise and deaths following cases two weeks later. The
regions cover the cases the flow must handle: Spanish provinces (Madrid), a country without
provinces (Portugal), a province split into counties that must be summed (New York), and a
province name found in two countries (Punjab).

    python -m flow.sample <dest_dir> [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--seed N]
"""

from __future__ import annotations

import argparse
import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

SAMPLE_EPOCH = date(2020, 1, 22)
NEW_ERA_HEADER = (
    "FIPS",
    "Admin2",
    "Province_State",
    "Country_Region",
    "Last_Update",
    "Lat",
    "Long_",
    "Confirmed",
    "Deaths",
    "Recovered",
    "Active",
    "Combined_Key",
    "Incident_Rate",
    "Case_Fatality_Ratio",
)
DEFAULT_SEED = 7
DEFAULT_DAYS = 90
_DEATH_LAG_DAYS = 14


@dataclass(frozen=True)
class SampleArea:
    """One row of every generated report."""

    province: str
    country: str
    population: int
    lat: float
    long: float
    admin2: str = ""
    fips: str = ""
    fatality_rate: float = 0.015
    wave_phase: int = 0


AREAS = (
    SampleArea("Madrid", "Spain", 6_663_000, 40.4168, -3.7038),
    SampleArea("Catalonia", "Spain", 7_675_000, 41.5912, 1.5209, wave_phase=10),
    SampleArea(
        "Andalusia", "Spain", 8_464_000, 37.5443, -4.7278, fatality_rate=0.012, wave_phase=20
    ),
    SampleArea("", "Portugal", 10_196_000, 39.3999, -8.2245, fatality_rate=0.016, wave_phase=30),
    SampleArea(
        "Lombardia", "Italy", 10_060_000, 45.4668, 9.1905, fatality_rate=0.025, wave_phase=5
    ),
    SampleArea("New York", "US", 2_559_000, 40.6501, -73.9496, "Kings", "36047", 0.02, 15),
    SampleArea("New York", "US", 2_253_000, 40.7101, -73.8173, "Queens", "36081", 0.02, 15),
    SampleArea("New York", "US", 1_418_000, 40.8448, -73.8648, "Bronx", "36005", 0.02, 15),
    SampleArea("Punjab", "India", 27_704_000, 31.1471, 75.3412, fatality_rate=0.03, wave_phase=40),
    SampleArea(
        "Punjab", "Pakistan", 110_012_000, 31.1704, 72.7097, fatality_rate=0.022, wave_phase=45
    ),
)


def _cumulative(area_index: int, area: SampleArea, days: int, seed: int) -> np.ndarray:
    """Cumulative (cases, deaths) from SAMPLE_EPOCH for `days` days, shape (days, 2)."""
    # One generator per area, drawn in day order: a longer range only appends draws.
    rng = np.random.default_rng([seed, area_index])
    noise = rng.lognormal(mean=0.0, sigma=0.2, size=(days, 2))
    t = np.arange(days, dtype="float64")
    ramp = np.minimum(1.0, t / 60.0)
    waves = 0.1 + (0.5 + 0.5 * np.sin(2 * math.pi * (t - area.wave_phase) / 140.0)) ** 3
    new_cases = area.population * 2.5e-4 * ramp * waves * noise[:, 0]
    lagged = np.concatenate([np.zeros(_DEATH_LAG_DAYS), new_cases[:-_DEATH_LAG_DAYS]])[:days]
    new_deaths = area.fatality_rate * lagged * noise[:, 1]
    return np.floor(np.cumsum(np.stack([new_cases, new_deaths], axis=1), axis=0)).astype("int64")


def _row(area: SampleArea, day: date, cases: int, deaths: int) -> list[str]:
    names = [name for name in (area.admin2, area.province, area.country) if name]
    updated = datetime.combine(day + timedelta(days=1), datetime.min.time()).replace(
        hour=5, minute=22, second=33
    )
    return [
        area.fips,
        area.admin2,
        area.province,
        area.country,
        updated.strftime("%Y-%m-%d %H:%M:%S"),
        f"{area.lat}",
        f"{area.long}",
        str(cases),
        str(deaths),
        "",
        str(cases - deaths),
        ", ".join(names),
        repr(cases / area.population * 100_000),
        repr(deaths / cases * 100) if cases else "",
    ]


def sample_reports(start: date, end: date, seed: int = DEFAULT_SEED) -> dict[date, str]:
    """The CSV text of each day's generated report from `start` to `end` inclusive."""
    if start < SAMPLE_EPOCH:
        raise ValueError(f"start {start} is before the JHU data start {SAMPLE_EPOCH}")
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    days = (end - SAMPLE_EPOCH).days + 1
    series = [_cumulative(index, area, days, seed) for index, area in enumerate(AREAS)]
    reports: dict[date, str] = {}
    for offset in range((start - SAMPLE_EPOCH).days, days):
        day = SAMPLE_EPOCH + timedelta(days=offset)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(NEW_ERA_HEADER)
        for area, counts in zip(AREAS, series, strict=True):
            writer.writerow(_row(area, day, int(counts[offset, 0]), int(counts[offset, 1])))
        reports[day] = out.getvalue()
    return reports


def write_sample_reports(
    dest: Path, start: date, end: date, seed: int = DEFAULT_SEED
) -> list[Path]:
    """Write `<dest>/MM-DD-YYYY.csv` for every day from `start` to `end`; returns the files.

    Matches the data_url template `<dest>/{date:%m-%d-%Y}.csv`.
    """
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for day, text in sample_reports(start, end, seed).items():
        path = dest / f"{day:%m-%d-%Y}.csv"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: write generated daily reports into a folder."""
    parser = argparse.ArgumentParser(
        prog="python -m flow.sample", description=__doc__.split("\n")[0]
    )
    parser.add_argument("dest", type=Path, help="folder to write MM-DD-YYYY.csv files into")
    parser.add_argument(
        "--end", type=date.fromisoformat, default=None, help="last day (default: today, UTC)"
    )
    parser.add_argument(
        "--start",
        type=date.fromisoformat,
        default=None,
        help=f"first day (default: {DEFAULT_DAYS} days before --end)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed")
    args = parser.parse_args(argv)
    end = args.end or datetime.now(UTC).date()
    start = args.start or end - timedelta(days=DEFAULT_DAYS - 1)
    try:
        files = write_sample_reports(args.dest, start, end, args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    print(f"Wrote {len(files)} daily reports {start}..{end} to {args.dest}")
    print(f"data_url: {args.dest}/{{date:%m-%d-%Y}}.csv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
