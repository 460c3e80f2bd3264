"""Errors a flow run ends Failed with on purpose, importable without the flows' dependencies."""


class ModelWorseThanBaselineError(RuntimeError):
    """The deployed model's recent forecasts scored worse than the flat baseline allows."""
