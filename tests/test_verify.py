"""`pkgscan.verify`: does deployed code match the artifact an SBOM describes?  Real sample zips
against their own SBOMs (CycloneDX and SPDX), other samples' SBOMs, SBOMs without a root hash,
repacked zips, and garbage."""
import base64
import hashlib
import json
import shutil
import zipfile

import pytest

import pkgscan
from pkgscan.diff import InvalidSbomError
from pkgscan.report.cyclonedx import build_bom, serialize
from pkgscan.report.json_report import render as render_report
from pkgscan.report.spdx import render_spdx
from pkgscan.verify import VerifyError, normalize_sha256, verify_sbom
from pkgscan.vulns.model import ScanResult

from .conftest import SAMPLES

NAMES = ["python-function", "python-layer-sitepackages", "python-layer", "node-function", "node-layer", "node-layer-node20"]


@pytest.fixture(scope="module")
def sboms(tmp_path_factory):
    d = tmp_path_factory.mktemp("verify")
    out = {}
    for name in NAMES:
        inv = pkgscan.scan_path(str(SAMPLES / f"{name}.zip"))
        files = {"inv": inv, "sha": hashlib.sha256((SAMPLES / f"{name}.zip").read_bytes()).hexdigest()}
        for kind, text in (("cdx", serialize(build_bom(inv))), ("spdx", render_spdx(inv)),
                           ("report", render_report(ScanResult(inventory=inv)))):
            files[kind] = d / f"{name}.{kind}.json"
            files[kind].write_text(text, encoding="utf-8")
        out[name] = files
    return out


def never():
    raise AssertionError("the inventory must not be needed when the hashes match")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", ["cdx", "spdx", "report"])
def test_sample_matches_its_own_sbom(sboms, name, kind):
    s = sboms[name]
    r = verify_sbom(s[kind], artifact_sha256=s["sha"], inventory=never)
    assert r.status == "match" and r.exit_code == 0 and r.method == "hash"
    assert r.component_diff is None and r.sbom_sha256 == (s["sha"],) and r.artifact_sha256 == s["sha"]
    assert s["sha"] in r.reasons[0]


def test_lambda_code_sha256_base64(sboms):
    s = sboms["python-function"]
    code_sha256 = base64.b64encode(bytes.fromhex(s["sha"])).decode()  # what GetFunction returns
    assert verify_sbom(s["cdx"], artifact_sha256=code_sha256).status == "match"
    assert verify_sbom(s["cdx"], artifact_sha256=s["sha"].upper()).status == "match"
    assert normalize_sha256(bytes.fromhex(s["sha"])) == s["sha"]
    assert normalize_sha256("") is None and normalize_sha256(None) is None
    for bad in ("xyz", "ab" * 31, base64.b64encode(b"short").decode()):
        with pytest.raises(VerifyError, match="neither 64 hex digits nor base64") as e:
            verify_sbom(s["cdx"], artifact_sha256=bad)
        assert isinstance(e.value, ValueError)


@pytest.mark.parametrize("kind", ["cdx", "spdx"])
def test_another_samples_sbom_drifts(sboms, kind):
    old, new = sboms["python-function"], sboms["python-layer-sitepackages"]
    r = verify_sbom(old[kind], artifact_sha256=new["sha"], inventory=new["inv"])
    assert r.status == "drift" and r.exit_code == 1 and r.method == "hash"
    assert "SHA-256 differs" in r.reasons[0] and old["sha"] in r.reasons[0] and new["sha"] in r.reasons[0]
    d = r.component_diff
    assert {(p.name, p.version) for p in d.added} == {("attrs", "25.3.0"), ("packaging", "24.2")}
    assert {(p.name, p.version) for p in d.removed} == {("jinja2", "2.10"), ("markupsafe", "1.1.1"), ("pyyaml", "5.4")}
    assert {(c.name, c.old, c.new) for c in d.changed} == {
        ("certifi", ("2018.4.16",), ("2018.10.15",)), ("requests", ("2.19.1",), ("2.20.0",)),
        ("urllib3", ("1.23",), ("1.24.1",))}
    assert "components differ: 2 added, 3 removed, 3 changed" in r.reasons[1]
    assert d.introduced == d.fixed == ()
    # without an inventory: drift by hash alone
    r = verify_sbom(old[kind], artifact_sha256=new["sha"])
    assert r.status == "drift" and r.component_diff is None and len(r.reasons) == 1


