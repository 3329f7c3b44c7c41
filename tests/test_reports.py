"""Reports (table, JSON, SARIF, Markdown, CycloneDX vulnerabilities) on real scans and real advisories.

The inventories come from scanning the sample packages; the findings are built by hand from real
OSV records copied into tests/fixtures/reports/osv/ (attribution in its README.md), the way the
matcher would build them.  CVSS scores are the values the `cvss` package (3.6) computes for the
records' vectors.
"""
from __future__ import annotations

import json
import random
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.validation import make_schemabased_validator
from packageurl import PackageURL

from pkgscan import scan_path
from pkgscan.model import NPM, PYPI, Component, Notice, Occurrence
from pkgscan.report import cyclonedx_vulns, json_report, markdown, sarif, table
from pkgscan.report.cyclonedx import build_bom, serialize
from pkgscan.report.text import is_safe_url, neutralize, single_line
from pkgscan.vulns.model import DatabaseInfo, Finding, ScanResult, Severity, Suppression

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_packages"
FIX = Path(__file__).resolve().parent / "fixtures" / "reports"
OSV = FIX / "osv"
JSON_SCHEMA = json.loads((ROOT / "docs" / "json-report-schema.json").read_text())
SARIF_SCHEMA = json.loads((FIX / "sarif-schema-2.1.0.json").read_text())

# vector -> (base score, rating), as computed by the `cvss` package (CVSS3 / CVSS4 .base_score)
SCORES = {
    "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N": (6.1, "medium"),  # GHSA-j8r2-6x86-q33q
    "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H": (7.4, "high"),  # GHSA-p6mc-m468-83gw
    "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H": (7.2, "high"),  # GHSA-35jh-r3h4-6jhm
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L": (5.3, "medium"),  # GHSA-29mw-wpgm-hmr9
    "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L": (5.6, "medium"),  # GHSA-vh95-rmgr-6w4m
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H": (9.8, "critical"),  # GHSA-xvch-5gv4-984h
    "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H": (8.8, "high"),  # GHSA-r683-j2x4-v87g
    "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:L": (2.3, "low"),  # GHSA-qw6h-vgh9-j6wx
}

HOSTILE_NAME = "evil\x1b]0;pwned\x07"
HOSTILE_SUMMARY = "<script>alert(1)</script> | col\nnew line\r\n\x1b[31mred\x1b[0m \u202eevil\u202c `tick` [x](javascript:alert(1)) @admin"


# -- building findings from real records ------------------------------------------------------------

def record(vid: str) -> dict:
    return json.loads((OSV / f"{vid}.json").read_text())


def _vkey(v: str) -> tuple:
    """Enough of a version order for these records (plain dotted numbers, npm pre-releases)."""
    main, _, pre = v.partition("-")
    return tuple(int(x) for x in re.findall(r"\d+", main)) + ((0,) if pre else (1,))


def _fixed(rec: dict, comp: Component) -> list[str]:
    out = []
    for aff in rec["affected"]:
        pkg = aff["package"]
        same = pkg["name"].lower() == comp.name.lower() if comp.ecosystem == PYPI else pkg["name"] == comp.name
        if not same or pkg["ecosystem"].lower() != comp.ecosystem:
            continue
        for rng in aff.get("ranges", []):
            if rng["type"] == "GIT":
                continue
            introduced = None
            for ev in rng["events"]:
                if "introduced" in ev:
                    introduced = ev["introduced"]
                elif "fixed" in ev and introduced is not None:
                    if _vkey(introduced) <= _vkey(comp.version) < _vkey(ev["fixed"]) or introduced == "0" and _vkey(comp.version) < _vkey(ev["fixed"]):
                        out.append(ev["fixed"])
    return out


def make_finding(comp: Component, *ids: str, suppressed: Suppression | None = None, recommended: str | None = None) -> Finding:
    """A finding for ``comp`` from the records ``ids`` (records of one vulnerability)."""
    recs = [record(i) for i in ids]
    all_ids: list[str] = []
    for r in recs:
        for i in [r["id"], *r.get("aliases", [])]:
            if i not in all_ids:
                all_ids.append(i)
    summary = next((r["summary"] for r in recs if r.get("summary")), "") or recs[0]["details"].split("\n")[0]
    malicious = any(r["id"].startswith("MAL-") for r in recs)
    severity = Severity()
    vectors = [s for r in recs for s in r.get("severity", [])]
    vectors.sort(key=lambda s: {"CVSS_V4": 0, "CVSS_V3": 1, "CVSS_V2": 2}[s["type"]])
    if malicious:
        severity = Severity("critical", None, None, "malicious")
    elif vectors:
        score, rating = SCORES[vectors[0]["score"]]
        severity = Severity(rating, score, vectors[0]["score"], vectors[0]["type"])
    else:
        ds = next((r["database_specific"]["severity"] for r in recs if (r.get("database_specific") or {}).get("severity")), None)
        if ds:
            severity = Severity({"MODERATE": "medium"}.get(ds, ds.lower()), None, None, "GHSA database_specific")
    fixed = sorted({v for r in recs for v in _fixed(r, comp)}, key=_vkey)
    refs = [ref["url"] for r in recs for ref in r.get("references", [])]
    return Finding(
        component=comp,
        id=recs[0]["id"],
        ids=tuple(all_ids),
        advisories=tuple(r["id"] for r in recs),
        summary=summary,
        severity=severity,
        fixed=tuple(fixed),
        recommended=recommended if recommended is not None else (fixed[-1] if fixed else None),
        malicious=malicious,
        references=tuple(dict.fromkeys(refs)),
        suppressed=suppressed,
    )


