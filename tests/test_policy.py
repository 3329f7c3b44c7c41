"""Suppression policy: ignore files, OpenVEX / CycloneDX VEX, --ignore-unfixed, --fail-on exit codes.

Findings are built on the real components of sample_packages/python-function.zip with the ids and
aliases of real OSV advisories (checked against the offline OSV export when it is available).
Severity ratings are chosen per test, they are not the advisories' own.
"""
from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from pkgscan import scan_path
from pkgscan.model import Component
from pkgscan.vulns.model import Finding, Severity, Suppression
from pkgscan.vulns.policy import (
    FAIL_ON_CHOICES,
    IgnoreRule,
    PolicyError,
    apply_policy,
    discover_ignore_file,
    exit_code,
    load_ignore_file,
    load_ignores,
    load_pyproject_ignores,
    load_vex,
    parse_vex,
    purl_matches,
)

from .conftest import FIXTURES, SAMPLES

POLICY = FIXTURES / "policy"
OSV_PYPI = Path("/work/shared/osv/PyPI-all.zip")
TODAY = date(2024, 6, 1)

# (package, OSV id, aliases, fixed, rating used by these tests)
ADVISORIES = [
    ("requests", "PYSEC-2018-28", ("CVE-2018-18074", "GHSA-x84v-xcm2-53pg"), ("2.20.0",), "high"),
    ("requests", "PYSEC-2023-74", ("CVE-2023-32681", "GHSA-j8r2-6x86-q33q"), ("2.31.0",), "medium"),
    ("jinja2", "PYSEC-2019-217", ("CVE-2019-10906", "GHSA-462w-v97r-4m45"), ("2.10.1",), "high"),
    ("jinja2", "PYSEC-2021-66", ("CVE-2020-28493", "SNYK-PYTHON-JINJA2-1012994", "GHSA-g3rq-g295-4j3m"), ("2.11.3",), "medium"),
    ("urllib3", "PYSEC-2019-132", ("CVE-2019-11236", "GHSA-r64q-w8jr-g9qp"), ("1.24.3",), "medium"),
    ("urllib3", "PYSEC-2019-133", ("CVE-2019-11324", "GHSA-mh33-7rrq-662w"), ("1.24.2",), "high"),
    ("urllib3", "PYSEC-2023-192", ("CVE-2023-43804", "GHSA-v845-jxx5-vc9f"), ("2.0.6", "1.26.17"), "high"),
    ("certifi", "PYSEC-2023-135", ("CVE-2023-37920", "GHSA-xqr8-7jwr-rhp7"), ("2023.7.22",), "high"),
    ("certifi", "PYSEC-2022-42986", ("CVE-2022-23491", "GHSA-43fp-rhv2-5gv8"), ("2022.12.7",), "low"),
    ("idna", "PYSEC-2024-60", ("CVE-2024-3651",), ("3.7",), "medium"),
]


@pytest.fixture(scope="module")
def components() -> dict[str, Component]:
    inv = scan_path(SAMPLES / "python-function.zip")
    return {c.name: c for c in inv.components}


@pytest.fixture()
def findings(components) -> list[Finding]:
    return [
        Finding(component=components[pkg], id=osv_id, ids=(osv_id, *aliases), advisories=(osv_id,),
                severity=Severity(rating=rating), fixed=fixed)
        for pkg, osv_id, aliases, fixed, rating in ADVISORIES
    ]


def by_id(findings: list[Finding], osv_id: str) -> Finding:
    return next(f for f in findings if f.id == osv_id)


def malicious_finding() -> Finding:
    comp = Component(ecosystem="pypi", name="123bla", version="0.0.1", purl="pkg:pypi/123bla@0.0.1")
    return Finding(component=comp, id="MAL-2024-10238", ids=("MAL-2024-10238",), advisories=("MAL-2024-10238",),
                   severity=Severity(rating="unknown", source="malicious"), malicious=True)


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# --------------------------------------------------------------------------- the test data is real

def test_sample_components_and_purls(components):
    assert components["requests"].purl == "pkg:pypi/requests@2.19.1"
    assert components["jinja2"].version == "2.10"


