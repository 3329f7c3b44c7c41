"""Benchmark the Java cataloger on a ~100 MB Spring-Boot-style fat jar built from real jars.

    python bench/bench_java.py [--jars DIR] [--size-mb 100] [--repeat 5] [--keep FAT.jar]

The fat jar: ``META-INF/MANIFEST.MF`` (Spring Boot's JarLauncher), the application's own
``META-INF/maven/.../pom.properties``, ``BOOT-INF/classes/`` and real jars under ``BOOT-INF/lib/``
(stored, as Spring Boot packs them), taken in name order from ``--jars`` (any directory holding
jars, searched recursively) until the fat jar reaches ``--size-mb``.  Without ``--jars`` the jars
come from Debian bookworm packages: ``apt-get download`` into a temporary directory, ``dpkg-deb -x``
(no installation).

Measured in the same run, warm page cache, median of ``--repeat``:

  baseline   read the file once: sha256 of the whole fat jar
  inventory  pkgscan.scan_path(fat jar): the whole scan as the CLI runs it (central directories of
             the fat jar and of every nested jar, every pom.properties / MANIFEST.MF, the sha256 of
             the artifact computed alongside on a second thread)
  catalog    the same without the artifact's sha256 (open_tree + scan_tree)

Both wall time and this process's CPU time are reported (with the load average): on a shared,
loaded machine the wall time measures the neighbours; the CPU time is what the scan costs.
Target: inventory < 1 s on 2 cores.  Writes bench/results-java.json.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pkgscan import scan_path  # noqa: E402
from pkgscan.archive import open_tree  # noqa: E402
from pkgscan.scan import scan_tree  # noqa: E402

DEBIAN = ["liblog4j2-java", "libguava-java", "libcommons-text-java", "libcommons-lang3-java", "libcommons-logging-java",
          "libyaml-snake-java", "libslf4j-java", "libhttpclient-java", "libhttpcore-java", "libjackson2-core-java",
          "libjackson2-databind-java", "libjackson2-annotations-java", "libjsoup-java", "libjoda-time-java",
          "libcommons-io-java", "libcommons-codec-java", "libbcprov-java", "libicu4j-java", "libnetty-java",
          "libjetty9-java", "libtomcat9-java", "liblucene4.10-java", "libbatik-java", "libfop-java",
          "libspring-core-java", "libhibernate3-java", "libprotobuf-java", "libpdfbox2-java", "libgoogle-gson-java"]
MiB = 1 << 20


def debian_jars(work: Path) -> Path:
    debs, root = work / "debs", work / "root"
    debs.mkdir()
    root.mkdir()
    subprocess.run(["apt-get", "download", *DEBIAN], cwd=debs, check=True, stdout=subprocess.DEVNULL)
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


def build_fat_jar(jar_dir: Path, out: Path, size_mb: int) -> dict:
    jars = sorted({p.resolve() for p in jar_dir.rglob("*.jar") if p.is_file()}, key=lambda p: p.name)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: org.springframework.boot.loader.JarLauncher\n"
                    "Start-Class: com.example.bench.App\nSpring-Boot-Classes: BOOT-INF/classes/\nSpring-Boot-Lib: BOOT-INF/lib/\n")
        zf.writestr("META-INF/maven/com.example/bench-app/pom.properties",
                    "groupId=com.example\nartifactId=bench-app\nversion=1.0.0\n")
        zf.writestr("BOOT-INF/classes/com/example/bench/App.class", b"\xca\xfe\xba\xbe")
        used = 0
        names: set[str] = set()
        for jar in jars:
            if out.stat().st_size + jar.stat().st_size > size_mb * MiB:
                continue
            name = jar.name if jar.name not in names else f"{jar.stem}-{len(names)}.jar"
            names.add(name)
            zi = zipfile.ZipInfo(f"BOOT-INF/lib/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_STORED  # Spring Boot stores nested jars
            zf.writestr(zi, jar.read_bytes())
            used += 1
            zf.fp.flush()
    return {"jars": used, "bytes": out.stat().st_size}


def _timed(fn):
    """(wall seconds, CPU seconds of this process, result)."""
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, out


def sha256_once(path: Path):
    def run():
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()
    return _timed(run)


def inventory(path: Path):
    return _timed(lambda: scan_path(path))


def catalog_only(path: Path):
    def run():
        with open_tree(path) as tree:
            return scan_tree(tree, path.name, str(path))
    return _timed(run)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jars", type=Path, help="directory of jars (default: Debian packages, downloaded)")
    ap.add_argument("--size-mb", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="write the fat jar here (and reuse it if it exists)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fat = args.keep or Path(tmp) / "bench-app-1.0.0.jar"
        if fat.exists():
            built = {"jars": sum(1 for n in zipfile.ZipFile(fat).namelist() if n.startswith("BOOT-INF/lib/")),
                     "bytes": fat.stat().st_size}
        else:
            jar_dir = args.jars or debian_jars(Path(tmp))
            built = build_fat_jar(jar_dir, fat, args.size_mb)
        sha256_once(fat)  # warm the page cache
        load = os.getloadavg()[0]
        base = [sha256_once(fat) for _ in range(args.repeat)]
        runs = [inventory(fat) for _ in range(args.repeat)]
        cat = [catalog_only(fat) for _ in range(args.repeat)]
        inv = runs[-1][2]

        def med(xs, i):
            return statistics.median(x[i] for x in xs)

        result = {
            "fat_jar_bytes": built["bytes"], "nested_jars": built["jars"], "entries": inv.artifact.entries,
"components": len(inv.components), "notices": len(inv.notices),
            "baseline_sha256_wall_s": med(base, 0), "baseline_sha256_cpu_s": med(base, 1),
            "inventory_wall_s": med(runs, 0), "inventory_cpu_s": med(runs, 1),
            "catalog_only_wall_s": med(cat, 0), "catalog_only_cpu_s": med(cat, 1),
            "cpus": os.cpu_count(), "load_average_1min": load, "python": platform.python_version(),
        }
        result["inventory_over_baseline_wall"] = result["inventory_wall_s"] / result["baseline_sha256_wall_s"]
        result["inventory_over_baseline_cpu"] = result["inventory_cpu_s"] / result["baseline_sha256_cpu_s"]
    r = result
    print(f"fat jar: {r['fat_jar_bytes'] / MiB:.1f} MiB, {r['nested_jars']} nested jars, "
          f"{r['components']} components, {r['notices']} notices; {r['cpus']} CPUs, load average {load:.1f}")
    print(f"                              wall        CPU (this process)")
    print(f"baseline (sha256, read once): {r['baseline_sha256_wall_s']:.3f} s     {r['baseline_sha256_cpu_s']:.3f} s")
    print(f"inventory (scan_path):        {r['inventory_wall_s']:.3f} s     {r['inventory_cpu_s']:.3f} s"
          f"   = {r['inventory_over_baseline_wall']:.2f} x baseline (wall), {r['inventory_over_baseline_cpu']:.2f} x (CPU)")
    print(f"catalog only (no sha256):     {r['catalog_only_wall_s']:.3f} s     {r['catalog_only_cpu_s']:.3f} s")
    print(f"target: inventory < 1 s -> {'OK' if r['inventory_wall_s'] < 1 else 'OVER'} (wall)"
          + ("" if load < (os.cpu_count() or 1) else "; the machine is loaded, CPU time is the figure to read"))
    (ROOT / "bench" / "results-java.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
