"""JHU daily reports: both header eras, aggregation per region, the real extract."""

from __future__ import annotations

from pathlib import Path

import pytest

from flow.reports import ReportFormatError, aggregate_regions, parse_report, read_regions

JHU = Path(__file__).resolve().parents[4] / "shared" / "data" / "jhu"
needs_jhu = pytest.mark.skipif(
    not JHU.is_dir(), reason=f"real JHU extract not found at {JHU} (lives outside the repo)"
)

OLD_ERA = (
    "\ufeffProvince/State,Country/Region,Last Update,Confirmed,Deaths,Recovered,"
    "Latitude,Longitude\n"
    "Hubei,China,2020-03-15T18:20:18,67794,3085,54288,30.9756,112.2707\n"
    ",Spain,2020-03-15T18:20:18,7798,289,517,40.4637,-3.7492\n"
).encode()
NEW_ERA = (
    b"FIPS,Admin2,Province_State,Country_Region,Last_Update,Lat,Long_,Confirmed,Deaths,"
    b"Recovered,Active,Combined_Key,Incident_Rate,Case_Fatality_Ratio\n"
    b'36047,Kings,New York,US,2021-01-02 05:22:33,40.6,-73.9,100,7,,93,"Kings, New York, US",1,1\n'
    b'36081,Queens,New York,US,2021-01-02 05:22:33,40.7,-73.8,50,3,,47,"Queens, New York, US",1,1\n'
    b',,Madrid,Spain,2021-01-02 05:22:33,40.4,-3.7,399499,11828,40736,346935,"Madrid, Spain",1,2\n'
    b",,,Portugal,2021-01-02 05:22:33,39.4,-8.2,,,,,Portugal,,\n"
)


def as_dict(content: bytes) -> dict[tuple[str, str], tuple[int, int]]:
    frame = read_regions(content)
    return {
        (row.Province_State, row.Country_Region): (row.ConfirmedCases, row.Fatalities)
        for row in frame.itertuples()
    }


def test_old_era_header_with_byte_order_mark_parses() -> None:
    frame = parse_report(OLD_ERA)
    assert {"Province_State", "Country_Region", "Last_Update"} <= set(frame.columns)
    assert as_dict(OLD_ERA) == {("Hubei", "China"): (67794, 3085), ("Spain", "Spain"): (7798, 289)}


def test_new_era_counties_are_summed_per_province() -> None:
    regions = as_dict(NEW_ERA)
    assert regions[("New York", "US")] == (150, 10)
    assert regions[("Madrid", "Spain")] == (399499, 11828)


def test_country_without_province_keeps_its_name_and_blank_counts_are_zero() -> None:
    assert as_dict(NEW_ERA)[("Portugal", "Portugal")] == (0, 0)


def test_output_columns_are_renamed_like_the_seed() -> None:
    frame = read_regions(NEW_ERA)
    assert list(frame.columns) == [
        "Province_State",
        "Country_Region",
        "ConfirmedCases",
        "Fatalities",
    ]


def test_a_file_that_is_not_a_daily_report_names_the_missing_columns() -> None:
    with pytest.raises(ReportFormatError, match=r"missing column\(s\) \['Country_Region'"):
        parse_report(b"Province_State,Cases\nMadrid,1\n", "s3://b/x.csv")


def test_aggregate_is_sorted_and_unique_per_region() -> None:
    frame = aggregate_regions(parse_report(NEW_ERA))
    keys = list(zip(frame["Province_State"], frame["Country_Region"], strict=True))
    assert keys == sorted(set(keys))


@needs_jhu
def test_real_old_era_file_parses() -> None:
    regions = as_dict((JHU / "daily" / "03-15-2020.csv").read_bytes())
    assert regions[("Hubei", "China")] == (67794, 3085)
    assert regions[("Spain", "Spain")] == (7798, 289)


@needs_jhu
@pytest.mark.parametrize("name", ["01-01-2021.csv", "07-14-2021.csv"])
def test_real_new_era_files_parse(name: str) -> None:
    frame = read_regions((JHU / "daily" / name).read_bytes())
    assert frame["Country_Region"].nunique() > 180
    assert frame.duplicated(["Province_State", "Country_Region"]).sum() == 0
    assert (frame[["ConfirmedCases", "Fatalities"]] >= 0).all().all()


@needs_jhu
def test_real_new_york_counties_sum_to_the_state() -> None:
    regions = as_dict((JHU / "daily" / "01-01-2021.csv").read_bytes())
    assert regions[("New York", "US")] == (995816, 38155)


@needs_jhu
def test_real_spain_slices_have_twenty_regions_each() -> None:
    files = sorted((JHU / "spain").glob("*.csv"))
    assert len(files) == 45
    for path in files:
        frame = read_regions(path.read_bytes(), str(path))
        assert len(frame) == 20, path
    madrid = as_dict((JHU / "spain" / "02-14-2021.csv").read_bytes())[("Madrid", "Spain")]
    assert madrid == (559191, 13255)