@pytest.mark.skipif(not OSV_PYPI.exists(), reason="offline OSV export not available")
def test_advisory_ids_and_aliases_are_real():
    with zipfile.ZipFile(OSV_PYPI) as z:
        for pkg, osv_id, aliases, fixed, _ in ADVISORIES:
            record = json.loads(z.read(f"{osv_id}.json"))
            assert tuple(record["aliases"]) == aliases
            names = {a["package"]["name"].lower() for a in record["affected"]}
            assert pkg in names
            events = [e["fixed"] for a in record["affected"] for r in a.get("ranges", [])
                      if r["type"] == "ECOSYSTEM" for e in r["events"] if "fixed" in e]
            assert set(fixed) <= set(events)


# --------------------------------------------------------------------------- ignore files

def test_load_yaml_ignore_file_date_and_string_expiry():
    rules = load_ignore_file(POLICY / "pkgscan-ignore.yaml")
    assert [r.id for r in rules] == ["CVE-2018-18074", "ghsa-462w-v97r-4m45", "PYSEC-2024-60"]
    assert rules[0].expires == date(2026, 6, 30)  # YAML gave a date object
    assert rules[1].expires == date(2024, 1, 31)  # a quoted string
    assert rules[2].expires is None and rules[2].package is None
    assert rules[1].package == "pkg:pypi/Jinja2@2.10"
    assert rules[0].source.endswith("pkgscan-ignore.yaml") and rules[1].entry == 2


def test_load_pyproject_ignores_toml_date_and_string():
    rules = load_pyproject_ignores(POLICY / "pyproject-ignores.toml")
    assert [(r.id, r.package, r.expires) for r in rules] == [
        ("CVE-2018-18074", "pkg:pypi/requests", date(2026, 6, 30)),
        ("PYSEC-2023-135", "certifi", date(2024, 1, 31)),
    ]
    assert load_ignores(POLICY / "pyproject-ignores.toml") == rules
    assert load_ignores(POLICY / "pkgscan-ignore.yaml") == load_ignore_file(POLICY / "pkgscan-ignore.yaml")


def test_pyproject_without_table_has_no_rules(tmp_path):
    p = write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n')
    assert load_pyproject_ignores(p) == []


def test_empty_yaml_and_bare_list(tmp_path):
    assert load_ignore_file(write(tmp_path, "a.yaml", "")) == []
    rules = load_ignore_file(write(tmp_path, "b.yaml", "- id: CVE-2018-18074\n  reason: r\n"))
    assert len(rules) == 1


def test_alias_matching_is_case_insensitive(findings):
    rules = [IgnoreRule(id="cve-2018-18074", reason="not reachable"),
             IgnoreRule(id="GHSA-462W-V97R-4M45", reason="bundled templates")]
    out, warnings = apply_policy(findings, ignore_rules=rules, today=TODAY)
    f = by_id(out, "PYSEC-2018-28")
    assert f.suppressed == Suppression(kind="ignore-file", reason="not reachable")
    assert by_id(out, "PYSEC-2019-217").suppressed.kind == "ignore-file"
    assert [f.id for f in out if f.suppressed] == ["PYSEC-2018-28", "PYSEC-2019-217"]
    assert warnings == []


def test_primary_id_matches_too(findings):
    out, _ = apply_policy(findings, ignore_rules=[IgnoreRule(id="PYSEC-2023-74", reason="r")], today=TODAY)
    assert by_id(out, "PYSEC-2023-74").suppressed is not None


@pytest.mark.parametrize("package,applies", [
    ("requests", True),
    ("Requests", True),  # PEP 503
    ("pkg:pypi/requests", True),  # any version
    ("pkg:pypi/requests@2.19.1", True),
    ("pkg:pypi/Requests@2.19.1?repository_url=https://pypi.org/simple", True),  # qualifiers ignored
    ("pkg:pypi/requests@2.20.0", False),
    ("pkg:npm/requests@2.19.1", False),  # another ecosystem
    ("urllib3", False),
])
def test_package_filter(findings, package, applies):
    rule = IgnoreRule(id="CVE-2018-18074", reason="r", package=package, source="x.yaml", entry=1)
    out, warnings = apply_policy(findings, ignore_rules=[rule], today=TODAY)
    assert (by_id(out, "PYSEC-2018-28").suppressed is not None) is applies
    assert (warnings == []) is applies
    if not applies:
        assert warnings == [f"ignore rule CVE-2018-18074 for {package} (x.yaml, entry 1) matched no finding"]


