"""Dagster code location of the OE Data Platform (load with `-m orchestration.definitions`)."""
