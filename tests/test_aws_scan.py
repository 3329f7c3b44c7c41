"""Scanning a whole emulated AWS account over real HTTP (moto + our emulator on loopback).

The account (tests/aws_emulator/scenario.py) has 200 functions in 3 regions, 20 layers shared among
them, signed / unsigned / revoked code, deprecated runtimes, an image function, a throttled region,
an access-denied region, an expired URL and a corrupted download.  Its manifest says what a correct
scan reports; these tests hold pkgscan's results against it.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest

from pkgscan.aws.cache import CodeCache
from pkgscan.aws.scanner import LambdaScanner, ScanOptions
from pkgscan.aws.session import AwsContext, AwsOptions
from pkgscan.scan import vulnerability_sources

from .aws_emulator import arm_faults
from .conftest import ROOT

pytestmark = pytest.mark.slow

POLICY = ROOT / "iam" / "pkgscan-scanner-policy.json"
# today's date for the runtime verdicts: the manifest's own "as of"
STATUS = {"scanned": "scanned", "not-scanned": "skipped", "failed": "failed"}


@pytest.fixture(scope="module")
def account(aws_account):
    """The session's scenario account (tests/aws_emulator/fixtures.py)."""
    return aws_account


@pytest.fixture(scope="module")
def db_dir(advisory_db_dir):
    """The session's snapshot database (tests/conftest.py), read-only."""
    return advisory_db_dir


def make_scanner(emu, manifest, db_dir, cache_dir, monkeypatch, **opts):
    for k, v in emu.env().items():
        monkeypatch.setenv(k, v)
    ctx = AwsContext(AwsOptions(region=manifest.primary_region, endpoint_url=emu.endpoint_url,
                                retry_mode="standard", max_attempts=5))
    sources, _info = vulnerability_sources(db_dir=db_dir)
    options = ScanOptions(today=date.fromisoformat(manifest.as_of), workers=8, **opts)
    return LambdaScanner(ctx, sources=sources, cache=CodeCache(cache_dir, version="test"), options=options)


@pytest.fixture(scope="module")
def first_scan(account, db_dir, tmp_path_factory):
    emu, manifest = account
    cache_dir = tmp_path_factory.mktemp("cache")
    mp = pytest.MonkeyPatch()
    try:
        arm_faults(emu, manifest)
        emu.log.clear()
        scanner = make_scanner(emu, manifest, db_dir, cache_dir, mp)
        result = scanner.scan_regions(manifest.regions, manifest.account_id)
        log = {
            "downloads": emu.log.completed_downloads_by_hash(),
            "blob_downloads": [d for d in emu.log.download_list() if d.complete and d.kind == "ecr-blob"],
            "iam": emu.log.iam_actions(),
            "operations": emu.log.operations(),
        }
    finally:
        mp.undo()
    return result, log, cache_dir


def test_every_listable_function_has_the_right_status(account, first_scan):
    _emu, manifest = account
    result, _log, _ = first_scan
    got = {f.arn: f for f in result.functions}
    expected = [f for f in manifest.latest() if f.region != manifest.denied_region]
    assert set(got) == {f.function_arn if not f.function_arn.endswith("$LATEST") else f.function_arn
                        for f in expected} or set(got) == {f.qualified_arn for f in expected}
    by_unqualified = {a.rsplit(":$LATEST", 1)[0]: f for a, f in got.items()}
    for exp in expected:
        res = by_unqualified[exp.function_arn]
        assert res.status == STATUS[exp.expected_status], (exp.name, res.status, res.reason)
        if exp.package_type == "Image":  # scanned from ECR (pkgscan.aws.ecr)
            assert res.resolved_image_uri.endswith(res.inventory_sha256) and res.image_uri


def test_denied_region_is_reported_not_dropped(account, first_scan):
    _emu, manifest = account
    result, _log, _ = first_scan
    regions = {r.region: r for r in result.regions}
    assert set(regions) == set(manifest.regions)
    denied = regions[manifest.denied_region]
    assert denied.status == "failed" and "access denied" in denied.reason
    assert regions[manifest.throttled_region].status == "scanned"  # throttling was retried
    ok = [r for r in result.regions if r.region != manifest.denied_region]
    assert all(r.status == "scanned" for r in ok)


