# syntax=docker/dockerfile:1
#
# pkgscan container image: docs/container.md says how to build and run it.
#
#   docker build -t pkgscan --build-arg VERSION="$(python3 -c 'import pkgscan; print(pkgscan.__version__)')" .
#
# The base image is pinned by tag. For a reproducible build, pin it by digest too: look it up with
#   docker buildx imagetools inspect python:3.12-slim-bookworm   (the "Digest:" line)
# and build with
#   --build-arg PYTHON_IMAGE=python:3.12-slim-bookworm@sha256:<digest>
# (or change the default below to that form).
#
# Any image with python3, pip and useradd at the same paths works as PYTHON_IMAGE. Without a registry,
# deploy/container/debian-python-base.sh makes one from Debian's packages (mmdebstrap) and
#   buildah bud --isolation chroot --build-arg PYTHON_IMAGE=localhost/pkgscan-base:debian-bookworm -t pkgscan .
# builds on it; deploy/build-and-smoke-test.sh does both and runs the image (deploy/container/README.md).
# tests/test_container.py lints this file with hadolint, checks its invariants and replays its install
# steps without Docker; tests/test_container_build.py builds and runs the real image.
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

# ---------------------------------------------------------------- stage 1: build the wheel
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
# Only what the wheel is built from (pyproject reads README.md as the long description).
COPY pyproject.toml README.md ./
COPY pkgscan ./pkgscan
# The build backend (setuptools, from pyproject's build-system) is fetched into an isolated build
# environment; the project's dependencies are not installed here (--no-deps).
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
    && ls -l /wheels

# ---------------------------------------------------------------- stage 2: runtime
FROM ${PYTHON_IMAGE} AS runtime

# VERSION: pkgscan.__version__; SOURCE_URL: where the source lives (the repository's URL).
ARG VERSION=0.1.0
ARG SOURCE_URL=""
LABEL org.opencontainers.image.title="pkgscan" \
      org.opencontainers.image.description="Supply-chain scanner for AWS Lambda deployment packages: inventory, CycloneDX SBOM, OSV matching." \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"

# pkgscan writes only to the advisory database, the code cache and --out-dir, so the image runs
# with a read-only root filesystem plus volumes for /data (and /out).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    HOME=/home/pkgscan \
    XDG_CACHE_HOME=/data/cache \
    PKGSCAN_DB_DIR=/data/db \
    PKGSCAN_CACHE_DIR=/data/cache

# The wheel alone: its dependencies come from PyPI as prebuilt wheels, so no compiler is needed
# (the slim base has none) and nothing is left behind (no pip cache, no wheel, no build tree).
COPY --from=build /wheels/ /tmp/wheels/
# (with the zstd extra: container-image layers compressed with zstd are read too; with the fast
# extra, gzip layers are inflated by zlib-ng, about 2.4x zlib's speed)
RUN pip install --no-cache-dir "$(ls /tmp/wheels/pkgscan-*.whl)[zstd,fast]" \
    && rm -rf /tmp/wheels \
    && groupadd --system --gid 10001 pkgscan \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/pkgscan --create-home \
       --shell /usr/sbin/nologin pkgscan \
    && mkdir -p /data/db /data/cache /out /work \
    && chown -R 10001:10001 /data /out \
    && pkgscan --version

VOLUME ["/data"]
WORKDIR /work
USER 10001:10001

ENTRYPOINT ["pkgscan"]
CMD ["--help"]
