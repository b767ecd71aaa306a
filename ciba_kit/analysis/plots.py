"""Charts over run-log flows: each function returns a :class:`matplotlib.figure.Figure`.

Figures are built with ``matplotlib.figure.Figure`` directly, not ``pyplot``: they never enter
pyplot's global figure list (nothing to close, no leaks in long campaigns or tests, no GUI
backend needed), and a notebook still displays them inline as the cell's value.

One style for all charts: :data:`STYLE` (rcParams applied while drawing) and one colour per
outcome (:data:`OUTCOME_COLORS`), so "denied" is the same red in every figure.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure as _MplFigure

from ciba_kit.protocol.errors import InputError

from .stats import DecisionTimeFit, _column, _with_by, finished, wilson_interval

__all__ = [
    "Figure",
    "STYLE",
    "OUTCOME_COLORS",
    "METRIC_LABELS",
    "style",
    "latency_cdf",
    "latency_histogram",
    "approval_over_time",
    "outcome_shares",
    "polls_per_flow",
    "swimlane",
    "all_charts",
]

STYLE: dict[str, Any] = {
    "figure.figsize": (7.0, 4.2),
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linestyle": "-",
    "legend.frameon": False,
    "legend.fontsize": 9,
}

OUTCOME_COLORS: dict[str, str] = {
    "approved": "#2e7d32",
    "denied": "#c62828",
    "expired": "#f9a825",
    "error": "#6a1b9a",
    "cancelled": "#757575",
    "incomplete": "#bdbdbd",
}
# Group colours avoid the outcome colours, so a green bar never reads as "approved" by accident.
_CYCLE = ["#1565c0", "#ef6c00", "#00838f", "#8d6e63", "#ad1457", "#5e35b1", "#7cb342", "#546e7a"]

METRIC_LABELS = {
    "ack": "time to acknowledgement (s)",
    "decision": "time to decision (s)",
    "tokens": "time to tokens (s)",
    "total": "time to tokens (s)",
}


@contextmanager
def style() -> Iterator[None]:
    """Apply the kit's chart style while drawing."""
    with matplotlib.rc_context(STYLE):
        yield


class Figure(_MplFigure):
    """A matplotlib Figure that shows itself in a notebook without pyplot (``_repr_png_``).

    Built outside pyplot, a figure gets no inline-backend display hook; this one renders itself
    to PNG when IPython asks. Its text repr stays matplotlib's (``<Figure size WxH with 1 Axes>``).
    """

    def _repr_png_(self) -> bytes:
        import io

        buf = io.BytesIO()
        self.savefig(buf, format="png")
        return buf.getvalue()


def _figure(nrows: int = 1, ncols: int = 1, **kw: Any) -> tuple[Figure, Any]:
    fig = Figure(figsize=kw.pop("figsize", STYLE["figure.figsize"]), dpi=STYLE["figure.dpi"], layout="constrained")
    ax = fig.subplots(nrows, ncols, **kw)
    return fig, ax


def _color(key: str, i: int) -> str:
    return OUTCOME_COLORS.get(key, _CYCLE[i % len(_CYCLE)])


def _groups(df: pd.DataFrame, by: str | None) -> list[tuple[str, pd.DataFrame]]:
    if by is None:
        return [("all flows", df)]
    df2, _ = _with_by(df, by)
    col = df2[by]
    if isinstance(col.dtype, pd.CategoricalDtype):
        values = [v for v in col.cat.categories if (col == v).any()]
    else:
        values = sorted(col.dropna().unique(), key=str)
    return [(str(v), df2[col == v]) for v in values]


def _ecdf(values: np.ndarray, max_points: int = 2_000) -> tuple[np.ndarray, np.ndarray]:
    # A million-point step line renders slowly; quantiles at max_points levels draw the same curve.
    v = np.sort(values)
    if len(v) <= max_points:
        return v, np.arange(1, len(v) + 1) / len(v)
    probs = np.linspace(0, 1, max_points)
    return np.quantile(v, probs), probs


