"""``ciba-kit run`` and ``ciba-kit report`` through the real argument parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ciba_kit.cli import build_parser
from ciba_kit.runs import load_flows
from ciba_kit.runs.commands import report_command, run_command


def _args(*argv: str, **extra: object):  # type: ignore[no-untyped-def]
    ns = build_parser().parse_args(list(argv))
    for k, v in extra.items():
        setattr(ns, k, v)
    return ns


def test_run_embedded_then_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "runs.db"
    code = run_command(_args("run", "--client-id", "demo-poll", "--population", "30", "--flows", "30",
                             "--concurrency", "10", "--seed", "4", "--db", str(db), "--json", speed=20, progress=False))
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["flows"] == 30 and out["run_id"] == 1 and out["mode"] == "poll"
    assert sum(out["counts"].values()) == 30 and out["max_in_flight"] == 10
    lo, hi = out["approval_rate_ci95"]
    assert lo <= out["approval_rate"] <= hi
    assert "demo-poll-secret" not in json.dumps(out)
    flows = load_flows(db)
    assert flows["true_decision_s"].notna().any()  # ground truth from the embedded simulator

    assert report_command(_args("report", "--db", str(db), "--out", str(tmp_path / "rep"))) == 0
    printed = capsys.readouterr().out
    assert "summary.json" in printed and "report.md" in printed
    summary = json.loads((tmp_path / "rep" / "summary.json").read_text())
    assert summary["flows"] == 30 and summary["approval_rate"] == pytest.approx(out["approval_rate"], abs=1e-4)
    assert (tmp_path / "rep" / "swimlane.png").exists()


def test_run_against_an_issuer_with_a_users_file(camp_sim, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    users = tmp_path / "users.txt"
    users.write_text("quick0001,team-a\nquick0002,team-b\n", encoding="utf-8")
    db = tmp_path / "ext.db"
    # --issuer is a real target: the client is on real time, so use users that answer in 1 clock-s.
    code = run_command(_args("run", "--issuer", camp_sim.issuer, "--client-id", "demo-poll", "--client-secret",
                             "demo-poll-secret", "--users", str(users), "--flows", "2", "--concurrency", "2",
                             "--db", str(db), progress=False))
    assert code == 0
    text = capsys.readouterr().out
    assert "run 1: 2 flows" in text and "approved 2" in text
    assert sorted(load_flows(db)["group"].astype(str)) == ["team-a", "team-b"]


def test_bad_usage_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "x.db")
    assert run_command(_args("run", "--client-id", "nope", "--flows", "1", "--concurrency", "1", "--db", db,
                             speed=20, progress=False)) == 2
    assert "--client-id" in capsys.readouterr().err
    assert run_command(_args("run", "--issuer", "http://127.0.0.1:9", "--client-id", "demo-poll", "--population",
                             "3", "--flows", "1", "--concurrency", "1", "--db", db, progress=False)) == 2
    assert "--users" in capsys.readouterr().err
    assert run_command(_args("run", "--client-id", "demo-poll", "--flows", "0", "--concurrency", "1", "--db", db,
                             progress=False)) == 2
    assert report_command(_args("report", "--db", str(tmp_path / "none.db"), "--out", str(tmp_path))) == 2
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    assert report_command(_args("report", "--db", str(tmp_path / "junk.db"), "--out", str(tmp_path))) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "not a ciba-kit run log" in err


def test_unreachable_issuer_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    users = tmp_path / "u.txt"
    users.write_text("alice\n", encoding="utf-8")
    code = run_command(_args("run", "--issuer", "http://127.0.0.1:9", "--client-id", "demo-poll", "--client-secret",
                             "s3cret-value", "--users", str(users), "--flows", "1", "--concurrency", "1",
                             "--db", str(tmp_path / "y.db"), progress=False))
    assert code == 3
    err = capsys.readouterr().err
    assert "s3cret-value" not in err and err.startswith("ciba-kit run: error:")


def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    """SIGINT to a running ``ciba-kit run``: exit 130, finished flows kept, in-flight ones cancelled."""
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parents[2]
    db = tmp_path / "int.db"
    env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "ciba_kit", "run", "--client-id", "demo-poll", "--population", "40",
                             "--flows", "400", "--concurrency", "8", "--seed", "2", "--db", str(db)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        done = 0
        while time.monotonic() < deadline and done < 2:
            time.sleep(0.2)
            if db.exists():
                try:
                    con = sqlite3.connect(db)
                    done = con.execute("SELECT COUNT(*) FROM flow WHERE outcome NOT IN ('incomplete')").fetchone()[0]
                    con.close()
                except sqlite3.OperationalError:
                    pass
        assert done >= 2, "no flow finished within a minute"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    con = sqlite3.connect(db)
    assert con.execute("SELECT status FROM run").fetchall() == [("interrupted",)]
    counts = dict(con.execute("SELECT outcome, COUNT(*) FROM flow GROUP BY outcome").fetchall())
    assert counts.get("incomplete", 0) == 0 and counts.get("cancelled", 0) >= 1
    assert sum(v for k, v in counts.items() if k != "cancelled") >= 2


def test_run_signs_requests_for_a_client_that_requires_them(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # demo-signed rejects unsigned requests (invalid_request): every flow erred before the fix.
    db = tmp_path / "signed.db"
    code = run_command(_args("run", "--client-id", "demo-signed", "--population", "6", "--flows", "6",
                             "--concurrency", "3", "--db", str(db), "--json", speed=20, progress=False))
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["counts"].get("error", 0) == 0 and out["counts"].get("approved", 0) >= 1


def test_run_sign_request_with_a_secret_client_names_the_flag(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = run_command(_args("run", "--client-id", "demo-poll", "--population", "2", "--flows", "2",
                             "--concurrency", "1", "--db", str(tmp_path / "x.db"), "--sign-request",
                             speed=20, progress=False))
    assert code == 2
    assert "--private-key" in capsys.readouterr().err
