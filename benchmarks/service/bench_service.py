#!/usr/bin/env python
"""Load test of the HTTP service (a script, not a timed test).

    .venv/bin/python benchmarks/service/bench_service.py [--kb URL] [--workers 2]

Starts ``advisor serve`` as a subprocess on a free loopback port (on a fresh temporary SQLite
knowledge base seeded with the synthetic trials of ``tests/ranker_helpers.py``, unless
``--kb`` names one), then measures:

1. ``POST /v1/suggest`` from meta-features at concurrency 8: median and 99th-percentile
   latency and throughput, for repeated requests (answered from the advice cache) and for
   distinct requests (every one computed by ``Advisor.suggest``);
2. 32 concurrent clients each contributing 500 trials in batches, then re-sending 5% of them:
   the knowledge base must end with exactly 16,000 more trials and no request may fail.

Clients are threads of this process (httpx, keep-alive), so on a small machine they compete
with the server for the CPU; the figures are end-to-end, as a client sees them.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed_kb(directory: Path) -> str:
    from knowledge_base import KnowledgeBase
    from tests.ranker_helpers import records

    url = f"sqlite:///{directory / 'kb.sqlite'}"
    with KnowledgeBase(url) as kb:
        kb.contribute(records())
    return url


def _start(
    url: str, workers: int, env: dict[str, str], extra: tuple[str, ...] = ()
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    cmd = [
        sys.executable,
        "-c",
        "from advisor.cli import main; main()",
        "serve",
        "--kb",
        url,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        *extra,
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"advisor serve exited with code {proc.returncode}")
        try:
            if httpx.get(f"{base}/v1/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("advisor serve did not start")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[idx]


def _run_concurrently(
    n_requests: int,
    concurrency: int,
    make: Callable[[httpx.Client, int], httpx.Response],
    base: str,
    headers: dict[str, str],
) -> tuple[list[float], float, int]:
    """Latencies (s), wall time (s) and failures of ``n_requests`` spread over threads."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    counter = iter(range(n_requests))

    def worker() -> None:
        nonlocal failures
        with httpx.Client(base_url=base, headers=headers, timeout=300) as client:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                started = time.perf_counter()
                r = make(client, i)
                took = time.perf_counter() - started
                with lock:
                    latencies.append(took)
                    failures += r.status_code != 200

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - started, failures


def bench_suggest(
    base: str,
    headers: dict[str, str],
    repeated: int,
    distinct: int,
    concurrency: int,
    settle: float = 0.0,
) -> None:
    from tests.ranker_helpers import synthetic_datasets

    infos = [info for info, _ in synthetic_datasets()]
    body0 = orjson.dumps(
        {"meta_features": infos[0]["meta_features"], "task": infos[0]["task"], "k": 5}
    )
    json_headers = {"content-type": "application/json"}
    r = httpx.post(f"{base}/v1/suggest", content=body0, headers=headers | json_headers, timeout=600)
    r.raise_for_status()  # warm: the ranker is loaded (or trained) by this first request
    if settle:  # every worker loads its ranker, then compiles its trees in the background
        _run_concurrently(
            4 * concurrency,
            concurrency,
            lambda c, i: c.post("/v1/suggest", content=body0, headers=json_headers),
            base,
            headers,
        )
        time.sleep(settle)

    def same(client: httpx.Client, i: int) -> httpx.Response:
        return client.post("/v1/suggest", content=body0, headers=json_headers)

    rng = random.Random(0)
    bodies = []
    for i in range(distinct):
        info = infos[i % len(infos)]
        mf = dict(info["meta_features"])
        mf["n_rows"] = float(mf["n_rows"]) + 1 + i + rng.random()  # a new request every time
        bodies.append(orjson.dumps({"meta_features": mf, "task": info["task"], "k": 5}))

    def fresh(client: httpx.Client, i: int) -> httpx.Response:
        return client.post("/v1/suggest", content=bodies[i], headers=json_headers)

    for label, n, make in (
        ("repeated request (advice cache)", repeated, same),
        ("distinct requests (computed)   ", distinct, fresh),
    ):
        lat, wall, failures = _run_concurrently(n, concurrency, make, base, headers)
        print(
            f"suggest, {label}: {n:5d} requests at concurrency {concurrency}: "
            f"median {statistics.median(lat) * 1000:7.1f} ms, "
            f"p99 {_percentile(lat, 99) * 1000:7.1f} ms, "
            f"{n / wall:7.1f} requests/s, {failures} failed",
            flush=True,
        )


