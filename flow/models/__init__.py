"""The forecasting models, one module each; `flow.forecasting` is their public seam."""
