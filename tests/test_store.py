"""The offline advisory database (pkgscan.vulns.store): import, status, leniency, atomicity.

Everything is checked against the real committed OSV exports in sample_packages/advisories/ and the
real records in tests/fixtures/db/ (see its README for provenance); other inputs are written here.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from pkgscan.errors import PkgscanError
from pkgscan.model import Artifact, Component, Inventory
from pkgscan.vulns.matcher import OfflineSource, match
from pkgscan.vulns.store import (
    DB_FILE,
    SCHEMA_VERSION,
    AdvisoryDB,
    DatabaseError,
    import_path,
    writer,
)

from .conftest import FIXTURES, ROOT, SAMPLES

ADVISORIES = SAMPLES / "advisories"
PYPI_ZIP = ADVISORIES / "PyPI-all.zip"
NPM_ZIP = ADVISORIES / "npm-all.zip"
DB_FIXTURES = FIXTURES / "db"
LINTER = DB_FIXTURES / "linter"
OSV_DEV = DB_FIXTURES / "osv-dev"


# --------------------------------------------------------------------------- helpers

def export_records(path: Path) -> dict[str, dict]:
    """id -> record of an OSV export zip, read with the standard library (an independent oracle)."""
    with zipfile.ZipFile(path) as zf:
        return {json.loads(zf.read(n))["id"]: json.loads(zf.read(n)) for n in zf.namelist() if n.endswith(".json")}


def expected_ecosystems(records: dict[str, dict]) -> dict[str, tuple[int, str]]:
    """ecosystem -> (distinct records naming a package in it, newest modified among them)."""
    ids: dict[str, set[str]] = defaultdict(set)
    for rid, rec in records.items():
        for a in rec.get("affected") or []:
            eco = ((a or {}).get("package") or {}).get("ecosystem")
            if isinstance(eco, str) and ((a.get("package") or {}).get("name")):
                ids[eco.split(":", 1)[0]].add(rid)
    return {eco: (len(s), max(records[i]["modified"] for i in s)) for eco, s in ids.items()}


def build(db_dir: Path, *paths: Path) -> list:
    reports = []
    with writer(db_dir) as w:
        for p in paths:
            reports.append(import_path(w, p))
    return reports


def eco_counts(db_dir: Path) -> dict[str, int]:
    db = AdvisoryDB(db_dir)
    try:
        return {e["ecosystem"]: e["advisories"] for e in db.status()["ecosystems"]}
    finally:
        db.close()


def stable_status(db_dir: Path) -> dict:
    """status() without the import timestamps (which change on every write)."""
    db = AdvisoryDB(db_dir)
    try:
        st = db.status()
    finally:
        db.close()
    st.pop("updated_at")
    for s in st["sources"]:
        s.pop("imported_at")
    return st


def leftovers(db_dir: Path) -> list[str]:
    """Files a finished writer must not leave behind (its temporary database, downloads)."""
    return sorted(p.name for p in db_dir.iterdir() if p.name not in (DB_FILE, ".lock"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def inventory(*components: tuple[str, str, str]) -> Inventory:
    comps = tuple(Component(eco, name, ver, f"pkg:{eco}/{name}@{ver}") for eco, name, ver in components)
    return Inventory(Artifact("test", "test", "directory", "function"), comps)


def finding_ids(db_dir: Path, eco: str, name: str, version: str) -> set[str]:
    db = AdvisoryDB(db_dir)
    try:
        return {a for f in match(inventory((eco, name, version)), [OfflineSource(db)]) for a in f.advisories}
    finally:
        db.close()


@pytest.fixture(scope="module")
def pypi_records() -> dict[str, dict]:
    return export_records(PYPI_ZIP)


@pytest.fixture(scope="module")
def npm_records() -> dict[str, dict]:
    return export_records(NPM_ZIP)


@pytest.fixture(scope="module")
def full_db(advisory_db_dir) -> Path:
    """Both real exports, imported once per session (tests/conftest.py; read-only use)."""
    return advisory_db_dir


# --------------------------------------------------------------------------- real exports

def test_import_real_exports_reports_every_record(tmp_path, pypi_records, npm_records):
    assert len(pypi_records) == 2664 and len(npm_records) == 30
    rep_pypi, rep_npm = build(tmp_path, PYPI_ZIP, NPM_ZIP)
    assert (rep_pypi.imported, rep_pypi.updated, rep_pypi.unchanged, rep_pypi.skipped) == (2664, 0, 0, [])
    assert (rep_npm.imported, rep_npm.updated, rep_npm.unchanged, rep_npm.skipped) == (30, 0, 0, [])
    assert leftovers(tmp_path) == []


def test_status_counts_per_ecosystem(full_db, pypi_records, npm_records):
    db = AdvisoryDB(full_db)
    st = db.status()
    records = {**pypi_records, **npm_records}
    want = expected_ecosystems(records)
    got = {e["ecosystem"]: (e["advisories"], e["last_modified"]) for e in st["ecosystems"]}
    assert got == want
    assert got["PyPI"][0] == 2664 and got["npm"][0] == 30
    # Records that also name packages of other ecosystems are indexed there too (moment -> NuGet).
    assert set(got) >= {"PyPI", "npm"}
    assert st["advisories"] == 2694
    assert st["withdrawn"] == sum(1 for r in records.values() if r.get("withdrawn"))
    assert st["newest_modified"] == max(r["modified"] for r in records.values())
    assert st["schema_version"] == SCHEMA_VERSION
    assert {(s["origin"], s["records"]) for s in st["sources"]} == {
        ("import:PyPI-all.zip", 2664), ("import:npm-all.zip", 30)}


def test_records_round_trip_exactly(full_db, pypi_records, npm_records):
    db = AdvisoryDB(full_db)
    sample = ["PYSEC-2023-74", "PYSEC-2021-114", "PYSEC-2023-73", "MAL-2024-10238"] + sorted(npm_records)[:5]
    got = db.records(sample)
    for rid in sample:
        assert got[rid] == (pypi_records.get(rid) or npm_records[rid])


def test_candidates_use_normalized_names(full_db, pypi_records):
    db = AdvisoryDB(full_db)
    # PyPI names are indexed PEP 503-normalized ("PyYAML" -> "pyyaml"); npm names as they are.
    want = {rid for rid, r in pypi_records.items()
            for a in r.get("affected", []) if a["package"]["name"].lower().replace("_", "-") == "pyyaml"}
    got = db.candidates("PyPI", ["pyyaml", "no-such-package-xyz"])
    assert set(got) == {"pyyaml"} and set(got["pyyaml"]) == want and want
    npm = db.candidates("npm", ["lodash", "Axios", "axios"])
    assert "lodash" in npm and "Axios" in npm  # the upstream record really names "Axios"


def test_reimport_is_idempotent(tmp_path):
    build(tmp_path, PYPI_ZIP, NPM_ZIP)
    before = stable_status(tmp_path)
    rep_pypi, rep_npm = build(tmp_path, PYPI_ZIP, NPM_ZIP)
    assert (rep_pypi.imported, rep_pypi.updated, rep_pypi.unchanged) == (0, 0, 2664)
    assert (rep_npm.imported, rep_npm.updated, rep_npm.unchanged) == (0, 0, 30)
    assert stable_status(tmp_path) == before
    with sqlite3.connect(tmp_path / DB_FILE) as c:  # no duplicate index rows either
        assert c.execute("SELECT COUNT(*) FROM (SELECT ecosystem, name, id FROM affected "
                         "GROUP BY ecosystem, name, id HAVING COUNT(*) > 1)").fetchone()[0] == 0


# --------------------------------------------------------------------------- newer replaces older

def test_newer_modified_replaces_older_and_older_does_not(tmp_path, pypi_records):
    build(tmp_path, PYPI_ZIP)
    # The real osv.dev versions of 6 records are newer than the export's (fixtures/db/osv-dev).
    newer = {json.loads(p.read_text())["id"]: json.loads(p.read_text()) for p in OSV_DEV.glob("*.json")}
    assert all(newer[i]["modified"] > pypi_records[i]["modified"] for i in newer)
    (rep,) = build(tmp_path, OSV_DEV)
    assert (rep.imported, rep.updated, rep.unchanged, rep.skipped) == (0, 6, 0, [])
    assert AdvisoryDB(tmp_path).records(newer) == newer
    assert eco_counts(tmp_path)["PyPI"] == 2664

    # Re-importing the (older) export changes nothing now.
    (rep,) = build(tmp_path, PYPI_ZIP)
    assert (rep.imported, rep.updated, rep.unchanged) == (0, 0, 2664)
    assert AdvisoryDB(tmp_path).records(newer) == newer

    # An explicitly older copy of one record is ignored; a newer one replaces it, index included.
    rec = dict(pypi_records["PYSEC-2018-95"])
    older = {**rec, "modified": "2000-01-01T00:00:00Z", "summary": "older"}
    (tmp_path / "older.json").write_text(json.dumps(older))
    (rep,) = build(tmp_path, tmp_path / "older.json")
    assert (rep.imported, rep.updated, rep.unchanged) == (0, 0, 1)
    assert AdvisoryDB(tmp_path).records(["PYSEC-2018-95"])["PYSEC-2018-95"] == rec

    moved = {**rec, "modified": "2030-01-01T00:00:00Z", "summary": "newer",
             "affected": [{**rec["affected"][0], "package": {"ecosystem": "PyPI", "name": "osxcollector-ng"}}]}
    (tmp_path / "newer.json").write_text(json.dumps(moved))
    (rep,) = build(tmp_path, tmp_path / "newer.json")
    assert (rep.imported, rep.updated, rep.unchanged) == (0, 1, 0)
    db = AdvisoryDB(tmp_path)
    assert db.records(["PYSEC-2018-95"])["PYSEC-2018-95"]["summary"] == "newer"
    assert db.candidates("PyPI", ["osxcollector"]) == {}  # the old index rows went with the old record
    assert db.candidates("PyPI", ["osxcollector-ng"]) == {"osxcollector-ng": ["PYSEC-2018-95"]}


def test_modified_compares_as_time_not_string(tmp_path, pypi_records):
    rec = pypi_records["PYSEC-2018-95"]
    (tmp_path / "a.json").write_text(json.dumps({**rec, "modified": "2024-01-01T00:00:00Z", "summary": "old"}))
    (tmp_path / "b.json").write_text(json.dumps({**rec, "modified": "2024-01-01T00:00:00.5Z", "summary": "new"}))
    d = tmp_path / "db"
    build(d, tmp_path / "a.json")
    (rep,) = build(d, tmp_path / "b.json")
    assert rep.updated == 1
    assert AdvisoryDB(d).records([rec["id"]])[rec["id"]]["summary"] == "new"


# --------------------------------------------------------------------------- directories, YAML

def test_directory_of_json_records_nested(tmp_path, pypi_records, npm_records):
    src = tmp_path / "records"
    picks = ["PYSEC-2023-74", "PYSEC-2018-95", "PYSEC-2019-179"] + sorted(npm_records)[:3]
    for i, rid in enumerate(picks):
        sub = src / ("pypi" if rid in pypi_records else "npm") / str(i)
        sub.mkdir(parents=True)
        (sub / f"{rid}.json").write_text(json.dumps(pypi_records.get(rid) or npm_records[rid], indent=2))
    (src / "notes.txt").write_text("not a record, and not a .json/.yaml file: ignored")
    (rep,) = build(tmp_path / "db", src)
    assert (rep.imported, rep.skipped) == (6, [])
    db = AdvisoryDB(tmp_path / "db")
    assert db.records(picks) == {rid: pypi_records.get(rid) or npm_records[rid] for rid in picks}


def test_directory_of_yaml_records_round_trips(tmp_path, pypi_records):
    src = tmp_path / "yaml"
    src.mkdir()
    picks = ["PYSEC-2023-74", "PYSEC-2018-95", "PYSEC-2019-179", "PYSEC-2021-114"]
    for n, rid in enumerate(picks):
        ext = ".yml" if n % 2 else ".yaml"
        (src / f"{rid}{ext}").write_text(yaml.safe_dump(pypi_records[rid], sort_keys=False))
    (rep,) = build(tmp_path / "db", src)
    assert (rep.imported, rep.skipped) == (4, [])
    assert AdvisoryDB(tmp_path / "db").records(picks) == {rid: pypi_records[rid] for rid in picks}
    assert eco_counts(tmp_path / "db") == {"PyPI": 4}


# PYSEC-2018-95 as the PyPA advisory database writes its YAML: versions and timestamps unquoted.
UNQUOTED_YAML = """\
id: PYSEC-2018-95
details: An issue was discovered in Yelp OSXCollector. A maliciously crafted Universal/fat binary
  can evade third-party code signing checks.
