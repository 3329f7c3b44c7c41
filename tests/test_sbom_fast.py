"""The fast CycloneDX JSON emitter (pkgscan/report/cyclonedx_fast.py) against the library of record.

cyclonedx-python-lib stays the reference: for every sample package, a hostile corpus subset, scans
with real findings (the committed OSV snapshot) and every function / layer SBOM of the emulated AWS
account, the fast path's document must be byte-identical to what ``serialize(build_bom(...))``
writes, for spec 1.4, 1.5 and 1.6, and valid against the CycloneDX schema.  Inputs the fast path
cannot promise (bom-refs the library would rename) fall back to the library.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone

import pytest

from pkgscan.report import cyclonedx_fast
from pkgscan.report.cyclonedx import build_bom, serialize
from pkgscan.report.cyclonedx_fast import emit_json
from pkgscan.report.cyclonedx_vulns import add_vulnerabilities
from pkgscan.scan import scan_path

from .conftest import SAMPLES

TS = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
SPECS = ("1.4", "1.5", "1.6")
ZIPS = sorted(SAMPLES.glob("*.zip"))
# hostile names and odd metadata (control characters, bidi, surrogates, blank names, number versions)
HOSTILE = ("escapes.zip", "newline-names.zip", "bad-utf8-names.zip", "pkgjson-odd-types.zip", "pkgjson-surrogate.zip",
           "pkgjson-blank-name.zip", "pkgjson-version-number.zip", "meta-bad-utf8.zip", "meta-no-name.zip",
           "meta-many-headers.zip", "meta-continuations.zip", "duplicates.zip", "lock-npm-types.zip",
           "lock-poetry-types.zip", "lock-pipfile-types.zip", "surrogate-lock.zip", "dir-hostile", "traversal.zip")


def library_json(inv, spec, findings=None, **kw) -> str:
    bom = build_bom(inv, timestamp=TS, **kw)
    if findings is not None:
        from pkgscan.vulns.model import ScanResult

        add_vulnerabilities(bom, ScanResult(inventory=inv, findings=tuple(findings)))
    return serialize(bom, "cyclonedx-json", spec)


def assert_same(fast: str | None, ref: str, what: str) -> None:
    assert fast is not None, f"{what}: the fast path fell back"
    if fast != ref:  # show the first differing line, not two megabytes
        a, b = fast.splitlines(), ref.splitlines()
        n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        pytest.fail(f"{what}: line {n + 1} differs: fast {a[n:n + 1]!r} library {b[n:n + 1]!r}")


@pytest.fixture(scope="module")
def sample_inventories():
    return {p.name: scan_path(p) for p in ZIPS}


@pytest.mark.parametrize("spec", SPECS)
def test_samples_byte_identical(sample_inventories, spec):
    assert len(sample_inventories) >= 10
    for name, inv in sample_inventories.items():
        fast = emit_json(inv, timestamp=TS, spec_version=spec, name="fn", version="7")
        assert_same(fast, library_json(inv, spec, name="fn", version="7"), f"{name} {spec}")


@pytest.fixture(scope="module")
def hostile_inventories(tmp_path_factory):
    from .hostile.make_corpus import _REGISTRY

    out = tmp_path_factory.mktemp("hostile-sbom")
    chosen = [(c, build) for c, build in _REGISTRY if c.path in HOSTILE]  # only these (not the bombs)
    assert len(chosen) == len(HOSTILE), sorted(set(HOSTILE) - {c.path for c, _ in chosen})
    for _c, build in chosen:
        if build is not None:
            build(out)
    return {c.path: scan_path(out / c.path) for c, _ in chosen}


@pytest.mark.parametrize("spec", SPECS)
def test_hostile_names_byte_identical(hostile_inventories, spec):
    n = 0
    for name, inv in hostile_inventories.items():
        fast = emit_json(inv, timestamp=TS, spec_version=spec)
        assert_same(fast, library_json(inv, spec), f"{name} {spec}")
        n += len(inv.components)
    assert n >= 10  # the corpus's packages are inventoried, so their hostile names are rendered


@pytest.mark.parametrize("spec", SPECS)
def test_findings_byte_identical(advisory_db_dir, spec):
    """Scans with real findings: vulnerabilities (ratings, references, advisories) as the library writes them."""
    from pkgscan.scan import scan_vulnerabilities, vulnerability_sources

    sources, _info = vulnerability_sources(db_dir=advisory_db_dir)
    total = 0
    for z in ("node-function.zip", "python-function.zip", "python-layer.zip"):
        res = scan_vulnerabilities(scan_path(SAMPLES / z), sources, max_db_age_days=None)
        total += len(res.findings)
        fast = emit_json(res.inventory, timestamp=TS, spec_version=spec, findings=res.findings)
        assert_same(fast, library_json(res.inventory, spec, findings=res.findings), f"{z} {spec}")
    assert total >= 5


def test_emitted_documents_are_schema_valid(sample_inventories):
    from pkgscan.report.sbom_schema import validate

    for spec in SPECS:
        for name in ("node-function.zip", "java-function.zip", "python-layer.zip"):
            text = emit_json(sample_inventories[name], timestamp=TS, spec_version=spec)
            assert validate(text, "cyclonedx-json", spec) is None, (name, spec)


def test_bom_refs_the_library_would_rename_fall_back(sample_inventories):
    """A purl that looks like an occurrence's bom-ref: only the library knows how it renames; the
    fast path declines and the caller's library path writes the document."""
    inv = sample_inventories["node-function.zip"]
    c = inv.components[0]
    odd = dataclasses.replace(c, purl=inv.components[1].purl + "#occurrence-1")
    inv2 = dataclasses.replace(inv, components=(odd, *inv.components[1:]))
    assert emit_json(inv2, timestamp=TS) is None


