"""Property-based: arbitrary bytes and mutations of the real files either give a valid series
whose every value is the one the file says, or raise SourceDataError naming the file.

Any other exception fails the test, and so does a series holding a value the (mutated) file
does not say: each accepted file is read again by a naive reader (the csv module, no checks)
and the two must agree exactly. Examples are few (the suite stays fast) and no example database
is written (`database=None`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flow.locations import HUB_CODES
from flow.reports import read_regions
from flow.sources import SourceDataError, read_covidhub
from tests.real_data import HUB_FILES, JHU, needs_real_data

pytestmark = needs_real_data

FEW = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
JHU_FILES = [
    JHU / "spain" / "01-01-2021.csv",
    JHU / "spain" / "02-14-2021.csv",
    JHU / "daily" / "03-15-2020.csv",
    JHU / "daily" / "07-14-2021.csv",
]
SOURCE = "s3://data/mutated.csv"
_OLD_ERA = {"Province/State": "Province_State", "Country/Region": "Country_Region"}
_JHU_REQUIRED = {"Province_State", "Country_Region", "Confirmed", "Deaths"}

Outcome = dict[tuple[str, str], object]


def naive_rows(content: bytes) -> list[dict[str, str]]:
    """The file's rows by stripped column name, read without any check."""
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    rows = [row for row in reader if row]
    header = [name.strip() for name in rows[0]]
    return [dict(zip(header, (cell.strip() for cell in row), strict=True)) for row in rows[1:]]


def naive_hub(content: bytes) -> Outcome:
    """(location, date) -> the value the hub file says, the latest as_of winning."""
    rows = naive_rows(content)
    date_column = "target_end_date" if "target_end_date" in rows[0] else "date"
    value_column = "observation" if "observation" in rows[0] else "value"
    ordered = sorted(rows, key=lambda row: row.get("as_of", ""))
    return {(row["location"], row[date_column]): float(row[value_column]) for row in ordered}


def naive_jhu(content: bytes) -> Outcome:
    """(province, country) -> (cases, deaths) summed over the published cells."""
    sums: dict[tuple[str, str], list[float | None]] = {}
    for raw in naive_rows(content):
        row = {_OLD_ERA.get(name, name): cell for name, cell in raw.items()}
        key = (row["Province_State"] or row["Country_Region"], row["Country_Region"])
        totals = sums.setdefault(key, [None, None])
        for i, column in enumerate(("Confirmed", "Deaths")):
            if row[column]:
                totals[i] = (totals[i] or 0.0) + float(row[column])
    return {key: tuple(totals) for key, totals in sums.items() if None not in totals}


def read_hub(content: bytes) -> Outcome:
    series = read_covidhub(content, SOURCE)
    assert not series.isna().any().any()
    assert not series.duplicated(["location", "date"]).any()
    assert (series["value"] >= 0).all()
    assert (series["date"].dt.dayofweek == 5).all()
    assert set(series["location"]) <= HUB_CODES
    return {
        (row.location, f"{row.date:%Y-%m-%d}"): row.value for row in series.itertuples(index=False)
    }


def read_jhu(content: bytes) -> Outcome:
    regions = read_regions(content, SOURCE)
    assert (regions[["ConfirmedCases", "Fatalities"]] >= 0).all().all()
    return {
        (row.Province_State, row.Country_Region): (float(row.ConfirmedCases), float(row.Fatalities))
        for row in regions.itertuples(index=False)
    }


READERS: dict[str, tuple[Callable[[bytes], Outcome], Callable[[bytes], Outcome]]] = {
    "covidhub": (read_hub, naive_hub),
    "jhu": (read_jhu, naive_jhu),
}


def outcome(kind: str, content: bytes) -> Outcome | None:
    """The file's values, or None when it was refused with an error naming it."""
    read, naive = READERS[kind]
    refusal: SourceDataError | None = None
    try:
        values = read(content)
    except SourceDataError as error:
        refusal = error
    if refusal is not None:
        assert str(refusal).startswith(f"{SOURCE}: refused"), str(refusal)
        assert refusal.problems
        return None
    assert values == naive(content), "a value differs from what the file says"
    return values


def rows_of(path: Path) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(path.read_text(), newline="")) if row]


