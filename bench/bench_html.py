"""Benchmark the HTML report of a large account: render time, file size, and Chromium's load time.

Run it from the repository root, as a module (it reuses the tests' synthetic account builder):

    .venv/bin/pip install -e '.[test]'          # once
    .venv/bin/python -m bench.bench_html [--functions 2000 10000] [--browser]

The account: N functions in 4 regions made from the real sample scans (python-, node- and
java-function.zip matched against every committed advisory export), each function carrying one
sample's packages and findings as pkgscan.aws.results writes them.  Baselines measured in the same run:

  json      the same report rendered with --format json (the cheapest full rendering)
  blank     Chromium loading a one-line page (with --browser: the floor of any page load)

Prints seconds, MB and the ratios html/json and (with --browser) page load / blank load.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from pkgscan.check import CheckOptions, check_path
from pkgscan.report import LIVE, Report, render

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_packages"


def _db(tmp: Path) -> Path:
    from pkgscan.vulns.store import import_path, writer

    with writer(tmp) as w:
        for z in sorted((SAMPLES / "advisories").glob("*.zip")):
            import_path(w, z)
    return tmp


def _load(chromium: str, url: str) -> float:
    with tempfile.TemporaryDirectory() as profile:
        t0 = time.perf_counter()
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={profile}", "--dump-dom", url], capture_output=True, timeout=600)
        return time.perf_counter() - t0


def main() -> None:
    from tests.test_html import _synthetic_account

    ap = argparse.ArgumentParser()
    ap.add_argument("--functions", type=int, nargs="+", default=[2000, 10000])
    ap.add_argument("--browser", action="store_true", help="also time Chromium loading each page")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = _db(Path(tmp) / "db")
        opts = CheckOptions(db_dir=str(db), max_db_age_days=None, discover_ignore_file=False)
        results = {n: check_path(SAMPLES / f"{n}.zip", opts) for n in ("python-function", "node-function", "java-function")}
        chromium = shutil.which("chromium") if args.browser else None
        blank = None
        if chromium:
            (Path(tmp) / "blank.html").write_text("<!DOCTYPE html><title>x</title>x\n")
            blank = _load(chromium, (Path(tmp) / "blank.html").as_uri())
        for n in args.functions:
            doc, scan = _synthetic_account(results, n)
            report = Report(LIVE, scan=scan, live=doc)
            t0 = time.perf_counter()
            base = render(report, "json")
            t_json = time.perf_counter() - t0
            t0 = time.perf_counter()
            page = render(report, "html")
            t_html = time.perf_counter() - t0
            line = (f"{n} functions: html {t_html:.2f} s, {len(page.encode()) / 1e6:.1f} MB; json {t_json:.2f} s, "
                    f"{len(base.encode()) / 1e6:.1f} MB; html/json time {t_html / t_json:.1f}x")
            if chromium:
                path = Path(tmp) / f"{n}.html"
                path.write_text(page)
                load = _load(chromium, path.as_uri() + "#functions")
                line += f"; Chromium load {load:.1f} s (blank page {blank:.1f} s, {load / blank:.1f}x)"
            print(line, flush=True)


if __name__ == "__main__":
    main()
