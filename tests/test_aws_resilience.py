"""One bad resource never sinks a scan, shards never depend on list positions, outputs are never stale.

A small emulated account (two regions, the same Python code deployed in both, a Node function and
a layer), scanned in-process through boto3 over loopback HTTP.  Faults are the emulator's (denied
calls) or injected into pkgscan's own collaborators (a vulnerability source that raises, a download
that raises a programming error), so each failure path is taken for real.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pkgscan.aws import fleet
from pkgscan.aws import results as res
from pkgscan.aws.cache import CodeCache
from pkgscan.aws.model import FAILED, SCANNED
from pkgscan.aws.scanner import LambdaScanner, ScanOptions
from pkgscan.aws.session import AwsContext, AwsOptions
from pkgscan.model import Artifact, Inventory
from pkgscan.scan import vulnerability_sources
from pkgscan.vulns.store import import_path, writer

from .aws_emulator.server import Emulator
from .conftest import SAMPLES

pytestmark = pytest.mark.slow
REGIONS = ("us-east-1", "eu-west-1")


@pytest.fixture(scope="module")
def small_account(tmp_path_factory):
    with Emulator() as emu:
        iam = emu.client("iam")
        role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
        py = (SAMPLES / "python-function.zip").read_bytes()
        node = (SAMPLES / "node-function.zip").read_bytes()
        layer = (SAMPLES / "python-layer-sitepackages.zip").read_bytes()
        for region in REGIONS:
            lam = emu.client("lambda", region)
            lv = lam.publish_layer_version(LayerName="shared", Content={"ZipFile": layer},
                                           CompatibleRuntimes=["python3.12"])["LayerVersionArn"]
            lam.create_function(FunctionName="fn-py", Role=role, Code={"ZipFile": py}, Runtime="python3.12",
                                Handler="lambda_function.handler", Layers=[lv])
            lam.create_function(FunctionName="fn-node", Role=role, Code={"ZipFile": node}, Runtime="nodejs22.x",
                                Handler="index.handler")
        db = tmp_path_factory.mktemp("db")
        with writer(db) as w:
            for z in ("PyPI-all.zip", "npm-all.zip"):
                import_path(w, SAMPLES / "advisories" / z)
        yield emu, db


def scanner_for(emu, monkeypatch, sources, **opts) -> LambdaScanner:
    for k, v in emu.env().items():
        monkeypatch.setenv(k, v)
    ctx = AwsContext(AwsOptions(region=REGIONS[0], endpoint_url=emu.endpoint_url, retry_mode="standard",
                                max_attempts=2))
    return LambdaScanner(ctx, sources=sources, options=ScanOptions(today=date(2026, 1, 1), workers=4, **opts))


def by_name(result):
    return {(f.region, f.name): f for f in result.functions}


def test_unreadable_tags_fail_that_function_only(small_account, monkeypatch):
    emu, db = small_account
    fault = emu.faults.deny(service="lambda", operation="ListTags", resource="fn-node", region="eu-west-1")
    try:
        sc = scanner_for(emu, monkeypatch, [])
        sc.tag_filter = (("team", "*"),)
        result = sc.scan_regions(REGIONS, emu.account_id)
    finally:
        emu.faults.rules.remove(fault)
    got = {k: (f.status, f.reason) for k, f in by_name(result).items()}
    # untagged functions are not selected; the one whose tags could not be read is reported, not dropped
    assert got == {("eu-west-1", "fn-node"): (FAILED, "tags not read: access denied (ListTags)")}


class ExplodingSource:
    """A vulnerability source that fails the way a broken database or network client would."""

    name = "exploding"

    def query(self, packages):
        raise RuntimeError("database disk image is malformed")


def test_matching_failure_is_a_failed_resource_and_publishes_nothing(small_account, monkeypatch):
    emu, _db = small_account
    sc = scanner_for(emu, monkeypatch, [ExplodingSource()])
    result = sc.scan_regions(REGIONS, emu.account_id)
    assert result.functions and result.layers
    for r in [*result.functions, *result.layers]:
        assert (r.status, r.reason) == (FAILED, "vulnerability matching failed: database disk image is malformed"), r.arn
        assert r.findings == ()
    assert result.inventories == {}  # no inventory without a verdict: nothing looks "clean"


def test_a_layer_that_raises_is_a_failed_layer(small_account, monkeypatch):
    emu, db = small_account
    sources, _ = vulnerability_sources(db_dir=db)
    sc = scanner_for(emu, monkeypatch, sources)
    real_fetch = sc.downloader.fetch

    def fetch(location, sha, label):
        if ":layer:" in label:
            raise KeyError("Location")  # a programming error deep in the download path
        return real_fetch(location, sha, label)

    monkeypatch.setattr(sc.downloader, "fetch", fetch)
    result = sc.scan_regions(REGIONS, emu.account_id)
    assert {(lr.status, lr.reason) for lr in result.layers} == {(FAILED, "internal error: 'Location'")}
    assert {f.status for f in result.functions} == {SCANNED}  # the functions' own code is still scanned
    fn = by_name(result)[("us-east-1", "fn-py")]
    assert fn.findings and not any(lab.startswith("layer:") for f in fn.findings for lab in f.labels)


def test_function_sbom_serial_numbers(small_account, monkeypatch, tmp_path):
    emu, db = small_account
    sources, _ = vulnerability_sources(db_dir=db)
    sc = scanner_for(emu, monkeypatch, sources)
    result = sc.scan_regions(REGIONS, emu.account_id)
    fns = by_name(result)
    east, west = fns[("us-east-1", "fn-py")], fns[("eu-west-1", "fn-py")]
    assert east.code_sha256 == west.code_sha256  # the same code in two regions ...

    def serial(fr):
        return json.loads(res.function_sbom(fr, result))["serialNumber"]

    assert serial(east) != serial(west)  # ... is two documents
    assert serial(east) == serial(east)  # and the same document is the same serial every time
    # the same function code under other layers is another document
    relayered = dataclasses.replace(east, layers=())
    assert serial(relayered) != serial(east)


def test_policy_warnings_consider_every_function(small_account, monkeypatch, tmp_path):
    emu, db = small_account
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text("ignore:\n  - id: CVE-2018-18074\n    package: requests\n    reason: test\n"
                      "  - id: CVE-1999-0001\n    reason: matches nothing\n")
    env = {**os.environ, **emu.env(), "PKGSCAN_DB_DIR": str(db), "PKGSCAN_CACHE_DIR": str(tmp_path / "cache")}
    r = subprocess.run([sys.executable, "-m", "pkgscan", "account", "--regions", ",".join(REGIONS),
                        "--ignore-file", str(ignore), "--format", "json"],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode in (0, 1), r.stderr
    warnings = [line for line in r.stderr.splitlines() if "matched no finding" in line]
    # the requests rule matches fn-py only (not fn-node, not the layer): it is used, so no warning
    assert len(warnings) == 1 and "CVE-1999-0001" in warnings[0], r.stderr
    doc = json.loads(r.stdout)
    py = [f for f in doc["functions"] if f["name"] == "fn-py"]
    assert py and all(any(x.get("suppressed") for x in f["findings"] if "CVE-2018-18074" in json.dumps(x))
                      for f in py)


# ------------------------------------------------------------------------ shards and out-dirs


def test_shards_partition_by_unit_not_by_position():
    units = [fleet.Unit(f"{a:012d}", r) for a in range(1, 40) for r in ("us-east-1", "eu-west-1", "ap-south-1")]
    n = 4
    shards = [fleet.shard(units, (i, n)) for i in range(n)]
    flat = [u for s in shards for u in s]
    assert len(flat) == len(units) and set(flat) == set(units)  # every unit exactly once
    assert all(shards)
    # an account whose planning failed in one shard (one "" unit instead of its regions) moves nobody else
    degraded = [u for u in units if u.account != "000000000007"] + [fleet.Unit("000000000007", "")]
    for i in range(n):
        mine = {u for u in fleet.shard(degraded, (i, n)) if u.account != "000000000007"}
        assert mine == {u for u in shards[i] if u.account != "000000000007"}


def test_rewriting_an_out_dir_leaves_nothing_stale(tmp_path):
    out = tmp_path / "out"
    stale = [out / "functions" / "111111111111" / "us-east-1" / "gone@1.cdx.json",
             out / "layers" / "111111111111" / "us-east-1" / "gone@1.cdx.json",
             out / "parts" / "111111111111--us-east-1.json"]
    for p in stale:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("{}")
    mine = out / "notes.txt"
    mine.write_text("the user's own file")
    fleet.write_fleet([], [], out)
    assert not any(p.exists() for p in stale) and mine.exists()
    # merge: shard outputs replace what an earlier merge left in the target
    shard = tmp_path / "shard-0"
    fleet.write_fleet([], [{"account": "222222222222", "name": "", "status": "failed", "reason": "x"}], shard)
    for p in stale:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("{}")
    doc = fleet.merge([shard], out)
    assert not any(p.exists() for p in stale) and mine.exists()
    assert [a["account"] for a in doc["accounts"]] == ["222222222222"]


# ------------------------------------------------------------------------------------ cache


def _inventory() -> Inventory:
    return Inventory(artifact=Artifact(name="x", path="", kind="zip", layout="function"))


@pytest.mark.parametrize("garbage", [b"[]", b'"text"', b"42", b"null", b'{"pkgscan": "t", "inventory": []}',
                                     b'{"pkgscan": "t", "inventory": "x"}', b"[" * 100000, b"\xff\xfe"])
def test_garbage_cache_entries_are_misses(tmp_path, garbage):
    cache = CodeCache(tmp_path, version="t")
    key = "ab" * 32
    assert cache.put(key, "function", _inventory())
    Path(tmp_path / "ab" / f"{key}.function.json").write_bytes(garbage)
    assert cache.get(key, "function") is None and cache.misses == 1


def test_cache_write_failure_is_not_fatal(tmp_path):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache directory should be")
    cache = CodeCache(blocked, version="t")
    assert cache.put("cd" * 32, "layer", _inventory()) is False
    assert cache.get("cd" * 32, "layer") is None
