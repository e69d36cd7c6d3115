#!/usr/bin/env bash
# Creates .venv and installs the project with every extra, pinned by constraints.txt.
# Idempotent: re-runs only when pyproject.toml or constraints.txt changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setting up .venv (first run takes a few minutes)..." >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  extra=()
  [ -d /opt/wheels ] && extra+=(--find-links /opt/wheels)
  # torch first, exactly pinned: a looser request would pull a multi-GB CUDA build.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "${extra[@]}" \
    -c constraints.txt "torch==$(grep '^torch==' constraints.txt | cut -d= -f3)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "${extra[@]}" \
    -c constraints.txt -e ".[all]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
