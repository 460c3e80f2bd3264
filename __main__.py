"""Pulumi entry point: the program lives in `infra.program` so tests can import it."""

from infra.program import main

main()
