"""A campaign of 10,000 flows at concurrency 1,000 against the simulator in a separate process.

    python bench/bench_campaign.py [--flows 10000] [--concurrency 1000] [--speed 5] [--users 2000]

The simulator runs in its own process (so the client's CPU and memory are measured alone), on a
``ScaledClock(--speed)``; the client uses a ScaledClock with the same factor, so a 2 s poll
interval is 0.4 s of real time at speed 5. Users are generated approvers whose answer takes
about 2 clock-seconds (log-normal, sigma 0.3): the bench measures the kit, not the personas.
Every flow is written to a run log (SQLite, WAL, one commit per finished flow) as in a real
campaign.

Prints: flows per second (real time), client CPU per flow (user + system time of this process
divided by flows), peak memory of this process (``resource.getrusage`` ru_maxrss), outcome
counts, and how far the server's queueing stretched the acknowledgement latency.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ciba_kit.client import CibaClient, ClientSecretBasic  # noqa: E402
from ciba_kit.protocol.clock import ScaledClock  # noqa: E402
from ciba_kit.runs import PersonaSpec, Population, RunLog, run_campaign  # noqa: E402

BENCH_PERSONA = PersonaSpec("bench", approve=1.0, latency_median_s=2.0, latency_sigma=0.3)

_SERVER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from ciba_kit.protocol.clock import ScaledClock
    from ciba_kit.runs import PersonaSpec, Population
    from ciba_kit.simulator import Simulator
    persona = PersonaSpec("bench", approve=1.0, latency_median_s=2.0, latency_sigma=0.3)
    sim = Simulator.start(seed=1, clock=ScaledClock({speed}))
    Population.generate({users}, mix={{"bench": 1.0}}, personas={{"bench": persona}}, prefix="b").install(sim)
    print(sim.issuer, flush=True)
    sys.stdin.read()  # run until the parent closes our stdin
    sim.stop()
    """
)


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


async def _bench(issuer: str, ns: argparse.Namespace, db: Path) -> tuple[RunLog, float, float]:
    clock = ScaledClock(ns.speed)
    client = CibaClient.discover(issuer, "demo-poll", auth=ClientSecretBasic("demo-poll-secret"), clock=clock,
                                 max_connections=ns.concurrency, timeout=60.0)
    pop = Population.generate(ns.users, mix={"bench": 1.0}, personas={"bench": BENCH_PERSONA}, prefix="b")
    cpu0, t0 = _cpu(), time.perf_counter()
    log = await run_campaign(client, pop, flows=ns.flows, concurrency=ns.concurrency, seed=1, db=str(db),
                             progress=False, name="bench")
    wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
    await client.aclose()
    return log, wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", type=int, default=10_000)
    ap.add_argument("--concurrency", type=int, default=1_000)
    ap.add_argument("--speed", type=float, default=5.0, help="ScaledClock factor shared by simulator and client")
    ap.add_argument("--users", type=int, default=2_000)
    ns = ap.parse_args()

    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER.format(root=str(ROOT), speed=ns.speed, users=ns.users)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert server.stdout is not None
        issuer = server.stdout.readline().strip()
        if not issuer.startswith("http"):
            raise SystemExit(f"simulator did not start (got {issuer!r})")
        with tempfile.TemporaryDirectory() as tmp:
            log, wall, cpu = asyncio.run(_bench(issuer, ns, Path(tmp) / "bench.db"))
            flows = log.flows()
            counts = log.count(log.run_id)
            log.close()
    finally:
        if server.stdin:
            server.stdin.close()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"campaign: {ns.flows:,} flows, concurrency {ns.concurrency:,}, simulator in a separate process,"
          f" ScaledClock({ns.speed:g}) on both sides, {ns.users:,} users (~2 clock-s approvers)")
    print(f"  wall time             {wall:8.2f} s")
    print(f"  flows per second      {ns.flows / wall:8.1f}")
    print(f"  client CPU per flow   {cpu / ns.flows * 1e3:8.2f} ms  (user+sys of the client process)")
    print(f"  client peak memory    {peak_mb:8.0f} MB  (ru_maxrss)")
    print(f"  outcomes              {dict(sorted(counts.items()))}")
    ack = flows["ack_s"].dropna()
    polls = flows["polls"].dropna()
    print(f"  ack latency p50/p99   {ack.quantile(0.5):.2f} / {ack.quantile(0.99):.2f} clock-s"
          f"  (= {ack.quantile(0.5) / ns.speed * 1e3:.0f} / {ack.quantile(0.99) / ns.speed * 1e3:.0f} ms real)")
    print(f"  polls per flow        mean {polls.mean():.2f}, max {int(polls.max())}")
    print(f"  cpu count             {os.cpu_count()}")


if __name__ == "__main__":
    main()
