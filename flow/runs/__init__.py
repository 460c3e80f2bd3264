"""The bodies of the flows in `flow.flows`, one module per flow, plus `context` (what every run
reads and writes around its work).

`flow.flows` imports these inside each flow, not at its top: every flow run, deployment load and
`prefect.engine` start pays `import flow.flows` before the run is even marked Running, and these
modules bring pandas, numpy and the models. Only the body of the flow being run is imported.
"""