def test_pep503_names_in_package_filter():
    inv = scan_path(SAMPLES / "python-layer.zip")
    comp = inv.component("pypi", "python-dateutil")
    f = Finding(component=comp, id="X-1", ids=("X-1",), advisories=("X-1",))
    for spelling in ("python-dateutil", "Python_DateUtil", "python.dateutil", "pkg:pypi/python_dateutil@2.8.0",
                     "pkg:pypi/Python.Dateutil"):
        assert IgnoreRule(id="X-1", reason="r", package=spelling).matches(f), spelling
    for spelling in ("pythondateutil", "dateutil", "pkg:pypi/python-dateutil@2.8.1"):
        assert not IgnoreRule(id="X-1", reason="r", package=spelling).matches(f), spelling


def test_expiry_with_frozen_today(findings):
    rules = load_ignore_file(POLICY / "pkgscan-ignore.yaml")
    # the jinja2 rule expires 2024-01-31: it still applies on that day ...
    out, warnings = apply_policy(findings, ignore_rules=rules, today=date(2024, 1, 31))
    assert by_id(out, "PYSEC-2019-217").suppressed.expires == "2024-01-31"
    assert warnings == []
    # ... and no longer the next day
    out, warnings = apply_policy(findings, ignore_rules=rules, today=date(2024, 2, 1))
    assert by_id(out, "PYSEC-2019-217").suppressed is None
    assert by_id(out, "PYSEC-2018-28").suppressed.kind == "ignore-file"
    assert by_id(out, "PYSEC-2024-60").suppressed.reason == "idna only decodes hostnames from our own configuration"
    assert len(warnings) == 1
    assert "ignore rule ghsa-462w-v97r-4m45 for pkg:pypi/Jinja2@2.10" in warnings[0]
    assert "expired on 2024-01-31 and no longer applies" in warnings[0]


def test_suppression_records_source_and_expiry(findings):
    rules = load_ignore_file(POLICY / "pkgscan-ignore.yaml")
    out, _ = apply_policy(findings, ignore_rules=rules, today=TODAY)
    s = by_id(out, "PYSEC-2018-28").suppressed
    assert s.kind == "ignore-file" and s.expires == "2026-06-30"
    assert s.source == str(POLICY / "pkgscan-ignore.yaml")
    assert s.reason == "only talks to our own https endpoint and never follows redirects"


@pytest.mark.parametrize("text,fragment", [
    ("ignore:\n  - id: CVE-2018-18074\n    package: requests\n", "ignore entry 1 (CVE-2018-18074): 'reason' is required"),
    ("ignore:\n  - id: A\n    reason: r\n  - id: CVE-2018-18074\n    reason: '  '\n", "ignore entry 2 (CVE-2018-18074): 'reason' is required"),
    ("ignore:\n  - reason: r\n", "ignore entry 1: 'id'"),
    ("ignore:\n  - id: 2018\n    reason: r\n", "ignore entry 1: 'id'"),
    ("ignore:\n  - id: A\n    reason: r\n    expiry: 2025-01-01\n", "unknown key 'expiry'"),
    ("ignore:\n  - id: A\n    reason: r\n    expires: next year\n", "'expires' must be a date YYYY-MM-DD"),
    ("ignore:\n  - id: A\n    reason: r\n    expires: '2024-13-01'\n", "'expires' must be a date YYYY-MM-DD"),
    ("ignore:\n  - id: A\n    reason: r\n    expires: 2024-01-01 10:00:00\n", "not a date and time"),
    ("ignore:\n  - id: A\n    reason: r\n    package: 'pkg:'\n", "not a valid purl"),
    ("ignore:\n  - id: A\n    reason: r\n    package: 3\n", "'package' must be"),
    ("ignore:\n  - CVE-2018-18074\n", "must be a mapping"),
    ("ignore: CVE-2018-18074\n", "must be a list"),
    ("ignores:\n  - id: A\n", "unknown top-level key 'ignores'"),
    ("ignore: [\n", "invalid YAML at line"),
    ("just a string\n", "expected a mapping"),
])
def test_invalid_ignore_files(tmp_path, text, fragment):
    p = write(tmp_path, ".pkgscan-ignore.yaml", text)
    with pytest.raises(PolicyError) as e:
        load_ignore_file(p)
    msg = str(e.value)
    assert fragment in msg
    assert msg.startswith(str(p)) and "\n" not in msg
    assert isinstance(e.value, ValueError)


