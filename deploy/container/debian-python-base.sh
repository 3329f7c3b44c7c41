#!/usr/bin/env bash
# Make a local base image that stands in for python:3.x-slim, from Debian's own packages, with no
# container registry: mmdebstrap writes a Debian root filesystem (python3, pip, venv, CA
# certificates) and buildah imports it as an image.
#
#   deploy/container/debian-python-base.sh [IMAGE]      (default localhost/pkgscan-base:debian-bookworm)
#
# Then build pkgscan on it:
#   buildah bud --isolation chroot --build-arg PYTHON_IMAGE=localhost/pkgscan-base:debian-bookworm -t pkgscan .
#
# The image provides what the Dockerfile uses from python:3.x-slim: python3 and python, pip (which,
# as in python:3.x-slim, installs into /usr/local: /usr/local/bin/pkgscan), python3 -m venv, the CA
# bundle (/etc/ssl/certs/ca-certificates.crt), useradd/groupadd, and PATH with /usr/local/bin first.
# The Python is the suite's (bookworm: 3.11; trixie: 3.13), not python.org's build.
#
# Environment: SUITE (bookworm), MIRROR (http://deb.debian.org/debian), SECURITY_MIRROR
# (http://deb.debian.org/debian-security), SOURCE_DATE_EPOCH (mmdebstrap honours it).
# Needs mmdebstrap and buildah (apt-get install mmdebstrap buildah). As root mmdebstrap runs in
# its root mode; otherwise in unshare mode (user namespaces with subordinate ids).
set -euo pipefail

IMAGE=${1:-localhost/pkgscan-base:debian-bookworm}
SUITE=${SUITE:-bookworm}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}

for tool in mmdebstrap buildah; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found (apt-get install $tool)" >&2; exit 2; }
done

workdir=$(mktemp -d "${TMPDIR:-/tmp}/pkgscan-base.XXXXXX")
ctr=""
cleanup() {
    if [[ -n "$ctr" ]]; then buildah rm "$ctr" >/dev/null 2>&1 || true; fi
    rm -rf "$workdir"
}
trap cleanup EXIT

# minbase: Essential and Priority:required packages plus apt, as debian:SUITE-slim has.
# The merged-usr hook lays out /bin -> usr/bin without installing usrmerge (which pulls in perl).
# Documentation, manual pages and translations are left out, as in the slim images.
# python:3.x-slim's pip owns /usr/local; so does Debian's pip (it installs there too), so the
# PEP 668 marker that makes Debian's pip refuse to install outside a virtual environment is
# removed, and `pip install` in the Dockerfile behaves as on python:3.x-slim.
# ("$1" in the hooks is the root directory mmdebstrap passes them, hence the single quotes.)
# shellcheck disable=SC2016
mmdebstrap \
    --variant=minbase \
    --format=tar \
    --include=python3,python3-pip,python3-venv,python-is-python3,ca-certificates \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook='rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*.log' \
    "$SUITE" "$workdir/rootfs.tar" \
    "deb $MIRROR $SUITE main" \
    "deb $MIRROR $SUITE-updates main" \
    "deb $SECURITY_MIRROR $SUITE-security main"

ctr=$(buildah from scratch)
buildah add --quiet "$ctr" "$workdir/rootfs.tar" /
buildah config \
    --env PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 \
    --cmd python3 \
    --label org.opencontainers.image.title="Debian $SUITE with python3, pip and venv (local stand-in for python:3-slim)" \
    --label org.opencontainers.image.base.name="debian:$SUITE (mmdebstrap)" \
    "$ctr"
buildah commit --quiet --rm "$ctr" "$IMAGE" >/dev/null
ctr=""
echo "$IMAGE"
