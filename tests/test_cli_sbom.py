"""`pkgscan sbom` end to end, as a user runs it (a real subprocess)."""
import hashlib
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.validation import make_schemabased_validator

from .conftest import SAMPLES

PKGSCAN = [sys.executable, "-m", "pkgscan"]


def run(*args, env=None, cwd=None):
    e = dict(os.environ)
    e.pop("SOURCE_DATE_EPOCH", None)
    e.update(env or {})
    return subprocess.run([*PKGSCAN, *args], capture_output=True, text=True, env=e, cwd=cwd, timeout=120)


def test_version():
    r = run("--version")
    assert r.returncode == 0 and "pkgscan" in r.stdout


def test_sbom_json_to_file(tmp_path):
    out = tmp_path / "f.cdx.json"
    r = run("sbom", str(SAMPLES / "node-function.zip"), "-o", str(out))
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    assert doc["bomFormat"] == "CycloneDX" and doc["specVersion"] == "1.6"
    root = doc["metadata"]["component"]
    zip_sha = hashlib.sha256((SAMPLES / "node-function.zip").read_bytes()).hexdigest()
    assert root["hashes"] == [{"alg": "SHA-256", "content": zip_sha}]
    assert root["type"] == "application"
    purls = {c["purl"] for c in doc["components"]}
    assert "pkg:npm/lodash@4.17.15" in purls and "pkg:npm/left-pad@1.3.0" in purls  # alias -> real name
    assert "pkg:npm/%40tootallnate/once@2.0.0" in purls
    scoped = next(c for c in doc["components"] if c["purl"].startswith("pkg:npm/%40tootallnate"))
    assert scoped["group"] == "@tootallnate" and scoped["name"] == "once"
    # two copies of minimist: two components, each with its own location
    mins = sorted((c["version"], [o["location"] for o in c["evidence"]["occurrences"]])
                  for c in doc["components"] if c["name"] == "minimist")
    assert mins == [("0.0.8", ["node_modules/mkdirp/node_modules/minimist/package.json"]),
                    ("1.2.0", ["node_modules/minimist/package.json"])]
    deps = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    assert "pkg:npm/minimist@0.0.8" in deps["pkg:npm/mkdirp@0.5.1"]  # nested copy wins
    assert "pkg:npm/mkdirp@0.5.1" in deps["pkgscan-artifact"]
    assert make_schemabased_validator(OutputFormat.JSON, SchemaVersion.V1_6).validate_str(out.read_text()) is None


def test_sbom_is_reproducible_with_source_date_epoch(tmp_path):
    a = run("sbom", str(SAMPLES / "python-layer.zip"), env={"SOURCE_DATE_EPOCH": "1700000000"})
    b = run("sbom", str(SAMPLES / "python-layer.zip"), env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout
    doc = json.loads(a.stdout)
    assert doc["metadata"]["timestamp"] == "2023-11-14T22:13:20+00:00"
    # a directory of the same content gets the same components (no zip hash, so another serial)
    assert doc["serialNumber"].startswith("urn:uuid:")


def test_sbom_name_version_serial_timestamp():
    r = run("sbom", str(SAMPLES / "python-layer.zip"), "--name", "shared-libs", "--version", "7",
            "--serial-number", "3e671687-395b-41f5-a30f-a58921a69b79", "--timestamp", "2024-01-02T03:04:05Z")
    doc = json.loads(r.stdout)
    assert doc["metadata"]["component"]["name"] == "shared-libs"
    assert doc["metadata"]["component"]["version"] == "7"
    assert doc["metadata"]["component"]["type"] == "library"  # a layer
    assert doc["serialNumber"] == "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
    assert doc["metadata"]["timestamp"] == "2024-01-02T03:04:05+00:00"


@pytest.mark.parametrize("spec", ["1.4", "1.5", "1.6"])
def test_sbom_xml(spec):
    r = run("sbom", str(SAMPLES / "python-layer-sitepackages.zip"), "--format", "cyclonedx-xml",
            "--spec-version", spec, "--validate")
    assert r.returncode == 0, r.stderr
    root = ET.fromstring(r.stdout)
    assert root.tag == f"{{http://cyclonedx.org/schema/bom/{spec}}}bom"
    schema = {"1.4": SchemaVersion.V1_4, "1.5": SchemaVersion.V1_5, "1.6": SchemaVersion.V1_6}[spec]
    assert make_schemabased_validator(OutputFormat.XML, schema).validate_str(r.stdout) is None


def test_layout_override():
    r = run("sbom", str(SAMPLES / "python-layer.zip"), "--layout", "function")
    doc = json.loads(r.stdout)
    props = {p["name"]: p["value"] for p in doc["metadata"]["component"]["properties"]}
    assert props["pkgscan:layout"] == "function"


@pytest.mark.parametrize("content,expect", [
    (None, "no such file"),
    (b"hello, not a zip", "not a zip"),
    (b"", "not a zip"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "not a zip"),
])
def test_input_errors_exit_2_one_line(tmp_path, content, expect):
    target = tmp_path / "input.zip"
    if content is not None:
        target.write_bytes(content)
    r = run("sbom", str(target))
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pkgscan: error:") and expect in lines[0]
    assert "Traceback" not in r.stderr


def test_usage_error_exit_2():
    r = run("sbom", str(SAMPLES / "python-layer.zip"), "--spec-version", "1.9")
    assert r.returncode == 2


def test_unwritable_output_exit_2(tmp_path):
    r = run("sbom", str(SAMPLES / "python-layer.zip"), "-o", str(tmp_path / "no" / "such" / "dir.json"))
    assert r.returncode == 2 and "cannot write" in r.stderr
