#!/usr/bin/env bash
# Sets everything up, then runs the main job on the bundled example dataset
# (examples/credit_card.csv, target "card"): meta-features, suggestions, a short warm-started
# search, and `default` for comparison. Uses the default knowledge base (created from the
# shipped seed on first use); the demo's search does not write to it (--no-contribute).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
data=examples/credit_card.csv
run() { echo "== advisor $*" >&2; .venv/bin/advisor "$@"; }
run meta-features "$data" --target card --json | head -n 12
run suggest "$data" --target card -k 3 --epochs 10
run search "$data" --target card --n-trials 8 --epochs 10 --no-contribute
run evaluate --train "$data" --target card --config default --epochs 10
