"""pkgscan's SBOM schema check: the library's schema, with a linear-time IRI check."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pkgscan.report.sbom_schema import is_iri, is_iri_reference, validate

ROOT = Path(__file__).resolve().parent.parent

SAMPLES = [
    "https://github.com/psf/requests", "https://registry.npmjs.org/@aws-sdk/client-s3/-/client-s3-3.400.0.tgz",
    "pkg:npm/%40aws-sdk/client-s3@3.400.0", "pkg:pypi/pyyaml@5.4?file_name=x.whl#sub/dir",
    "git+ssh://git@github.com/a/b.git#v1", "git+https://github.com/a/b.git", "../rel/path?x=1", "#frag", "",
    "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", "https://ü.example/ä?q#f",
    "http://u:p@host:8080/p", "file:///tmp/x", "mailto:a@b.c", "//cdn.example/x", "a:b/c",
    "a b", "https://exa mple", "%zz", "http://host:80x", "https://example.com/<script>", "http://x/\x1b[31m",
    "1ab:c", "https://example.com/a\\b", "https://example.com/%", "https://example.com/{x}",
]


@pytest.mark.parametrize("value", SAMPLES)
def test_agrees_with_rfc3987_syntax(value):
    rfc = pytest.importorskip("rfc3987_syntax")
    assert is_iri_reference(value) == rfc.is_valid_syntax("iri_reference", value)
    assert is_iri(value) == rfc.is_valid_syntax("iri", value)


def test_ip_literal_accepted():
    # RFC 3987 allows an IP-literal host; rfc3987-syntax 1.1 rejects it, the one place we differ
    assert is_iri("http://[::1]:80/x") and is_iri_reference("http://[2001:db8::7]/c=GB?objectClass?one")


@pytest.mark.parametrize(
    "value",
    ["a" * 20000 + " ", "http://" + "a" * 20000 + " ", "//" + "a:" * 10000 + " ", "/" + "a/" * 10000 + " ",
     "http://u:p@" + "h" * 10000 + ":" + "9" * 5000 + "x"],
)
def test_hostile_strings_fail_without_backtracking(value):
    # a quadratic pattern takes ~10 s on these; the suite's run time is the witness, not a timer
    assert not is_iri_reference(value)


def test_valid_and_invalid_documents():
    text = subprocess.run(
        [sys.executable, "-m", "pkgscan", "sbom", str(ROOT / "sample_packages/node-function.zip")],
        capture_output=True, text=True, check=True,
    ).stdout
    assert validate(text, "cyclonedx-json", "1.6") is None
    doc = json.loads(text)
    doc["components"][0]["externalReferences"] = [{"type": "website", "url": "https://exa mple"}]
    assert "url" in validate(json.dumps(doc), "cyclonedx-json", "1.6")
    doc = json.loads(text)
    doc["components"][0]["type"] = "not-a-type"
    assert "type" in validate(json.dumps(doc), "cyclonedx-json", "1.6")
    assert validate("{", "cyclonedx-json", "1.6").startswith("not JSON")
