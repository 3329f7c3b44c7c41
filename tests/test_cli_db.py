"""`pkgscan db import|update|status`, and `pkgscan scan` without a database, through the CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from pkgscan.cli import main
from pkgscan.ecosystems import osv_names

from .conftest import FIXTURES, ROOT, SAMPLES
from .test_db_update import COUNTS, osv_bucket

ADVISORIES = SAMPLES / "advisories"
PYPI_ZIP = ADVISORIES / "PyPI-all.zip"
NPM_ZIP = ADVISORIES / "npm-all.zip"
LINTER = FIXTURES / "db" / "linter"


def run(*args: str):
    env = {k: v for k, v in os.environ.items() if k != "PKGSCAN_DB_DIR"}
    return CliRunner(env=env).invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def imported_db(tmp_path_factory):
    d = tmp_path_factory.mktemp("clidb")
    r = run("db", "import", PYPI_ZIP, NPM_ZIP, "--db", d)
    assert r.exit_code == 0, r.output
    return d, r


def test_db_import_reports_counts(imported_db):
    _d, r = imported_db
    assert r.stdout.splitlines() == [
        f"{PYPI_ZIP}: 2664 new, 0 updated, 0 unchanged, 0 skipped",
        f"{NPM_ZIP}: 30 new, 0 updated, 0 unchanged, 0 skipped",
    ]
    assert r.stderr == ""


def test_db_import_again_is_unchanged(tmp_path):
    assert run("db", "import", NPM_ZIP, "--db", tmp_path).exit_code == 0
    r = run("db", "import", NPM_ZIP, "--db", tmp_path)
    assert r.exit_code == 0
    assert r.stdout.strip() == f"{NPM_ZIP}: 0 new, 0 updated, 30 unchanged, 0 skipped"


def test_db_import_lists_skipped_files_on_stderr(tmp_path):
    src = tmp_path / "records"
    src.mkdir()
    for p in LINTER.glob("*.json"):
        (src / p.name).write_bytes(p.read_bytes())
    (src / "broken.json").write_text("{not json")
    (src / "broken.yaml").write_text("id: [unclosed\n")
    r = run("db", "import", src, "--db", tmp_path / "db")
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().endswith("2 skipped")
    skipped = [line for line in r.stderr.splitlines() if line.strip().startswith("skipped ")]
    assert {line.split(":", 1)[0].split()[-1] for line in skipped} == {"broken.json", "broken.yaml"}


def test_db_import_missing_path_is_a_usage_error(tmp_path):
    r = run("db", "import", tmp_path / "nope.zip", "--db", tmp_path / "db")
    assert r.exit_code == 2 and "nope.zip" in r.stderr
    assert not (tmp_path / "db" / "osv.sqlite3").exists()


def test_db_status_text(imported_db):
    d, _ = imported_db
    r = run("db", "status", "--db", d, "--max-age", "100000")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert f"database: {d / 'osv.sqlite3'} (schema 1," in out
    assert "advisories: 2694 (" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ") and "advisories," in line}
    assert "2664 advisories" in lines["PyPI"] and "30 advisories" in lines["npm"]
    assert "source import:PyPI-all.zip: 2664 records" in out
    assert r.stderr == ""  # not stale under --max-age 100000


def test_db_status_json_and_staleness(imported_db):
    d, _ = imported_db
    t0 = datetime.now(timezone.utc)
    r = run("db", "status", "--db", d, "--json", "--max-age", "100000")
    t1 = datetime.now(timezone.utc)
    assert r.exit_code == 0, r.output
    st = json.loads(r.stdout)
    eco = {e["ecosystem"]: e for e in st["ecosystems"]}
    assert eco["PyPI"]["advisories"] == 2664 and eco["npm"]["advisories"] == 30
    assert st["advisories"] == 2694 and st["schema_version"] == 1
    assert {s["origin"]: s["records"] for s in st["sources"]} == {"import:PyPI-all.zip": 2664, "import:npm-all.zip": 30}
    newest = datetime.fromisoformat(st["newest_modified"].replace("Z", "+00:00"))
    # the age as of the moment of the call (between t0 and t1), up to the output's rounding (one decimal)
    assert (t0 - newest).total_seconds() / 86400 - 0.051 <= st["age_days"] <= (t1 - newest).total_seconds() / 86400 + 0.051
    assert st["stale"] is False
    # Below the data's age: stale, with a warning that says what to do.
    below = st["age_days"] - 1  # may be negative if the clock is behind the data: still "stale"
    r = run("db", "status", "--db", d, "--json", "--max-age", str(below))
    assert json.loads(r.stdout)["stale"] is True
    r = run("db", "status", "--db", d, "--max-age", str(below))
    assert r.exit_code == 0 and "pkgscan db update" in r.stderr


def test_db_status_without_database(tmp_path):
    r = run("db", "status", "--db", tmp_path)
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and "db update" in r.stderr and "db import" in r.stderr


def test_db_update_from_a_loopback_server(tmp_path):
    with osv_bucket() as bucket:
        r = run("db", "update", "--db", tmp_path, "--base-url", bucket.base_url)
        assert r.exit_code == 0, r.output
        # every OSV ecosystem pkgscan registers (PyPI, npm, Maven, Go, NuGet, RubyGems), in registry order
        assert r.stdout.splitlines() == [
            f"{eco}: {len(bucket.exports[eco].data)} bytes, {COUNTS[eco]} records (0 skipped)" for eco in osv_names()
        ]
        r = run("db", "update", "--db", tmp_path, "--base-url", bucket.base_url, "--ecosystem", "npm")
        assert r.exit_code == 0, r.output
        assert r.stdout.splitlines() == ["npm: not modified"]
        assert [h.get("if-none-match") for h in bucket.seen("npm")] == [None, bucket.exports["npm"].etag]
        url = bucket.base_url
    st = json.loads(run("db", "status", "--db", tmp_path, "--json", "--max-age", "100000").stdout)
    assert {s["origin"]: s["location"] for s in st["sources"]} == {
        f"osv:{eco}": f"{url}/{eco}/all.zip" for eco in osv_names()}


def test_db_update_404_fails_with_one_line(tmp_path):
    with osv_bucket() as bucket:
        bucket.plan("npm", "404")
        r = run("db", "update", "--db", tmp_path, "--base-url", bucket.base_url)
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.startswith("pkgscan: error: ") and r.stderr.count("\n") == 1
    assert "/npm/all.zip" in r.stderr and "404" in r.stderr
    assert not (tmp_path / "osv.sqlite3").exists()


def test_scan_without_database_exits_2_with_one_line(tmp_path):
    empty = tmp_path / "empty-db"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PKGSCAN_DB_DIR"}
    env["PYTHONPATH"] = str(ROOT)
    p = subprocess.run([sys.executable, "-m", "pkgscan", "scan", str(SAMPLES / "python-function.zip"), "--db", str(empty)],
                       capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert p.returncode == 2
    assert p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("pkgscan: error: ")
    assert "db update" in lines[0] and "db import" in lines[0]
    assert list(empty.iterdir()) == []  # scanning never creates a database


def test_scan_with_imported_database(imported_db, tmp_path, monkeypatch):
    d, _ = imported_db
    monkeypatch.chdir(tmp_path)  # no ignore file discovered from the working directory
    r = run("scan", SAMPLES / "python-function.zip", "--db", d, "-f", "json", "--max-db-age", "100000")
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    ids = {f["id"] for f in report["findings"]}
    assert "PYSEC-2018-28" in ids  # requests 2.19.1 (CVE-2018-18074)
