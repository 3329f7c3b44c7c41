#!/usr/bin/env bash
# Build the pkgscan image with buildah (no Docker daemon) and run it with podman the way
# docs/container.md tells users to: read-only root filesystem, the image's non-root user, a
# writable bind-mounted volume for the database and cache (/data) and one for results (/out),
# credentials from the environment, then check the results on the host.
#
#   deploy/build-and-smoke-test.sh [--out DIR] [--base IMAGE] [--rebuild-base] [--image NAME]
#                                  [--functions N] [--build-only]
#
#   --base IMAGE     build on IMAGE (e.g. python:3.12-slim-bookworm, the Dockerfile's default, when
#                    a registry is reachable); without it the script builds a local stand-in from
#                    Debian's packages (deploy/container/debian-python-base.sh), once, and reuses it
#   --rebuild-base   build that local base again even if it exists
#   --out DIR        where the volumes, outputs and report.json go (default: a new temporary dir)
#   --functions N    size of the emulated account (default 200, in three regions)
#   --build-only     build and measure the image, run nothing but `pkgscan --version`
#
# What runs (every command's exit code is checked):
#   1. the base image (unless --base), 2. `buildah bud` of the Dockerfile, 3. the image's size,
#   user, entrypoint and absence of build tools, 4. `pkgscan --version` three times (start-up
#   time), 5. a probe of the user, the read-only root, the volumes and the CA bundle, 6. `db import`
#   of the committed advisory snapshot into /data, `scan` and `sbom` of the mounted sample with no
#   network, `--fail-on high` (exit 1) and a missing file (exit 2), 7. `pkgscan account` against the
#   AWS emulator of tests/aws_emulator on 127.0.0.1 (host network), whose summary.json and SBOMs
#   are held against the scenario's manifest (deploy/container/smoke.py), 8. deploy/README.md's
#   fan-out and merge: two `account --org --shard-count 2` containers (JOB_COMPLETION_INDEX) and a
#   `merge` container, whose result must equal the single-account scan for the management account.
# Figures and exit codes go to DIR/report.json. tests/test_container_build.py runs this script.
#
# Needs: buildah, podman, mmdebstrap (apt-get install buildah podman mmdebstrap; runc where crun
# cannot run, e.g. with hybrid cgroups), and the repository's virtual environment with the test
# extra (.venv: `python3 -m venv .venv && .venv/bin/pip install -e '.[test]'`) for the emulator
# and the checks. Run as root (rootless podman works too, given subordinate ids).
#
# Environment: IMAGE (localhost/pkgscan:smoke), PYTHON (.venv/bin/python), SUITE (bookworm, for
# the local base), RUNTIME (runc when installed, else podman's default), BUILD_CA_BUNDLE (a CA
# bundle mounted over /etc/ssl/certs/ca-certificates.crt during the build's RUN steps so pip
# trusts a TLS-intercepting proxy; default: the host's bundle; empty: none),
# CONTAINERS_STORAGE_CONF (buildah/podman storage; default: the system's).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGE=${IMAGE:-localhost/pkgscan:smoke}
PYTHON=${PYTHON:-$REPO/.venv/bin/python}
SUITE=${SUITE:-bookworm}
BUILD_CA_BUNDLE=${BUILD_CA_BUNDLE-/etc/ssl/certs/ca-certificates.crt}
if [[ -z "${RUNTIME+x}" ]]; then
    RUNTIME=$(command -v runc || true)
fi
BASE=""
REBUILD_BASE=0
OUT=""
FUNCTIONS=200
BUILD_ONLY=0

while [[ $# -gt 0 ]]; do
    case "$1" in
        --out) OUT=$2; shift 2 ;;
        --base) BASE=$2; shift 2 ;;
        --rebuild-base) REBUILD_BASE=1; shift ;;
        --image) IMAGE=$2; shift 2 ;;
        --functions) FUNCTIONS=$2; shift 2 ;;
        --build-only) BUILD_ONLY=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "$0: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

for tool in buildah podman; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found (apt-get install $tool)" >&2; exit 2; }
done
[[ -x "$PYTHON" ]] || { echo "$0: no Python at $PYTHON (set PYTHON, or make .venv with the test extra)" >&2; exit 2; }

