#!/bin/sh
# Build sample_packages/dotnet-function.zip and dotnet-function.expected.json from src/ (see README.md:
# the .NET SDK and NuGet are not reachable here, so the metadata files are written as the SDK writes them).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
SAMPLES=$(dirname "$HERE")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$HERE/src/S3Notifier.deps.json" "$HERE/src/S3Notifier.runtimeconfig.json" "$WORK/"
python3 "$SAMPLES/mkzip.py" "$SAMPLES/dotnet-function.zip" "$WORK"
python3 - "$HERE/src/S3Notifier.deps.json" "$HERE/dotnet-function.expected.json" <<'PY'
# Ground truth from the package list this sample was written with (not from a scanner), checked
# against the deps.json's own library keys.
import json, sys
deps_path, out = sys.argv[1], sys.argv[2]
packages = [("AWSSDK.Core", "3.7.300.29"), ("AWSSDK.S3", "3.7.305.22"), ("Amazon.Lambda.Core", "2.2.0"),
            ("Amazon.Lambda.Serialization.SystemTextJson", "2.4.0"), ("Newtonsoft.Json", "12.0.3")]
libs = json.load(open(deps_path))["libraries"]
assert {k for k, v in libs.items() if v["type"] == "package"} == {f"{n}/{v}" for n, v in packages}
truth = {
    "zip": "dotnet-function.zip",
    "layout": "function",
    "components": [{"ecosystem": "nuget", "name": n, "version": v, "locations": ["S3Notifier.deps.json"]}
                   for n, v in packages],
    "declared_only": [],
    "dependencies": [["pkg:nuget/AWSSDK.S3@3.7.305.22", "pkg:nuget/AWSSDK.Core@3.7.300.29"],
                     ["pkg:nuget/Amazon.Lambda.Serialization.SystemTextJson@2.4.0", "pkg:nuget/Amazon.Lambda.Core@2.2.0"]],
    "advisories": {"pkg:nuget/Newtonsoft.Json@12.0.3": ["GHSA-5crp-9r3c-p9vr"]},
}
with open(out, "w") as f:
    json.dump(truth, f, indent=2)
    f.write("\n")
PY
echo "built $SAMPLES/dotnet-function.zip"
