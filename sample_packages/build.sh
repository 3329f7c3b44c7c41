#!/usr/bin/env bash
# Build the pkgscan sample Lambda packages from the real registries (PyPI, npm).
#
#   bash sample_packages/build.sh            # all samples
#   bash sample_packages/build.sh node-layer # only the named sample(s)
#
# Inputs live in sample_packages/src/<sample>/ (exact pins: requirements.txt,
# package.json + package-lock.json). Scratch work happens in
# sample_packages/.build/ (gitignored). Outputs: sample_packages/<sample>.zip
# and sample_packages/<sample>.expected.json. Safe to re-run.
#
# Never runs package install scripts (npm --ignore-scripts; pip binary wheels only).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/src"
BUILD="$HERE/.build"
if [[ -n "${PYTHON:-}" ]]; then
  PY="$PYTHON"
elif [[ -x "$HERE/../.venv/bin/python" ]]; then
  PY="$HERE/../.venv/bin/python"
else
  PY="$(command -v python3)"
fi

ALL_SAMPLES=(python-function python-layer python-layer-sitepackages
             node-function node-layer node-layer-node20)

# keep "resolved" URLs in the lockfiles even where npm is configured to omit them
NPM_FLAGS="--ignore-scripts --no-audit --no-fund --loglevel=error --omit-lockfile-registry-resolved=false"

log() { printf '==> %s\n' "$*" >&2; }

fresh_dir() { rm -rf "$1"; mkdir -p "$1"; }

clean_tree() {
  # no bytecode caches in the packages
  find "$1" -name __pycache__ -type d -prune -exec rm -rf {} +
  find "$1" -name '*.pyc' -type f -delete
}

# pip_target DIR PYVER REQUIREMENTS
pip_target() {
  local dir="$1" pyver="$2" req="$3"
  mkdir -p "$dir"
  # ignore this machine's pip config files / find-links / constraints so the
  # packages come from the index only (PIP_INDEX_URL / PIP_CERT still apply)
  env -u PIP_FIND_LINKS -u PIP_CONSTRAINT -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null \
  "$PY" -m pip install --disable-pip-version-check --no-input --quiet \
    --target "$dir" \
    --platform manylinux2014_x86_64 --implementation cp --python-version "$pyver" \
    --only-binary=:all: --no-compile \
    -r "$req"
}

# npm_project DIR SAMPLE -- install deps of src/SAMPLE into DIR (npm ci from the
# committed lock; the first time, npm install and save the lock back to src/)
npm_project() {
  local dir="$1" sample="$2"
  mkdir -p "$dir"
  cp "$SRC/$sample/package.json" "$dir/"
  if [[ -f "$SRC/$sample/package-lock.json" ]]; then
    cp "$SRC/$sample/package-lock.json" "$dir/"
    (cd "$dir" && npm ci $NPM_FLAGS)
  else
    (cd "$dir" && npm install $NPM_FLAGS)
    cp "$dir/package-lock.json" "$SRC/$sample/package-lock.json"
  fi
}

# npm_truth DIR SAMPLE LAYOUT PREFIX -- query npm's own view of DIR, write ground truth
npm_truth() {
  local dir="$1" sample="$2" layout="$3" prefix="$4"
  local work="$BUILD/$sample"
  (cd "$dir" && npm query '*' > "$work/npm-query.json")
  (cd "$dir" && npm ls --all --json > "$work/npm-ls.json") || true
  "$PY" "$HERE/groundtruth.py" npm --zip "$HERE/$sample.zip" --layout "$layout" \
    --prefix "$prefix" --query "$work/npm-query.json" --ls "$work/npm-ls.json" \
    --out "$HERE/$sample.expected.json"
}

# pypi_truth SITE SAMPLE LAYOUT PREFIX
pypi_truth() {
  local site="$1" sample="$2" layout="$3" prefix="$4"
  local work="$BUILD/$sample"
  "$PY" -m pip inspect --disable-pip-version-check --path "$site" > "$work/pip-inspect.json"
  "$PY" "$HERE/groundtruth.py" pypi --zip "$HERE/$sample.zip" --layout "$layout" \
    --prefix "$prefix" --site "$site" --inspect "$work/pip-inspect.json" \
    --requirements "$SRC/$sample/requirements.txt" --out "$HERE/$sample.expected.json"
}