def latency_cdf(
    df: pd.DataFrame,
    metric: str = "decision",
    by: str | None = "outcome",
    *,
    fit: DecisionTimeFit | None = None,
    title: str | None = None,
) -> Figure:
    """Empirical CDF of a latency metric, one line per group (outcome by default).

    Args:
        metric: ``ack``, ``decision`` or ``tokens``.
        by: grouping column, or None for one line.
        fit: a :func:`~ciba_kit.analysis.decision_time_fit` result to overlay (dashed).
    """
    col = _column(metric)
    fin = finished(df, [col, *([by] if by else [])])
    with style():
        fig, ax = _figure()
        drawn = 0
        for i, (name, part) in enumerate(_groups(fin, by)):
            vals = part[col].dropna().to_numpy(dtype="float64")
            if not len(vals):
                continue
            x, y = _ecdf(vals)
            ax.step(x, y, where="post", color=_color(name, i), label=f"{name} (n={len(vals)})")
            drawn += 1
        if fit is not None:
            hi = np.nanmax(fin[col].to_numpy(dtype="float64")) if len(fin) else 1.0
            t = np.linspace(0, hi if np.isfinite(hi) and hi > 0 else 1.0, 300)
            ax.plot(t, fit.cdf(t), color="black", linestyle="--", label=f"censoring-aware {fit.model} fit")
            drawn += 1
        ax.set_xlabel(METRIC_LABELS.get(metric, f"{metric} (s)"))
        ax.set_ylabel("share of flows ≤ x")
        ax.set_ylim(0, 1.02)
        ax.set_xlim(left=0)
        ax.set_title(title or f"Latency CDF: {METRIC_LABELS.get(metric, metric).split(' (')[0]}")
        if drawn:
            ax.legend(loc="lower right")
    return fig


def latency_histogram(
    df: pd.DataFrame,
    metric: str = "decision",
    by: str | None = "outcome",
    *,
    bins: int = 40,
    title: str | None = None,
) -> Figure:
    """Histogram of a latency metric, groups stacked (shared bin edges)."""
    col = _column(metric)
    fin = finished(df, [col, *([by] if by else [])])
    all_vals = fin[col].dropna().to_numpy(dtype="float64")
    edges = np.histogram_bin_edges(all_vals, bins=bins) if len(all_vals) else np.linspace(0, 1, bins + 1)
    with style():
        fig, ax = _figure()
        bottom = np.zeros(len(edges) - 1)
        for i, (name, part) in enumerate(_groups(fin, by)):
            vals = part[col].dropna().to_numpy(dtype="float64")
            if not len(vals):
                continue
            counts, _ = np.histogram(vals, bins=edges)
            ax.bar(edges[:-1], counts, width=np.diff(edges), bottom=bottom, align="edge",
                   color=_color(name, i), edgecolor="white", linewidth=0.4, label=f"{name} (n={len(vals)})")
            bottom += counts
        ax.set_xlabel(METRIC_LABELS.get(metric, f"{metric} (s)"))
        ax.set_ylabel("flows")
        ax.set_title(title or f"Latency histogram: {METRIC_LABELS.get(metric, metric).split(' (')[0]}")
        if bottom.any():
            ax.legend(loc="upper right")
    return fig


def approval_over_time(
    df: pd.DataFrame,
    *,
    bins: int = 20,
    by: str | None = None,
    confidence: float = 0.95,
    title: str | None = None,
) -> Figure:
    """Approval rate per time bin (flow start), with its Wilson interval as a band.

    Args:
        bins: number of equal time bins over the campaign.
        by: draw one line (and band) per group of this column.
    """
    fin = finished(df, ["started_at", *([by] if by else [])])
    with style():
        fig, ax = _figure()
        if len(fin):
            ts = fin["started_at"].astype("int64").to_numpy()  # ns since epoch
            t0, t1 = int(ts.min()), int(ts.max())
            span = max(t1 - t0, 1)
            edges = np.linspace(t0, t0 + span * (1 + 1e-9), bins + 1)
            centers = pd.to_datetime(((edges[:-1] + edges[1:]) / 2).astype("int64"), utc=True)
            for i, (name, part) in enumerate(_groups(fin, by)):
                pts = part["started_at"].astype("int64").to_numpy()
                idx = np.clip(np.searchsorted(edges, pts, side="right") - 1, 0, bins - 1)
                n = np.bincount(idx, minlength=bins)
                k = np.bincount(idx, weights=(part["outcome"] == "approved").to_numpy(dtype="float64"), minlength=bins)
                low, high = wilson_interval(k, n, confidence)
                with np.errstate(invalid="ignore", divide="ignore"):
                    rate = np.where(n > 0, k / np.maximum(n, 1), np.nan)
                color = _CYCLE[i % len(_CYCLE)] if by else OUTCOME_COLORS["approved"]
                ax.plot(centers, rate, marker="o", markersize=3, color=color, label=name if by else "approval rate")
                ax.fill_between(centers, low, high, color=color, alpha=0.2, linewidth=0,
                                label=f"{int(confidence * 100)}% Wilson interval" if not by or i == 0 else None)
            ax.legend(loc="lower left")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("flow start time (UTC)")
        ax.set_ylabel("approval rate (share of finished flows)")
        ax.set_title(title or "Approval rate over time")
        fig.autofmt_xdate()
    return fig


