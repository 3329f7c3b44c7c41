"""A small OSV export whose records are padded to inflate to gigabytes is refused record by record
before inflating (tests/hostile/osv_padding.py): ≤ 10 s and ≤ 300 MB in a child process; the ordinary
record is imported and the padded ones are counted as skipped."""
from __future__ import annotations

from .hostile import osv_padding
from .hostile.runner import MAX_RSS_KB, MAX_SECONDS, cli_child


def test_padded_osv_export(tmp_path):
    export = osv_padding.build(tmp_path / "in")
    assert export.stat().st_size < 10 * 1000 * 1000
    r = cli_child(["db", "import", export, "--db", tmp_path / "db"], tmp_path)
    assert r["wall"] < MAX_SECONDS and r["maxrss_kb"] < MAX_RSS_KB, (r["wall"], r["maxrss_kb"])
    out = (r["stdout"] + r["stderr"]).decode()
    assert r["rc"] == 0, out[-2000:]
    assert "1 new" in out and "2000 skipped" in out and "Traceback" not in out