def _component(ecosystem: str, name: str, version: str, location: str, root: str = "") -> Component:
    purl = PackageURL(type=ecosystem, name=name, version=version).to_string()
    return Component(ecosystem=ecosystem, name=name, version=version, purl=purl, occurrences=(Occurrence(location, root),))


DB = DatabaseInfo(source="offline:/work/shared/osv", ecosystems=(("npm", 30, "2026-05-26T17:12:48Z"), ("PyPI", 2664, "2024-10-27T13:55:45Z")), age_days=1.5)


@pytest.fixture(scope="module")
def python_result() -> ScanResult:
    inv = scan_path(SAMPLES / "python-function.zip")
    bla = _component(PYPI, "123bla", "0.0.1", "123bla-0.0.1.dist-info/METADATA")  # not in the sample: added by hand
    inv = replace(inv, components=inv.components + (bla,))
    requests = inv.component(PYPI, "requests", "2.19.1")
    findings = (
        make_finding(requests, "PYSEC-2018-28", recommended="2.31.0"),
        make_finding(requests, "PYSEC-2023-74", "GHSA-j8r2-6x86-q33q", recommended="2.31.0"),
        make_finding(bla, "MAL-2024-10238"),
    )
    return ScanResult(inventory=inv, findings=findings, database=DB)


@pytest.fixture(scope="module")
def node_result() -> ScanResult:
    inv = scan_path(SAMPLES / "node-function.zip")
    # two installed copies of lodash (a second, shadowed copy added by hand) to show "+N"
    lodash = inv.component(NPM, "lodash", "4.17.15")
    lodash2 = replace(lodash, occurrences=lodash.occurrences + (Occurrence("node_modules/mkdirp/node_modules/lodash/package.json", "node_modules/mkdirp/node_modules"),))
    express = _component(NPM, "express", "4.19.2", "node_modules/express/package.json", "node_modules")
    ansi = _component(NPM, "ansi-regex", "6.2.1", "node_modules/ansi-regex/package.json", "node_modules")
    comps = tuple(lodash2 if c is lodash else c for c in inv.components) + (express, ansi)
    inv = replace(inv, components=comps)
    c = {x.name + "@" + x.version: x for x in inv.components}
    findings = (
        make_finding(c["lodash@4.17.15"], "GHSA-p6mc-m468-83gw", recommended="4.17.21"),
        make_finding(c["lodash@4.17.15"], "GHSA-35jh-r3h4-6jhm"),
        make_finding(c["lodash@4.17.15"], "GHSA-29mw-wpgm-hmr9", suppressed=Suppression(
            "vex", "trim functions are not called", "vex.openvex.json", "vulnerable_code_not_in_execute_path")),
        make_finding(c["minimist@0.0.8"], "GHSA-vh95-rmgr-6w4m", recommended="0.2.4", suppressed=Suppression(
            "ignore-file", "only parses our own argv", ".pkgscan-ignore.yaml", "", "2027-01-01")),
        make_finding(c["minimist@0.0.8"], "GHSA-xvch-5gv4-984h"),
        make_finding(c["minimist@1.2.0"], "GHSA-vh95-rmgr-6w4m", recommended="1.2.6"),
        make_finding(c["minimist@1.2.0"], "GHSA-xvch-5gv4-984h"),
        make_finding(c["axios@0.21.0"], "GHSA-wf5p-g6vw-rhxx"),
        make_finding(c["node-fetch@2.6.0"], "GHSA-r683-j2x4-v87g"),
        make_finding(c["express@4.19.2"], "GHSA-qw6h-vgh9-j6wx"),
        make_finding(c["ansi-regex@6.2.1"], "MAL-2025-46966"),
    )
    return ScanResult(inventory=inv, findings=findings, database=DB, warnings=("advisory database has no record for ecosystem 'Go'",))


