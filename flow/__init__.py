"""The covid-forecast Prefect flows and their pure logic.

Modules hold one concern each: `series` (the series and forecast frames every part agrees on),
`sources/` (reading and checking each data source), `locations` (the hub's locations), `hub`
(hub timing), `hub_output` (the hub's file format), `chart` (SVG fan charts), `forecasting` and
`models/` (the models), `scoring` / `backtest` / `monitoring` (skill), the seed's `features`,
`regions`, `forecast`, `evaluation`, `training`, `model_location` / `model_store` (MLflow),
`results` / `storage` (where outputs go), `sample` / `sample_hub` (generated demo data), `engine`
(the flow-run command); the Prefect code lives in `tasks`, `flows` (the flows' signatures, light
to import) and `runs/` (their bodies). Nothing here imports `infra`.
"""
