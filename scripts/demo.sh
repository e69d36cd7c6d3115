#!/usr/bin/env bash
# Sets everything up, then runs the main job on the bundled example dataset
# (examples/credit_card.csv, target "card"): meta-features and one trial of `default`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
data=examples/credit_card.csv
echo "== advisor meta-features $data --target card" >&2
.venv/bin/advisor meta-features "$data" --target card
echo "== advisor evaluate --train $data --target card --config default" >&2
.venv/bin/advisor evaluate --train "$data" --target card --config default --epochs 20