def outcome_shares(df: pd.DataFrame, by: str = "group", *, title: str | None = None) -> Figure:
    """Horizontal stacked bars: share of each outcome within each group."""
    if by not in df.columns and by != "hour":
        raise InputError("by", f"no column {by!r}", "use e.g. 'group', 'client', 'mode', 'persona' or 'variant'")
    df2, _ = _with_by(df[[c for c in dict.fromkeys([by, "outcome", "started_at"]) if c in df.columns]], by)
    keys = df2[by]
    if isinstance(keys.dtype, pd.CategoricalDtype):
        keys = keys.cat.add_categories("-") if "-" not in keys.cat.categories else keys
    # groupby on categoricals counts on codes; crosstab on strings is ten times slower on a big log.
    table = (df2.assign(**{by: keys.fillna("-")}).groupby([by, "outcome"], observed=True).size()
             .unstack("outcome", fill_value=0))
    table = table.loc[table.sum(axis=1) > 0]
    table.index = table.index.astype(str)
    table.columns = table.columns.astype(str)
    cols = [o for o in OUTCOME_COLORS if o in table.columns] + [c for c in table.columns if c not in OUTCOME_COLORS]
    table = table[cols] if cols else table
    shares = table.div(table.sum(axis=1).where(lambda s: s > 0, 1), axis=0)
    with style():
        height = max(2.5, 0.45 * len(shares) + 1.5)
        fig, ax = _figure(figsize=(STYLE["figure.figsize"][0], height))
        left = np.zeros(len(shares))
        ypos = np.arange(len(shares))
        for i, outcome in enumerate(shares.columns):
            vals = shares[outcome].to_numpy()
            ax.barh(ypos, vals, left=left, color=_color(outcome, i), label=outcome, edgecolor="white", linewidth=0.5)
            left += vals
        ax.set_yticks(ypos, [f"{g} (n={int(table.loc[g].sum())})" for g in shares.index])
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of flows")
        ax.set_ylabel(by)
        ax.set_title(title or f"Outcomes by {by}")
        ax.grid(axis="y", visible=False)
        if len(shares.columns):
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=min(6, len(shares.columns)))
    return fig


def polls_per_flow(df: pd.DataFrame, by: str | None = "mode", *, title: str | None = None) -> Figure:
    """Bar chart: how many token requests (polls) each finished flow needed."""
    fin = finished(df, ["polls", *([by] if by else [])])
    with style():
        fig, ax = _figure()
        groups = [(n, p) for n, p in _groups(fin, by) if p["polls"].notna().any()]
        allp = fin["polls"].dropna().to_numpy(dtype="int64")
        top = int(allp.max()) if len(allp) else 0
        xs = np.arange(0, top + 1)
        width = 0.8 / max(1, len(groups))
        for i, (name, part) in enumerate(groups):
            counts = np.bincount(part["polls"].dropna().to_numpy(dtype="int64"), minlength=top + 1)
            ax.bar(xs + (i - (len(groups) - 1) / 2) * width, counts, width=width, color=_CYCLE[i % len(_CYCLE)],
                   label=f"{name} (n={int(counts.sum())})")
        ax.set_xlabel("token requests per flow (polls)")
        ax.set_ylabel("flows")
        ax.set_title(title or "Polls per flow")
        if groups:
            ax.legend(loc="upper right")
    return fig


#: (marker, colour, legend label) per kind of exchange drawn in a swimlane.
_EVENT_STYLE: dict[str, tuple[str, str, str]] = {
    "request": (">", "#1565c0", "request sent"),
    "ack": ("|", "#1565c0", "acknowledgement"),
    "pending": ("o", "#9e9e9e", "poll: authorization_pending"),
    "slow_down": ("s", "#ef6c00", "poll: slow_down"),
    "notification": ("*", "#00838f", "ping / push received"),
    "tokens": ("D", OUTCOME_COLORS["approved"], "tokens"),
    "denied": ("X", OUTCOME_COLORS["denied"], "denied"),
    "expired": ("X", OUTCOME_COLORS["expired"], "expired"),
    "error": ("X", OUTCOME_COLORS["error"], "error"),
    "cancelled": ("X", OUTCOME_COLORS["cancelled"], "cancelled"),
}
#: Kinds not drawn: the poll *request* (its response is drawn) and the ID-token check (same time as tokens).
_SKIP_KINDS = {"poll", "token_request", "id_token"}


def _event_class(kind: str, error: Any) -> str | None:
    """Which swimlane style an exchange gets (None: not drawn)."""
    k = kind.lower()
    err = error if isinstance(error, str) else None
    if k in _SKIP_KINDS:
        return None
    if err == "authorization_pending":
        return "pending"
    if err == "slow_down":
        return "slow_down"
    if err == "access_denied":
        return "denied"
    if err == "expired_token" or k == "expired":
        return "expired"
    if k == "cancelled":
        return "cancelled"
    if err is not None or k == "error":
        return "error"
    if k in ("request", "ack", "notification"):
        return k
    if k in ("poll_response", "token_response", "tokens"):
        return "tokens"
    return None


