"""Charts render with the expected axes, labels and series."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from ciba_kit import analysis as A
from ciba_kit.analysis import plots

from .conftest import make_flows


def _render(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _legend(ax) -> list[str]:  # type: ignore[no-untyped-def]
    leg = ax.get_legend()
    return [t.get_text() for t in leg.get_texts()] if leg else []


def test_latency_cdf_one_line_per_outcome_plus_fit(synthetic) -> None:  # type: ignore[no-untyped-def]
    flows, _ = synthetic
    fit = A.decision_time_fit(flows)
    fig = plots.latency_cdf(flows, "decision", fit=fit)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "time to decision (s)" and "share" in ax.get_ylabel()
    labels = _legend(ax)
    n_app = int((flows["outcome"] == "approved").sum())
    assert labels[0] == f"approved (n={n_app})" and labels[1].startswith("denied")
    assert labels[-1] == "censoring-aware lognormal fit"
    assert len(ax.get_lines()) == 3  # approved, denied, fit (expired flows have no decision)
    assert _render(fig).startswith(b"\x89PNG")
    assert plt.get_fignums() == []  # never registered with pyplot: nothing to close


def test_histogram_stacks_groups(synthetic) -> None:  # type: ignore[no-untyped-def]
    flows, _ = synthetic
    fig = plots.latency_histogram(flows, "tokens", bins=10)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "flows" and ax.get_xlabel() == "time to tokens (s)"
    heights = sum(p.get_height() for p in ax.patches)
    assert heights == int(flows["tokens_s"].notna().sum())
    assert len(ax.patches) == 10  # one outcome (approved) has tokens


def test_approval_over_time_line_and_band() -> None:
    rows = [{"outcome": "approved" if i % 2 else "denied"} for i in range(40)]
    fig = plots.approval_over_time(make_flows(rows), bins=4)
    ax = fig.axes[0]
    (line,) = ax.get_lines()
    assert line.get_ydata().tolist() == pytest.approx([0.5] * 4)
    assert len(ax.collections) == 1  # the Wilson band
    assert ax.get_ylim() == (0, 1.02) and "approval rate" in ax.get_ylabel() and "UTC" in ax.get_xlabel()
    assert _legend(ax) == ["approval rate", "95% Wilson interval"]


def test_outcome_shares_bars_sum_to_one() -> None:
    rows = [{"outcome": "approved", "group": "a"}] * 3 + [{"outcome": "denied", "group": "a"}]
    rows += [{"outcome": "expired", "group": "b"}] * 2
    fig = plots.outcome_shares(make_flows(rows), by="group")
    ax = fig.axes[0]
    widths = {}
    for patch in ax.patches:
        y = round(patch.get_y() + patch.get_height() / 2)
        widths[y] = widths.get(y, 0) + patch.get_width()
    assert all(w == pytest.approx(1.0) for w in widths.values())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a (n=4)", "b (n=2)"]
    assert _legend(ax) == ["approved", "denied", "expired"]
    assert ax.get_xlabel() == "share of flows"


def test_polls_per_flow_counts() -> None:
    df = make_flows([{"outcome": "approved", "polls": k} for k in (1, 1, 2, 4)])
    ax = plots.polls_per_flow(df).axes[0]
    assert [p.get_height() for p in ax.patches] == [0, 2, 1, 0, 1]
    assert ax.get_xlabel() == "token requests per flow (polls)"


def test_swimlane_draws_each_exchange(synthetic) -> None:  # type: ignore[no-untyped-def]
    flows, events = synthetic
    fig = plots.swimlane(flows, events, n=6, seed=1)
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == 6
    assert ax.get_xlabel().startswith("seconds since the flow started")
    labels = set(_legend(ax))
    assert {"request sent", "acknowledgement"} <= labels
    assert labels & {"tokens", "denied", "expired"}
    _render(fig)


def test_all_charts_names(synthetic) -> None:  # type: ignore[no-untyped-def]
    flows, events = synthetic
    charts = plots.all_charts(flows, events)
    assert set(charts) == {"latency_cdf", "latency_cdf_ack", "latency_histogram", "approval_over_time",
                           "outcome_shares", "polls_per_flow", "swimlane"}
    for fig in charts.values():
        ax = fig.axes[0]
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
