"""The retry policy is bounded: a fixed number of attempts, delays doubling up to a cap."""

from __future__ import annotations

from infra.prefect.client import RetryPolicy, is_transient_status


def test_delays_double_from_the_base_and_stop_at_the_cap() -> None:
    policy = RetryPolicy(attempts=6, base_delay_s=0.5, max_delay_s=4.0)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]


def test_retry_after_is_honoured_but_never_beyond_the_cap() -> None:
    policy = RetryPolicy(max_delay_s=4.0)
    assert policy.delay(1, retry_after="2") == 2.0
    assert policy.delay(1, retry_after="3600") == 4.0
    assert policy.delay(2, retry_after="Wed, 21 Oct 2015 07:28:00 GMT") == 1.0


def test_only_rate_limits_and_server_errors_are_transient() -> None:
    assert [s for s in (200, 404, 409, 422, 429, 500, 502, 503) if is_transient_status(s)] == [
        429,
        500,
        502,
        503,
    ]
