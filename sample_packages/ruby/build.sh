#!/bin/sh
# Build sample_packages/ruby-function.zip and ruby-function.expected.json from Debian's ruby-* packages.
# Needs: apt-get (Debian bookworm lists), dpkg-deb, python3.  Run from anywhere.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
SAMPLES=$(dirname "$HERE")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
# name/version as Debian packages them (bookworm); libruby3.1 carries the bundled gem rexml 3.2.5
apt-get download ruby-faraday=1.1.0-7 ruby-multi-json=1.14.1-2 ruby-multipart-post=2.0.0-2 \
    ruby-ruby2-keywords=0.0.5-1 'libruby3.1=3.1.7+really3.1.2-0+deb12u1' >/dev/null
for f in *.deb; do mkdir -p "x/${f%%_*}"; dpkg-deb -x "$f" "x/${f%%_*}"; done
APP="$WORK/app"
HOME_DIR="$APP/vendor/bundle/ruby/3.3.0"
mkdir -p "$HOME_DIR/specifications" "$HOME_DIR/gems" "$APP/.bundle"
RI=usr/share/rubygems-integration/all
gem_from() {  # gem_from DEBDIR SPECDIR GEMDIR LIBDIR NAME-VERSION
    cp "x/$1/$2/$5.gemspec" "$HOME_DIR/specifications/"
    mkdir -p "$HOME_DIR/gems/$5"
    cp -r "x/$1/$4" "$HOME_DIR/gems/$5/lib"
}
gem_from ruby-faraday "$RI/specifications" "" "$RI/gems/faraday-1.1.0/lib" faraday-1.1.0
gem_from ruby-multipart-post "$RI/specifications" "" "$RI/gems/multipart-post-2.0.0/lib" multipart-post-2.0.0
gem_from ruby-ruby2-keywords "$RI/specifications" "" "$RI/gems/ruby2_keywords-0.0.5/lib" ruby2_keywords-0.0.5
gem_from ruby-multi-json "$RI/specifications" "" usr/lib/ruby/vendor_ruby multi_json-1.14.1
gem_from libruby3.1 usr/lib/ruby/gems/3.1.0/specifications "" usr/lib/ruby/gems/3.1.0/gems/rexml-3.2.5/lib rexml-3.2.5
# jmespath 1.6.0 (GHSA-5c5f-7vfq-3732): Debian has only the fixed 1.6.1; its specification is written
# as RubyGems writes it (src/jmespath-1.6.0.gemspec, see README.md); no code for it is shipped
cp "$HERE/src/jmespath-1.6.0.gemspec" "$HOME_DIR/specifications/"
cp "$HERE/src/lambda_function.rb" "$HERE/src/Gemfile" "$HERE/src/Gemfile.lock" "$APP/"
cp "$HERE/src/dot-bundle/config" "$APP/.bundle/config"
python3 "$SAMPLES/mkzip.py" "$SAMPLES/ruby-function.zip" "$APP"
python3 - "$SAMPLES/ruby-function.zip" "$HERE/ruby-function.expected.json" <<'PY'
# Ground truth from the list of gems this script installed (not from a scanner), checked against the zip.
import json, sys, zipfile
zip_path, out = sys.argv[1], sys.argv[2]
gems = [("faraday", "1.1.0"), ("jmespath", "1.6.0"), ("multi_json", "1.14.1"), ("multipart-post", "2.0.0"),
        ("rexml", "3.2.5"), ("ruby2_keywords", "0.0.5")]
home = "vendor/bundle/ruby/3.3.0/specifications/"
names = set(zipfile.ZipFile(zip_path).namelist())
specs = {n for n in names if n.startswith(home) and n.endswith(".gemspec")}
want = {f"{home}{n}-{v}.gemspec" for n, v in gems}
assert specs == want, (specs ^ want)
truth = {
    "zip": "ruby-function.zip",
    "layout": "function",
    "components": [{"ecosystem": "gem", "name": n, "version": v, "locations": [f"{home}{n}-{v}.gemspec"]} for n, v in gems],
    "declared_only": [{"ecosystem": "gem", "name": "rake", "version": "13.0.6", "lockfile": "Gemfile.lock"}],
    "dependencies": [["pkg:gem/faraday@1.1.0", "pkg:gem/multipart-post@2.0.0"],
                     ["pkg:gem/faraday@1.1.0", "pkg:gem/ruby2_keywords@0.0.5"]],
    "advisories": {"pkg:gem/jmespath@1.6.0": ["GHSA-5c5f-7vfq-3732"], "pkg:gem/rexml@3.2.5": ["GHSA-vg3r-rm7w-2xgh"]},
}
with open(out, "w") as f:
    json.dump(truth, f, indent=2)
    f.write("\n")
PY
echo "built $SAMPLES/ruby-function.zip"
