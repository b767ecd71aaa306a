"""Simulator throughput: requests/s and server CPU per request for a realistic CIBA mix.

The simulator runs in its own process (as ``ciba-kit simulate`` would); the load comes from a
SEPARATE process on loopback: a minimal asyncio HTTP/1.1 keep-alive client (one connection per
flow), because aiohttp/httpx would spend more CPU per request than the server and measure
themselves instead. Each simulated flow sends one
backchannel request, polls the token endpoint while the answer is pending (a bench client with
``cibaPollingInterval`` 0, so the polls are pending answers rather than slow_down) and redeems the
tokens once its persona approved (~150 ms). Server CPU is read from ``/proc/<pid>/stat``
(utime + stime) before and after the measured window.

Usage:
    /tmp/venv/bin/python bench/bench_simulator.py [--seconds 10] [--concurrency 128] [--loaders 2]

Prints one block of figures; never asserts. Target: >= 3,300 req/s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_CONFIG = {
    "clients": [{"clientId": "bench", "name": "Bench Client", "grantTypes": ["CIBA"],
                 "clientAuth": {"type": "SECRET", "secret": "bench-secret"}, "cibaDeliveryMode": "POLL",
                 "cibaPollingInterval": 0, "requestPolicyRef": {"id": "demo-ciba-policy"}}],
    "users": [{"username": f"b{i}", "persona": {"approve": 1, "latency_median_s": 0.15, "latency_sigma": 0.3}}
              for i in range(100)],
}
AUTH = "Basic " + base64.b64encode(b"bench:bench-secret").decode()
HEADERS = {"Authorization": AUTH, "Content-Type": "application/x-www-form-urlencoded"}


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process from /proc (no psutil needed)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(port_file: str) -> None:
    """Server process: the simulator in the foreground (uvloop + httptools)."""
    sys.path.insert(0, str(ROOT))
    from ciba_kit.simulator import Simulator

    sim = Simulator.create(BENCH_CONFIG, port=0, seed=1)
    Path(port_file).write_text(sim.issuer)
    sim.serve_forever()


class _Conn:
    """A minimal HTTP/1.1 keep-alive client connection (so the load generator is cheap)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        data = body.encode()
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: {AUTH}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(data)}\r\n\r\n".encode()
            + data)
        head = await self.reader.readuntil(b"\r\n\r\n")  # type: ignore[union-attr]
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)  # type: ignore[union-attr]


async def _flows(issuer: str, seconds: float, concurrency: int, offset: int) -> dict:
    counts = {"backchannel": 0, "pending_poll": 0, "redeem": 0, "other": 0}
    latencies: list[float] = []
    stop_at = time.monotonic() + seconds
    host, port = issuer.split("//", 1)[1].rsplit(":", 1)

    async def flow_loop(n: int) -> None:
        conn = _Conn(host, int(port))
        i = 0
        while time.monotonic() < stop_at:
            user = f"b{(n * 7 + i + offset) % 100}"
            i += 1
            t0 = time.perf_counter()
            status, body = await conn.post("/as/bc-auth.ciba", f"scope=openid&login_hint={user}&binding_message=B{n}")
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                counts["other"] += 1
                continue
            counts["backchannel"] += 1
            rid = json.loads(body)["auth_req_id"]
            form = f"grant_type=urn%3Aopenid%3Aparams%3Agrant-type%3Aciba&auth_req_id={rid}"
            while True:
                await asyncio.sleep(0.01)  # a client that polls often, still not a hot loop
                t0 = time.perf_counter()
                status, body = await conn.post("/as/token.oauth2", form)
                latencies.append(time.perf_counter() - t0)
                if status == 200:
                    counts["redeem"] += 1
                    break
                if json.loads(body).get("error") == "authorization_pending":
                    counts["pending_poll"] += 1
                    if time.monotonic() > stop_at + 5:
                        break
                    continue
                counts["other"] += 1
                break
        if conn.writer is not None:
            conn.writer.close()

    await asyncio.gather(*[flow_loop(n) for n in range(concurrency)])
    return {"counts": counts, "latencies": latencies}


def load(issuer: str, seconds: float, concurrency: int, offset: int, q: "mp.Queue") -> None:
    """Load process: ``concurrency`` flows on keep-alive connections."""
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    q.put(asyncio.run(_flows(issuer, seconds, concurrency, offset)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="measured window (real seconds)")
    ap.add_argument("--concurrency", type=int, default=128, help="concurrent flows per load process")
    ap.add_argument("--loaders", type=int, default=2, help="load-generating processes")
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve)
        return
    port_file = f"/tmp/ciba-kit-bench-{os.getpid()}.url"
    server = subprocess.Popen([sys.executable, __file__, "--serve", port_file], cwd=ROOT)
    try:
        deadline = time.monotonic() + 20
        while not Path(port_file).exists() or not Path(port_file).read_text():
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("simulator did not start")
            time.sleep(0.05)
        issuer = Path(port_file).read_text()
        time.sleep(0.5)
        # warm-up (JIT-free Python still warms caches, the connection pool and the httpx ping client)
        q: mp.Queue = mp.Queue()
        warm = mp.Process(target=load, args=(issuer, 1.0, 8, 0, q))
        warm.start()
        q.get()
        warm.join()
        cpu0, t0 = cpu_seconds(server.pid), time.perf_counter()
        procs = [mp.Process(target=load, args=(issuer, args.seconds, args.concurrency, k * 13, q))
                 for k in range(args.loaders)]
        for p in procs:
            p.start()
        results = [q.get() for _ in procs]
        for p in procs:
            p.join()
        wall = time.perf_counter() - t0
        cpu = cpu_seconds(server.pid) - cpu0
    finally:
        server.terminate()
        server.wait(10)
        Path(port_file).unlink(missing_ok=True)
    counts = {k: sum(r["counts"][k] for r in results) for k in results[0]["counts"]}
    lat = sorted(x for r in results for x in r["latencies"])
    total = sum(counts.values())
    q99 = lat[int(len(lat) * 0.99)] if lat else float("nan")
    print("ciba_kit simulator benchmark")
    print(f"  machine           {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"  load              {args.loaders} process(es) x {args.concurrency} concurrent flows, "
          f"{wall:.1f} s window")
    print(f"  requests          {total}  (backchannel {counts['backchannel']}, pending polls "
          f"{counts['pending_poll']}, redemptions {counts['redeem']}, other {counts['other']})")
    print(f"  throughput        {total / wall:,.0f} req/s")
    print(f"  server CPU        {cpu * 1000 / max(total, 1):.3f} ms/request "
          f"({cpu / wall * 100:.0f}% of one core)")
    print(f"  client latency    p50 {statistics.median(lat) * 1000:.2f} ms, p99 {q99 * 1000:.2f} ms")
    print(f"  CPU-bound ceiling {max(total, 1) / max(cpu, 1e-9):,.0f} req/s per server core")


if __name__ == "__main__":
    main()
