"""Packages hidden by padding their metadata: the padded member compresses far beyond the reader's
200:1 bomb ratio (or past its size cap), so skipping it would drop a malicious package from the SBOM.

* ``padded-metadata.zip``: a wheel-installed ``evilpy 6.6.6`` whose METADATA has its headers, then
  20 MiB of spaces in the body; ``frontpad 1.0`` whose METADATA pads a ``Summary`` header with 3 MiB
  before ``Version``; ``node_modules/evilnpm/package.json`` (name and version first, then a 20 MiB
  string); ``node_modules/trail/package.json`` followed by 20 MiB of whitespace; and a clean
  ``node_modules/lodash``.  Every padded member is a few KB in the zip.
* ``requires-bomb.zip``: twelve distributions, each with a 1 MiB METADATA of ``Requires-Dist`` lines.

``python tests/hostile/padding.py OUTDIR`` writes them.
"""
from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

SP = "python/lib/python3.12/site-packages"
MiB = 1 << 20


def _metadata(name: str, version: str, extra: str = "") -> str:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: s\n{extra}\n"


def padded_metadata(out: Path) -> Path:
    p = out / "padded-metadata.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr(f"{SP}/evilpy-6.6.6.dist-info/METADATA", _metadata("evilpy", "6.6.6") + " " * (20 * MiB))
        zf.writestr(f"{SP}/frontpad-1.0.dist-info/METADATA",
                    "Metadata-Version: 2.1\nName: frontpad\nSummary: " + "A" * (3 * MiB) + "\nVersion: 1.0\n\n")
        zf.writestr("nodejs/node_modules/evilnpm/package.json",
                    '{"name": "evilnpm", "version": "6.6.6", "pad": "' + "x" * (20 * MiB) + '"}')
        zf.writestr("nodejs/node_modules/trail/package.json", '{"name": "trail", "version": "2.0.0"}' + " " * (20 * MiB))
        zf.writestr("nodejs/node_modules/lodash/package.json", json.dumps({"name": "lodash", "version": "4.17.21"}))
    return p


def requires_bomb(out: Path) -> Path:
    p = out / "requires-bomb.zip"
    line = "Requires-Dist: dep{0} (>=1.0) ; python_version >= '3.8' and extra == 'x{0}'\n"
    body = "".join(line.format(i) for i in range(MiB // 80))
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(12):
            zf.writestr(f"{SP}/req{i}-1.0.dist-info/METADATA", _metadata(f"req{i}", "1.0", body))
    return p


def build_all(out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    return {"padded-metadata": padded_metadata(out), "requires-bomb": requires_bomb(out)}


if __name__ == "__main__":
    print(build_all(Path(sys.argv[1])))
