"""The report writer's files: summary.json fields, one PNG per chart, a readable report.md."""

from __future__ import annotations

import json

import pytest

from ciba_kit import analysis as A
from ciba_kit.protocol.errors import InputError
from ciba_kit.runs import RunLog, load_flows


def test_report_files(synthetic_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = A.write_report(synthetic_db, tmp_path / "out")
    data = json.loads(files.summary.read_text())
    for key in ("flows", "counts", "approval_rate", "approval_rate_ci95", "latency_s", "polls_per_flow"):
        assert key in data
    flows = load_flows(synthetic_db)
    assert data["flows"] == len(flows)
    assert data["counts"]["approved"] == int((flows["outcome"] == "approved").sum())
    lo, hi = data["approval_rate_ci95"]
    assert lo < data["approval_rate"] < hi
    assert set(data["latency_s"]["decision"]) == {"approved", "denied"}
    assert {"p50", "p90", "p99"} <= set(data["latency_s"]["tokens"]["approved"])
    assert len(files.charts) == 7
    for path in files.charts.values():
        assert path.read_bytes().startswith(b"\x89PNG")
    md = files.report.read_text()
    assert md.startswith("# CIBA campaign report")
    assert f"Flows: **{len(flows)}**" in md
    assert "![latency_cdf](latency_cdf.png)" in md
    assert "| approved |" in md


def test_report_of_an_empty_log_is_an_input_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    RunLog(tmp_path / "empty.db").close()
    with pytest.raises(InputError, match="no flows"):
        A.write_report(tmp_path / "empty.db", tmp_path / "out")
