"""Small measuring helpers shared by the benchmarks (pure, unit-tested).

Timings are repeated and summarised by their median; the spread (max - min over the median)
says whether a figure is noisy. Ratios are always "alternative / ours".
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

REPETITIONS = 5
# Repetitions that disagree by more than this fraction of their median are reported as noisy.
NOISY_SPREAD = 0.25


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Yields a list that holds the elapsed seconds once the block ends."""
    elapsed: list[float] = []
    start = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed.append(time.perf_counter() - start)


def timed(action: Callable[[], object], repetitions: int = REPETITIONS) -> list[float]:
    """Wall-clock seconds of `repetitions` calls of `action`, in call order."""
    if repetitions < 1:
        raise ValueError(f"repetitions must be at least 1, got {repetitions}")
    samples = []
    for _ in range(repetitions):
        with stopwatch() as elapsed:
            action()
        samples.append(elapsed[0])
    return samples


def median(samples: Sequence[float]) -> float:
    """The median of at least one sample."""
    if not samples:
        raise ValueError("no samples to take the median of")
    return float(statistics.median(samples))


def spread(samples: Sequence[float]) -> float:
    """(max - min) / median: 0 when every repetition agrees."""
    low, high, mid = min(samples), max(samples), median(samples)
    if low == high:
        return 0.0
    return (high - low) / mid if mid else float("inf")


def is_noisy(samples: Sequence[float]) -> bool:
    """True when the repetitions disagree by more than `NOISY_SPREAD` of their median."""
    return spread(samples) > NOISY_SPREAD


def seconds(value: float) -> str:
    """`0.0123` -> `12.3 ms`, `3.214` -> `3.21 s`."""
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def with_range(samples: Sequence[float], unit: Callable[[float], str] = seconds) -> str:
    """The median and, when the repetitions differ, their range: `1.08 s (1.02 s-1.20 s)`."""
    low, high = min(samples), max(samples)
    text = unit(median(samples))
    return text if low == high else f"{text} ({unit(low)}-{unit(high)})"


def ratio(ours: float, theirs: float) -> str:
    """`theirs / ours` as a factor: `4.5x`; a zero of ours is spelled out (`9 vs 0`)."""
    if ours == 0:
        return "same (0 vs 0)" if theirs == 0 else f"{theirs:g} vs 0"
    return f"{theirs / ours:.1f}x"


def megabytes(n_bytes: float) -> str:
    """Bytes as decimal MB with one decimal (as `du --si` counts)."""
    return f"{n_bytes / 1e6:.1f} MB"


def usd(amount: float) -> str:
    """Dollars with cents: `$9.01`."""
    return f"${amount:,.2f}"


def is_write(call: str) -> bool:
    """True for a `METHOD /path` that changes server state (`POST .../filter` only reads)."""
    return not call.startswith("GET") and not call.split("?")[0].endswith("/filter")
