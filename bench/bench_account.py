"""Benchmark a whole-account scan against the emulated AWS account of the tests (loopback only).

Run it from the repository root, as a module (the emulator is the ``tests.aws_emulator`` package, so
the root must be on the import path, which ``-m`` does; the test extras provide moto):

    .venv/bin/pip install -e '.[test]'          # once
    .venv/bin/python -m bench.bench_account [--repeat 3]

The account: 200 functions in 3 regions (one throttled, one access-denied), 20 layers shared among
them, signed / unsigned / revoked code, an image function, an expired URL and a corrupted download
(tests/aws_emulator/scenario.py).  ``pkgscan account`` runs as a separate process (so its peak RSS is
its own) with a cold code cache, then again with the warm cache.  Baselines measured in the same run:

  list      ListFunctions over every region (the least any scan must do)
  download  GetFunction + download of every distinct zip once, 8 in parallel (the floor of a cold scan)

Reports wall time (median), API calls and bytes downloaded (counted by the emulator), peak RSS.
Warm runs also without ``--out-dir`` (warm-noout: no SBOMs, no summary written) and with the SBOMs
serialized by cyclonedx-python-lib (warm-ref, ``PKGSCAN_SBOM_REFERENCE=1``); target: warm <= 1.25 x
warm-noout.  Writes bench/results-account.json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

try:
    from tests.aws_emulator import Emulator, arm_faults, build_account
except ModuleNotFoundError as exc:  # run as a file, or from another directory: the root is not importable
    if exc.name not in ("tests", "tests.aws_emulator"):
        raise
    sys.exit("bench_account: run it from the repository root as a module: python -m bench.bench_account")


def run_cli(env: dict, args: list[str]) -> tuple[float, int, float, subprocess.CompletedProcess]:
    """Wall seconds, peak RSS (KiB) and CPU seconds (user + system, less sensitive than wall time to
    other work on the machine) of one pkgscan process."""
    import resource

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    time_bin = "/usr/bin/time"
    cmd = [sys.executable, "-m", "pkgscan", *args]
    rss = 0
    t0 = time.perf_counter()
    if os.path.exists(time_bin):
        with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
            proc = subprocess.run([time_bin, "-f", "%M", "-o", tf.name, *cmd], env=env, capture_output=True, text=True)
            wall = time.perf_counter() - t0
            try:
                rss = int(tf.read().strip().splitlines()[-1])
            except (ValueError, IndexError):
                rss = 0
    else:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, rss, cpu, proc


def baseline_list(emu, manifest) -> float:
    t0 = time.perf_counter()
    for region in manifest.regions:
        lam = emu.client("lambda", region)
        try:
            for _page in lam.get_paginator("list_functions").paginate():
                pass
        except Exception:  # the denied region
            pass
    return time.perf_counter() - t0


def baseline_download(emu, manifest) -> tuple[float, int]:
    import requests

    targets = {}
    for f in manifest.latest():
        if f.expected_status == "scanned":
            targets.setdefault(f.code_sha256, f)
    t0 = time.perf_counter()

    def get(f):
        lam = emu.client("lambda", f.region)
        url = lam.get_function(FunctionName=f.function_arn)["Code"].get("Location")
        if not url:  # an image function: its code is in ECR, not a zip
            return 0
        for _ in range(3):
            r = requests.get(url, timeout=60)
            if r.status_code == 200:
                return len(r.content)
            url = lam.get_function(FunctionName=f.function_arn)["Code"]["Location"]
        return 0

    with ThreadPoolExecutor(8) as pool:
        total = sum(pool.map(get, targets.values()))
    return time.perf_counter() - t0, total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Emulator() as emu:
        tmp = Path(tmp)
        manifest = build_account(emu)
        db = tmp / "db"
        env = {**os.environ, **emu.env(), "PKGSCAN_DB_DIR": str(db), "SOURCE_DATE_EPOCH": "1700000000"}
        subprocess.run([sys.executable, "-m", "pkgscan", "db", "import",
                        str(ROOT / "sample_packages/advisories/PyPI-all.zip"),
                        str(ROOT / "sample_packages/advisories/npm-all.zip")], env=env, check=True, capture_output=True)
        rows = {}
        labels = ("cold", "warm", "warm-noout", "warm-ref")
        runs: dict[str, list] = {label: [] for label in labels}
        # warm-noout: the same warm scan without --out-dir (no SBOMs written): the SBOM writing's cost is
        # warm / warm-noout (target <= 1.25); warm-ref writes them through cyclonedx-python-lib (the reference).
        # The labels take turns in every repetition, so that they see the same load on a shared machine.
        for i in range(args.repeat):
            for label in labels:
                cache = tmp / f"cache-{label}-{i}"
                if label != "cold":  # fill the cache first
                    arm_faults(emu, manifest)
                    run_cli({**env, "PKGSCAN_CACHE_DIR": str(cache)},
                            ["account", "--regions", ",".join(manifest.regions), "-q", "-f", "json", "-o", os.devnull])
                arm_faults(emu, manifest)
                emu.log.clear()
                out_dir = [] if label == "warm-noout" else ["--out-dir", str(tmp / f"out-{label}-{i}")]
                run_env = {**env, "PKGSCAN_CACHE_DIR": str(cache)}
                if label == "warm-ref":
                    run_env["PKGSCAN_SBOM_REFERENCE"] = "1"
                wall, rss, cpu, proc = run_cli(run_env, ["account", "--regions", ",".join(manifest.regions), "-q",
                                                    *out_dir, "-f", "json", "-o", os.devnull])
                if proc.returncode not in (0, 1, 3):  # 3: a region denied (the scenario has one)
                    print(f"{label}: exit {proc.returncode}", proc.stderr, file=sys.stderr)
                    return 2
                downloads = [d for d in emu.log.download_list() if d.complete]
                runs[label].append((wall, rss, len(emu.log.api_calls()), len(downloads), sum(d.size for d in downloads), cpu))
        for label, rs in runs.items():
            rows[label] = {"wall_s": statistics.median(r[0] for r in rs), "peak_rss_mib": max(r[1] for r in rs) / 1024,
                           "api_calls": statistics.median(r[2] for r in rs), "downloads": statistics.median(r[3] for r in rs),
                           "bytes_downloaded": statistics.median(r[4] for r in rs), "walls_s": [r[0] for r in rs],
                           "cpu_s": statistics.median(r[5] for r in rs)}
        emu.faults.clear()  # the baselines are floors: no throttling, no broken downloads
        t_list = statistics.median(baseline_list(emu, manifest) for _ in range(args.repeat))
        t_dl, dl_bytes = baseline_download(emu, manifest)
    print(f"pkgscan account scan of the emulated account: {len(manifest.functions)} function versions, "
          f"{len(manifest.layers)} layer versions, 3 regions; median of {args.repeat}")
    print(f"{'run':<11}{'wall s':>9}{'CPU s':>8}{'x list':>9}{'x download':>12}{'API calls':>11}{'downloads':>11}{'bytes':>12}{'peak RSS MiB':>14}")
    for label, r in rows.items():
        print(f"{label:<11}{r['wall_s']:>9.2f}{r['cpu_s']:>8.2f}{r['wall_s'] / t_list:>9.1f}{r['wall_s'] / t_dl:>12.1f}{r['api_calls']:>11.0f}"
              f"{r['downloads']:>11.0f}{r['bytes_downloaded']:>12,.0f}{r['peak_rss_mib']:>14.1f}")
    if "warm-noout" in rows:
        ratio = rows["warm"]["wall_s"] / rows["warm-noout"]["wall_s"]
        ref = rows["warm-ref"]["wall_s"] / rows["warm-noout"]["wall_s"]
        rows["warm"]["x_without_out_dir"] = ratio
        rows["warm-ref"]["x_without_out_dir"] = ref
        cratio = rows["warm"]["cpu_s"] / rows["warm-noout"]["cpu_s"]
        rows["warm"]["cpu_x_without_out_dir"] = cratio
        print(f"warm scan with --out-dir / without: {ratio:.2f} (target <= 1.25; {ref:.2f} through cyclonedx-python-lib)"
              f" -> {'PASS' if ratio <= 1.25 else 'FAIL'}; in CPU seconds of the pkgscan process: {cratio:.2f} "
              f"-> {'PASS' if cratio <= 1.25 else 'FAIL'}")
    print(f"baselines: list {t_list:.2f} s; download every distinct zip once {t_dl:.2f} s ({dl_bytes:,} bytes)")
    out = {"rows": rows, "baseline_list_s": t_list, "baseline_download_s": t_dl, "baseline_download_bytes": dl_bytes,
           "functions": len(manifest.functions), "layers": len(manifest.layers)}
    (ROOT / "bench" / "results-account.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
