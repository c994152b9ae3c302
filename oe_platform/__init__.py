"""OE Data Platform: ingestion, synthetic data, linkage and governance for a policing lakehouse."""

__version__ = "0.1.0"
