"""Maintained benchmark runners, each next to its latest report (not installed).

Run a runner as a script (``.venv/bin/python benchmarks/search/bench_search.py``) or as a
module from the repository root (``.venv/bin/python -m benchmarks.search.bench_search``).
"""
