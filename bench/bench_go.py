#!/usr/bin/env python3
"""Benchmark: inventory a big Go program (a Lambda ``bootstrap``) against reading its file once.

Usage: python bench/bench_go.py [--repeat N] [--check] [--json PATH] [BINARY ...]

Without arguments it uses real Go programs from Debian's packages, fetched once by
``bench/build_go.sh`` into bench/.cache/go/: ``dockerd`` (docker.io, 75 MB, externally linked,
stripped: the Go function table is found by its header) and ``rclone`` (54 MB, stripped).  Each
binary is laid out as ``bootstrap`` at a function's root twice: an unpacked directory and a deflated
function zip.  For each layout, in this process, after one untimed warm-up run, the median of N runs:

  read     the floor: read the file once (directory: open + read; zip: zipfile decompresses the member)
  pkgscan  pkgscan.scan_path(...): every cataloger, the Go build info, the function names
  parse    pkgscan.inventory.gobinary.parse on bytes already in memory (the Go part alone)

Target (--check): pkgscan < 1 s for every binary and layout.  Files over pkgscan's default member
limit (64 MiB) are scanned with the limit raised to their size (``Limits.max_member_size``); the
default refuses them with a notice.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

from pkgscan import scan_path  # noqa: E402
from pkgscan.archive import DEFAULT_LIMITS  # noqa: E402
from pkgscan.inventory import gobinary  # noqa: E402

CACHE = BENCH / ".cache" / "go"
DEFAULT = [CACHE / "x" / "usr" / "sbin" / "dockerd", CACHE / "x" / "usr" / "bin" / "rclone"]
TARGET_S = 1.0


def _median(fn, repeat: int) -> tuple[float, object]:
    fn()  # warm-up (page cache, imports)
    times = []
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def _parse_time(binary: Path, repeat: int):
    data = binary.read_bytes()
    return _median(lambda: gobinary.parse(data), repeat)


def bench_one(binary: Path, repeat: int, work: Path) -> list[dict]:
    size = binary.stat().st_size
    limits = DEFAULT_LIMITS if size <= DEFAULT_LIMITS.max_member_size else DEFAULT_LIMITS.with_overrides(max_member_size=size)
    d = work / f"{binary.name}-dir"
    d.mkdir()
    os.link(binary, d / "bootstrap") if binary.stat().st_dev == d.stat().st_dev else (d / "bootstrap").write_bytes(binary.read_bytes())
    z = work / f"{binary.name}.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.write(binary, "bootstrap")
    rows = []
    parse_t, parsed = _parse_time(binary, repeat)
    for layout, path in (("directory", d), ("zip", z)):
        if layout == "directory":
            read_t, _ = _median(lambda: len((d / "bootstrap").read_bytes()), repeat)
        else:
            def read_zip():
                with zipfile.ZipFile(z) as zf:
                    return len(zf.read("bootstrap"))
            read_t, _ = _median(read_zip, repeat)
        scan_t, inv = _median(lambda: scan_path(path, limits=limits), repeat)
        rows.append({
            "binary": str(binary), "size": size, "layout": layout, "zip_size": z.stat().st_size,
            "read_s": round(read_t, 4), "pkgscan_s": round(scan_t, 4), "parse_s": round(parse_t, 4),
            "ratio": round(scan_t / read_t, 2) if read_t else None,
            "components": len(inv.components), "go_version": parsed.buildinfo.go_version if parsed.buildinfo else "",
            "symbol_source": parsed.symbol_source, "functions": len(parsed.names),
            "notices": [n.code for n in inv.notices], "meets_target": scan_t < TARGET_S,
        })
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binaries", nargs="*", type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--check", action="store_true", help="exit 1 unless every scan takes < 1 s")
    ap.add_argument("--json", type=Path, default=BENCH / "results-go.json")
    args = ap.parse_args()
    binaries = args.binaries or DEFAULT
    missing = [b for b in binaries if not b.is_file()]
    if missing:
        print(f"missing: {', '.join(map(str, missing))}; run bench/build_go.sh first", file=sys.stderr)
        return 2
    rows = []
    with tempfile.TemporaryDirectory(dir=BENCH / ".cache") as tmp:
        for b in binaries:
            rows.extend(bench_one(b, args.repeat, Path(tmp)))
    print(f"{'binary':<10} {'MB':>6} {'layout':<9} {'read s':>7} {'pkgscan s':>9} {'ratio':>6} {'parse s':>7} "
          f"{'functions':>9} {'source':<8} target")
    for r in rows:
        print(f"{Path(r['binary']).name:<10} {r['size'] / 1e6:>6.1f} {r['layout']:<9} {r['read_s']:>7.3f} "
              f"{r['pkgscan_s']:>9.3f} {r['ratio']:>6} {r['parse_s']:>7.3f} {r['functions']:>9} {r['symbol_source']:<8} "
              f"{'ok' if r['meets_target'] else 'MISSED'}")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    args.json.write_text(json.dumps({"python": platform.python_version(), "cpus": os.cpu_count(), "loadavg": load,
                                     "repeat": args.repeat, "target_s": TARGET_S, "rows": rows}, indent=1))
    print(f"load average {load}; written {args.json}")
    return 1 if args.check and not all(r["meets_target"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