def test_reference_switch_forces_the_library(monkeypatch, sample_inventories):
    from pkgscan.report import SBOM  # noqa: F401  (the report kinds render_report knows)

    monkeypatch.setenv("PKGSCAN_SBOM_REFERENCE", "1")
    assert not cyclonedx_fast.enabled()
    monkeypatch.delenv("PKGSCAN_SBOM_REFERENCE")
    assert cyclonedx_fast.enabled()


def test_components_shared_by_documents_are_rendered_once(sample_inventories, monkeypatch):
    calls = []
    real = cyclonedx_fast._component_dict
    monkeypatch.setattr(cyclonedx_fast, "_component_dict", lambda c, spec: calls.append(c.purl) or real(c, spec))
    cyclonedx_fast.clear_caches()
    inv = sample_inventories["node-function.zip"]
    first = emit_json(inv, timestamp=TS, name="a")
    n = len(calls)
    assert n == len(inv.components)
    for i in range(20):
        emit_json(inv, timestamp=TS, name=f"fn-{i}")
    assert len(calls) == n  # 21 documents, each component built once
    assert emit_json(inv, timestamp=TS, name="a") == first


# --- the emulated account: every per-function and per-layer SBOM -------------------------------

@pytest.fixture(scope="module")
def account_result(aws_account, advisory_db_dir, tmp_path_factory):
    from pkgscan.aws.cache import CodeCache
    from pkgscan.aws.scanner import LambdaScanner, ScanOptions
    from pkgscan.aws.session import AwsContext, AwsOptions
    from pkgscan.scan import vulnerability_sources

    from .aws_emulator import arm_faults

    emu, manifest = aws_account
    mp = pytest.MonkeyPatch()
    try:
        arm_faults(emu, manifest)
        for k, v in emu.env().items():
            mp.setenv(k, v)
        ctx = AwsContext(AwsOptions(region=manifest.primary_region, endpoint_url=emu.endpoint_url,
                                    retry_mode="standard", max_attempts=5))
        sources, _info = vulnerability_sources(db_dir=advisory_db_dir)
        scanner = LambdaScanner(ctx, sources=sources, options=ScanOptions(today=date.fromisoformat(manifest.as_of), workers=8),
                                cache=CodeCache(tmp_path_factory.mktemp("cache"), version="test"))
        return scanner.scan_regions(manifest.regions, manifest.account_id)
    finally:
        mp.undo()


