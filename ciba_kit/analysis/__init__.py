"""Statistics and charts over run logs.

``ciba_kit.analysis`` holds the statistics (approval rates with Wilson intervals, latency
percentiles, censoring-aware decision-time fits, variant comparisons) and the report writer;
``ciba_kit.analysis.plots`` (``ck.plots``) holds the charts.
"""

from __future__ import annotations

from . import plots
from .report import ReportFiles, write_report
from .stats import (
    FINISHED,
    METRICS,
    DecisionTimeFit,
    Proportion,
    VariantComparison,
    approval_rate,
    compare_variants,
    decision_bounds,
    decision_time_fit,
    error_counts,
    finished,
    latency,
    newcombe_interval,
    outcome_counts,
    polls_per_flow,
    summary,
    wilson_interval,
)

__all__ = [
    "plots",
    "FINISHED",
    "METRICS",
    "Proportion",
    "DecisionTimeFit",
    "VariantComparison",
    "wilson_interval",
    "newcombe_interval",
    "finished",
    "approval_rate",
    "outcome_counts",
    "error_counts",
    "latency",
    "decision_bounds",
    "decision_time_fit",
    "compare_variants",
    "polls_per_flow",
    "summary",
    "write_report",
    "ReportFiles",
]
