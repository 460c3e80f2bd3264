"""The checks every source runs on a file before any model sees it. Pure: bytes and strings in.

A source reads its file with `read_table` (encoding, CSV structure, row lengths), then checks
each column it uses with the functions here, collecting every problem in a `Problems` list, and
raises one `SourceDataError` listing them all - like the stack config errors - so a person
fixing a file sees everything wrong with it at once. Each problem names the column or line, the
bad value and what was expected; the error names the file or URL.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

# A message lists at most this many problems, and each problem at most this many examples:
# enough to see the pattern without printing a 4,000-row file back.
MAX_LISTED = 12
MAX_EXAMPLES = 3
# Larger than any count of people there can be; beyond 2**53 a float would change the value.
MAX_COUNT = 10**10

_WHOLE_NUMBER = re.compile(r"^\+?[0-9]+(?:\.0*)?$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class SourceDataError(ValueError):
    """A source file that cannot be trusted: every problem found in it, and where it came from.

    `source` is the file or URL; `problems` one line per problem, each naming the column or
    line, the bad value and what was expected.
    """

    def __init__(self, source: str, problems: Sequence[str], hint: str = "") -> None:
        self.source = source
        self.problems = list(problems)
        self.hint = hint
        lines = [f"{source}: refused, {len(self.problems)} problem(s) in the source data:"]
        lines += [f"  - {problem}" for problem in self.problems[:MAX_LISTED]]
        if len(self.problems) > MAX_LISTED:
            lines.append(f"  - ... and {len(self.problems) - MAX_LISTED} more")
        if hint:
            lines.append(hint)
        super().__init__("\n".join(lines))


@dataclass
class Problems:
    """Problems found so far in one file; `raise_if_any` turns them into one error."""

    source: str
    found: list[str] = field(default_factory=list)

    def add(self, problem: str) -> None:
        """Record one problem."""
        self.found.append(problem)

    def add_cells(self, column: str, bad: Sequence[tuple[int, str]], expected: str) -> None:
        """Record bad cells of `column` (line, value) as one problem with a few examples."""
        if not bad:
            return
        shown = ", ".join(f"line {line} {value!r}" for line, value in bad[:MAX_EXAMPLES])
        more = f" and {len(bad) - MAX_EXAMPLES} more" if len(bad) > MAX_EXAMPLES else ""
        self.add(f"column {column!r}: {len(bad)} bad value(s) ({shown}{more}); expected {expected}")

    def raise_if_any(self, hint: str = "") -> None:
        """Raise `SourceDataError` listing every problem, if there is one."""
        if self.found:
            raise SourceDataError(self.source, self.found, hint)


@dataclass(frozen=True)
class Table:
    """A CSV file's header and rows as text; every row has exactly one field per header name."""

    source: str
    header: tuple[str, ...]
    rows: list[list[str]]
    lines: list[int]

    def column(self, name: str) -> list[str]:
        """The stripped cells of column `name`, in file order."""
        index = self.header.index(name)
        return [row[index].strip() for row in self.rows]


