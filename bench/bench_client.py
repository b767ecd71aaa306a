"""Client benchmarks: CPU per poll, thousands of pending flows, and a peer comparison.

    python bench/bench_client.py                 # everything (about 3 minutes on 2 cores)
    python bench/bench_client.py --only cpu      # cpu | scale | peer
    python bench/bench_client.py --flows 10000 --window 30

The simulator runs in a separate process (started with a tiny inline script), so the client's
CPU (``time.process_time`` in this process) is measured alone. Figures are printed, never asserted.

1. ``cpu``: 1,000 concurrent pending flows (manual user ``frank``), interval 5 s: client CPU per
   poll over a steady window, for the httpx-aiohttp transport (default) and httpx's own transport.
2. ``scale``: N (default 10,000) concurrent pending flows, interval 5 s, in this one process:
   poll lag (actual send - earliest allowed send) p50/p99/max, CPU per poll, memory (RSS) per flow;
   once with CPython's default GC thresholds and once with a larger young generation
   (``gc.set_threshold(50000, 20, 100)``): with 10,000 long-lived flows and ~2,000 requests/s
   in flight, the default thresholds promote in-flight garbage and run full collections that eat
   about half the process's time. The setting is the application's (process-wide) decision.
3. ``peer``: CPU per completed flow (user ``alice``, approves after ~2 s, interval 2 s), ciba_kit
   vs requests-oauth2client's ``BackChannelAuthenticationPollingJob``, same simulator, one run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ciba_kit.client import CibaClient, ClientSecretBasic  # noqa: E402

__all__ = ["main", "pending_flows", "SimProcess"]

SIM_CONFIG = {
    # frank never answers in the bench: keep his requests pending until the transaction lifetime
    # (120 s) instead of failing at the PingOne push timeout (40 s), so every flow polls all along.
    "settings": {"push_timeout_result": "pending"},
    "clients": [
        {"clientId": "bench-poll", "name": "Bench", "grantTypes": ["CIBA"],
         "clientAuth": {"type": "SECRET", "secret": "bench-secret"}, "cibaDeliveryMode": "POLL",
         "cibaPollingInterval": 5, "requestPolicyRef": {"id": "demo-ciba-policy"}},
    ],
}
SIM_SCRIPT = """
import json, sys
from ciba_kit.simulator import Simulator
sim = Simulator.start(json.loads(sys.argv[1]), port=0, seed=1)
print(sim.issuer, flush=True)
sys.stdin.read()
sim.stop()
"""


class SimProcess:
    """The simulator in a child process; ``issuer`` once it listens; stops when stdin closes."""

    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen([sys.executable, "-c", SIM_SCRIPT, json.dumps(SIM_CONFIG)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=root)
        assert self.proc.stdout is not None
        self.issuer = self.proc.stdout.readline().strip()
        if not self.issuer.startswith("http"):
            raise SystemExit(f"simulator did not start: {self.issuer!r}")

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.proc.pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


async def pending_flows(issuer: str, n: int, window: float, transport: str, *, ramp: float = 5.0,
                        warmup: float = 6.0, gc_mode: str = "default") -> dict[str, float]:
    """Start ``n`` flows for frank (spread over ``ramp`` s), poll for ``warmup + window`` s, cancel."""
    client = CibaClient.discover(issuer, "bench-poll", auth=ClientSecretBasic("bench-secret"), transport=transport,
                                 max_connections=200)
    gc.collect()
    rss0 = rss_mb()
    reqs = []
    tasks = []
    sem = asyncio.Semaphore(200)

    async def one(i: int) -> None:
        await asyncio.sleep(ramp * i / n)
        async with sem:
            req = await client.start(login_hint="frank", binding_message=f"B{i % 1000}")
        reqs.append(req)
        await client.wait(req)

    t_start = time.monotonic()
    gc_time = [0.0, 0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            gc_time[1] = time.perf_counter()
        else:
            gc_time[0] += time.perf_counter() - gc_time[1]
    gc.callbacks.append(on_gc)
    if gc_mode == "tuned":
        # Long-lived flows + a high rate of short-lived in-flight objects make CPython promote
        # garbage to the oldest generation and run ever larger full collections; a bigger young
        # generation lets that garbage die young (a process-wide setting, the application's call).
        old_threshold = gc.get_threshold()
        gc.set_threshold(50_000, 20, 100)
    tasks = [asyncio.ensure_future(one(i)) for i in range(n)]
    await asyncio.sleep(ramp + warmup)
    gc0 = gc_time[0]
    started = len(reqs)
    polls0 = sum(r.schedule.polls for r in reqs)
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = time.process_time()
    w0 = time.monotonic()
    await asyncio.sleep(window)
    cpu1 = time.process_time()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    w1 = time.monotonic()
    polls1 = sum(r.schedule.polls for r in reqs)
    rss1 = rss_mb()
    still_pending = sum(1 for t in tasks if not t.done())
    ended = [t for t in tasks if t.done() and not t.cancelled()]
    errors = {}
    for t in ended:
        exc = t.exception()
        key = type(exc).__name__ if exc else "finished"
        errors[key] = errors.get(key, 0) + 1
    gc_window = gc_time[0] - gc0
    gc.callbacks.remove(on_gc)
    if gc_mode == "tuned":
        gc.set_threshold(*old_threshold)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await client.aclose()
    # poll lag: actual send minus earliest allowed send (previous send + interval)
    lags: list[float] = []
    gaps: list[float] = []  # send - (previous send + interval): what the spec's minimum would allow
    rtts: list[float] = []
    slow_downs = 0
    for r in reqs:
        prev = None
        answer = None
        interval = 5.0
        for e in r.recorder.events:  # (materialised once here, after the run)
            if e.kind == "poll_response" and prev is not None:
                if w0 - r.recorder.t0 <= e.t <= w1 - r.recorder.t0:
                    rtts.append(e.t - prev)
                answer = e.t
            if e.kind == "request":
                prev = e.t
            elif e.kind == "poll" and prev is not None:
                if w0 - r.recorder.t0 <= e.t <= w1 - r.recorder.t0:
                    # earliest allowed send: `interval` after the previous answer (the client's anchor)
                    lags.append(e.t - ((answer if answer is not None else prev) + interval))
                    gaps.append(e.t - (prev + interval))
                prev = e.t
            elif e.error == "slow_down":
                interval += 5.0
                slow_downs += 1
    polls = polls1 - polls0
    return {"flows": n, "started": started, "still_pending": still_pending, "ended": errors, "slow_downs": slow_downs, "gc_s_in_window": gc_window, "polls_in_window": polls, "window_s": w1 - w0,
            "polls_per_s": polls / (w1 - w0), "cpu_ms_per_poll": 1000 * (cpu1 - cpu0) / max(polls, 1),
            "cpu_util": (cpu1 - cpu0) / (w1 - w0),
            "user_ms_per_poll": 1000 * (ru1.ru_utime - ru0.ru_utime) / max(polls, 1),
            "sys_ms_per_poll": 1000 * (ru1.ru_stime - ru0.ru_stime) / max(polls, 1), "lag_p50_ms": 1000 * pct(lags, 50),
            "lag_p99_ms": 1000 * pct(lags, 99), "rtt_p50_ms": 1000 * pct(rtts, 50),
            "rtt_p99_ms": 1000 * pct(rtts, 99), "gap_p50_ms": 1000 * pct(gaps, 50),
            "gap_p99_ms": 1000 * pct(gaps, 99), "lag_max_ms": 1000 * max(lags or [float("nan")]),
            "rss_mb_before": rss0, "rss_mb_with_flows": rss1, "kb_per_flow": 1024 * (rss1 - rss0) / max(started, 1),
            "elapsed_s": time.monotonic() - t_start}


def run_async(coro, uvloop: bool):
    if uvloop:
        import uvloop as _uv

        return _uv.run(coro)
    return asyncio.run(coro)


async def ours_completed(issuer: str, k: int, concurrency: int, transport: str) -> tuple[float, int, float]:
    client = CibaClient.discover(issuer, "demo-poll", auth=ClientSecretBasic("demo-poll-secret"), transport=transport)
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int):
        async with sem:
            return await client.authenticate(login_hint="alice", binding_message=f"P{i}")
    # warm the connection pool and code paths
    await client.authenticate(login_hint="alice")
    cpu0 = time.process_time()
    t0 = time.monotonic()
    flows = await asyncio.gather(*[one(i) for i in range(k)])
    cpu = time.process_time() - cpu0
    wall = time.monotonic() - t0
    await client.aclose()
    ok = sum(f.approved for f in flows)
    polls = sum(f.polls for f in flows)
    return cpu, ok, polls / max(ok, 1) if wall else 0.0


def peer_completed(issuer: str, k: int, concurrency: int) -> tuple[float, int, float]:
    import requests
    from requests_oauth2client import BackChannelAuthenticationPollingJob, OAuth2Client

    meta = requests.get(issuer + "/.well-known/openid-configuration", timeout=10).json()
    local = threading.local()

    def client() -> OAuth2Client:
        if not hasattr(local, "c"):
            local.c = OAuth2Client(token_endpoint=meta["token_endpoint"],
                                   backchannel_authentication_endpoint=meta["backchannel_authentication_endpoint"],
                                   auth=("demo-poll", "demo-poll-secret"), testing=True)  # allows http:// loopback
        return local.c

    def one(i: int) -> tuple[bool, int]:
        c = client()
        resp = c.backchannel_authentication_request(login_hint="alice", scope="openid", binding_message=f"P{i}")
        job = BackChannelAuthenticationPollingJob(c, resp)
        polls = 0
        token = None
        while token is None:
            polls += 1
            try:
                token = job()
            except Exception:  # noqa: BLE001 - denied/expired ends the flow
                return False, polls
        return True, polls

    one(-1)
    cpu0 = time.process_time()
    with ThreadPoolExecutor(concurrency) as ex:
        res = list(ex.map(one, range(k)))
    cpu = time.process_time() - cpu0
    ok = sum(1 for a, _ in res if a)
    return cpu, ok, sum(p for _, p in res) / max(ok, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=["cpu", "scale", "peer"])
    ap.add_argument("--flows", type=int, default=10_000)
    ap.add_argument("--window", type=float, default=20.0)
    ap.add_argument("--peer-flows", type=int, default=200)
    ap.add_argument("--no-uvloop", action="store_true", help="use asyncio's default loop in the client")
    a = ap.parse_args()
    uv = not a.no_uvloop
    sim = SimProcess()
    print(f"simulator (separate process): {sim.issuer}; client loop: {'uvloop' if uv else 'asyncio'}; "
          f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    try:
        if a.only in (None, "cpu"):
            print("\n== CPU per poll, 1,000 concurrent pending flows, interval 5 s ==")
            for transport in ("aiohttp", "httpx"):
                s0 = sim.cpu_seconds()
                r = run_async(pending_flows(sim.issuer, 1000, a.window, transport), uv)
                print(f"  transport={transport:8s} {r['cpu_ms_per_poll']:.3f} ms CPU/poll  "
                      f"({r['polls_in_window']} polls in {r['window_s']:.1f} s, {r['polls_per_s']:.0f}/s, "
                      f"user {r['user_ms_per_poll']:.3f} + sys {r['sys_ms_per_poll']:.3f}; "
                      f"client CPU {100 * r['cpu_util']:.0f}%, lag p99 {r['lag_p99_ms']:.1f} ms; "
                      f"simulator CPU {sim.cpu_seconds() - s0:.1f} s)")
        if a.only in (None, "scale"):
            for gc_mode in ("default", "tuned"):
                label = "default GC" if gc_mode == "default" else "gc.set_threshold(50000, 20, 100)"
                print(f"\n== {a.flows:,} concurrent pending flows in one process, interval 5 s, {label} ==")
                s0 = sim.cpu_seconds()
                r = run_async(pending_flows(sim.issuer, a.flows, a.window, "aiohttp", ramp=20.0, warmup=15.0,
                                            gc_mode=gc_mode), uv)
                print(f"  started {r['started']:,} flows; {r['polls_in_window']:,} polls in {r['window_s']:.1f} s "
                      f"({r['polls_per_s']:.0f}/s); simulator process CPU {sim.cpu_seconds() - s0:.1f} s "
                      f"over {r['elapsed_s']:.0f} s; slow_down answers {r['slow_downs']}; still pending at the end "
                      f"{r['still_pending']:,}, ended early {r['ended'] or 0}")
                print(f"  poll lag p50 {r['lag_p50_ms']:.1f} ms, p99 {r['lag_p99_ms']:.1f} ms, max {r['lag_max_ms']:.1f} ms"
                      f" (lag = send - (previous answer + interval), the client's own schedule)")
                print(f"  send-to-send excess over the interval p50 {r['gap_p50_ms']:.1f} ms, p99 {r['gap_p99_ms']:.1f} ms; "
                      f"round trip p50 {r['rtt_p50_ms']:.1f} ms, p99 {r['rtt_p99_ms']:.1f} ms")
                print(f"  client CPU {r['cpu_ms_per_poll']:.3f} ms/poll ({100 * r['cpu_util']:.0f}% of one core), "
                      f"of which garbage collection {r['gc_s_in_window']:.2f} s in the window")
                if gc_mode == "default":  # the second run reuses memory the first one freed
                    print(f"  memory RSS {r['rss_mb_before']:.0f} MB -> {r['rss_mb_with_flows']:.0f} MB "
                          f"({r['kb_per_flow']:.1f} KB per pending flow incl. its timeline)")
        if a.only in (None, "peer"):
            k = a.peer_flows
            print(f"\n== CPU per completed flow (alice, interval 2 s), {k} flows each, 20 at a time ==")
            cpu_o, ok_o, ppf_o = run_async(ours_completed(sim.issuer, k, 20, "aiohttp"), uv)
            cpu_p, ok_p, ppf_p = peer_completed(sim.issuer, k, 20)
            o = 1000 * cpu_o / max(ok_o, 1)
            p = 1000 * cpu_p / max(ok_p, 1)
            print(f"  ciba_kit (httpx-aiohttp, ID token verified): {o:.2f} ms CPU/flow "
                  f"({ok_o}/{k} approved, {ppf_o:.2f} polls/flow)")
            print(f"  requests-oauth2client PollingJob (no ID token check): {p:.2f} ms CPU/flow "
                  f"({ok_p}/{k} approved, {ppf_p:.2f} polls/flow)")
            print(f"  ratio peer/ciba_kit: {p / o:.2f}x")
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
