"""Where results go (pure): slugs, object keys, CSV bytes.

Keys are relative to the results location (a `results_block` or `results_uri`):
`<city-slug>/<as_of>/<run_id>.csv` for forecasts (a `covidhub` stack's date is the hub's
reference date, its CSV is a hub model-output file and `<run_id>.svg` beside it the fan chart;
a quantile model on a JHU stack writes its quantiles beside the seed-shaped CSV as
`<run_id>.quantiles.csv`) and `monitoring/<scope-slug>/<as_of>/<run_id>.csv` for monitoring.
Same inputs, same key, so a re-run overwrites its own output.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import pandas as pd

ALL_REGIONS = "all-regions"


def slug(name: str) -> str:
    """Lowercase ASCII words joined by dashes: 'Castilla - La Mancha' -> 'castilla-la-mancha'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_name.lower())
    if not words:
        raise ValueError(f"{name!r} has no letters or digits to name a results folder")
    return "-".join(words)


def forecast_key(prov_st: str, as_of: date, run_id: str) -> str:
    """`<city-slug>/<YYYY-MM-DD>/<run_id>.csv`."""
    return f"{slug(prov_st)}/{as_of.isoformat()}/{run_id}.csv"


def chart_key(csv_key: str) -> str:
    """The fan chart's key beside a forecast CSV: `.../<run_id>.svg`."""
    return csv_key.removesuffix(".csv") + ".svg"


def quantiles_key(csv_key: str) -> str:
    """The quantile forecast's key beside a seed-shaped CSV: `.../<run_id>.quantiles.csv`."""
    return csv_key.removesuffix(".csv") + ".quantiles.csv"


def monitor_key(prov_st: str | None, as_of: date, run_id: str) -> str:
    """`monitoring/<city-slug or all-regions>/<YYYY-MM-DD>/<run_id>.csv`."""
    scope = slug(prov_st) if prov_st else ALL_REGIONS
    return f"monitoring/{scope}/{as_of.isoformat()}/{run_id}.csv"


def artifact_key(kind: str, name: str | None) -> str:
    """A Prefect artifact key (lowercase letters, digits, dashes), e.g. 'covid-forecast-madrid'."""
    return f"{kind}-{slug(name) if name else ALL_REGIONS}"


def csv_bytes(table: pd.DataFrame) -> bytes:
    """The table as UTF-8 CSV without the index."""
    return table.to_csv(index=False).encode("utf-8")


def check_block_ref(block_ref: str) -> None:
    """Fail unless `block_ref` reads '<block-type-slug>/<block-name>'."""
    type_slug, _, name = block_ref.partition("/")
    if not type_slug or not name or "/" in name:
        raise ValueError(
            f"results_block {block_ref!r} must be '<block-type-slug>/<block-name>', "
            "e.g. 's3-bucket/covid-forecast-madrid-results'"
        )


def check_results_target(results_uri: str | None, results_block: str | None) -> None:
    """Fail early, before any data is read, when the flow has nowhere to write its result."""
    if results_block:
        check_block_ref(results_block)
    elif not results_uri:
        raise ValueError(
            "No results location: pass results_uri (s3://bucket/prefix or a folder) or "
            "results_block ('<block-type-slug>/<block-name>')"
        )