@pytest.fixture(scope="module")
def hostile_result() -> ScanResult:
    inv = scan_path(SAMPLES / "node-function.zip")
    evil = _component(NPM, HOSTILE_NAME, "1.0.0\u202e\x9b2J", f"node_modules/{HOSTILE_NAME}/package.json\nx", "node_modules")
    evil = replace(evil, licenses=("MIT\x1b[2J",), description="desc \x07\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\")
    notice = Notice("unsafe-path", "../\x1b[2Jetc/passwd", "entry escapes the root \x07", suspicious=True)
    inv = replace(inv, components=inv.components + (evil,), notices=inv.notices + (notice,))
    f = Finding(
        component=evil,
        id="GHSA-p6mc-m468-83gw",
        ids=("GHSA-p6mc-m468-83gw", "CVE-2020-8203", "CVE-\x1b[1mX|y"),
        advisories=("GHSA-p6mc-m468-83gw",),
        summary=HOSTILE_SUMMARY,
        severity=Severity("high", 7.4, "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H", "CVSS_V3"),
        fixed=("4.17.20\x1b[0m",),
        recommended="4.17.21\n|",
        references=("javascript:alert(1)", "https://example.com/\x1b[1m", "https://nvd.nist.gov/vuln/detail/CVE-2020-8203"),
        labels=("shadowed\x07",),
    )
    g = replace(f, id="GHSA-29mw-wpgm-hmr9", ids=("GHSA-29mw-wpgm-hmr9",), malicious=True, suppressed=Suppression(
        "vex", "reason with <b>html</b> | pipe\n\x1b]0;title\x07", "vex\x1b.json", "vulnerable_code_not_in_execute_path\x07"))
    return ScanResult(inventory=inv, findings=(f, g), warnings=("warning \x1b[5mblink",))


ALL = ["python_result", "node_result"]


# -- text.neutralize ------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,expected", [
    ("evil\x1b]0;pwned\x07", "evil\\x1b]0;pwned\\x07"),
    ("a\r\nb", "a\nb"),
    ("safe\roverwritten", "safe\\x0doverwritten"),
    ("\x9b31m", "\\x9b31m"),
    ("\x7f", "\\x7f"),
    ("abc\u202edef\u2066x\u2069", "abc\\u202edef\\u2066x\\u2069"),
    ("line\u2028sep", "line\nsep"),
    ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
    ("\ufffe\uffff", "\\ufffe\\uffff"),
    ("tab\there", "tab\there"),
    ("Zürich 日本 ✓ — fine", "Zürich 日本 ✓ — fine"),
])
def test_neutralize(raw, expected):
    assert neutralize(raw) == expected


def test_scores_are_what_the_cvss_package_computes():
    cvss = pytest.importorskip("cvss")
    for vector, (score, rating) in SCORES.items():
        c = cvss.CVSS4(vector) if vector.startswith("CVSS:4.0/") else cvss.CVSS3(vector)
        assert float(c.base_score) == score
        assert (c.severity if vector.startswith("CVSS:4.0/") else c.severities()[0]).lower() == rating


def test_single_line_collapses_whitespace():
    assert single_line("  a\n\n b\tc \r\n d ") == "a b c d"
    assert single_line(None) == ""


def test_safe_urls():
    assert is_safe_url("https://github.com/advisories/GHSA-p6mc-m468-83gw")
    assert is_safe_url("http://lists.opensuse.org/opensuse-security-announce/2019-07/msg00024.html")
    for bad in ["javascript:alert(1)", "data:text/html,x", "https://a b", "https://x/\x1b[1m", "https://x/\"onmouseover",
                "https://x/<script>", "https://\u202eevil", "ftp://x", "", None]:
        assert not is_safe_url(bad), bad


# -- table ----------------------------------------------------------------------------------------

def test_table_python(python_result):
    out = table.render(python_result, width=140)
    assert "\x1b" not in out
    lines = out.splitlines()
    assert lines[0].startswith("pkgscan: python-function.zip (function, 9 packages)")
    assert "MALICIOUS PACKAGE: 123bla 0.0.1 (MAL-2024-10238)" in lines[1]
    # malicious first, then medium 6.1 (PYSEC-2023-74 grouped with GHSA-j8r2), then unknown (PYSEC-2018-28)
    order = [i for i in ("MAL-2024-10238", "PYSEC-2023-74", "PYSEC-2018-28") if i in out]
    assert sorted(order, key=out.index) == ["MAL-2024-10238", "PYSEC-2023-74", "PYSEC-2018-28"]
    assert "MEDIUM 6.1" in out and "UNKNOWN" in out
    assert "CVE-2023-32681" in out and "GHSA-j8r2-6x86-q33q" in out  # aliases under the primary id
    assert "requests-2.19.1.dist-info/METADATA" in out
    assert lines[-1] == "3 vulnerabilities (1 critical, 1 medium, 1 unknown) in 2 of 9 packages"
    assert all(len(line) <= 140 for line in lines)