def decode_text(content: bytes, source: str) -> str:
    """`content` as text: UTF-8 (a byte-order mark is dropped), or `SourceDataError`."""
    if b"\x00" in content:
        offset = content.index(b"\x00")
        raise SourceDataError(
            source,
            [f"binary data (a NUL byte at offset {offset}); expected CSV text in UTF-8"],
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = content[exc.start : exc.start + 1].hex()
        raise SourceDataError(
            source, [f"not UTF-8 text: byte 0x{bad} at offset {exc.start}; expected CSV in UTF-8"]
        ) from None
    if not text.strip():
        raise SourceDataError(source, ["the file is empty; expected a CSV header line and rows"])
    return text


def read_table(content: bytes, source: str) -> tuple[Table, Problems]:
    """Decode and split a CSV file: the table of well-formed rows, and the problems found.

    Raises at once for what leaves nothing to check (not UTF-8, binary, empty, an HTML page,
    broken quoting). Otherwise returns the problems so the caller adds its own before raising
    them all: a header with an empty or repeated name, rows with fewer or more fields than the
    header (a row cut short; left out of the table), no data rows at all. Blank lines are skipped.
    """
    text = decode_text(content, source)
    first_line = text.lstrip().splitlines()[0]
    if first_line.lstrip().startswith("<"):
        raise SourceDataError(
            source,
            [f"an HTML or XML page, not CSV (it starts {first_line[:60]!r}); expected a CSV file"],
            "Was the URL an error or login page? Check dataUrl.",
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = [(reader.line_num, row) for row in reader if row]
    except csv.Error as exc:
        raise SourceDataError(
            source, [f"line {reader.line_num}: not valid CSV ({exc}); expected a CSV file"]
        ) from None
    (_, raw_header), body = records[0], records[1:]
    header = tuple(name.strip() for name in raw_header)
    problems = Problems(source)
    repeated = sorted({name for name in header if header.count(name) > 1})
    if "" in header or repeated:
        problems.add(
            f"header {','.join(raw_header)!r} has empty or repeated column names {repeated}; "
            "expected one name per column"
        )
    wrong = [(line, len(row)) for line, row in body if len(row) != len(header)]
    if wrong:
        shown = ", ".join(f"line {line} has {n}" for line, n in wrong[:MAX_EXAMPLES])
        problems.add(
            f"{len(wrong)} row(s) with the wrong number of fields ({shown}); expected "
            f"{len(header)} fields like the header (a row cut short or a stray comma?)"
        )
    if not body:
        problems.add(f"no data rows after the header {','.join(header)!r}; expected rows")
    good = [(line, row) for line, row in body if len(row) == len(header)]
    return Table(source, header, [row for _, row in good], [line for line, _ in good]), problems


def parse_counts(
    table: Table, column: str, problems: Problems, *, expected: str, blank_ok: bool = False
) -> list[float | None]:
    """Column `column` as whole numbers >= 0 (`1234` or `1234.0`); None for a blank cell when
    `blank_ok`. Every other cell (text, negative, fractional, implausibly large) is a problem."""
    values: list[float | None] = []
    bad: list[tuple[int, str]] = []
    for line, cell in zip(table.lines, table.column(column), strict=True):
        if cell == "" and blank_ok:
            values.append(None)
        elif _WHOLE_NUMBER.match(cell) and float(cell) <= MAX_COUNT:
            values.append(float(cell))
        else:
            bad.append((line, cell))
            values.append(None)
    problems.add_cells(column, bad, expected)
    return values


def parse_dates(
    table: Table, column: str, problems: Problems, *, saturday: bool = False
) -> list[date | None]:
    """Column `column` as ISO dates (`YYYY-MM-DD`); with `saturday`, every date must be one."""
    values: list[date | None] = []
    bad: list[tuple[int, str]] = []
    not_saturday: list[tuple[int, str]] = []
    for line, cell in zip(table.lines, table.column(column), strict=True):
        day = _iso_date(cell)
        values.append(day)
        if day is None:
            bad.append((line, cell))
        elif saturday and day.weekday() != 5:
            not_saturday.append((line, f"{cell} ({day:%A})"))
    problems.add_cells(column, bad, "a date written YYYY-MM-DD")
    problems.add_cells(column, not_saturday, "a Saturday (the hub's weeks end on Saturday)")
    return values


def _iso_date(cell: str) -> date | None:
    if not _ISO_DATE.match(cell):
        return None
    try:
        return date.fromisoformat(cell)
    except ValueError:
        return None


def check_not_blank(table: Table, column: str, problems: Problems, expected: str) -> None:
    """Every cell of `column` has a value."""
    cells = zip(table.lines, table.column(column), strict=True)
    problems.add_cells(column, [(line, cell) for line, cell in cells if cell == ""], expected)


def check_unique(
    keys: Iterable[tuple[object, ...]], lines: Sequence[int], what: str, problems: Problems
) -> None:
    """One row per key: every repeated key is a problem naming both lines."""
    first_seen: dict[tuple[object, ...], int] = {}
    repeats: list[str] = []
    for key, line in zip(keys, lines, strict=True):
        if key in first_seen:
            shown = ", ".join(str(part) for part in key if part not in ("", None))
            repeats.append(f"{shown} on lines {first_seen[key]} and {line}")
        else:
            first_seen[key] = line
    if repeats:
        more = f" and {len(repeats) - MAX_EXAMPLES} more" if len(repeats) > MAX_EXAMPLES else ""
        problems.add(
            f"{len(repeats)} duplicate(s) ({'; '.join(repeats[:MAX_EXAMPLES])}{more}); "
            f"expected one row per {what}"
        )
