"""Online sources against loopback servers: the OSV API client and the PyPI (pip-audit) source.

The servers (tests/servers) serve the committed real OSV exports and decide "affected" with their
own implementation of the OSV evaluation algorithm, so "online == offline" cross-checks pkgscan's
matcher too.
"""
from __future__ import annotations

import importlib.util
import json
import sys
import zipfile
from functools import partial

import pytest
from click.testing import CliRunner

from pkgscan.cli import main
from pkgscan.scan import scan_path, scan_vulnerabilities, vulnerability_sources
from pkgscan.vulns import osv_api as osv_api_module
from pkgscan.http import session as make_session
from pkgscan.vulns.matcher import OfflineSource, match, package_key, record_affects
from pkgscan.vulns.osv import normalize_name
from pkgscan.vulns.osv_api import OsvApiError, OsvApiSource
from pkgscan.vulns.pypi_source import PIP_AUDIT_REQUIREMENT, PyPIError, PyPISource
from pkgscan.vulns.store import AdvisoryDB, import_path, writer

from .conftest import SAMPLES
from .servers import EXPORTS, affects, load_records
from .servers.osv_api import OsvApiServer
from .servers.pypi_json import PyPIJsonServer

needs_pip_audit = pytest.mark.skipif(importlib.util.find_spec("pip_audit") is None,
                                     reason=f"--source pypi needs {PIP_AUDIT_REQUIREMENT}")

# the loopback OSV API serves the PyPI and npm exports (tests/servers): the samples of those ecosystems
SAMPLE_ZIPS = sorted(p for p in SAMPLES.glob("*.zip") if p.name.startswith(("python-", "node-")))
PY_SAMPLES = [z for z in SAMPLE_ZIPS if z.name.startswith("python")]


# ------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def db_dir(advisory_db_dir):
    """The committed exports (EXPORTS), imported once per session (tests/conftest.py; read-only)."""
    return advisory_db_dir


@pytest.fixture(scope="module")
def db(advisory_db):
    return advisory_db


def _db_of(tmp_path_factory, name, keep):
    """An offline database of the committed records that ``keep(record)`` selects."""
    d = tmp_path_factory.mktemp(name)
    src = d / "records.zip"  # an export zip, as OSV publishes them
    with zipfile.ZipFile(src, "w") as zf:
        for r in load_records():
            if keep(r):
                zf.writestr(f"{r['id']}.json", json.dumps(r))
    with writer(d) as w:
        import_path(w, src)
    return AdvisoryDB(d)


@pytest.fixture(scope="module")
def db_pysec(tmp_path_factory):
    """Only the PyPA advisory database's records (what PyPI serves)."""
    return _db_of(tmp_path_factory, "pysec", lambda r: r["id"].startswith("PYSEC-"))


@pytest.fixture(scope="module")
def db_no_pysec(tmp_path_factory):
    """Everything but the PYSEC records (GHSA, MAL): PyPI then brings findings of its own."""
    return _db_of(tmp_path_factory, "nopysec", lambda r: not r["id"].startswith("PYSEC-"))


@pytest.fixture(scope="module")
def inventories():
    return {z.name: scan_path(z) for z in SAMPLE_ZIPS}


@pytest.fixture(scope="module")
def _osv_server():
    with OsvApiServer() as s:
        yield s


@pytest.fixture
def osv(_osv_server):
    _osv_server.reset()
    _osv_server.page_size = None
    return _osv_server


@pytest.fixture(scope="module")
def _pypi_server(inventories):
    names = {c.name for inv in inventories.values() for c in inv.components if c.ecosystem == "pypi"}
    with PyPIJsonServer(projects=names) as s:
        yield s


@pytest.fixture
def pypi(_pypi_server):
    _pypi_server.reset()
    return _pypi_server


def fast_http(retries=3):
    """pkgscan's retrying session without the exponential backoff (tests stay fast)."""
    return make_session(retries=retries, backoff=0)


