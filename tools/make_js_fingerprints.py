#!/usr/bin/env python3
"""Write pkgscan/data/js-fingerprints.json: distinctive string literals of real npm packages.

  python tools/make_js_fingerprints.py NPM_CACACHE_DIR [OUT]

Reads every package tarball (``*.tgz``) in an npm cache (``~/.npm/_cacache``: index-v5 keys name
the tarball URL, content-v2 holds it by integrity), extracts the string literals of its JavaScript
files (tests excluded), and keeps, per package, up to KEEP literals that occur in no other package
of the set (or only packages that depend on it and may carry a built copy of it): what a minified bundle still carries when every name and comment is gone.  Literals
with escapes are skipped (bundlers rewrite escapes and quotes); each package records the tarball it
was read from (provenance).  A package named only by fingerprints has no version.
"""
import base64
import io
import json
import os
import re
import sys
import tarfile
from collections import defaultdict

KEEP = 10
LITERAL = re.compile(r"\"((?:[^\"\\\n]|\\.){0,2000})\"|'((?:[^'\\\n]|\\.){0,2000})'|`((?:[^`\\]|\\.){0,2000})`")
_WORDY = re.compile(r"[A-Za-z]{3,}(?: [A-Za-z0-9'.,:()\-]{2,}){2,}")
_TEST = re.compile(r"(?:^|/)(?:test|tests|__tests__|spec|example|examples|benchmark|docs?)/")


def literals(text):
    out = set()
    for m in LITERAL.finditer(text):
        s = m.group(1) or m.group(2) or m.group(3)
        if s and 14 <= len(s) <= 120 and "\\" not in s and "${" not in s and "\n" not in s and _WORDY.search(s) and "http" not in s and "  " not in s:
            out.add(s)
    return out


def tarballs(cache):
    for dirpath, _, files in os.walk(os.path.join(cache, "index-v5")):
        for fn in files:
            for line in open(os.path.join(dirpath, fn), encoding="utf-8", errors="replace"):
                try:
                    entry = json.loads(line.split("\t", 1)[1])
                except (IndexError, ValueError):
                    continue
                key, integ = entry.get("key", ""), entry.get("integrity", "")
                if key.endswith(".tgz") and integ.startswith("sha512-"):
                    hexd = base64.b64decode(integ[7:]).hex()
                    path = os.path.join(cache, "content-v2", "sha512", hexd[:2], hexd[2:4], hexd[4:])
                    if os.path.exists(path):
                        yield key.rsplit("/", 1)[-1], integ, path


def main(cache, out="pkgscan/data/js-fingerprints.json"):
    per_pkg = {}
    seen_in = defaultdict(set)
    uses = defaultdict(set)  # package -> what it depends on (a copy of a dependency's code may be in it)
    for tgz, integ, path in sorted(set(tarballs(cache))):
        try:
            with tarfile.open(path, "r:gz") as tf:
                name = version = None
                deps = set()
                lits = set()
                for m in tf.getmembers():
                    if not m.isfile() or m.size > 8 * 1024 * 1024:
                        continue
                    inner = m.name.split("/", 1)[-1]
                    if inner == "package.json":
                        pj = json.loads(tf.extractfile(m).read().decode("utf-8", "replace"))
                        name, version = pj.get("name"), pj.get("version")
                        for f in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
                            if isinstance(pj.get(f), dict):
                                deps.update(pj[f])
                    elif inner.endswith((".js", ".cjs", ".mjs")) and not inner.endswith(".d.ts") and not _TEST.search(inner):
                        lits |= literals(tf.extractfile(m).read().decode("utf-8", "replace"))
        except (tarfile.TarError, OSError, ValueError, EOFError):
            continue
        if not name or not lits:
            continue
        prev = per_pkg.get(name)
        uses[name] |= deps
        if prev is None:
            per_pkg[name] = {"from": [tgz], "literals": lits}
        else:  # another version: keep what both versions share (stabler across releases)
            prev["from"].append(tgz)
            both = prev["literals"] & lits
            prev["literals"] = both or prev["literals"]
        for s in lits:
            seen_in[s].add(name)
    table = {}
    for name, d in sorted(per_pkg.items()):
        # its own: no other package has the literal, or only packages that depend on it (and so may
        # carry a built copy of its code)
        unique = [s for s in d["literals"] if all(o == name or name in uses[o] for o in seen_in[s])]
        unique.sort(key=lambda s: (-len(s), s))
        if unique:
            table[name] = {"from": sorted(d["from"]), "literals": sorted(unique[:KEEP])}
    doc = {"about": "distinctive string literals per npm package, from the package tarballs in an npm cache, by "
                    "tools/make_js_fingerprints.py; a literal is kept only if no other package of the set has it, except packages depending on it (which may carry a built copy)",
           "names": sorted(per_pkg),
           "packages": table}
    with open(out, "w") as fh:
        json.dump(doc, fh, indent=0, ensure_ascii=False)
        fh.write("\n")
    print(f"{len(per_pkg)} packages read, {len(table)} with fingerprints")


if __name__ == "__main__":
    main(*sys.argv[1:])