def swimlane(
    flows: pd.DataFrame,
    events: pd.DataFrame,
    *,
    n: int = 15,
    seed: int = 0,
    flow_ids: Sequence[int] | None = None,
    title: str | None = None,
) -> Figure:
    """A timeline of a sample of flows: one lane per flow, a marker per exchange.

    Lanes show the acknowledgement, each poll (slow_down highlighted), the decision (poll-mode
    bounds as a shaded span) and the tokens or final error.

    Args:
        flows, events: from :func:`~ciba_kit.runs.load_flows` / :func:`~ciba_kit.runs.load_events`.
        n: lanes to draw (a seeded sample of finished flows).
        flow_ids: draw exactly these flows instead.
    """
    fin = finished(flows)
    if flow_ids is None:
        pick = fin.sample(n=min(n, len(fin)), random_state=seed) if len(fin) else fin
        pick = pick.sort_values(["run_id", "seq"])
    else:
        pick = flows[flows["flow_id"].isin(list(flow_ids))]
    ev = events[events["flow_id"].isin(pick["flow_id"])]
    by_flow = {fid: part for fid, part in ev.groupby("flow_id", sort=False)}
    with style():
        fig, ax = _figure(figsize=(STYLE["figure.figsize"][0], max(3.0, 0.32 * len(pick) + 1.6)))
        seen: dict[str, Any] = {}
        for lane, row in enumerate(pick.itertuples(index=False)):
            lo, hi = getattr(row, "decision_after_s"), getattr(row, "decision_before_s")
            if isinstance(hi, float) and not math.isnan(hi):
                lo = 0.0 if lo is None or (isinstance(lo, float) and math.isnan(lo)) else lo
                span = ax.barh(lane, hi - lo, left=lo, height=0.6, color="#ffe082", alpha=0.6, linewidth=0)
                seen.setdefault("decision lies here (poll bounds)", span)
            part = by_flow.get(row.flow_id)
            if part is None:
                continue
            end = float(part["t"].max())
            ax.hlines(lane, 0, end, color="#cfd8dc", linewidth=1, zorder=1)
            classes = np.array([_event_class(str(k), e) for k, e in zip(part["kind"], part["error"])], dtype=object)
            times = part["t"].to_numpy(dtype="float64")
            for cls in dict.fromkeys(c for c in classes if c is not None):
                marker, color, label = _EVENT_STYLE[cls]
                mask = classes == cls
                h = ax.scatter(times[mask], np.full(int(mask.sum()), lane), marker=marker, color=color, s=28, zorder=3)
                seen.setdefault(label, h)
            dec = getattr(row, "decision_s")
            if isinstance(dec, float) and not math.isnan(dec):
                h = ax.scatter([dec], [lane], marker="|", s=160, color=_color(str(row.outcome), 0), zorder=4)
                seen.setdefault("decision seen", h)
        ax.set_yticks(range(len(pick)), [f"{r.user} · {r.outcome}" for r in pick.itertuples(index=False)])
        ax.invert_yaxis()
        ax.set_xlim(left=0)
        ax.set_xlabel("seconds since the flow started (client clock)")
        ax.set_ylabel("flow (user · outcome)")
        ax.set_title(title or f"Swimlane of {len(pick)} flows")
        ax.grid(axis="y", visible=False)
        if seen:
            ax.legend(seen.values(), seen.keys(), loc="upper center", bbox_to_anchor=(0.5, -0.12),
                      ncol=min(3, len(seen)))
    return fig


def all_charts(
    flows: pd.DataFrame,
    events: pd.DataFrame | None = None,
    *,
    group_by: str = "group",
    fit: DecisionTimeFit | None = None,
) -> dict[str, Figure]:
    """Every chart, keyed by a file-friendly name (what ``ciba-kit report`` saves as PNG)."""
    if group_by not in flows.columns or flows[group_by].isna().all():
        group_by = "client"
    charts = {
        "latency_cdf": latency_cdf(flows, "decision", fit=fit),
        "latency_cdf_ack": latency_cdf(flows, "ack"),
        "latency_histogram": latency_histogram(flows, "decision"),
        "approval_over_time": approval_over_time(flows),
        "outcome_shares": outcome_shares(flows, by=group_by),
        "polls_per_flow": polls_per_flow(flows),
    }
    if events is not None:
        charts["swimlane"] = swimlane(flows, events)
    return charts