affected:
- package:
    name: osxcollector
    ecosystem: PyPI
    purl: pkg:pypi/osxcollector
  ranges:
  - type: ECOSYSTEM
    events:
    - introduced: 0
    - fixed: 1.10
  versions:
  - 1.7
  - 1.8
references:
- type: ARTICLE
  url: https://www.okta.com/security-blog/2018/06/issues-around-third-party-apple-code-signing-checks/
aliases:
- CVE-2018-10406
modified: 2021-08-27T03:22:09.893229Z
published: 2018-06-13 22:29:00
"""


def test_yaml_unquoted_versions_and_timestamps_stay_strings(tmp_path):
    f = tmp_path / "PYSEC-2018-95.yaml"
    f.write_text(UNQUOTED_YAML)
    d = tmp_path / "db"
    (rep,) = build(d, f)  # a single YAML file
    assert (rep.imported, rep.skipped) == (1, [])
    rec = AdvisoryDB(d).records(["PYSEC-2018-95"])["PYSEC-2018-95"]
    assert rec["affected"][0]["ranges"][0]["events"] == [{"introduced": "0"}, {"fixed": "1.10"}]
    assert rec["affected"][0]["versions"] == ["1.7", "1.8"]
    assert rec["modified"] == "2021-08-27T03:22:09.893229Z"
    assert rec["published"] == "2018-06-13 22:29:00"
    # 1.9 < 1.10: affected only if "1.10" stayed "1.10" (a float 1.1 would clear 1.9).
    assert finding_ids(d, "pypi", "osxcollector", "1.9") == {"PYSEC-2018-95"}
    assert finding_ids(d, "pypi", "osxcollector", "1.10") == set()
    assert finding_ids(d, "pypi", "osxcollector", "1.7") == {"PYSEC-2018-95"}


# --------------------------------------------------------------------------- leniency

def test_osv_linter_records_imported_or_skipped_never_crash(tmp_path):
    files = sorted(p.name for p in LINTER.glob("*.json"))
    assert len(files) == 4
    d = tmp_path / "db"
    (rep,) = build(d, LINTER)
    skipped = dict(rep.skipped)
    assert all(reason.strip() for reason in skipped.values())
    assert rep.imported + rep.updated + rep.unchanged + len(skipped) == len(files)
    db = AdvisoryDB(d)
    stored = db.records(["GHSA-9v2f-6vcg-3hgv", "CVE-2023-41045", "PYSEC-2023-74", "MAL-2024-10238"])
    for name in files:
        rid = json.loads((LINTER / name).read_text())["id"]
        assert (rid in stored) != (name in skipped), name
    # The invalid version "4.36.-1" in GHSA-9v2f does not stop matching the valid one.
    if "GHSA-9v2f-6vcg-3hgv" in stored:
        assert finding_ids(d, "pypi", "gradio", "4.36.1") == {"GHSA-9v2f-6vcg-3hgv"}
        assert finding_ids(d, "pypi", "gradio", "4.36.2") == set()
    # A record with no package is kept (or skipped) but indexed under no ecosystem.
    assert set(eco_counts(d)) <= {"PyPI"}
    assert finding_ids(d, "pypi", "requests", "2.30.0") == {"PYSEC-2023-74"}
    assert finding_ids(d, "pypi", "123bla", "0.0.1") == {"MAL-2024-10238"}


GARBAGE = {
    "empty.json": b"",
    "text.json": b"this is not JSON",
    "list.json": b"[1, 2, 3]",
    "no-id.json": b'{"modified": "2024-01-01T00:00:00Z", "affected": []}',
    "int-id.json": b'{"id": 12345}',
    "empty-id.json": b'{"id": ""}',
    "truncated.json": b'{"id": "PYSEC-0000-1", "affected": [',
    "deep.json": b"[" * 100_000 + b"]" * 100_000,
    "latin1.json": '{"id": "X-1", "summary": "caf\u00e9"}'.encode("latin-1"),
    "binary.json": bytes(range(256)) * 4,
    "bigint.json": b'{"id": "X-2", "n": ' + b"9" * 10_000 + b"}",
    "bad.yaml": b"id: X-3\naffected: [\n",
    "tabs.yaml": b"id: X-4\n\tmodified: 2024\n",
    "list.yaml": b"- id: X-5\n",
    "scalar.yml": b"just a string\n",
    "python-object.yaml": b"id: X-6\nx: !!python/object/apply:os.system ['echo pwned']\n",
}


def test_garbage_files_are_skipped_with_reasons(tmp_path, pypi_records):
    src = tmp_path / "mixed"
    src.mkdir()
    for name, data in GARBAGE.items():
        (src / name).write_bytes(data)
    good = ["PYSEC-2023-74", "PYSEC-2018-95"]
    for rid in good:
        (src / f"{rid}.json").write_text(json.dumps(pypi_records[rid]))
    # Lenient, not strict: odd but usable records still load.
    (src / "odd.json").write_text(json.dumps({
        "id": "ODD-1", "modified": 20240101, "affected": {"not": "a list"}, "aliases": "x"}))
    (src / "odd2.json").write_text(json.dumps({
        "id": "ODD-2", "affected": [None, 1, {"package": None}, {"package": {"ecosystem": "PyPI", "name": 5}},
                                    {"package": {"ecosystem": "PyPI", "name": "odd2"}, "ranges": "x", "versions": 7}]}))
    d = tmp_path / "db"
    (rep,) = build(d, src)
    skipped = dict(rep.skipped)
    assert set(skipped) == set(GARBAGE)
    for name, reason in skipped.items():
        assert isinstance(reason, str) and reason.strip() and "\n" not in reason, name
    assert rep.imported == len(good) + 2
    db = AdvisoryDB(d)
    assert set(db.records(good + ["ODD-1", "ODD-2"])) == set(good) | {"ODD-1", "ODD-2"}
    assert db.candidates("PyPI", ["odd2"]) == {"odd2": ["ODD-2"]}
    assert finding_ids(d, "pypi", "odd2", "1.0") == set()  # no ranges, no versions: nothing affected
    assert not (tmp_path / "pwned").exists()


def test_zip_with_garbage_members_is_lenient(tmp_path, pypi_records):
    z = tmp_path / "all.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("PYSEC-2023-74.json", json.dumps(pypi_records["PYSEC-2023-74"]))
        zf.writestr("broken.json", b"{nope")
        zf.writestr("README.txt", b"ignored")
    (rep,) = build(tmp_path / "db", z)
    assert rep.imported == 1 and [n for n, _ in rep.skipped] == ["broken.json"]


def test_not_a_zip_is_a_clear_error_and_changes_nothing(tmp_path):
    d = tmp_path / "db"
    build(d, NPM_ZIP)
    before = sha256(d / DB_FILE)
    bad = tmp_path / "all.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip" * 10)
    with pytest.raises(PkgscanError):
        build(d, bad)
    assert sha256(d / DB_FILE) == before and leftovers(d) == []


def test_yaml_with_mixed_key_types_is_skipped(tmp_path, pypi_records):
    src = tmp_path / "src"
    src.mkdir()
    (src / "mixed.yaml").write_text("id: MIX-1\nmodified: 2024-01-01T00:00:00Z\ndatabase_specific: {!!int 1: a, b: c}\n")
    (src / "PYSEC-2023-74.json").write_text(json.dumps(pypi_records["PYSEC-2023-74"]))
    (rep,) = build(tmp_path / "db", src)
    assert rep.imported >= 1 and "PYSEC-2023-74" in AdvisoryDB(tmp_path / "db").records(["PYSEC-2023-74"])


def _yaml_bomb(levels: int) -> str:
    lines = ['  a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "id: BOMB-1\nmodified: 2024-01-01T00:00:00Z\ndatabase_specific:\n" + "\n".join(lines) + "\n"


def test_yaml_alias_bomb_is_skipped(tmp_path, pypi_records):
    src = tmp_path / "src"
    src.mkdir()
    bomb = _yaml_bomb(7)
    assert len(bomb) < 1000
    (src / "BOMB-1.yaml").write_text(bomb)
    (src / "PYSEC-2023-74.json").write_text(json.dumps(pypi_records["PYSEC-2023-74"]))
    (rep,) = build(tmp_path / "db", src)
    assert "BOMB-1.yaml" in dict(rep.skipped)
    assert rep.imported == 1


# --------------------------------------------------------------------------- atomicity

def test_exception_inside_writer_leaves_previous_db_byte_identical(tmp_path):
    build(tmp_path, NPM_ZIP)
    before = sha256(tmp_path / DB_FILE)
    listing = sorted(p.name for p in tmp_path.iterdir())
    for exc in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(exc)):
            with writer(tmp_path) as w:
                import_path(w, PYPI_ZIP)
                w.delete_origin("import:npm-all.zip")
                raise exc
        assert sha256(tmp_path / DB_FILE) == before
        assert sorted(p.name for p in tmp_path.iterdir()) == listing
        assert leftovers(tmp_path) == []
    assert eco_counts(tmp_path)["npm"] == 30 and "PyPI" not in eco_counts(tmp_path)
    # and the lock was released: a new writer gets in at once
    build(tmp_path, PYPI_ZIP)
    assert eco_counts(tmp_path)["PyPI"] == 2664


def test_failed_first_import_creates_no_database(tmp_path):
    with pytest.raises(RuntimeError):
        with writer(tmp_path) as w:
            import_path(w, NPM_ZIP)
            raise RuntimeError("boom")
    assert not (tmp_path / DB_FILE).exists() and leftovers(tmp_path) == []
    with pytest.raises(DatabaseError):
        AdvisoryDB(tmp_path)


def test_open_reader_keeps_its_snapshot_while_a_writer_commits(tmp_path):
    build(tmp_path, PYPI_ZIP)
    reader = AdvisoryDB(tmp_path)

    def view(db: AdvisoryDB):
        st = db.status()
        return (st["advisories"], tuple((e["ecosystem"], e["advisories"]) for e in st["ecosystems"]),
                sorted(db.candidates("PyPI", ["requests", "django", "jinja2"]).items()),
                sorted(db.candidates("npm", ["lodash"]).items()),
                sorted(db.records(["PYSEC-2023-74", "GHSA-35jh-r3h4-6jhm"])))

    snapshot = view(reader)
    assert snapshot[0] == 2664 and snapshot[3] == []

    staged, go, done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with writer(tmp_path) as w:
                w.delete_origin("import:PyPI-all.zip")  # the old rows go away entirely
                import_path(w, NPM_ZIP)
                staged.set()
                assert go.wait(10)
            done.set()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            done.set()

    seen: list = []

    def read_loop() -> None:
        while not done.is_set():
            seen.append(view(reader))
        seen.append(view(reader))

    t_w = threading.Thread(target=write)
    t_w.start()
    assert staged.wait(10)
    assert view(reader) == snapshot  # the writer's uncommitted work is invisible
    t_r = threading.Thread(target=read_loop)
    t_r.start()
    time.sleep(0.05)
    go.set()  # commit (os.replace) while the reader thread is reading
    t_w.join(10)
    t_r.join(10)
    assert not errors
    assert seen and all(v == snapshot for v in seen)
    assert view(reader) == snapshot  # still the file it opened
    reader.close()

    after = AdvisoryDB(tmp_path)
    st = view(after)
    assert st[0] == 30 and st[2] == [] and dict(st[3])["lodash"]
    assert leftovers(tmp_path) == []


def test_concurrent_writers_in_threads_serialize_and_both_land(tmp_path):
    holding, release = threading.Event(), threading.Event()
    second_in = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with writer(tmp_path) as w:
                import_path(w, PYPI_ZIP)
                holding.set()
                assert release.wait(10)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    def second() -> None:
        try:
            with writer(tmp_path) as w:
                second_in.set()
                import_path(w, NPM_ZIP)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    a = threading.Thread(target=first)
    a.start()
    assert holding.wait(10)
    b = threading.Thread(target=second)
    b.start()
    assert not second_in.wait(0.3), "the second writer did not wait for the first one's lock"
    release.set()
    a.join(10)
    b.join(10)
    assert not errors and second_in.is_set()
    counts = eco_counts(tmp_path)
    assert counts["PyPI"] == 2664 and counts["npm"] == 30
    assert leftovers(tmp_path) == []


WRITER_CHILD = """
import sys, time
from pathlib import Path
from pkgscan.vulns.store import writer, import_path
db, src, hold, mark = sys.argv[1], sys.argv[2], float(sys.argv[3]), Path(sys.argv[4])
with writer(db) as w:
    entered = time.time()
    import_path(w, src)
    mark.write_text(str(entered))
    time.sleep(hold)
    leaving = time.time()  # the lock is still held here
