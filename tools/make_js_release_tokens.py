#!/usr/bin/env python3
"""Write pkgscan/data/js-release-tokens.json.gz: for each JavaScript file of each release of a set
of npm packages, the fingerprint of its reprint-proof token stream
(:func:`pkgscan.inventory.jstokens.fingerprint`).

  python tools/make_js_release_tokens.py [HASHES] [OUT] [--cache DIR] [--jobs N]

Same packages and releases as ``pkgscan/data/js-release-hashes.json.gz`` (made by
``tools/make_js_release_hashes.py``: every package named by an advisory of the OSV npm export and the
dependency closure of all their releases, at most 400; every non-pre-release, the newest 120), and
the version indices of that file.  The tarballs are the ones that tool downloaded from the npm
registry (its ``--cache``); a release whose tarball is not cached is left out and counted in
``about``.

esbuild reprints every module it bundles without minifying, so the hash of the original file never
holds in such a bundle; the fingerprint of its tokens (names, keywords, operators, literal values,
with what esbuild rewrites normalised away) does.  Per package: its ``versions`` and ``deps`` (copied
from the hashes file, same indices) and per file: fingerprint -> the releases
(a hex bitset over the version indices) whose file has it; and for each comment esbuild keeps
(``/*!``, ``//!``, ``@license``), its key (``legal_key``, starting with "!") -> the releases whose file
has it: a tie between releases whose code is the same is settled by a license line that is not.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sys
import tarfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import make_js_release_literals as releases  # noqa: E402  (the tarball cache and file rules)
from pkgscan.inventory.jstokens import fingerprint, legal_key  # noqa: E402

MAX_FILE = 2 * 1024 * 1024  # the hashes file's rule


def one_package(job) -> tuple[str, dict, list[str]]:
    name, versions = job
    per_file: dict[str, dict[str, int]] = {}
    missing = []
    seen: dict[bytes, tuple] = {}  # raw content digest -> keys (files repeat across releases)
    for vi, v in enumerate(versions):
        data = releases.cached(name, v)
        if data is None:
            missing.append(v)
            continue
        try:
            files = releases.js_files(data, MAX_FILE)
        except (tarfile.TarError, OSError, EOFError, ValueError):
            missing.append(v)
            continue
        for f, text in files.items():
            key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
            if key not in seen:
                legal: list[str] = []
                fp = fingerprint(text, legal=legal)
                seen[key] = (fp, *sorted({legal_key(c) for c in legal})) if fp is not None else ()
            by_fp = per_file.setdefault(f, {}) if seen[key] else {}
            for k in seen[key]:
                by_fp[k] = by_fp.get(k, 0) | 1 << vi
    out = {f: {fp: format(bits, "x") for fp, bits in sorted(per_file[f].items())} for f in sorted(per_file)}
    return name, out, missing


def with_releases(packages: dict[str, dict], hashes: dict[str, dict]) -> dict[str, dict]:
    """Each package's files, with its releases and their dependency ranges copied from the hashes file
    (same indices), so that a bundle without a source map needs this file only."""
    out = {}
    for n in sorted(packages):
        entry = {"versions": hashes[n]["versions"], "files": packages[n]}
        if hashes[n].get("deps"):
            entry["deps"] = hashes[n]["deps"]
        out[n] = entry
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("hashes", nargs="?", default="pkgscan/data/js-release-hashes.json.gz")
    ap.add_argument("out", nargs="?", default="pkgscan/data/js-release-tokens.json.gz")
    ap.add_argument("--cache", default=releases.CACHE)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    src = json.loads(gzip.decompress(open(a.hashes, "rb").read()))
    jobs = [(n, p["versions"]) for n, p in sorted(src["packages"].items())]
    packages, missing = releases.run_packages(one_package, jobs, a.jobs, a.cache)
    about = dict(src["about"])
    about.update({
        "what": "per package and file: fingerprint of the file's reprint-proof token stream "
                "(pkgscan.inventory.jstokens.fingerprint), and '!'-keys of its kept license comments "
                "(legal_key) -> the releases whose file has it (hex bitset over the version indices of the "
                "hashes file)",
        "made_by": "tools/make_js_release_tokens.py (from the tarballs tools/make_js_release_hashes.py downloaded)",
        "versions_from": os.path.basename(a.hashes),
        "made": time.strftime("%Y-%m-%d", time.gmtime()),
        "files_rule": f"JavaScript files up to {MAX_FILE} bytes outside test/example/doc directories, no *.min.js",
        "tarballs_missing": sum(len(v) for v in missing.values()),
    })
    doc = {"about": about, "packages": with_releases(packages, src["packages"])}
    size = releases.write_data(a.out, doc)
    print(f"wrote {a.out}: {len(packages)} packages, {size} bytes of JSON, {os.path.getsize(a.out)} gzipped; "
          f"{about['tarballs_missing']} tarballs missing", file=sys.stderr)


if __name__ == "__main__":
    main()
