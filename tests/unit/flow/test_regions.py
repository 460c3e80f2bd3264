"""Finding the requested region, or failing with the closest names."""

from __future__ import annotations

import pandas as pd
import pytest

from flow.regions import UnknownRegionError, closest_names, find_country, find_region

REGIONS = pd.DataFrame(
    [
        ("Madrid", "Spain", 10, 1),
        ("Catalonia", "Spain", 20, 2),
        ("Punjab", "India", 30, 3),
        ("Punjab", "Pakistan", 40, 4),
        ("Portugal", "Portugal", 50, 5),
    ],
    columns=["Province_State", "Country_Region", "ConfirmedCases", "Fatalities"],
)


def test_region_is_found_ignoring_case_and_spacing() -> None:
    row = find_region(REGIONS, "  madrid ", "SPAIN")
    assert row.to_dict("records") == [
        {
            "Province_State": "Madrid",
            "Country_Region": "Spain",
            "ConfirmedCases": 10,
            "Fatalities": 1,
        }
    ]


def test_unknown_region_lists_the_closest_names() -> None:
    with pytest.raises(UnknownRegionError, match=r"Unknown region 'Madird'.*'Madrid \(Spain\)'"):
        find_region(REGIONS, "Madird")


def test_closest_names_include_the_country_when_it_differs() -> None:
    assert closest_names(REGIONS, "Panjab") == ["Punjab (India)", "Punjab (Pakistan)"]
    assert closest_names(REGIONS, "Portugall") == ["Portugal"]


def test_nothing_close_says_so() -> None:
    with pytest.raises(UnknownRegionError, match="No name is close; the report has 5 regions"):
        find_region(REGIONS, "Xyzzy")


def test_a_name_in_several_countries_needs_the_country() -> None:
    with pytest.raises(UnknownRegionError, match=r"\['India', 'Pakistan'\]; pass country="):
        find_region(REGIONS, "Punjab")
    assert find_region(REGIONS, "Punjab", "Pakistan").at[0, "ConfirmedCases"] == 40


def test_region_in_the_wrong_country_is_unknown_with_suggestions() -> None:
    with pytest.raises(UnknownRegionError, match=r"in country 'India'.*'Madrid \(Spain\)'"):
        find_region(REGIONS, "Madrid", "India")


def test_unknown_country_lists_the_closest_countries() -> None:
    with pytest.raises(UnknownRegionError, match=r"Country 'Spian' is not in the report.*Spain"):
        find_region(REGIONS, "Madrid", "Spian")
    with pytest.raises(UnknownRegionError, match=r"closest countries: \['Spain'\]"):
        find_country(REGIONS, "spian")
    assert find_country(REGIONS, "spain") == "Spain"