@pytest.mark.slow
def test_account_sboms_byte_identical_to_the_library(account_result, monkeypatch, tmp_path):
    from pkgscan.aws import results

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714979289")  # the same timestamp on both paths
    declined = []

    def fast_only(*a, **kw):  # the fast path must write these documents itself (no silent fallback)
        text = emit_json(*a, **kw)
        declined.append(text is None)
        return text

    monkeypatch.setattr(results, "emit_json", fast_only)
    fns = [f for f in account_result.functions if f.status == "scanned"]
    assert len(fns) >= 100
    assert sum(len(f.findings) for f in fns) > 0
    for spec in SPECS:
        for fr in fns if spec == "1.6" else fns[:25]:
            fast = results.function_sbom(fr, account_result, spec)
            monkeypatch.setenv("PKGSCAN_SBOM_REFERENCE", "1")
            ref = results.function_sbom(fr, account_result, spec)
            monkeypatch.delenv("PKGSCAN_SBOM_REFERENCE")
            assert_same(fast, ref, f"{fr.arn} {spec}")
        for lr in account_result.layers:
            fast = results.layer_sbom(lr, account_result, spec) if lr.status == "scanned" else None
            if fast is None:
                continue
            monkeypatch.setenv("PKGSCAN_SBOM_REFERENCE", "1")
            ref = results.layer_sbom(lr, account_result, spec)
            monkeypatch.delenv("PKGSCAN_SBOM_REFERENCE")
            assert_same(fast, ref, f"{lr.arn} {spec}")
    assert declined and not any(declined)


@pytest.mark.slow
def test_account_out_dir_documents_valid(account_result, tmp_path):
    from pkgscan.aws import results
    from pkgscan.report.sbom_schema import validate

    results.write_sboms(account_result, tmp_path)
    docs = sorted(tmp_path.rglob("*.cdx.json"))
    assert len(docs) >= 100
    for p in docs:
        assert validate(p.read_text(), "cyclonedx-json", "1.6") is None, p


LICENSES = ("MIT", "mit", "Apache-2.0", "apache-2.0", "BSD-3-Clause", "(MIT OR Apache-2.0)", "MIT AND ISC",
            "GPL-2.0+", "GPL-2.0-or-later WITH Classpath-exception-2.0", "Public Domain", "SEE LICENSE IN LICENSE.md",
            "UNLICENSED", "", "MIT\x1b[31m", "Apache License, Version 2.0", "BSD")


@pytest.mark.parametrize("spec", SPECS)
def test_licences_as_the_library_renders_them(sample_inventories, spec):
    """SPDX ids (any case), expressions, names, several per component, hostile text."""
    inv = sample_inventories["node-function.zip"]
    compared = refused = 0
    comps = []
    for i, c in enumerate(inv.components):
        lic = (LICENSES[i % len(LICENSES)], LICENSES[(i * 7 + 3) % len(LICENSES)])[: 1 + i % 2]
        comps.append(dataclasses.replace(c, licenses=lic))
    for shift in range(len(LICENSES)):
        comps = [dataclasses.replace(c, licenses=(LICENSES[(i + shift) % len(LICENSES)], *c.licenses[:1]))
                 for i, c in enumerate(comps)]
        inv2 = dataclasses.replace(inv, components=tuple(comps))
        # an expression next to other licences (which the library refuses) is written as named licences
        mixed = any(len(set(c.licenses)) > 1 and any(" OR " in x or " AND " in x for x in c.licenses) for c in comps)
        refused += mixed
        ref = library_json(inv2, spec)
        compared += 1
        assert_same(emit_json(inv2, timestamp=TS, spec_version=spec), ref, f"licences {shift} {spec}")
    assert compared and refused  # the mixed cases were among those compared
    single = dataclasses.replace(inv, components=tuple(dataclasses.replace(c, licenses=(LICENSES[i % len(LICENSES)],))
                                                       for i, c in enumerate(inv.components)))
    assert_same(emit_json(single, timestamp=TS, spec_version=spec), library_json(single, spec), f"one licence {spec}")