def test_yaml_is_loaded_safely(tmp_path):
    p = write(tmp_path, "x.yaml", "ignore: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(PolicyError, match="invalid YAML"):
        load_ignore_file(p)


def test_invalid_pyproject(tmp_path):
    p = write(tmp_path, "pyproject.toml", "[tool.pkgscan\n")
    with pytest.raises(PolicyError, match="invalid TOML"):
        load_pyproject_ignores(p)
    p = write(tmp_path, "pyproject.toml", '[[tool.pkgscan.ignore]]\nid = "CVE-2018-18074"\n')
    with pytest.raises(PolicyError, match=r"pyproject.toml \[tool.pkgscan\]: ignore entry 1 \(CVE-2018-18074\): 'reason' is required"):
        load_pyproject_ignores(p)
    p = write(tmp_path, "pyproject.toml", '[[tool.pkgscan.ignore]]\nid = "A"\nreason = "r"\nexpires = 2024-01-01T10:00:00\n')
    with pytest.raises(PolicyError, match="not a date and time"):
        load_pyproject_ignores(p)


def test_missing_file_is_a_policy_error(tmp_path):
    with pytest.raises(PolicyError, match="cannot read"):
        load_ignore_file(tmp_path / "nope.yaml")
    with pytest.raises(PolicyError, match="cannot read"):
        load_vex(tmp_path / "nope.json")


def test_discover_ignore_file(tmp_path):
    assert discover_ignore_file(tmp_path) is None
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n')
    assert discover_ignore_file(tmp_path) is None
    shutil.copy(POLICY / "pyproject-ignores.toml", tmp_path / "pyproject.toml")
    assert discover_ignore_file(tmp_path) == tmp_path / "pyproject.toml"
    assert len(load_ignores(discover_ignore_file(tmp_path))) == 2
    shutil.copy(POLICY / "pkgscan-ignore.yaml", tmp_path / ".pkgscan-ignore.yaml")
    assert discover_ignore_file(tmp_path) == tmp_path / ".pkgscan-ignore.yaml"  # preferred
    assert len(load_ignores(discover_ignore_file(tmp_path))) == 3


def test_discover_only_looks_in_start_dir(tmp_path):
    shutil.copy(POLICY / "pkgscan-ignore.yaml", tmp_path / ".pkgscan-ignore.yaml")
    (tmp_path / "sub").mkdir()
    assert discover_ignore_file(tmp_path / "sub") is None


# --------------------------------------------------------------------------- OpenVEX

def test_openvex_fixture_statements():
    sts = load_vex(POLICY / "openvex-python-function.json")
    assert [(s.vulnerability, s.status) for s in sts] == [
        ("CVE-2018-18074", "not_affected"), ("CVE-2019-10906", "not_affected"),
        ("CVE-2019-11236", "fixed"), ("CVE-2024-3651", "under_investigation")]
    assert sts[0].aliases == ("GHSA-x84v-xcm2-53pg",)  # the @id IRI's tail equals the name
    assert [p.purl for p in sts[1].products] == ["pkg:pypi/Jinja2"]  # subcomponents, not the Lambda ARN
    assert sts[3].timestamp == "2022-12-22T16:36:43-05:00"
    assert sts[0].timestamp == "2023-01-16T19:07:16.853479631-06:00"  # inherited from the document
    assert all(s.format == "openvex" for s in sts)


def test_openvex_suppressions_carry_justification(findings):
    path = POLICY / "openvex-python-function.json"
    out, warnings = apply_policy(findings, vex=load_vex(path), today=TODAY)
    s = by_id(out, "PYSEC-2018-28").suppressed
    assert s.kind == "vex" and s.source == str(path)
    assert s.justification == "vulnerable_code_not_in_execute_path"
    assert s.reason.startswith("The function only calls one https endpoint")
    # product with subcomponents: the purl has no version (any) and a non-normalized name
    s = by_id(out, "PYSEC-2019-217").suppressed
    assert s.kind == "vex" and s.justification == "vulnerable_code_cannot_be_controlled_by_adversary"
    # fixed / under_investigation do not suppress; same package, other vulnerability neither
    for osv_id in ("PYSEC-2019-132", "PYSEC-2024-60", "PYSEC-2023-74", "PYSEC-2021-66"):
        assert by_id(out, osv_id).suppressed is None
    assert warnings == [f"{path}: VEX says CVE-2019-11236 is fixed in pkg:pypi/urllib3@1.23, "
                        "but the scan still finds PYSEC-2019-132 there; not suppressed"]


def openvex(*statements, ts="2024-01-01T00:00:00Z") -> dict:
    return {"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://openvex.dev/docs/example/t",
            "author": "t", "timestamp": ts, "version": 1, "statements": list(statements)}


def stmt(product, status="not_affected", vuln="CVE-2018-18074", **kw) -> dict:
    d = {"vulnerability": {"name": vuln}, "products": [{"@id": product}], "status": status}
    if status == "not_affected":
        d.setdefault("justification", "vulnerable_code_not_present")
    d.update(kw)
    return d


@pytest.mark.parametrize("product,applies", [
    ("pkg:pypi/requests@2.19.1", True),
    ("pkg:pypi/requests", True),
    ("pkg:pypi/Requests@2.19.1?arch=x86_64#sub/path", True),
    ("pkg:pypi/requests@2.19.01", True),  # PEP 440 equal
    ("pkg:pypi/requests@2.20.0", False),
    ("pkg:npm/requests@2.19.1", False),
    ("pkg:pypi/urllib3@1.23", False),
    ("https://example.com/requests", False),
])
def test_openvex_product_matching(findings, product, applies):
    out, _ = apply_policy(findings, vex=parse_vex(openvex(stmt(product)), "t.json"), today=TODAY)
    assert (by_id(out, "PYSEC-2018-28").suppressed is not None) is applies


def test_openvex_alias_in_statement_matches(findings):
    st = stmt("pkg:pypi/requests@2.19.1", vuln="x")
    st["vulnerability"] = {"name": "SOME-OTHER-1", "aliases": ["pysec-2018-28"]}
    out, _ = apply_policy(findings, vex=parse_vex(openvex(st)), today=TODAY)
    assert by_id(out, "PYSEC-2018-28").suppressed.kind == "vex"


def test_openvex_later_statement_wins(findings):
    early = stmt("pkg:pypi/requests@2.19.1", timestamp="2024-01-01T00:00:00Z")
    late_affected = stmt("pkg:pypi/requests@2.19.1", status="affected", timestamp="2024-03-01T00:00:00.123456789Z",
                         action_statement="upgrade")
    out, _ = apply_policy(findings, vex=parse_vex(openvex(early, late_affected)), today=TODAY)
    assert by_id(out, "PYSEC-2018-28").suppressed is None
    # the order in the file does not matter, the timestamps do
    out, _ = apply_policy(findings, vex=parse_vex(openvex(late_affected, early)), today=TODAY)
    assert by_id(out, "PYSEC-2018-28").suppressed is None
    late_ok = stmt("pkg:pypi/requests@2.19.1", timestamp="2024-05-01T00:00:00-05:00")
    out, _ = apply_policy(findings, vex=parse_vex(openvex(late_affected, late_ok)), today=TODAY)
    assert by_id(out, "PYSEC-2018-28").suppressed.kind == "vex"


def test_openvex_v001_string_form(findings):
    # the v0.0.1 shape of openvex/go-vex pkg/vex/testdata/v0.0.1.json: strings for vulnerability/products
    doc = {"@context": "https://openvex.dev/ns/v0.0.1", "@id": "https://openvex.dev/docs/example/vex-9fb3463de1b57",
           "author": "Wolfi J Inkinson", "timestamp": "2023-01-08T18:02:03.647787998-06:00", "version": "1",
           "statements": [{"vulnerability": "CVE-2018-18074", "products": ["pkg:pypi/requests@2.19.1"],
                           "status": "not_affected", "justification": "component_not_present"}]}
    out, _ = apply_policy(findings, vex=parse_vex(doc), today=TODAY)
    assert by_id(out, "PYSEC-2018-28").suppressed.justification == "component_not_present"


def test_openvex_in_toto_attestation(findings):
    att = {"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "https://openvex.dev/ns/v0.2.0",
           "subject": [], "predicate": openvex(stmt("pkg:pypi/requests"))}
    out, _ = apply_policy(findings, vex=parse_vex(att), today=TODAY)
    assert by_id(out, "PYSEC-2018-28").suppressed.kind == "vex"


def test_openvex_impact_statement_only(findings):
    st = {"vulnerability": {"name": "CVE-2018-18074"}, "products": [{"@id": "pkg:pypi/requests"}],
          "status": "not_affected", "impact_statement": "no redirects"}
    out, _ = apply_policy(findings, vex=parse_vex(openvex(st)), today=TODAY)
    s = by_id(out, "PYSEC-2018-28").suppressed
    assert (s.reason, s.justification) == ("no redirects", "")


# --------------------------------------------------------------------------- CycloneDX VEX

def test_cyclonedx_fixture(findings):
    path = POLICY / "cyclonedx-vex-python-function.json"
    sts = load_vex(path)
    assert [s.status for s in sts] == ["not_affected", "false_positive", "resolved", "exploitable",
                                       "in_triage", "not_affected", "not_affected"]
    assert sts[0].aliases == ("GHSA-xqr8-7jwr-rhp7",)
    assert sts[0].products[0].purl == "pkg:pypi/certifi@2018.4.16"  # bom-ref resolved via components
    assert sts[1].products[0].purl == "pkg:pypi/jinja2@2.10"  # BOM-Link
    out, warnings = apply_policy(findings, vex=sts, today=TODAY)
    s = by_id(out, "PYSEC-2023-135").suppressed
    assert (s.kind, s.justification, s.source) == ("vex", "code_not_reachable", str(path))
    assert s.reason.startswith("Automated dataflow analysis")
    s = by_id(out, "PYSEC-2021-66").suppressed
    assert (s.kind, s.justification, s.reason) == ("vex", "", "The urlize filter is never used by this function.")
    s = by_id(out, "PYSEC-2023-74").suppressed  # 2.19.1 is inside the "unaffected" range
    assert (s.kind, s.justification) == ("vex", "requires_configuration")
    # resolved / exploitable / in_triage never suppress; product-level statements are not applied
    for osv_id in ("PYSEC-2023-192", "PYSEC-2019-133", "PYSEC-2022-42986", "PYSEC-2019-132"):
        assert by_id(out, osv_id).suppressed is None
    assert len(warnings) == 2
    assert "names no package purl (products: product-python-function)" in warnings[0]
    assert "CVE-2019-11236" in warnings[0]
    assert warnings[1] == (f"{path}: VEX says CVE-2023-43804 is resolved in pkg:pypi/urllib3@1.23, "
                           "but the scan still finds PYSEC-2023-192 there; not suppressed")


def test_cyclonedx_version_ranges(findings):
    sts = load_vex(POLICY / "cyclonedx-vex-python-function.json")
    f = by_id(findings, "PYSEC-2023-74")
    newer = replace(f, component=replace(f.component, version="2.25.0", purl="pkg:pypi/requests@2.25.0"))
    older = replace(f, component=replace(f.component, version="1.2.3", purl="pkg:pypi/requests@1.2.3"))
    out, _ = apply_policy([f, newer, older], vex=sts, today=TODAY)
    assert [x.suppressed is not None for x in out] == [True, False, False]  # affected range / no range


def cdx(vulns: list, components: list | None = None) -> dict:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "components": components or [], "vulnerabilities": vulns}


