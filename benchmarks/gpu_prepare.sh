#!/usr/bin/env bash
# Fills .gpu/ (git-ignored) with what benchmarks/gpu.sh needs on a GPU machine that has no
# package registry and no ../shared: the wheels its Python 3.12 lacks (Keras and its two
# small dependencies, LiteRT for the preview network and the face detectors), and copies of the
# test models and pictures. About 46 MB; run it from the repository root, ../shared beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${NST_SHARED:-../shared}
rm -rf .gpu && mkdir -p .gpu/wheels .gpu/shared/models .gpu/shared/images/photos .gpu/shared/images/styles
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .gpu/wheels \
  "keras==$(grep -i '^keras==' constraints.txt | cut -d= -f3)" namex==0.1.0 optree==0.20.0 \
  "ai-edge-litert==$(grep -i '^ai-edge-litert==' constraints.txt | cut -d= -f3)" \
  backports.strenum==1.2.8
cp "$shared"/models/vgg19_normalised_to_block4_conv1.h5 "$shared"/models/magenta_*.tflite \
  .gpu/shared/models/
${VENV_PYTHON:-.venv/bin/python} -m tests.assets | xargs -I{} cp {} .gpu/shared/models/
cp "$shared"/images/photos/* .gpu/shared/images/photos/
cp "$shared"/images/styles/{starry_night,the_scream,shipwreck,great_wave}.jpg .gpu/shared/images/styles/
du -sh .gpu
