#!/bin/sh
# Fetch the big Go programs bench/bench_go.py measures: dockerd (docker.io) and rclone, Debian's
# builds, into bench/.cache/go/x/ (the .deb files are unpacked with dpkg-deb -x; nothing is run or
# installed).  Needs `apt-get update` once.  Safe to run again.
set -eu
cache="$(cd "$(dirname "$0")" && pwd)/.cache/go"
mkdir -p "$cache"
cd "$cache"
for pkg in docker.io rclone; do
  ls ${pkg}_*.deb >/dev/null 2>&1 || apt-get download "$pkg"
  dpkg-deb -x ${pkg}_*.deb x
done
ls -l x/usr/sbin/dockerd x/usr/bin/rclone