def test_cyclonedx_version_status_defaults_to_affected(findings):
    v = {"id": "CVE-2018-18074", "analysis": {"state": "not_affected"},
         "affects": [{"ref": "pkg:pypi/requests", "versions": [{"version": "2.19.1"}]}]}
    out, _ = apply_policy(findings, vex=parse_vex(cdx([v])), today=TODAY)
    assert by_id(out, "PYSEC-2018-28").suppressed is None
    v["affects"][0]["versions"][0]["status"] = "unaffected"
    out, _ = apply_policy(findings, vex=parse_vex(cdx([v])), today=TODAY)
    assert by_id(out, "PYSEC-2018-28").suppressed.kind == "vex"


def test_cyclonedx_nested_component_bom_ref(findings):
    comps = [{"type": "application", "bom-ref": "app", "name": "app",
              "components": [{"type": "library", "bom-ref": "req", "name": "requests",
                              "purl": "pkg:pypi/requests@2.19.1?extension=whl"}]}]
    v = {"id": "GHSA-x84v-xcm2-53pg", "analysis": {"state": "false_positive"}, "affects": [{"ref": "req"}]}
    out, _ = apply_policy(findings, vex=parse_vex(cdx([v], comps)), today=TODAY)
    assert by_id(out, "PYSEC-2018-28").suppressed.kind == "vex"


