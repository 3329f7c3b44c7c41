"""The exact vulnerability findings of every sample package, given the committed advisory snapshot.

The expected data below was worked out BY HAND from the records in
``sample_packages/advisories/{PyPI,npm}-all.zip``: for every component, every record naming the
package (PyPI names PEP 503-normalized on both sides, npm names exact) was opened and its
``versions`` list and ECOSYSTEM/SEMVER ranges evaluated per the OSV spec
(https://ossf.github.io/osv-schema/#evaluation).  Comments note the non-obvious decisions.

Per component: ``recommended`` (the smallest upgrade no record of the package affects, ``None``
when nothing is found) and, per finding, the advisory records grouped into it, every id
(records' ids + aliases), and ``fixed`` (the ranges' fixed versions above the installed one).
Components that are absent have no finding at all.
"""
from __future__ import annotations

import pytest

from pkgscan import scan_path
from pkgscan.scan import scan_vulnerabilities
from pkgscan.vulns.matcher import OfflineSource

from .conftest import SAMPLES


def F(advisories, ids, fixed):
    """One expected finding: its advisory records, all its ids (besides the records'), fixed versions."""
    adv = frozenset(advisories.split())
    return adv, (adv | frozenset(ids.split()), tuple(fixed.split()))


# PyPI records shared by two samples
CERTIFI = ("2023.7.22", dict([  # 2022.12.7 still lies in PYSEC-2023-135 [2015.4.28, 2023.7.22)
    F("PYSEC-2022-42986", "CVE-2022-23491 GHSA-43fp-rhv2-5gv8", "2022.12.7"),  # [2017.11.5, 2022.12.7)
    F("PYSEC-2023-135", "CVE-2023-37920 GHSA-xqr8-7jwr-rhp7", "2023.7.22"),  # [2015.4.28, 2023.7.22)
]))
IDNA = ("3.7", dict([F("PYSEC-2024-60", "CVE-2024-3651", "3.7")]))  # [0.1, 3.7); its GIT range ignored
# PYSEC-2023-74 lists GHSA-j8r2 as alias, GHSA-j8r2 lists only the CVE: one finding, both records
REQUESTS_CVE_2023_32681 = F("GHSA-j8r2-6x86-q33q PYSEC-2023-74", "CVE-2023-32681", "2.31.0")  # [2.3.0, 2.31.0)
# urllib3 1.23 and 1.24.1 meet the same 7 records. Not affected: PYSEC-2017-98 [1.17, 1.18.1),
# PYSEC-2018-32 (fixed 1.23: the boundary is not affected), PYSEC-2020-149 [1.25.2, 1.25.8),
# PYSEC-2021-59 [1.26.0, 1.26.4). Recommended 1.26.18: each smaller fix is inside another record
# (1.24.2 < 1.24.3 < 1.25.9 < 1.26.5 < 1.26.17 < 1.26.18); no urllib3 record lists or ranges 1.26.18.
URLLIB3 = ("1.26.18", dict([
    F("PYSEC-2019-132", "CVE-2019-11236 GHSA-r64q-w8jr-g9qp", "1.24.3"),
    F("PYSEC-2019-133", "CVE-2019-11324 GHSA-mh33-7rrq-662w", "1.24.2"),
    F("PYSEC-2020-148", "CVE-2020-26137 GHSA-wqvq-5m8c-6g24", "1.25.9"),
    F("PYSEC-2021-108", "CVE-2021-33503 GHSA-q2q7-5pp4-w6pg", "1.26.5"),
    # events out of order: introduced 2.0.0, fixed 2.0.6, introduced 0, fixed 1.26.17
    F("PYSEC-2023-192", "CVE-2023-43804 GHSA-v845-jxx5-vc9f", "1.26.17 2.0.6"),
    F("PYSEC-2023-207", "CVE-2018-25091", "1.24.2"),  # a different CVE from PYSEC-2019-133: own finding
    F("PYSEC-2023-212", "CVE-2023-45803 GHSA-g4mx-q9vg-27p4", "1.26.18 2.0.7"),
]))

