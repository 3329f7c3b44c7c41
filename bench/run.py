#!/usr/bin/env python3
"""Benchmark pkgscan on two large Lambda packages against three baselines.

Usage: python bench/run.py [--repeat N] [--check] [--json PATH] [ZIP ...]

Build the packages first with bench/build_large.sh. For each package this
runs, one measurement per child process, each method N times (after one
untimed warm-up run) and reports the median wall time and the peak RSS:

  floor    a child Python that opens the zip with stdlib zipfile and reads every
           member a metadata scanner needs (the least a zip-reading scanner can do)
  pkgscan  `pkgscan sbom ZIP -o /dev/null`
  unzip    `unzip -q -o ZIP -d TMPDIR` (what tools that extract first pay before scanning)
  startup  `python -c pass` (the interpreter start-up inside pkgscan's time)

Peak RSS is the measured command's maximum resident set size as /usr/bin/time
reports it (%M); without GNU time, a small Python wrapper reports
getrusage(RUSAGE_CHILDREN). Wall time is taken around the whole child, so it
includes a millisecond or so for the wrapper. MB in the output means MiB (2**20 bytes).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CACHE = BENCH / ".cache"
DEFAULT_ZIPS = [CACHE / "python-layer-large.zip", CACHE / "node-function-large.zip"]

TARGET_WALL_S = 0.5
TARGET_RSS_MB = 150.0

# The floor: what any scanner that reads the zip in Python has to do at least.
# It prints "<members read> <bytes read> <manifests>" for the report.
FLOOR_CODE = r"""
import re, sys, zipfile
NAMES = {"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock",
         "Pipfile.lock", "uv.lock"}
NODE_MANIFEST = re.compile(r"(?:^|/)node_modules/(?:@[^/]+/)?[^/@.][^/]*/package\.json$")
read = nbytes = manifests = 0
with zipfile.ZipFile(sys.argv[1]) as zf:
    for info in zf.infolist():
        name = info.filename
        if name.endswith("/"):
            continue
        base = name.rpartition("/")[2]
        if name.endswith(".dist-info/METADATA") or name.endswith(".egg-info/PKG-INFO"):
            manifests += 1
        elif NODE_MANIFEST.search(name):
            manifests += 1
        elif not (base in NAMES
                  or (base == ".package-lock.json" and name.endswith("node_modules/.package-lock.json"))
                  or (base.startswith("requirements") and base.endswith(".txt"))):
            continue
        nbytes += len(zf.read(info))
        read += 1
print(read, nbytes, manifests)
"""


class Unavailable(Exception):
    """The method cannot run here (missing tool or CLI)."""


_PKGSCAN: list[str] | Unavailable | None = None


def pkgscan_command() -> list[str]:
    """Command prefix for the pkgscan CLI of the active environment.

    Raises Unavailable when there is no CLI or when `pkgscan --help` fails
    (the CLI does not run at all); a CLI that runs but fails on a package
    is reported as "failed" instead.
    """
    global _PKGSCAN
    if _PKGSCAN is None:
        script = Path(sys.executable).parent / "pkgscan"
        if (REPO / "pkgscan" / "__main__.py").is_file():
            cmd = [sys.executable, "-m", "pkgscan"]
        elif script.is_file() and os.access(script, os.X_OK):
            cmd = [str(script)]
        else:
            cmd = None
            _PKGSCAN = Unavailable(f"no pkgscan/__main__.py and no pkgscan script next to {sys.executable}")
        if cmd is not None:
            _, _, code, _, err = run_once(cmd + ["--help"], cwd=REPO)
            if code == 0:
                _PKGSCAN = cmd
            else:
                tail = " | ".join(err.strip().splitlines()[-2:])[-300:]
                _PKGSCAN = Unavailable(f"`{' '.join(cmd[-3:])} --help` exited {code}: {tail}")
    if isinstance(_PKGSCAN, Unavailable):
        raise _PKGSCAN
    return list(_PKGSCAN)


GNU_TIME = "/usr/bin/time"

# Fallback RSS probe when /usr/bin/time is missing: a fresh, small Python runs the
# command and reports its children's ru_maxrss. Its own RSS at spawn time counts
# into the child's peak (Linux carries it across exec), so figures are a few MB high.
RSS_WRAPPER = r"""
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


