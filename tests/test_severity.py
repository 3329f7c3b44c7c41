"""Severity from real OSV records: CVSS v4 > v3.x > v2 vectors scored by the ``cvss`` library,
GitHub's ``database_specific.severity`` only as a labelled fallback, MAL- records critical, anything
else unknown.

Expected scores are the FIRST calculators' values (https://www.first.org/cvss/calculator/); the
well-known ones (9.8, 8.8, 7.5 for v2, 9.3 for v4, 6.1, 5.3) are checked by hand, the others were
derived with the ``cvss`` library, which implements the FIRST specifications.  Ratings: v3/v4
0.0 none, 0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high, 9.0-10.0 critical; v2 (NVD) low/medium/high.

Real records have no CVSS_V2 vector and no severity inside ``affected[]``: those cases are derived
in code from a real record (own id), and say so.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from pkgscan.inventory.assemble import make_purl
from pkgscan.model import NPM, PYPI, Artifact, Component, Inventory
from pkgscan.scan import scan_vulnerabilities
from pkgscan.vulns.matcher import OfflineSource
from pkgscan.vulns.model import Severity
from pkgscan.vulns.severity import GHSA_SOURCE, rating_from_score, score_vector, severity_of
from pkgscan.vulns.store import AdvisoryDB, import_path, writer

FIX = Path(__file__).resolve().parent / "fixtures" / "osv"


def record(rid: str) -> dict:
    for d in ("PyPI", "npm"):
        p = FIX / d / f"{rid}.json"
        if p.exists():
            return json.loads(p.read_text())
    raise FileNotFoundError(rid)


def derive(rec: dict, tag: str) -> dict:
    out = copy.deepcopy(rec)
    out["id"] = f"{rec['id']}-derived-{tag}"
    return out


# ------------------------------------------------------------ vectors of real records -> score


REAL = [
    # id, vector type used, vector (as in the record), score, rating
    ("GHSA-xvch-5gv4-984h", "CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "critical"),
    ("GHSA-r683-j2x4-v87g", "CVSS_V3", "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8, "high"),
    ("PYSEC-2017-105", "CVSS_V3", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, "high"),
    ("GHSA-j8r2-6x86-q33q", "CVSS_V3", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N", 6.1, "medium"),
    ("GHSA-p8p7-x288-28g6", "CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "medium"),
    ("GHSA-29mw-wpgm-hmr9", "CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", 5.3, "medium"),
    # v3.1 (5.0, medium) AND v4.0 in the record: v4 is preferred even though it scores lower
    ("GHSA-qw6h-vgh9-j6wx", "CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:L", 2.3, "low"),
]


@pytest.mark.parametrize("rid,cvss_type,vector,score,rating", REAL, ids=[r[0] for r in REAL])
def test_real_record_severity(rid, cvss_type, vector, score, rating):
    rec = record(rid)
    assert vector in [s["score"] for s in rec["severity"]]
    assert severity_of([rec]) == Severity(rating, score, vector, cvss_type)


def test_v3_and_v4_both_present():
    rec = record("GHSA-qw6h-vgh9-j6wx")
    assert [s["type"] for s in rec["severity"]] == ["CVSS_V3", "CVSS_V4"]
    assert score_vector("CVSS_V3", rec["severity"][0]["score"]) == 5.0
    assert score_vector("CVSS_V4", rec["severity"][1]["score"]) == 2.3
    sev = severity_of([rec])
    assert sev.source == "CVSS_V4" and sev.rating == "low"
    # and its GitHub label (MODERATE) is not used when a vector exists
    assert rec["database_specific"]["severity"] == "MODERATE"


@pytest.mark.parametrize("cvss_type,vector,score", [
    ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),  # FIRST v3.1 calculator
    ("CVSS_V3", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),  # v3.0 scores the same here
    ("CVSS_V3", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:N/A:N", 6.8),  # the OSV schema's example
    ("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3),  # FIRST v4.0
    ("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N", 5.1),  # OSV schema example
    ("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5),  # FIRST/NVD v2
    ("CVSS_V2", "AV:L/AC:M/Au:N/C:N/I:P/A:C", 5.4),  # the OSV schema's example (by hand: 4.563*1.176)
    ("CVSS_V2", "AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0),
])
def test_scores_match_first_calculator(cvss_type, vector, score):
    assert score_vector(cvss_type, vector) == score


@pytest.mark.parametrize("score,cvss_type,rating", [
    (0.0, "CVSS_V3", "none"), (0.1, "CVSS_V3", "low"), (3.9, "CVSS_V3", "low"), (4.0, "CVSS_V3", "medium"),
    (6.9, "CVSS_V3", "medium"), (7.0, "CVSS_V3", "high"), (8.9, "CVSS_V3", "high"), (9.0, "CVSS_V3", "critical"),
    (10.0, "CVSS_V4", "critical"), (2.3, "CVSS_V4", "low"),
    (3.9, "CVSS_V2", "low"), (4.0, "CVSS_V2", "medium"), (7.0, "CVSS_V2", "high"), (10.0, "CVSS_V2", "high"),
])
def test_rating_bands(score, cvss_type, rating):
    assert rating_from_score(score, cvss_type) == rating


# --------------------------------------------------------------- v2 (derived: no real v2 vector)


def test_v2_vector_alone():
    rec = derive(record("GHSA-xvch-5gv4-984h"), "v2")
    rec["severity"] = [{"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:C/I:C/A:C"}]
    assert severity_of([rec]) == Severity("high", 10.0, "AV:N/AC:L/Au:N/C:C/I:C/A:C", "CVSS_V2")  # v2 has no critical


def test_v3_preferred_over_v2():
    rec = derive(record("GHSA-j8r2-6x86-q33q"), "v2-and-v3")
    rec["severity"].append({"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:C/I:C/A:C"})
    sev = severity_of([rec])
    assert (sev.source, sev.score, sev.rating) == ("CVSS_V3", 6.1, "medium")


# ------------------------------------------------- severity inside affected[] (derived from real)


def test_severity_at_affected_level():
    rec = derive(record("GHSA-xvch-5gv4-984h"), "affected-severity")
    vec = rec.pop("severity")
    for a in rec["affected"]:
        a["severity"] = copy.deepcopy(vec)
    del rec["database_specific"]["severity"]
    assert severity_of([rec]) == Severity("critical", 9.8, vec[0]["score"], "CVSS_V3")


def test_affected_level_severity_is_per_package():
    # one record, two packages rated differently: each finding takes its own package's rating
    rec = derive(record("GHSA-xvch-5gv4-984h"), "two-packages")
    rec.pop("severity")
    del rec["database_specific"]["severity"]
    first = rec["affected"][0]
    other = copy.deepcopy(first)
    other["package"] = {"ecosystem": "PyPI", "name": "Other_Pkg"}
    low = [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"}]
    critical = [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]
    first["severity"], other["severity"] = low, critical
    rec["affected"] = [first, other]
    eco, name = "PyPI" if first["package"]["ecosystem"] == "PyPI" else "npm", first["package"]["name"]
    from pkgscan.vulns.osv import normalize_name

    assert severity_of([rec], (eco, normalize_name(eco, name))).score == 5.3
    assert severity_of([rec], ("PyPI", "other-pkg")).score == 9.8  # normalized name
    assert severity_of([rec]).score == 9.8  # no package given: the record's highest


# ----------------------------------------------------------------- GitHub label fallback, absent


@pytest.mark.parametrize("rid,label,rating", [
    ("GHSA-qwph-4952-7xr6", "MODERATE", "medium"),  # jsonwebtoken: no severity vectors at all
    ("GHSA-wf5p-g6vw-rhxx", "MODERATE", "medium"),  # axios
    ("GHSA-8hc4-vh64-cxmj", "HIGH", "high"),  # "Axios"
])
def test_github_database_specific_fallback_is_labelled(rid, label, rating):
    rec = record(rid)
    assert not rec.get("severity") and rec["database_specific"]["severity"] == label
    sev = severity_of([rec])
    assert sev == Severity(rating, None, None, GHSA_SOURCE)
    assert "not OSV spec" in sev.source


@pytest.mark.parametrize("rid", ["PYSEC-2021-114", "PYSEC-2023-74", "PYSEC-2022-42969"])
def test_absent_severity_is_unknown(rid):
    rec = record(rid)
    assert "severity" not in rec and not (rec.get("database_specific") or {}).get("severity")
    assert severity_of([rec]) == Severity()
    assert Severity().rating == "unknown" and Severity().score is None


def test_malicious_is_critical():
    for rid in ("MAL-2024-10238", "MAL-2025-46966", "MAL-2025-46974"):
        assert severity_of([record(rid)]) == Severity("critical", None, None, "malicious")


# ------------------------------------------------------------ malformed vectors (derived from real)


@pytest.mark.parametrize("sev", [
    [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L"}],  # truncated
    [{"type": "CVSS_V3", "score": "not a vector"}],
    [{"type": "CVSS_V3", "score": ""}],
    [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],  # bad metric value
    [{"type": "CVSS_V3", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}],  # wrong type
    [{"type": "CVSS_V4", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],  # wrong type
    [{"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:P/I:P"}],
    [{"type": "CVSS_V3", "score": 9.8}],  # not a string
    [{"type": "CVSS_V3"}],
    [{"type": "Ubuntu", "score": "high"}],  # a type pkgscan does not score
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"],  # not an object
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",  # not a list
])
def test_malformed_vector_is_unknown_not_a_crash(sev):
    rec = derive(record("GHSA-xvch-5gv4-984h"), "malformed")
    rec["severity"] = sev
    del rec["database_specific"]["severity"]
    assert severity_of([rec]) == Severity()
    # with the record's own GitHub label left in place, the label is the (labelled) answer
    rec2 = derive(record("GHSA-xvch-5gv4-984h"), "malformed-label")
    rec2["severity"] = sev
    assert severity_of([rec2]) == Severity("critical", None, None, GHSA_SOURCE)


def test_malformed_vector_beside_a_valid_one():
    rec = derive(record("GHSA-qw6h-vgh9-j6wx"), "bad-v4")
    rec["severity"][1]["score"] = "CVSS:4.0/AV:N"  # broken v4, valid v3.1 (5.0)
    assert severity_of([rec]) == Severity("medium", 5.0, rec["severity"][0]["score"], "CVSS_V3")


# -------------------------------------------------------------------- through the public path


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    d = tmp_path_factory.mktemp("sevdb")
    with writer(d) as w:
        import_path(w, FIX / "PyPI")
        import_path(w, FIX / "npm")
    adb = AdvisoryDB(d)
    yield adb
    adb.close()


def test_findings_carry_severity(db):
    comps = [(NPM, "minimist", "1.2.5"), (NPM, "node-fetch", "2.6.0"), (NPM, "express", "4.19.1"),
             (NPM, "jsonwebtoken", "8.5.1"), (PYPI, "requests", "2.30.0"), (PYPI, "wagtail", "2.12"),
             (PYPI, "123bla", "0.0.1")]
    inv = Inventory(artifact=Artifact(name="t", path="t", kind="directory", layout="function"),
                    components=tuple(Component(e, n, v, make_purl(e, n, v)) for e, n, v in comps))
    got = {f.id: f.severity for f in scan_vulnerabilities(inv, [OfflineSource(db)]).findings}
    assert {k: (v.rating, v.score, v.source) for k, v in got.items()} == {
        "GHSA-xvch-5gv4-984h": ("critical", 9.8, "CVSS_V3"),
        "GHSA-r683-j2x4-v87g": ("high", 8.8, "CVSS_V3"),
        "GHSA-qw6h-vgh9-j6wx": ("low", 2.3, "CVSS_V4"),
        "GHSA-rv95-896h-c2vc": ("medium", 6.1, "CVSS_V3"),
        "GHSA-qwph-4952-7xr6": ("medium", None, GHSA_SOURCE),
        # PYSEC-2023-74 has no severity; its group's GHSA record has the vector
        "GHSA-j8r2-6x86-q33q": ("medium", 6.1, "CVSS_V3"),
        "PYSEC-2021-114": ("unknown", None, "unknown"),
        "MAL-2024-10238": ("critical", None, "malicious"),
    }
