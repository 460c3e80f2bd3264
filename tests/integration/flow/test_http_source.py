"""Fetching https-style source URLs: retries on transient errors, 404 = missing day, the hub
file fetched once per call, a bad file refused naming its URL; the hub file on S3 (moto).

A small local HTTP server stands in for raw.githubusercontent.com, which tests cannot reach.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import boto3
import pandas as pd
import pytest

from flow.data import DailyReports, DataSourceError, RetryPolicy
from flow.sample import sample_reports
from flow.sources import SourceDataError, load_series
from tests.servers import MotoS3

pytestmark = pytest.mark.integration

REPORTS = {
    f"/{day:%m-%d-%Y}.csv": text.encode()
    for day, text in sample_reports(date(2021, 1, 1), date(2021, 1, 3)).items()
}
HUB = (
    b"state,target_end_date,value,location\n"
    b"CA,2026-03-21,410,06\nCA,2026-03-28,395,06\nUS,2026-03-28,2280,US\n"
)
REPORTS.update(
    {
        "/hub/admissions.csv": HUB,
        "/hub/flaky.csv": HUB,
        "/hub/error-page.csv": b"<!DOCTYPE html><html><body>Rate limited</body></html>",
    }
)
FAST = RetryPolicy(attempts=3, backoff_s=0.01)


class Handler(BaseHTTPRequestHandler):
    """Serves REPORTS; /01-02-2021.csv answers 503 once first; /forbidden/* answers 403."""

    requests: ClassVar[Counter[str]] = Counter()
    flaky: ClassVar[dict[str, int]] = {"/01-02-2021.csv": 1, "/hub/flaky.csv": 2}

    def do_GET(self) -> None:
        self.requests[self.path] += 1
        if self.path.startswith("/down/"):
            self.send_error(503)
        elif self.path.startswith("/forbidden/"):
            self.send_error(403)
        elif self.requests[self.path] <= self.flaky.get(self.path, 0):
            self.send_error(503)
        elif self.path in REPORTS:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(REPORTS[self.path])
        else:
            self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def http_base() -> Iterator[str]:
    Handler.requests = Counter()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_transient_error_is_retried_and_each_day_fetched_once(http_base: str) -> None:
    reports = DailyReports(f"{http_base}/{{date:%m-%d-%Y}}.csv", retry=FAST)
    day, _ = reports.latest(date(2021, 1, 4), 3)
    window = reports.window(date(2021, 1, 1), date(2021, 1, 4))
    reports.close()
    assert day == date(2021, 1, 3)
    assert sorted(window) == [date(2021, 1, 1), date(2021, 1, 2), date(2021, 1, 3)]
    assert Handler.requests == {
        "/01-04-2021.csv": 1,
        "/01-03-2021.csv": 1,
        "/01-02-2021.csv": 2,
        "/01-01-2021.csv": 1,
    }


def test_a_server_that_stays_down_fails_after_the_attempts(http_base: str) -> None:
    reports = DailyReports(f"{http_base}/down/{{date:%m-%d-%Y}}.csv", retry=FAST)
    with pytest.raises(DataSourceError, match="failed 3 times, last: HTTP 503"):
        reports.get(date(2021, 1, 1))
    assert Handler.requests["/down/01-01-2021.csv"] == 3


def test_a_refused_request_is_not_retried(http_base: str) -> None:
    reports = DailyReports(f"{http_base}/forbidden/{{date:%m-%d-%Y}}.csv", retry=FAST)
    with pytest.raises(DataSourceError, match="answered HTTP 403; check data_url"):
        reports.get(date(2021, 1, 1))
    assert Handler.requests["/forbidden/01-01-2021.csv"] == 1


def test_the_hub_file_is_fetched_once_per_call_with_retries(http_base: str) -> None:
    series = load_series("covidhub", f"{http_base}/hub/admissions.csv", retry=FAST)
    flaky = load_series("covidhub", f"{http_base}/hub/flaky.csv", retry=FAST)
    assert len(series) == 3
    assert flaky.equals(series)
    assert Handler.requests == {"/hub/admissions.csv": 1, "/hub/flaky.csv": 3}


def test_an_error_page_served_as_the_hub_file_is_refused_naming_the_url(http_base: str) -> None:
    url = f"{http_base}/hub/error-page.csv"
    with pytest.raises(SourceDataError, match=f"^{url}: refused(.|\n)*an HTML or XML page"):
        load_series("covidhub", url, retry=FAST)


def test_a_hub_url_that_does_not_exist_names_it(http_base: str) -> None:
    with pytest.raises(DataSourceError, match=r"no file at http://.*/hub/gone\.csv"):
        load_series("covidhub", f"{http_base}/hub/gone.csv", retry=FAST)


def test_the_hub_file_on_s3_loads_and_a_bad_one_is_refused(moto_s3: MotoS3) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_s3.endpoint_url)
    s3.create_bucket(Bucket="hub-data")
    s3.put_object(Bucket="hub-data", Key="admissions.csv", Body=HUB)
    s3.put_object(Bucket="hub-data", Key="bad.csv", Body=HUB.replace(b"395", b"-395"))
    series = load_series("covidhub", "s3://hub-data/admissions.csv", as_of="2026-03-21")
    assert series.to_dict("list") == {
        "location": ["06"],
        "date": [pd.Timestamp("2026-03-21")],
        "value": [410.0],
    }
    with pytest.raises(SourceDataError, match=r"^s3://hub-data/bad\.csv: refused.*\n.*'-395'"):
        load_series("covidhub", "s3://hub-data/bad.csv")
