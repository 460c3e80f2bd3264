"""The hub's locations: the embedded table matches the hub's file; names, codes, closest names."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from flow.locations import (
    ALL,
    HUB_LOCATIONS,
    UnknownLocationError,
    location_name,
    resolve_location,
)
from tests.real_data import HUB_LOCATIONS_CSV, needs_real_data


@needs_real_data
def test_the_table_equals_the_hub_s_locations_file() -> None:
    with HUB_LOCATIONS_CSV.open(newline="") as handle:
        rows = [
            (row["location"], row["abbreviation"], row["location_name"])
            for row in csv.DictReader(handle)
        ]
    assert [tuple(location) for location in HUB_LOCATIONS] == rows
    assert len(HUB_LOCATIONS) == 53


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("California", "06"),
        ("  new   YORK ", "36"),
        ("ca", "06"),
        ("06", "06"),
        ("6", "06"),
        ("US", "US"),
        ("United States", "US"),
        ("district of columbia", "11"),
        ("PR", "72"),
        ("All", ALL),
    ],
)
def test_a_location_is_found_by_name_usps_or_fips(text: str, code: str) -> None:
    assert resolve_location(text) == code


def test_an_unknown_location_lists_the_closest_names() -> None:
    with pytest.raises(
        UnknownLocationError,
        match=r"Unknown location 'Californa'\. Closest: "
        r"California \(CA, 06\)",
    ):
        resolve_location("Californa")
    with pytest.raises(UnknownLocationError, match="No location name is close"):
        resolve_location("Madrid")
    with pytest.raises(LookupError, match=r"2-digit FIPS code \(California, CA, 06\)"):
        resolve_location("99")


def test_location_names() -> None:
    assert location_name("06") == "California"
    assert location_name("US") == "US"
    with pytest.raises(KeyError, match="'99' is not a hub location code"):
        location_name("99")


def test_the_module_needs_only_the_standard_library() -> None:
    # infra.config imports it at preview, where pandas and the flow's packages are absent.
    code = (
        "import sys, flow.locations; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'numpy', 'prefect', "
        "'httpx', 'fsspec'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert done.stdout.strip() == "[]"
