#!/usr/bin/env bash
# npm run train: build the dataset (or finish it), train the 15 models (resumable),
# evaluate on a test set generated with another seed, export to models-onnx/.
# Extra arguments go to train.py (for example --budget-minutes 40); when the
# budget stops training (exit 3) the evaluation and export wait for a later run.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3  # Debian's PyTorch; the python3 first on PATH cannot import torch
DATA=data/galaxies-v1
TEST=data/galaxies-v1-test
RUNS=scripts/train/runs

# dataset.py build is resumable: it keeps complete shards and makes the missing ones.
"$PY" scripts/train/dataset.py build --out "$DATA" --n 30000 --seed 1
"$PY" scripts/train/train.py --data "$DATA" --runs "$RUNS" "$@"
"$PY" scripts/train/evaluate.py --test "$TEST" --runs "$RUNS" --build-n 5000 --build-seed 2
"$PY" scripts/train/export.py --runs "$RUNS" --out models-onnx
