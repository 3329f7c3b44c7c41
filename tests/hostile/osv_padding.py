"""An OSV export (the format of osv.dev's ``<ecosystem>/all.zip``) of 2,000 real-shaped PyPI records,
each padded with spaces in ``details`` to just under 1 MiB: 2.6 MB on disk, 2 GB inflated; plus one
ordinary record, which must still be imported.

``python tests/hostile/osv_padding.py OUTDIR`` writes ``osv-padded.zip``.
"""
from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path


def record(i: int, pad: bool) -> dict:
    rec = {"id": f"PYSEC-9999-{i}", "modified": "2024-01-01T00:00:00Z", "summary": "padded",
           "affected": [{"package": {"ecosystem": "PyPI", "name": f"p{i}"},
                         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}]}
    if pad:
        rec["details"] = " " * ((1 << 20) - len(json.dumps(rec)) - 20)
    return rec


def build(out: Path, n: int = 2000) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    p = out / "osv-padded.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for i in range(n):
            zf.writestr(f"PYSEC-9999-{i}.json", json.dumps(record(i, True)))
        zf.writestr("PYSEC-9999-ok.json", json.dumps({**record(0, False), "id": "PYSEC-9999-ok"}))
    return p


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
