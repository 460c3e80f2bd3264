"""The hub's model-output file (pure): write a forecast frame as one, and validate a written one.

Layout (CDCgov/covid19-forecast-hub, `model-output/README.md` and `hub-config/tasks.json`):
columns exactly `reference_date, target, horizon, target_end_date, location, output_type,
output_type_id, value`; target `wk inc covid hosp`; locations `US` and the two-digit FIPS codes
of the 50 states, DC and PR; horizons -1..3 with `target_end_date = reference_date + 7 x horizon`;
`output_type` `quantile` with all 23 levels (written like `0.025`) for every location and
horizon; values non-negative and non-decreasing with the level; one reference date per file.

`validate_hub_csv` checks every one of those rules on the bytes of a written file, as the hub's
own validation (hubValidations) does on a submission, and reports every problem at once.
A submitted file is named `<reference_date>-<team>-<model>.csv` (`submission_file_name`).

    python -m flow.hub_output <file.csv> [--all-locations] [--any-name]
"""

from __future__ import annotations

import argparse
import io
import math
import re
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from flow.locations import HUB_CODES
from flow.series import FORECAST_COLUMNS, HUB_HORIZONS, HUB_TARGET, OUTPUT_TYPE, QUANTILE_LEVELS

_TASK_COLUMNS = ["reference_date", "target", "horizon", "target_end_date", "location"]
# The hub's rule for team and model names: letters, digits and `_`, under 21 characters each.
_NAME = re.compile(r"^[A-Za-z0-9_]{1,20}$")
_FILE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-([A-Za-z0-9_]+)-([A-Za-z0-9_]+)\.csv$")
# Problems shown per rule before "... and N more", so a broken file gives a readable message.
_SHOWN = 5


class HubFileError(ValueError):
    """A forecast file the hub would reject; `.problems` lists every broken rule."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source} is not a valid hub model-output file ({len(problems)} problem(s)):"]
        lines += [f"  - {problem}" for problem in problems]
        super().__init__("\n".join(lines))


def level_text(level: float) -> str:
    """A quantile level as the hub writes it: `0.025`, `0.1`, `0.5`."""
    return repr(round(float(level), 6))


_LEVEL_TEXTS = tuple(level_text(level) for level in QUANTILE_LEVELS)


def hub_table(forecast: pd.DataFrame) -> pd.DataFrame:
    """The forecast frame as the rows of a hub file.

    Dates become ISO strings, horizons integers, levels `0.025`-style text. Within each
    location x horizon the quantiles are sorted (a model's crossing quantiles are rearranged,
    which never makes a quantile score worse) and clipped at 0: counts cannot be negative.
    """
    table = forecast.loc[:, list(FORECAST_COLUMNS)].copy()
    table["horizon"] = table["horizon"].astype("int64")
    table["level"] = table["output_type_id"].astype("float64")
    table = table.sort_values(["location", "horizon", "level"], kind="stable")
    values = table["value"].astype("float64").clip(lower=0.0).to_numpy(copy=True)
    for rows in table.groupby(["location", "horizon"], sort=False).indices.values():
        values[rows] = np.sort(values[rows])
    table["value"] = values
    for column in ("reference_date", "target_end_date"):
        table[column] = pd.to_datetime(table[column]).dt.strftime("%Y-%m-%d")
    table["location"] = table["location"].astype(str)
    table["output_type_id"] = table["level"].map(level_text)
    return table.drop(columns="level").reset_index(drop=True)


def hub_csv_bytes(forecast: pd.DataFrame) -> bytes:
    """The hub file's bytes (UTF-8, no index), values at full precision."""
    return hub_table(forecast).to_csv(index=False).encode("utf-8")


def submission_file_name(reference: date, team: str, model: str) -> str:
    """`<reference_date>-<team>-<model>.csv`, the name the hub wants the file under."""
    for what, name in (("team", team), ("model", model)):
        if not _NAME.match(name):
            raise ValueError(
                f"hub {what} name {name!r} must be 1-20 letters, digits or '_' "
                "(no '-', which separates date, team and model)"
            )
    return f"{reference.isoformat()}-{team}-{model}.csv"


def _listed(problem: str, items: Iterable[object]) -> str:
    shown = sorted({str(item) for item in items})
    more = f" ... and {len(shown) - _SHOWN} more" if len(shown) > _SHOWN else ""
    return f"{problem}: {', '.join(shown[:_SHOWN])}{more}"


def _parse_dates(column: pd.Series, name: str, problems: list[str]) -> pd.Series:
    parsed = pd.to_datetime(column, format="%Y-%m-%d", errors="coerce")
    bad = column[parsed.isna()]
    if not bad.empty:
        problems.append(_listed(f"{name} must be a YYYY-MM-DD date, found", bad))
    return parsed