def test_node_drift(sboms):
    old, new = sboms["node-layer"], sboms["node-layer-node20"]
    r = verify_sbom(old["cdx"], artifact_sha256=new["sha"], inventory=lambda: new["inv"])
    assert r.status == "drift"
    assert ("ms", ("2.0.0", "2.1.1"), ("2.1.3",)) in {(c.name, c.old, c.new) for c in r.component_diff.changed}


def test_repacked_zip_same_components_drifts(sboms, tmp_path):
    """Same packages, different code: a handler file added to the zip changes its hash."""
    s = sboms["python-function"]
    repacked = tmp_path / "python-function.zip"
    shutil.copy(SAMPLES / "python-function.zip", repacked)
    with zipfile.ZipFile(repacked, "a") as z:
        z.writestr("backdoor.py", "import os\n")
    inv = pkgscan.scan_path(str(repacked))
    r = verify_sbom(s["cdx"], artifact_sha256=inv.artifact.sha256, inventory=inv)
    assert r.status == "drift"
    assert not r.component_diff.components_differ and r.component_diff.unchanged == len(s["inv"].components)
    assert "same 8 components" in r.reasons[1]


def _without_hash(src, tmp_path):
    doc = json.loads(src.read_text())
    del doc["metadata"]["component"]["hashes"]
    out = tmp_path / "nohash.cdx.json"
    out.write_text(json.dumps(doc))
    return out


def test_sbom_without_root_hash_compares_components(sboms, tmp_path):
    s = sboms["node-function"]
    sbom = _without_hash(s["cdx"], tmp_path)
    r = verify_sbom(sbom, artifact_sha256=s["sha"], inventory=s["inv"])
    assert r.status == "match" and r.method == "components" and r.sbom_sha256 == ()
    assert "has no SHA-256 of the artifact" in r.reasons[0] and "compared components only" in r.reasons[0]
    assert not r.component_diff.components_differ

    other = sboms["node-layer"]
    r = verify_sbom(sbom, artifact_sha256=other["sha"], inventory=other["inv"])
    assert r.status == "drift" and r.method == "components"
    assert "compared components only" in r.reasons[0] and r.reasons[1].startswith("components differ")

    with pytest.raises(VerifyError, match="no SHA-256 of the artifact.*no inventory") as e:
        verify_sbom(sbom, artifact_sha256=s["sha"])
    assert isinstance(e.value, ValueError) and "\n" not in str(e.value)


def test_directory_compares_components(sboms, tmp_path):
    s = sboms["python-layer"]
    with zipfile.ZipFile(SAMPLES / "python-layer.zip") as z:
        z.extractall(tmp_path / "layer")
    inv = pkgscan.scan_path(str(tmp_path / "layer"))
    assert inv.artifact.sha256 == ""
    r = verify_sbom(s["spdx"], artifact_sha256=inv.artifact.sha256, inventory=inv)
    assert r.status == "match" and r.method == "components"
    assert "unknown (a directory)" in r.reasons[0]
    r = verify_sbom(sboms["python-function"]["spdx"], artifact_sha256=None, inventory=inv)
    assert r.status == "drift"


def test_spdx_without_checksum(sboms, tmp_path):
    s = sboms["python-layer"]
    doc = json.loads(s["spdx"].read_text())
    for p in doc["packages"]:
        p.pop("checksums", None)
    out = tmp_path / "nohash.spdx.json"
    out.write_text(json.dumps(doc))
    r = verify_sbom(out, artifact_sha256=s["sha"], inventory=s["inv"])
    assert r.status == "match" and r.method == "components"


@pytest.mark.parametrize("content", [
    b"",
    b"\x89PNG\r\n\x1a\n\x00\x00garbage",
    b"PK\x03\x04 a zip, not an SBOM",
    b"{}",
    b"null",
    b'{"bomFormat": "CycloneDX", "metadata": {"component": {"hashes": [{"alg": "SHA-256", "content": "not-a-hash"}]}}}',
    b'{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "documentDescribes": ["SPDXRef-a"], '
    b'"packages": [{"SPDXID": "SPDXRef-a", "checksums": [{"algorithm": "SHA256", "checksumValue": "12"}]}]}',
])
def test_garbage_sbom(sboms, tmp_path, content):
    p = tmp_path / "garbage.json"
    p.write_bytes(content)
    s = sboms["python-function"]
    with pytest.raises(InvalidSbomError) as e:
        verify_sbom(p, artifact_sha256=s["sha"], inventory=s["inv"])
    assert isinstance(e.value, ValueError)
    msg = str(e.value)
    assert msg and "\n" not in msg and str(p) in msg


def test_missing_sbom(tmp_path):
    with pytest.raises(InvalidSbomError, match="cannot read"):
        verify_sbom(tmp_path / "missing.json", artifact_sha256="00" * 32)
