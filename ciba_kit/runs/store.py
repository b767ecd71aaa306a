"""The durable run log: one SQLite file (WAL mode) holding any number of campaign runs.

Tables:

- ``run``   one row per campaign: target, client(s), settings JSON, seed, start/end, kit version,
  status (``running`` / ``finished`` / ``interrupted`` / ``dead``), pid and host of the writer.
- ``flow``  one row per CIBA flow: user, group, persona, client, mode, variant, outcome, error,
  timestamps, poll and slow_down counts, latencies (with the poll-mode decision bounds), the
  hash of the auth_req_id (never the value) and, against the embedded simulator, its ground truth.
- ``event`` every exchange of every flow (the client's timeline), in order.

Durability: a flow row is inserted as ``incomplete`` (and committed) when the flow starts and
updated, together with its events, in one transaction when it ends. A killed process therefore
loses at most the flows that were in flight, and they stay visible as ``incomplete``. Opening a
log marks runs whose writer process is gone as ``dead``.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ciba_kit.protocol.constants import Outcome

__all__ = ["RunLog", "RunInfo", "FlowRecord", "SCHEMA_VERSION", "kit_version"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run (
    run_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT,
    target      TEXT,
    client      TEXT,
    settings    TEXT NOT NULL DEFAULT '{}',
    seed        INTEGER,
    started_at  REAL NOT NULL,
    ended_at    REAL,
    status      TEXT NOT NULL DEFAULT 'running',
    kit_version TEXT,
    pid         INTEGER,
    host        TEXT
);
CREATE TABLE IF NOT EXISTS flow (
    flow_id           INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id            INTEGER NOT NULL REFERENCES run(run_id),
    seq               INTEGER NOT NULL,
    user              TEXT,
    grp               TEXT,
    persona           TEXT,
    client_id         TEXT,
    mode              TEXT,
    template          TEXT,
    variant           TEXT,
    outcome           TEXT NOT NULL DEFAULT 'incomplete',
    error             TEXT,
    error_description TEXT,
    started_at        REAL NOT NULL,
    ended_at          REAL,
    expires_in        REAL,
    interval_s        REAL,
    polls             INTEGER,
    slow_downs        INTEGER,
    ack_s             REAL,
    decision_s        REAL,
    decision_after_s  REAL,
    decision_before_s REAL,
    tokens_s          REAL,
    auth_req_id_hash  TEXT,
    true_outcome      TEXT,
    true_decision_s   REAL
);
CREATE INDEX IF NOT EXISTS flow_run ON flow(run_id, seq);
CREATE TABLE IF NOT EXISTS event (
    flow_id  INTEGER NOT NULL REFERENCES flow(flow_id),
    run_id   INTEGER NOT NULL,
    idx      INTEGER NOT NULL,
    t        REAL NOT NULL,
    kind     TEXT NOT NULL,
    status   INTEGER,
    error    TEXT,
    detail   TEXT,
    PRIMARY KEY (flow_id, idx)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS event_run ON event(run_id);
CREATE TABLE IF NOT EXISTS flow_snapshot (
    run_id   INTEGER PRIMARY KEY REFERENCES run(run_id),
    flows    INTEGER NOT NULL,
    format   INTEGER NOT NULL,
    data     BLOB NOT NULL
);
"""

#: Columns of ``flow`` a finished flow may set (the rest are fixed at insert time).
_FINISH_COLUMNS = (
    "client_id", "mode", "template", "variant", "outcome", "error", "error_description", "ended_at",
    "expires_in", "interval_s", "polls", "slow_downs", "ack_s", "decision_s", "decision_after_s",
    "decision_before_s", "tokens_s", "auth_req_id_hash", "true_outcome", "true_decision_s",
)
_OUTCOMES = {str(o) for o in Outcome}


def kit_version() -> str:
    """The installed ciba_kit version (``0.0.0+unknown`` when running from a bare source tree)."""
    try:
        from importlib.metadata import version

        return version("ciba_kit")
    except Exception:  # not installed: a source checkout on sys.path
        return "0.0.0+unknown"


@dataclass(frozen=True)
class RunInfo:
    """One row of the ``run`` table."""

    run_id: int
    name: str | None
    target: str | None
    client: str | None
    settings: dict[str, Any]
    seed: int | None
    started_at: float
    ended_at: float | None
    status: str
    kit_version: str | None
    flows: int = 0


@dataclass
class FlowRecord:
    """What the runner knows about one flow when it ends (a FlowResult flattened for the log).

    Attributes mirror the ``flow`` table; ``events`` are ``(t, kind, status, error, detail)``.
    """

    outcome: str
    client_id: str | None = None
    mode: str | None = None
    template: str | None = None
    variant: str | None = None
    error: str | None = None
    error_description: str | None = None
    ended_at: float | None = None
    expires_in: float | None = None
    interval_s: float | None = None
    polls: int | None = None
    slow_downs: int | None = None
    ack_s: float | None = None
    decision_s: float | None = None
    decision_after_s: float | None = None
    decision_before_s: float | None = None
    tokens_s: float | None = None
    auth_req_id_hash: str | None = None
    true_outcome: str | None = None
    true_decision_s: float | None = None
    events: Sequence[tuple[float, str, int | None, str | None, str | None]] = ()