def _check_file_name(file_name: str, references: set[date], problems: list[str]) -> None:
    match = _FILE_NAME.match(file_name)
    if not match:
        problems.append(
            f"file name {file_name!r} must be <reference_date>-<team>-<model>.csv "
            "(team and model: letters, digits, '_')"
        )
        return
    day, team, model = match.groups()
    for what, name in (("team", team), ("model", model)):
        if len(name) > 20:
            problems.append(f"{what} name {name!r} in the file name is over 20 characters")
    if references and {date.fromisoformat(day)} != references:
        problems.append(
            f"file name date {day} differs from the file's reference_date "
            f"{', '.join(sorted(d.isoformat() for d in references))}"
        )


def _read_rows(content: bytes) -> tuple[pd.DataFrame | None, list[str]]:
    """The file's cells as text, or the problems that stop any further check."""
    try:
        raw = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as exc:
        return None, [f"not a readable CSV: {exc}"]
    columns = list(raw.columns)
    if sorted(columns) != sorted(FORECAST_COLUMNS):
        extra = [c for c in columns if c not in FORECAST_COLUMNS]
        missing = [c for c in FORECAST_COLUMNS if c not in columns]
        return None, [
            f"columns must be exactly {', '.join(FORECAST_COLUMNS)}; "
            f"missing {missing or 'none'}, unexpected {extra or 'none'}"
        ]
    if raw.empty:
        return None, ["the file has a header but no forecast rows"]
    return raw, []


def _check_blanks(raw: pd.DataFrame, problems: list[str]) -> None:
    for column in FORECAST_COLUMNS:
        blank = raw.index[raw[column].str.strip() == ""]
        if len(blank):
            problems.append(_listed(f"{column} is empty on data row(s)", blank + 1))


def _check_dates(
    raw: pd.DataFrame, reference: date | None, file_name: str | None, problems: list[str]
) -> None:
    """One Saturday reference date (the expected one, matching the file name) and
    `target_end_date = reference_date + 7 x horizon` on every row."""
    ref = _parse_dates(raw["reference_date"], "reference_date", problems)
    end = _parse_dates(raw["target_end_date"], "target_end_date", problems)
    references = {d.date() for d in ref.dropna()}
    if len(references) > 1:
        problems.append(_listed("one reference_date per file, found", references))
    not_saturday = [d for d in references if d.weekday() != 5]
    if not_saturday:
        problems.append(_listed("reference_date must be a Saturday, found", not_saturday))
    if reference is not None and references and references != {reference}:
        problems.append(
            _listed(f"reference_date must be {reference.isoformat()}, found", references)
        )
    if file_name is not None:
        _check_file_name(file_name, references, problems)
    horizon = pd.to_numeric(raw["horizon"], errors="coerce")
    derived = ref + pd.to_timedelta(horizon.fillna(0) * 7, unit="D")
    wrong_end = raw.index[ref.notna() & end.notna() & horizon.notna() & (end != derived)]
    if len(wrong_end):
        problems.append(
            _listed("target_end_date must be reference_date + 7 x horizon on row(s)", wrong_end + 1)
        )


def _check_task_values(raw: pd.DataFrame, problems: list[str]) -> None:
    """Target, output type, location, horizon and level: each one of the hub's values."""
    rules = (
        ("target", raw["target"] != HUB_TARGET, f"target must be {HUB_TARGET!r}"),
        ("output_type", raw["output_type"] != OUTPUT_TYPE, f"output_type must be {OUTPUT_TYPE!r}"),
        (
            "location",
            ~raw["location"].isin(HUB_CODES),
            "location must be a hub code (US or 2-digit FIPS)",
        ),
        (
            "horizon",
            ~raw["horizon"].isin({str(h) for h in HUB_HORIZONS}),
            "horizon must be an integer in -1..3",
        ),
        (
            "output_type_id",
            ~raw["output_type_id"].isin(_LEVEL_TEXTS),
            "output_type_id must be one of the 23 hub levels (0.01 .. 0.99)",
        ),
    )
    for column, bad, rule in rules:
        if bad.any():
            problems.append(_listed(f"{rule}, found", raw.loc[bad, column]))


def _check_values(raw: pd.DataFrame, problems: list[str]) -> pd.Series:
    """Values are finite numbers >= 0; returns them as floats (NaN where not a number)."""
    value = pd.to_numeric(raw["value"], errors="coerce")
    not_number = raw.loc[~np.isfinite(value.fillna(math.nan)), "value"]
    if not not_number.empty:
        problems.append(_listed("value must be a finite number, found", not_number))
    negative = raw.loc[value < 0, "value"]
    if not negative.empty:
        problems.append(_listed("value must be >= 0, found", negative))
    return value