def test_table_node_sorted_and_suppressed(node_result):
    out = table.render(node_result, width=160)
    active, _, suppressed = out.partition("Suppressed")
    ids = re.findall(r"(?:GHSA|MAL)-[\w-]+", active[active.index("Package"):])
    # malicious first, then by rating and score: 9.8, 9.8, 8.8, 7.4, 7.2, 5.6 (1.2.0), medium/no score, low
    assert ids[:2] == ["MAL-2025-46966", "GHSA-jvhh-2m83-6w29"]
    primary = [i for i in ids if i != "GHSA-jvhh-2m83-6w29"]
    assert primary == ["MAL-2025-46966", "GHSA-xvch-5gv4-984h", "GHSA-xvch-5gv4-984h", "GHSA-r683-j2x4-v87g",
                       "GHSA-p6mc-m468-83gw", "GHSA-35jh-r3h4-6jhm", "GHSA-vh95-rmgr-6w4m", "GHSA-wf5p-g6vw-rhxx",
                       "GHSA-qw6h-vgh9-j6wx"]
    assert "node_modules/lodash/package.json +1" in active
    assert "LOW 2.3" in active and "CRITICAL 9.8" in active and "HIGH 8.8" in active
    assert "4.17.20" in active and "(upgrade to 4.17.21)" in active
    # suppressed findings: separately, with kind, source and reason
    assert "GHSA-29mw-wpgm-hmr9" in suppressed and "GHSA-vh95-rmgr-6w4m" in suppressed
    assert "vex (vex.openvex.json)" in suppressed and "trim functions are not called" in suppressed
    assert "only parses our own argv" in suppressed and "2027-01-01" in suppressed
    assert "Warning: advisory database has no record for ecosystem 'Go'" in out
    assert out.rstrip().splitlines()[-1] == (
        "9 vulnerabilities (3 critical, 3 high, 2 medium, 1 low) in 7 of 11 packages; 2 suppressed")


def test_table_color_and_width(node_result):
    colored = table.render(node_result, width=100, color=True)
    plain = table.render(node_result, width=100)
    assert "\x1b[" in colored and "\x1b" not in plain
    assert [line.rstrip() for line in re.sub(r"\x1b\[[0-9;]*m", "", colored).splitlines()] == plain.splitlines()
    assert all(len(line) <= 100 for line in plain.splitlines())


def test_table_no_findings():
    inv = scan_path(SAMPLES / "python-function.zip")
    out = table.render(ScanResult(inventory=inv))
    assert out.splitlines()[-1] == "No known vulnerabilities in 8 packages"


def test_table_does_not_interpret_markup(python_result):
    f = python_result.findings[0]
    comp = replace(f.component, name="[bold red]x[/] :skull:")
    out = table.render(replace(python_result, findings=(replace(f, component=comp),)), color=True)
    assert "[bold red]x[/] :skull:" in re.sub(r"\x1b\[[0-9;]*m", "", out)


# -- JSON -----------------------------------------------------------------------------------------

def _json_validate(data):
    jsonschema.Draft202012Validator(JSON_SCHEMA, format_checker=jsonschema.FormatChecker()).validate(data)


