"""The CDC COVID-19 Forecast Hub's 53 locations, and finding one from what a person types.

Standard library only: `infra.config` imports this module to validate a stack's `city` at
preview, where the flow's dependencies (pandas ...) are not installed.

The table is the public FIPS state codes and USPS abbreviations, in the order and spelling of
the hub's `auxiliary-data/locations.csv` (the US first, then states by FIPS code; the US is
named `US` there). A unit test checks it against the hub's file.
"""

from __future__ import annotations

import difflib
from typing import NamedTuple

# `city` = "all": every hub location in one run (one file = one complete hub submission).
ALL = "all"


class HubLocation(NamedTuple):
    """One hub location: its code (`US` or a 2-digit FIPS code), USPS code and name."""

    code: str
    usps: str
    name: str


HUB_LOCATIONS: tuple[HubLocation, ...] = (
    HubLocation("US", "US", "US"),
    HubLocation("01", "AL", "Alabama"),
    HubLocation("02", "AK", "Alaska"),
    HubLocation("04", "AZ", "Arizona"),
    HubLocation("05", "AR", "Arkansas"),
    HubLocation("06", "CA", "California"),
    HubLocation("08", "CO", "Colorado"),
    HubLocation("09", "CT", "Connecticut"),
    HubLocation("10", "DE", "Delaware"),
    HubLocation("11", "DC", "District of Columbia"),
    HubLocation("12", "FL", "Florida"),
    HubLocation("13", "GA", "Georgia"),
    HubLocation("15", "HI", "Hawaii"),
    HubLocation("16", "ID", "Idaho"),
    HubLocation("17", "IL", "Illinois"),
    HubLocation("18", "IN", "Indiana"),
    HubLocation("19", "IA", "Iowa"),
    HubLocation("20", "KS", "Kansas"),
    HubLocation("21", "KY", "Kentucky"),
    HubLocation("22", "LA", "Louisiana"),
    HubLocation("23", "ME", "Maine"),
    HubLocation("24", "MD", "Maryland"),
    HubLocation("25", "MA", "Massachusetts"),
    HubLocation("26", "MI", "Michigan"),
    HubLocation("27", "MN", "Minnesota"),
    HubLocation("28", "MS", "Mississippi"),
    HubLocation("29", "MO", "Missouri"),
    HubLocation("30", "MT", "Montana"),
    HubLocation("31", "NE", "Nebraska"),
    HubLocation("32", "NV", "Nevada"),
    HubLocation("33", "NH", "New Hampshire"),
    HubLocation("34", "NJ", "New Jersey"),
    HubLocation("35", "NM", "New Mexico"),
    HubLocation("36", "NY", "New York"),
    HubLocation("37", "NC", "North Carolina"),
    HubLocation("38", "ND", "North Dakota"),
    HubLocation("39", "OH", "Ohio"),
    HubLocation("40", "OK", "Oklahoma"),
    HubLocation("41", "OR", "Oregon"),
    HubLocation("42", "PA", "Pennsylvania"),
    HubLocation("44", "RI", "Rhode Island"),
    HubLocation("45", "SC", "South Carolina"),
    HubLocation("46", "SD", "South Dakota"),
    HubLocation("47", "TN", "Tennessee"),
    HubLocation("48", "TX", "Texas"),
    HubLocation("49", "UT", "Utah"),
    HubLocation("50", "VT", "Vermont"),
    HubLocation("51", "VA", "Virginia"),
    HubLocation("53", "WA", "Washington"),
    HubLocation("54", "WV", "West Virginia"),
    HubLocation("55", "WI", "Wisconsin"),
    HubLocation("56", "WY", "Wyoming"),
    HubLocation("72", "PR", "Puerto Rico"),
)
HUB_CODES = frozenset(location.code for location in HUB_LOCATIONS)
# The hub names the whole country `US`; people also write these.
_ALIASES = {"united states": "US", "united states of america": "US", "usa": "US"}


class UnknownLocationError(LookupError):
    """The text names no hub location; the message lists the closest names."""


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


_BY_KEY: dict[str, str] = {
    **{_norm(key): location.code for location in HUB_LOCATIONS for key in location},
    **_ALIASES,
}
_BY_CODE = {location.code: location for location in HUB_LOCATIONS}


def resolve_location(text: str) -> str:
    """The hub code (`US`, `06` ...) of a location given by name, USPS code or FIPS code.

    Case and spacing are ignored; a one-digit FIPS code (`6`) is read as `06`; `all` resolves
    to `ALL`. Raises `UnknownLocationError` naming the closest locations otherwise.
    """
    key = _norm(text)
    if key == ALL:
        return ALL
    if key.isdigit() and len(key) == 1:
        key = f"0{key}"
    if key in _BY_KEY:
        return _BY_KEY[key]
    raise UnknownLocationError(
        f"Unknown location {text!r}. {_closest_hint(key)} A location is a US state, DC or "
        "Puerto Rico by name, USPS code or 2-digit FIPS code (California, CA, 06), US for the "
        f"whole country, or {ALL!r} for every location."
    )


def location_name(code: str) -> str:
    """The name of hub location `code` (`06` -> `California`); KeyError for an unknown code."""
    try:
        return _BY_CODE[code].name
    except KeyError:
        raise KeyError(f"{code!r} is not a hub location code (US or a 2-digit FIPS code)") from None


def _closest_hint(key: str, limit: int = 3) -> str:
    names = {_norm(location.name): location for location in HUB_LOCATIONS}
    close = difflib.get_close_matches(key, list(names), n=limit, cutoff=0.6)
    if not close:
        return "No location name is close."
    shown = [f"{names[n].name} ({names[n].usps}, {names[n].code})" for n in close]
    return f"Closest: {', '.join(shown)}."
