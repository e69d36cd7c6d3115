#!/usr/bin/env bash
# Sets everything up, then runs lint (ruff), format check, type check (mypy) and the tests.
# Extra arguments go to pytest (e.g. scripts/test.sh -k metafeatures).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check advisor advisor_core knowledge_base tests benchmarks experiments seedbuild
.venv/bin/ruff format --check advisor advisor_core knowledge_base tests benchmarks experiments seedbuild
.venv/bin/mypy
.venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
