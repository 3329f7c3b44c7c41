#!/usr/bin/env bash
# Build the bundled / manifest-less samples with the real tools (npm: esbuild, webpack; PyPI: pip).
#
#   bash sample_packages/bundles/build.sh
#
# Outputs beside this script: <sample>.zip, <sample>.expected.json (ground truth derived from the
# build tools' own outputs: esbuild --metafile, webpack --json stats, pip install --report) and the
# raw tool outputs they were derived from (<sample>.metafile.json, <sample>.stats.json,
# <sample>.pip-report.json).  Never runs package install scripts.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/src"
BUILD="$HERE/../.build/bundles"
PY="${PYTHON:-$(command -v python3)}"
MKZIP="$HERE/../mkzip.py"
NPM_FLAGS="--ignore-scripts --no-audit --no-fund --loglevel=error"
log() { printf '==> %s\n' "$*" >&2; }
fresh() { rm -rf "$1"; mkdir -p "$1"; }

# --- the app and the tools, installed apart (the tools' own packages are not in the bundle)
install_app() {  # SRC_DIR APP_DIR TOOLS_DIR: package.json + index.js, and the tools, each from its lockfile
  local src="$1" app="$2" tools="$3"
  fresh "$app"; fresh "$tools"
  cp "$src/package.json" "$src/index.js" "$app/"
  cp "$src/tools-package.json" "$tools/package.json"
  if [[ -f "$src/package-lock.json" ]]; then
    cp "$src/package-lock.json" "$app/"; (cd "$app" && npm ci $NPM_FLAGS)
  else
    (cd "$app" && npm install $NPM_FLAGS); cp "$app/package-lock.json" "$src/"
  fi
  if [[ -f "$src/tools-package-lock.json" ]]; then
    cp "$src/tools-package-lock.json" "$tools/package-lock.json"; (cd "$tools" && npm ci $NPM_FLAGS)
  else
    (cd "$tools" && npm install $NPM_FLAGS); cp "$tools/package-lock.json" "$src/tools-package-lock.json"
  fi
  # esbuild's native binary comes from its optional platform package (a registry package, no download script)
  (cd "$tools" && node node_modules/esbuild/install.js >/dev/null 2>&1 || true)
}
install_node() { install_app "$SRC/node" "$BUILD/app" "$BUILD/tools"; }

ESBUILD() { (cd "$BUILD/app" && "$BUILD/tools/node_modules/.bin/esbuild" "$@"); }

# CDK NodejsFunction defaults: --bundle --platform=node --target=node18, CommonJS, not minified, no map
build_esbuild_cdk() {
  local s=esbuild-cdk out="$BUILD/esbuild-cdk"; fresh "$out"
  ESBUILD index.js --bundle --platform=node --target=node18 --format=cjs --outfile="$out/index.js" \
    --metafile="$HERE/$s.metafile.json" --log-level=warning
  "$PY" "$MKZIP" "$HERE/$s.zip" "$out"
}

# SAM esbuild builder with Minify: true, Sourcemap: true, Format: esm, OutExtension .js=.mjs
build_esbuild_minified_map() {
  local s=esbuild-minified-map out="$BUILD/esbuild-minified-map"; fresh "$out"
  ESBUILD index.js --bundle --platform=node --target=es2020 --format=esm --minify --sourcemap \
    --outfile="$out/index.mjs" --metafile="$HERE/$s.metafile.json" --log-level=warning
  "$PY" "$MKZIP" "$HERE/$s.zip" "$out"
}

# SAM's default (Minify: true) without a source map
build_esbuild_minified() {
  local s=esbuild-minified out="$BUILD/esbuild-minified"; fresh "$out"
  ESBUILD index.js --bundle --platform=node --target=es2020 --format=cjs --minify \
    --outfile="$out/index.js" --metafile="$HERE/$s.metafile.json" --log-level=warning
  "$PY" "$MKZIP" "$HERE/$s.zip" "$out"
}

