"""Zip parser differentials (generators in tests/hostile/differential.py): each archive is resolved
as unzip / CPython resolve it, or flagged ambiguous with a suspicious notice; never a clean, different
package in silence."""
from __future__ import annotations

import zipfile

import pytest

from .hostile import differential
from .hostile.runner import assert_bounded, scan_child

LODASH = ("npm", "lodash", "4.17.21")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return differential.build_all(tmp_path_factory.mktemp("differential"))


def _scan(path) -> dict:
    res = scan_child(path)
    assert_bounded(res)
    return res


def test_local_header_size_disagrees(corpus):
    res = _scan(corpus["local-size"])
    amb = [n for n in res["notices"] if n[0] == "zip-ambiguous"]
    assert amb and amb[0][1].endswith("requests-2.100.dist-info/METADATA") and amb[0][3] is True
    assert res["suspicious"] is True


def test_unicode_path_extra_names_the_member(corpus):
    res = _scan(corpus["unicode-path"])
    found = {tuple(c) for c in res["components"]}
    assert ("pypi", "evilpkg", "1.0") in found and LODASH in found
    # the name pkgscan uses is the one CPython's zipfile (and unzip) extract under
    with zipfile.ZipFile(corpus["unicode-path"]) as zf:
        names = zf.namelist()
    if any(n.endswith("evilpkg-1.0.dist-info/METADATA") for n in names):
        assert any(n[0] == "unicode-path-extra" for n in res["notices"])


@pytest.mark.parametrize("name", ["unlisted-local", "zero-entries"])
def test_unlisted_local_entries_are_flagged(corpus, name):
    res = _scan(corpus[name])
    assert res["notice_counts"].get("zip-ambiguous"), res["notices"]
    assert res["suspicious"] is True


def test_ordinary_zip_is_not_ambiguous(tmp_path):
    p = tmp_path / "ok.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("nodejs/node_modules/lodash/package.json", '{"name": "lodash", "version": "4.17.21"}')
        zf.writestr("a/b.jar", b"PK\x03\x04 stored bytes that look like a header" * 10)
    with zipfile.ZipFile(p, "a", zipfile.ZIP_STORED) as zf:
        zf.writestr("inner.zip", b"PK\x03\x04" + bytes(100))
    res = _scan(p)
    assert "zip-ambiguous" not in res["notice_counts"], res["notices"]


def test_fail_on_fails_an_ambiguous_archive(corpus, tmp_path):
    import subprocess
    import sys

    from .hostile.runner import ROOT

    rec = ('{"id": "PYSEC-0000-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "PyPI", '
           '"name": "nothing-here"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}')
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "r.json").write_text(rec)
    subprocess.run([sys.executable, "-m", "pkgscan", "db", "import", str(tmp_path / "rec"), "--db", str(tmp_path / "db")],
                   check=True, capture_output=True, cwd=ROOT)
    for name, want in (("unlisted-local", 1), ("unicode-path", 0)):
        r = subprocess.run([sys.executable, "-m", "pkgscan", "scan", str(corpus[name]), "--db", str(tmp_path / "db"),
                            "--fail-on", "critical", "-o", str(tmp_path / "r.json"), "--format", "json"],
                           capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert r.returncode == want, (name, r.stderr)
        assert ("ambiguous" in r.stderr) is bool(want) and "Traceback" not in r.stderr