@pytest.mark.parametrize("name", ALL)
def test_json_valid_and_deterministic(name, request, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = request.getfixturevalue(name)
    text = json_report.render(result)
    data = json.loads(text)
    _json_validate(data)
    assert data["schema"] == "pkgscan/report/v1"
    assert data["generated_at"] == "2023-11-14T22:13:20Z"
    shuffled = list(result.findings)
    random.Random(7).shuffle(shuffled)
    inv = result.inventory
    comps = list(inv.components)
    random.Random(8).shuffle(comps)
    again = replace(result, findings=tuple(shuffled), inventory=replace(inv, components=tuple(comps)))
    assert json_report.render(again) == text
    assert [c["purl"] for c in data["components"]] == sorted(c["purl"] for c in data["components"])


def test_json_content(node_result):
    data = json_report.build(node_result)
    assert data["artifact"]["name"] == "node-function.zip" and data["artifact"]["layout"] == "function"
    assert len(data["artifact"]["sha256"]) == 64
    s = data["summary"]
    assert (s["components"], s["findings"], s["active"], s["suppressed"], s["malicious"]) == (11, 11, 9, 2, 1)
    assert s["by_rating"] == {"critical": 3, "high": 3, "medium": 2, "low": 1, "none": 0, "unknown": 0}
    assert s["max_rating"] == "critical" and s["vulnerable_components"] == 7
    lodash = next(c for c in data["components"] if c["name"] == "lodash")
    assert lodash["locations"] == ["node_modules/lodash/package.json", "node_modules/mkdirp/node_modules/lodash/package.json"]
    assert lodash["declared_in"] == ["node_modules/.package-lock.json", "package-lock.json"]
    assert lodash["licenses"] == ["MIT"] and lodash["missing_from_lockfile"] is False
    assert {"from": "pkg:npm/mkdirp@0.5.1", "to": "pkg:npm/minimist@0.0.8"} in data["dependencies"]
    f = next(f for f in data["findings"] if f["id"] == "GHSA-29mw-wpgm-hmr9")
    assert f["ids"] == ["GHSA-29mw-wpgm-hmr9", "CVE-2020-28500"] and f["aliases"] == ["CVE-2020-28500"]
    assert f["severity"] == {"rating": "medium", "score": 5.3, "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", "source": "CVSS_V3"}
    assert f["active"] is False
    assert f["suppression"] == {"kind": "vex", "reason": "trim functions are not called", "source": "vex.openvex.json",
                                "justification": "vulnerable_code_not_in_execute_path", "expires": ""}
    assert f["fixed"] == ["4.17.21"] and f["purl"] == "pkg:npm/lodash@4.17.15"
    axios = next(f for f in data["findings"] if f["name"] == "axios")
    assert axios["severity"] == {"rating": "medium", "score": None, "vector": None, "source": "GHSA database_specific"}
    mal = next(f for f in data["findings"] if f["malicious"])
    assert mal["id"] == "MAL-2025-46966" and mal["severity"]["rating"] == "critical"
    assert data["database"]["ecosystems"][0] == {"ecosystem": "PyPI", "advisories": 2664, "last_modified": "2024-10-27T13:55:45Z"}
    assert data["warnings"] == ["advisory database has no record for ecosystem 'Go'"]
    # findings ordered by package, then id
    keys = [(f["ecosystem"], f["name"], f["version"], f["id"]) for f in data["findings"]]
    assert keys == sorted(keys)


def test_json_schema_rejects_wrong_documents(python_result):
    data = json_report.build(python_result)
    bad = json.loads(json.dumps(data))
    bad["findings"][0]["severity"]["rating"] = "severe"
    with pytest.raises(jsonschema.ValidationError):
        _json_validate(bad)
    bad = json.loads(json.dumps(data))
    bad["findings"][0]["active"] = False  # inactive finding without a suppression object
    with pytest.raises(jsonschema.ValidationError):
        _json_validate(bad)


def test_json_docs_mention_every_field():
    doc = (ROOT / "docs" / "json-report.md").read_text()
    fields = set(JSON_SCHEMA["properties"])
    for d in JSON_SCHEMA["$defs"].values():
        fields |= set(d.get("properties", {}))
    for key in ("artifact", "database", "summary"):
        fields |= set(JSON_SCHEMA["properties"][key].get("properties", {}))
    missing = sorted(f for f in fields if f"`{f}`" not in doc)
    assert not missing, missing


# -- SARIF ----------------------------------------------------------------------------------------

def _sarif_validate(data):
    jsonschema.Draft4Validator(SARIF_SCHEMA, format_checker=jsonschema.FormatChecker()).validate(data)


@pytest.mark.parametrize("name", ALL)
def test_sarif_valid(name, request):
    result = request.getfixturevalue(name)
    text = sarif.render(result)
    data = json.loads(text)
    _sarif_validate(data)
    assert data["version"] == "2.1.0"
    run = data["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    rule_ids = [r["id"] for r in rules]
    assert rule_ids == sorted(set(f.id for f in result.findings))  # one rule per vulnerability
    expected_results = sum(max(1, len(f.component.occurrences)) for f in result.findings)
    assert len(run["results"]) == expected_results
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "PKGROOT" and loc["region"]["startLine"] == 1
        assert res["partialFingerprints"]["pkgscan/v1"]
    for r in rules:  # GitHub code scanning conventions
        assert len(r["properties"]["tags"]) <= 20
        if "security-severity" in r["properties"]:  # absent only when neither score nor rating is known
            assert 0.0 <= float(r["properties"]["security-severity"]) <= 10.0
        assert r["helpUri"].startswith("https://")
    assert sarif.render(result) == text  # deterministic


def test_sarif_content(node_result):
    data = sarif.build(node_result, root_uri="lambda/build", category="pkgscan/node")
    run = data["runs"][0]
    _sarif_validate(data)
    assert run["originalUriBaseIds"]["PKGROOT"]["uri"] == "lambda/build/"
    assert run["automationDetails"] == {"id": "pkgscan/node"}
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    xvch = rules["GHSA-xvch-5gv4-984h"]
    assert xvch["shortDescription"]["text"] == "Prototype Pollution in minimist"
    assert xvch["properties"]["security-severity"] == "9.8"
    assert "CVE-2021-44906" in xvch["properties"]["tags"] and "security" in xvch["properties"]["tags"]
    assert xvch["helpUri"] == "https://nvd.nist.gov/vuln/detail/CVE-2021-44906"  # the record's first reference
    assert rules["GHSA-wf5p-g6vw-rhxx"]["properties"]["security-severity"] == "5.5"  # rating only: representative
    assert rules["GHSA-qw6h-vgh9-j6wx"]["properties"]["security-severity"] == "2.3"
    assert rules["MAL-2025-46966"]["properties"]["security-severity"] == "10.0"
    by_rule: dict[str, list] = {}
    for res in run["results"]:
        by_rule.setdefault(res["ruleId"], []).append(res)
    assert len(by_rule["GHSA-xvch-5gv4-984h"]) == 2  # minimist 0.0.8 and 1.2.0
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in by_rule["GHSA-p6mc-m468-83gw"]} == {
        "node_modules/lodash/package.json", "node_modules/mkdirp/node_modules/lodash/package.json"}
    levels = {rid: {r["level"] for r in rs} for rid, rs in by_rule.items()}
    assert levels["GHSA-xvch-5gv4-984h"] == {"error"} and levels["GHSA-r683-j2x4-v87g"] == {"error"}
    assert levels["GHSA-wf5p-g6vw-rhxx"] == {"warning"} and levels["GHSA-qw6h-vgh9-j6wx"] == {"note"}
    assert levels["MAL-2025-46966"] == {"error"}
    sup = [r for r in run["results"] if "suppressions" in r]
    assert {(r["ruleId"], r["properties"]["installed"]) for r in sup} == {("GHSA-29mw-wpgm-hmr9", "4.17.15"), ("GHSA-vh95-rmgr-6w4m", "0.0.8")}
    vex = next(r for r in sup if r["ruleId"] == "GHSA-29mw-wpgm-hmr9")
    assert vex["suppressions"] == [{
        "kind": "external", "status": "accepted",
        "justification": "trim functions are not called [vulnerable_code_not_in_execute_path]",
        "properties": {"pkgscan/kind": "vex", "pkgscan/source": "vex.openvex.json"},
    }]
    msg = by_rule["GHSA-r683-j2x4-v87g"][0]["message"]["text"]
    assert msg.startswith("node-fetch 2.6.0 is affected by GHSA-r683-j2x4-v87g (CVE-2022-0235)") and msg.endswith("Upgrade to 3.1.1.")
    # (as the record is written, 2.6.7 is still inside its other range, introduced "1.0" fixed "3.1.1")
    fps = [r["partialFingerprints"]["pkgscan/v1"] for r in run["results"]]
    assert len(set(fps)) == len(fps)


def test_sarif_python_scoped_and_unscored(python_result):
    data = sarif.build(python_result)
    rules = {r["id"]: r for r in data["runs"][0]["tool"]["driver"]["rules"]}
    assert "security-severity" not in rules["PYSEC-2018-28"]["properties"]  # no score, no rating in the record
    assert rules["PYSEC-2018-28"]["defaultConfiguration"]["level"] == "note"
    assert rules["PYSEC-2018-28"]["helpUri"] == "https://github.com/requests/requests/pull/4718"
    assert rules["MAL-2024-10238"]["helpUri"] == "https://osv.dev/vulnerability/MAL-2024-10238"  # no references


def test_sarif_uri_of_scoped_package():
    inv = scan_path(SAMPLES / "node-function.zip")
    once = next(c for c in inv.components if c.name == "@tootallnate/once")
    f = Finding(component=once, id="GHSA-xxxx-test", ids=("GHSA-xxxx-test",), advisories=("GHSA-xxxx-test",))
    data = sarif.build(ScanResult(inventory=inv, findings=(f,)))
    _sarif_validate(data)
    loc = data["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": "node_modules/@tootallnate/once/package.json", "uriBaseId": "PKGROOT"}


# -- Markdown -------------------------------------------------------------------------------------

def _cells(line: str) -> list[str]:
    """Split a GFM table row on unescaped pipes."""
    return re.split(r"(?<!\\)\|", line.strip())[1:-1]


def _tables(md: str) -> list[list[str]]:
    tables, cur = [], []
    for line in md.splitlines():
        if line.startswith("|"):
            cur.append(line)
        elif cur:
            tables.append(cur)
            cur = []
    if cur:
        tables.append(cur)
    return tables


@pytest.mark.parametrize("name", ALL)
def test_markdown_tables_well_formed(name, request):
    md = markdown.render(request.getfixturevalue(name))
    for t in _tables(md):
        widths = {len(_cells(row)) for row in t}
        assert len(widths) == 1, t


def test_markdown_content(node_result):
    md = markdown.render(node_result)
    assert md.startswith("## pkgscan: `node-function.zip`\n")
    assert "**9 vulnerabilities** (3 critical, 3 high, 2 medium, 1 low) in 7 of 11 packages · 2 suppressed" in md
    assert "> [!CAUTION]\n> **Malicious package:** `ansi-regex` `6.2.1` (`MAL-2025-46966`)" in md
    assert "[`GHSA-xvch-5gv4-984h`](https://osv.dev/vulnerability/GHSA-xvch-5gv4-984h)<br>`CVE-2021-44906`" in md
    assert "`node_modules/lodash/package.json` +1" in md
    assert "### Suppressed (2)" in md
    active, _, suppressed = md.partition("### Suppressed")
    assert "GHSA-29mw" not in active and "trim functions are not called" in suppressed
    assert "> [!WARNING]" in md


def test_markdown_escaping():
    assert markdown.escape("a|b `c` <d> & *e* [f](g) $x$ @team\nnext") == (
        "a\\|b \\`c\\` &lt;d&gt; &amp; \\*e\\* \\[f\\]\\(g\\) \\$x\\$ \\@team next")
    assert markdown.code("a`b|c") == "``a`b\\|c``"
    assert markdown.code("`x") == "`` `x ``"


# -- CycloneDX vulnerabilities ----------------------------------------------------------------------

SPECS = [("cyclonedx-json", "1.6"), ("cyclonedx-json", "1.5"), ("cyclonedx-json", "1.4"),
         ("cyclonedx-xml", "1.6"), ("cyclonedx-xml", "1.5"), ("cyclonedx-xml", "1.4")]


def _bom_text(result, fmt, spec):
    bom = cyclonedx_vulns.add_vulnerabilities(build_bom(result.inventory), result)
    text = serialize(bom, fmt, spec, validate=False)
    ofmt = OutputFormat.JSON if fmt.endswith("json") else OutputFormat.XML
    schema = {"1.4": SchemaVersion.V1_4, "1.5": SchemaVersion.V1_5, "1.6": SchemaVersion.V1_6}[spec]
    assert make_schemabased_validator(ofmt, schema).validate_str(text) is None
    return text


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("fmt,spec", SPECS)
def test_cyclonedx_vulnerabilities_valid(name, fmt, spec, request):
    result = request.getfixturevalue(name)
    text = _bom_text(result, fmt, spec)
    if fmt == "cyclonedx-json":
        assert len(json.loads(text)["vulnerabilities"]) == len(result.findings)
    else:
        root = ET.fromstring(text.encode())
        ns = {"c": root.tag[1:].split("}")[0]}
        assert len(root.findall("c:vulnerabilities/c:vulnerability", ns)) == len(result.findings)


def _vulns(result, spec="1.6"):
    data = json.loads(_bom_text(result, "cyclonedx-json", spec))
    return {(v["id"], v["affects"][0]["ref"]): v for v in data["vulnerabilities"]}


def test_cyclonedx_vulnerability_content(node_result):
    v = _vulns(node_result)
    xvch = v[("GHSA-xvch-5gv4-984h", "pkg:npm/minimist@1.2.0")]
    assert xvch["source"] == {"name": "OSV", "url": "https://osv.dev/vulnerability/GHSA-xvch-5gv4-984h"}
    assert xvch["references"] == [{"id": "CVE-2021-44906", "source": {"name": "NVD", "url": "https://nvd.nist.gov/vuln/detail/CVE-2021-44906"}}]
    rating = xvch["ratings"][0]
    assert (rating["method"], rating["score"], rating["severity"]) == ("CVSSv31", 9.8, "critical")
    assert rating["vector"] == "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    assert xvch["description"] == "Prototype Pollution in minimist"
    assert xvch["recommendation"] == "Upgrade to 1.2.6"
    assert xvch["affects"] == [{"ref": "pkg:npm/minimist@1.2.0", "versions": [{"status": "affected", "version": "1.2.0"}]}]
    assert {"url": "https://nvd.nist.gov/vuln/detail/CVE-2021-44906"} in xvch["advisories"]
    assert "analysis" not in xvch
    nf = v[("GHSA-r683-j2x4-v87g", "pkg:npm/node-fetch@2.6.0")]["ratings"][0]
    assert (nf["method"], nf["score"]) == ("CVSSv3", 8.8)
    ex = v[("GHSA-qw6h-vgh9-j6wx", "pkg:npm/express@4.19.2")]["ratings"][0]
    assert ex == {"method": "CVSSv4", "score": 2.3, "severity": "low",
                  "source": {"name": "OSV", "url": "https://osv.dev/vulnerability/GHSA-qw6h-vgh9-j6wx"},
                  "vector": "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:L"}
    axios = v[("GHSA-wf5p-g6vw-rhxx", "pkg:npm/axios@0.21.0")]["ratings"][0]
    assert (axios["method"], axios["severity"], "score" in axios) == ("other", "medium", False)
    vex = v[("GHSA-29mw-wpgm-hmr9", "pkg:npm/lodash@4.17.15")]["analysis"]
    assert vex == {"state": "not_affected", "justification": "code_not_reachable",
                   "detail": "trim functions are not called (source: vex.openvex.json)"}
    ign = v[("GHSA-vh95-rmgr-6w4m", "pkg:npm/minimist@0.0.8")]["analysis"]
    assert ign["response"] == ["will_not_fix"] and "expires: 2027-01-01" in ign["detail"]
    mal = v[("MAL-2025-46966", "pkg:npm/ansi-regex@6.2.1")]
    assert mal["recommendation"].startswith("Remove this package")
    assert {"name": "pkgscan:malicious", "value": "true"} in mal["properties"]


def test_cyclonedx_cvss4_under_1_4(node_result):
    ex = _vulns(node_result, "1.4")[("GHSA-qw6h-vgh9-j6wx", "pkg:npm/express@4.19.2")]["ratings"][0]
    assert ex["method"] == "other" and ex["vector"].startswith("CVSS:4.0/")


def test_cyclonedx_rejects_foreign_component(python_result, node_result):
    with pytest.raises(ValueError):
        cyclonedx_vulns.add_vulnerabilities(build_bom(python_result.inventory), node_result)


# -- hostile strings in every format --------------------------------------------------------------

RAW_BAD = ["\x1b", "\x07", "\x9b", "\u202e", "\u202c", "\r"]


def _no_raw_controls(text: str):
    for ch in RAW_BAD:
        assert ch not in text, repr(ch)


def test_hostile_table(hostile_result):
    out = table.render(hostile_result, width=200)
    _no_raw_controls(out)
    assert "evil\\x1b]0;pwned\\x07" in out
    colored = table.render(hostile_result, width=200, color=True)
    for ch in RAW_BAD[1:]:
        assert ch not in colored
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored).count("\x1b") == 0  # only rich's own SGR codes


