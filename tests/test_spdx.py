"""SPDX 2.3 JSON output: every real sample renders a valid document (spdx-tools' validator and JSON
parser), byte-reproducible with SOURCE_DATE_EPOCH, with purls, licenses, relationships, and hostile
strings neutralized."""
import hashlib
import json
import re
from datetime import datetime, timezone

import pytest
from spdx_tools.spdx.model import RelationshipType, SpdxNoAssertion
from spdx_tools.spdx.parser.json import json_parser
from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

import pkgscan
from pkgscan.model import Artifact, Component, Inventory, Notice, Occurrence
from pkgscan.report.spdx import ROOT_SPDX_ID, render_spdx, spdx_license

from .conftest import SAMPLES

SAMPLE_ZIPS = sorted(SAMPLES.glob("*.zip"))
EPOCH = "1700000000"


@pytest.fixture(scope="module")
def inventories():
    return {p.name: pkgscan.scan_path(str(p)) for p in SAMPLE_ZIPS}


def parse(text: str):
    return JsonLikeDictParser().parse(json.loads(text))


def purl_of(pkg):
    refs = [r.locator for r in pkg.external_references if r.reference_type == "purl"]
    return refs[0] if refs else None


def test_there_are_samples():
    assert len(SAMPLE_ZIPS) >= 6