def test_each_distinct_zip_is_downloaded_exactly_once(account, first_scan):
    _emu, manifest = account
    result, log, _ = first_scan
    downloads: Counter = log["downloads"]
    assert downloads, "nothing was downloaded"
    assert max(downloads.values()) == 1, [h for h, n in downloads.items() if n > 1]
    expected_code = {f.code_sha256 for f in manifest.latest() if f.expected_status == "scanned" and f.package_type == "Zip"}
    blobs = {d.code_sha256 for d in log["blob_downloads"]}  # container-image blobs (one download each too)
    downloads = Counter({h: n for h, n in downloads.items() if h not in blobs})
    assert blobs and all(d.kind == "ecr-blob" for d in log["blob_downloads"])
    scanned_layers = {lr.code_sha256 for lr in result.layers if lr.status == "scanned"}
    assert set(downloads) == expected_code | scanned_layers
    # every layer a scanned function uses was scanned
    used = {a for f in manifest.latest() if f.expected_status == "scanned" for a in f.layers}
    assert used <= {lr.arn for lr in result.layers if lr.status == "scanned"}


def test_faulty_downloads_recovered(account, first_scan):
    _emu, manifest = account
    result, _log, _ = first_scan
    names = {f.name: f for f in result.functions}
    for fault in ("expired-url", "corrupt-download", "dropped-download"):
        f = names[f"py-{fault}"]
        assert f.status == "scanned", (fault, f.reason)


def _our_signing_verdict(report) -> str:
    """pkgscan's checks, read back into the manifest's vocabulary (same precedence)."""
    failed = {c.name: c for c in report.checks if c.verdict == "fail"}
    unknown = {c.name for c in report.checks if c.verdict == "unknown"}
    no_config = "config-attached" in failed and failed["config-attached"].severity == "low"
    if "signed" in failed:
        return "no-config" if no_config else "unsigned"
    if "job-status" in failed:
        return "job-revoked"
    if "profile-status" in failed:
        return "profile-revoked"
    if "signature-expiry" in failed and failed["signature-expiry"].severity == "high":
        return "signature-expired"
    if "allowed-publisher" in failed and not no_config:
        return "untrusted-publisher"
    if unknown:
        return "cross-account-unverified"
    if no_config:
        return "no-config"
    return "valid"


def test_signing_verdicts(account, first_scan):
    _emu, manifest = account
    result, _log, _ = first_scan
    by_unqualified = {f.arn.rsplit(":$LATEST", 1)[0]: f for f in result.functions}
    checked = Counter()
    for exp in manifest.latest():
        if exp.expected_status != "scanned" or exp.package_type == "Image":  # Lambda code signing is zip-only
            continue
        res = by_unqualified[exp.function_arn]
        ours = _our_signing_verdict(res.signing)
        want = exp.signing.verdict
        if want == "valid":  # every check passes; a Warn policy is still reported against the config
            bad = [(c.name, c.verdict, c.severity) for c in res.signing.checks if c.verdict != "pass"]
            allowed = [("config-attached", "fail", "medium")] if exp.signing.policy == "Warn" else []
            assert bad == allowed, (exp.name, bad)
        assert ours == want, (exp.name, want, [(c.name, c.verdict, c.severity, c.reason) for c in res.signing.checks])
        checked[want] += 1
    assert {"valid", "unsigned", "job-revoked", "profile-revoked", "no-config"} <= set(checked), checked


def test_runtime_verdicts(account, first_scan):
    _emu, manifest = account
    result, _log, _ = first_scan
    by_unqualified = {f.arn.rsplit(":$LATEST", 1)[0]: f for f in result.functions}
    seen = Counter()
    for exp in manifest.latest():
        if exp.region == manifest.denied_region or exp.package_type == "Image":
            continue
        v = by_unqualified[exp.function_arn].runtime_verdict
        ours = "supported" if v.status in ("supported", "deprecating-soon") else v.status
        assert ours == exp.runtime_verdict, (exp.name, exp.runtime, v.status)
        seen[ours] += 1
    assert seen["deprecated"] and seen["supported"]