mkzip() { "$PY" "$HERE/mkzip.py" "$HERE/$1.zip" "$2"; }

build_python_function() {
  local s=python-function work="$BUILD/python-function"
  local stage="$work/stage"
  fresh_dir "$work"
  # Lambda runtime python3.9: PyYAML 5.x has no cp312 wheels (see README)
  pip_target "$stage" 3.9 "$SRC/$s/requirements.txt"
  cp "$SRC/$s/lambda_function.py" "$SRC/$s/requirements.txt" "$stage/"
  clean_tree "$stage"
  mkzip "$s" "$stage"
  pypi_truth "$stage" "$s" function ""
}

build_python_layer() {
  local s=python-layer work="$BUILD/python-layer"
  local stage="$work/stage"
  fresh_dir "$work"
  pip_target "$stage/python" 3.12 "$SRC/$s/requirements.txt"
  cp "$SRC/$s/layer_utils.py" "$stage/python/"
  clean_tree "$stage"
  mkzip "$s" "$stage"
  pypi_truth "$stage/python" "$s" layer "python/"
}

build_python_layer_sitepackages() {
  local s=python-layer-sitepackages work="$BUILD/python-layer-sitepackages"
  local stage="$work/stage" site="python/lib/python3.12/site-packages"
  fresh_dir "$work"
  pip_target "$stage/$site" 3.12 "$SRC/$s/requirements.txt"
  cp "$SRC/$s/layer_utils.py" "$stage/$site/"
  clean_tree "$stage"
  mkzip "$s" "$stage"
  pypi_truth "$stage/$site" "$s" layer "$site/"
}

build_node_function() {
  local s=node-function work="$BUILD/node-function"
  local stage="$work/stage"
  fresh_dir "$work"
  npm_project "$stage" "$s"
  cp "$SRC/$s/index.js" "$stage/"
  mkzip "$s" "$stage"
  npm_truth "$stage" "$s" function ""
}

build_node_layer() {
  local s=node-layer work="$BUILD/node-layer"
  local stage="$work/stage"
  fresh_dir "$work"
  npm_project "$stage/nodejs" "$s"
  cp "$SRC/$s/index.mjs" "$stage/nodejs/"
  mkzip "$s" "$stage"
  npm_truth "$stage/nodejs" "$s" layer "nodejs/"
}

build_node_layer_node20() {
  local s=node-layer-node20 work="$BUILD/node-layer-node20"
  local stage="$work/stage" proj="$work/proj"
  fresh_dir "$work"
  npm_project "$proj" "$s"
  # the layer carries ONLY nodejs/node20/node_modules/ (no package.json/lock
  # beside it; npm's own node_modules/.package-lock.json stays inside)
  mkdir -p "$stage/nodejs/node20"
  cp -a "$proj/node_modules" "$stage/nodejs/node20/node_modules"
  mkzip "$s" "$stage"
  npm_truth "$proj" "$s" layer "nodejs/node20/"
}

main() {
  local samples=("$@")
  [[ ${#samples[@]} -gt 0 ]] || samples=("${ALL_SAMPLES[@]}")
  mkdir -p "$BUILD"
  for s in "${samples[@]}"; do
    log "building $s"
    case "$s" in
      python-function) build_python_function ;;
      python-layer) build_python_layer ;;
      python-layer-sitepackages) build_python_layer_sitepackages ;;
      node-function) build_node_function ;;
      node-layer) build_node_layer ;;
      node-layer-node20) build_node_layer_node20 ;;
      *) echo "unknown sample: $s (known: ${ALL_SAMPLES[*]})" >&2; exit 2 ;;
    esac
  done
  log "done"
  (cd "$HERE" && du -ch ./*.zip | tail -n 1) >&2
}

main "$@"
