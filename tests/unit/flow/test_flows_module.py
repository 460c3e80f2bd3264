"""flow.flows, the module every flow run imports first: its flows' defaults agree with the code
that runs them."""

from __future__ import annotations

import inspect

from flow.flows import covid_prediction, monitor
from flow.sources import DEFAULT_LOOKBACK_DAYS


def test_the_deployed_flows_look_back_as_far_as_the_jhu_reader_does() -> None:
    # flow.flows keeps its own copy so that importing it does not import pandas.
    for deployed in (covid_prediction, monitor):
        default = inspect.signature(deployed.fn).parameters["lookback_days"].default
        assert default == DEFAULT_LOOKBACK_DAYS, deployed.name
