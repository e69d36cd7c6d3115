#!/usr/bin/env bash
# Sets everything up, then runs the main job on the bundled example dataset
# (examples/credit_card.csv, target "card"): meta-features, suggestions, a short warm-started
# search that ends with its best against `default` and writes an HTML report
# (runs/demo_search.html), and `default` alone. Uses the default knowledge base (created from
# the shipped seed on first use); the demo's search does not write to it (--no-contribute).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
data=examples/credit_card.csv
run() { echo "== advisor $*" >&2; .venv/bin/advisor "$@"; }
run meta-features "$data" --target card --json | head -n 12
run suggest "$data" --target card -k 3 --epochs 10
mkdir -p runs
run search "$data" --target card --n-trials 8 --epochs 10 --no-contribute --report runs/demo_search.html
run evaluate --train "$data" --target card --config default --epochs 10