def test_plain_expressions_are_what_the_library_makes_expressions():
    """Every id the fast path accepts in an expression, alone and combined, against the library's factory."""
    from cyclonedx.model.license import LicenseExpression

    from pkgscan.report.cyclonedx import _license
    from pkgscan.report.cyclonedx_fast import EXPRESSION_IDS, _plain_expression

    ids = sorted(EXPRESSION_IDS)
    cases = [f"({a} OR {b})" for a, b in zip(ids, ids[1:] + ids[:1])]
    cases += [f"{a} AND {b}" for a, b in zip(ids, ids[2:] + ids[:2])]
    cases += ["(MIT OR (Apache-2.0 AND ISC))", "((MIT))", "MIT OR", "(MIT OR Apache-2.0", "MIT or Apache-2.0",
              "(MIT OR Apache-2.0 WITH LLVM-exception)", "GPL-2.0+ OR MIT", "MIT  OR ISC", " MIT OR ISC",
              "LicenseRef-x OR MIT", "(MIT OR Foo)", "MIT", "(MIT)"]
    accepted = 0
    for v in cases:
        if _plain_expression(v):
            accepted += 1
            assert isinstance(_license(v), LicenseExpression), v
    assert accepted >= 2 * len(ids)


def test_expression_licences_byte_identical(sample_inventories):
    from pkgscan.report.cyclonedx_fast import EXPRESSION_IDS

    inv = sample_inventories["node-function.zip"]
    ids = sorted(EXPRESSION_IDS)
    n = len(inv.components)
    for spec in SPECS:
        for shift in range(0, len(ids), n):  # every id at least once
            comps = tuple(dataclasses.replace(c, licenses=(f"({ids[(i + shift) % len(ids)]} OR {ids[(i + shift + 5) % len(ids)]})",))
                          for i, c in enumerate(inv.components))
            inv2 = dataclasses.replace(inv, components=comps)
            assert_same(emit_json(inv2, timestamp=TS, spec_version=spec), library_json(inv2, spec), f"expressions {spec}")


def test_cache_budget_keeps_output(sample_inventories, monkeypatch):
    """Over its memory budget the fragment cache starts again; the documents do not change."""
    inv = sample_inventories["node-function.zip"]
    cyclonedx_fast.clear_caches()
    full = emit_json(inv, timestamp=TS)
    monkeypatch.setattr(cyclonedx_fast, "_CACHE_BUDGET", 2000)
    cyclonedx_fast.clear_caches()
    assert emit_json(inv, timestamp=TS) == full
    assert emit_json(inv, timestamp=TS) == full
    assert cyclonedx_fast._cached_bytes <= 2000 + max(len(t) for _k, t in cyclonedx_fast._COMPONENTS.values())


def test_an_expression_beside_other_licences_is_written_not_refused():
    """CycloneDX takes one expression or a list of licences: both kinds together become named licences
    (the library refuses the mix with an exception), and the fast path writes the same bytes."""
    from pkgscan.model import Artifact, Component, Inventory

    inv = Inventory(Artifact("x", "x", "zip", "function"),
                    components=(Component("npm", "x", "1.0", "pkg:npm/x@1.0", licenses=("MIT OR ISC", "MIT")),))
    for spec in SPECS:
        ref = library_json(inv, spec)
        assert_same(emit_json(inv, timestamp=TS, spec_version=spec), ref, f"mixed licences {spec}")
        assert '"name": "MIT OR ISC"' in ref and '"name": "MIT"' in ref


