#!/usr/bin/env python3
"""Benchmark pkgscan's offline advisory database: importing OSV's PyPI export, and matching
10,000 components against it, next to baselines measured in the same run.

Usage: python bench/bench_db.py [--repeat N] [--export PATH] [--json PATH] [--check]

  import   `import_path` of the complete PyPI export (all.zip) into a fresh database, one
           writer per run; median of N runs.  Baseline: stdlib zipfile + json.loads of every
           member (reading and parsing the export, no database).
  match    `pkgscan.vulns.matcher.match(inventory, [OfflineSource(AdvisoryDB(dir))])` on
           10,000 PyPI components: every package name in the export with up to 8 real
           versions taken from its records' `versions` lists and range events, padded with
           names no advisory lists.  Each of N child processes times one cold run (fresh
           process: empty parse caches, new SQLite connection) and then N warm runs.
           Baselines, in the same children on the same names:
             floor  a plain SQLite SELECT of the candidate rows (affected JOIN advisories)
                    for the inventory's normalized names, blobs fetched, nothing decoded
             json   the same SELECT plus zlib.decompress + json.loads of every candidate record
Targets: import < 5 s, match (cold and warm) < 0.5 s.  Writes bench/results-db.json.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections import defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

SHARED_EXPORT = Path("/work/shared/osv/PyPI-all.zip")
SAMPLE_EXPORT = REPO / "sample_packages" / "advisories" / "PyPI-all.zip"
TARGET_IMPORT_S = 5.0
TARGET_MATCH_S = 0.5
COMPONENTS = 10_000
VERSIONS_PER_NAME = 8


# --------------------------------------------------------------------------- inventory

def export_versions(export: Path) -> dict[str, set[str]]:
    """PyPI package name (as the records write it) -> real versions from versions lists and events."""
    out: dict[str, set[str]] = defaultdict(set)
    with zipfile.ZipFile(export) as zf:
        for name in zf.namelist():
            if not name.endswith(".json"):
                continue
            rec = json.loads(zf.read(name))
            for a in rec.get("affected") or []:
                pkg = (a or {}).get("package") or {}
                if pkg.get("ecosystem") != "PyPI" or not pkg.get("name"):
                    continue
                vs = out[pkg["name"]]
                vs.update(str(v) for v in a.get("versions") or [])
                for r in a.get("ranges") or []:
                    if r.get("type") != "ECOSYSTEM":
                        continue
                    for ev in r.get("events") or []:
                        vs.update(str(v) for v in ev.values() if str(v) != "0")
    return out


def build_components(export: Path) -> tuple[list[list[str]], dict]:
    """[[name, version], ...] (10,000 distinct), and how it was built."""
    from importlib import metadata

    from packaging.utils import canonicalize_name

    from pkgscan.vulns.versions import sort_key

    versions = export_versions(export)
    comps: list[list[str]] = []
    seen: set[tuple[str, str]] = set()
    vulnerable_names: set[str] = set()
    for name in sorted(versions):
        vs = sorted(versions[name], key=lambda v: sort_key("PyPI", v))
        if not vs:
            continue
        k = min(VERSIONS_PER_NAME, len(vs))
        picks = [vs[round(i * (len(vs) - 1) / max(1, k - 1))] for i in range(k)]
        for v in dict.fromkeys(picks):
            key = (canonicalize_name(name), v)
            if key not in seen:
                seen.add(key)
                comps.append([name, v])
                vulnerable_names.add(canonicalize_name(name))
    from_export = len(comps)
    # Padding: real distributions installed here that no advisory names, then synthetic names.
    installed = 0
    for dist in sorted(metadata.distributions(), key=lambda d: str(d.metadata.get("Name") or "")):
        name, version = dist.metadata.get("Name"), dist.version
        if not name or not version or canonicalize_name(name) in vulnerable_names:
            continue
        if (canonicalize_name(name), version) in seen or len(comps) >= COMPONENTS:
            continue
        seen.add((canonicalize_name(name), version))
        comps.append([name, version])
        installed += 1
    i = 0
    while len(comps) < COMPONENTS:
        comps.append([f"bench-unlisted-package-{i:05d}", "1.0.0"])
        i += 1
    return comps[:COMPONENTS], {
        "components": min(len(comps), COMPONENTS),
        "from_export": from_export,
        "export_names": len(vulnerable_names),
        "padding_installed": installed,
        "padding_synthetic": i,
    }


# --------------------------------------------------------------------------- child: match

def _select_candidates(db_path: Path, names: list[str], decode: bool) -> int:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    rows = 0
    try:
        if decode:
            ids: set[str] = set()
            for i in range(0, len(names), 500):
                chunk = names[i:i + 500]
                q = f"SELECT id FROM affected WHERE ecosystem = 'PyPI' AND name IN ({','.join('?' * len(chunk))})"
                ids.update(r[0] for r in conn.execute(q, chunk))
            idl = sorted(ids)
            for i in range(0, len(idl), 500):
                chunk = idl[i:i + 500]
                q = f"SELECT record FROM advisories WHERE id IN ({','.join('?' * len(chunk))})"
                for (blob,) in conn.execute(q, chunk):
                    json.loads(zlib.decompress(blob))
                    rows += 1
        else:
            for i in range(0, len(names), 500):
                chunk = names[i:i + 500]
                q = ("SELECT a.name, v.record FROM affected a JOIN advisories v ON v.id = a.id "
                     f"WHERE a.ecosystem = 'PyPI' AND a.name IN ({','.join('?' * len(chunk))})")
                rows += len(conn.execute(q, chunk).fetchall())
    finally:
        conn.close()
    return rows


def child_match(db_dir: str, comps_file: str, warm: int) -> None:
    """One fresh process: a cold match, `warm` warm matches, then the baselines."""
    from pkgscan.model import Artifact, Component, Inventory
    from pkgscan.vulns.matcher import OfflineSource, match, package_key
    from pkgscan.vulns.store import DB_FILE, AdvisoryDB

    comps = json.loads(Path(comps_file).read_text())
    inv = Inventory(Artifact("bench", "bench", "directory", "layer"),
                    tuple(Component("pypi", n, v, f"pkg:pypi/{n}@{v}") for n, v in comps))
    times, findings = [], 0
    for _ in range(1 + warm):
        gc.collect()  # each run starts from the same heap: the previous result is gone
        t0 = time.perf_counter()
        db = AdvisoryDB(db_dir)
        found = match(inv, [OfflineSource(db)])
        times.append(time.perf_counter() - t0)
        db.close()
        findings = len(found)
        del found, db
    names = sorted({package_key(c)[1] for c in inv.components})
    floor, decoded = [], []
    for _ in range(max(3, warm)):
        t0 = time.perf_counter()
        rows = _select_candidates(Path(db_dir) / DB_FILE, names, decode=False)
        floor.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        records = _select_candidates(Path(db_dir) / DB_FILE, names, decode=True)
        decoded.append(time.perf_counter() - t0)
    print(json.dumps({"cold": times[0], "warm": times[1:], "findings": findings, "floor": floor,
                      "json": decoded, "candidate_rows": rows, "candidate_records": records,
                      "names": len(names)}))


# --------------------------------------------------------------------------- parent

def bench_import(export: Path, repeat: int, workdir: Path) -> dict:
    from pkgscan.vulns.store import AdvisoryDB, import_path, writer

    runs, records = [], 0
    for i in range(repeat):
        d = workdir / f"import-{i}"
        t0 = time.perf_counter()
        with writer(d) as w:
            rep = import_path(w, export)
        runs.append(time.perf_counter() - t0)
        records = rep.imported
        assert not rep.skipped, rep.skipped[:3]
        db = AdvisoryDB(d)
        assert db.status()["advisories"] == records
        db.close()
        if i:
            shutil.rmtree(d)
    base = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        with zipfile.ZipFile(export) as zf:
            for name in zf.namelist():
                json.loads(zf.read(name))
        base.append(time.perf_counter() - t0)
    return {"runs": runs, "median": statistics.median(runs), "records": records,
            "baseline_zip_json": {"runs": base, "median": statistics.median(base)},
            "db_dir": str(workdir / "import-0")}


def bench_match(db_dir: str, comps: list, repeat: int, workdir: Path) -> dict:
    comps_file = workdir / "components.json"
    comps_file.write_text(json.dumps(comps))
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    children = []
    for _ in range(repeat):
        p = subprocess.run([sys.executable, __file__, "--child-match", db_dir, str(comps_file), str(repeat)],
                           capture_output=True, text=True, env=env, check=False)
        if p.returncode:
            sys.exit(f"bench child failed:\n{p.stderr}")
        children.append(json.loads(p.stdout.strip().splitlines()[-1]))
    cold = [c["cold"] for c in children]
    warm = [t for c in children for t in c["warm"]]
    floor = [t for c in children for t in c["floor"]]
    decoded = [t for c in children for t in c["json"]]
    out = {
        "cold": {"runs": cold, "median": statistics.median(cold)},
        "warm": {"runs": warm, "median": statistics.median(warm)},
        "baseline_sqlite_select": {"runs": floor, "median": statistics.median(floor)},
        "baseline_select_json_loads": {"runs": decoded, "median": statistics.median(decoded)},
        "findings": children[0]["findings"],
        "distinct_names": children[0]["names"],
        "candidate_rows": children[0]["candidate_rows"],
        "candidate_records": children[0]["candidate_records"],
    }
    f, j = out["baseline_sqlite_select"]["median"], out["baseline_select_json_loads"]["median"]
    out["ratios"] = {
        "cold/select": out["cold"]["median"] / f, "warm/select": out["warm"]["median"] / f,
        "cold/json": out["cold"]["median"] / j, "warm/json": out["warm"]["median"] / j,
    }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (default 3)")
    ap.add_argument("--export", type=Path, help="PyPI all.zip (default: /work/shared/osv/PyPI-all.zip "
                                                "if present, else sample_packages/advisories/PyPI-all.zip)")
    ap.add_argument("--json", type=Path, default=BENCH / "results-db.json", help="where to write the results")
    ap.add_argument("--check", action="store_true", help="exit 1 unless every target is met")
    ap.add_argument("--child-match", nargs=3, metavar=("DB", "COMPONENTS", "WARM"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_match:
        child_match(args.child_match[0], args.child_match[1], int(args.child_match[2]))
        return 0

    export = args.export or (SHARED_EXPORT if SHARED_EXPORT.exists() else SAMPLE_EXPORT)
    repeat = max(1, args.repeat)
    work = Path(tempfile.mkdtemp(prefix="pkgscan-bench-db-"))
    try:
        imp = bench_import(export, repeat, work)
        comps, built = build_components(export)
        mat = bench_match(imp["db_dir"], comps, repeat, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    imp.pop("db_dir")

    ok_import = imp["median"] < TARGET_IMPORT_S
    ok_cold = mat["cold"]["median"] < TARGET_MATCH_S
    ok_warm = mat["warm"]["median"] < TARGET_MATCH_S

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    zip_json = imp["baseline_zip_json"]["median"]
    print(f"pkgscan db benchmark: {export} ({export.stat().st_size / 2**20:.1f} MiB, {imp['records']:,} records), "
          f"median of {repeat}")
    print()
    print(f"{'measurement':<46} {'median':>9} {'ratio':>16} {'target':>9}")
    print(f"{'import into a fresh database':<46} {imp['median']:>8.3f}s {'':>16} {'< 5 s':>9} {verdict(ok_import)}")
    print(f"{'  baseline: zipfile + json.loads, no database':<46} {zip_json:>8.3f}s "
          f"{format(imp['median'] / zip_json, '.1f') + 'x base':>16}")
    print(f"match {built['components']:,} components ({mat['distinct_names']:,} names, "
          f"{mat['candidate_records']:,} candidate advisories, {mat['findings']:,} findings)")
    f = mat["baseline_sqlite_select"]["median"]
    j = mat["baseline_select_json_loads"]["median"]
    print(f"{'  pkgscan match, cold (first run in a process)':<46} {mat['cold']['median']:>8.3f}s "
          f"{format(mat['ratios']['cold/select'], '.0f') + 'x floor':>16} {'< 0.5 s':>9} {verdict(ok_cold)}")
    print(f"{'  pkgscan match, warm':<46} {mat['warm']['median']:>8.3f}s "
          f"{format(mat['ratios']['warm/select'], '.0f') + 'x floor':>16} {'< 0.5 s':>9} {verdict(ok_warm)}")
    print(f"{'  floor: SQLite SELECT of candidate rows':<46} {f:>8.3f}s {'1.0x floor':>16}")
    print(f"{'  baseline: SELECT + json.loads of records':<46} {j:>8.3f}s "
          f"{format(j / f, '.1f') + 'x floor':>16}")
    print(f"  (cold/json {mat['ratios']['cold/json']:.1f}x, warm/json {mat['ratios']['warm/json']:.1f}x; components: "
          f"{built['from_export']:,} from {built['export_names']} export names, padding "
          f"{built['padding_installed']} installed + {built['padding_synthetic']:,} synthetic names)")

    import pkgscan

    results = {
        "generated_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "pkgscan": pkgscan.__version__,
        "machine": {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
                    "platform": platform.platform(), "cpus": os.cpu_count()},
        "export": {"path": str(export), "bytes": export.stat().st_size, "records": imp["records"]},
        "repeat": repeat,
        "targets": {"import_s": TARGET_IMPORT_S, "match_s": TARGET_MATCH_S},
        "import": imp,
        "inventory": built,
        "match": mat,
        "pass": {"import": ok_import, "match_cold": ok_cold, "match_warm": ok_warm},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.json}")
    return 0 if not args.check or (ok_import and ok_cold and ok_warm) else 1


if __name__ == "__main__":
    sys.exit(main())
