#!/usr/bin/env bash
# Build the two large, realistic Lambda packages the benchmark (bench/run.py) scans:
#   bench/.cache/python-layer-large.zip  Python layer: pandas, numpy, scipy, boto3
#   bench/.cache/node-function-large.zip Node function: aws-sdk v2, webpack, typescript, eslint, jest
# Inputs are pinned in bench/src/. A zip that already exists is kept; pass --force to rebuild.
# Needs: python3 with pip, node/npm, zip. No install script of any package is run.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/src"
CACHE="$HERE/.cache"
PY_ZIP="$CACHE/python-layer-large.zip"
NODE_ZIP="$CACHE/node-function-large.zip"

FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

# pip of the project's venv when there is one, else of python3.
if [[ -n "${PYTHON:-}" ]]; then :
elif [[ -x "$HERE/../.venv/bin/python" ]]; then PYTHON="$HERE/../.venv/bin/python"
else PYTHON=python3
fi

# Fixed timestamps and a sorted file list, so the same inputs give the same zip.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1704067200}"  # 2024-01-01T00:00:00Z
export TZ=UTC

# zip_tree DIR OUT: zip DIR's contents (paths relative to DIR), deflate, with directory entries.
zip_tree() {
  local dir="$1" out="$2" tmp="$2.tmp"
  rm -f "$tmp"
  find "$dir" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  (cd "$dir" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | zip -q -X -@ "$tmp")
  mv -f "$tmp" "$out"
}

mkdir -p "$CACHE"

build_python() {
  if [[ -f "$PY_ZIP" && $FORCE -eq 0 ]]; then
    echo "keep  $PY_ZIP"; return
  fi
  local stage="$CACHE/python-layer"
  rm -rf "$stage"
  echo "build $PY_ZIP (pip, platform manylinux2014_x86_64, cp312)"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check \
    --target "$stage/python/lib/python3.12/site-packages" \
    --platform manylinux2014_x86_64 --implementation cp --python-version 3.12 \
    --only-binary=:all: --no-compile \
    -r "$SRC/python-layer/requirements.txt"
  # pip --target also writes console scripts to bin/; a layer built this way carries them too.
  zip_tree "$stage" "$PY_ZIP"
  rm -rf "$stage"
}

build_node() {
  if [[ -f "$NODE_ZIP" && $FORCE -eq 0 ]]; then
    echo "keep  $NODE_ZIP"; return
  fi
  local stage="$CACHE/node-function"
  rm -rf "$stage"
  mkdir -p "$stage"
  cp "$SRC/node-function/package.json" "$SRC/node-function/package-lock.json" \
     "$SRC/node-function/index.js" "$stage/"
  echo "build $NODE_ZIP (npm ci --ignore-scripts)"
  (cd "$stage" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  zip_tree "$stage" "$NODE_ZIP"
  rm -rf "$stage"
}

build_python
build_node

for z in "$PY_ZIP" "$NODE_ZIP"; do
  printf '%-50s %6.1f MB %7d entries\n' "${z#"$HERE"/}" \
    "$(( $(stat -c %s "$z") / 1000 ))e-3" "$(zipinfo -1 "$z" | wc -l)"
done
