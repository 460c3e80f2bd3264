"""Find the region a user asked for in a report, or fail with the closest known names."""

from __future__ import annotations

import difflib

import pandas as pd

from flow.sources.jhu import location_label


class UnknownRegionError(LookupError):
    """The requested region is not in the report (or is ambiguous without a country)."""


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def region_mask(regions: pd.DataFrame, prov_st: str, country: str | None) -> pd.Series:
    """Rows whose Province_State (and Country_Region, when given) match, ignoring case/spacing."""
    mask = regions["Province_State"].map(_norm) == _norm(prov_st)
    if country:
        mask &= country_mask(regions, country)
    return mask


def country_mask(regions: pd.DataFrame, country: str) -> pd.Series:
    """Rows of `country`, ignoring case and spacing."""
    return regions["Country_Region"].map(_norm) == _norm(country)


def find_country(regions: pd.DataFrame, country: str) -> str:
    """The report's spelling of `country`, or `UnknownRegionError` with the closest countries."""
    names = regions.loc[country_mask(regions, country), "Country_Region"]
    if names.empty:
        raise UnknownRegionError(closest_names_hint(regions, "", country))
    return str(names.iloc[0])


def find_region(regions: pd.DataFrame, prov_st: str, country: str | None = None) -> pd.DataFrame:
    """The one row of `regions` for `prov_st` (in `country`, if given), as a 1-row frame.

    Raises `UnknownRegionError` listing the closest names when there is no such region, or the
    candidate countries when `prov_st` exists in several and `country` was not given.
    """
    matches = regions[region_mask(regions, prov_st, country)]
    if len(matches) == 1:
        return matches.reset_index(drop=True)
    if len(matches) > 1:
        countries = sorted(matches["Country_Region"])
        raise UnknownRegionError(
            f"Region {prov_st!r} exists in several countries {countries}; pass country= one of them"
        )
    where = f" in country {country!r}" if country else ""
    raise UnknownRegionError(
        f"Unknown region {prov_st!r}{where}. {closest_names_hint(regions, prov_st, country)} "
        "Names are JHU CSSE Province_State values; a country reported without provinces "
        "uses its own name."
    )


def closest_names(regions: pd.DataFrame, prov_st: str, limit: int = 5) -> list[str]:
    """Up to `limit` region labels ("Province (Country)") closest to `prov_st`, best first."""
    labels: dict[str, list[str]] = {}
    for province, country in zip(regions["Province_State"], regions["Country_Region"], strict=True):
        labels.setdefault(_norm(province), []).append(location_label(province, country))
    close = difflib.get_close_matches(_norm(prov_st), list(labels), n=limit, cutoff=0.5)
    return [label for name in close for label in labels[name]][:limit]


def closest_names_hint(regions: pd.DataFrame, prov_st: str, country: str | None) -> str:
    """A sentence naming the closest regions (or countries, when the country is unknown)."""
    if country and not country_mask(regions, country).any():
        known = sorted(set(regions["Country_Region"]))
        close = difflib.get_close_matches(country, known, n=5, cutoff=0.5)
        return f"Country {country!r} is not in the report; closest countries: {close or 'none'}."
    names = closest_names(regions, prov_st)
    if not names:
        return f"No name is close; the report has {len(regions)} regions."
    return f"Closest names: {', '.join(repr(name) for name in names)}."
