"""JHU daily reports: both header eras, aggregation per region, bad files refused, the real
extract."""

from __future__ import annotations

import logging

import pytest

from flow.reports import ReportFormatError, aggregate_regions, parse_report, read_regions
from flow.sources import SourceDataError
from tests.real_data import JHU, needs_real_data

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


def test_country_without_province_keeps_its_name() -> None:
    assert as_dict(OLD_ERA)[("Spain", "Spain")] == (7798, 289)


def test_a_region_the_publisher_left_blank_is_left_out_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    regions = as_dict(NEW_ERA)
    assert ("Portugal", "Portugal") not in regions
    assert "2 empty Confirmed/Deaths cell(s)" in caplog.text
    assert "1 region(s) with no count at all left out of this day (Portugal)" in caplog.text


def test_a_blank_county_adds_nothing_to_its_province() -> None:
    blank_kings = NEW_ERA.replace(b"40.6,-73.9,100,7,", b"40.6,-73.9,,7,")
    assert as_dict(blank_kings)[("New York", "US")] == (50, 10)


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


HEADER = NEW_ERA.split(b"\n")[0] + b"\n"
MADRID = b',,Madrid,Spain,2021-01-02 05:22:33,40.4,-3.7,{c},{d},40736,346935,"Madrid, Spain",1,2\n'

# Issue 16's table: what the seed reader did with each, and the line of the error now.
BAD_REPORTS = {
    "an HTML error page": (
        b"<!DOCTYPE html>\n<html><body>404: Not Found</body></html>\n",
        "an HTML or XML page, not CSV",
    ),
    "a missing Deaths column": (
        NEW_ERA.replace(b",Deaths,", b",Dead,"),
        r"missing column\(s\) \['Deaths'\]",
    ),
    "an empty file": (b"", "the file is empty"),
    "binary garbage": (bytes(range(256)) * 4, "binary data"),
    "undecodable bytes": (HEADER + b"\xff\xfe,,Madrid,Spain\n", "not UTF-8 text: byte 0xff"),
    "a header with no rows": (HEADER, "no data rows after the header"),
    "Confirmed = ten": (
        HEADER + MADRID.replace(b"{c}", b"ten").replace(b"{d}", b"3"),
        r"column 'Confirmed': 1 bad value\(s\) \(line 2 'ten'\); expected a cumulative count",
    ),
    "Confirmed = -5": (
        HEADER + MADRID.replace(b"{c}", b"-5").replace(b"{d}", b"3"),
        r"column 'Confirmed': 1 bad value\(s\) \(line 2 '-5'\)",
    ),
    "a row cut short": (
        HEADER + b",".join(MADRID.replace(b"{c}", b"5").split(b",")[:8]) + b"\n",
        r"1 row\(s\) with the wrong number of fields \(line 2 has 8\); expected 14",
    ),
    "a county twice": (NEW_ERA + NEW_ERA.split(b"\n")[1] + b"\n", "duplicate"),
    "a row without a country": (
        HEADER + MADRID.replace(b"Spain,", b",", 1).replace(b"{c}", b"5").replace(b"{d}", b"3"),
        r"column 'Country_Region': 1 bad value\(s\) \(line 2 ''\); expected a country name",
    ),
}


@pytest.mark.parametrize("case", list(BAD_REPORTS))
def test_every_bad_report_is_refused_naming_the_file_and_the_problem(case: str) -> None:
    content, expected = BAD_REPORTS[case]
    with pytest.raises(ReportFormatError, match=expected) as raised:
        read_regions(content, "s3://jhu/01-02-2021.csv")
    assert isinstance(raised.value, SourceDataError)
    assert str(raised.value).startswith("s3://jhu/01-02-2021.csv: refused")
    assert raised.value.source == "s3://jhu/01-02-2021.csv"


def test_a_column_in_both_eras_spellings_is_refused() -> None:
    both = b"Province/State,Province_State,Country_Region,Confirmed,Deaths\nA,B,Spain,1,1\n"
    with pytest.raises(ReportFormatError, match="a column is named twice"):
        read_regions(both, "day.csv")


def test_several_problems_in_one_report_are_listed_together() -> None:
    rows = [
        MADRID.replace(b"{c}", b"ten").replace(b"{d}", b"3"),
        MADRID.replace(b"Madrid", b"Ceuta").replace(b"{c}", b"5").replace(b"{d}", b"-1"),
        b",,Melilla,Spain\n",
    ]
    with pytest.raises(ReportFormatError) as raised:
        read_regions(HEADER + b"".join(rows), "day.csv")
    assert len(raised.value.problems) == 3
    message = str(raised.value)
    assert "day.csv: refused, 3 problem(s)" in message
    assert "line 2 'ten'" in message
    assert "line 3 '-1'" in message
    assert "line 4 has 4" in message


def test_whole_numbers_written_as_floats_are_read_exactly() -> None:
    content = HEADER + MADRID.replace(b"{c}", b"399499.0").replace(b"{d}", b"11828")
    assert as_dict(content)[("Madrid", "Spain")] == (399499, 11828)


def test_a_fraction_of_a_case_is_refused() -> None:
    content = HEADER + MADRID.replace(b"{c}", b"12.5").replace(b"{d}", b"1")
    with pytest.raises(ReportFormatError, match=r"line 2 '12\.5'"):
        read_regions(content, "day.csv")


def test_blank_lines_and_crlf_line_ends_are_accepted() -> None:
    content = (HEADER + b"\n" + MADRID.replace(b"{c}", b"5").replace(b"{d}", b"1")).replace(
        b"\n", b"\r\n"
    )
    assert as_dict(content) == {("Madrid", "Spain"): (5, 1)}


def test_the_logger_given_receives_the_blank_cell_counts(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.reports")
    with caplog.at_level(logging.WARNING, logger="test.reports"):
        read_regions(NEW_ERA, "day.csv", logger)
    assert [r.name for r in caplog.records] == ["test.reports"]


def test_aggregate_is_sorted_and_unique_per_region() -> None:
    frame = aggregate_regions(parse_report(NEW_ERA))
    keys = list(zip(frame["Province_State"], frame["Country_Region"], strict=True))
    assert keys == sorted(set(keys))


@needs_real_data
def test_real_old_era_file_parses() -> None:
    regions = as_dict((JHU / "daily" / "03-15-2020.csv").read_bytes())
    assert regions[("Hubei", "China")] == (67794, 3085)
    assert regions[("Spain", "Spain")] == (7798, 289)


@needs_real_data
@pytest.mark.parametrize("name", ["01-01-2021.csv", "07-14-2021.csv"])
def test_real_new_era_files_parse(name: str) -> None:
    frame = read_regions((JHU / "daily" / name).read_bytes())
    assert frame["Country_Region"].nunique() > 180
    assert frame.duplicated(["Province_State", "Country_Region"]).sum() == 0
    assert (frame[["ConfirmedCases", "Fatalities"]] >= 0).all().all()


@needs_real_data
def test_real_new_york_counties_sum_to_the_state() -> None:
    regions = as_dict((JHU / "daily" / "01-01-2021.csv").read_bytes())
    assert regions[("New York", "US")] == (995816, 38155)


@needs_real_data
def test_real_spain_slices_have_twenty_regions_each() -> None:
    files = sorted((JHU / "spain").glob("*.csv"))
    assert len(files) == 45
    for path in files:
        frame = read_regions(path.read_bytes(), str(path))
        assert len(frame) == 20, path
    madrid = as_dict((JHU / "spain" / "02-14-2021.csv").read_bytes())[("Madrid", "Spain")]
    assert madrid == (559191, 13255)