def _pid_alive(pid: int | None, host: str | None) -> bool:
    # A run written on another host cannot be checked; trust its status rather than kill it.
    if host is not None and host != socket.gethostname():
        return True
    if not pid:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    # A zombie still answers kill(0); it has finished writing all the same.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


class RunLog:
    """A run log file. Open it, start runs, record flows; many runs may share one file.

    Args:
        path: the SQLite file (created if missing), or ``":memory:"`` for a throwaway log.
        check_dead: mark runs whose writer process is gone as ``dead`` (their in-flight flows
            are already ``incomplete``). On by default.

    Example:
        >>> log = RunLog(":memory:")
        >>> run = log.start_run(target="http://127.0.0.1", client="demo-poll", seed=1)
        >>> fid = log.begin_flow(run, seq=0, user="alice", started_at=0.0)
        >>> log.finish_flow(fid, FlowRecord(outcome="approved"))
        >>> log.end_run(run)
    """

    def __init__(self, path: str | os.PathLike[str] = ":memory:", *, check_dead: bool = True) -> None:
        self.path = str(path)
        #: The run most recently started through this handle (what ``run_campaign`` wrote).
        self.run_id: int | None = None
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: the notebook may read while a campaign task writes; the lock
        # serialises use of the one connection.
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._lock = threading.RLock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process crash (only an OS crash may lose the last commits).
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.executescript(_SCHEMA)
        self._conn.execute(
            "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
        )
        if check_dead:
            self.mark_dead_runs()

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            try:
                self._conn.close()
            except sqlite3.ProgrammingError:
                pass

    def __enter__(self) -> "RunLog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RunLog({self.path!r})"

    @property
    def connection(self) -> sqlite3.Connection:
        """The underlying SQLite connection (for loaders and ad-hoc SQL)."""
        return self._conn

    # -- runs -----------------------------------------------------------------------------------
    def start_run(
        self,
        *,
        target: str | None = None,
        client: str | None = None,
        settings: Mapping[str, Any] | None = None,
        seed: int | None = None,
        name: str | None = None,
        started_at: float | None = None,
    ) -> int:
        """Insert a ``running`` run and return its id."""
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO run(name, target, client, settings, seed, started_at, status, kit_version, pid, host)"
                " VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)",
                (
                    name, target, client, json.dumps(dict(settings or {}), sort_keys=True, default=str), seed,
                    time.time() if started_at is None else started_at, kit_version(), os.getpid(),
                    socket.gethostname(),
                ),
            )
            self.run_id = int(cur.lastrowid)  # type: ignore[arg-type]
            return self.run_id

    def end_run(
        self, run_id: int, *, status: str = "finished", ended_at: float | None = None, snapshot: bool = True
    ) -> None:
        """Close a run with ``status`` (``finished`` or ``interrupted``).

        Args:
            snapshot: also store the run's flows as a columnar (Arrow IPC) snapshot, so loading a
                big closed run into pandas reads one blob instead of a million rows. The flow
                table stays the source of truth: any later change to the run's flows drops the
                snapshot, and a snapshot whose flow count disagrees with the table is ignored.
        """
        with self._lock:
            self._conn.execute(
                "UPDATE run SET status = ?, ended_at = ? WHERE run_id = ?",
                (status, time.time() if ended_at is None else ended_at, run_id),
            )
            if snapshot:
                self.write_snapshot(run_id)

    def write_snapshot(self, run_id: int) -> int:
        """Store (or replace) the columnar snapshot of one run's flows; return its flow count."""
        from .load import SNAPSHOT_FORMAT, flows_from_sql, snapshot_bytes

        with self._lock:
            df = flows_from_sql(self._conn, [run_id])
            self._conn.execute(
                "INSERT OR REPLACE INTO flow_snapshot(run_id, flows, format, data) VALUES (?, ?, ?, ?)",
                (run_id, len(df), SNAPSHOT_FORMAT, snapshot_bytes(df)),
            )
            return len(df)

    def mark_dead_runs(self) -> list[int]:
        """Mark ``running`` runs whose writer is gone as ``dead``; return their ids.

        Their unfinished flows are left (or set) ``incomplete``, with no end time.
        """
        with self._lock:
            rows = self._conn.execute("SELECT run_id, pid, host FROM run WHERE status = 'running'").fetchall()
            dead = [rid for rid, pid, host in rows if not _pid_alive(pid, host)]
            if dead:
                with self._tx():
                    for rid in dead:
                        self._conn.execute("UPDATE run SET status = 'dead' WHERE run_id = ?", (rid,))
                        self._conn.execute(
                            "UPDATE flow SET outcome = 'incomplete' WHERE run_id = ? AND ended_at IS NULL",
                            (rid,),
                        )
            return dead

    def runs(self) -> list[RunInfo]:
        """Every run in the file, oldest first, with its flow count."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT r.run_id, r.name, r.target, r.client, r.settings, r.seed, r.started_at, r.ended_at,"
                " r.status, r.kit_version, (SELECT COUNT(*) FROM flow f WHERE f.run_id = r.run_id)"
                " FROM run r ORDER BY r.run_id"
            ).fetchall()
        return [
            RunInfo(r[0], r[1], r[2], r[3], json.loads(r[4] or "{}"), r[5], r[6], r[7], r[8], r[9], r[10])
            for r in rows
        ]

    def run(self, run_id: int) -> RunInfo:
        """One run by id (KeyError if absent)."""
        for info in self.runs():
            if info.run_id == run_id:
                return info
        raise KeyError(run_id)

    @property
    def last_run_id(self) -> int | None:
        """The newest run's id, or None for an empty log."""
        with self._lock:
            row = self._conn.execute("SELECT MAX(run_id) FROM run").fetchone()
        return None if row[0] is None else int(row[0])

    # -- flows ----------------------------------------------------------------------------------
    def begin_flow(
        self,
        run_id: int,
        *,
        seq: int,
        user: str | None,
        started_at: float,
        group: str | None = None,
        persona: str | None = None,
        client_id: str | None = None,
        mode: str | None = None,
        variant: str | None = None,
    ) -> int:
        """Insert (and commit) an ``incomplete`` flow row; return its id."""
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO flow(run_id, seq, user, grp, persona, client_id, mode, variant, outcome, started_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'incomplete', ?)",
                (run_id, seq, user, group, persona, client_id, mode, variant, started_at),
            )
            return int(cur.lastrowid)  # type: ignore[arg-type]

    def finish_flow(self, flow_id: int, record: FlowRecord) -> None:
        """Record how a flow ended, with all its events, in one committed transaction."""
        if record.outcome not in _OUTCOMES:
            raise ValueError(f"unknown outcome {record.outcome!r}")
        values = [getattr(record, c) for c in _FINISH_COLUMNS]
        assignments = ", ".join(f"{c} = COALESCE(?, {c})" for c in _FINISH_COLUMNS)
        with self._lock, self._tx():
            self._conn.execute(f"UPDATE flow SET {assignments} WHERE flow_id = ?", (*values, flow_id))
            self._conn.execute(
                "DELETE FROM flow_snapshot WHERE run_id = (SELECT run_id FROM flow WHERE flow_id = ?)", (flow_id,)
            )
            if record.events:
                run_id = self._conn.execute("SELECT run_id FROM flow WHERE flow_id = ?", (flow_id,)).fetchone()[0]
                self._conn.execute("DELETE FROM event WHERE flow_id = ?", (flow_id,))
                self._conn.executemany(
                    "INSERT INTO event(flow_id, run_id, idx, t, kind, status, error, detail)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(flow_id, run_id, i, *ev) for i, ev in enumerate(record.events)],
                )

    def set_truth(self, rows: Iterable[tuple[int, str | None, float | None]]) -> None:
        """Attach ground truth ``(flow_id, true_outcome, true_decision_s)`` to finished flows."""
        rows = list(rows)
        with self._lock, self._tx():
            self._conn.executemany(
                "UPDATE flow SET true_outcome = ?, true_decision_s = ? WHERE flow_id = ?",
                [(o, d, fid) for fid, o, d in rows],
            )
            self._conn.executemany(
                "DELETE FROM flow_snapshot WHERE run_id = (SELECT run_id FROM flow WHERE flow_id = ?)",
                [(fid,) for fid, _, _ in rows[:1]],
            )

    def count(self, run_id: int | None = None) -> dict[str, int]:
        """Flow counts by outcome (of one run, or of the whole file)."""
        sql = "SELECT outcome, COUNT(*) FROM flow"
        args: tuple[Any, ...] = ()
        if run_id is not None:
            sql += " WHERE run_id = ?"
            args = (run_id,)
        with self._lock:
            return dict(self._conn.execute(sql + " GROUP BY outcome", args).fetchall())

    # -- pandas -------------------------------------------------------------------------------
    def flows(self, run_id: int | None = None, *, all_runs: bool = False) -> Any:
        """This handle's run (or ``run_id``, or every run) as a flows DataFrame."""
        from .load import load_flows

        return load_flows(self, run_id=None if all_runs else (run_id if run_id is not None else self.run_id))

    def events(self, run_id: int | None = None, *, all_runs: bool = False) -> Any:
        """This handle's run (or ``run_id``, or every run) as an events DataFrame."""
        from .load import load_events

        return load_events(self, run_id=None if all_runs else (run_id if run_id is not None else self.run_id))

    # -- helpers --------------------------------------------------------------------------------
    class _Tx:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        def __enter__(self) -> None:
            self.conn.execute("BEGIN IMMEDIATE")

        def __exit__(self, exc_type: object, *rest: object) -> None:
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")

    def _tx(self) -> "RunLog._Tx":
        return RunLog._Tx(self._conn)