# webpack 5 production build (terser; comments extracted to index.js.LICENSE.txt)
build_webpack_prod() {
  local s=webpack-prod out="$BUILD/webpack-prod"; fresh "$out"
  (cd "$BUILD/tools" && APP_DIR="$BUILD/app" OUT_DIR="$out" node_modules/.bin/webpack \
     --config "$SRC/node/webpack.config.js" --json > "$BUILD/webpack-stats.json")
  # keep the stats' module list only (the full stats carry absolute build paths)
  "$PY" - "$BUILD/webpack-stats.json" "$HERE/$s.stats.json" "$BUILD/app" <<'PYEOF'
import json, sys
stats = json.load(open(sys.argv[1]))
mods = []
def walk(ms):
    for m in ms:
        if m.get("modules"):
            walk(m["modules"])
        else:
            mods.append({"id": m.get("id"), "name": m.get("name"), "size": m.get("size")})
walk(stats.get("modules", []))
json.dump({"version": stats.get("version"), "modules": mods}, open(sys.argv[2], "w"), indent=1)
PYEOF
  "$PY" "$MKZIP" "$HERE/$s.zip" "$out"
}

# A newer esbuild (0.28.2), ESM output, other packages and versions (two copies of lodash: the app's
# 4.17.20 and jsonwebtoken's own): the token fingerprints checked beyond the CDK sample's build
build_esbuild_esm() {
  local s=esbuild-esm out="$BUILD/esbuild-esm" app="$BUILD/app-esm" tools="$BUILD/tools-esm"
  fresh "$out"; install_app "$SRC/node-esm" "$app" "$tools"
  (cd "$app" && "$tools/node_modules/.bin/esbuild" index.js --bundle --platform=node --target=node20 --format=esm \
    --outfile="$out/index.mjs" --metafile="$HERE/$s.metafile.json" --log-level=warning)
  "$PY" "$MKZIP" "$HERE/$s.zip" "$out"
  "$PY" "$HERE/truth.py" node "$app" "$HERE" "$s"
}

# --- Python: serverless-python-requirements 6.1.2 (its lib/slim.js and lib/zip.js), reproduced
pip_target() {  # DIR REQUIREMENTS REPORT
  env -u PIP_FIND_LINKS -u PIP_CONSTRAINT -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null \
  "$PY" -m pip install --disable-pip-version-check --no-input --quiet --target "$1" \
    --platform manylinux2014_x86_64 --implementation cp --python-version 3.9 --only-binary=:all: \
    --no-compile --report "$3" -r "$2"
}

# slim: true: delete **/*.py[c|o], **/__pycache__*, **/*.dist-info* and run `strip` on every *.so
build_python_slim() {
  local s=python-slim out="$BUILD/python-slim"; fresh "$out"
  pip_target "$out" "$SRC/python/requirements-slim.txt" "$BUILD/python-slim-report.json"
  find "$out" \( -name '*.pyc' -o -name '*.pyo' \) -delete
  find "$out" -depth -name '__pycache__*' -exec rm -rf {} +
  find "$out" -depth -name '*.dist-info*' -exec rm -rf {} +
  find "$out" -name '*.so' -exec strip {} \;
  cp "$SRC/python/handler.py" "$out/"
  "$PY" "$MKZIP" "$HERE/$s.zip" "$out"
  "$PY" "$HERE/truth.py" pip "$BUILD/python-slim-report.json" "$HERE/$s.pip-report.json"
}

# zip: true: the requirements go into .requirements.zip (JSZip, DEFLATE level 9) and
# unzip_requirements.py (the plugin's own file, copied verbatim) sits beside the handler
build_python_zip() {
  local s=python-zip out="$BUILD/python-zip" req="$BUILD/python-zip-req"; fresh "$out"; fresh "$req"
  pip_target "$req" "$SRC/python/requirements-zip.txt" "$BUILD/python-zip-report.json"
  find "$req" \( -name '*.pyc' -o -name '*.pyo' \) -delete
  find "$req" -depth -name '__pycache__' -exec rm -rf {} +
  "$PY" "$MKZIP" "$out/.requirements.zip" "$req"
  cp "$SRC/python/handler.py" "$SRC/python/unzip_requirements.py" "$out/"
  "$PY" "$MKZIP" "$HERE/$s.zip" "$out"
  "$PY" "$HERE/truth.py" pip "$BUILD/python-zip-report.json" "$HERE/$s.pip-report.json"
}

mkdir -p "$BUILD"
log "node: install app + tools"; install_node
for b in esbuild_cdk esbuild_minified_map esbuild_minified webpack_prod; do log "$b"; "build_$b"; done
"$PY" "$HERE/truth.py" node "$BUILD/app" "$HERE"
log esbuild_esm; build_esbuild_esm
for b in python_slim python_zip; do log "$b"; "build_$b"; done
"$PY" "$HERE/truth.py" expected "$HERE"
log done