EXPECTED = {
    "python-function.zip": {
        ("pypi", "certifi", "2018.4.16"): CERTIFI,
        ("pypi", "idna", "2.7"): IDNA,
        # "2.10" > "2.7.2"/"2.7.3"/"2.8.1" in PEP 440 (not as strings): PYSEC-2014-8/-82 and
        # PYSEC-2019-220 do not apply
        ("pypi", "jinja2", "2.10"): ("2.11.3", dict([
            F("PYSEC-2019-217", "CVE-2019-10906 GHSA-462w-v97r-4m45", "2.10.1"),  # [0, 2.10.1)
            F("PYSEC-2021-66", "CVE-2020-28493 SNYK-PYTHON-JINJA2-1012994 GHSA-g3rq-g295-4j3m", "2.11.3"),
        ])),
        # pyyaml 5.4: GHSA-8q59 / PYSEC-2021-142 are fixed in 5.4 (boundary); PYSEC-2018-49 (fixed 5.1),
        # PYSEC-2020-176 [5.1, 5.2b1), PYSEC-2020-96 [5.1, 5.3.1) end earlier; none lists 5.4 -> nothing
        ("pypi", "requests", "2.19.1"): ("2.31.0", dict([  # 2.20.0 is inside [2.3.0, 2.31.0)
            F("PYSEC-2018-28", "CVE-2018-18074 GHSA-x84v-xcm2-53pg", "2.20.0"),  # [0, 2.20.0)
            REQUESTS_CVE_2023_32681,
            # not: PYSEC-2014-13/-14 (fixed 2.3.0), PYSEC-2015-17 [2.1.0, 2.6.0)
        ])),
        ("pypi", "urllib3", "1.23"): URLLIB3,
    },
    "python-layer-sitepackages.zip": {
        ("pypi", "certifi", "2018.10.15"): CERTIFI,
        ("pypi", "idna", "2.7"): IDNA,
        # PYSEC-2018-28 is fixed in 2.20.0 exactly (and does not list 2.20.0): not affected
        ("pypi", "requests", "2.20.0"): ("2.31.0", dict([REQUESTS_CVE_2023_32681])),
        ("pypi", "urllib3", "1.24.1"): URLLIB3,
    },
    "python-layer.zip": {
        ("pypi", "pyjwt", "1.7.1"): ("2.4.0", dict([  # PYSEC-2017-24 (fixed 1.5.1) does not apply
            F("PYSEC-2022-202", "CVE-2022-29217 GHSA-ffqj-6fqr-9h24", "2.4.0"),  # [1.5.0, 2.4.0)
        ])),
    },
    "node-function.zip": {
        # GHSA-8hc4 names "Axios" (npm names are case-sensitive) and [1.3.2, 1.7.4) would not
        # contain 0.21.0 anyway
        ("npm", "axios", "0.21.0"): ("1.6.0", dict([F("GHSA-wf5p-g6vw-rhxx", "CVE-2023-45857", "1.6.0")])),
        # follow-redirects 1.16.3 is above GHSA-cxjh's fix 1.15.6: nothing
        ("npm", "lodash", "4.17.15"): ("4.17.21", dict([  # 4.17.20 is still inside [0, 4.17.21)
            F("GHSA-29mw-wpgm-hmr9", "CVE-2020-28500", "4.17.21"),
            F("GHSA-35jh-r3h4-6jhm", "CVE-2021-23337", "4.17.21"),
            F("GHSA-p6mc-m468-83gw", "CVE-2020-8203", "4.17.20"),
        ])),
        # fixed lists every fixed version above the installed one, of all the record's ranges
        ("npm", "minimist", "0.0.8"): ("0.2.4", dict([  # 0.2.1 is still inside GHSA-xvch [0, 0.2.4)
            F("GHSA-vh95-rmgr-6w4m", "CVE-2020-7598", "0.2.1 1.2.3"),
            F("GHSA-xvch-5gv4-984h", "CVE-2021-44906", "0.2.4 1.2.6"),
        ])),
        ("npm", "minimist", "1.2.0"): ("1.2.6", dict([  # 1.2.3 is still inside GHSA-xvch [1.0.0, 1.2.6)
            F("GHSA-vh95-rmgr-6w4m", "CVE-2020-7598", "1.2.3"),
            F("GHSA-xvch-5gv4-984h", "CVE-2021-44906", "1.2.6"),
        ])),
        # GHSA-r683 has two node-fetch entries, [1.0, 3.1.1) and [0, 2.6.7); 2.6.0 is in both, and
        # 2.6.7 is still inside [1.0, 3.1.1) as the data says, so the first clean upgrade is 3.1.1
        ("npm", "node-fetch", "2.6.0"): ("3.1.1", dict([F("GHSA-r683-j2x4-v87g", "CVE-2022-0235", "2.6.7 3.1.1")])),
    },
    "node-layer.zip": {
        # debug 2.6.8 / 2.6.9: MAL-2025-46974 lists only debug 4.4.2 -> nothing
        ("npm", "qs", "6.5.2"): ("6.5.3", dict([  # [6.5.0, 6.5.3); fixes of the other branches above 6.5.2 too
            F("GHSA-hrpp-h998-j3pp", "CVE-2022-24999", "6.5.3 6.6.1 6.7.3 6.8.3 6.9.7 6.10.3"),
        ])),
    },
    "node-layer-node20.zip": {
        ("npm", "jsonwebtoken", "8.5.1"): ("9.0.0", dict([
            F("GHSA-27h2-hvpr-p74q", "CVE-2022-23529", "9.0.0"),
            F("GHSA-qwph-4952-7xr6", "CVE-2022-23540", "9.0.0"),
        ])),
        # semver 5.7.3 is above GHSA-c2qf's fix 5.7.2; the lodash.* packages are not lodash
        # (GHSA-29mw names lodash.trim / lodash.trimend, not these) -> nothing
    },
    # no Maven advisories in sample_packages/advisories: tests/test_java.py checks these two
    # against tests/fixtures/java/Maven-sample.zip
    "java-function.zip": {},
    "java-layer.zip": {},
    # NuGet and RubyGems packages: no PyPI/npm record names them (their own advisories are checked
    # in tests/test_dotnet.py and tests/test_ruby.py)
    "dotnet-function.zip": {},
    "ruby-function.zip": {},
    # Go: no Go records in this database (tests/test_golang.py matches the sample against Go-all.zip)
    "go-function.zip": {},
}