def _check_quantiles(raw: pd.DataFrame, value: pd.Series, problems: list[str]) -> None:
    """No duplicate rows; all 23 levels per location x horizon, non-decreasing with the level."""
    duplicated = raw[raw.duplicated([*_TASK_COLUMNS, "output_type", "output_type_id"], keep=False)]
    if not duplicated.empty:
        tasks = {f"{r.location} h{r.horizon} {r.output_type_id}" for r in duplicated.itertuples()}
        problems.append(_listed("duplicate rows for", tasks))
    frame = raw.assign(level=pd.to_numeric(raw["output_type_id"], errors="coerce"), number=value)
    for (loc, h), rows in frame.groupby(["location", "horizon"], sort=True):
        levels = set(rows["output_type_id"])
        if not set(_LEVEL_TEXTS) <= levels:
            problems.append(
                f"location {loc} horizon {h}: has {len(levels & set(_LEVEL_TEXTS))} of the "
                f"23 levels; missing {', '.join(sorted(set(_LEVEL_TEXTS) - levels))}"
            )
            continue
        ordered = rows.sort_values("level")["number"].to_numpy()
        if np.any(np.diff(ordered) < 0):
            problems.append(
                f"location {loc} horizon {h}: quantiles decrease as the level rises "
                f"({', '.join(f'{v:g}' for v in ordered)})"
            )


def _check_coverage(
    raw: pd.DataFrame,
    locations: Iterable[str] | None,
    horizons: Iterable[int],
    problems: list[str],
) -> None:
    """Every expected location (default: every location in the file) has every horizon."""
    wanted = {str(h) for h in horizons}
    present = set(zip(raw["location"], raw["horizon"], strict=True))
    expected = set(locations) if locations is not None else set(raw["location"])
    missing = {f"{loc} h{h}" for loc in expected for h in wanted if (loc, h) not in present}
    if missing:
        problems.append(_listed("missing location x horizon", missing))


def validate_hub_csv(
    content: bytes,
    *,
    file_name: str | None = None,
    reference: date | None = None,
    locations: Iterable[str] | None = None,
    horizons: Iterable[int] = HUB_HORIZONS,
) -> list[str]:
    """Every rule of the hub's validation the file breaks (empty: the hub accepts it).

    `file_name` also checks the submission name; `reference`, `locations` and `horizons` say
    which reference date, locations and horizons the file must cover completely.
    """
    raw, problems = _read_rows(content)
    if raw is None:
        return problems
    _check_blanks(raw, problems)
    _check_dates(raw, reference, file_name, problems)
    _check_task_values(raw, problems)
    value = _check_values(raw, problems)
    _check_quantiles(raw, value, problems)
    _check_coverage(raw, locations, horizons, problems)
    return problems


def check_hub_csv(
    content: bytes,
    *,
    source: str = "forecast file",
    reference: date | None = None,
    locations: Iterable[str] | None = None,
) -> None:
    """Raise `HubFileError` listing every problem `validate_hub_csv` finds."""
    problems = validate_hub_csv(content, reference=reference, locations=locations)
    if problems:
        raise HubFileError(source, problems)


def read_forecast_csv(content: bytes) -> pd.DataFrame:
    """A forecast frame from a file `hub_csv_bytes` wrote (location codes keep their leading
    zeros; dates as datetime64; levels as floats)."""
    frame = pd.read_csv(io.BytesIO(content), dtype={"location": str, "output_type_id": str})
    for column in ("reference_date", "target_end_date"):
        frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d")
    frame["output_type_id"] = frame["output_type_id"].astype("float64")
    frame["horizon"] = frame["horizon"].astype("int64")
    frame["value"] = frame["value"].astype("float64")
    return frame.loc[:, list(FORECAST_COLUMNS)]


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: check a model-output file against every hub rule (and its submission name)."""
    parser = argparse.ArgumentParser(
        prog="python -m flow.hub_output",
        description="Check a forecast file against the CDC COVID-19 Forecast Hub's rules.",
    )
    parser.add_argument("path", type=Path, help="the CSV, e.g. 2026-04-04-CovidFC-weekly.csv")
    parser.add_argument(
        "--all-locations",
        action="store_true",
        help="require every hub location (a complete submission of a `city = all` stack)",
    )
    parser.add_argument(
        "--any-name",
        action="store_true",
        help="skip the <reference_date>-<team>-<model>.csv file name check",
    )
    args = parser.parse_args(argv)
    problems = validate_hub_csv(
        args.path.read_bytes(),
        file_name=None if args.any_name else args.path.name,
        locations=HUB_CODES if args.all_locations else None,
    )
    if problems:
        print(HubFileError(str(args.path), problems))
        return 1
    print(f"{args.path}: the hub's rules all hold")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
