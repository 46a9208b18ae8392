# syntax=docker/dockerfile:1
# CPU image (default, TensorFlow):  docker build -t nst-bot .
# NVIDIA GPU image (JAX, CUDA 13):  docker build --build-arg PACKAGE='.[gpu]' \
#                                      --build-arg KERAS_BACKEND=jax -t nst-bot:gpu .
#                       docker run --gpus all -e TELEGRAM_BOT_TOKEN=... -v nst-data:/data nst-bot:gpu
# Offline build (weights and presets fetched on first start instead): --build-arg FETCH_ASSETS=0
# FETCH_ASSETS=1 fetches VGG19, the preview models, the person segmenter, the face detectors and
# the presets.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

ARG FETCH_ASSETS=1
# What pip installs ('.[gpu]': JAX with CUDA) and the Keras backend the engine runs on.
ARG PACKAGE=.
ARG KERAS_BACKEND=tensorflow
# glibc's malloc backs large arrays with transparent huge pages: a CPU step's activations are
# fresh 100-MB blocks, whose page faults otherwise take a quarter to half as much CPU time as the
# convolutions (docs/engine.md: jobs 13-21 % faster).
ENV KERAS_BACKEND=${KERAS_BACKEND} \
    GLIBC_TUNABLES=glibc.malloc.hugetlb=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NST_DATA_DIR=/data \
    NST_PRESETS_DIR=/opt/nst/presets \
    KERAS_HOME=/opt/nst/keras \
    XDG_CACHE_HOME=/opt/nst/cache

RUN groupadd --gid 10001 nst && useradd --create-home --uid 10001 --gid 10001 nst
WORKDIR /app

# Dependencies first, so code changes do not reinstall TensorFlow.
COPY pyproject.toml constraints.txt README.md ./
COPY bot/__init__.py bot/__init__.py
COPY nst_engine/__init__.py nst_engine/__init__.py
RUN python3 -m pip install --constraint constraints.txt "${PACKAGE}"

COPY bot bot
COPY nst_engine nst_engine
RUN python3 -m pip install --no-deps --constraint constraints.txt . \
    && mkdir -p /data /opt/nst /var/cache/nst-compiled \
    && if [ "$FETCH_ASSETS" = "1" ]; then nst-bot models fetch && nst-bot presets fetch; fi \
    && chown -R nst:nst /data /opt/nst /var/cache/nst-compiled

USER 10001:10001
VOLUME ["/data"]
# The webhook listener (only with NST_WEBHOOK_URL) and /metrics (only with NST_METRICS_PORT=9100).
EXPOSE 8080 9100
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 CMD ["nst-bot", "health"]
CMD ["nst-bot"]