def test_hostile_json(hostile_result):
    text = json_report.render(hostile_result)
    _no_raw_controls(text)
    assert "\\u001b" not in text  # neutralized before encoding, not merely JSON-escaped
    data = json.loads(text)
    _json_validate(data)
    evil = next(c for c in data["components"] if c["name"].startswith("evil"))
    assert evil["name"] == "evil\\x1b]0;pwned\\x07"
    f = data["findings"][0]
    assert "<script>" in f["summary"]  # JSON keeps the text (neutralized, not HTML-escaped)
    for value in _strings(data):
        _no_raw_controls(value)


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def test_hostile_sarif(hostile_result):
    text = sarif.render(hostile_result)
    _no_raw_controls(text)
    data = json.loads(text)
    _sarif_validate(data)
    for value in _strings(data):
        _no_raw_controls(value)
    run = data["runs"][0]
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "GHSA-p6mc-m468-83gw")
    assert rule["helpUri"] == "https://nvd.nist.gov/vuln/detail/CVE-2020-8203"  # javascript: and the ESC URL skipped
    assert "<script>" not in rule["help"]["markdown"]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert re.fullmatch(r"[A-Za-z0-9/@+~!$&'()*,;=\-._%]+", uri), uri
    assert any(n["level"] == "warning" for n in run["invocations"][0]["toolExecutionNotifications"])


