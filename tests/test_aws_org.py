"""Organization-wide scans, shards and merge, and the AWS commands as a user runs them (subprocesses).

A small emulated organization: the management account plus member accounts that hold functions and
layers in two regions.  4 shards run as separate processes; their merged output must equal what one
process writes: the same summary and the same SBOM files, byte for byte (SOURCE_DATE_EPOCH set).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pkgscan.aws.fleet import SHARD_MARKER, Unit, shard_of

from .aws_emulator.fixtures import ORG_REGIONS
from .conftest import SAMPLES

pytestmark = pytest.mark.slow
REGIONS = ORG_REGIONS
ROLE = "PkgscanScanner"


@pytest.fixture(scope="module")
def org(aws_org, advisory_db_dir, tmp_path_factory):
    """The session's organization (tests/aws_emulator/fixtures.py) and the environment of a pkgscan
    process that scans it (the session's snapshot database, read-only; a cache of its own)."""
    emu = aws_org.emu
    env = {**os.environ, **emu.env(), "SOURCE_DATE_EPOCH": "1700000000", "PKGSCAN_DB_DIR": str(advisory_db_dir),
           "PKGSCAN_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}
    return emu, aws_org.members, aws_org.functions, env


def _pkgscan(env, *args, cwd=None):
    return subprocess.Popen([sys.executable, "-m", "pkgscan", *args], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _tree(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*"))
            if p.is_file() and p.name != "stats.json"}


COMMON = ["account", "--org", "--role-name", ROLE, "--regions", ",".join(REGIONS), "--no-cache", "-q",
          "--format", "json", "-o", os.devnull]


def _units(emu, members) -> list[Unit]:
    return [Unit(a, r) for a in sorted(set(members) | {emu.account_id}) for r in REGIONS]


@pytest.fixture(scope="module")
def single_run(org, tmp_path_factory) -> Path:
    """What one process writes for the whole organization (--out-dir)."""
    emu, members, functions, env = org
    out = tmp_path_factory.mktemp("single")
    single = _pkgscan(env, *COMMON, "--out-dir", str(out))
    _out, err = single.communicate(timeout=600)
    assert single.returncode == 0, err
    return out


def test_four_shards_merged_equal_one_process(org, single_run, tmp_path):
    emu, members, functions, env = org
    # the organization's account ids are fixed (tests/aws_emulator/fixtures.py), so every shard has work
    assert all(any(shard_of(u, 4) == i for u in _units(emu, members)) for i in range(4))
    shards = [_pkgscan(env, *COMMON, "--shard", f"{i}/4", "--out-dir", str(tmp_path / f"shard-{i}")) for i in range(4)]
    for p in shards:
        _o, e = p.communicate(timeout=600)
        assert p.returncode == 0, e
    merge = _pkgscan(env, "merge", *[str(tmp_path / f"shard-{i}") for i in range(4)], "--out-dir", str(tmp_path / "merged"))
    _o, e = merge.communicate(timeout=120)
    assert merge.returncode == 0, e
    # the organization scan stays within the shipped policies (hub + scanner role)
    policies = [json.loads((Path(__file__).parent.parent / "iam" / f).read_text())
                for f in ("pkgscan-scanner-policy.json", "pkgscan-hub-policy.json")]
    allowed = {a for doc in policies for st in doc["Statement"]
               for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    needed = emu.log.iam_actions() - {"sts:GetCallerIdentity", "lambda:CreateFunction", "lambda:PublishLayerVersion",
                                      "organizations:CreateOrganization", "organizations:CreateAccount",
                                      "iam:CreateRole", "lambda:TagResource"}
    assert needed <= allowed, needed - allowed
    a, b = _tree(single_run), _tree(tmp_path / "merged")
    assert sorted(a) == sorted(b)
    assert a == b
    summary = json.loads(a["summary.json"])
    assert summary["counts"]["functions"] == functions
    assert {x["account"] for x in summary["accounts"]} == set(members) | {emu.account_id}
    assert all(x["status"] == "scanned" for x in summary["accounts"])
    assert len([k for k in a if k.startswith("functions/")]) == functions
    # the shards really split the work: each scanned a part, none all of it
    parts = [len(list((tmp_path / f"shard-{i}" / "parts").glob("*.json"))) for i in range(4)]
    assert sum(parts) == len(list((single_run / "parts").glob("*.json"))) and max(parts) < sum(parts)
    markers = [json.loads((tmp_path / f"shard-{i}" / SHARD_MARKER).read_text()) for i in range(4)]
    assert [(m["shard"], m["count"], m["parts"]) for m in markers] == [(i, 4, parts[i]) for i in range(4)]


def test_a_shard_without_work_is_an_empty_result_that_merges(org, single_run, tmp_path):
    """More shards than (account, region) units: the idle shard exits 0 and writes a valid empty result."""
    emu, members, functions, env = org
    units = _units(emu, members)
    n = 2 * len(units)
    empty = next(i for i in range(n) if not any(shard_of(u, n) == i for u in units))
    p = _pkgscan(env, *COMMON, "--shard", f"{empty}/{n}", "--out-dir", str(tmp_path / "run" / "shard-{shard}"))
    _o, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    out = tmp_path / "run" / f"shard-{empty}"
    assert json.loads((out / SHARD_MARKER).read_text()) == \
        {"schema": "pkgscan/lambda-shard/v1", "shard": empty, "count": n, "parts": 0}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["functions"] == [] and summary["counts"]["functions"] == 0
    assert json.loads((out / "stats.json").read_text())["units"] == 0
    # merged with everything else, the empty shard adds nothing and breaks nothing
    merge = _pkgscan(env, "merge", str(single_run), str(tmp_path / "run"), "--out-dir", str(tmp_path / "merged"))
    _o, err = merge.communicate(timeout=120)
    assert merge.returncode == 0, err
    assert _tree(tmp_path / "merged") == _tree(single_run)
    # a directory that is no shard result at all is still refused, with one line
    (tmp_path / "not-a-shard").mkdir()
    bad = _pkgscan(env, "merge", str(tmp_path / "not-a-shard"), "--out-dir", str(tmp_path / "m2"))
    _o, err = bad.communicate(timeout=120)
    assert bad.returncode == 2 and err.count("\n") == 1 and "not a shard result" in err, err


def test_shard_index_from_the_batch_environment(org, tmp_path):
    emu, members, functions, env = org
    mine = {a for a in set(members) | {emu.account_id} if shard_of(Unit(a, "us-east-1"), 2) == 1}
    assert mine & set(members), "the fixed member ids put some member's us-east-1 into shard 1 of 2"
    e = {**env, "JOB_COMPLETION_INDEX": "1"}
    p = _pkgscan(e, "account", "--org", "--role-name", ROLE, "--regions", "us-east-1", "--shard-count", "2",
                 "--no-cache", "--no-vulns", "-q", "--format", "json")
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    doc = json.loads(out)
    assert doc["functions"] and {f["account"] for f in doc["functions"]} == mine & set(members)
    bad = _pkgscan(env, "account", "--shard", "4/4", "--no-vulns", "-q")
    _o, err = bad.communicate(timeout=60)
    assert bad.returncode == 2 and "index must be in 0..3" in err


def test_filters(org):
    emu, members, functions, env = org
    p = _pkgscan(env, "account", "--org", "--role-name", ROLE, "--regions", ",".join(REGIONS),
                 "--include-account", members[0], "--exclude-region", "eu-*", "--function", "fn-0-[02]",
                 "--no-cache", "--no-vulns", "-q", "--format", "json")
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    doc = json.loads(out)
    assert {(f["account"], f["region"], f["name"]) for f in doc["functions"]} == \
        {(members[0], "us-east-1", "fn-0-0"), (members[0], "us-east-1", "fn-0-2")}


def test_lambda_and_layer_commands(org, tmp_path):
    emu, members, functions, env = org
    e = {**env, "AWS_ACCESS_KEY_ID": members[0]}  # a 12-digit key acts in that account (emulator)
    p = _pkgscan(e, "lambda", "fn-0-0", "--region", "us-east-1", "--no-cache", "-q", "--format", "json",
                 "--fail-on", "critical")
    out, err = p.communicate(timeout=300)
    doc = json.loads(out)
    [fn] = doc["functions"]
    assert fn["name"] == "fn-0-0" and fn["status"] == "scanned"
    assert "PYSEC-2018-28" in {x["id"] for x in fn["findings"]}
    assert p.returncode == 0  # nothing critical in python-function + the layer
    assert fn["effective_runtime"]["shadowed"]  # requests 2.20.0 of the layer is shadowed by the function's
    assert doc["layers"] and doc["layers"][0]["status"] == "scanned"
    p = _pkgscan(e, "lambda", "fn-0-0", "--region", "us-east-1", "--no-cache", "-q", "--format", "json",
                 "--fail-on", "high")
    _o, _e = p.communicate(timeout=300)
    assert p.returncode == 1
    layer_arn = fn["layers"][0]
    p = _pkgscan(e, "layer", layer_arn, "--no-cache", "-q", "--format", "json")
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert json.loads(out)["layers"][0]["arn"] == layer_arn
    # untrusted layer provenance
    p = _pkgscan(e, "lambda", "fn-0-0", "--region", "us-east-1", "--no-cache", "-q", "--format", "json",
                 "--trusted-layer-account", "999999999999", "--no-vulns")
    out, _err = p.communicate(timeout=300)
    assert json.loads(out)["functions"][0]["untrusted_layers"] == [layer_arn]


def test_missing_function_is_a_clear_error(org):
    emu, members, functions, env = org
    p = _pkgscan(env, "lambda", "no-such-function", "--region", "us-east-1", "--no-vulns", "-q")
    _o, err = p.communicate(timeout=120)
    assert p.returncode == 2
    assert err.count("\n") == 1 and err.startswith("pkgscan: error:")
    assert "no-such-function not found (GetFunctionConfiguration" in err and "--region" in err  # what to check


def test_role_arn_and_external_id(org):
    emu, members, functions, env = org
    role = f"arn:aws:iam::{members[1]}:role/Scanner"
    p = _pkgscan(env, "account", "--role-arn", role, "--external-id", "ext-123", "--regions", "us-east-1",
                 "--no-vulns", "--no-cache", "-q", "--format", "json")
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    doc = json.loads(out)
    assert {f["account"] for f in doc["functions"]} == {members[1]}
    assume = [c for c in emu.log.api_calls(service="sts", operation="AssumeRole")]
    assert any(c.params.get("RoleArn") == role or role in json.dumps(c.params) for c in assume)


def test_verify_deployed_function_against_its_sbom(org, tmp_path):
    import base64
    import hashlib

    emu, members, functions, env = org
    e = {**env, "AWS_ACCESS_KEY_ID": members[0]}
    lam = emu.client("lambda", "us-east-1", account=members[0])
    url = lam.get_function(FunctionName="fn-0-0")["Code"]["Location"]
    import requests

    code = requests.get(url, timeout=30).content
    (tmp_path / "fn.zip").write_bytes(code)
    assert base64.b64encode(hashlib.sha256(code).digest()).decode() == \
        lam.get_function(FunctionName="fn-0-0")["Configuration"]["CodeSha256"]
    same, other = tmp_path / "same.cdx.json", tmp_path / "other.cdx.json"
    for sbom, z in ((same, tmp_path / "fn.zip"), (other, SAMPLES / "python-function.zip")):
        p = _pkgscan(e, "sbom", str(z), "-o", str(sbom))
        assert p.wait(timeout=120) == 0
    p = _pkgscan(e, "verify", "--sbom", str(same), "--function", "fn-0-0", "--region", "us-east-1")
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, (out, err)
    downloads_before = len(emu.log.download_list())
    p = _pkgscan(e, "verify", "--sbom", str(other), "--function", "fn-0-0", "--region", "us-east-1")
    out, err = p.communicate(timeout=120)
    assert p.returncode == 1, (out, err)
    assert out.startswith("drift") and "SHA-256 differs" in out
    assert len(emu.log.download_list()) == downloads_before + 1  # drift: the code is fetched to diff components


@pytest.mark.parametrize("fmt", ["sarif", "cyclonedx-json", "markdown", "table"])
def test_every_report_format_for_live_scans(org, fmt):
    emu, members, functions, env = org
    e = {**env, "AWS_ACCESS_KEY_ID": members[0]}
    p = _pkgscan(e, "lambda", "fn-0-0", "--region", "us-east-1", "--no-cache", "-q", "--format", fmt)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    if fmt == "sarif":
        doc = json.loads(out)
        results = doc["runs"][0]["results"]
        uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in results for loc in r["locations"]}
        assert any("fn-0-0" in u and "requests-2.19.1.dist-info" in u for u in uris)
        assert "PYSEC-2018-28" in {r["ruleId"] for r in results}
    elif fmt == "cyclonedx-json":
        doc = json.loads(out)
        assert "pkg:pypi/requests@2.19.1" in {c["purl"] for c in doc["components"]}
        assert any(v["id"] == "PYSEC-2018-28" for v in doc["vulnerabilities"])
    else:
        assert "fn-0-0" in out


def test_an_account_that_denies_the_role_never_stops_the_others(org, tmp_path):
    emu, members, functions, env = org
    denied = f"arn:aws:iam::{members[1]}:role/{ROLE}"
    emu.denied_roles.add(denied)
    try:
        p = _pkgscan(env, "account", "--org", "--role-name", ROLE, "--regions", "us-east-1", "--no-vulns", "--no-cache",
                     "-q", "--format", "json", "--out-dir", str(tmp_path / "out"))
        out, err = p.communicate(timeout=300)
    finally:
        emu.denied_roles.discard(denied)
    # the others are scanned; the run exits 3 (something asked for was not read) and names it
    assert p.returncode == 3, err
    assert f"pkgscan: not read: account {members[1]}: access-denied" in err
    doc = json.loads(out)
    status = {a["account"]: a for a in doc["accounts"]}
    assert status[members[1]]["status"] == "access-denied" and "AssumeRole" in status[members[1]]["reason"]
    assert status[members[0]]["status"] == "scanned" and status[members[2]]["status"] == "scanned"
    assert {f["account"] for f in doc["functions"]} == {members[0], members[2]}
    assert "access-denied" in (tmp_path / "out" / "summary.md").read_text()


def test_regions_all_lists_every_enabled_region(org):
    emu, members, functions, env = org
    e = {**env, "AWS_ACCESS_KEY_ID": members[0]}
    p = _pkgscan(e, "account", "--regions", "all", "--no-vulns", "--no-cache", "--no-signing", "-q", "--format", "json")
    out, err = p.communicate(timeout=600)
    assert p.returncode == 0, err
    doc = json.loads(out)
    regions = {r["region"] for r in doc["regions"]}
    assert {"us-east-1", "eu-west-1"} <= regions and len(regions) > 10
    assert {(f["region"]) for f in doc["functions"]} == set(REGIONS)
    assert len(doc["functions"]) == 8


def test_tag_filter(org):
    emu, members, functions, env = org
    lam = emu.client("lambda", "eu-west-1", account=members[2])
    arn = lam.get_function(FunctionName="fn-2-1")["Configuration"]["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"team": "payments"})
    try:
        _tag_filter_scans(env, members)
    finally:  # the organization is the session's: leave it as it was
        lam.untag_resource(Resource=arn, TagKeys=["team"])


def _tag_filter_scans(env, members):
    e = {**env, "AWS_ACCESS_KEY_ID": members[2]}
    p = _pkgscan(e, "account", "--regions", ",".join(REGIONS), "--tag", "team=payments", "--no-vulns", "--no-cache",
                 "-q", "--format", "json")
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert [(f["region"], f["name"]) for f in json.loads(out)["functions"]] == [("eu-west-1", "fn-2-1")]
    p = _pkgscan(e, "account", "--regions", ",".join(REGIONS), "--tag", "team=other", "--no-vulns", "--no-cache",
                 "-q", "--format", "json")
    out, _err = p.communicate(timeout=300)
    assert json.loads(out)["functions"] == []