@pytest.mark.parametrize("zip_path", SAMPLE_ZIPS, ids=lambda p: p.name)
def test_sample_renders_valid_spdx(zip_path, inventories, monkeypatch, tmp_path):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    inv = inventories[zip_path.name]
    text = render_spdx(inv)
    raw = json.loads(text)
    assert raw["spdxVersion"] == "SPDX-2.3" and raw["SPDXID"] == "SPDXRef-DOCUMENT"
    assert raw["creationInfo"]["creators"] == [f"Tool: pkgscan-{pkgscan.__version__}"]
    assert raw["creationInfo"]["created"] == "2023-11-14T22:13:20Z"
    assert raw["dataLicense"] == "CC0-1.0"
    assert re.fullmatch(r"https://pkgscan\.dev/spdx/[A-Za-z0-9._-]+-[0-9a-f]{64}", raw["documentNamespace"])

    # spdx-tools' own JSON parser reads it back, and its validator accepts what it read
    out = tmp_path / "doc.spdx.json"
    out.write_text(text, encoding="utf-8")
    doc = json_parser.parse_from_file(str(out))
    assert validate_full_spdx_document(doc) == []
    assert len(doc.packages) == len(inv.components) + 1

    root = next(p for p in doc.packages if p.spdx_id == ROOT_SPDX_ID)
    zip_sha = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    assert [(c.algorithm.name, c.value) for c in root.checksums] == [("SHA256", zip_sha)]
    assert root.name == zip_path.name and root.files_analyzed is False
    assert root.primary_package_purpose.name == ("APPLICATION" if inv.artifact.layout == "function" else "LIBRARY")

    comps = [p for p in doc.packages if p.spdx_id != ROOT_SPDX_ID]
    by_purl = {purl_of(p): p for p in comps}
    assert set(by_purl) == {c.purl for c in inv.components}
    for c in inv.components:
        p = by_purl[c.purl]
        assert p.name == c.name and p.version == c.version
        assert p.download_location == SpdxNoAssertion() and p.files_analyzed is False
        assert [r.category.name for r in p.external_references] == ["PACKAGE_MANAGER"]
        for o in c.occurrences:
            assert o.location in p.source_info
        assert p.license_declared is not None
    ids = [p.spdx_id for p in doc.packages]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"SPDXRef-[A-Za-z0-9.-]+", i) for i in ids)

    rels = {(r.spdx_element_id, r.relationship_type, r.related_spdx_element_id) for r in doc.relationships}
    assert ("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, ROOT_SPDX_ID) in rels
    sid = {purl_of(p): p.spdx_id for p in comps}
    contains = {(a, b) for a, t, b in rels if t == RelationshipType.CONTAINS}
    assert contains == {(ROOT_SPDX_ID, sid[c.purl]) for c in inv.components}
    depends = {(a, b) for a, t, b in rels if t == RelationshipType.DEPENDS_ON}
    assert depends == {(sid[a], sid[b]) for a, b in inv.dependencies}


@pytest.mark.parametrize("zip_path", SAMPLE_ZIPS, ids=lambda p: p.name)
def test_reproducible_bytes(zip_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    a = render_spdx(pkgscan.scan_path(str(zip_path)), name="fn", version="7")
    b = render_spdx(pkgscan.scan_path(str(zip_path)), name="fn", version="7")
    assert a == b
    # the namespace changes with what the document says
    assert json.loads(render_spdx(pkgscan.scan_path(str(zip_path)), name="fn", version="8"))["documentNamespace"] != \
        json.loads(a)["documentNamespace"]


def test_namespaces_differ_between_samples(inventories, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    spaces = {json.loads(render_spdx(inv))["documentNamespace"] for inv in inventories.values()}
    assert len(spaces) == len(inventories)


def test_name_and_version(inventories, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    raw = json.loads(render_spdx(inventories["python-function.zip"], name="orders-api", version="1.4.2"))
    assert raw["name"] == "orders-api"
    assert raw["documentNamespace"].startswith("https://pkgscan.dev/spdx/orders-api-")
    root = next(p for p in raw["packages"] if p["SPDXID"] == ROOT_SPDX_ID)
    assert root["name"] == "orders-api" and root["versionInfo"] == "1.4.2"
    assert root["packageFileName"] == "python-function.zip"


def test_created_precedence(inventories, monkeypatch):
    inv = inventories["python-layer.zip"]
    given = datetime(2024, 5, 1, 12, 30, 15, 999, tzinfo=timezone.utc)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert json.loads(render_spdx(inv, created=given))["creationInfo"]["created"] == "2024-05-01T12:30:15Z"
    before = datetime.now(timezone.utc).replace(microsecond=0)
    now = json.loads(render_spdx(inv))["creationInfo"]["created"]
    after = datetime.now(timezone.utc)
    assert before <= datetime.strptime(now, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) <= after  # the time of the call
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    assert json.loads(render_spdx(inv, created=given))["creationInfo"]["created"] == "2023-11-14T22:13:20Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH"):
        render_spdx(inv)


def test_licenses_from_real_metadata(inventories, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    raw = json.loads(render_spdx(inventories["python-layer.zip"]))
    by_name = {p["name"]: p for p in raw["packages"]}
    assert by_name["six"]["licenseDeclared"] == "MIT"
    assert by_name["typing-extensions"]["licenseDeclared"] == "PSF-2.0"
    # "BSD License" (a trove classifier) is no SPDX id: no assertion, the raw values kept in a comment
    assert by_name["python-dateutil"]["licenseDeclared"] == "NOASSERTION"
    assert "BSD License" in by_name["python-dateutil"]["licenseComments"]
    raw = json.loads(render_spdx(inventories["python-function.zip"]))
    by_name = {p["name"]: p for p in raw["packages"]}
    assert by_name["chardet"]["licenseDeclared"] == "NOASSERTION"  # "LGPL"
    assert by_name["requests"]["licenseDeclared"] == "Apache-2.0"


@pytest.mark.parametrize("values, expected", [
    ((), "NOASSERTION"),
    (("MIT",), "MIT"),
    (("mit",), "MIT"),
    (("MIT", "MIT"), "MIT"),
    (("Apache-2.0", "MIT"), "Apache-2.0 AND MIT"),
    (("MIT OR Apache-2.0", "BSD-3-Clause"), "(MIT OR Apache-2.0) AND BSD-3-Clause"),
    (("GPL-2.0-or-later WITH Classpath-exception-2.0",), "GPL-2.0-or-later WITH Classpath-exception-2.0"),
    (("MIT", "BSD"), "NOASSERTION"),
    (("MIT OR",), "NOASSERTION"),
    (("((",), "NOASSERTION"),
    ((")(",), "NOASSERTION"),
    (("MIT WITH MIT",), "NOASSERTION"),
    (("Classpath-exception-2.0",), "NOASSERTION"),
    (("LicenseRef-mine",), "NOASSERTION"),
    (("DocumentRef-x:LicenseRef-y",), "NOASSERTION"),
    (("Apache 2.0",), "NOASSERTION"),
    (("\x1b[31mMIT",), "NOASSERTION"),
    (("MIT\u202e",), "NOASSERTION"),
    (("Permission is hereby granted, free of charge, " * 40,), "NOASSERTION"),
    (("   ",), "NOASSERTION"),
])
def test_spdx_license_never_crashes(values, expected):
    assert str(spdx_license(values)) == expected


HOSTILE = "\x1b]8;;http://evil\x07click\x1b[2J\r\u202eevil\x00\x9b"


def _hostile_inventory(**artifact):
    def comp(purl, name, version, licenses=(), loc="node_modules/x/package.json", description=""):
        return Component(ecosystem="npm", name=name, version=version, purl=purl, licenses=licenses,
                         occurrences=(Occurrence(loc, "node_modules"),), description=description,
                         declared_in=("package-lock.json\x1b[1m",), missing_from_lockfile=True)
    comps = (
        comp("pkg:npm/a_b@1.0.0", "a_b" + HOSTILE, "1.0.0" + HOSTILE, ("MIT" + HOSTILE,), "node_modules/a_b/package.json\n\x1b[31m",
             description=HOSTILE),
        comp("pkg:npm/a~b@1.0.0", "a~b", "1.0.0", ("MIT",)),
        comp("pkg:npm/a-b@1.0.0", "a-b", "1.0.0", ("((MIT",)),
        comp("pkg:npm/%40evil/x%1B%5B31m@1.0.0%0A", "@evil/x\x1b[31m", "1.0.0\n", ("ISC",)),
        comp("pkg:npm/plain@2.0.0", "plain", "2.0.0", ("Apache-2.0", "BSD-2-Clause")),
    )
    art = dict(name="evil\x1b[31m\u202e.zip", path="/tmp/evil.zip", kind="zip", layout="function", sha256="ab" * 32)
    art.update(artifact)
    return Inventory(
        artifact=Artifact(**art),
        components=comps,
        dependencies=(("pkg:npm/a_b@1.0.0", "pkg:npm/plain@2.0.0"), ("pkg:npm/plain@2.0.0", "pkg:npm/missing@1"),
                      ("pkg:npm/a-b@1.0.0", "pkg:npm/a-b@1.0.0")),
        notices=(Notice("symlink", "x", "symlink skipped", suspicious=True),),
    )


def test_hostile_inventory(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    inv = _hostile_inventory()
    text = render_spdx(inv, name="fn\x1b[31m", version="1\r\n2")
    assert render_spdx(inv, name="fn\x1b[31m", version="1\r\n2") == text
    # no raw control character anywhere, not even JSON-escaped
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", json.dumps(json.loads(text), ensure_ascii=False).replace("\n", ""))
    assert "\\u001b" not in text and "\\\\x1b" in text
    doc = parse(text)
    assert validate_full_spdx_document(doc) == []
    assert len(doc.packages) == len(inv.components) + 1
    ids = [p.spdx_id for p in doc.packages]
    assert len(set(ids)) == len(ids)
    # a_b, a~b and a-b sanitize to the same SPDXID and are deduplicated, deterministically
    assert {"SPDXRef-Package-pkg-npm-a-b-1.0.0", "SPDXRef-Package-pkg-npm-a-b-1.0.0-2",
            "SPDXRef-Package-pkg-npm-a-b-1.0.0-3"} <= set(ids)
    raw = json.loads(text)
    by_purl = {purl_of(p): p for p in doc.packages if p.spdx_id != ROOT_SPDX_ID}
    assert str(by_purl["pkg:npm/plain@2.0.0"].license_declared) == "Apache-2.0 AND BSD-2-Clause"
    assert str(by_purl["pkg:npm/a~b@1.0.0"].license_declared) == "MIT"
    assert by_purl["pkg:npm/a-b@1.0.0"].license_declared == SpdxNoAssertion()
    assert by_purl["pkg:npm/a_b@1.0.0"].license_declared == SpdxNoAssertion()
    # edges to unknown packages and self-edges are dropped
    rels = [(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]) for r in raw["relationships"]]
    assert [r for r in rels if r[1] == "DEPENDS_ON"] == [
        (by_purl["pkg:npm/a_b@1.0.0"].spdx_id, "DEPENDS_ON", by_purl["pkg:npm/plain@2.0.0"].spdx_id)]
    root = next(p for p in raw["packages"] if p["SPDXID"] == ROOT_SPDX_ID)
    assert "suspicious" in root["comment"]


def test_directory_inventory_without_hash(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    inv = _hostile_inventory(kind="directory", sha256="", layout="layer")
    text = render_spdx(inv)
    assert validate_full_spdx_document(parse(text)) == []
    root = next(p for p in json.loads(text)["packages"] if p["SPDXID"] == ROOT_SPDX_ID)
    assert "checksums" not in root and "packageFileName" not in root
    assert root["primaryPackagePurpose"] == "LIBRARY"
    # the namespace of a directory follows its content
    other = _hostile_inventory(kind="directory", sha256="", layout="layer")
    other = Inventory(artifact=other.artifact, components=other.components[:-1])
    assert json.loads(render_spdx(other))["documentNamespace"] != json.loads(text)["documentNamespace"]


def test_empty_inventory(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    inv = Inventory(artifact=Artifact(name="empty.zip", path="empty.zip", kind="zip", layout="function", sha256="00" * 32))
    doc = parse(render_spdx(inv))
    assert validate_full_spdx_document(doc) == [] and len(doc.packages) == 1


def _big_inventory(n):
    comps = tuple(Component(ecosystem="npm", name=f"p{i}", version="1.0.0", purl=f"pkg:npm/p{i}@1.0.0", licenses=("MIT",),
                            occurrences=(Occurrence(f"node_modules/p{i}/package.json", "node_modules"),)) for i in range(n))
    deps = tuple((f"pkg:npm/p{i}@1.0.0", f"pkg:npm/p{(i * 7 + 1) % n}@1.0.0") for i in range(n))  # across slices
    art = Artifact(name="big.zip", path="big.zip", kind="zip", layout="function", sha256="11" * 32)
    return Inventory(artifact=art, components=comps, dependencies=deps)


def test_large_document_validated_in_slices(monkeypatch):
    """spdx-tools' validator is quadratic; large documents are validated slice by slice, and a
    problem anywhere is still found."""
    from spdx_tools.spdx.model import Relationship, RelationshipType

    from pkgscan.report import spdx as mod

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    inv = _big_inventory(450)
    text = render_spdx(inv)
    doc = parse(text)
    assert len(doc.packages) == 451 and validate_full_spdx_document(doc) == []

    built = mod.build_document(inv)
    assert len(built.packages) > 2 * mod._VALIDATION_SLICE
    assert mod._validate(built) == []
    built.relationships.append(Relationship(built.packages[-1].spdx_id, RelationshipType.DEPENDS_ON, "SPDXRef-nowhere"))
    assert mod._validate(built)
    built.relationships.pop()
    built.packages[-1].spdx_id = built.packages[1].spdx_id
    assert mod._validate(built)
