"""Result keys, slugs and the results-location checks."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from flow.results import (
    artifact_key,
    chart_key,
    check_results_target,
    csv_bytes,
    forecast_key,
    monitor_key,
    quantiles_key,
    slug,
)

RUN = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Madrid", "madrid"),
        ("Castilla - La Mancha", "castilla-la-mancha"),
        ("Castilla y León", "castilla-y-leon"),
        ("Korea, South", "korea-south"),
    ],
)
def test_slug(name: str, expected: str) -> None:
    assert slug(name) == expected


def test_slug_of_a_name_without_letters_is_an_error() -> None:
    with pytest.raises(ValueError, match="no letters or digits"):
        slug("--")


def test_forecast_key_is_city_date_run() -> None:
    assert forecast_key("Madrid", date(2021, 2, 10), RUN) == f"madrid/2021-02-10/{RUN}.csv"


def test_a_hub_forecast_is_keyed_by_location_and_reference_date_with_its_chart_beside() -> None:
    key = forecast_key("California", date(2026, 4, 4), RUN)
    assert key == f"california/2026-04-04/{RUN}.csv"
    assert chart_key(key) == f"california/2026-04-04/{RUN}.svg"
    assert forecast_key("all", date(2026, 4, 4), RUN) == f"all/2026-04-04/{RUN}.csv"


def test_jhu_quantiles_go_beside_the_seed_shaped_csv() -> None:
    key = forecast_key("Madrid", date(2021, 2, 10), RUN)
    assert quantiles_key(key) == f"madrid/2021-02-10/{RUN}.quantiles.csv"


def test_monitor_key_separates_monitoring_from_forecasts() -> None:
    assert monitor_key("Madrid", date(2021, 2, 10), RUN) == (
        f"monitoring/madrid/2021-02-10/{RUN}.csv"
    )
    assert monitor_key(None, date(2021, 2, 10), RUN) == (
        f"monitoring/all-regions/2021-02-10/{RUN}.csv"
    )


def test_artifact_keys_use_only_lowercase_letters_digits_and_dashes() -> None:
    assert artifact_key("covid-forecast", "Castilla y León") == "covid-forecast-castilla-y-leon"
    assert artifact_key("covid-monitor", None) == "covid-monitor-all-regions"


def test_csv_has_no_index_column() -> None:
    assert csv_bytes(pd.DataFrame({"a": [1], "b": ["x"]})) == b"a,b\n1,x\n"


def test_a_flow_without_a_results_location_fails_early() -> None:
    with pytest.raises(ValueError, match=r"pass results_uri .* or results_block"):
        check_results_target(None, None)


@pytest.mark.parametrize("bad", ["covid-results", "s3-bucket/", "/name", "a/b/c"])
def test_a_malformed_block_reference_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="'<block-type-slug>/<block-name>'"):
        check_results_target(None, bad)


def test_valid_targets_pass() -> None:
    check_results_target("s3://bucket/prefix", None)
    check_results_target(None, "s3-bucket/covid-forecast-madrid-results")
