"""The covid-forecast policy pack (`pulumi preview --policy-pack policy`); rules in `rules`."""
