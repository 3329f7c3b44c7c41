#!/usr/bin/env python3
"""Write pkgscan/data/js-release-literals.json.gz: for each file of each npm package, the plain string
literals that differ between its releases, each with the set of releases whose file holds it.

  python tools/make_js_release_literals.py [HASHES] [OUT] [--cache DIR]

Same packages and releases as ``pkgscan/data/js-release-hashes.json.gz`` (made by
``tools/make_js_release_hashes.py``: every package named by an advisory of the OSV npm export and the
dependency closure of all their releases, at most 400; every non-pre-release, the newest 120), and
the version indices of that file.  The tarballs are the ones that tool downloaded from the npm
registry (its ``--cache``); a release whose tarball is not cached is left out of every set and said
in ``about``.

esbuild reprints a module when it bundles without minifying (quotes, indentation, comments), so no
hash of the original file holds; its string literals survive.  A literal is kept when it is plain
(no quote, backslash, newline or ``${``: esbuild writes those the same whatever the original
quoting), 3 to 120 characters, and not in every release that ships the file.  A release "holds" a
literal when the LITERAL expression finds it in the file's text, the same expression the scanner
runs on the bundled text.  Per file at most MAX_SETS distinct release
sets (the rarest first), two literals each (the longest).  Sets are bitsets over the version
indices, written as hex.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import time
from multiprocessing import Pool

REGISTRY = "https://registry.npmjs.org"
MAX_FILE = 512 * 1024
MAX_SETS = 48
PER_SET = 2
_JS = (".js", ".mjs", ".cjs")
_SKIP = re.compile(r"(?:^|/)(?:test|tests|__tests__|spec|example|examples|benchmark|benchmarks|docs?)/|\.min\.[cm]?js$")
LITERAL = re.compile(r"\"([^\"'`\\\n$]{3,120})\"|'([^\"'`\\\n$]{3,120})'|`([^\"'`\\\n$]{3,120})`")

CACHE = "/tmp/pkgscan-npm-tarballs"


def tarball_url(name: str, version: str) -> str:
    base = name.split("/", 1)[1] if name.startswith("@") else name
    return f"{REGISTRY}/{name}/-/{base}-{version}.tgz"


def cached(name: str, version: str) -> bytes | None:
    path = os.path.join(CACHE, hashlib.sha256(tarball_url(name, version).encode()).hexdigest() + ".tgz")
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def js_files(data: bytes, max_file: int = MAX_FILE) -> dict[str, str]:
    """A release tarball's JavaScript files (not tests, examples, docs or *.min.js) up to max_file
    bytes: path in the package -> text."""
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:
        for m in tf:
            if not m.isfile() or m.size > max_file:
                continue
            name = m.name.split("/", 1)[1] if "/" in m.name else m.name
            if not name.lower().endswith(_JS) or _SKIP.search(name):
                continue
            fh = tf.extractfile(m)
            if fh is not None:
                out[name] = fh.read().decode("utf-8", "replace")
    return out


def holds(text: str, lit: str) -> bool:
    return f'"{lit}"' in text or f"'{lit}'" in text or f"`{lit}`" in text


def one_file(texts: dict[str, list[int]]) -> list[list[str]]:
    """distinct content -> version indices  =>  [[literal, hex bitset], ...]."""
    contents = list(texts)
    if len(contents) < 2:
        return []
    every = [{a or b or c for a, b, c in LITERAL.findall(t)} for t in contents]
    universe = set().union(*every) - set.intersection(*every)
    allbits = 0
    for t in contents:
        for i in texts[t]:
            allbits |= 1 << i
    by_set: dict[int, list[str]] = {}
    for lit in universe:
        bits = 0
        for t, lits in zip(contents, every):
            if lit in lits:
                for i in texts[t]:
                    bits |= 1 << i
        if bits and bits != allbits:
            by_set.setdefault(bits, []).append(lit)
    out = []
    for bits in sorted(by_set, key=lambda b: (bin(b).count("1"), b))[:MAX_SETS]:
        for lit in sorted(by_set[bits], key=lambda s: (-len(s), s))[:PER_SET]:
            out.append([lit, format(bits, "x")])
    return out


def one_package(job) -> tuple[str, dict, list[str]]:
    name, versions = job
    per_file: dict[str, dict[str, list[int]]] = {}
    missing = []
    for vi, v in enumerate(versions):
        data = cached(name, v)
        if data is None:
            missing.append(v)
            continue
        try:
            files = js_files(data)
        except (tarfile.TarError, OSError, EOFError, ValueError):
            missing.append(v)
            continue
        for f, text in files.items():
            per_file.setdefault(f, {}).setdefault(text, []).append(vi)
    out = {}
    for f in sorted(per_file):
        has = 0
        for idx in per_file[f].values():
            for i in idx:
                has |= 1 << i
        lits = one_file(per_file[f])
        if lits:
            out[f] = {"has": format(has, "x"), "lits": lits}
    return name, out, missing


def run_packages(one, jobs: list, n: int, cache: str) -> tuple[dict, dict]:
    """one(job) over every (name, versions) job in n processes: (name -> result, name -> missing)."""
    packages, missing = {}, {}
    with Pool(n, initializer=_set_cache, initargs=(cache,)) as pool:
        for i, (name, result, miss) in enumerate(pool.imap_unordered(one, jobs)):
            if result:
                packages[name] = result
            if miss:
                missing[name] = miss
            if i % 50 == 0:
                print(f"  {i}/{len(jobs)}", file=sys.stderr)
    return packages, missing


def write_data(path: str, doc: dict) -> int:
    """Write doc as deterministic gzipped JSON; return the JSON's size."""
    raw = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
    with open(path, "wb") as fh:
        fh.write(gzip.compress(raw, 9, mtime=0))
    return len(raw)


def main() -> None:
    global CACHE
    ap = argparse.ArgumentParser()
    ap.add_argument("hashes", nargs="?", default="pkgscan/data/js-release-hashes.json.gz")
    ap.add_argument("out", nargs="?", default="pkgscan/data/js-release-literals.json.gz")
    ap.add_argument("--cache", default=CACHE)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    CACHE = a.cache
    src = json.loads(gzip.decompress(open(a.hashes, "rb").read()))
    jobs = [(n, p["versions"]) for n, p in sorted(src["packages"].items())]
    packages, missing = run_packages(one_package, jobs, a.jobs, a.cache)
    about = dict(src["about"])
    about.update({
        "what": "per package and file: plain string literals that differ between releases, each with the "
                "releases whose file holds it (hex bitset over the version indices of the hashes file); "
                "'has': the releases that ship the file",
        "made_by": "tools/make_js_release_literals.py (from the tarballs tools/make_js_release_hashes.py downloaded)",
        "versions_from": os.path.basename(a.hashes),
        "made": time.strftime("%Y-%m-%d", time.gmtime()),
        "literal_rule": f"no quote/backslash/newline/$, 3-120 chars, not in every release shipping the file; at most "
                        f"{MAX_SETS} release sets per file (rarest first), {PER_SET} literals each; files up to "
                        f"{MAX_FILE} bytes, no *.min.js",
        "tarballs_missing": sum(len(v) for v in missing.values()),
    })
    doc = {"about": about, "packages": {n: packages[n] for n in sorted(packages)}}
    size = write_data(a.out, doc)
    print(f"wrote {a.out}: {len(packages)} packages, {size} bytes of JSON, {os.path.getsize(a.out)} gzipped; "
          f"{about['tarballs_missing']} tarballs missing", file=sys.stderr)


def _set_cache(cache: str) -> None:
    global CACHE
    CACHE = cache


if __name__ == "__main__":
    main()
