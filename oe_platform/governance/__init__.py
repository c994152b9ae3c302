"""Governance: the audit log, read-only consultation (`oe query`) and retention review."""
