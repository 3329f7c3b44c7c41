"""Benchmark SBOM emission: ``pkgscan sbom`` on big packages, start-up, and shared layers.

Run from the repository root (``python -m bench.bench_sbom`` or ``python bench/bench_sbom.py``):

    .venv/bin/python -m bench.bench_sbom [--repeat 5] [--check]

Inputs (built once into bench/.cache/, never committed; no install script of any package runs):

* ``node-function-45mb.zip``: a Node function, ``npm ci --ignore-scripts`` of the pinned
  ``bench/src/node-function-45mb/`` (aws-sdk v2, @aws-sdk/client-s3 and -dynamodb, webpack, typescript,
  eslint, jest, express, axios, lodash, moment; ~595 packages);
* ``python-layer-large.zip``: the ~80 MB Python layer of ``bench/build_large.sh`` (pandas, numpy, scipy,
  boto3 ...; pip wheels only).

Measured in the same run, each a child process, median of ``--repeat`` (one untimed warm-up each):

* **unzip**: ``unzip -q -o ZIP -d TMP`` (the "unpack first" part of the baseline; trivy is not installable
  here, so the ``trivy rootfs`` part of the issue's baseline cannot be measured: the ratio printed is
  against unzip alone, which makes it a stricter target than the issue's);
* **pkgscan**: ``python -m pkgscan sbom ZIP -o /dev/null`` (CycloneDX JSON 1.6) and peak RSS;
* **pkgscan-ref**: the same with ``PKGSCAN_SBOM_REFERENCE=1`` (cyclonedx-python-lib serializes);
* **help**: ``python -m pkgscan --help`` next to ``python -c pass``.

In-process (one process, warm imports): ``scan_path``, the fast emitter, and build_bom + serialize through
the library, on the same inventories; and the shared-layer case: function SBOMs (``results.write_sboms``)
for 1 and for 50 functions that all use the same layers (the Node function's packages as a layer), with how
many components were rendered.

The environment of this project sets ``PYTHONDONTWRITEBYTECODE=1``: every child would compile pkgscan's
sources again (~0.4 s).  The bench byte-compiles ``pkgscan/`` first (``compileall``), as an installed
package is.  Targets (issue "Fast at account scale"): pkgscan <= 0.10 x baseline, peak RSS <= 150 MB,
``--help`` <= 0.15 s.  Writes bench/results-sbom.json.
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
NODE_SRC = ROOT / "bench" / "src" / "node-function-45mb"
NODE_ZIP = CACHE / "node-function-45mb.zip"
PY_ZIP = CACHE / "python-layer-large.zip"
EPOCH = (2024, 1, 1, 0, 0, 0)


def build_node() -> None:
    if NODE_ZIP.exists():
        return
    stage = CACHE / "node-function-45mb"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    for f in ("package.json", "package-lock.json", "index.js"):
        shutil.copy(NODE_SRC / f, stage / f)
    print(f"build {NODE_ZIP} (npm ci --ignore-scripts)", file=sys.stderr)
    subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], cwd=stage,
                   check=True, stdout=subprocess.DEVNULL)
    tmp = NODE_ZIP.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:  # sorted, fixed times, directory entries
        for p in sorted(stage.rglob("*")):
            rel = p.relative_to(stage).as_posix()
            if p.is_symlink():
                continue
            info = zipfile.ZipInfo(rel + "/" if p.is_dir() else rel, EPOCH)
            info.external_attr = (0o40755 if p.is_dir() else 0o100644) << 16
            if p.is_dir():
                z.writestr(info, b"")
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, p.read_bytes())
    tmp.rename(NODE_ZIP)
    shutil.rmtree(stage)


def build_python() -> None:
    if not PY_ZIP.exists():
        subprocess.run(["bash", str(ROOT / "bench" / "build_large.sh")], check=True)


def child(cmd: list[str], env: dict | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB, 0 when /usr/bin/time is missing) of one child process."""
    time_bin = "/usr/bin/time"
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = [time_bin, "-f", "%M", "-o", tf.name, *cmd] if os.path.exists(time_bin) else cmd
        t0 = time.perf_counter()
        proc = subprocess.run(full, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: exit {proc.returncode}: {proc.stderr[-2000:]}")
        try:
            rss = int(tf.read().strip().splitlines()[-1])
        except (ValueError, IndexError):
            rss = 0
    return wall, rss


def timed(fn, repeat: int) -> tuple[float, int]:
    fn()  # warm-up (page cache)
    runs = [fn() for _ in range(repeat)]
    return statistics.median(w for w, _ in runs), max(r for _, r in runs)


def unzip_run(z: Path) -> tuple[float, int]:
    d = tempfile.mkdtemp(prefix="bench-unzip-")
    try:
        return child(["unzip", "-q", "-o", str(z), "-d", d])
    finally:
        shutil.rmtree(d, ignore_errors=True)


def in_process(zips: list[Path], repeat: int) -> dict:
    """scan / fast emit / library emit on the same inventories, in this process (imports warm)."""
    from pkgscan.report import cyclonedx_fast
    from pkgscan.report.cyclonedx import build_bom, serialize
    from pkgscan.scan import scan_path

    out = {}
    for z in zips:
        t = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            inv = scan_path(z)
            t.append(time.perf_counter() - t0)
        f, lib = [], []
        for _ in range(repeat):
            cyclonedx_fast.clear_caches()  # cold: every component rendered
            t0 = time.perf_counter()
            fast = cyclonedx_fast.emit_json(inv)
            f.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ref = serialize(build_bom(inv))
            lib.append(time.perf_counter() - t0)
        same = json.loads(fast) == json.loads(ref)  # timestamps may differ by a second: compare the rest
        out[z.name] = {"components": len(inv.components), "scan_s": statistics.median(t),
                       "emit_fast_s": statistics.median(f), "emit_library_s": statistics.median(lib), "same": same}
    return out


def shared_layers(layer_zip: Path, fn_zip: Path) -> dict:
    """Function SBOMs for 1 and 50 functions that use the same two layers: time and components rendered."""
    from pkgscan.aws import results
    from pkgscan.aws.model import AccountResult, FunctionResult, LayerResult
    from pkgscan.report import cyclonedx_fast
    from pkgscan.scan import scan_path

    layer_inv = scan_path(layer_zip)
    fn_inv = scan_path(fn_zip)
    layer2_inv = scan_path(ROOT / "sample_packages" / "node-layer.zip")
    rows = {}
    for n in (1, 50):
        acct = AccountResult(account="123456789012")
        acct.inventories["L1.layer"] = layer_inv
        acct.inventories["L2.layer"] = layer2_inv
        acct.inventories["F"] = fn_inv
        arns = []
        for i, key in enumerate(("L1", "L2")):
            arn = f"arn:aws:lambda:us-east-1:123456789012:layer:shared{i}:1"
            arns.append(arn)
            acct.layers.append(LayerResult(arn=arn, account=acct.account, region="us-east-1", name=f"shared{i}",
                                           version="1", status="scanned", code_sha256=f"{key}=", inventory_sha256=key))
        for i in range(n):
            acct.functions.append(FunctionResult(
                arn=f"arn:aws:lambda:us-east-1:123456789012:function:fn{i}:1", account=acct.account,
                region="us-east-1", name=f"fn{i}", version="1", status="scanned", runtime="nodejs20.x",
                code_sha256="F=", inventory_sha256="F", layers=tuple(arns)))
        cyclonedx_fast.clear_caches()
        calls = []
        real = cyclonedx_fast._component_dict
        cyclonedx_fast._component_dict = lambda c, spec: calls.append(1) or real(c, spec)
        try:
            with tempfile.TemporaryDirectory() as d:
                t0 = time.perf_counter()
                results.write_sboms(acct, d)
                wall = time.perf_counter() - t0
        finally:
            cyclonedx_fast._component_dict = real
        rows[n] = {"wall_s": wall, "components_rendered": len(calls),
                   "components_per_function": len(results.combined_inventory(acct.functions[0], acct).components)}
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--check", action="store_true", help="exit 1 unless every target is met")
    args = ap.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    build_node()
    build_python()
    compileall.compile_dir(str(ROOT / "pkgscan"), quiet=1)
    py = sys.executable
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    ref_env = {**env, "PKGSCAN_SBOM_REFERENCE": "1"}
    zips = [NODE_ZIP, PY_ZIP]
    res: dict = {"packages": {}, "load_average_start": os.getloadavg()}
    ok = True
    for z in zips:
        u, _ = timed(lambda: unzip_run(z), args.repeat)
        p, prss = timed(lambda: child([py, "-m", "pkgscan", "sbom", str(z), "-o", os.devnull], env), args.repeat)
        r, rrss = timed(lambda: child([py, "-m", "pkgscan", "sbom", str(z), "-o", os.devnull], ref_env), args.repeat)
        with zipfile.ZipFile(z) as zf:
            entries = len(zf.infolist())
        row = {"size_mb": z.stat().st_size / 1e6, "entries": entries, "unzip_s": u, "pkgscan_s": p,
               "pkgscan_rss_mib": prss / 1024, "pkgscan_ref_s": r, "pkgscan_ref_rss_mib": rrss / 1024,
               "ratio": p / u, "ratio_ref": r / u}
        row["pass"] = row["ratio"] <= 0.10 and row["pkgscan_rss_mib"] <= 150
        ok &= row["pass"]
        res["packages"][z.name] = row
    h, _ = timed(lambda: child([py, "-m", "pkgscan", "--help"], env), args.repeat)
    s, _ = timed(lambda: child([py, "-c", "pass"], env), args.repeat)
    res["help_s"], res["python_s"] = h, s
    ok &= h <= 0.15
    res["in_process"] = in_process(zips, max(1, min(args.repeat, 3)))
    res["shared_layers"] = shared_layers(NODE_ZIP, ROOT / "sample_packages" / "python-function.zip")
    res["load_average_end"] = os.getloadavg()

    print(f"pkgscan sbom (CycloneDX JSON 1.6) vs unzip, median of {args.repeat}; load average "
          f"{res['load_average_start'][0]:.1f} -> {res['load_average_end'][0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'package':<28}{'MB':>6}{'entries':>9}{'unzip s':>9}{'pkgscan s':>11}{'x unzip':>9}{'RSS MiB':>9}"
          f"{'library s':>11}{'x unzip':>9}  target")
    for name, r in res["packages"].items():
        print(f"{name:<28}{r['size_mb']:>6.1f}{r['entries']:>9}{r['unzip_s']:>9.2f}{r['pkgscan_s']:>11.2f}"
              f"{r['ratio']:>9.3f}{r['pkgscan_rss_mib']:>9.1f}{r['pkgscan_ref_s']:>11.2f}{r['ratio_ref']:>9.3f}"
              f"  {'PASS' if r['pass'] else 'FAIL'} (<= 0.10x, <= 150 MiB)")
    print(f"pkgscan --help {h:.3f} s (python -c pass {s:.3f} s)  {'PASS' if h <= 0.15 else 'FAIL'} (<= 0.15 s)")
    print("in process (warm imports):")
    for name, r in res["in_process"].items():
        print(f"  {name:<28} {r['components']:>4} components  scan {r['scan_s']:.3f} s  emit: fast {r['emit_fast_s']:.4f} s,"
              f" library {r['emit_library_s']:.3f} s ({r['emit_library_s'] / max(r['emit_fast_s'], 1e-9):.0f}x)"
              f"  same document: {r['same']}")
    sl = res["shared_layers"]
    print(f"shared layers (function SBOMs, {sl[1]['components_per_function']} components each): "
          f"1 function {sl[1]['wall_s']:.3f} s, {sl[1]['components_rendered']} components rendered; "
          f"50 functions {sl[50]['wall_s']:.3f} s ({sl[50]['wall_s'] / sl[1]['wall_s']:.1f}x), "
          f"{sl[50]['components_rendered']} components rendered")
    (ROOT / "bench" / "results-sbom.json").write_text(json.dumps(res, indent=2, default=str) + "\n")
    return 0 if (ok or not args.check) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
