"""OSV matching semantics, one test per trap of the real data, each built from the REAL record.

The expected answers come from the OSV specification's evaluation rules
(https://ossf.github.io/osv-schema/#evaluation): a version is affected if it is listed in
``versions`` OR lies in one of the ECOSYSTEM/SEMVER ranges; range events are walked in sorted
order (``introduced`` -> affected, ``fixed`` -> not, ``last_affected`` -> not when strictly above);
``introduced: "0"`` sorts before every version; ``limit`` caps a range (``"*"`` = infinity).

Records come from ``tests/fixtures/osv/`` (real, unchanged; see its README and PROVENANCE.tsv).
Where the real data lacks a case (``limit``) the record is derived in code from a real one, given
an id of its own, and the test says so.  Every test goes through the public path (a database built
with ``writer``/``import_path`` + ``scan_vulnerabilities``) and/or unit level
(``osv.affected_entries(record)[i].affects(v)``).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from pkgscan.inventory.assemble import make_purl
from pkgscan.model import NPM, PYPI, Artifact, Component, Inventory
from pkgscan.scan import scan_vulnerabilities
from pkgscan.vulns import osv
from pkgscan.vulns.matcher import OfflineSource
from pkgscan.vulns.store import AdvisoryDB, import_path, writer

FIX = Path(__file__).resolve().parent / "fixtures" / "osv"


# --------------------------------------------------------------------------------------- helpers


def record(rid: str, where: str | None = None) -> dict:
    """A real fixture record by id (``where``: 'PyPI', 'npm' or 'osv-dev-samples')."""
    dirs = [where] if where else ["PyPI", "npm"]
    for d in dirs:
        p = FIX / d / f"{rid}.json"
        if p.exists():
            return json.loads(p.read_text())
    raise FileNotFoundError(rid)


def derive(rec: dict, tag: str) -> dict:
    """A copy of a real record for a case the real data lacks; own id so no cache can confuse them."""
    out = copy.deepcopy(rec)
    out["id"] = f"{rec['id']}-derived-{tag}"
    out["modified"] = "2099-01-01T00:00:00Z"
    return out


def entry(rec: dict, i: int = 0) -> osv.AffectedEntry:
    return osv.affected_entries(rec)[i]


def build_db(tmp_path: Path, *sources) -> AdvisoryDB:
    """A database from fixture directories (Path) and/or in-memory records (dict)."""
    d = tmp_path / "db"
    extra = tmp_path / "records"
    with writer(d) as w:
        for s in sources:
            if isinstance(s, dict):
                extra.mkdir(exist_ok=True)
                f = extra / f"{s['id']}.json"
                f.write_text(json.dumps(s))
                import_path(w, f)
            else:
                import_path(w, s)
    return AdvisoryDB(d)


def scan(db: AdvisoryDB, *comps: tuple[str, str, str], include_withdrawn: bool = False):
    components = tuple(Component(eco, name, ver, make_purl(eco, name, ver)) for eco, name, ver in comps)
    inv = Inventory(artifact=Artifact(name="t", path="t", kind="directory", layout="function"), components=components)
    return scan_vulnerabilities(inv, [OfflineSource(db)], include_withdrawn=include_withdrawn).findings


def advisories(findings, name: str | None = None, version: str | None = None) -> set[frozenset[str]]:
    """The advisory groups found (one frozenset of record ids per finding)."""
    return {
        frozenset(f.advisories)
        for f in findings
        if (name is None or f.component.name == name) and (version is None or f.component.version == version)
    }


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """Every real fixture record of PyPI/ and npm/ (not the osv-dev-samples duplicates)."""
    d = tmp_path_factory.mktemp("osvdb")
    with writer(d) as w:
        r1 = import_path(w, FIX / "PyPI")
        r2 = import_path(w, FIX / "npm")
    assert not r1.skipped and not r2.skipped
    assert r1.imported == len(list((FIX / "PyPI").glob("*.json")))
    assert r2.imported == len(list((FIX / "npm").glob("*.json")))
    adb = AdvisoryDB(d)
    yield adb
    adb.close()


# ------------------------------------------------- several intervals, events out of order (sorted)


def test_pysec_2021_114_events_really_are_unsorted():
    evs = record("PYSEC-2021-114")["affected"][0]["ranges"][0]["events"]
    assert evs == [{"introduced": "2.11"}, {"fixed": "2.11.7"}, {"introduced": "0"},
                   {"fixed": "2.11.6"}, {"introduced": "2.12"}, {"fixed": "2.12.4"}]


# sorted: introduced 0, introduced 2.11, fixed 2.11.6, fixed 2.11.7, introduced 2.12, fixed 2.12.4
WAGTAIL_FULL = [
    ("0.1", True),  # first interval, first release (listed)
    ("1.0b1", True),  # pre-release inside the first interval (listed)
    ("2.10.2", True),
    ("2.11", True),  # boundary: introduced 2.11 (already inside since introduced 0)
    ("2.11.5", True),
    ("2.11.6", True),  # the sorted walk says fixed here, but 2.11.6 is LISTED in versions -> affected
    ("2.11.7", False),  # boundary: fixed 2.11.7, not listed
    ("2.11.8", False),  # between intervals
    ("2.12rc1", False),  # just below introduced 2.12, not listed
    ("2.12", True),  # boundary: introduced 2.12
    ("2.12.3", True),
    ("2.12.4", False),  # boundary: fixed 2.12.4
    ("2.13", False),
]


@pytest.mark.parametrize("version,affected", WAGTAIL_FULL)
def test_unsorted_multi_interval_full_record(version, affected):
    assert entry(record("PYSEC-2021-114")).affects(version) is affected


# The same record without its versions list (derived: ranges only), to see the range walk itself.
WAGTAIL_RANGES_ONLY = [
    ("0.0.1", True),
    ("2.11", True),
    ("2.11.5", True),
    ("2.11.6", False),  # sorted walk: fixed 2.11.6 closes [0, 2.11.6); pairing events as written would say True
    ("2.11.6.post1", False),
    ("2.11.7", False),
    ("2.12.dev0", False),
    ("2.12", True),
    ("2.12.3.post1", True),
    ("2.12.4", False),
]


@pytest.mark.parametrize("version,affected", WAGTAIL_RANGES_ONLY)
def test_unsorted_multi_interval_ranges_only(version, affected):
    rec = derive(record("PYSEC-2021-114"), "ranges-only")
    del rec["affected"][0]["versions"]
    assert entry(rec).affects(version) is affected


def test_unsorted_multi_interval_through_scan(db):
    f = scan(db, (PYPI, "wagtail", "2.11.5"), (PYPI, "wagtail", "2.11.6"), (PYPI, "wagtail", "2.11.7"),
             (PYPI, "wagtail", "2.12.3"), (PYPI, "wagtail", "2.12.4"))
    assert {(x.component.version, x.id) for x in f} == {
        ("2.11.5", "PYSEC-2021-114"), ("2.11.6", "PYSEC-2021-114"), ("2.12.3", "PYSEC-2021-114")}
    f5 = next(x for x in f if x.component.version == "2.11.5")
    assert f5.fixed == ("2.11.6", "2.11.7", "2.12.4")
    # 2.11.6 is a "fixed" event but the record lists it as affected: the first safe upgrade is 2.11.7
    assert f5.recommended == "2.11.7"
    f3 = next(x for x in f if x.component.version == "2.12.3")
    assert f3.fixed == ("2.12.4",) and f3.recommended == "2.12.4"


# --------------------------------------------------------------------------------- introduced "0"


@pytest.mark.parametrize("version", ["0", "0.0.0.dev0", "0.0.1", "0.1", "3.0.8", "3.0.9.dev0"])
def test_introduced_zero_is_before_every_version_pypi(version):
    # PYSEC-2020-43 (flask-cors): introduced 0, fixed 3.0.9; ranges only (derived) so no list answers
    rec = derive(record("PYSEC-2020-43"), "ranges-only")
    del rec["affected"][0]["versions"]
    assert entry(rec).affects(version) is True


@pytest.mark.parametrize("version,affected", [("0.0.0-alpha", True), ("0.0.0", True), ("0.0.1", True),
                                              ("0.0.7", True), ("0.0.8-rc.1", True), ("0.0.8", False),
                                              ("0.1.0", False)])
def test_introduced_zero_npm_semver(version, affected):
    # GHSA-whgm-jr23-g3j9 (ansi-html, as osv.dev serves it): SEMVER introduced 0, fixed 0.0.8
    assert entry(record("GHSA-whgm-jr23-g3j9")).affects(version) is affected


def test_introduced_zero_covers_non_pep440_versions():
    # PYSEC-2008-8 (paramiko) ranges only (derived): "0" sorts before any version, even a legacy one
    rec = derive(record("PYSEC-2008-8"), "ranges-only")
    del rec["affected"][0]["versions"]
    assert entry(rec).affects("0.1-bulbasaur") is True
    assert entry(rec).affects("1.7.2") is False


# ------------------------------------------------------------------------- last_affected inclusive


@pytest.mark.parametrize("version,affected", [("0.9.0", True), ("1.10.0", True), ("1.11.0rc1", True),
                                              ("1.11.0", True),  # last_affected is inclusive
                                              ("1.11.0.post1", False), ("1.11.1", False), ("2.0", False)])
def test_last_affected_inclusive_pypi(version, affected):
    rec = record("PYSEC-2022-42969")  # py: introduced 0, last_affected 1.11.0
    assert rec["affected"][0]["ranges"][0]["events"] == [{"introduced": "0"}, {"last_affected": "1.11.0"}]
    assert entry(rec).affects(version) is affected
    ranges_only = derive(rec, "ranges-only")
    del ranges_only["affected"][0]["versions"]
    assert entry(ranges_only).affects(version) is affected


@pytest.mark.parametrize("i,name,version,affected", [
    (0, "request", "2.88.0", True), (0, "request", "2.88.2", True), (0, "request", "2.88.3", False),
    (0, "request", "3.0.0", False),
    (1, "@cypress/request", "2.88.11", True), (1, "@cypress/request", "2.88.12", False),
    (1, "@cypress/request", "3.0.0", False),
])
def test_last_affected_inclusive_npm(i, name, version, affected):
    e = entry(record("GHSA-p8p7-x288-28g6"), i)
    assert e.name == name
    assert e.affects(version) is affected


def test_last_affected_through_scan_has_no_fix(db):
    f = scan(db, (PYPI, "py", "1.11.0"), (NPM, "request", "2.88.2"), (NPM, "request", "2.88.3"),
             (NPM, "lodash.trim", "4.5.1"), (NPM, "lodash.trim", "4.5.2"))
    assert {(x.component.name, x.component.version, x.id) for x in f} == {
        ("py", "1.11.0", "PYSEC-2022-42969"), ("request", "2.88.2", "GHSA-p8p7-x288-28g6"),
        ("lodash.trim", "4.5.1", "GHSA-29mw-wpgm-hmr9")}  # GHSA-29mw: lodash.trim last_affected 4.5.1
    for x in f:
        assert x.fixed == () and x.recommended is None  # last_affected is not a fix


# ------------------------------------------------------------------------------------- no fix


@pytest.mark.parametrize("version", ["0.1", "0.16.1", "0.17.0", "99.0"])
def test_record_without_fix_affects_every_version(version, db):
    rec = record("PYSEC-2017-112")  # exiv2: introduced 0 and nothing else
    assert rec["affected"][0]["ranges"] == [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]
    assert entry(rec).affects(version) is True
    (f,) = scan(db, (PYPI, "exiv2", version))
    assert f.id == "PYSEC-2017-112" and f.fixed == () and f.recommended is None


# --------------------------------------------------------------------------------------- limit
# No real record has a limit event; these are derived from GHSA-whgm-jr23-g3j9 (ansi-html, SEMVER,
# introduced 0 / fixed 0.0.8) and PYSEC-2021-114 (wagtail), with their events replaced.


def _whgm_with(events):
    rec = derive(record("GHSA-whgm-jr23-g3j9"), "limit")
    rec["affected"][0]["ranges"][0]["events"] = events
    return entry(rec)


@pytest.mark.parametrize("version,affected", [("0.0.1", True), ("0.0.7", True), ("0.0.8", False), ("1.0.0", False)])
def test_limit_caps_range(version, affected):
    assert _whgm_with([{"introduced": "0"}, {"limit": "0.0.8"}]).affects(version) is affected
    # several limits: before ANY of them is enough (spec BeforeLimits)
    assert _whgm_with([{"introduced": "0"}, {"limit": "0.0.5"}, {"limit": "0.0.8"}]).affects(version) is affected


@pytest.mark.parametrize("version,affected", [("2.11.5", True), ("2.11.6", False), ("2.12", True),
                                              ("2.12.0.post1", False), ("2.12.3", False)])
def test_limit_cuts_an_open_interval_pypi(version, affected):
    rec = derive(record("PYSEC-2021-114"), "limit")
    del rec["affected"][0]["versions"]
    rec["affected"][0]["ranges"][0]["events"].append({"limit": "2.12.0.post1"})
    assert entry(rec).affects(version) is affected


@pytest.mark.parametrize("version", ["0.0.1", "0.0.7", "5.0.0"])
def test_limit_star_is_infinity(version):
    assert _whgm_with([{"introduced": "0"}, {"limit": "*"}]).affects(version) is True


def test_limit_star_is_infinity_pypi():
    rec = derive(record("PYSEC-2017-112"), "limit-star")  # exiv2: introduced 0, no fix
    rec["affected"][0]["ranges"][0]["events"].append({"limit": "*"})
    del rec["affected"][0]["versions"]
    assert entry(rec).affects("0.16.1") is True


# ------------------------------------------------------------------- versions outside the ranges


DJANGO = [
    ("3.1.14", False),
    ("3.2a1", True),  # listed, but below introduced 3.2: affected because it is in `versions`
    ("3.2a2", False),  # neither listed nor in a range
    ("3.2b1", True), ("3.2rc1", True),  # listed, outside ranges
    ("3.2", True), ("3.2.18", True), ("3.2.19", False),
    ("4.0rc1", False), ("4.0", True), ("4.1a1", True), ("4.1.8", True), ("4.1.9", False),
    ("4.2a1", True), ("4.2rc1", True),  # listed, below introduced 4.2 and after fixed 4.1.9
    ("4.2rc2", False),
    ("4.2", True), ("4.2.1", False),
]


@pytest.mark.parametrize("version,affected", DJANGO)
def test_versions_entries_outside_ranges(version, affected):
    rec = record("PYSEC-2023-61")  # django, ranges [3.2,3.2.19) [4.0,4.1.9) [4.2,4.2.1)
    assert "3.2a1" in rec["affected"][0]["versions"]
    assert entry(rec).affects(version) is affected


@pytest.mark.parametrize("version", ["3.2.0a1", "3.2.0rc1", "4.2.0a1"])
def test_listed_versions_compare_by_pep440_equality(version):
    assert entry(record("PYSEC-2023-61")).affects(version) is True


def test_listed_versions_compare_by_pep440_equality_normal_forms():
    e = entry(record("PYSEC-2023-61"))
    assert e.affects("3.2A1") and e.affects("3.2-a1") and e.affects("3.2alpha1") and e.affects("v3.2a1")


def test_versions_outside_ranges_through_scan(db):
    f = scan(db, (PYPI, "Django", "3.2a1"), (PYPI, "django", "3.2a2"), (PYPI, "django", "4.2rc1"))
    assert {(x.component.version, x.id) for x in f} == {("3.2a1", "PYSEC-2023-61"), ("4.2rc1", "PYSEC-2023-61")}


# ------------------------------------------------------------ GIT ranges before ECOSYSTEM ranges


@pytest.mark.parametrize("version,affected", [("0.12.0", False), ("1.0.0", True), ("1.14.0", True),
                                              ("1.15.0", False), ("2.0.0", False)])
def test_git_range_listed_first_is_not_the_end(version, affected):
    rec = record("PYSEC-2019-227")  # tensorflow-cpu: GIT range first, then ECOSYSTEM [1.0.0, 1.15.0); no versions
    rngs = rec["affected"][0]["ranges"]
    assert [r["type"] for r in rngs] == ["GIT", "ECOSYSTEM"] and "versions" not in rec["affected"][0]
    assert entry(rec).affects(version) is affected


def test_git_range_first_through_scan(db):
    (f,) = scan(db, (PYPI, "tensorflow-cpu", "1.14.0"))
    assert f.id == "PYSEC-2019-227"
    assert f.fixed == ("1.15.0",)  # the GIT range's fixed commit is not a version
    assert f.recommended == "1.15.0"
    # PYSEC-2023-74 (requests) is the same shape, with a versions list too
    (g,) = scan(db, (PYPI, "requests", "2.30.0"))
    assert set(g.advisories) == {"PYSEC-2023-74", "GHSA-j8r2-6x86-q33q"} and g.fixed == ("2.31.0",)


# ----------------------------------------------------------- non-PEP 440 versions (0.1-bulbasaur)


PARAMIKO = ["PYSEC-2008-8", "PYSEC-2018-19", "PYSEC-2018-69", "PYSEC-2022-166"]


def test_non_pep440_versions_in_lists_never_crash():
    from packaging.version import InvalidVersion, Version

    legacy = 0
    for p in sorted((FIX / "PyPI").glob("*.json")) + sorted((FIX / "osv-dev-samples").glob("*.json")):
        rec = json.loads(p.read_text())
        for i, e in enumerate(osv.affected_entries(rec)):
            for v in rec["affected"][i].get("versions") or []:
                assert e.affects(v) is True, (rec["id"], v)  # every listed version is affected
                try:
                    Version(v)
                except InvalidVersion:
                    legacy += 1
    assert legacy >= 24  # 0.1-bulbasaur, 0.9-doduo, ... in the paramiko records


@pytest.mark.parametrize("rid,version,affected", [
    ("PYSEC-2008-8", "0.1-bulbasaur", True),  # listed
    ("PYSEC-2018-19", "0.9-ivysaur", True),  # listed
    ("PYSEC-2022-166", "0.1-charmander", True),  # listed
    ("PYSEC-2018-69", "0.1-bulbasaur", False),  # not listed; introduced 1.5.1
    ("PYSEC-2008-8", "0.1-pikachu", True),  # not listed (made up); introduced 0 and below fixed 1.7.2
    ("PYSEC-2018-69", "1.7.7.1", True),  # 4-part version, listed
])
def test_non_pep440_installed_version(rid, version, affected):
    assert entry(record(rid)).affects(version) is affected


def test_non_pep440_installed_version_through_scan(db):
    f = scan(db, (PYPI, "paramiko", "0.1-bulbasaur"))
    assert advisories(f) == {frozenset({"PYSEC-2008-8"}), frozenset({"PYSEC-2018-19"}), frozenset({"PYSEC-2022-166"})}
    # 2.9.3 is the first fix no paramiko record affects (2.0.8 is still in PYSEC-2018-69 / PYSEC-2022-166)
    assert {x.recommended for x in f} == {"2.9.3"}


# ----------------------------------------------------------------------------------- withdrawn


def test_withdrawn_record_still_carries_affected_data():
    rec = record("PYSEC-2023-73")  # redis: withdrawn, introduced 0 + 114 listed versions
    assert rec["withdrawn"]
    assert entry(rec).affects("4.5.3") and entry(rec).affects("5.0.0rc1")


def test_withdrawn_skipped_by_default_included_on_request(db):
    comps = [(PYPI, "redis", "4.5.3"), (PYPI, "redis", "5.0.0rc1"), (NPM, "@ctrl/plex", "6.0.0")]
    default = scan(db, *comps)
    assert {(x.component.name, x.component.version, x.advisories) for x in default} == {
        ("redis", "4.5.3", ("PYSEC-2023-46",))}  # PYSEC-2023-45 is fixed in 4.5.3; PYSEC-2023-73 withdrawn
    assert default[0].fixed == ("4.5.4",) and default[0].recommended == "4.5.4"

    everything = scan(db, *comps, include_withdrawn=True)
    assert {(x.component.name, x.component.version, x.advisories) for x in everything} == {
        ("redis", "4.5.3", ("PYSEC-2023-46",)), ("redis", "4.5.3", ("PYSEC-2023-73",)),
        ("redis", "5.0.0rc1", ("PYSEC-2023-73",)), ("@ctrl/plex", "6.0.0", ("MAL-2026-4377",))}
    # the withdrawn record has no fix and covers every version: no upgrade is clean
    assert {x.recommended for x in everything if x.component.name == "redis"} == {None}


# --------------------------------------------------------------- per-entry ecosystem filtering


def test_other_ecosystems_entries_stay_with_their_ecosystem():
    from pkgscan.vulns.advisory import Advisory

    rec = record("GHSA-8hfj-j24r-96c4")  # moment (npm) + Moment.js (NuGet): NuGet names are case-insensitive
    assert [a["package"]["ecosystem"] for a in rec["affected"]] == ["npm", "NuGet"]
    assert [(e.ecosystem, e.name) for e in osv.affected_entries(rec)] == [("npm", "moment"), ("NuGet", "moment.js")]
    adv = Advisory.from_osv(rec)
    assert [e.ecosystem for e in adv.entries("npm", "moment")] == ["npm"]
    assert adv.entries("NuGet", "moment") == []
    rec = record("GHSA-f2jv-r9rf-7988")  # handlebars (npm) + 3 Maven packages
    assert [e.ecosystem for e in osv.affected_entries(rec)] == ["npm", "Maven", "Maven", "Maven"]
    assert not Advisory.from_osv(rec).affects("Maven", "handlebars", "4.0.0")


def test_other_ecosystems_through_scan(db):
    f = scan(db, (NPM, "moment", "2.17.1"), (NPM, "moment", "2.29.1"), (NPM, "moment", "2.29.2"),
             (NPM, "moment", "2.29.4"), (NPM, "Moment.js", "2.29.1"), (PYPI, "moment", "2.29.1"),
             (NPM, "handlebars", "4.7.6"), (PYPI, "handlebars", "4.7.6"))
    assert {(x.component.ecosystem, x.component.name, x.component.version, x.id) for x in f} == {
        ("npm", "moment", "2.17.1", "GHSA-8hfj-j24r-96c4"),  # below wc69's introduced 2.18.0
        ("npm", "moment", "2.29.1", "GHSA-8hfj-j24r-96c4"), ("npm", "moment", "2.29.1", "GHSA-wc69-rhjr-hc9g"),
        ("npm", "moment", "2.29.2", "GHSA-wc69-rhjr-hc9g"),
        ("npm", "handlebars", "4.7.6", "GHSA-f2jv-r9rf-7988")}


# ---------------------------------------------------------------- PyPI name normalization


@pytest.mark.parametrize("name", ["PyYAML", "pyyaml", "PYYAML", "PyYaml"])
def test_pypi_names_normalized_on_both_sides(name, db):
    assert record("GHSA-8q59-q68h-6hv4")["affected"][0]["package"]["name"] == "PyYAML"
    assert record("PYSEC-2021-142")["affected"][0]["package"]["name"] == "pyyaml"
    assert entry(record("GHSA-8q59-q68h-6hv4")).name == "pyyaml"
    (f,) = scan(db, (PYPI, name, "5.3.1"))
    # one vulnerability, two records (PYSEC-2021-142 lists the GHSA id, the GHSA lists only the CVE)
    assert set(f.advisories) == {"GHSA-8q59-q68h-6hv4", "PYSEC-2021-142"}
    assert set(f.ids) == {"GHSA-8q59-q68h-6hv4", "PYSEC-2021-142", "CVE-2020-14343"}
    assert f.fixed == ("5.4",) and f.recommended == "5.4"


@pytest.mark.parametrize("name", ["py_yaml", "py-yaml", "Py.Yaml"])
def test_pypi_separator_makes_a_different_project(name, db):
    # PEP 503: "py_yaml" normalizes to "py-yaml", which is not "pyyaml" (no separator): no match
    assert scan(db, (PYPI, name, "5.3.1")) == ()


@pytest.mark.parametrize("name", ["jw.util", "jw-util", "jw_util", "JW.Util", "jw__util"])
def test_pypi_record_name_with_separator(name, db):
    rec = record("PYSEC-2020-341")  # the record names "jw.util" (not normalized)
    assert rec["affected"][0]["package"]["name"] == "jw.util" and entry(rec).name == "jw-util"
    (f,) = scan(db, (PYPI, name, "2.2"))
    assert f.id == "PYSEC-2020-341" and f.fixed == ("2.3",)
    assert scan(db, (PYPI, name, "2.3")) == ()


# ------------------------------------------------------- npm names case-sensitive, scoped


def test_npm_names_are_case_sensitive(db):
    assert record("GHSA-8hc4-vh64-cxmj")["affected"][0]["package"]["name"] == "Axios"  # upstream data error
    f = scan(db, (NPM, "axios", "1.5.0"), (NPM, "axios", "1.7.0"), (NPM, "Axios", "1.7.0"))
    # what the data says: GHSA-8hc4 names "Axios", which is not the npm package "axios"
    assert {(x.component.name, x.component.version, x.id) for x in f} == {
        ("axios", "1.5.0", "GHSA-wf5p-g6vw-rhxx"), ("Axios", "1.7.0", "GHSA-8hc4-vh64-cxmj")}
    ax = next(x for x in f if x.component.name == "axios")
    assert ax.recommended == "1.6.0"  # GHSA-8hc4 ([1.3.2, 1.7.4)) is not a record of "axios"


def test_npm_scoped_names(db):
    assert make_purl(NPM, "@cypress/request", "2.88.11") == "pkg:npm/%40cypress/request@2.88.11"
    f = scan(db, (NPM, "@cypress/request", "2.88.11"), (NPM, "@Cypress/request", "2.88.11"),
             (NPM, "cypress/request", "2.88.11"), (NPM, "request", "2.88.11"),
             (NPM, "@ctrl/plex", "6.0.0"), (NPM, "plex", "6.0.0"), include_withdrawn=True)
    assert {(x.component.name, x.id) for x in f} == {
        ("@cypress/request", "GHSA-p8p7-x288-28g6"), ("@ctrl/plex", "MAL-2026-4377")}


# ------------------------------------------------------------ npm ECOSYSTEM vs SEMVER ranges


NPM_VERSIONS = ["0.0.0", "0.0.1", "0.0.7", "0.0.8-rc.1", "0.0.8", "0.0.9", "1.0.0"]


@pytest.mark.parametrize("version", NPM_VERSIONS)
def test_npm_semver_and_ecosystem_ranges_mean_the_same(version):
    real = record("GHSA-whgm-jr23-g3j9")  # osv.dev's form: SEMVER
    assert real["affected"][0]["ranges"][0]["type"] == "SEMVER"
    as_ecosystem = derive(real, "ecosystem")  # GitHub's own files use ECOSYSTEM for the same range
    as_ecosystem["affected"][0]["ranges"][0]["type"] = "ECOSYSTEM"
    assert entry(real).affects(version) is entry(as_ecosystem).affects(version)
    assert entry(real).affects(version) is (version not in ("0.0.8", "0.0.9", "1.0.0"))


EXPRESS = [("4.19.1", True, True), ("4.19.2", False, True), ("4.20.0", False, False),
           ("5.0.0-alpha.0", False, False), ("5.0.0-alpha.1", True, True), ("5.0.0-beta.2", True, True),
           ("5.0.0-beta.3", False, True), ("5.0.0", False, False)]


@pytest.mark.parametrize("version,rv95,qw6h", EXPRESS)
def test_npm_ecosystem_ranges_use_semver_prerelease_order(version, rv95, qw6h):
    for rid, expected in (("GHSA-rv95-896h-c2vc", rv95), ("GHSA-qw6h-vgh9-j6wx", qw6h)):
        rec = record(rid)
        assert all(r["type"] == "ECOSYSTEM" for a in rec["affected"] for r in a["ranges"])
        got = any(e.affects(version) for e in osv.affected_entries(rec))
        as_semver = derive(rec, "semver")
        for a in as_semver["affected"]:
            for r in a["ranges"]:
                r["type"] = "SEMVER"
        assert got is expected, (rid, version)
        assert any(e.affects(version) for e in osv.affected_entries(as_semver)) is expected


def test_semver_record_through_scan(db):
    (f,) = scan(db, (NPM, "ansi-html", "0.0.7"))
    assert f.id == "GHSA-whgm-jr23-g3j9" and f.fixed == ("0.0.8",) and f.recommended == "0.0.8"
    assert scan(db, (NPM, "ansi-html", "0.0.8")) == ()


# -------------------------------------------------------------------------- asymmetric aliases


def test_aliases_are_asymmetric_in_the_data():
    assert record("PYSEC-2023-74")["aliases"] == ["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"]
    assert record("GHSA-j8r2-6x86-q33q")["aliases"] == ["CVE-2023-32681"]


def test_asymmetric_aliases_grouped_into_one_finding(db):
    (f,) = scan(db, (PYPI, "requests", "2.30.0"))
    assert set(f.advisories) == {"GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"}
    assert set(f.ids) == {"GHSA-j8r2-6x86-q33q", "PYSEC-2023-74", "CVE-2023-32681"}
    assert f.id == f.ids[0] and len(f.ids) == 3


def test_one_directional_alias_is_enough(tmp_path):
    # derived: the GHSA record with no aliases at all; only PYSEC-2023-74 points at it
    ghsa = copy.deepcopy(record("GHSA-j8r2-6x86-q33q"))
    ghsa["aliases"] = []
    ghsa["modified"] = "2099-01-01T00:00:00Z"
    db = build_db(tmp_path, FIX / "PyPI" / "PYSEC-2023-74.json", ghsa)
    try:
        (f,) = scan(db, (PYPI, "requests", "2.30.0"))
        assert set(f.advisories) == {"GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"}
        assert set(f.ids) == {"GHSA-j8r2-6x86-q33q", "PYSEC-2023-74", "CVE-2023-32681"}
    finally:
        db.close()


def test_requests_2_2_1_findings_and_fixes(db):
    # requests 2.2.1: PYSEC-2014-13/-14 (fixed 2.3.0), PYSEC-2015-17 [2.1.0, 2.6.0), PYSEC-2018-28 (fixed 2.20.0)
    f = scan(db, (PYPI, "requests", "2.2.1"))
    assert advisories(f) == {frozenset({"PYSEC-2014-13"}), frozenset({"PYSEC-2014-14"}),
                             frozenset({"PYSEC-2015-17"}), frozenset({"PYSEC-2018-28"})}
    assert {x.id: x.fixed for x in f} == {"PYSEC-2014-13": ("2.3.0",), "PYSEC-2014-14": ("2.3.0",),
                                         "PYSEC-2015-17": ("2.6.0",), "PYSEC-2018-28": ("2.20.0",)}


def test_recommended_upgrade_is_not_itself_vulnerable(db):
    f = scan(db, (PYPI, "requests", "2.2.1"))
    assert {x.recommended for x in f} == {"2.31.0"}


# ---------------------------------------------------------------------------------- malicious


def test_malicious_records(db):
    f = scan(db, (PYPI, "123bla", "0.0.1"), (PYPI, "123bla", "0.0.2"), (NPM, "ansi-regex", "6.2.1"),
             (NPM, "ansi-regex", "6.0.0"), (NPM, "debug", "4.4.2"), (NPM, "debug", "2.6.9"))
    got = {(x.component.name, x.component.version): x for x in f}
    assert set(got) == {("123bla", "0.0.1"), ("ansi-regex", "6.2.1"), ("ansi-regex", "6.0.0"), ("debug", "4.4.2")}
    for key, rid in ((("123bla", "0.0.1"), "MAL-2024-10238"), (("ansi-regex", "6.2.1"), "MAL-2025-46966"),
                     (("debug", "4.4.2"), "MAL-2025-46974")):
        x = got[key]
        assert x.id == rid and x.malicious is True
        assert x.severity.rating == "critical" and x.severity.source == "malicious"
        assert x.fixed == () and x.recommended is None
    assert set(got[("debug", "4.4.2")].ids) == {"MAL-2025-46974", "GHSA-8mgj-vmr8-frr6", "GHSA-4x49-vf9v-38px"}
    assert set(got[("ansi-regex", "6.2.1")].ids) == {"MAL-2025-46966", "GHSA-jvhh-2m83-6w29"}
    benign = got[("ansi-regex", "6.0.0")]  # GHSA-93q8: [6.0.0, 6.0.1)
    assert benign.id == "GHSA-93q8-gq69-wqmw" and benign.malicious is False and benign.severity.rating == "high"


# ----------------------------------------------- osv.dev's versions of the same ids (different content)


SAMPLE_IDS = ["PYSEC-2020-148", "PYSEC-2020-43", "PYSEC-2020-73", "PYSEC-2021-98", "PYSEC-2023-62", "PYSEC-2023-74"]


def _probe_versions(a: dict, b: dict) -> set[str]:
    out = {"0", "0.0.1", "99.0"}
    for rec in (a, b):
        for aff in rec["affected"]:
            out.update(aff.get("versions") or [])
            for r in aff.get("ranges", []):
                if r["type"] != "GIT":
                    for ev in r["events"]:
                        out.update(ev.values())
    return out


@pytest.mark.parametrize("rid", SAMPLE_IDS)
def test_osv_dev_form_gives_the_same_answers(rid):
    pypa, served = record(rid, "PyPI"), record(rid, "osv-dev-samples")
    assert pypa != served  # different content ...
    e1, e2 = entry(pypa), entry(served)
    for v in sorted(_probe_versions(pypa, served)):
        assert e1.affects(v) is e2.affects(v), (rid, v)  # ... the same answers (same ranges)


def test_osv_dev_extra_listed_versions_are_inside_the_range():
    # osv.dev lists 0.0.0.dev3 / 0.0.0.dev4 for flask-cors; PyPA's record covers them by introduced 0
    pypa, served = record("PYSEC-2020-43", "PyPI"), record("PYSEC-2020-43", "osv-dev-samples")
    assert "0.0.0.dev3" in served["affected"][0]["versions"] and "0.0.0.dev3" not in pypa["affected"][0]["versions"]
    assert entry(pypa).affects("0.0.0.dev3") and entry(served).affects("0.0.0.dev3")


@pytest.mark.parametrize("order", ["pypa-first", "osv-dev-first"])
def test_newer_record_of_the_same_id_wins(order, tmp_path):
    srcs = [FIX / "PyPI" / f"{rid}.json" for rid in SAMPLE_IDS] + [FIX / "osv-dev-samples"]
    if order == "osv-dev-first":
        srcs = srcs[-1:] + srcs[:-1]
    db = build_db(tmp_path, *srcs)
    try:
        stored = db.records(SAMPLE_IDS)
        for rid in SAMPLE_IDS:
            assert stored[rid]["modified"] == record(rid, "osv-dev-samples")["modified"]
        (f,) = scan(db, (PYPI, "django", "3.2.3"))
        assert f.id == "PYSEC-2021-98" and f.fixed == ("3.2.4",) and f.recommended == "3.2.4"
        # osv.dev's copy adds the Bitnami alias
        assert set(f.ids) == {"PYSEC-2021-98", "CVE-2021-33203", "GHSA-68w8-qjq3-2gfm", "BIT-django-2021-33203"}
        (g,) = scan(db, (PYPI, "flask-cors", "0.0.0.dev3"))
        assert g.id == "PYSEC-2020-43"
    finally:
        db.close()


def test_record_is_judged_by_its_own_content():
    from pkgscan.vulns.matcher import record_affects

    real = record("PYSEC-2021-114")
    assert record_affects(real, ("PyPI", "wagtail", "2.11.6")) is True  # listed
    other = copy.deepcopy(real)  # same id and modified, versions list dropped (derived)
    del other["affected"][0]["versions"]
    assert record_affects(other, ("PyPI", "wagtail", "2.11.6")) is False  # the sorted range walk: fixed