if [[ -z "$OUT" ]]; then
    OUT=$(mktemp -d "${TMPDIR:-/tmp}/pkgscan-smoke.XXXXXX")
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
LOG="$OUT/log"
: > "$LOG"
RESULTS="$OUT/report.tsv"   # name<TAB>value lines, turned into report.json at the end
: > "$RESULTS"
EMULATOR_PID=""

say() { printf '%s\n' "$*" | tee -a "$LOG" >&2; }
record() { printf '%s\t%s\n' "$1" "$2" >> "$RESULTS"; }
die() {
    say "FAIL: $*"
    record failed "$*"
    finish 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

finish() {
    local rc=$1
    stop_emulator
    "$PYTHON" - "$RESULTS" "$OUT/report.json" "$rc" <<'PY' || true
import json, sys
rows = [line.rstrip("\n").split("\t", 1) for line in open(sys.argv[1]) if "\t" in line]
doc = {}
for key, value in rows:
    try:
        doc[key] = json.loads(value)
    except ValueError:
        doc[key] = value
doc["ok"] = sys.argv[3] == "0"
open(sys.argv[2], "w").write(json.dumps(doc, indent=1, sort_keys=True) + "\n")
PY
    if [[ "$rc" == 0 ]]; then say "OK: report in $OUT/report.json"; else say "report in $OUT/report.json, log in $LOG"; fi
    exit "$rc"
}
trap 'finish 130' INT TERM
NAMED_VOLUME=""
stop_emulator() {
    if [[ -n "$EMULATOR_PID" ]]; then
        kill "$EMULATOR_PID" 2>/dev/null || true
        wait "$EMULATOR_PID" 2>/dev/null || true
        EMULATOR_PID=""
    fi
    if [[ -n "$NAMED_VOLUME" ]]; then
        podman volume rm --force "$NAMED_VOLUME" >/dev/null 2>&1 || true
        NAMED_VOLUME=""
    fi
}
trap stop_emulator EXIT

# run NAME EXPECTED_EXIT COMMAND...: run it, log its output, check its exit code
run() {
    local name=$1 expect=$2 rc=0 t0
    shift 2
    t0=$(now)
    say "+ $*"
    "$@" > "$OUT/$name.stdout" 2> "$OUT/$name.stderr" || rc=$?
    cat "$OUT/$name.stderr" >> "$LOG"
    record "seconds.$name" "$(elapsed "$t0")"
    record "exit.$name" "$rc"
    if [[ "$rc" != "$expect" ]]; then
        tail -n 20 "$OUT/$name.stderr" >&2
        die "$name: exit $rc, expected $expect"
    fi
}

# ------------------------------------------------------------------------------ 1. base image
if [[ -z "$BASE" ]]; then
    BASE="localhost/pkgscan-base:debian-$SUITE"
    if [[ "$REBUILD_BASE" == 1 ]] || ! buildah inspect --type image "$BASE" >/dev/null 2>&1; then
        run base 0 env SUITE="$SUITE" "$REPO/deploy/container/debian-python-base.sh" "$BASE"
    else
        say "base image $BASE exists (--rebuild-base builds it again)"
    fi
fi
record base_image "\"$BASE\""

# ------------------------------------------------------------------------------ 2. build
VERSION=$(cd "$REPO" && "$PYTHON" -c 'import pkgscan; print(pkgscan.__version__)')
record version "\"$VERSION\""
build=(buildah bud --isolation "${BUILDAH_ISOLATION:-chroot}" --build-arg "PYTHON_IMAGE=$BASE"
       --build-arg "VERSION=$VERSION" --file "$REPO/Dockerfile" --tag "$IMAGE")
if [[ -n "$BUILD_CA_BUNDLE" && -f "$BUILD_CA_BUNDLE" ]]; then
    build+=(--volume "$BUILD_CA_BUNDLE:/etc/ssl/certs/ca-certificates.crt:ro")
fi
run build 0 "${build[@]}" "$REPO"

# ------------------------------------------------------------------------------ 3. the image
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
record image_size_bytes "${size%.*}"
record base_size_bytes "$(podman image inspect --format '{{.Size}}' "$BASE" | sed 's/\..*//')"
user=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
entrypoint=$(podman image inspect --format '{{json .Config.Entrypoint}}' "$IMAGE")
record image_user "\"$user\""
[[ "$user" == "10001:10001" ]] || die "image user is '$user', not 10001:10001"
[[ "$entrypoint" == '["pkgscan"]' ]] || die "image entrypoint is $entrypoint"
say "image $IMAGE: $(( ${size%.*} / 1000000 )) MB, user $user, entrypoint $entrypoint"

# As docs/container.md: --read-only (and, unlike podman's default, no tmpfs on /tmp unless asked).
# Explicit limits: podman's defaults for root (nofile/nproc above the host's hard limit) cannot be
# set where the engine lacks CAP_SYS_RESOURCE.
RUN=(podman)
if [[ -n "$RUNTIME" ]]; then RUN+=(--runtime "$RUNTIME"); fi
RUN+=(run --rm --read-only --read-only-tmpfs=false --ulimit nofile=4096:4096 --ulimit nproc=4096:4096)

# shellcheck disable=SC2016  # $t is the container shell's
run no_build_tools 0 "${RUN[@]}" --network none --entrypoint /bin/sh "$IMAGE" -c \
    'for t in gcc cc c++ make ld as; do if command -v "$t"; then exit 1; fi; done'

# ------------------------------------------------------------------------------ 4. start-up time
for i in 1 2 3; do
    run "version_$i" 0 "${RUN[@]}" --network none "$IMAGE" --version
    grep -q "$VERSION" "$OUT/version_$i.stdout" || die "pkgscan --version printed $(cat "$OUT/version_$i.stdout")"
done
# the process alone, measured inside the container (container set-up excluded)
run version_inside 0 "${RUN[@]}" --network none --entrypoint python3 "$IMAGE" -c '
import json, subprocess, time
times = []
for _ in range(5):
    t = time.perf_counter()
    subprocess.run(["pkgscan", "--version"], check=True, stdout=subprocess.DEVNULL)
    times.append(round(time.perf_counter() - t, 3))
print(json.dumps(sorted(times)))'
record version_inside_seconds "$(cat "$OUT/version_inside.stdout")"

if [[ "$BUILD_ONLY" == 1 ]]; then
    finish 0
fi

# ------------------------------------------------------------------------------ 5. volumes, probe
DATA="$OUT/data"
RES="$OUT/results"
rm -rf "$DATA" "$RES"
mkdir -p "$DATA" "$RES"
# bind mounts must be writable by the image's user (docs/container.md)
if [[ "$(id -u)" == 0 ]]; then
    chown 10001:10001 "$DATA" "$RES"
else
    podman unshare chown 10001:10001 "$DATA" "$RES"
fi
VOLUMES=(-v "$REPO/sample_packages:/work:ro" -v "$DATA:/data")

run probe 0 "${RUN[@]}" --network none "${VOLUMES[@]}" -v "$RES:/out" --entrypoint python3 "$IMAGE" -c '
import importlib.util, json, os, ssl, sys
import certifi, requests.utils
def writable(path):
    try:
        with open(os.path.join(path, ".probe"), "w"):
            pass
    except OSError as e:
        return e.strerror
    os.unlink(os.path.join(path, ".probe"))
    return True
ctx = ssl.create_default_context(cafile=certifi.where())
print(json.dumps({
    "uid": os.getuid(), "gid": os.getgid(), "home": os.environ["HOME"], "cwd": os.getcwd(),
    "writable": {p: writable(p) for p in ("/", "/home/pkgscan", "/tmp", "/usr/local/bin", "/work", "/data", "/out")},
    "ca_bundle": requests.utils.DEFAULT_CA_BUNDLE_PATH, "ca_certificates": ctx.cert_store_stats()["x509_ca"],
    "system_ca_bundle": os.path.exists("/etc/ssl/certs/ca-certificates.crt"),
    "python": sys.version.split()[0],
    # the optional decoders the image installs: zstd layers, and gzip layers through zlib-ng
    "decoders": {m: importlib.util.find_spec(m) is not None for m in ("zstandard", "zlib_ng")},
}, sort_keys=True))'
"$PYTHON" - "$OUT/probe.stdout" <<'PY' || die "probe: $(cat "$OUT/probe.stdout")"
import json, sys
p = json.load(open(sys.argv[1]))
assert (p["uid"], p["gid"]) == (10001, 10001), p
assert p["cwd"] == "/work" and p["home"] == "/home/pkgscan", p
w = p["writable"]
assert all(w[d] == "Read-only file system" for d in ("/", "/home/pkgscan", "/tmp", "/usr/local/bin", "/work")), w
assert w["/data"] is True and w["/out"] is True, w
assert p["ca_bundle"].endswith("certifi/cacert.pem") and p["ca_certificates"] > 100, p
assert p["decoders"] == {"zstandard": True, "zlib_ng": True}, p
PY
record probe "$(cat "$OUT/probe.stdout")"

# TLS from inside the image with requests (what `db update` and --osv-api use): with the image's own
# bundle (certifi), and with the host's bundle mounted and named by REQUESTS_CA_BUNDLE, the override
# for a proxy's CA. Only where the host itself reaches TLS_URL; the first result depends on the
# network (a TLS-intercepting proxy's CA is not in certifi's bundle), the second must succeed.
TLS_URL=${TLS_URL:-https://pypi.org/simple/}
HOST_CA=/etc/ssl/certs/ca-certificates.crt
if [[ -f "$HOST_CA" ]] && "$PYTHON" -c 'import requests, sys; requests.head(sys.argv[1], timeout=20).raise_for_status()' "$TLS_URL" 2>/dev/null; then
    run tls 0 "${RUN[@]}" --network host -v "$HOST_CA:/etc/pkgscan-ca/ca.crt:ro" \
        -e REQUESTS_CA_BUNDLE=/etc/pkgscan-ca/ca.crt --entrypoint python3 "$IMAGE" -c '
import json, os, sys
import requests
def attempt(session):
    try:
        session.head(sys.argv[1], timeout=20).raise_for_status()
        return "ok"
    except requests.exceptions.SSLError:
        return "certificate not trusted"
    except requests.RequestException as e:
        return type(e).__name__
image = requests.Session()
image.trust_env = False  # ignore REQUESTS_CA_BUNDLE: certifi only
result = {"image_bundle": attempt(image), "mounted_bundle": attempt(requests.Session())}
print(json.dumps(result, sort_keys=True))
sys.exit(result["mounted_bundle"] != "ok")' "$TLS_URL"
    record tls "$(cat "$OUT/tls.stdout")"
else
    say "TLS check skipped: the host does not reach $TLS_URL"
    record tls '"skipped"'
fi

# ------------------------------------------------------------------------------ 6. offline scan
run db_import 0 "${RUN[@]}" --network none "${VOLUMES[@]}" "$IMAGE" \
    db import advisories/PyPI-all.zip advisories/npm-all.zip
[[ -s "$DATA/db/osv.sqlite3" ]] || die "db import wrote no $DATA/db/osv.sqlite3"
run scan 0 "${RUN[@]}" --network none "${VOLUMES[@]}" "$IMAGE" scan python-function.zip --format json
"$PYTHON" - "$OUT/scan.stdout" <<'PY' || die "scan: unexpected report"
import json, sys
r = json.load(open(sys.argv[1]))
found = {(f["name"], f["version"], f["id"]) for f in r["findings"]}
assert ("requests", "2.19.1", "PYSEC-2018-28") in found, sorted(found)
assert {c["name"] for c in r["components"]} >= {"requests", "urllib3", "certifi", "idna", "chardet"}
PY
record scan_findings "$("$PYTHON" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$OUT/scan.stdout")"
run scan_fail_on 1 "${RUN[@]}" --network none "${VOLUMES[@]}" "$IMAGE" scan python-function.zip --fail-on high -q
run scan_missing 2 "${RUN[@]}" --network none "${VOLUMES[@]}" "$IMAGE" scan no-such-function.zip
run sbom 0 "${RUN[@]}" --network none "${VOLUMES[@]}" -v "$RES:/out" "$IMAGE" \
    sbom python-function.zip -o /out/python-function.cdx.json
run sbom_valid 0 "$PYTHON" "$REPO/deploy/container/smoke.py" check-sbom "$RES/python-function.cdx.json"
# the documented form, a named volume for /data: a new volume gets the image's /data (owned by 10001)
NAMED_VOLUME="pkgscan-smoke-$$"
run named_volume_import 0 "${RUN[@]}" --network none -v "$REPO/sample_packages:/work:ro" -v "$NAMED_VOLUME:/data" \
    "$IMAGE" db import advisories/npm-all.zip
run named_volume_scan 0 "${RUN[@]}" --network none -v "$REPO/sample_packages:/work:ro" -v "$NAMED_VOLUME:/data" \
    "$IMAGE" scan node-function.zip --format json -q
"$PYTHON" -c 'import json, sys; assert json.load(open(sys.argv[1]))["findings"]' "$OUT/named_volume_scan.stdout" \
    || die "named volume: the scan found nothing"
podman volume rm --force "$NAMED_VOLUME" >/dev/null
NAMED_VOLUME=""

# ------------------------------------------------------------------------------ 7. account scan
STATE="$OUT/emulator"
rm -rf "$STATE"
(cd "$REPO" && exec "$PYTHON" deploy/container/smoke.py emulator "$STATE" --functions "$FUNCTIONS" \
    --layers $(( FUNCTIONS / 10 > 1 ? FUNCTIONS / 10 : 2 ))) >> "$LOG" 2>&1 &
EMULATOR_PID=$!
for _ in $(seq 240); do
    [[ -f "$STATE/ready" ]] && break
    kill -0 "$EMULATOR_PID" 2>/dev/null || die "the emulator exited (see $LOG)"
    sleep 0.5
done
[[ -f "$STATE/ready" ]] || die "the emulator did not start in 120 s"
# credentials and endpoint from the environment, passed through by name (-e NAME), as documented
set -a
# shellcheck source=/dev/null
. "$STATE/emulator.env"
set +a
ENV_FLAGS=()
while IFS='=' read -r name _; do ENV_FLAGS+=(-e "$name"); done < "$STATE/emulator.env"
REGIONS=$("$PYTHON" -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["regions"]))' "$STATE/manifest.json")
ACCOUNT=("${RUN[@]}" --network host --tmpfs "/tmp:rw,noexec,nosuid,size=512m" "${ENV_FLAGS[@]}"
         "${VOLUMES[@]}" -v "$RES:/out" "$IMAGE" account --regions "$REGIONS" -q)
