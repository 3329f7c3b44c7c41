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
import shutil
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

from .aws_emulator.fixtures import SMALL_REGIONS

pytestmark = pytest.mark.slow
REGIONS = SMALL_REGIONS


@pytest.fixture(scope="module")
def small_account(aws_small_account, advisory_db_dir):
    """The session's small account (tests/aws_emulator/fixtures.py: fn-py, fn-node and a layer in each
    region) and the session's snapshot database (read-only)."""
    return aws_small_account, advisory_db_dir


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


def test_an_empty_shard_is_a_valid_result_and_merges(tmp_path):
    """More shards than units: a shard with no work writes an empty, marked result; merge takes it."""
    failed = {"account": "222222222222", "name": "", "status": "failed", "reason": "x"}
    run = tmp_path / "run"
    fleet.write_fleet([], [failed], run / "shard-0", shard_spec=(0, 3))
    for i in (1, 2):
        doc = fleet.write_fleet([], [], run / f"shard-{i}", shard_spec=(i, 3))
        assert doc["functions"] == [] and doc["accounts"] == [] and doc["counts"]["functions"] == 0
    marker = json.loads((run / "shard-1" / fleet.SHARD_MARKER).read_text())
    assert marker == {"schema": fleet.SHARD_SCHEMA, "shard": 1, "count": 3, "parts": 0}
    assert json.loads((run / "shard-0" / fleet.SHARD_MARKER).read_text())["parts"] == 1
    assert not list((run / "shard-1" / "parts").glob("*.json"))
    alone = fleet.merge([run / "shard-0"], tmp_path / "alone")
    every = fleet.merge([run / f"shard-{i}" for i in range(3)], tmp_path / "every")
    whole = fleet.merge([run], tmp_path / "whole")  # a run directory: its shard-* directories, empty ones too
    assert every == whole and [a["account"] for a in every["accounts"]] == ["222222222222"]
    # shards 1 and 2 had no work, but a merge without them cannot know that: it says it is incomplete
    assert alone["incomplete"] and "incomplete merge: shards 1, 2 of 3 not given" in alone["warnings"]
    assert {k: v for k, v in alone.items() if k not in ("incomplete", "warnings")} == \
        {k: v for k, v in every.items() if k != "warnings"}
    assert not (tmp_path / "every" / fleet.SHARD_MARKER).exists()  # the merged result is not a shard
    assert fleet.merge([run / "shard-1", run / "shard-2"], tmp_path / "only-empty")["incomplete"]  # shard 0 is not here
    assert json.loads((tmp_path / "only-empty" / "summary.json").read_text())["counts"]["functions"] == 0
    # the same directory written again without --shard is no shard any more
    fleet.write_fleet([], [], tmp_path / "again", shard_spec=(1, 3))
    fleet.write_fleet([], [], tmp_path / "again")
    assert not (tmp_path / "again" / fleet.SHARD_MARKER).exists()


def test_merge_refuses_what_is_not_a_complete_set_of_shards(tmp_path):
    from click.testing import CliRunner

    from pkgscan.cli import main as cli_main
    from pkgscan.errors import InputError

    failed = {"account": "222222222222", "name": "", "status": "failed", "reason": "x"}
    fleet.write_fleet([], [failed], tmp_path / "s0", shard_spec=(0, 2))
    fleet.write_fleet([], [], tmp_path / "s1", shard_spec=(1, 2))
    (tmp_path / "nothing").mkdir()
    fleet.write_fleet([], [], tmp_path / "other-count", shard_spec=(1, 3))
    shutil.copytree(tmp_path / "s1", tmp_path / "s1-again")
    shutil.copytree(tmp_path / "s0", tmp_path / "s0-short")
    for part in (tmp_path / "s0-short" / "parts").glob("*.json"):
        part.unlink()
    (tmp_path / "bad-marker").mkdir()
    (tmp_path / "bad-marker" / fleet.SHARD_MARKER).write_text('{"schema": "something/else", "shard": 0}')
    cases = {
        "nothing": "not a shard result",
        "other-count": "does not belong with shards of count 2",
        "s1-again": "given twice",
        "s0-short": "wrote 1 part files but parts/ holds 0",
        "bad-marker": "is not a pkgscan shard marker",
    }
    for name, message in cases.items():
        dirs = [tmp_path / "nothing"] if name == "nothing" else [tmp_path / "s0", tmp_path / "s1", tmp_path / name]
        if name == "s0-short":
            dirs = [tmp_path / "s0-short", tmp_path / "s1"]
        with pytest.raises(InputError, match=message):
            fleet.merge(dirs, tmp_path / "out")
        r = CliRunner().invoke(cli_main, ["merge", *map(str, dirs), "--out-dir", str(tmp_path / "out")])
        assert r.exit_code == 2 and message in r.output and r.output.count("\n") == 1, (name, r.output)
    assert fleet.merge([tmp_path / "s0", tmp_path / "s1"], tmp_path / "out")["accounts"] == [failed]


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
