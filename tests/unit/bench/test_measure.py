"""The bench's measuring helpers: medians, noise, ratios and units as the report prints them."""

from __future__ import annotations

import pytest

from bench.measure import (
    is_noisy,
    is_write,
    median,
    megabytes,
    ratio,
    seconds,
    spread,
    timed,
    usd,
    with_range,
)


def test_median_of_repetitions_ignores_one_slow_outlier() -> None:
    assert median([1.0, 1.1, 0.9, 1.0, 9.0]) == 1.0
    assert median([1.0, 2.0]) == 1.5
    with pytest.raises(ValueError, match="no samples"):
        median([])


def test_spread_flags_repetitions_that_disagree() -> None:
    assert spread([2.0, 2.0, 2.0]) == 0.0
    assert not is_noisy([1.0, 1.1, 1.05])
    assert is_noisy([1.0, 1.5, 1.1])


def test_timed_takes_one_sample_per_repetition() -> None:
    calls: list[int] = []
    samples = timed(lambda: calls.append(1), 5)
    assert len(samples) == 5 == len(calls)
    assert all(s >= 0 for s in samples)
    with pytest.raises(ValueError, match="at least 1"):
        timed(lambda: None, 0)


def test_ratio_is_alternative_over_ours_and_spells_out_a_zero() -> None:
    assert ratio(2, 9) == "4.5x"
    assert ratio(0, 9) == "9 vs 0"
    assert ratio(0, 0) == "same (0 vs 0)"
    assert ratio(668e6, 1565e6) == "2.3x"


def test_units() -> None:
    assert seconds(0.0123) == "12.3 ms"
    assert seconds(3.214) == "3.21 s"
    assert megabytes(711_539_972) == "711.5 MB"
    assert usd(9.0104) == "$9.01"
    assert with_range([1.0, 1.0]) == "1.00 s"
    assert with_range([1.2, 1.0, 1.1]) == "1.10 s (1.00 s-1.20 s)"


@pytest.mark.parametrize(
    ("call", "write"),
    [
        ("GET /work_pools/x", False),
        ("POST /work_pools/x/workers/filter", False),
        ("POST /deployments/", True),
        ("PATCH /deployments/1", True),
        ("DELETE /automations/owned-by/x", True),
    ],
)
def test_only_state_changing_requests_count_as_writes(call: str, write: bool) -> None:
    assert is_write(call) is write
