#!/bin/sh
# Build sample_packages/go-function.zip (and the stripped variant used by the tests) from main.go
# with Debian's Go toolchain and Debian-packaged Go modules, offline (GOPROXY=off, -mod=vendor).
#   apt-get install golang-go golang-golang-x-net-dev golang-golang-x-text-dev golang-golang-x-crypto-dev
# Writes: sample_packages/go-function.zip, tests/fixtures/golang/go-function-stripped.zip,
#         sample_packages/go/go-version-m.txt (ground truth: `go version -m bootstrap`),
#         sample_packages/go/bootstrap-functions.txt.gz (ground truth: `go tool nm bootstrap`, text symbols),
#         tests/fixtures/golang/cross.zip and sample_packages/go/cross-go-version-m.txt
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
src=/usr/share/gocode/src
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/main.go" "$here/go.mod" "$work/"
mkdir -p "$work/vendor/golang.org/x"
{
  # module line (with the replacement as go.mod says it), then every package directory of the module
  for spec in "golang.org/x/crypto v0.4.0" "golang.org/x/net v0.7.0" "golang.org/x/text v0.7.0 => golang.org/x/text v0.3.7"; do
    mod=${spec%% *}
    echo "# $spec"
    echo "## explicit; go 1.17"
    cp -r "$src/$mod" "$work/vendor/$mod"
    (cd "$work/vendor" && find "$mod" -name '*.go' ! -name '*_test.go' ! -path '*/testdata/*' -printf '%h\n' | sort -u)
  done
  echo "# golang.org/x/text => golang.org/x/text v0.3.7"
} > "$work/vendor/modules.txt"
cd "$work"
export GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOCACHE="$work/.cache"
go build -trimpath -buildvcs=false -o bootstrap .
go build -trimpath -buildvcs=false -ldflags="-s -w" -o stripped/bootstrap .
go version -m bootstrap > "$here/go-version-m.txt"
# ground truth for the symbol labels: the function symbols (text, T/t) as `go tool nm` lists them
go tool nm bootstrap | awk '$2 == "T" || $2 == "t" { sub(/^ *[0-9a-f]+ [Tt] /, ""); print }' | sort -u | gzip -9n > "$here/bootstrap-functions.txt.gz"
touch -d 2024-01-01T00:00:00Z bootstrap stripped/bootstrap
chmod 755 bootstrap stripped/bootstrap
rm -f "$repo/sample_packages/go-function.zip" "$repo/tests/fixtures/golang/go-function-stripped.zip"
mkdir -p "$repo/tests/fixtures/golang"
zip -q -X -9 "$repo/sample_packages/go-function.zip" bootstrap
(cd stripped && zip -q -X -9 "$repo/tests/fixtures/golang/go-function-stripped.zip" bootstrap)
ls -l bootstrap stripped/bootstrap "$repo/sample_packages/go-function.zip" "$repo/tests/fixtures/golang/go-function-stripped.zip"

# Cross-compiled fixtures: the same tiny program for 386 (ELF32 LE), arm64 (ELF64 LE), mips (ELF32 BE)
# and s390x (ELF64 BE) -> tests/fixtures/golang/cross.zip (+ go version -m of each in cross-go-version-m.txt)
mkdir -p "$work/cross/vendor/golang.org/x/crypto"
cp "$here/cross/main.go" "$here/cross/go.mod" "$work/cross/"
cp -r "$src/golang.org/x/crypto/blowfish" "$work/cross/vendor/golang.org/x/crypto/"
printf '# golang.org/x/crypto v0.4.0\n## explicit; go 1.17\ngolang.org/x/crypto/blowfish\n' > "$work/cross/vendor/modules.txt"
cd "$work/cross"
: > "$here/cross-go-version-m.txt"
for arch in 386 arm64 mips s390x; do
  GOARCH=$arch go build -trimpath -buildvcs=false -o "out/cross-$arch" .
  go version -m "out/cross-$arch" | sed "s|^out/||" >> "$here/cross-go-version-m.txt"
  touch -d 2024-01-01T00:00:00Z "out/cross-$arch"
done
rm -f "$repo/tests/fixtures/golang/cross.zip"
(cd out && zip -q -X -9 "$repo/tests/fixtures/golang/cross.zip" cross-386 cross-arm64 cross-mips cross-s390x)
ls -l "$repo/tests/fixtures/golang/cross.zip"