# the scenario denies one region: exit 3 (something asked for could not be read), the rest scanned
run account 3 "${ACCOUNT[@]}" --out-dir /out/account --format json -o /out/account.json
run account_valid 0 "$PYTHON" "$REPO/deploy/container/smoke.py" check-account "$RES/account" "$STATE/manifest.json"
record account_check "$(tail -n 1 "$OUT/account_valid.stdout")"
# the second scan reads the unchanged code from the cache in /data
run account_cached 0 "${ACCOUNT[@]}" --allow-incomplete --format json -o /out/account-cached.json
[[ -n "$(find "$DATA/cache" -type f -print -quit)" ]] || die "no code cache in $DATA/cache"
# results on the host belong to the image's user
[[ "$(stat -c %u "$RES/account/summary.json")" == 10001 ]] || die "summary.json is not owned by 10001"

# ------------------------------------------------------------------------------ 8. fan-out and merge
# deploy/README.md's flow: N containers each scan their share of the organization's (account, region)
# pairs, the shard index from the scheduler (JOB_COMPLETION_INDEX, as a Kubernetes Indexed Job
# sets it; '{shard}' in --out-dir as on AWS Batch), then one container merges them.
ORG=("${RUN[@]}" --network host --tmpfs "/tmp:rw,noexec,nosuid,size=512m" "${ENV_FLAGS[@]}" -v "$DATA:/data" -v "$RES:/out")
for i in 0 1; do
    run "shard_$i" 0 "${ORG[@]}" -e "JOB_COMPLETION_INDEX=$i" "$IMAGE" account --org --role-name PkgscanScanner \
        --regions "$REGIONS" --shard-count 2 -q --allow-incomplete --out-dir "/out/org/shard-{shard}" --format json \
        -o /dev/null
done
run merge 0 "${RUN[@]}" --network none -v "$RES:/out" "$IMAGE" \
    merge /out/org/shard-0 /out/org/shard-1 --out-dir /out/org/merged
run org_valid 0 "$PYTHON" "$REPO/deploy/container/smoke.py" check-org "$RES/org/merged" "$RES/account" "$STATE/manifest.json"
record org_check "$(tail -n 1 "$OUT/org_valid.stdout")"

finish 0
