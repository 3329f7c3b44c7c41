"""Recall and precision 1.00 against the independent ground truth of every sample package."""
import json
import zipfile

import pytest
from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.validation import make_schemabased_validator

from pkgscan import scan_path
from pkgscan.report.cyclonedx import build_bom, serialize

from .conftest import sample_cases

CASES = sample_cases()


def test_there_are_six_samples():
    assert len(CASES) == 6


def _truth(expected):
    return {(c["ecosystem"], c["name"], c["version"]): sorted(c["locations"]) for c in expected["components"]}


def _found(inv):
    return {(c.ecosystem, c.name, c.version): sorted(o.location for o in c.occurrences) for c in inv.components}


@pytest.mark.parametrize("zip_path,expected", CASES)
def test_recall_and_precision(zip_path, expected):
    inv = scan_path(zip_path)
    truth, found = _truth(expected), _found(inv)
    tp = set(truth) & set(found)
    recall, precision = len(tp) / len(truth), len(tp) / len(found)
    assert (recall, precision) == (1.0, 1.0), (set(truth) - set(found), set(found) - set(truth))
    assert found == truth  # every install location, too
    assert inv.artifact.layout == expected["layout"]
    assert not inv.suspicious


@pytest.mark.parametrize("zip_path,expected", CASES)
def test_directory_scan_matches_zip_scan(zip_path, expected, tmp_path):
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(tmp_path)
    inv = scan_path(tmp_path)
    assert _found(inv) == _truth(expected)
    assert inv.artifact.kind == "directory"


@pytest.mark.parametrize("zip_path,expected", CASES)
@pytest.mark.parametrize("fmt,spec", [("cyclonedx-json", "1.6"), ("cyclonedx-json", "1.5"), ("cyclonedx-json", "1.4"),
                                      ("cyclonedx-xml", "1.6"), ("cyclonedx-xml", "1.5"), ("cyclonedx-xml", "1.4")])
def test_sbom_is_schema_valid(zip_path, expected, fmt, spec):
    inv = scan_path(zip_path)
    text = serialize(build_bom(inv), fmt, spec, validate=False)
    ofmt = OutputFormat.JSON if fmt.endswith("json") else OutputFormat.XML
    schema = {"1.4": SchemaVersion.V1_4, "1.5": SchemaVersion.V1_5, "1.6": SchemaVersion.V1_6}[spec]
    assert make_schemabased_validator(ofmt, schema).validate_str(text) is None
    if fmt == "cyclonedx-json":
        doc = json.loads(text)
        assert doc["specVersion"] == spec
        purls = {c["purl"] for c in doc["components"]}
        assert len(purls) == len(_truth(expected))
