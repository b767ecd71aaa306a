"""The run log: several runs in one file, typed loading, export, and surviving a killed writer."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from ciba_kit.protocol.errors import InputError
from ciba_kit.runs import FlowRecord, RunLog, export_flows, flow_record, load_events, load_flows, load_runs

ROOT = Path(__file__).resolve().parents[2]


def _record(outcome: str = "approved", **kw: object) -> FlowRecord:
    base = dict(outcome=outcome, client_id="demo-poll", mode="poll", ended_at=1_767_225_605.0, polls=2,
                slow_downs=0, ack_s=0.1, decision_s=3.0, decision_after_s=2.0, decision_before_s=4.0,
                tokens_s=4.1, auth_req_id_hash="abc123abc123",
                events=[(0.0, "request", None, None, None), (0.1, "ack", 200, None, "expires_in=120"),
                        (2.1, "poll_response", 400, "authorization_pending", None), (4.0, "poll_response", 200, None, None)])
    base.update(kw)
    return FlowRecord(**base)  # type: ignore[arg-type]


def test_several_runs_in_one_file(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    with RunLog(db) as log:
        for r in range(2):
            run = log.start_run(target="http://127.0.0.1:1", client="demo-poll", settings={"flows": 3}, seed=r)
            for i in range(3):
                fid = log.begin_flow(run, seq=i, user=f"u{i}", group="g", persona="prompt", started_at=1_767_225_600.0 + i)
                log.finish_flow(fid, _record("approved" if i else "denied"))
            log.end_run(run)
    with RunLog(db) as log:
        runs = log.runs()
        assert [(r.run_id, r.status, r.flows, r.seed) for r in runs] == [(1, "finished", 3, 0), (2, "finished", 3, 1)]
        assert runs[0].settings == {"flows": 3} and runs[0].kit_version
        assert log.count(2) == {"approved": 2, "denied": 1}
    flows = load_flows(db)
    assert len(flows) == 6 and flows["run_id"].tolist() == [1, 1, 1, 2, 2, 2]
    assert len(load_flows(db, run_id=2)) == 3
    ev = load_events(db, run_id=1)
    assert len(ev) == 12 and ev["kind"].tolist()[:2] == ["request", "ack"]
    assert str(ev["at"].dtype) == "datetime64[ns, UTC]"
    assert abs(ev["at"].iloc[1] - pd.Timestamp("2026-01-01T00:00:00.100Z")) < pd.Timedelta(microseconds=1)
    runs_df = load_runs(db)
    assert runs_df["flows"].tolist() == [3, 3]


def test_loaded_dtypes(tmp_path: Path) -> None:
    with RunLog(tmp_path / "d.db") as log:
        run = log.start_run()
        fid = log.begin_flow(run, seq=0, user="alice", group="g1", started_at=1_767_225_600.0, client_id="demo-poll")
        log.finish_flow(fid, _record())
        log.begin_flow(run, seq=1, user="bob", started_at=1_767_225_601.0)  # still running
        df = load_flows(log)
    assert str(df["started_at"].dtype) == "datetime64[ns, UTC]"
    assert str(df["ended_at"].dtype) == "datetime64[ns, UTC]" and pd.isna(df["ended_at"].iloc[1])
    for col in ("outcome", "mode", "client", "group"):
        assert isinstance(df[col].dtype, pd.CategoricalDtype), col
    assert "cancelled" in df["outcome"].cat.categories
    assert df["outcome"].tolist() == ["approved", "incomplete"]
    assert str(df["polls"].dtype) == "Int64" and df["decision_before_s"].iloc[0] == 4.0


def test_export_csv_and_parquet(tmp_path: Path) -> None:
    with RunLog(tmp_path / "e.db") as log:
        run = log.start_run()
        log.finish_flow(log.begin_flow(run, seq=0, user="alice", started_at=1_767_225_600.0), _record())
        df = load_flows(log)
    pq = export_flows(df, tmp_path / "flows.parquet")
    back = pd.read_parquet(pq)
    assert isinstance(back["outcome"].dtype, pd.CategoricalDtype)
    assert back["started_at"].iloc[0] == df["started_at"].iloc[0]
    csv = export_flows(df, tmp_path / "flows.csv").read_text()
    assert "2026-01-01T00:00:00.000000Z" in csv and "approved" in csv
    with pytest.raises(InputError, match="path"):
        export_flows(df, tmp_path / "flows.xlsx")


def test_missing_log_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="db"):
        load_flows(tmp_path / "nope.db")
    assert not (tmp_path / "nope.db").exists()  # loading never creates a file


def test_event_details_never_hold_secrets() -> None:
    class Ev:
        def __init__(self, detail: object) -> None:
            self.t, self.kind, self.status, self.error, self.detail = 0.0, "ack", 200, None, detail

    class Result:
        outcome, client_id, mode, error, error_description = "approved", "demo-poll", "poll", None, None
        expires_in, interval, polls, slow_downs, auth_req_id_hash = 120, 2, 1, 0, "feedfacefeed"
        latency = None
        timeline = [Ev({"auth_req_id": "SECRET-ID", "access_token": "SECRET-AT", "expires_in": 120})]

    rec = flow_record(Result())
    assert "SECRET" not in rec.events[0][4] and '"expires_in": 120' in rec.events[0][4]


_WRITER = textwrap.dedent(
    """
    import sys, time
    from ciba_kit.runs import RunLog, FlowRecord
    log = RunLog(sys.argv[1])
    run = log.start_run(target="t", client="c", seed=1)
    for i in range(5):
        fid = log.begin_flow(run, seq=i, user=f"u{i}", started_at=1_767_225_600.0 + i)
        log.finish_flow(fid, FlowRecord(outcome="approved", ended_at=1_767_225_601.0 + i,
                                        events=[(0.0, "request", None, None, None)]))
    for i in range(5, 8):
        log.begin_flow(run, seq=i, user=f"u{i}", started_at=1_767_225_600.0 + i)
    print("ready", flush=True)
    time.sleep(60)
    """
)


def test_killed_writer_loses_only_flows_in_flight(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(db)], stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        # While the writer lives, a reader sees the run as running (it is not declared dead).
        with RunLog(db) as log:
            assert log.runs()[0].status == "running"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    with RunLog(db) as log:
        (run,) = log.runs()
        assert run.status == "dead" and run.flows == 8
        assert log.count() == {"approved": 5, "incomplete": 3}
    assert len(load_events(db)) == 5
    # The file is a healthy SQLite database after the kill.
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_snapshot_matches_the_flow_table_and_follows_changes(tmp_path: Path) -> None:
    from ciba_kit.runs.synthetic import synthesize

    db = tmp_path / "snap.db"
    log = synthesize(db, 500, seed=2, events=50)
    synthesize(log, 300, seed=3, events=False)
    fast = load_flows(db)
    slow = load_flows(db, snapshot=False)
    pd.testing.assert_frame_equal(fast, slow)
    assert log.connection.execute("SELECT COUNT(*) FROM flow_snapshot").fetchone()[0] == 2
    # A change to a closed run's flows drops its snapshot; the loaded frame shows the change.
    fid = int(fast.loc[fast["run_id"] == 2, "flow_id"].iloc[0])
    log.finish_flow(fid, FlowRecord(outcome="error", error="server_error"))
    assert log.connection.execute("SELECT run_id FROM flow_snapshot").fetchall() == [(1,)]
    again = load_flows(db)
    assert again.loc[again["flow_id"] == fid, "outcome"].item() == "error"
    pd.testing.assert_frame_equal(again, load_flows(db, snapshot=False))
    pd.testing.assert_frame_equal(load_flows(db, run_id=1), load_flows(db, run_id=1, snapshot=False))
    log.close()
