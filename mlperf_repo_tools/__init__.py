"""Lint and fix MLPerf results repositories in the Collective Mind (CM) format."""

__version__ = "0.1.0"
