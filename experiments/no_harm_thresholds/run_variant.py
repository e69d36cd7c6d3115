"""The external advice check (``benchmarks/external/bench_external.py --epochs 20``, methods
``default`` and ``top1``) with the no-harm rule's thresholds set from the command line, to
compare rules on data outside the knowledge base.

    PYTHONPATH=. .venv/bin/python experiments/no_harm_thresholds/run_variant.py GAIN SHARE \
        RUNS.jsonl REPORT.md

``GAIN``: the least predicted and neighbour-mean gain over ``default`` (``MIN_GAIN``);
``SHARE``: the share of the nearest datasets it must beat ``default`` on (``MIN_WIN_SHARE``).
Copy the ``default`` lines of ``benchmarks/external/advice_runs_e20.jsonl`` into RUNS first so
that only ``top1`` is trained. The worker processes are forked, so they inherit the thresholds.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def main() -> None:
    gain, share, runs, out = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
    import advisor.evidence as ev
    import advisor.ranker.no_harm as nh

    nh.MIN_GAIN = ev.MIN_GAIN = gain
    nh.MIN_WIN_SHARE = share  # read by neighbours_support at call time
    sys.argv = [
        "bench_external.py",
        "--epochs",
        "20",
        "--methods",
        "default",
        "top1",
        "--runs",
        runs,
        "--out",
        out,
        "--workers",
        "2",
    ]
    runpy.run_path(str(REPO / "benchmarks/external/bench_external.py"), run_name="__main__")


if __name__ == "__main__":
    main()
