"""`pkgscan.diff` on real data: SBOMs of the sample packages and scan reports produced by running
`pkgscan scan -f json` against a database imported from the committed advisory snapshot."""
import json
import os
import subprocess
import sys

import pytest

import pkgscan
from pkgscan.diff import (
    DIFF_SCHEMA,
    InvalidSbomError,
    diff,
    gate,
    load_side,
    parse_side,
    render_json,
    render_markdown,
    render_text,
    side_from_inventory,
)
from pkgscan.report.cyclonedx import build_bom, serialize
from pkgscan.report.spdx import render_spdx

from .conftest import SAMPLES

PKGSCAN = [sys.executable, "-m", "pkgscan"]
NAMES = ["python-function", "python-layer-sitepackages", "python-layer", "node-function", "node-layer", "node-layer-node20"]


def run(*args):
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    return subprocess.run([*PKGSCAN, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def data(tmp_path_factory, advisory_db_dir):
    """name -> {"cdx": plain SBOM, "spdx": SPDX, "json": scan report, "vdr": CycloneDX with vulnerabilities}."""
    d = tmp_path_factory.mktemp("diff")
    db = advisory_db_dir  # every committed export, imported once per session (tests/conftest.py; read-only)
    out = {}
    for name in NAMES:
        zip_path = SAMPLES / f"{name}.zip"
        files = {k: d / f"{name}.{k}.json" for k in ("cdx", "spdx", "json", "vdr")}
        r = run("scan", str(zip_path), "--db", str(db), "-f", "json", "-o", str(files["json"]))
        assert r.returncode == 0, r.stderr
        r = run("scan", str(zip_path), "--db", str(db), "-f", "cyclonedx-json", "-o", str(files["vdr"]))
        assert r.returncode == 0, r.stderr
        inv = pkgscan.scan_path(str(zip_path))
        files["cdx"].write_text(serialize(build_bom(inv)), encoding="utf-8")
        files["spdx"].write_text(render_spdx(inv), encoding="utf-8")
        out[name] = files
    return out


def comp_set(pkgs):
    return {(p.ecosystem, p.name, p.version) for p in pkgs}


def changes(d):
    return {(c.ecosystem, c.name, c.old, c.new, c.direction) for c in d.changed}


def test_sboms_of_two_real_samples(data):
    d = diff(load_side(data["python-function"]["cdx"]), load_side(data["python-layer-sitepackages"]["cdx"]))
    assert comp_set(d.added) == {("pypi", "attrs", "25.3.0"), ("pypi", "packaging", "24.2")}
    assert comp_set(d.removed) == {("pypi", "jinja2", "2.10"), ("pypi", "markupsafe", "1.1.1"), ("pypi", "pyyaml", "5.4")}
    assert changes(d) == {
        ("pypi", "certifi", ("2018.4.16",), ("2018.10.15",), "upgrade"),
        ("pypi", "requests", ("2.19.1",), ("2.20.0",), "upgrade"),
        ("pypi", "urllib3", ("1.23",), ("1.24.1",), "upgrade"),
    }
    assert d.unchanged == 2  # chardet 3.0.4, idna 2.7
    assert d.introduced == d.fixed == () and d.warnings == ()
    assert gate(d, "low") == 0
    # the other way round: downgrades
    back = diff(load_side(data["python-layer-sitepackages"]["cdx"]), load_side(data["python-function"]["cdx"]))
    assert {c[4] for c in changes(back)} == {"downgrade"}
    assert comp_set(back.added) == comp_set(d.removed)


def test_same_sample_in_every_format_has_no_differences(data):
    for name in NAMES:
        sides = [load_side(data[name][k]) for k in ("cdx", "spdx", "json", "vdr")]
        sides.append(side_from_inventory(pkgscan.scan_path(str(SAMPLES / f"{name}.zip"))))
        for s in sides[1:]:
            d = diff(sides[0], s)
            assert not d.components_differ, (name, s.format)
            assert d.unchanged == len({(c.ecosystem, c.name, c.version) for c in sides[0].components})
        assert sides[0].sha256 == sides[1].sha256 == sides[2].sha256 == sides[3].sha256
        # the VDR and the report describe the same vulnerabilities
        d = diff(load_side(data[name]["vdr"]), load_side(data[name]["json"]))
        assert d.introduced == d.fixed == ()


def test_reports_introduced_and_fixed(data):
    old, new = load_side(data["python-layer-sitepackages"]["json"]), load_side(data["python-function"]["json"])
    assert old.format == new.format == "pkgscan-report"
    d = diff(old, new)
    assert {(v.name, v.id) for v in d.introduced} == {
        ("jinja2", "PYSEC-2019-217"), ("jinja2", "PYSEC-2021-66"), ("requests", "PYSEC-2018-28")}
    assert d.fixed == ()
    assert d.persisting == 11
    v = next(v for v in d.introduced if v.id == "PYSEC-2018-28")
    assert v.versions == ("2.19.1",) and set(v.ids) == {"PYSEC-2018-28", "CVE-2018-18074", "GHSA-x84v-xcm2-53pg"}
    assert v.rating == "unknown" and v.active
    # unknown severity never meets a threshold except "any"
    assert [gate(d, t) for t in (None, "low", "medium", "high", "critical", "any")] == [0, 0, 0, 0, 0, 1]
    rev = diff(new, old)
    assert {v.id for v in rev.fixed} == {v.id for v in d.introduced} and rev.introduced == ()


def test_gate_on_severity(data):
    d = diff(load_side(data["python-layer"]["json"]), load_side(data["python-function"]["json"]))
    intro = {(v.name, v.id): v.rating for v in d.introduced}
    assert intro[("idna", "PYSEC-2024-60")] == "high"
    assert intro[("urllib3", "PYSEC-2023-192")] == "high"
    assert {v.id for v in d.fixed} == {"PYSEC-2022-202"}  # pyjwt is gone
    assert gate(d, "high") == 1 and gate(d, "medium") == 1 and gate(d, "critical") == 0
    assert gate(d, " HIGH ") == 1
    with pytest.raises(ValueError, match="fail-on-new"):
        gate(d, "severe")
    # the worst first
    ranks = [v.rank for v in d.introduced]
    assert ranks == sorted(ranks, reverse=True)

    node = diff(load_side(data["node-layer"]["json"]), load_side(data["node-function"]["json"]))
    assert gate(node, "critical") == 1
    crit = [v for v in node.introduced if v.rating == "critical"]
    # minimist 0.0.8 and 1.2.0 both have it: one vulnerability of the package, both versions
    assert [(v.name, v.id, v.versions) for v in crit] == [("minimist", "GHSA-xvch-5gv4-984h", ("0.0.8", "1.2.0"))]
    assert {v.id for v in node.fixed} == {"GHSA-hrpp-h998-j3pp"}  # qs is gone


def test_several_versions_of_one_package(data):
    d = diff(load_side(data["node-layer"]["cdx"]), load_side(data["node-layer-node20"]["cdx"]))
    ms = next(c for c in d.changed if c.name == "ms")
    assert (ms.old, ms.new, ms.direction) == (("2.0.0", "2.1.1"), ("2.1.3",), "upgrade")
    assert ("npm", "debug", "2.6.8") in comp_set(d.removed) and ("npm", "debug", "2.6.9") in comp_set(d.removed)
    assert ("npm", "@types/aws-lambda", "8.10.147") in comp_set(d.removed)


def _edit_report(path, tmp_path, edit, name="edited.json"):
    doc = json.loads(path.read_text())
    edit(doc)
    out = tmp_path / name
    out.write_text(json.dumps(doc))
    return out


def test_aliases_are_the_same_vulnerability(data, tmp_path):
    src = data["python-function"]["json"]

    def rename_to_cve(doc):
        for f in doc["findings"]:
            if f["id"] == "GHSA-j8r2-6x86-q33q":
                f["id"], f["ids"], f["aliases"] = "CVE-2023-32681", ["CVE-2023-32681"], []

    def only_pysec(doc):
        for f in doc["findings"]:
            if f["id"] == "GHSA-j8r2-6x86-q33q":
                f["id"], f["ids"], f["aliases"] = "pysec-2023-74", ["pysec-2023-74"], []

    old = load_side(src)
    for edit in (rename_to_cve, only_pysec):
        new = load_side(_edit_report(src, tmp_path, edit))
        d = diff(old, new)
        assert d.introduced == d.fixed == (), edit.__name__
        assert diff(new, old).introduced == ()

    def new_id(doc):
        for f in doc["findings"]:
            if f["id"] == "GHSA-j8r2-6x86-q33q":
                f["id"], f["ids"], f["aliases"] = "GHSA-xxxx-yyyy-zzzz", ["GHSA-xxxx-yyyy-zzzz"], []

    d = diff(old, load_side(_edit_report(src, tmp_path, new_id)))
    assert [(v.id, v.rating) for v in d.introduced] == [("GHSA-xxxx-yyyy-zzzz", "medium")]
    assert [v.id for v in d.fixed] == ["GHSA-j8r2-6x86-q33q"]
    assert gate(d, "medium") == 1


def test_aliases_in_cyclonedx_vulnerabilities(data, tmp_path):
    src = data["python-function"]["vdr"]
    doc = json.loads(src.read_text())
    for v in doc["vulnerabilities"]:
        if v["id"] == "GHSA-j8r2-6x86-q33q":
            v["id"], v["references"] = "CVE-2023-32681", []
    out = tmp_path / "renamed.cdx.json"
    out.write_text(json.dumps(doc))
    d = diff(load_side(data["python-function"]["json"]), load_side(out))
    assert d.introduced == d.fixed == ()


def test_suppressed_findings_do_not_gate(data, tmp_path):
    def suppress(doc):
        for f in doc["findings"]:
            f["active"] = False
            f["suppression"] = {"kind": "ignore-file", "reason": "accepted", "source": "", "justification": "", "expires": ""}

    old = load_side(data["python-layer"]["json"])
    new = load_side(_edit_report(data["python-function"]["json"], tmp_path, suppress))
    d = diff(old, new)
    assert d.introduced and all(not v.active for v in d.introduced)
    assert gate(d, "low") == 0 and gate(d, "any") == 0
    assert "suppressed" in render_text(d)


def test_sbom_without_vulnerability_data_warns(data):
    d = diff(load_side(data["python-function"]["cdx"]), load_side(data["python-function"]["json"]))
    assert not d.components_differ
    findings = json.loads(data["python-function"]["json"].read_text())["findings"]
    assert len(d.introduced) == len(findings) == 14  # every vulnerability of the report
    assert d.warnings and "no vulnerability data" in d.warnings[0]


def test_third_party_cyclonedx_and_spdx():
    cdx = {
        "bomFormat": "CycloneDX", "specVersion": "1.5",
        "metadata": {"component": {"name": "app", "version": "3", "hashes": [{"alg": "SHA-256", "content": "AB" * 32}]}},
        "components": [
            {"bom-ref": "c1", "name": "lodash", "version": "4.17.21", "purl": "pkg:npm/lodash@4.17.21"},
            {"bom-ref": "c2", "group": "@acme", "name": "util", "version": "1.0.0"},
            {"bom-ref": "c3", "name": "Flask", "version": "2.0.0", "purl": "pkg:pypi/Flask@2.0.0",
             "components": [{"bom-ref": "c4", "name": "Zope.Interface", "version": "5.0", "purl": "pkg:pypi/Zope.Interface@5.0"}]},
        ],
        "vulnerabilities": [
            {"id": "CVE-2099-0001", "ratings": [{"score": 7.5}], "affects": [{"ref": "c3"}]},
            {"id": "CVE-2099-0002", "ratings": [{"severity": "critical"}], "analysis": {"state": "not_affected"},
             "affects": [{"ref": "c1"}]},
            {"id": "CVE-2099-0003", "ratings": [{"severity": "info"}], "affects": [{"ref": "pkg:pypi/zope-interface@5.0"}]},
            {"id": "CVE-2099-0004", "affects": [{"ref": "c1", "versions": [{"version": "4.17.21", "status": "unaffected"}]}]},
        ],
    }
    side = parse_side(cdx, "third.cdx.json")
    assert side.sha256 == ("ab" * 32,) and side.name == "app" and side.version == "3"
    assert comp_set(side.components) == {("npm", "lodash", "4.17.21"), ("", "@acme/util", "1.0.0"),
                                         ("pypi", "flask", "2.0.0"), ("pypi", "zope-interface", "5.0")}
    vulns = {v.id: v for v in side.vulnerabilities}
    assert set(vulns) == {"CVE-2099-0001", "CVE-2099-0002", "CVE-2099-0003"}
    assert vulns["CVE-2099-0001"].rating == "high" and vulns["CVE-2099-0001"].package.name == "flask"
    assert not vulns["CVE-2099-0002"].active
    assert vulns["CVE-2099-0003"].rating == "none" and vulns["CVE-2099-0003"].package.name == "zope-interface"

    spdx = {
        "spdxVersion": "SPDX-2.2", "SPDXID": "SPDXRef-DOCUMENT", "name": "doc", "documentDescribes": ["SPDXRef-app"],
        "packages": [
            {"SPDXID": "SPDXRef-app", "name": "app", "versionInfo": "3",
             "checksums": [{"algorithm": "SHA256", "checksumValue": "ab" * 32}]},
            {"SPDXID": "SPDXRef-1", "name": "lodash", "versionInfo": "4.17.20",
             "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                               "referenceLocator": "pkg:npm/lodash@4.17.20"}]},
            {"SPDXID": "SPDXRef-2", "name": "@acme/util", "versionInfo": "1.0.0"},
        ],
    }
    old = parse_side(spdx, "third.spdx.json")
    assert old.sha256 == ("ab" * 32,) and old.name == "app"
    d = diff(old, side)
    assert changes(d) == {("npm", "lodash", ("4.17.20",), ("4.17.21",), "upgrade")}
    assert comp_set(d.added) == {("pypi", "flask", "2.0.0"), ("pypi", "zope-interface", "5.0")}
    assert d.unchanged == 1
    assert {v.id for v in d.introduced} == set(vulns)
    assert gate(d, "high") == 1 and gate(d, "critical") == 0  # the critical one is not_affected


def test_renderings(data):
    d = diff(load_side(data["python-layer"]["json"]), load_side(data["python-function"]["json"]))
    text = render_text(d)
    assert "Components: 8 added, 7 removed, 0 changed, 0 unchanged" in text
    assert "+ HIGH 7.5  PYSEC-2024-60 (CVE-2024-3651)  pypi/idna 2.7" in text
    assert "- UNKNOWN  PYSEC-2022-202" in text

    doc = json.loads(render_json(d))
    assert doc["schema"] == DIFF_SCHEMA
    assert set(doc) == {"schema", "old", "new", "summary", "components", "vulnerabilities", "warnings"}
    assert doc["summary"]["introduced"] == len(d.introduced) and doc["summary"]["introduced_by_rating"]["high"] == 2
    assert set(doc["old"]) == {"path", "format", "name", "version", "sha256", "components", "vulnerabilities",
                               "has_vulnerability_data"}
    v = doc["vulnerabilities"]["introduced"][0]
    assert set(v) == {"id", "ids", "aliases", "ecosystem", "name", "versions", "purls", "severity", "summary",
                      "malicious", "active"}
    assert set(doc["components"]["added"][0]) == {"ecosystem", "name", "version", "purl"}
    assert render_json(d) == render_json(d)

    md = render_markdown(d)
    assert md.startswith("## pkgscan diff")
    assert "### Introduced vulnerabilities" in md and "### Fixed vulnerabilities" in md
    assert "[`PYSEC-2024-60`](https://osv.dev/vulnerability/PYSEC-2024-60)" in md

    c = diff(load_side(data["python-function"]["cdx"]), load_side(data["python-layer-sitepackages"]["cdx"]))
    assert "~ pypi/requests 2.19.1 -> 2.20.0 (upgrade)" in render_text(c)
    assert json.loads(render_json(c))["components"]["changed"][0] == {
        "ecosystem": "pypi", "name": "certifi", "old": ["2018.4.16"], "new": ["2018.10.15"],
        "old_purls": ["pkg:pypi/certifi@2018.4.16"], "new_purls": ["pkg:pypi/certifi@2018.10.15"], "direction": "upgrade"}
    assert "| upgrade | `pypi/requests` | `2.19.1` | `2.20.0` |" in render_markdown(c)


def test_hostile_documents_render_safely():
    evil = "\x1b]8;;http://x\x07a|b\x1b[2J\r\u202e<script>`"
    new = {
        "bomFormat": "CycloneDX", "specVersion": "1.6",
        "components": [{"bom-ref": "r", "name": evil, "version": evil, "purl": "pkg:npm/x@1"},
                       {"bom-ref": "s", "name": evil, "version": "2"}],
        "vulnerabilities": [{"id": evil, "description": evil, "references": [{"id": evil + "2"}],
                             "ratings": [{"severity": "critical"}], "affects": [{"ref": "s"}]}],
    }
    old = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [], "vulnerabilities": []}
    d = diff(parse_side(old, "old\x1b[31m"), parse_side(new, "new"))
    for out in (render_text(d), render_markdown(d), render_json(d)):
        assert "\x1b" not in out and "\r" not in out and "\u202e" not in out and "\x07" not in out
    md = render_markdown(d)
    assert "&lt;script&gt;" in md  # prose escaped; identifiers are code spans, where HTML is inert
    for line in md.splitlines():
        if line.startswith("| **CRITICAL"):
            assert line.count("|") - line.count("\\|") == 6  # five cells, no cell break-out
    assert gate(d, "critical") == 1


@pytest.mark.parametrize("content, match", [
    (b"", "not valid JSON"),
    (b"\x00\xff\xfe garbage", "not UTF-8"),
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "expected a JSON object"),
    (b'{"hello": "world"}', "not a CycloneDX JSON SBOM, SPDX JSON document or pkgscan JSON report"),
    (b"<?xml version='1.0'?><bom/>", "XML is not supported"),
    (b'{"bomFormat": "CycloneDX", "components": {"a": 1}}', "'components' must be a list"),
    (b'{"bomFormat": "CycloneDX", "components": ["x"]}', "components\\[0\\] must be an object"),
    (b'{"bomFormat": "CycloneDX", "metadata": {"component": {"hashes": [{"alg": "SHA-256", "content": "zz"}]}}}',
     "not 64 hex digits"),
    (b'{"schema": "pkgscan/report/v2"}', "unsupported pkgscan report schema"),
    (b'{"spdxVersion": "SPDX-2.3", "packages": 5}', "'packages' must be a list"),
    (b'{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"}', "SPDX 3"),
    (b"[" * 100000 + b"]" * 100000, "(nested too deeply|expected a JSON object)"),
])
def test_invalid_inputs(tmp_path, content, match):
    p = tmp_path / "bad\x1b.json"
    p.write_bytes(content)
    with pytest.raises(InvalidSbomError, match=match) as e:
        load_side(p)
    assert isinstance(e.value, ValueError)
    assert "\n" not in str(e.value) and "\x1b" not in str(e.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InvalidSbomError, match="cannot read"):
        load_side(tmp_path / "nope.json")
    with pytest.raises(InvalidSbomError, match="directory"):
        load_side(tmp_path)