def rss_probe() -> str:
    """How peak RSS is measured: 'gnu-time' or 'python-wrapper'."""
    if os.access(GNU_TIME, os.X_OK):
        probe = subprocess.run([GNU_TIME, "-f", "%M", "true"], capture_output=True, text=True)
        if probe.returncode == 0 and probe.stderr.strip().splitlines()[-1:] and \
                probe.stderr.strip().splitlines()[-1].isdigit():
            return "gnu-time"
    return "python-wrapper"


RSS_PROBE = rss_probe()


def run_once(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, int, str, str]:
    """Run cmd as a child; return (wall s, peak RSS MiB, exit code, stdout, stderr).

    The command runs under /usr/bin/time (or the small Python wrapper), not
    straight from this process: Linux counts the RSS a child had before exec
    (here, a copy of this larger process) into its ru_maxrss.
    """
    fd, rss_path = tempfile.mkstemp(prefix="pkgscan-bench-rss-")
    os.close(fd)
    if RSS_PROBE == "gnu-time":
        wrapped = [GNU_TIME, "-f", "%M", "-o", rss_path, *cmd]
    else:
        wrapped = [sys.executable, "-c", RSS_WRAPPER, rss_path, *cmd]
    try:
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            start = time.perf_counter()
            code = subprocess.call(wrapped, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
            wall = time.perf_counter() - start
            out.seek(0)
            err.seek(0)
            stdout = out.read().decode(errors="replace")
            stderr = err.read().decode(errors="replace")
        lines = Path(rss_path).read_text().split()
        rss_kib = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    finally:
        os.unlink(rss_path)
    return wall, rss_kib / 1024.0, code, stdout, stderr


def measure(name: str, make_cmd, zip_path: Path, repeat: int) -> dict:
    """Warm up once, then time `repeat` runs. make_cmd(zip) -> (cmd, cleanup)."""
    walls: list[float] = []
    rsss: list[float] = []
    stdout = ""
    for i in range(repeat + 1):
        cmd, cleanup = make_cmd(zip_path)
        try:
            wall, rss, code, stdout, stderr = run_once(cmd, cwd=REPO)
        finally:
            cleanup()
        if code != 0:
            tail = " | ".join(stderr.strip().splitlines()[-3:])
            return {"method": name, "status": "failed", "exit_code": code,
                    "command": cmd, "error": tail[-400:]}
        if i:  # run 0 is the warm-up
            walls.append(wall)
            rsss.append(rss)
    return {
        "method": name,
        "status": "ok",
        "command": cmd,
        "runs": repeat,
        "median_wall_s": statistics.median(walls),
        "min_wall_s": min(walls),
        "max_wall_s": max(walls),
        "peak_rss_mb": max(rsss),
        "median_rss_mb": statistics.median(rsss),
        "stdout": stdout.strip()[-200:],
    }


def no_cleanup() -> None:
    pass


def floor_cmd(zip_path: Path):
    return [sys.executable, "-c", FLOOR_CODE, str(zip_path)], no_cleanup


def startup_cmd(zip_path: Path):
    return [sys.executable, "-c", "pass"], no_cleanup


def unzip_cmd(zip_path: Path):
    unzip = shutil.which("unzip")
    if unzip is None:
        raise Unavailable("unzip not found on PATH")
    tmp = tempfile.mkdtemp(prefix="pkgscan-bench-")
    return [unzip, "-q", "-o", str(zip_path), "-d", tmp], lambda: shutil.rmtree(tmp, ignore_errors=True)


def pkgscan_cmd(zip_path: Path):
    return pkgscan_command() + ["sbom", str(zip_path), "-o", os.devnull], no_cleanup


METHODS = [("floor", floor_cmd), ("pkgscan", pkgscan_cmd), ("unzip", unzip_cmd), ("startup", startup_cmd)]


def bench_package(zip_path: Path, repeat: int) -> dict:
    import zipfile

    with zipfile.ZipFile(zip_path) as zf:
        infos = zf.infolist()
    pkg = {
        "package": zip_path.name,
        "path": str(zip_path),
        "zip_bytes": zip_path.stat().st_size,
        "entries": len(infos),
        "files": sum(1 for i in infos if not i.is_dir()),
        "uncompressed_bytes": sum(i.file_size for i in infos),
        "methods": {},
    }
    for name, make_cmd in METHODS:
        print(f"  {zip_path.name}: {name} ...", file=sys.stderr, flush=True)
        try:
            result = measure(name, make_cmd, zip_path, repeat)
        except Unavailable as exc:
            result = {"method": name, "status": "unavailable", "error": str(exc)}
        pkg["methods"][name] = result

    floor = pkg["methods"]["floor"]
    if floor["status"] == "ok":
        read, nbytes, manifests = (int(x) for x in floor["stdout"].split())
        pkg.update(floor_members_read=read, floor_bytes_read=nbytes, manifests=manifests)
        for res in pkg["methods"].values():
            if res["status"] == "ok":
                res["wall_vs_floor"] = res["median_wall_s"] / floor["median_wall_s"]
                res["rss_vs_floor"] = res["peak_rss_mb"] / floor["peak_rss_mb"]

    scan = pkg["methods"]["pkgscan"]
    start = pkg["methods"]["startup"]
    if scan["status"] == "ok":
        if start["status"] == "ok":
            scan["wall_minus_startup_s"] = scan["median_wall_s"] - start["median_wall_s"]
        ok = scan["median_wall_s"] < TARGET_WALL_S and scan["peak_rss_mb"] < TARGET_RSS_MB
        pkg["verdict"] = "PASS" if ok else "FAIL"
    elif scan["status"] == "failed":
        pkg["verdict"] = "FAIL"
    else:
        pkg["verdict"] = "n/a (pkgscan unavailable)"
    return pkg


def print_table(packages: list[dict], repeat: int) -> None:
    cols = ["package", "zip MB", "entries", "method", "median wall s", "peak RSS MB", "wall/floor", "RSS/floor"]
    rows = []
    for pkg in packages:
        for name, res in pkg["methods"].items():
            row = [pkg["package"], f"{pkg['zip_bytes'] / 1e6:.1f}", str(pkg["entries"]), name]
            if res["status"] == "ok":
                row += [f"{res['median_wall_s']:.3f}", f"{res['peak_rss_mb']:.1f}",
                        f"{res.get('wall_vs_floor', float('nan')):.2f}x",
                        f"{res.get('rss_vs_floor', float('nan')):.2f}x"]
            else:
                row += [res["status"], "-", "-", "-"]
            rows.append(row)
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    right = {1, 2, 4, 5, 6, 7}

    def fmt(cells):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    print(fmt(cols))
    print("  ".join("-" * w for w in widths))
    prev = None
    for row in rows:
        if prev is not None and row[0] != prev:
            print()
        prev = row[0]
        print(fmt(row))
    print()
    print(f"median of {repeat} runs after 1 warm-up; peak RSS = max over the runs "
          f"(via {RSS_PROBE}); MB = MiB")
    print(f"targets for pkgscan, per package, on {os.cpu_count()} cores: "
          f"median wall < {TARGET_WALL_S} s and peak RSS < {TARGET_RSS_MB:.0f} MB")
    for pkg in packages:
        scan = pkg["methods"]["pkgscan"]
        detail = ""
        if scan["status"] == "ok":
            detail = (f" (wall {scan['median_wall_s']:.3f} s, of which start-up "
                      f"{pkg['methods']['startup'].get('median_wall_s', float('nan')):.3f} s; "
                      f"RSS {scan['peak_rss_mb']:.1f} MB)")
        elif scan.get("error"):
            detail = f" ({scan['status']}: {scan['error']})"
        print(f"  {pkg['verdict']:<4} {pkg['package']}{detail}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("zips", nargs="*", type=Path, help="zips to scan (default: the two large packages)")
    ap.add_argument("--repeat", "-n", type=int, default=5, help="timed runs per method (default 5)")
    ap.add_argument("--json", type=Path, default=BENCH / "results.json", help="where to write results")
    ap.add_argument("--check", action="store_true", help="exit 1 unless pkgscan passes on every package")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")

    zips = args.zips or DEFAULT_ZIPS
    missing = [z for z in zips if not z.is_file()]
    if missing:
        for z in missing:
            print(f"missing: {z}", file=sys.stderr)
        if not args.zips:
            print("build them first: bash bench/build_large.sh", file=sys.stderr)
        return 2

    packages = [bench_package(z.resolve(), args.repeat) for z in zips]
    print_table(packages, args.repeat)

    results = {
        "generated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "rss_probe": RSS_PROBE,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "executable": sys.executable, "platform": platform.platform()},
        "repeat": args.repeat,
        "targets": {"pkgscan_median_wall_s_below": TARGET_WALL_S,
                    "pkgscan_peak_rss_mb_below": TARGET_RSS_MB, "mb": "MiB"},
        "packages": packages,
    }
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.json}")
    if args.check:
        return 0 if all(p["verdict"] == "PASS" for p in packages) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
