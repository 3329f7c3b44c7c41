"""Run one scan in a child process (tests/hostile/make_corpus.py --scan) under an address-space cap
and a wall-clock timeout; the result carries the child's own peak RSS (VmHWM) and elapsed time."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

MAKE_CORPUS = Path(__file__).resolve().parent / "make_corpus.py"
ROOT = Path(__file__).resolve().parents[2]
RLIMIT_AS = 1 << 30
MAX_SECONDS = 10
MAX_RSS_KB = 300 * 1024


def scan_child(path: str | Path, limits: dict | None = None, timeout: float = 60) -> dict:
    cmd = [sys.executable, str(MAKE_CORPUS), "--scan", str(path), "--limits", json.dumps(limits or {}),
           "--rlimit-as", str(RLIMIT_AS)]
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=ROOT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "wall": time.perf_counter() - t0}
    lines = r.stdout.decode("utf-8", "replace").strip().splitlines()
    if r.returncode != 0 or not lines:
        return {"status": "crash", "message": f"worker exit {r.returncode}", "traceback": r.stderr.decode()[-3000:]}
    res = json.loads(lines[-1])
    res["wall"] = time.perf_counter() - t0
    return res


def assert_bounded(res: dict) -> None:
    assert res["status"] == "ok", res
    assert res["elapsed"] < MAX_SECONDS, f"scan took {res['elapsed']:.1f} s"
    assert res["maxrss_kb"] < MAX_RSS_KB, f"peak RSS {res['maxrss_kb'] // 1024} MiB"
