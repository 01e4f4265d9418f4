"""Metrics: plain functions in functional.py (numpy/torch only)."""

from saropt.metrics.functional import phase_correlation_shift

__all__ = ["phase_correlation_shift"]
