"""Credentials in requirements lines and lockfiles never reach stderr, the SBOM or the JSON report
(generators in tests/hostile/secrets.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pkgscan.redaction import redact
from pkgscan.scan import scan_path

from .hostile import secrets

ROOT = Path(__file__).resolve().parent.parent
RECORD = ('{"id": "PYSEC-0000-1", "modified": "2024-01-01T00:00:00Z", "summary": "test", "affected": [{"package": '
          '{"ecosystem": "PyPI", "name": "requests"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, '
          '{"fixed": "2.32.0"}]}]}]}')


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    base = tmp_path_factory.mktemp("secrets")
    paths = secrets.build(base)
    (base / "rec").mkdir()
    (base / "rec" / "PYSEC-0000-1.json").write_text(RECORD)
    subprocess.run([sys.executable, "-m", "pkgscan", "db", "import", str(base / "rec"), "--db", str(base / "db")],
                   check=True, capture_output=True, cwd=ROOT)
    return base, paths


@pytest.mark.parametrize("text,want", [
    ("https://user:p@ss@pypi.example.com/simple", "https://***@pypi.example.com/simple"),
    ("git+https://TOK@github.com/o/p.git", "git+https://***@github.com/o/p.git"),
    ("--extra-index-url https://h/simple?token=ABC&x=1", "--extra-index-url https://h/simple?token=***&x=1"),
    ("pkg @ https://u:T5@files.x/p.tar.gz#egg=p", "pkg @ https://***@files.x/p.tar.gz#egg=p"),
    ("https://h/a?X-Amz-Signature=abc&X-Amz-Credential=AK", "https://h/a?X-Amz-Signature=***&X-Amz-Credential=***"),
    ("requests==2.31.0; python_version >= '3'", "requests==2.31.0; python_version >= '3'"),
    ("name@1.0 npm:lodash@4.17.21 pkg @ https://example.com/x", "name@1.0 npm:lodash@4.17.21 pkg @ https://example.com/x"),
])
def test_redact(text, want):
    assert redact(text) == want


@pytest.mark.parametrize("kind", ["zip", "dir"])
def test_no_secret_in_notices(corpus, kind):
    _base, paths = corpus
    inv = scan_path(paths[kind])
    text = repr(inv)
    assert "SECRETTOKEN" not in text and "p@ss" not in text
    declared = {(d.ecosystem, d.name, d.version) for d in inv.declared_only}
    assert {("pypi", "requests", "2.31.0"), ("pypi", "privpkg", "1.0"), ("npm", "left-pad", "1.3.0")} <= declared
    assert any("***@" in n.message for n in inv.notices)  # said, redacted


@pytest.mark.parametrize("cmd", ["sbom", "scan"])
def test_no_secret_in_cli_output(corpus, cmd, tmp_path):
    base, paths = corpus
    out = tmp_path / "out.json"
    args = [sys.executable, "-m", "pkgscan", cmd, str(paths["zip"]), "-o", str(out)]
    args += ["--db", str(base / "db"), "--format", "json"] if cmd == "scan" else []
    r = subprocess.run(args, capture_output=True, timeout=60, cwd=ROOT, env=dict(os.environ, SOURCE_DATE_EPOCH="0"))
    assert r.returncode in (0, 1), r.stderr[-2000:]
    assert b"Traceback" not in r.stderr
    for blob in (r.stdout, r.stderr, out.read_bytes()):
        assert b"SECRETTOKEN" not in blob and b"p@ss" not in blob, blob[:3000]
    assert b"***@" in r.stderr
