"""Analysis of a 1,000,000-flow run log: generate, load into pandas, every statistic, every chart.

    python bench/bench_analysis.py [--flows 1000000] [--fit-sample 20000] [--keep FILE]

Prints the time of each step. Generation (numpy + executemany into SQLite) is reported apart
from the analysis proper (load + statistics + charts), whose total is the figure to watch
(target: under 5 s on the project's 2-core machine). The censoring-aware decision-time fit
runs on a seeded subsample (``--fit-sample``, default 5,000 flows): the fit's cost grows with
the flows it sees, its precision barely improves past a few thousand. Events are written for the
first ``--events`` flows (default 20,000) and the swimlane loads the events of its 15 flows only.
``load_flows`` reads the closed run's columnar snapshot (Parquet blob in the same SQLite file,
written by ``RunLog.end_run``); ``--sql`` also times the row-by-row path over the flow table.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ciba_kit import analysis as A  # noqa: E402
from ciba_kit.analysis import plots  # noqa: E402
from ciba_kit.runs import RunLog, load_events, load_flows  # noqa: E402
from ciba_kit.runs.synthetic import synthesize  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", type=int, default=1_000_000)
    ap.add_argument("--fit-sample", type=int, default=5_000)
    ap.add_argument("--events", type=int, default=20_000, help="flows that get event rows (the first N)")
    ap.add_argument("--sql", action="store_true", help="also time loading row by row (slow)")
    ap.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--keep", help="write the log here instead of a temporary file")
    ns = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    db = Path(ns.keep) if ns.keep else Path(tmp.name) / "bench.db"
    if db.exists():
        os.remove(db)

    if ns.generate_only:
        synthesize(db, ns.flows, seed=1, events=ns.events).close()
        return
    t0 = time.perf_counter()
    # Generate in a child process so the analysis below starts with a clean heap (and its peak
    # memory is its own).
    subprocess.run([sys.executable, __file__, "--generate-only", "--keep", str(db), "--flows", str(ns.flows),
                    "--events", str(ns.events)], check=True)
    gen = time.perf_counter() - t0
    size_mb = db.stat().st_size / 1e6
    print(f"generate {ns.flows:,} flows (events for the first {ns.events:,}) into SQLite, incl. the run's"
          f" columnar snapshot: {gen:6.2f} s  ({size_mb:,.0f} MB)")

    steps: list[tuple[str, float]] = []

    def step(name: str, fn):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        out = fn()
        steps.append((name, time.perf_counter() - t))
        return out

    log = RunLog(db, check_dead=False)
    flows = step("load_flows -> pandas (columnar snapshot)", lambda: load_flows(log))
    if ns.sql:
        t = time.perf_counter()
        load_flows(log, snapshot=False)
        print(f"(load_flows row by row from the flow table, not counted: {time.perf_counter() - t:.2f} s)")
    step("approval_rate overall", lambda: A.approval_rate(flows))
    step("approval_rate by client/group/persona/mode/variant/hour",
         lambda: [A.approval_rate(flows, by=c) for c in ("client", "group", "persona", "mode", "variant", "hour")])
    step("outcome_counts + error_counts", lambda: (A.outcome_counts(flows), A.error_counts(flows),
                                                   A.outcome_counts(flows, by="group")))
    step("latency p50/p90/p99 (ack/decision/tokens x outcome, group)",
         lambda: [A.latency(flows, m, by=b) for m in ("ack", "decision", "tokens") for b in ("outcome", "group")])
    step("polls_per_flow", lambda: A.polls_per_flow(flows))
    fit = step(f"decision_time_fit (lognormal, by persona, subsample {ns.fit_sample:,})",
               lambda: A.decision_time_fit(flows, by="persona", max_flows=ns.fit_sample))
    step("compare_variants (z, Fisher, Mann-Whitney, KS)", lambda: A.compare_variants(flows, "variant"))
    sample = flows[flows["seq"] < ns.events].sample(n=15, random_state=0)["flow_id"].tolist()
    events = step("load_events for the swimlane sample", lambda: load_events(log, flow_ids=sample))

    chart_calls = {
        "latency_cdf": lambda: plots.latency_cdf(flows, "decision", fit=fit),
        "latency_histogram": lambda: plots.latency_histogram(flows, "decision"),
        "approval_over_time": lambda: plots.approval_over_time(flows),
        "outcome_shares": lambda: plots.outcome_shares(flows, by="group"),
        "polls_per_flow": lambda: plots.polls_per_flow(flows),
        "swimlane": lambda: plots.swimlane(flows, events, flow_ids=sample),
    }
    for name, make in chart_calls.items():
        # Rendering is part of the cost: each chart is drawn to PNG.
        step(f"chart {name} (build + render PNG)", lambda make=make: make().savefig(os.devnull, format="png"))
    log.close()

    width = max(len(n) for n, _ in steps)
    for name, secs in steps:
        print(f"  {name:<{width}}  {secs:6.2f} s")
    total = sum(s for _, s in steps)
    print(f"analysis total (load + statistics + charts): {total:.2f} s   [target < 5 s]")
    print(f"fit: median {fit.median_s:.2f} s vs naive {fit.naive_median_s:.2f} s, n={fit.n:,} of {fit.n_total:,}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (ru_maxrss): {peak:,.0f} MB")


if __name__ == "__main__":
    main()