def test_findings_and_effective_view(account, first_scan):
    _emu, _manifest = account
    result, _log, _ = first_scan
    scanned_py = [f for f in result.functions if f.status == "scanned" and f.runtime.startswith("python")]
    ids = {x.id for f in scanned_py for x in f.findings}
    assert "PYSEC-2018-28" in ids  # requests 2.19.1 in the python-function sample code
    layered = [f for f in scanned_py if f.layers]
    assert layered and all(f.effective is not None for f in layered)
    assert any("layer:" in label for f in layered for x in f.findings for label in x.labels)


def test_api_calls_are_covered_by_the_shipped_iam_policy(first_scan):
    _result, log, _ = first_scan
    policy = json.loads(POLICY.read_text())
    allowed = {a for st in policy["Statement"] for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    needed = set(log["iam"]) - {"sts:GetCallerIdentity"}
    assert needed <= allowed, needed - allowed


def test_warm_cache_downloads_nothing(account, first_scan, db_dir, monkeypatch):
    emu, manifest = account
    first, _log, cache_dir = first_scan
    arm_faults(emu, manifest)
    emu.log.clear()
    scanner = make_scanner(emu, manifest, db_dir, cache_dir, monkeypatch)
    again = scanner.scan_regions(manifest.regions, manifest.account_id)
    assert not emu.log.completed_downloads_by_hash()
    assert scanner.stats["downloads"] == 0 and scanner.stats["cache_hits"] > 0
    assert [(f.arn, f.status) for f in again.functions] == [(f.arn, f.status) for f in first.functions]
    assert [sorted(x.id for x in f.findings) for f in again.functions] == \
        [sorted(x.id for x in f.findings) for f in first.functions]


def test_results_written_to_out_dir(account, first_scan, tmp_path):
    from pkgscan.aws import results

    result, _log, _ = first_scan
    doc = results.write(result, tmp_path)
    assert (tmp_path / "summary.json").exists() and (tmp_path / "summary.md").exists()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert len(summary["functions"]) == len(result.functions)
    sboms = list((tmp_path / "functions").rglob("*.cdx.json"))
    assert len(sboms) == sum(1 for f in result.functions if f.status == "scanned")
    from pkgscan.report.sbom_schema import validate

    for sbom in [*sboms, *(tmp_path / "layers").rglob("*.cdx.json")]:  # every SBOM the scan wrote
        assert validate(sbom.read_text(), "cyclonedx-json", "1.6") is None, sbom
    one = json.loads(sboms[0].read_text())
    props = {p["name"]: p["value"] for p in one["metadata"]["component"]["properties"]}
    assert props["aws:lambda:function-arn"].startswith("arn:aws:lambda:")
    assert props["aws:lambda:code-sha256"]
    assert doc["counts"]["by_status"].get("skipped", 0) == 0  # container images are scanned, not skipped


def test_all_versions(account, db_dir, tmp_path, monkeypatch):
    emu, manifest = account
    arm_faults(emu, manifest)
    emu.log.clear()
    scanner = make_scanner(emu, manifest, db_dir, tmp_path / "cache", monkeypatch, all_versions=True)
    result = scanner.scan_regions(manifest.regions, manifest.account_id)
    expected = [f for f in manifest.functions if f.region != manifest.denied_region]
    assert len(expected) > len(manifest.latest()) - 30  # published versions exist
    assert len(result.functions) == len(expected)
    by_key = {(f.arn.rsplit(":", 1)[0] if f.version != "$LATEST" or f.arn.endswith(":$LATEST") else f.arn, f.version): f
              for f in result.functions}
    for exp in expected:
        res = by_key.get((exp.function_arn, exp.version))
        assert res is not None, (exp.name, exp.version)
        assert res.status == STATUS[exp.expected_status], (exp.name, exp.version, res.reason)
    # versions share code with $LATEST: still one download per distinct zip
    assert max(emu.log.completed_downloads_by_hash().values()) == 1
