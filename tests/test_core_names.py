"""The shared core the lockfile parsers, the policy and the diff use: one decoder, one warning cap,
names compared as :mod:`pkgscan.ecosystems` says.

The advisory used below is real: GHSA-5crp-9r3c-p9vr (Newtonsoft.Json, NuGet), from the GitHub
advisory database (tests/fixtures/osv-exports/NuGet-sample.zip; CC-BY-4.0).
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

from pkgscan.diff import diff, parse_side
from pkgscan.inventory.base import decode_text
from pkgscan.inventory.lockfiles import MAX_WARNINGS, pipfile_lock, requirements, yarn_lock
from pkgscan.model import Component
from pkgscan.vulns.model import Finding, Severity
from pkgscan.vulns.policy import IgnoreRule, apply_policy, parse_vex, purl_matches

NUGET_EXPORT = Path(__file__).parent / "fixtures" / "osv-exports" / "NuGet-sample.zip"


# --------------------------------------------------------------------------- decoding


def test_one_decoder_honours_every_bom():
    text = "requests==2.19.1\r\n"
    assert decode_text(b"\xef\xbb\xbf" + text.encode()) == text
    assert decode_text(text.encode("utf-16")) == text  # BOM + UTF-16 (what PowerShell 5 '>' writes)
    assert decode_text(b"\xfe\xff" + text.encode("utf-16-be")) == text
    assert decode_text(text.encode("utf-32")) == text  # FF FE 00 00 is UTF-32, not UTF-16
    assert decode_text(b"caf\xe9") == "caf\ufffd"
    assert decode_text(memoryview(b"abc")) == "abc"


def test_a_utf16_requirements_file_is_read():
    parsed = requirements.parse("requests==2.19.1\r\nidna==2.7\r\n".encode("utf-16"), "requirements.txt")
    assert [(p.name, p.version) for p in parsed.packages] == [("requests", "2.19.1"), ("idna", "2.7")]


# --------------------------------------------------------------------------- warnings


def test_one_warning_cap_for_every_format():
    extra = 70
    n = MAX_WARNINGS + extra
    # Pipfile.lock: entries that are not objects are skipped with a warning each
    pipfile = json.dumps({"_meta": {}, "default": {f"pkg{i}": i for i in range(n)}}).encode()
    # yarn.lock v1: entries without a version
    yarn = "".join(f'pkg{i}@^1.0.0:\n  resolved "https://registry.yarnpkg.com/pkg{i}/-/pkg{i}-1.0.0.tgz"\n\n'
                   for i in range(n)).encode()
    for parsed in (pipfile_lock.parse(pipfile, "Pipfile.lock"), yarn_lock.parse(yarn, "yarn.lock")):
        assert len(parsed.warnings) == MAX_WARNINGS + 1
        assert parsed.warnings[-1] == f"{extra} more warnings not shown"


# --------------------------------------------------------------------------- policy


def _nuget_finding(name: str = "Newtonsoft.Json", version: str = "12.0.1") -> Finding:
    record = json.loads(zipfile.ZipFile(NUGET_EXPORT).read("GHSA-5crp-9r3c-p9vr.json"))
    assert record["affected"][0]["package"] == {"ecosystem": "NuGet", "name": "Newtonsoft.Json"}
    comp = Component(ecosystem="nuget", name=name, version=version, purl=f"pkg:nuget/{name}@{version}")
    return Finding(component=comp, id=record["id"], ids=(record["id"], *record.get("aliases", ())),
                   advisories=(record["id"],), severity=Severity(rating="high"), fixed=("13.0.1",))


def test_policy_compares_nuget_names_case_insensitively():
    f = _nuget_finding()
    assert purl_matches("pkg:nuget/newtonsoft.json@12.0.1", f.component)
    assert purl_matches("pkg:nuget/NEWTONSOFT.JSON", f.component)
    assert not purl_matches("pkg:nuget/newtonsoft.xml@12.0.1", f.component)
    assert not purl_matches("pkg:npm/newtonsoft.json@12.0.1", f.component)
    rule = IgnoreRule(id="GHSA-5crp-9r3c-p9vr", reason="input is never attacker-controlled", package="newtonsoft.json")
    (out,), warnings = apply_policy([f], ignore_rules=[rule])
    assert out.suppressed is not None and out.suppressed.kind == "ignore-file" and warnings == []


def test_policy_keeps_purls_of_unregistered_types_as_written():
    """A VEX document about the base image names Debian packages: valid, and it matches no component."""
    doc = {"@context": "https://openvex.dev/ns/v0.2.0", "timestamp": "2024-06-01T00:00:00Z", "statements": [
        {"vulnerability": {"name": "GHSA-5crp-9r3c-p9vr"}, "products": [{"@id": "pkg:deb/debian/libnewtonsoft-json@12.0.1"}],
         "status": "not_affected", "justification": "component_not_present"}]}
    (st,) = parse_vex(doc)
    assert st.products[0].purl == "pkg:deb/debian/libnewtonsoft-json@12.0.1"
    (out,), _warnings = apply_policy([_nuget_finding()], vex=[st])
    assert out.suppressed is None


# --------------------------------------------------------------------------- diff


def _cdx(*purls: str) -> dict:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6",
            "components": [{"type": "library", "name": p.rsplit("/", 1)[-1].split("@")[0], "purl": p} for p in purls]}


def test_diff_normalizes_registered_ecosystems_and_keeps_others_as_written():
    old = parse_side(_cdx("pkg:nuget/Newtonsoft.Json@13.0.1", "pkg:pypi/PyYAML@5.4", "pkg:pypi/jaraco.functools@4.0.0",
                          "pkg:deb/debian/LibC6@2.31"), "old")
    new = parse_side(_cdx("pkg:nuget/newtonsoft.json@13.0.1", "pkg:pypi/pyyaml@5.4", "pkg:pypi/jaraco-functools@4.1.0",
                          "pkg:deb/debian/libc6@2.31"), "new")
    d = diff(old, new)
    assert [(c.ecosystem, c.name, c.old, c.new, c.direction) for c in d.changed] == [
        ("pypi", "jaraco-functools", ("4.0.0",), ("4.1.0",), "upgrade")]
    assert d.unchanged == 2  # nuget/newtonsoft.json 13.0.1 and pypi/pyyaml 5.4 on both sides
    assert [(p.ecosystem, p.name) for p in d.removed] == [("deb", "debian/LibC6")]
    assert [(p.ecosystem, p.name) for p in d.added] == [("deb", "debian/libc6")]