def test_cyclonedx_vulnerability_without_analysis_is_no_statement():
    assert parse_vex(cdx([{"id": "CVE-2018-18074", "affects": [{"ref": "pkg:pypi/requests"}]}])) == []
    assert parse_vex({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}) == []


@pytest.mark.parametrize("text,fragment", [
    ("{not json", "invalid JSON at line 1"),
    ("[]", "not an OpenVEX or CycloneDX VEX document"),
    ('{"statements": []}', "not an OpenVEX"),
    ("<bom xmlns='http://cyclonedx.org/schema/bom/1.4'/>", "XML VEX is not supported"),
    (json.dumps(openvex(stmt("pkg:pypi/requests", status="not_affected", justification=""))),
     "statement 1 (CVE-2018-18074): not_affected requires a 'justification' or an 'impact_statement'"),
    (json.dumps(openvex(stmt("pkg:pypi/requests", status="unaffected"))), "status 'unaffected' is not one of"),
    (json.dumps(openvex({"products": [], "status": "fixed"})), "statement 1: 'vulnerability' needs a name"),
    (json.dumps(cdx([{"id": "CVE-1", "analysis": {"state": "not_exploitable"}}])), "analysis.state 'not_exploitable'"),
    (json.dumps(cdx([{"analysis": {"state": "not_affected"}}])), "vulnerabilities[0]: 'id' is required"),
    (json.dumps(cdx([{"id": "CVE-1", "analysis": {"state": "not_affected"}, "affects": [{}]}])), "needs a 'ref'"),
])
def test_invalid_vex(tmp_path, text, fragment):
    p = write(tmp_path, "vex.json", text)
    with pytest.raises(PolicyError) as e:
        load_vex(p)
    assert fragment in str(e.value) and str(e.value).startswith(str(p)) and "\n" not in str(e.value)


