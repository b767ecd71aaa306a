"""The report ``ciba-kit report`` writes: ``summary.json``, one PNG per chart, ``report.md``."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from . import plots
from ciba_kit.protocol.errors import InputError

from .stats import approval_rate, decision_time_fit, latency, outcome_counts, summary

__all__ = ["ReportFiles", "write_report"]


@dataclass
class ReportFiles:
    """What :func:`write_report` wrote."""

    out: Path
    summary: Path
    report: Path
    charts: dict[str, Path] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return f"ReportFiles({str(self.out)!r}: summary.json, report.md, {len(self.charts)} charts)"


def _fmt(v: Any, digits: int = 2) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _md_table(df: pd.DataFrame, digits: int = 2) -> str:
    idx_name = df.index.name if isinstance(df.index.name, str) else " / ".join(map(str, df.index.names))
    head = [idx_name or ""] + [str(c) for c in df.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    # Format column by column: a row mixes ints and floats, and iterrows would turn counts into floats.
    cells = [[_fmt(v.item() if hasattr(v, "item") else v, digits) for v in df[c].to_numpy()] for c in df.columns]
    for i, idx in enumerate(df.index):
        key = " / ".join(map(str, idx)) if isinstance(idx, tuple) else str(idx)
        lines.append("| " + " | ".join([key] + [col[i] for col in cells]) + " |")
    return "\n".join(lines)


def write_report(
    db: Any,
    out: str | os.PathLike[str],
    *,
    run_id: int | Sequence[int] | None = None,
    flows: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    group_by: str = "group",
) -> ReportFiles:
    """Write the report for a run log (all runs, or ``run_id``) into directory ``out``.

    Args:
        db: run log path or :class:`~ciba_kit.runs.RunLog` (ignored when ``flows`` is given).
        out: directory (created).
        flows, events: already loaded DataFrames, to skip loading.
        group_by: the column for the outcome-shares chart and the per-group table.

    Returns:
        :class:`ReportFiles` with the paths and the summary dict.
    """
    from ciba_kit.runs.load import load_events, load_flows

    if flows is None:
        flows = load_flows(db, run_id=run_id)
        events = load_events(db, run_id=run_id) if events is None else events
    if not len(flows):
        raise InputError("db", "the run log holds no flows", "run a campaign first: ciba-kit run --flows N ...")
    outdir = Path(out)
    outdir.mkdir(parents=True, exist_ok=True)
    data = summary(flows)
    try:
        fit = decision_time_fit(flows)
    except InputError:
        fit = None
    summary_path = outdir / "summary.json"
    summary_path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")

    charts: dict[str, Path] = {}
    for name, fig in plots.all_charts(flows, events, group_by=group_by, fit=fit).items():
        path = outdir / f"{name}.png"
        fig.savefig(path)
        charts[name] = path

    gb = group_by if group_by in flows.columns and flows[group_by].notna().any() else "client"
    rate = data["approval_rate"]
    lo, hi = data["approval_rate_ci95"]
    lines = [
        "# CIBA campaign report",
        "",
        f"- Flows: **{data['flows']}** ({data['finished']} finished)",
        f"- Approval rate: **{_fmt(rate * 100 if rate is not None else None, 1)} %** "
        f"(95% Wilson interval {_fmt(lo * 100 if lo is not None else None, 1)} – "
        f"{_fmt(hi * 100 if hi is not None else None, 1)} %)",
        f"- Polls per flow: mean {_fmt(data['polls_per_flow']['mean'])}, p90 {_fmt(data['polls_per_flow']['p90'])}",
    ]
    if data.get("decision_time_fit"):
        f = data["decision_time_fit"]
        lines.append(
            f"- Time to decision (censoring-aware {f['model']} fit over {f['n']} decided flows"
            f"{', subsample' if f['subsampled'] else ''}): median **{_fmt(f['median_s'])} s**, "
            f"p90 {_fmt(f['p90_s'])} s; naive median of when the client saw the decision {_fmt(f['naive_median_s'])} s"
        )
    lines += ["", "## Outcomes", "", _md_table(outcome_counts(flows).to_frame())]
    if data["errors"]:
        lines += ["", "Errors by code:", "", _md_table(pd.Series(data["errors"], name="flows").rename_axis("error").to_frame())]
    lines += ["", f"## Approval rate by {gb}", "", _md_table(approval_rate(flows, by=gb), 3)]  # type: ignore[arg-type]
    for metric in ("decision", "ack", "tokens"):
        table = latency(flows, metric, by="outcome")
        if len(table):
            lines += ["", f"## Time to {metric} by outcome (seconds)", "", _md_table(table)]
    lines += ["", "## Charts", ""]
    for name, path in charts.items():
        lines += [f"### {name.replace('_', ' ')}", "", f"![{name}]({path.name})", ""]
    report_path = outdir / "report.md"
    report_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ReportFiles(outdir, summary_path, report_path, charts, data)