print(entered, leaving)
"""


def test_concurrent_writers_in_processes_serialize_and_both_land(tmp_path):
    db = tmp_path / "db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    a = subprocess.Popen([sys.executable, "-c", WRITER_CHILD, str(db), str(PYPI_ZIP), "1.0", str(tmp_path / "a")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 30
    while not (tmp_path / "a").exists():
        assert time.time() < deadline and a.poll() is None, a.stderr.read() if a.poll() is not None else "timeout"
        time.sleep(0.01)
    b = subprocess.Popen([sys.executable, "-c", WRITER_CHILD, str(db), str(NPM_ZIP), "0", str(tmp_path / "b")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out_a, err_a = a.communicate(timeout=60)
    out_b, err_b = b.communicate(timeout=60)
    assert a.returncode == 0, err_a
    assert b.returncode == 0, err_b
    _a_entered, a_leaving = map(float, out_a.split())
    b_entered, _ = map(float, out_b.split())
    assert b_entered > a_leaving, "the second process got in while the first held the lock"
    counts = eco_counts(db)
    assert counts["PyPI"] == 2664 and counts["npm"] == 30
    assert leftovers(db) == []


# --------------------------------------------------------------------------- errors, age

def test_missing_database_says_how_to_get_one(tmp_path):
    with pytest.raises(DatabaseError) as ei:
        AdvisoryDB(tmp_path / "nowhere")
    msg = str(ei.value)
    assert "pkgscan db update" in msg and "pkgscan db import" in msg and "\n" not in msg
    assert not (tmp_path / "nowhere").exists()  # reading never creates anything


def test_schema_version_mismatch_is_a_clear_error(tmp_path):
    build(tmp_path, NPM_ZIP)
    with sqlite3.connect(tmp_path / DB_FILE) as c:
        c.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    c.close()
    with pytest.raises(DatabaseError) as ei:
        AdvisoryDB(tmp_path)
    msg = str(ei.value)
    assert "999" in msg and str(SCHEMA_VERSION) in msg and ("db update" in msg or "import" in msg)
    # A writer starts afresh from an incompatible database, and the result is readable again.
    build(tmp_path, NPM_ZIP)
    assert AdvisoryDB(tmp_path).meta("schema_version") == str(SCHEMA_VERSION)


@pytest.mark.parametrize("content", [b"", b"garbage, not SQLite" * 100, None], ids=["empty", "garbage", "other-sqlite"])
def test_not_a_pkgscan_database_is_a_database_error(tmp_path, content):
    path = tmp_path / DB_FILE
    if content is None:
        with sqlite3.connect(path) as c:
            c.execute("CREATE TABLE t (x)")
        c.close()
    else:
        path.write_bytes(content)
    with pytest.raises(DatabaseError):
        AdvisoryDB(tmp_path)


def test_age_days(tmp_path, npm_records):
    build(tmp_path, NPM_ZIP)
    db = AdvisoryDB(tmp_path)
    newest = max(r["modified"] for r in npm_records.values())
    assert db.status()["newest_modified"] == newest
    ts = datetime.fromisoformat(newest.replace("Z", "+00:00"))
    assert db.age_days(now=ts + timedelta(days=3, hours=12)) == pytest.approx(3.5)
    assert db.age_days(now=ts) == pytest.approx(0.0)
    t0 = datetime.now(timezone.utc)
    real = db.age_days()
    t1 = datetime.now(timezone.utc)
    assert (t0 - ts).total_seconds() / 86400 <= real <= (t1 - ts).total_seconds() / 86400  # as of the call


def test_age_days_of_empty_database_is_none(tmp_path):
    with writer(tmp_path):
        pass
    db = AdvisoryDB(tmp_path)
    assert db.age_days() is None
    st = db.status()
    assert (st["advisories"], st["ecosystems"], st["newest_modified"]) == (0, [], "")


@pytest.mark.parametrize("name", ["db#1", "db?x", "a%20b"])
def test_database_dir_with_uri_special_characters(tmp_path, name):
    d = tmp_path / name
    build(d, NPM_ZIP)
    build(d, LINTER)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    counts = eco_counts(d)
    assert counts["npm"] == 30 and counts["PyPI"] == 3
