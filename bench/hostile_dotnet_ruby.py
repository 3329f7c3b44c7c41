#!/usr/bin/env python3
"""Time and peak memory of scanning the hostile .NET / Ruby inputs (tests/hostile/dotnet_ruby.py).

Usage: .venv/bin/python bench/hostile_dotnet_ruby.py [--check] [--keep DIR]

Each input is scanned in a fresh subprocess (`dotnet_ruby.py --scan`), which reports its wall time
and peak resident memory.  Baselines measured in the same run, the same way: the two small samples
(`sample_packages/dotnet-function.zip`, `ruby-function.zip`).  Targets: every hostile case under
10 s and 300 MB; `--check` exits 1 when one is missed.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.hostile.dotnet_ruby import build  # noqa: E402

WORKER = ROOT / "tests" / "hostile" / "dotnet_ruby.py"
MAX_S, MAX_MB = 10.0, 300.0


def measure(path: Path) -> dict:
    r = subprocess.run([sys.executable, str(WORKER), "--scan", str(path)], capture_output=True, check=True)
    return json.loads(r.stdout.decode().strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--keep", type=Path, help="build the inputs here and keep them")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        cases = build(out / "cases")
        rows = [("baseline: " + z, measure(ROOT / "sample_packages" / z), False)
                for z in ("dotnet-function.zip", "ruby-function.zip")]
        rows += [(name, measure(path), True) for name, path in cases.items()]
    ok = True
    base_s = max(r["wall"] for _n, r, hostile in rows if not hostile)
    print(f"{'input':45} {'wall s':>8} {'x base':>8} {'peak MB':>8}  components  notices")
    for name, r, hostile in rows:
        bad = hostile and (r["wall"] >= MAX_S or r["maxrss_mb"] >= MAX_MB)
        ok &= not bad
        print(f"{name:45} {r['wall']:8.2f} {r['wall'] / base_s:8.1f} {r['maxrss_mb']:8.1f}  {r['components']:10}  "
              f"{','.join(r['notices'])}{'  <-- over target' if bad else ''}")
    return 1 if (args.check and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
