#!/usr/bin/env python
"""What one distinct suggestion costs the service, on the shipped ranker (a script, not a
timed test).

    .venv/bin/python benchmarks/service/bench_suggest_compute.py [--n 200] [--out PATH]

Answers ``--n`` distinct requests (the meta-features of four scikit-learn datasets, ``n_rows``
changed on every request so that no answer is remembered) in this process, one at a time, with
the ranker's trees predicted by LightGBM and then compiled to native code
(:mod:`advisor.ranker.compiled`, what ``advisor serve`` uses), and checks that both give the
same suggestions. Prints the median and 99th-percentile time of one suggestion and what that
allows per core; writes a Markdown report. The HTTP figures (``bench_service.py``) add the
service's own overhead to these.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
SHIPPED = REPO / "knowledge_base" / "seed" / "ranker-mlp@2.json"


def _requests(n: int) -> list[tuple[dict[str, float | None], str]]:
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine

    from advisor.data import load_dataset
    from advisor.metafeatures import extract

    base = []
    for loader, task in (
        (load_wine, "classification"),
        (load_breast_cancer, "classification"),
        (load_iris, "classification"),
        (load_diabetes, "regression"),
    ):
        X, y = loader(return_X_y=True, as_frame=True)
        base.append((extract(load_dataset(X, y=y)).values, task))
    out = []
    for i in range(n):
        mf, task = base[i % len(base)]
        m = dict(mf)
        m["n_rows"] = float(m["n_rows"] or 0) + 1 + i  # a new request every time
        out.append((m, task))
    return out


def _time(art, requests) -> tuple[list[float], list[list[dict]]]:
    from advisor.suggest import suggest

    for mf, task in requests[:5]:  # warm-up
        suggest(art, mf, task, k=5)
    times, answers = [], []
    for mf, task in requests:
        t = time.perf_counter()
        advice = suggest(art, mf, task, k=5)
        times.append(time.perf_counter() - t)
        answers.append([s.config for s in advice.suggestions])
    return times, answers


def _row(name: str, times: list[float]) -> str:
    ms = sorted(1000 * t for t in times)
    med, p99 = statistics.median(ms), ms[min(len(ms) - 1, int(0.99 * len(ms)))]
    return f"| {name} | {med:.1f} | {p99:.1f} | {1000 / statistics.mean(ms):.0f} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="distinct requests per variant")
    ap.add_argument("--out", default=str(Path(__file__).with_name("suggest_compute.md")))
    args = ap.parse_args()

    from advisor.ranker.artifact import RankerArtifact
    from advisor.ranker.compiled import available

    requests = _requests(args.n)
    art = RankerArtifact.load(SHIPPED)
    lgbm, lgbm_answers = _time(art, requests)
    rows = [_row("LightGBM predictor", lgbm)]
    same = None
    if available():
        started = time.perf_counter()
        n = art.compile(Path(tempfile.mkdtemp(prefix="advisor-compiled-")))
        took = time.perf_counter() - started
        fast, fast_answers = _time(art, requests)
        same = fast_answers == lgbm_answers
        rows.append(_row(f"compiled trees ({n} models, compiled in {took:.0f} s)", fast))
        ratio = statistics.median(lgbm) / statistics.median(fast)
    lines = [
        "# The compute of one distinct suggestion",
        "",
        f"`{' '.join(['python', *sys.argv])}` on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"the shipped ranker (`{SHIPPED.relative_to(REPO)}`), {args.n} distinct requests "
        "(meta-features of wine, breast cancer, iris and diabetes with `n_rows` changed each "
        "time), one at a time in one process.",
        "",
        "| trees predicted by | median ms | p99 ms | suggestions / s on one core |",
        "|---|---|---|---|",
        *rows,
        "",
    ]
    if same is not None:
        lines += [
            f"Median speed-up of compiling: {ratio:.2f}x; the two give the same suggestions on "
            f"every request: {same}.",
            "",
        ]
    else:
        lines += ["`lleaves` is not installed: no compiled variant (the service extra has it).", ""]
    text = "\n".join(lines)
    print(text)
    Path(args.out).write_text(text)
    if same is False:
        raise SystemExit("compiled trees changed a suggestion")


if __name__ == "__main__":
    main()