# findings per sample (groups), for the report
EXPECTED_COUNTS = {"python-function.zip": 14, "python-layer-sitepackages.zip": 11, "python-layer.zip": 1,
                   "node-function.zip": 9, "node-layer.zip": 1, "node-layer-node20.zip": 2,
                   "java-function.zip": 0, "java-layer.zip": 0, "dotnet-function.zip": 0, "ruby-function.zip": 0,
                   "go-function.zip": 0}


def test_expected_counts_are_consistent():
    assert set(EXPECTED) == {p.name for p in SAMPLES.glob("*.zip")}
    for sample, comps in EXPECTED.items():
        assert sum(len(groups) for _rec, groups in comps.values()) == EXPECTED_COUNTS[sample]


@pytest.fixture(scope="module")
def db(advisory_db):
    """The snapshot database (both exports, nothing skipped), built once per session (tests/conftest.py)."""
    return advisory_db


def _found(db, sample):
    inv = scan_path(SAMPLES / sample)
    findings = scan_vulnerabilities(inv, [OfflineSource(db)]).findings
    out: dict = {}
    for f in findings:
        key = (f.component.ecosystem, f.component.name, f.component.version)
        rec, groups = out.setdefault(key, (f.recommended, {}))
        assert f.recommended == rec  # one recommendation per component
        groups[frozenset(f.advisories)] = (frozenset(f.ids), f.fixed)
        assert f.ids[0] == f.id and f.id in f.advisories and len(set(f.ids)) == len(f.ids)
        assert f.malicious is False
    return out


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_sample_advisories(sample, db):
    found = _found(db, sample)
    expected = EXPECTED[sample]
    # the advisory records per component@version, exactly
    assert {k: set(g) for k, (_r, g) in found.items()} == {k: set(g) for k, (_r, g) in expected.items()}


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_sample_ids_and_fixed(sample, db):
    found = _found(db, sample)
    for key, (_rec, groups) in EXPECTED[sample].items():
        for adv, (ids, fixed) in groups.items():
            assert found[key][1][adv] == (ids, fixed), (key, sorted(adv))


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_sample_recommended(sample, db):
    found = _found(db, sample)
    assert {k: r for k, (r, _g) in found.items()} == {k: r for k, (r, _g) in EXPECTED[sample].items()}
