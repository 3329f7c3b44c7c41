"""Host-side helpers for deploy/build-and-smoke-test.sh (run with the repository's Python, from the
repository root, with the test extra installed: moto serves the emulated account).

    python deploy/container/smoke.py emulator STATE_DIR [--functions N --layers N]
        Start the AWS emulator of tests/aws_emulator on 127.0.0.1 with its scenario account
        (tests/aws_emulator/scenario.py: functions in three regions, one throttled, one denied,
        layers, code signing, an image function, failing downloads), write STATE_DIR/emulator.env
        (the variables a container needs to reach it), STATE_DIR/manifest.json (what a correct
        scan reports) and STATE_DIR/ready, then serve until SIGTERM or SIGINT.

    python deploy/container/smoke.py check-account RESULTS_DIR MANIFEST
        Hold an `account --out-dir` directory written by the container against the manifest:
        summary.json lists every function of the scanned regions with the expected status, and
        every scanned function and layer has an SBOM that is valid CycloneDX 1.6.

    python deploy/container/smoke.py check-org MERGED_DIR SINGLE_DIR MANIFEST
        The merged shards of `account --org` (deploy/README.md's fan-out and merge) cover every
        account of the organization and every (account, region) pair, and report the management
        account's functions and SBOMs exactly as the single-account scan in SINGLE_DIR did.

    python deploy/container/smoke.py check-sbom FILE...
        Each FILE is valid CycloneDX 1.6 JSON (pkgscan.report.sbom_schema, the schema files
        cyclonedx-python-lib ships).

Every check prints one JSON line with what it counted and exits 1 on the first disagreement.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: manifest status -> summary.json status
STATUS = {"scanned": "scanned", "not-scanned": "skipped", "failed": "failed"}


def fail(message: str) -> None:
    print(f"smoke: FAIL: {message}", file=sys.stderr)
    raise SystemExit(1)


def emulator(state: Path, functions: int, layers: int) -> int:
    from tests.aws_emulator import build_account
    from tests.aws_emulator.server import Emulator

    state.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with Emulator() as emu:
        manifest = build_account(emu, functions=functions, layers=layers)
        env = emu.env()
        env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = manifest.primary_region
        (state / "emulator.env").write_text("".join(f"{k}={v}\n" for k, v in sorted(env.items())))
        (state / "manifest.json").write_text(json.dumps(asdict(manifest), indent=1, sort_keys=True))
        (state / "ready").write_text(emu.endpoint_url + "\n")
        while not stop.wait(0.5):
            pass
        (state / "requests.json").write_text(json.dumps(
            {"operations": sorted(emu.log.operations()), "bugs": emu.bugs}, indent=1, default=str))
    return 0 if not emu.bugs else 1


def _validate(path: Path) -> str | None:
    from pkgscan.report.sbom_schema import validate

    text = path.read_text()
    problem = validate(text, "cyclonedx-json", "1.6")
    if problem is None and json.loads(text).get("bomFormat") != "CycloneDX":
        problem = "bomFormat is not CycloneDX"
    return problem


def check_sbom(files: list[Path]) -> int:
    for f in files:
        problem = _validate(f)
        if problem:
            fail(f"{f}: not valid CycloneDX 1.6: {problem}")
    print(json.dumps({"sboms_valid": len(files)}))
    return 0


def check_account(results: Path, manifest_file: Path) -> int:
    manifest = json.loads(manifest_file.read_text())
    summary_file = results / "summary.json"
    if not summary_file.is_file() or not (results / "summary.md").is_file():
        fail(f"{results}: no summary.json / summary.md")
    summary = json.loads(summary_file.read_text())

    # the denied region cannot even be listed: it is a failed region, and its functions are absent
    denied = manifest["denied_region"]
    regions = {r["region"]: r for r in summary["regions"]}
    if set(regions) != set(manifest["regions"]):
        fail(f"regions {sorted(regions)} != {sorted(manifest['regions'])}")
    for name, r in regions.items():
        if r["status"] != ("failed" if name == denied else "scanned"):
            fail(f"region {name}: status {r['status']} ({r.get('reason')})")
    # $LATEST of every function of the other regions, with the status the scenario says
    expected = {(f["region"], f["name"]): f for f in manifest["functions"] if f["is_latest"] and f["region"] != denied}
    got = {(f["region"], f["name"]): f for f in summary["functions"]}
    if set(got) != set(expected):
        fail(f"functions: {len(got)} in summary.json, {len(expected)} expected; "
             f"missing {sorted(set(expected) - set(got))[:5]}, unexpected {sorted(set(got) - set(expected))[:5]}")
    wrong = [(k, got[k]["status"], STATUS[e["expected_status"]]) for k, e in expected.items()
             if got[k]["status"] != STATUS[e["expected_status"]]]
    if wrong:
        fail(f"{len(wrong)} functions with the wrong status, e.g. {wrong[:5]}")
    by_status: dict[str, int] = {}
    for f in got.values():
        by_status[f["status"]] = by_status.get(f["status"], 0) + 1
    if summary["counts"]["by_status"] != by_status:
        fail(f"counts.by_status {summary['counts']['by_status']} != {by_status}")

    # one SBOM per scanned function, named after it, in functions/<account>/<region>/
    sboms = sorted((results / "functions").rglob("*.cdx.json"))
    if len(sboms) != by_status.get("scanned", 0):
        fail(f"{len(sboms)} function SBOMs for {by_status.get('scanned', 0)} scanned functions")
    for (region, name), f in got.items():
        if f["status"] == "scanned" and not list((results / "functions" / f["account"] / region).glob(f"{name}@*.cdx.json")):
            fail(f"no SBOM for {region}/{name}")
    layer_sboms = sorted((results / "layers").rglob("*.cdx.json"))
    for p in [*sboms, *layer_sboms]:
        problem = _validate(p)
        if problem:
            fail(f"{p.relative_to(results)}: not valid CycloneDX 1.6: {problem}")
    findings = sum(len(f["findings"]) for f in got.values())
    if by_status.get("scanned") and not findings:
        fail("no findings at all: the advisory database was not used")
    print(json.dumps({"functions": len(got), "by_status": by_status, "function_sboms": len(sboms),
                      "layer_sboms": len(layer_sboms), "findings": findings,
                      "regions": {r["region"]: r["status"] for r in summary["regions"]}}, sort_keys=True))
    return 0


def check_org(merged: Path, single: Path, manifest_file: Path) -> int:
    """The merged shards of `account --org` cover every account of the organization, and report the
    management account's functions exactly as the single-account scan did."""
    manifest = json.loads(manifest_file.read_text())
    m = json.loads((merged / "summary.json").read_text())
    one = json.loads((single / "summary.json").read_text())
    accounts = {a["account"]: a["status"] for a in m["accounts"]}
    want = set(manifest["organization_accounts"]) | {manifest["account_id"]}
    if set(accounts) != want or set(accounts.values()) != {"scanned"}:
        fail(f"accounts: {len(accounts)} ({sorted(set(accounts.values()))}), expected {len(want)} scanned")
    pairs = {(r["account"], r["region"]): r["status"] for r in m["regions"]}
    want_pairs = {(a, r): ("failed" if r == manifest["denied_region"] else "scanned") for a in want for r in manifest["regions"]}
    if pairs != want_pairs:
        fail(f"(account, region) pairs: {len(pairs)}, expected {len(want_pairs)}; "
             f"differing {sorted(set(pairs.items()) ^ set(want_pairs.items()))[:5]}")

    def rows(doc):
        return sorted((f["account"], f["region"], f["name"], f["version"], f["status"], len(f["findings"])) for f in doc["functions"])

    if rows(m) != rows(one):
        fail(f"merged functions differ from the single-account scan: {sorted(set(rows(m)) ^ set(rows(one)))[:5]}")

    def files(d):
        return sorted(str(p.relative_to(d)) for sub in ("functions", "layers") for p in (d / sub).rglob("*.cdx.json"))

    if files(merged) != files(single):
        fail("merged SBOM files differ from the single-account scan's")
    print(json.dumps({"accounts": len(accounts), "pairs": len(pairs), "functions": len(m["functions"]),
                      "sboms": len(files(merged))}, sort_keys=True))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("emulator")
    e.add_argument("state", type=Path)
    e.add_argument("--functions", type=int, default=200)
    e.add_argument("--layers", type=int, default=20)
    a = sub.add_parser("check-account")
    a.add_argument("results", type=Path)
    a.add_argument("manifest", type=Path)
    o = sub.add_parser("check-org")
    o.add_argument("merged", type=Path)
    o.add_argument("single", type=Path)
    o.add_argument("manifest", type=Path)
    s = sub.add_parser("check-sbom")
    s.add_argument("files", type=Path, nargs="+")
    args = ap.parse_args(argv)
    if args.cmd == "emulator":
        return emulator(args.state, args.functions, args.layers)
    if args.cmd == "check-account":
        return check_account(args.results, args.manifest)
    if args.cmd == "check-org":
        return check_org(args.merged, args.single, args.manifest)
    return check_sbom(args.files)


if __name__ == "__main__":
    raise SystemExit(main())
