"""Release artifacts through the CLI: SPDX, verify (exit 0 match / 1 drift / 2 error), diff gates."""
import json
import os
import subprocess
import sys

import pytest

from .conftest import SAMPLES

PKGSCAN = [sys.executable, "-m", "pkgscan"]


def run(*args, env=None):
    e = {**os.environ, **(env or {})}
    return subprocess.run([*PKGSCAN, *args], capture_output=True, text=True, env=e, timeout=180)


def test_spdx_is_reproducible(tmp_path):
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    a = run("sbom", str(SAMPLES / "node-layer.zip"), "--format", "spdx-json", "--name", "libs", "--version", "3", env=env)
    b = run("sbom", str(SAMPLES / "node-layer.zip"), "--format", "spdx-json", "--name", "libs", "--version", "3", env=env)
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout
    doc = json.loads(a.stdout)
    assert doc["spdxVersion"] == "SPDX-2.3" and doc["creationInfo"]["created"] == "2023-11-14T22:13:20Z"
    assert any(p["name"] == "libs" and p.get("versionInfo") == "3" for p in doc["packages"])


def test_verify_path(tmp_path):
    sbom = tmp_path / "f.cdx.json"
    assert run("sbom", str(SAMPLES / "python-function.zip"), "-o", str(sbom)).returncode == 0
    ok = run("verify", "--sbom", str(sbom), str(SAMPLES / "python-function.zip"))
    assert ok.returncode == 0 and ok.stdout.startswith("match")
    drift = run("verify", "--sbom", str(sbom), str(SAMPLES / "python-layer.zip"), "-f", "json")
    assert drift.returncode == 1
    doc = json.loads(drift.stdout)
    assert doc["status"] == "drift" and doc["component_diff"]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    err = run("verify", "--sbom", str(bad), str(SAMPLES / "python-function.zip"))
    assert err.returncode == 2 and err.stderr.startswith("pkgscan: error:") and err.stderr.count("\n") == 1
    usage = run("verify", "--sbom", str(sbom))
    assert usage.returncode == 2


@pytest.fixture(scope="module")
def db(advisory_db_dir):
    """The snapshot database, built once per session (tests/conftest.py; read-only)."""
    return advisory_db_dir


def test_diff_gate_on_scan_reports(tmp_path, db):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    # the layer brings urllib3 1.24.1 and requests 2.20.0; python-layer (short layout) has neither
    assert run("scan", str(SAMPLES / "python-layer.zip"), "--db", str(db), "-f", "json", "-o", str(old)).returncode == 0
    assert run("scan", str(SAMPLES / "python-layer-sitepackages.zip"), "--db", str(db), "-f", "json", "-o", str(new)).returncode == 0
    r = run("diff", str(old), str(new), "-f", "json")
    assert r.returncode == 0
    d = json.loads(r.stdout)
    introduced = {v["id"] for v in d["vulnerabilities"]["introduced"]} if isinstance(d["vulnerabilities"], dict) else set()
    assert "PYSEC-2023-192" in introduced or any("PYSEC-2023-192" in json.dumps(v) for v in d["vulnerabilities"]["introduced"])
    gate = run("diff", str(old), str(new), "--fail-on-new", "high")
    assert gate.returncode == 1
    # the one line a CI log needs, on stderr, even with -q
    quiet = run("diff", str(old), str(new), "--fail-on-new", "high", "-q")
    assert quiet.returncode == 1 and quiet.stderr.count("\n") == 1
    assert quiet.stderr.startswith("pkgscan: --fail-on-new: ") and "introduced vulnerabilit" in quiet.stderr
    reverse = run("diff", str(new), str(old), "--fail-on-new", "low")
    assert reverse.returncode == 0  # going back fixes them: nothing introduced
