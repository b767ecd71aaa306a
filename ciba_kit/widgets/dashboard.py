"""A small campaign dashboard: pick a chart, a grouping and a filter; the chart redraws.

All the drawing is :mod:`ciba_kit.analysis.plots`; the dashboard only wires ipywidgets controls
to it. The chart is shown as a PNG in a ``widgets.Image`` (its value travels over the comm, so
nbval never sees it), and :meth:`Dashboard.describe` gives a plain-text account of what is
shown for tests and nbval-checked cells.
"""

from __future__ import annotations

import io
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ciba_kit.analysis import plots
from ciba_kit.analysis.stats import DecisionTimeFit, Proportion, approval_rate
from ciba_kit.protocol.errors import InputError

__all__ = ["Dashboard", "CHARTS"]

ALL = "(all)"
#: Chart name -> what it draws.
CHARTS = ("latency CDF", "latency histogram", "outcome shares", "approval over time", "polls per flow")
_GROUPABLE = ("outcome", "group", "persona", "client", "mode", "variant", "template")


class Dashboard:
    """Charts of a flows DataFrame with group-by, filter and metric controls.

    Args:
        flows: flows from :func:`ciba_kit.runs.load_flows` (or ``log.flows()``).
        fit: optional censoring-aware fit to overlay on the latency CDF.
        chart, group_by, metric: initial choices.

    Attributes:
        chart, group_by, metric, filter_column, filter_value: the ``Dropdown`` controls; setting
            their ``.value`` redraws, exactly as choosing in the notebook does.
        image: the ``Image`` widget showing the chart; ``summary``: an ``HTML`` line with the
            approval rate of the filtered flows.
        widget: the whole UI (a ``VBox``).
    """

    def __init__(
        self,
        flows: pd.DataFrame,
        *,
        fit: DecisionTimeFit | None = None,
        chart: str = "latency CDF",
        group_by: str = "outcome",
        metric: str = "decision",
    ) -> None:
        if "outcome" not in flows.columns:
            raise InputError("flows", "not a flows DataFrame", "pass ck.load_flows(db) or log.flows()")
        self.flows = flows
        self.fit = fit
        self.columns = [c for c in _GROUPABLE if c in flows.columns and flows[c].notna().any()]
        if chart not in CHARTS:
            raise InputError("chart", f"unknown chart {chart!r}", f"use one of {list(CHARTS)}")
        if group_by not in self.columns:
            raise InputError("group_by", f"no usable column {group_by!r}", f"use one of {self.columns}")
        self.chart = widgets.Dropdown(options=list(CHARTS), value=chart, description="chart")
        self.group_by = widgets.Dropdown(options=self.columns, value=group_by, description="group by")
        self.metric = widgets.Dropdown(options=["decision", "ack", "tokens"], value=metric, description="latency")
        self.filter_column = widgets.Dropdown(options=[ALL, *self.columns], value=ALL, description="filter")
        self.filter_value = widgets.Dropdown(options=[ALL], value=ALL, description="value")
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="760px"))
        self.summary = widgets.HTML()
        self.redraws = 0
        self._updating = False
        for control in (self.chart, self.group_by, self.metric, self.filter_value):
            control.observe(self._changed, names="value")
        self.filter_column.observe(self._filter_column_changed, names="value")
        self.widget = widgets.VBox(
            [widgets.HBox([self.chart, self.metric]), widgets.HBox([self.group_by, self.filter_column, self.filter_value]),
             self.summary, self.image]
        )
        self.redraw()

    # -- state ----------------------------------------------------------------------------------
    def selected(self) -> pd.DataFrame:
        """The flows that pass the current filter."""
        col, val = self.filter_column.value, self.filter_value.value
        if col == ALL or val == ALL:
            return self.flows
        return self.flows[self.flows[col].astype(str) == val]

    def figure(self) -> Any:
        """The matplotlib Figure for the current choices."""
        df, by, metric = self.selected(), self.group_by.value, self.metric.value
        chart = self.chart.value
        if chart == "latency CDF":
            return plots.latency_cdf(df, metric, by=by, fit=self.fit if metric == "decision" else None)
        if chart == "latency histogram":
            return plots.latency_histogram(df, metric, by=by)
        if chart == "outcome shares":
            return plots.outcome_shares(df, by=by)
        if chart == "approval over time":
            return plots.approval_over_time(df, by=None if by == "outcome" else by)
        return plots.polls_per_flow(df, by=by)

    def describe(self) -> str:
        """One deterministic line: what is selected and the approval rate of those flows."""
        selected = self.selected()
        rate = approval_rate(selected)
        assert isinstance(rate, Proportion)
        filt = ALL if self.filter_column.value == ALL else f"{self.filter_column.value}={self.filter_value.value}"
        return (f"{self.chart.value} of {self.metric.value} by {self.group_by.value}; filter {filt}; "
                f"{len(selected)} flows; approval {rate!r}")

    # -- events ---------------------------------------------------------------------------------
    def redraw(self) -> None:
        """Draw the chart and the summary line for the current choices."""
        fig = self.figure()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        self.image.value = buf.getvalue()
        self.summary.value = f"<b>{self.describe()}</b>"
        self.redraws += 1

    def _changed(self, _change: dict[str, Any]) -> None:
        if not self._updating:
            self.redraw()

    def _filter_column_changed(self, change: dict[str, Any]) -> None:
        col = change["new"]
        values = [] if col == ALL else sorted(self.flows[col].dropna().astype(str).unique())
        # Swap the value list without one redraw per intermediate value.
        self._updating = True
        try:
            self.filter_value.options = [ALL, *values]
            self.filter_value.value = ALL
        finally:
            self._updating = False
        self.redraw()

    # -- display --------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"Dashboard({len(self.flows)} flows: {self.describe()})"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = repr(self)
        return data