def write_rows(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


def original(kind: str, path: Path) -> Outcome:
    values = outcome(kind, path.read_bytes())
    assert values
    return values


KINDS = st.sampled_from(["covidhub", "jhu"])


def real_file(kind: str) -> st.SearchStrategy[Path]:
    return st.sampled_from(HUB_FILES if kind == "covidhub" else JHU_FILES)


@FEW
@given(kind=KINDS, content=st.binary(max_size=3000))
def test_arbitrary_bytes_are_a_series_or_refused(kind: str, content: bytes) -> None:
    outcome(kind, content)


@FEW
@given(data=st.data(), kind=KINDS, tail=st.text(max_size=400))
def test_a_real_header_followed_by_arbitrary_text_is_a_series_or_refused(
    data: st.DataObject, kind: str, tail: str
) -> None:
    path = data.draw(real_file(kind))
    header = path.read_text().splitlines()[0]
    outcome(kind, f"{header}\n{tail}".encode())


CELLS = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-5, max_value=10**12).map(str),
    st.sampled_from(
        ["", "NA", "nan", "inf", "1e3", "1_000", "2.5", "7.0", " 7 ", "2026-03-21", "US", '"']
    ),
)


@FEW
@given(data=st.data(), kind=KINDS, cell=CELLS)
def test_a_replaced_cell_is_read_as_written_or_refused(
    data: st.DataObject, kind: str, cell: str
) -> None:
    rows = rows_of(data.draw(real_file(kind)))
    row = data.draw(st.integers(1, len(rows) - 1))
    column = data.draw(st.integers(0, len(rows[0]) - 1))
    rows[row][column] = cell
    outcome(kind, write_rows(rows))


@FEW
@given(data=st.data(), kind=KINDS)
def test_a_file_cut_anywhere_is_read_as_written_or_refused(data: st.DataObject, kind: str) -> None:
    content = data.draw(real_file(kind)).read_bytes()
    first_row = content.index(b"\n") + 1
    cut = data.draw(st.integers(first_row, len(content) - 1))
    values = outcome(kind, content[:cut])
    mid_row = content[cut - 1 : cut] != b"\n" and content[cut : cut + 1] != b"\n"
    if kind == "covidhub" and mid_row:
        # Every hub layout ends a row with a location code or target: a partial row is refused.
        assert values is None


@FEW
@given(data=st.data(), kind=KINDS)
def test_a_dropped_column_is_refused_unless_the_source_does_not_use_it(
    data: st.DataObject, kind: str
) -> None:
    path = data.draw(real_file(kind))
    rows = rows_of(path)
    column = data.draw(st.integers(0, len(rows[0]) - 1))
    name = _OLD_ERA.get(rows[0][column], rows[0][column])
    values = outcome(kind, write_rows([row[:column] + row[column + 1 :] for row in rows]))
    if kind == "covidhub" or name in _JHU_REQUIRED:
        assert values is None
    elif name in ("FIPS", "Admin2") and values is None:
        # Without a key column, counties of one province can look like one row repeated.
        with pytest.raises(SourceDataError, match="duplicate"):
            read_regions(write_rows([row[:column] + row[column + 1 :] for row in rows]), SOURCE)
    else:
        assert values == original(kind, path)


@FEW
@given(data=st.data(), kind=KINDS)
def test_reordered_columns_give_the_same_series(data: st.DataObject, kind: str) -> None:
    path = data.draw(real_file(kind))
    rows = rows_of(path)
    order = data.draw(st.permutations(range(len(rows[0]))))
    reordered = write_rows([[row[i] for i in order] for row in rows])
    assert outcome(kind, reordered) == original(kind, path)


@FEW
@given(
    data=st.data(),
    kind=KINDS,
    encoding=st.sampled_from(
        ["utf-8", "utf-8-sig", "ascii", "latin-1", "cp1252", "utf-16", "utf-16-be", "utf-32"]
    ),
)
def test_a_re_encoded_file_reads_the_same_or_is_refused(
    data: st.DataObject, kind: str, encoding: str
) -> None:
    path = data.draw(real_file(kind))
    values = outcome(kind, path.read_text().encode(encoding))
    if encoding.startswith(("utf-16", "utf-32")):
        assert values is None
    else:
        # The real files are ASCII: every 8-bit encoding and UTF-8 spell them the same.
        assert values == original(kind, path)


@pytest.mark.parametrize("path", [*HUB_FILES, *JHU_FILES], ids=lambda p: p.name)
def test_every_real_file_is_accepted_and_read_as_written(path: Path) -> None:
    kind = "jhu" if path.is_relative_to(JHU) else "covidhub"
    values = original(kind, path)
    assert len(values) == (len(pd.read_csv(path)) if kind == "covidhub" else len(values))
