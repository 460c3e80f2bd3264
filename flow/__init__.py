"""The covid-forecast Prefect flows and their pure logic.

Modules hold one concern each: `reports` (JHU CSV parsing), `data` (fetching daily reports),
`features`, `regions`, `forecast`, `evaluation`, `training`, `model_location` / `model_store`
(MLflow), `results` / `storage` (where outputs go), `sample` (generated demo data); the Prefect
code lives in `tasks` and `flows`. Nothing here imports `infra`.
"""