def test_purl_matches_npm_scoped():
    comp = Component(ecosystem="npm", name="@tootallnate/once", version="2.0.0", purl="pkg:npm/%40tootallnate/once@2.0.0")
    assert purl_matches("pkg:npm/@tootallnate/once", comp)
    assert purl_matches("pkg:npm/%40tootallnate/once@2.0.0", comp)
    assert not purl_matches("pkg:npm/once@2.0.0", comp)
    assert not purl_matches("not a purl", comp)


# --------------------------------------------------------------------------- combining, unfixed

def test_ignore_unfixed(findings):
    unfixed = replace(by_id(findings, "PYSEC-2024-60"), fixed=())
    mal = malicious_finding()
    out, warnings = apply_policy([unfixed, by_id(findings, "PYSEC-2018-28"), mal], ignore_unfixed=True, today=TODAY)
    assert out[0].suppressed == Suppression(kind="unfixed", reason="no fixed version is known")
    assert out[1].suppressed is None  # has a fix
    assert out[2].suppressed is None  # malicious packages are never "unfixed"-suppressed
    assert warnings == []
    out, _ = apply_policy([unfixed], today=TODAY)
    assert out[0].suppressed is None  # off by default


def test_precedence_vex_over_ignore_over_unfixed(findings):
    rule = IgnoreRule(id="CVE-2018-18074", reason="ignored", source="i.yaml", entry=1)
    vex = load_vex(POLICY / "openvex-python-function.json")
    f = replace(by_id(findings, "PYSEC-2018-28"), fixed=())
    out, warnings = apply_policy([f], ignore_rules=[rule], vex=vex, ignore_unfixed=True, today=TODAY)
    assert out[0].suppressed.kind == "vex"
    assert not any("matched no finding" in w for w in warnings)  # the rule did match
    out, _ = apply_policy([f], ignore_rules=[rule], ignore_unfixed=True, today=TODAY)
    assert out[0].suppressed.kind == "ignore-file"


def test_findings_are_never_dropped_and_keep_order(findings):
    pre = Suppression(kind="ignore-file", reason="earlier", source="elsewhere")
    findings[0] = replace(findings[0], suppressed=pre)
    rules = load_ignore_file(POLICY / "pkgscan-ignore.yaml")
    vex = load_vex(POLICY / "openvex-python-function.json") + load_vex(POLICY / "cyclonedx-vex-python-function.json")
    out, _ = apply_policy(findings, ignore_rules=rules, vex=vex, ignore_unfixed=True, today=TODAY)
    assert [f.id for f in out] == [f.id for f in findings]
    assert out[0].suppressed is pre  # an existing suppression is kept
    assert all(o.component == f.component and o.ids == f.ids for o, f in zip(out, findings))
    assert findings[1].suppressed is None  # inputs are not mutated (frozen + dataclasses.replace)