def _finding_variants():
    """Every field the vulnerability entry writes, in its ordinary and odd forms."""
    from pkgscan.model import Component
    from pkgscan.vulns.model import Finding, Severity, Suppression

    comp = Component(ecosystem="npm", name="@scope/pkg", version="1.0.0", purl="pkg:npm/%40scope/pkg@1.0.0")
    odd = Component(ecosystem="pypi", name="odd", version="", purl="pkg:pypi/odd")
    severities = [Severity(), Severity("high", 8.6, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:N", "CVSS_V3"),
                  Severity("medium", 5, "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:N", "CVSS_V3"),
                  Severity("critical", 9.95, "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "CVSS_V4"),
                  Severity("low", 2.1, "AV:N/AC:H/Au:S/C:N/I:P/A:N", "CVSS_V2"),
                  Severity("low", None, "CVSS:2.0/AV:N/AC:H/Au:S/C:N/I:P/A:N", "CVSS_V2"),
                  Severity("HIGH", None, None, "GHSA database_specific"), Severity("bogus", 10, "weird\nvector", "x"),
                  Severity("unknown", 0.0, None, "unknown")]
    suppressions = [None, Suppression("vex", "not reachable", "vex.json", "vulnerable_code_not_in_execute_path", "2027-01-01"),
                    Suppression("vex", "", "", "made-up"), Suppression("vex", "x", "", "requires_environment"),
                    Suppression("unfixed", "no fix yet"), Suppression("ignore-file", "", ".pkgscan-ignore"),
                    Suppression("", "\x1b[31mred\x1b[0m")]
    ids = [("GHSA-aaaa-bbbb-cccc", ("GHSA-aaaa-bbbb-cccc", "CVE-2021-1", "PYSEC-1", "CVE-2021-1")),
           ("PYSEC-2019-217", ("PYSEC-2019-217",)), ("MAL-2024-1 x/y", ("MAL-2024-1 x/y", "OSV 2\u202e", ""))]
    refs = [(), ("https://b.example/x", "https://a.example/y", "https://a.example/y", "javascript:alert(1)",
                 "https://e.example/[v]?q=a b", "https://e.example/p%zz", "https://e.example/#a#b")]
    out = []
    n = 0
    for sev in severities:
        for sup in suppressions:
            vid, all_ids = ids[n % len(ids)]
            out.append(Finding(component=comp if n % 2 else odd, id=vid, ids=all_ids, advisories=(vid, vid, "GHSA-z"),
                               summary=["", "Sandbox escape\nvia \x07str.format", "  "][n % 3], severity=sev,
                               fixed=(("1.0.1", "2.0.0") if n % 3 else ()), recommended=("1.0.1" if n % 4 == 1 else None),
                               malicious=n % 5 == 0, references=refs[n % 2], suppressed=sup,
                               labels=(("shadowed", "", "shadowed") if n % 2 else ())))
            n += 1
    return out


@pytest.mark.parametrize("spec", SPECS)
def test_vulnerability_entries_written_directly_as_the_library_writes_them(spec):
    from pkgscan.report.cyclonedx_fast import Raw, _library_vulnerability, _text
    from pkgscan.report.cyclonedx_fast_vulns import vulnerability_dict

    variants = _finding_variants()
    for f in variants:
        # hostile reference URLs (a bad percent-escape, two '#') are not links: the library would
        # refuse them (InvalidUriException) and stop the whole SBOM
        want = _library_vulnerability(f, spec)
        got = vulnerability_dict(f, spec)
        assert got is not None, f.id
        assert (got[0], Raw(_text(got[1], "\n    "))) == want, f.id
    assert len(variants) == 63
