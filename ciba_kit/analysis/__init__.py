"""Statistics and charts over run logs.

``ciba_kit.analysis`` holds the statistics (approval rates with Wilson intervals, latency
percentiles, censoring-aware decision-time fits, variant comparisons) and the report writer;
``ciba_kit.analysis.plots`` (``ck.plots``) holds the charts.
"""

from __future__ import annotations

from . import plots, stats
from .report import ReportFiles, write_report
from .stats import *  # noqa: F403  (the statistics are the package's face; stats.__all__ lists them)

# One list of the statistics, kept in stats.py; this package adds the charts and the report.
__all__ = ["plots", *stats.__all__, "write_report", "ReportFiles"]