def _view(findings):
    """Everything a report shows about a finding, in a comparable form."""
    return [
        (f.component.purl, f.component.version, f.id, f.ids, f.advisories, f.summary, f.severity, f.fixed,
         f.recommended, f.malicious, f.references, f.labels)
        for f in findings
    ]


def _run(args, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no ignore file discovered from the repository
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return CliRunner().invoke(main, args, catch_exceptions=False)


# --------------------------------------------------------------- the test server's own matcher
_ids = iter(range(1, 10_000))


def _rec(affected):
    # unique ids: an OSV id names one record content
    return {"id": f"TEST-{next(_ids)}", "modified": "2024-01-01T00:00:00Z", "affected": affected}


def _pkg(eco, name, ranges=(), versions=None):
    e = {"package": {"ecosystem": eco, "name": name}, "ranges": list(ranges)}
    if versions is not None:
        e["versions"] = versions
    return e


def _eco(*events, rtype="ECOSYSTEM"):
    return {"type": rtype, "events": [dict([e]) for e in events]}


EDGE_CASES = [
    # (record, (ecosystem, name, version), affected?)
    (_rec([_pkg("PyPI", "p", [_eco(("introduced", "0"), ("fixed", "2.0"))])]), ("PyPI", "p", "1.9"), True),
    (_rec([_pkg("PyPI", "p", [_eco(("introduced", "0"), ("fixed", "2.0"))])]), ("PyPI", "p", "2.0.0"), False),
    (_rec([_pkg("PyPI", "p", [_eco(("introduced", "0"), ("fixed", "2.0"))])]), ("PyPI", "p", "2.0rc1"), True),
    # events out of order are sorted before they are walked
    (_rec([_pkg("PyPI", "p", [_eco(("fixed", "2.0"), ("introduced", "3.0"), ("introduced", "1.0"), ("fixed", "3.5"))])]),
     ("PyPI", "p", "2.5"), False),
    (_rec([_pkg("PyPI", "p", [_eco(("fixed", "2.0"), ("introduced", "3.0"), ("introduced", "1.0"), ("fixed", "3.5"))])]),
     ("PyPI", "p", "3.2"), True),
    # last_affected is inclusive
    (_rec([_pkg("PyPI", "p", [_eco(("introduced", "1.0"), ("last_affected", "1.5"))])]), ("PyPI", "p", "1.5"), True),
    (_rec([_pkg("PyPI", "p", [_eco(("introduced", "1.0"), ("last_affected", "1.5"))])]), ("PyPI", "p", "1.5.1"), False),
    # limit caps the range
    (_rec([_pkg("npm", "n", [_eco(("introduced", "0"), ("limit", "2.0.0"))])]), ("npm", "n", "1.9.9"), True),
    (_rec([_pkg("npm", "n", [_eco(("introduced", "0"), ("limit", "2.0.0"))])]), ("npm", "n", "2.0.0"), False),
    (_rec([_pkg("npm", "n", [_eco(("introduced", "1.0.0"), ("limit", "*"))])]), ("npm", "n", "9.0.0"), True),
    # SemVer precedence: pre-releases before the release, numeric identifiers numerically
    (_rec([_pkg("npm", "n", [_eco(("introduced", "0"), ("fixed", "1.0.0"))])]), ("npm", "n", "1.0.0-rc.10"), True),
    (_rec([_pkg("npm", "n", [_eco(("introduced", "1.0.0-rc.2"), ("fixed", "1.0.0"))])]), ("npm", "n", "1.0.0-rc.10"), True),
    (_rec([_pkg("npm", "n", [_eco(("introduced", "1.0.0-rc.2"), ("fixed", "1.0.0"))])]), ("npm", "n", "1.0.0-rc.1"), False),
    (_rec([_pkg("npm", "n", [_eco(("introduced", "0"), ("fixed", "1.2.3"), rtype="SEMVER")])]), ("npm", "n", "1.2.3+build"), False),
    # GIT ranges are skipped, the other ranges still count
    (_rec([_pkg("PyPI", "p", [{"type": "GIT", "repo": "x", "events": [{"introduced": "0"}, {"fixed": "abc"}]},
                              _eco(("introduced", "0"), ("fixed", "1.0"))])]), ("PyPI", "p", "0.5"), True),
    (_rec([_pkg("PyPI", "p", [{"type": "GIT", "repo": "x", "events": [{"introduced": "0"}]}])]), ("PyPI", "p", "0.5"), False),
    # the versions list, with PEP 440 equality for PyPI
    (_rec([_pkg("PyPI", "p", [], versions=["1.0.0rc1", "2.0"])]), ("PyPI", "p", "1.0.0-rc1"), True),
    (_rec([_pkg("PyPI", "p", [], versions=["1.0.0rc1", "2.0"])]), ("PyPI", "p", "2.1"), False),
    (_rec([_pkg("PyPI", "p", [], versions=["1.0.0rc1", "2.0"])]), ("PyPI", "p", "2.0.0"), True),
    # a string PEP 440 rejects sorts before every valid version (real: PYSEC-2019-125 fixed "2019-09-12")
    (_rec([_pkg("PyPI", "p", [_eco(("introduced", "0"), ("fixed", "2019-09-12"))])]), ("PyPI", "p", "0.1"), False),
    # per-entry ecosystem and PyPI name normalization
    (_rec([_pkg("Maven", "n", [_eco(("introduced", "0"))]), _pkg("npm", "n", [_eco(("introduced", "5.0.0"))])]),
     ("npm", "n", "1.0.0"), False),
    (_rec([_pkg("PyPI", "Foo_Bar.baz", [_eco(("introduced", "0"))])]), ("PyPI", "foo-bar-baz", "1"), True),
    (_rec([_pkg("npm", "Foo", [_eco(("introduced", "0"))])]), ("npm", "foo", "1.0.0"), False),
]


@pytest.mark.parametrize("record,key,expected", EDGE_CASES)
def test_server_matcher_spec_edge_cases(record, key, expected):
    eco, name, version = key
    assert affects(record, eco, name, version) is expected


@pytest.mark.parametrize("record,key,expected", EDGE_CASES)
def test_pkgscan_matcher_agrees_on_spec_edge_cases(record, key, expected):
    eco, name, version = key
    assert record_affects(record, (eco, normalize_name(eco, name), version)) is expected


def test_querybatch_rejects_more_than_1000_queries(osv):
    import requests

    q = {"package": {"ecosystem": "PyPI", "name": "requests"}, "version": "2.19.1"}
    r = requests.post(f"{osv.url}/v1/querybatch", json={"queries": [q] * 1001}, timeout=10)
    assert r.status_code == 400
    r = requests.post(f"{osv.url}/v1/querybatch", json={"queries": [q] * 1000}, timeout=10)
    assert r.status_code == 200 and len(r.json()["results"]) == 1000
    assert set(r.json()["results"][0]) == {"vulns"}
    assert all(set(v) == {"id", "modified"} for v in r.json()["results"][0]["vulns"])
    assert requests.get(f"{osv.url}/v1/vulns/NOPE-1", timeout=10).status_code == 404


# ----------------------------------------------------------------------- online == offline
@pytest.mark.parametrize("include_withdrawn", [False, True], ids=["default", "withdrawn"])
@pytest.mark.parametrize("zip_path", SAMPLE_ZIPS, ids=lambda p: p.name)
def test_online_findings_equal_offline(zip_path, include_withdrawn, db, osv, inventories):
    inv = inventories[zip_path.name]
    offline = match(inv, [OfflineSource(db)], include_withdrawn=include_withdrawn)
    src = OsvApiSource(osv.url, http=fast_http())
    online = match(inv, [src], include_withdrawn=include_withdrawn)
    assert offline, "every sample has known-vulnerable pins"
    assert _view(online) == _view(offline)
    # one batch for the installed versions, one for all records of the vulnerable packages
    assert osv.counts["querybatch"] == src.calls["querybatch"] == 2


def test_online_equals_offline_with_paging(db, osv, inventories):
    osv.page_size = 2
    for name in ("python-function.zip", "node-function.zip"):
        inv = inventories[name]
        osv.reset()
        src = OsvApiSource(osv.url, http=fast_http())
        assert _view(match(inv, [src])) == _view(match(inv, [OfflineSource(db)]))
        # urllib3 1.23 alone has more than a dozen records: several pages
        assert osv.paged_calls >= (3 if name.startswith("python") else 1), "next_page_token paging exercised"
        assert src.calls["querybatch"] == osv.counts["querybatch"] == 2 + osv.paged_calls


def _advisory_keys(n):
    """n (ecosystem, name, version) keys at the edges of the committed records' ranges and lists."""
    keys = set()
    for r in load_records():
        for a in r.get("affected") or []:
            eco = a["package"]["ecosystem"]
            if eco not in ("PyPI", "npm"):
                continue
            name = normalize_name(eco, a["package"]["name"])
            for rng in a.get("ranges") or []:
                if rng.get("type") != "GIT":
                    keys.update((eco, name, str(v)) for ev in rng["events"] for v in ev.values() if v != "0")
            keys.update((eco, name, str(v)) for v in (a.get("versions") or [])[::11])
    keys = sorted(keys)
    step = len(keys) / n
    return [keys[int(i * step)] for i in range(n)]


def test_2500_queries_batched_and_cross_checked(db, osv):
    keys = _advisory_keys(2500)
    assert len(set(keys)) == 2500
    src = OsvApiSource(osv.url, http=fast_http())
    online = src.query(keys)
    assert osv.batch_sizes == [1000, 1000, 500]
    assert src.calls["querybatch"] == osv.counts["querybatch"] == 3
    # each record fetched once, however many packages it affects
    assert max(osv.vulns_by_id.values()) == 1
    assert osv.counts["vulns"] == len({r.id for recs in online.values() for r in recs})
    # the server's independent matcher and pkgscan's offline one agree at every range edge
    offline = OfflineSource(db).query(keys)
    diff = {k: (sorted(r.id for r in offline.get(k, [])), sorted(r.id for r in online.get(k, [])))
            for k in keys}
    diff = {k: v for k, v in diff.items() if v[0] != v[1]}
    assert not diff
    assert sum(1 for k in keys if k in online) > 1000


def test_retries_429_and_503(db, osv, inventories):
    inv = inventories["python-function.zip"]
    osv.fail_next("querybatch", 429, count=2, retry_after="0")
    osv.fail_next("vulns", 503, count=2, retry_after="0")
    src = OsvApiSource(osv.url, http=make_session())  # the default retry policy
    assert _view(match(inv, [src])) == _view(match(inv, [OfflineSource(db)]))
    assert osv.faults_served[("querybatch", 429)] == 2
    assert osv.faults_served[("vulns", 503)] == 2
    # retried below pkgscan, inside the HTTP session: 2 refused + what pkgscan asked
    assert osv.counts["querybatch"] == src.calls["querybatch"] + 2
    assert osv.counts["vulns"] == src.calls["vulns"] + 2


def test_vulns_fetched_once_then_from_cache_dir(osv, inventories, tmp_path):
    keys = sorted({package_key(c) for inv in inventories.values() for c in inv.components})
    src = OsvApiSource(osv.url, cache_dir=tmp_path, http=fast_http())
    first = src.query(keys)
    ids = {r.id for recs in first.values() for r in recs}
    assert osv.counts["vulns"] == len(ids) == src.calls["vulns"]
    assert set(osv.vulns_by_id.values()) == {1}
    src.query(keys)  # same instance: in memory
    assert osv.counts["vulns"] == len(ids)
    again = OsvApiSource(osv.url, cache_dir=tmp_path, http=fast_http())
    assert again.query(keys) == first
    assert osv.counts["vulns"] == len(ids), "second run served /v1/vulns from cache_dir"
    assert again.calls["cache_hits"] == len(ids) and again.calls["vulns"] == 0
    assert osv.counts["querybatch"] == 3  # querybatch is never cached


# ----------------------------------------------------------------------------- failures
def test_server_down_is_a_clear_error(inventories, closed_port):
    src = OsvApiSource(f"http://127.0.0.1:{closed_port}", http=fast_http(retries=1))
    with pytest.raises(OsvApiError, match=r"OSV API unreachable at http://127\.0\.0\.1:\d+"):
        match(inventories["python-function.zip"], [src])


@pytest.mark.parametrize("endpoint", ["querybatch", "vulns"])
def test_500_forever_is_a_clear_error(osv, inventories, endpoint):
    osv.fail_forever(endpoint, 500)
    src = OsvApiSource(osv.url, http=fast_http(retries=2))
    with pytest.raises(OsvApiError, match="answered HTTP 500") as exc:
        match(inventories["python-function.zip"], [src])
    assert "\n" not in str(exc.value)
    assert osv.faults_served[(endpoint, 500)] >= 3  # 1 try + 2 retries


@pytest.mark.parametrize("mode", ["down", "500"])
def test_cli_osv_api_failure_exits_2(osv, mode, monkeypatch, tmp_path, closed_port):
    # The CLI's own session retries 5 times with exponential backoff (15 s); keep the policy,
    # drop the waiting.
    monkeypatch.setattr(osv_api_module, "make_session", partial(make_session, backoff=0))
    url = f"http://127.0.0.1:{closed_port}" if mode == "down" else osv.url
    if mode == "500":
        osv.fail_forever("querybatch", 500)
    res = _run(["scan", str(SAMPLES / "python-function.zip"), "--osv-api", url, "-f", "json"], monkeypatch, tmp_path)
    assert res.exit_code == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pkgscan: error: OSV API"), res.stderr


# ---------------------------------------------------------------------------------- CLI JSON
@pytest.mark.parametrize("zip_path", SAMPLE_ZIPS, ids=lambda p: p.name)
def test_cli_json_online_equals_offline(zip_path, db_dir, osv, monkeypatch, tmp_path):
    off = _run(["scan", str(zip_path), "--db", str(db_dir), "-f", "json"], monkeypatch, tmp_path)
    on = _run(["scan", str(zip_path), "--osv-api", osv.url, "-f", "json"], monkeypatch, tmp_path)
    assert off.exit_code == on.exit_code == 0, (off.stderr, on.stderr)
    a, b = json.loads(off.stdout), json.loads(on.stdout)
    assert a["findings"] and a["findings"] == b["findings"]
    assert a["summary"] == b["summary"]
    assert b["database"]["source"] == f"osv-api:{osv.url}"


# --------------------------------------------------------------------------------- PyPI source
@needs_pip_audit
@pytest.mark.parametrize("zip_path", PY_SAMPLES, ids=lambda p: p.name)
def test_pypi_only_equals_offline_pysec(zip_path, db_pysec, pypi, inventories, tmp_path):
    """PyPI serves the PyPA database: the same vulnerabilities, ids and fix versions as its records."""
    inv = inventories[zip_path.name]
    src = PyPISource(base_url=pypi.url, cache_dir=tmp_path)
    via_pypi = match(inv, [src])
    offline = match(inv, [OfflineSource(db_pysec)])
    assert via_pypi
    # (PyPI serves no severity: those findings are "unknown")
    key = lambda f: (f.component.purl, f.id, f.ids, f.advisories, f.fixed, f.recommended)  # noqa: E731
    assert [key(f) for f in via_pypi] == [key(f) for f in offline]
    assert src.warnings == ()
    assert pypi.counts["release"] == len(inv.components)  # one request per package
    assert all(f.summary for f in via_pypi)


@needs_pip_audit
@pytest.mark.parametrize("zip_path", PY_SAMPLES, ids=lambda p: p.name)
def test_pypi_merged_with_offline_reports_each_vulnerability_once(zip_path, db, pypi, inventories, tmp_path):
    inv = inventories[zip_path.name]
    merged = match(inv, [OfflineSource(db), PyPISource(base_url=pypi.url, cache_dir=tmp_path)])
    assert _view(merged) == _view(match(inv, [OfflineSource(db)]))
    if zip_path.name == "python-function.zip":
        req = [f for f in merged if f.component.name == "requests" and "PYSEC-2018-28" in f.ids]
        assert len(req) == 1 and req[0].advisories == ("PYSEC-2018-28",)
        assert set(req[0].ids) >= {"PYSEC-2018-28", "CVE-2018-18074", "GHSA-x84v-xcm2-53pg"}


@needs_pip_audit
def test_pypi_findings_merge_by_alias_with_osv_records(db_no_pysec, pypi, inventories, tmp_path):
    """PYSEC-2023-74 (from PyPI only) and GHSA-j8r2-6x86-q33q (offline) are one vulnerability."""
    inv = inventories["python-function.zip"]
    merged = match(inv, [OfflineSource(db_no_pysec), PyPISource(base_url=pypi.url, cache_dir=tmp_path)])
    hits = [f for f in merged if f.component.name == "requests" and "CVE-2023-32681" in f.ids]
    assert len(hits) == 1
    f = hits[0]
    assert f.id == "GHSA-j8r2-6x86-q33q"
    assert f.advisories == ("GHSA-j8r2-6x86-q33q", "PYSEC-2023-74")
    assert set(f.ids) == {"GHSA-j8r2-6x86-q33q", "PYSEC-2023-74", "CVE-2023-32681"}
    assert f.severity.source == "CVSS_V3" and f.severity.rating == "medium"  # from the GHSA record
    assert f.fixed == ("2.31.0",) and f.recommended == "2.31.0"
    # PyPI-only vulnerabilities are there too, with remediation from PyPI's fix versions
    only = [f for f in merged if f.component.name == "requests" and f.id == "PYSEC-2018-28"]
    assert len(only) == 1 and only[0].fixed == ("2.20.0",)


@needs_pip_audit
def test_pypi_skips_unknown_packages_with_a_warning(pypi, tmp_path, caplog):
    src = PyPISource(base_url=pypi.url, cache_dir=tmp_path)
    keys = [("PyPI", "requests", "2.19.1"), ("PyPI", "surely-not-on-pypi", "1.0"), ("PyPI", "requests", "not.a.version!"),
            ("npm", "lodash", "4.17.15")]
    with caplog.at_level("WARNING", logger="pkgscan"):
        out = src.query(keys)
    assert set(out) == {("PyPI", "requests", "2.19.1")}
    assert {r.id for r in out[("PyPI", "requests", "2.19.1")]} == {"PYSEC-2018-28", "PYSEC-2023-74"}
    assert len(src.warnings) == 2
    assert any("surely-not-on-pypi" in w and "not found on PyPI" in w for w in src.warnings)
    assert any("not a PEP 440 version" in w for w in src.warnings)
    assert len([r for r in caplog.records if r.name == "pkgscan"]) == 2
    assert pypi.counts["release"] == 2  # npm keys and invalid versions never reach PyPI


@needs_pip_audit
def test_pypi_malformed_fix_version_skips_that_package(tmp_path):
    # PYSEC-2019-125 (steam) really says fixed "2019-09-12"; pip-audit rejects such an answer
    bad = {"id": "PYSEC-0000-1", "modified": "2024-01-01T00:00:00Z", "aliases": [],
           "affected": [_pkg("PyPI", "steam", [_eco(("introduced", "0"), ("fixed", "2019-09-12"))], versions=["0.9"])]}
    with PyPIJsonServer(records=[bad] + load_records(EXPORTS[:1])) as server:
        src = PyPISource(base_url=server.url, cache_dir=tmp_path)
        out = src.query([("PyPI", "steam", "0.9"), ("PyPI", "requests", "2.19.1")])
    assert set(out) == {("PyPI", "requests", "2.19.1")}
    assert len(src.warnings) == 1 and src.warnings[0].startswith("PyPI: skipped steam 0.9: ")
    assert "2019-09-12" in src.warnings[0]


@needs_pip_audit
def test_pypi_record_shape(pypi, tmp_path):
    rec = PyPISource(base_url=pypi.url, cache_dir=tmp_path).query([("PyPI", "urllib3", "1.23")])[("PyPI", "urllib3", "1.23")]
    r = next(x for x in rec if "CVE-2019-11324" in x.aliases)
    assert r.id.startswith("PYSEC-") and list(r.aliases) == sorted(r.aliases) and r.source == "pypi"
    (entry,) = r.affected
    assert (entry.ecosystem, entry.name) == ("PyPI", "urllib3")
    events = [(kind, v) for kind, v, _k in entry.ranges[0].events]
    assert events[0] == ("introduced", "1.23") and ("fixed", "1.24.2") in events
    assert r.modified == "" and r.summary
    assert record_affects(r, ("PyPI", "urllib3", "1.23"))
    assert not record_affects(r, ("PyPI", "urllib3", "1.24.2"))


@needs_pip_audit
def test_pypi_http_cache_is_pip_audits(tmp_path, inventories):
    inv = inventories["python-function.zip"]
    names = [c.name for c in inv.components]
    with PyPIJsonServer(projects=names, cache_max_age=600) as server:
        first = match(inv, [PyPISource(base_url=server.url, cache_dir=tmp_path)])
        assert server.counts["release"] == len(names)
        second = match(inv, [PyPISource(base_url=server.url, cache_dir=tmp_path)])
        assert server.counts["release"] == len(names), "answered from pip-audit's HTTP cache"
        assert _view(first) == _view(second)


@needs_pip_audit
def test_pypi_errors_are_clear(tmp_path, closed_port):
    down = PyPISource(base_url=f"http://127.0.0.1:{closed_port}", cache_dir=tmp_path, retries=0)
    with pytest.raises(PyPIError, match=r"PyPI unreachable at http://127\.0\.0\.1:\d+"):
        down.query([("PyPI", "requests", "2.19.1")])
    with PyPIJsonServer() as server:
        server.fail_forever("release", 500)
        src = PyPISource(base_url=server.url, cache_dir=tmp_path, retries=1)
        with pytest.raises(PyPIError, match="PyPI answered HTTP 500 for requests 2.19.1"):
            src.query([("PyPI", "requests", "2.19.1")])
        assert server.counts["release"] == 2  # retried once
        server.reset()
        server.fail_next("release", 429, count=1, retry_after="0")
        assert src.query([("PyPI", "requests", "2.19.1")])
        assert server.counts["release"] == 2


@needs_pip_audit
def test_pypi_via_library_api(db_dir, pypi, inventories, tmp_path):
    srcs, info = vulnerability_sources(db_dir=db_dir, pypi=True, pypi_url=pypi.url, cache_dir=tmp_path)
    assert [s.name for s in srcs] == ["osv-offline", "pypi"]
    inv = inventories["python-function.zip"]
    result = scan_vulnerabilities(inv, srcs, info)
    assert _view(result.findings) == _view(match(inv, [OfflineSource(srcs[0].db)]))
    assert pypi.counts["release"] == len(inv.components)


@needs_pip_audit
def test_cli_source_pypi(db_dir, pypi, monkeypatch, tmp_path):
    sample = str(SAMPLES / "python-function.zip")
    off = _run(["scan", sample, "--db", str(db_dir), "-f", "json"], monkeypatch, tmp_path)
    both = _run(["scan", sample, "--db", str(db_dir), "--source", "pypi", "--pypi-url", pypi.url, "-f", "json"],
                monkeypatch, tmp_path)
    assert off.exit_code == both.exit_code == 0, both.stderr
    assert json.loads(both.stdout)["findings"] == json.loads(off.stdout)["findings"]
    assert pypi.counts["release"] == 8
    pysec = [f for f in json.loads(both.stdout)["findings"] if "PYSEC-2018-28" in f["ids"]]
    assert len(pysec) == 1 and pysec[0]["name"] == "requests"


def test_pypi_without_pip_audit_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pip_audit._service.pypi", None)  # import fails
    with pytest.raises(PyPIError, match=r"needs pip-audit: pip install 'pip-audit>=2\.7,<3'"):
        PyPISource()