def bench_contribute(
    base: str, headers: dict[str, str], clients: int, per_client: int, resend: float, batch: int
) -> None:
    from tests.kb_helpers import record

    run = f"{os.getpid()}-{int(time.time())}"
    with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
        before = int(c.get("/v1/stats").json()["trials"])
    n_resend = int(per_client * resend)
    payloads: list[list[bytes]] = []
    for w in range(clients):
        recs = [record(f"bench-{run}-w{w}-{i}", seed=i) for i in range(per_client)]
        bodies = [
            orjson.dumps({"records": recs[s : s + batch]}) for s in range(0, per_client, batch)
        ]
        if n_resend:
            bodies.append(orjson.dumps({"records": recs[:n_resend]}))
        payloads.append(bodies)
    totals = {"added": 0, "duplicates": 0, "errors": 0, "requests": 0}
    lock = threading.Lock()

    def client(w: int) -> None:
        json_headers = headers | {"content-type": "application/json"}
        with httpx.Client(base_url=base, headers=json_headers, timeout=600) as http:
            for body in payloads[w]:
                r = http.post("/v1/trials", content=body)
                with lock:
                    totals["requests"] += 1
                    if r.status_code != 200:
                        totals["errors"] += 1
                        print(f"  error {r.status_code}: {r.text[:200]}", flush=True)
                        continue
                    rep = r.json()
                    totals["added"] += rep["added"]
                    totals["duplicates"] += rep["duplicates"]

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    wall = time.perf_counter() - started
    with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
        after = int(c.get("/v1/stats").json()["trials"])
    sent = clients * (per_client + n_resend)
    ok = after - before == clients * per_client and totals["errors"] == 0
    print(
        f"contribute: {clients} clients x {per_client} trials (+{n_resend} re-sent each, "
        f"batches of {batch}): {totals['requests']} requests in {wall:.1f} s, "
        f"{sent / wall:,.0f} records/s; added {totals['added']}, duplicates "
        f"{totals['duplicates']}, errors {totals['errors']}; knowledge base +{after - before} "
        f"trials -> {'OK' if ok else 'MISMATCH'}",
        flush=True,
    )
    if not ok:
        raise SystemExit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", help="knowledge-base URL (default: a fresh seeded SQLite file)")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--repeated", type=int, default=2000, help="repeated suggest requests")
    ap.add_argument("--distinct", type=int, default=64, help="distinct suggest requests")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--per-client", type=int, default=500)
    ap.add_argument("--resend", type=float, default=0.05)
    ap.add_argument("--batch", type=int, default=100, help="records per contribute request")
    ap.add_argument(
        "--no-compile-trees",
        action="store_true",
        help="serve with LightGBM's own predictor (the baseline of the compiled trees)",
    )
    ap.add_argument(
        "--settle",
        type=float,
        default=0.0,
        help="seconds to wait after warming every worker (its trees compile in the background)",
    )
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-service-"))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.setdefault("ADVISOR_HOME", str(tmp / "home"))
    os.environ["ADVISOR_HOME"] = env["ADVISOR_HOME"]
    url = args.kb
    if url is None:
        started = time.perf_counter()
        url = _seed_kb(tmp)
        print(f"seeded {url} in {time.perf_counter() - started:.1f} s", flush=True)
    from advisor.service.keys import create_api_key
    from knowledge_base import KnowledgeBase

    with KnowledgeBase(url) as kb:
        key = create_api_key(kb, "write", name="bench_service")
    proc, base = _start(
        url, args.workers, env, ("--no-compile-trees",) if args.no_compile_trees else ()
    )
    headers = {"Authorization": f"Bearer {key}"}
    print(
        f"advisor serve on {base}: {args.workers} worker(s), {os.cpu_count()} CPU(s)",
        flush=True,
    )
    try:
        bench_suggest(base, headers, args.repeated, args.distinct, args.concurrency, args.settle)
        bench_contribute(base, headers, args.clients, args.per_client, args.resend, args.batch)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