def test_all_policy_sources_end_to_end(findings):
    assert exit_code(findings, "medium") == 1
    rules = load_ignore_file(POLICY / "pkgscan-ignore.yaml")
    vex = load_vex(POLICY / "openvex-python-function.json") + load_vex(POLICY / "cyclonedx-vex-python-function.json")
    out, warnings = apply_policy(findings, ignore_rules=rules, vex=vex, today=TODAY)
    active = {f.id for f in out if f.active}
    assert active == {"PYSEC-2019-132", "PYSEC-2019-133", "PYSEC-2023-192", "PYSEC-2022-42986"}
    assert exit_code(out, "critical") == 0
    assert exit_code(out, "high") == 1  # urllib3 PYSEC-2019-133 is still active
    assert any("expired on 2024-01-31" in w for w in warnings)


# --------------------------------------------------------------------------- exit codes

def rated(findings, rating, **kw) -> Finding:
    return replace(findings[0], severity=Severity(rating=rating), **kw)


@pytest.mark.parametrize("rating,expected", [
    ("critical", {"critical": 1, "high": 1, "medium": 1, "low": 1, "any": 1}),
    ("high", {"critical": 0, "high": 1, "medium": 1, "low": 1, "any": 1}),
    ("medium", {"critical": 0, "high": 0, "medium": 1, "low": 1, "any": 1}),
    ("low", {"critical": 0, "high": 0, "medium": 0, "low": 1, "any": 1}),
    ("none", {"critical": 0, "high": 0, "medium": 0, "low": 0, "any": 1}),
    ("unknown", {"critical": 0, "high": 0, "medium": 0, "low": 0, "any": 1}),
])
def test_exit_code_thresholds(findings, rating, expected):
    f = rated(findings, rating)
    assert {level: exit_code([f], level) for level in FAIL_ON_CHOICES} == expected
    assert exit_code([f], None) == 0


def test_unknown_severity_never_fails_alone(findings):
    unknowns = [rated(findings, "unknown"), replace(findings[1], severity=Severity())]
    for level in ("critical", "high", "medium", "low"):
        assert exit_code(unknowns, level) == 0
    assert exit_code(unknowns + [rated(findings, "low")], "low") == 1


def test_malicious_counts_as_critical():
    assert exit_code([malicious_finding()], "critical") == 1


def test_suppressed_findings_do_not_fail(findings):
    s = Suppression(kind="vex", reason="r")
    assert exit_code([rated(findings, "critical", suppressed=s)], "low") == 0
    assert exit_code([replace(malicious_finding(), suppressed=s)], "low") == 0
    assert exit_code([], "low") == 0


def test_exit_code_threshold_spelling(findings):
    assert exit_code([rated(findings, "high")], " HIGH ") == 1
    for bad in ("none", "unknown", "severe", ""):
        with pytest.raises(ValueError, match="--fail-on must be one of"):
            exit_code([rated(findings, "high")], bad)


def test_cyclonedx_later_affected_version_entry_overrides_earlier_not_affected(findings):
    def stmt(state, status, when):
        return {"id": "CVE-2018-18074", "analysis": {"state": state, "lastUpdated": when},
                "affects": [{"ref": "pkg:pypi/requests", "versions": [{"version": "2.19.1", "status": status}]}]}

    earlier = stmt("not_affected", "unaffected", "2024-01-01T00:00:00Z")
    later = stmt("exploitable", "affected", "2024-06-01T00:00:00Z")
    out, _ = apply_policy(findings, vex=parse_vex(cdx([earlier, later])), today=TODAY)
    assert by_id(out, "PYSEC-2018-28").suppressed is None  # the newer word on this version wins
    out, _ = apply_policy(findings, vex=parse_vex(cdx([earlier])), today=TODAY)
    assert by_id(out, "PYSEC-2018-28").suppressed.kind == "vex"
    # a not_affected statement whose version entry says "affected" does not suppress either
    out, _ = apply_policy(findings, vex=parse_vex(cdx([stmt("not_affected", "affected", "2024-07-01T00:00:00Z")])),
                          today=TODAY)
    assert by_id(out, "PYSEC-2018-28").suppressed is None
