"""Where the real data tests read lives (../shared/data, beside the repository, read-only), and
the mark that skips a test when it is not there (a clone elsewhere)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
COVIDHUB = SHARED_DATA / "covidhub"
JHU = SHARED_DATA / "jhu"
NEWEST = COVIDHUB / "covid-hospital-admissions.csv"
VINTAGE_2026_03_28 = COVIDHUB / "covid-hospital-admissions.2026-03-28.csv"
HUB_LOCATIONS_CSV = COVIDHUB / "locations.csv"
# Every hub target-data file: the four vintages of the admissions file and the hubverse one.
HUB_FILES = sorted(path for path in COVIDHUB.glob("*.csv") if path.name != "locations.csv")

needs_real_data = pytest.mark.skipif(
    not COVIDHUB.is_dir() or not JHU.is_dir(),
    reason=f"real data not found at {SHARED_DATA} (lives outside the repository)",
)