def test_hostile_markdown(hostile_result):
    md = markdown.render(hostile_result)
    _no_raw_controls(md)
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "<b>" not in md
    assert "](javascript:" not in md
    tables = _tables(md)
    assert len(tables) == 2
    for t in tables:
        assert len({len(_cells(row)) for row in t}) == 1, t
    assert len(tables[0]) == 3 and len(tables[1]) == 3  # header, rule, one row each: no line broke out
    # nothing outside a table row carries a hostile fragment on its own line
    assert not any(line.startswith("new line") for line in md.splitlines())


@pytest.mark.parametrize("fmt,spec", SPECS)
def test_hostile_cyclonedx(hostile_result, fmt, spec):
    text = _bom_text(hostile_result, fmt, spec)
    for ch in ("\x1b", "\x07", "\x9b"):
        assert ch not in text, repr(ch)
    if fmt == "cyclonedx-xml":
        root = ET.fromstring(text.encode())
        ns = {"c": root.tag[1:].split("}")[0]}
        vulns = root.find("c:vulnerabilities", ns)
        assert vulns is not None
        _no_raw_controls(ET.tostring(vulns, encoding="unicode"))
        assert "<script>" not in text  # escaped by the XML writer
    else:
        for value in _strings(json.loads(text)["vulnerabilities"]):
            _no_raw_controls(value)


def test_hostile_cyclonedx_components_bidi(hostile_result):
    text = _bom_text(hostile_result, "cyclonedx-xml", "1.6")
    assert "\u202e" not in text
