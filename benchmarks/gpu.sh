#!/usr/bin/env bash
# The engine's GPU figures in one go, on a borrowed GPU machine that has Python 3.12 with JAX
# and CUDA but no TensorFlow and no package registry (the H200 of docs/gpu-figures.md).
#
#   bash benchmarks/gpu_prepare.sh     # here, with the registries: fills .gpu/ (ignored)
#   bash benchmarks/gpu.sh             # there, from the repository root, .gpu/ carried along
#   python benchmarks/gpu_report.py DIR   # here again: figures against TensorFlow on the CPU
#
# On the GPU machine it installs .gpu/wheels (Keras, LiteRT...) into /tmp/site, then runs
# benchmarks/gpu_run.py twice on the JAX backend: a cold process (empty compilation cache)
# and a restarted one (the cache kept). It writes the timings and the results (PNGs, in one
# tar) to $OUT (the device tool's folder) or /tmp/nst-gpu; meant to fit in 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/nst-gpu}
mkdir -p "$out"
python=${PYTHON:-python3}
started=$(date +%s)
"$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .gpu/wheels/*.whl
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 KERAS_BACKEND=jax
export NST_SHARED=$PWD/.gpu/shared NST_COMPILATION_CACHE=/tmp/nst-compiled
rm -rf "$NST_COMPILATION_CACHE" /tmp/nst-results
{
  echo "machine: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true)"
  echo "python: $("$python" --version); jax: $("$python" -c 'import jax; print(jax.__version__)')"
  echo "install: $(($(date +%s) - started)) s"
} | tee "$out/gpu-log.txt"
for phase in cold restart; do
  "$python" benchmarks/gpu_run.py "$phase" /tmp/nst-results "$@" 2>&1 | tee -a "$out/gpu-log.txt"
done
cp /tmp/nst-results/*.json "$out/"
(cd /tmp/nst-results && tar -cf "$out/results.tar" ./[!p]*.png)
# Print size last: whatever it does, the figures above are already in $OUT.
if [ -z "${NO_PRINT:-}" ]; then
  "$python" benchmarks/gpu_run.py print /tmp/nst-results "$@" 2>&1 | tee -a "$out/gpu-log.txt" || true
  cp /tmp/nst-results/print.json "$out/" 2>/dev/null || true
  (cd /tmp/nst-results && tar -cf "$out/prints.tar" ./print_*) || true
fi
echo "whole script: $(($(date +%s) - started)) s" | tee -a "$out/gpu-log.txt"
