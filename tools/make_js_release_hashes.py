#!/usr/bin/env python3
"""Write pkgscan/data/js-release-hashes.json.gz: the content hash of every JavaScript file of every
release of a set of npm packages, read from the real registry tarballs.

  python tools/make_js_release_hashes.py OSV_NPM_ZIP [OUT] [--registry URL] [--cache DIR]

A source map's ``sourcesContent`` holds each bundled module's original text byte for byte, so the
hash of ``node_modules/<pkg>/<file>``'s content names the releases that shipped exactly that file;
the releases every file of a package agrees on are its version (technique ``hash-comparison``).

Which packages (a rule independent of any sample): every npm package named by an advisory of the
OSV export given (``affected[].package.name``), and the dependency closure of all their releases
(``dependencies`` of every release, transitively; ``peerDependencies`` and dev dependencies are not
followed), at most MAX_PACKAGES; and the whole dependency tree of each advisory package's newest
release (the capped closure of every release's dependencies stops two levels down, before
``jsonwebtoken -> jws -> jwa -> ecdsa-sig-formatter``).  Which releases: every published release that is not a
pre-release, the newest MAX_VERSIONS of a package when it has more.  Which files: ``*.js``,
``*.mjs``, ``*.cjs`` up to 2 MiB, outside test / example / doc directories.
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
import zipfile
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import requests
from packaging.version import InvalidVersion, Version

MAX_PACKAGES = 400
MAX_NEWEST = 400
MAX_VERSIONS = 120
MAX_FILE = 2 * 1024 * 1024
HASH_HEX = 12  # 48 bits of sha256: collisions between two files of one package are not a concern
_JS = (".js", ".mjs", ".cjs")
_SKIP_DIR = re.compile(r"(?:^|/)(?:test|tests|__tests__|spec|example|examples|benchmark|benchmarks|docs?)/")
_PRE = re.compile(r"-")  # a semver pre-release has a '-' (build metadata '+' alone is a release)


def advisory_packages(osv_zip: str) -> list[str]:
    names = set()
    with zipfile.ZipFile(osv_zip) as z:
        for n in z.namelist():
            doc = json.loads(z.read(n))
            for a in doc.get("affected", []):
                p = a.get("package", {})
                if p.get("ecosystem") == "npm" and p.get("name"):
                    names.add(p["name"])
    return sorted(names)


def packument(session, registry: str, name: str) -> dict | None:
    url = f"{registry}/{quote(name, safe='@')}".replace("@", "%40", 1) if name.startswith("@") else f"{registry}/{name}"
    for attempt in range(4):
        try:
            r = session.get(url, headers={"Accept": "application/vnd.npm.install-v1+json"}, timeout=60)
        except requests.RequestException:
            time.sleep(1 + attempt)
            continue
        if r.status_code == 404:
            return None
        if r.ok:
            return r.json()
        time.sleep(1 + attempt)
    return None


def _key(v: str):
    try:
        return (0, Version(v))
    except InvalidVersion:
        return (1, v)


def releases(doc: dict) -> list[str]:
    vs = [v for v in doc.get("versions", {}) if not _PRE.search(v.split("+", 1)[0])]
    vs.sort(key=_key)
    return vs[-MAX_VERSIONS:]


def newest_closure(session, registry: str, roots: list[str], docs: dict[str, dict]) -> None:
    """Add to docs the whole dependency tree of each root's newest release (what installing it today
    pulls in, every level deep: the capped closure stops at the third level), at most MAX_NEWEST
    packages more."""
    todo = list(roots)
    seen = set(todo)
    added = 0
    with ThreadPoolExecutor(16) as pool:
        while todo and added < MAX_NEWEST:
            batch, todo = todo, []
            missing = [n for n in batch if n not in docs]
            for name, doc in zip(missing, pool.map(lambda n: packument(session, registry, n), missing)):
                if doc is not None:
                    docs[name] = doc
                    added += 1
            for name in batch:
                doc = docs.get(name)
                vs = releases(doc) if doc else []
                for dep in (doc["versions"][vs[-1]].get("dependencies") or {}) if vs else ():
                    if dep not in seen:
                        seen.add(dep)
                        todo.append(dep)


def closure(session, registry: str, roots: list[str]) -> dict[str, dict]:
    docs: dict[str, dict] = {}
    todo = list(roots)
    seen = set(todo)
    with ThreadPoolExecutor(16) as pool:
        while todo and len(docs) < MAX_PACKAGES:
            batch, todo = todo[: MAX_PACKAGES - len(docs)], []
            for name, doc in zip(batch, pool.map(lambda n: packument(session, registry, n), batch)):
                if doc is None:
                    print(f"  not found: {name}", file=sys.stderr)
                    continue
                docs[name] = doc
                for v in releases(doc):
                    for dep in (doc["versions"][v].get("dependencies") or {}):
                        if dep not in seen:
                            seen.add(dep)
                            todo.append(dep)
    newest_closure(session, registry, roots, docs)
    return docs


def tarball(session, url: str, cache: str) -> bytes | None:
    path = os.path.join(cache, hashlib.sha256(url.encode()).hexdigest() + ".tgz")
    if os.path.exists(path):
        with open(path, "rb") as fh:
            return fh.read()
    for attempt in range(4):
        try:
            r = session.get(url, timeout=120)
        except requests.RequestException:
            time.sleep(1 + attempt)
            continue
        if r.ok:
            with open(path + ".tmp", "wb") as fh:
                fh.write(r.content)
            os.replace(path + ".tmp", path)
            return r.content
        if r.status_code == 404:
            return None
        time.sleep(1 + attempt)
    return None


def file_hashes(data: bytes) -> dict[str, str]:
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:
        for m in tf:
            if not m.isfile() or m.size > MAX_FILE:
                continue
            name = m.name.split("/", 1)[1] if "/" in m.name else m.name  # "package/lib/x.js" -> "lib/x.js"
            if not name.lower().endswith(_JS) or _SKIP_DIR.search(name):
                continue
            fh = tf.extractfile(m)
            if fh is not None:
                out[name] = hashlib.sha256(fh.read()).hexdigest()[:HASH_HEX]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("osv_zip")
    ap.add_argument("out", nargs="?", default="pkgscan/data/js-release-hashes.json.gz")
    ap.add_argument("--registry", default="https://registry.npmjs.org")
    ap.add_argument("--cache", default="/tmp/pkgscan-npm-tarballs")
    a = ap.parse_args()
    os.makedirs(a.cache, exist_ok=True)
    session = requests.Session()
    session.mount("https://", requests.adapters.HTTPAdapter(pool_maxsize=32))
    roots = advisory_packages(a.osv_zip)
    docs = closure(session, a.registry, roots)
    print(f"{len(roots)} advisory packages, {len(docs)} with the dependency closure", file=sys.stderr)
    jobs = [(name, v, doc["versions"][v]["dist"]["tarball"]) for name, doc in sorted(docs.items())
            for v in releases(doc) if doc["versions"][v].get("dist", {}).get("tarball")]
    print(f"{len(jobs)} releases", file=sys.stderr)

    def one(job):
        name, v, url = job
        data = tarball(session, url, a.cache)
        try:
            return name, v, file_hashes(data) if data else None
        except (tarfile.TarError, OSError, EOFError, ValueError):
            return name, v, None

    packages: dict[str, dict] = {}
    with ThreadPoolExecutor(16) as pool:
        for i, (name, v, hashes) in enumerate(pool.map(one, jobs)):
            if i % 500 == 0:
                print(f"  {i}/{len(jobs)}", file=sys.stderr)
            if hashes is None:
                continue
            p = packages.setdefault(name, {"versions": [], "files": {}})
            vi = len(p["versions"])
            p["versions"].append(v)
            for f, h in hashes.items():
                p["files"].setdefault(f, {}).setdefault(h, []).append(vi)
    for name, p in packages.items():  # the dependency ranges of each release, on packages in the data
        deps: dict[str, dict[str, int]] = {}
        for vi, v in enumerate(p["versions"]):
            for dep, rng in sorted((docs[name]["versions"][v].get("dependencies") or {}).items()):
                if dep in packages and isinstance(rng, str):
                    deps.setdefault(dep, {})[rng] = deps.get(dep, {}).get(rng, 0) | 1 << vi
        if deps:
            p["deps"] = {d: {r: format(b, "x") for r, b in sorted(rs.items())} for d, rs in sorted(deps.items())}
    doc = {"about": {
        "what": "sha256 (first 12 hex digits) of every *.js/*.mjs/*.cjs file of every release of these npm packages, "
                "read from the registry tarballs: file -> hash -> indices into versions",
        "made_by": "tools/make_js_release_hashes.py",
        "registry": a.registry,
        "made": time.strftime("%Y-%m-%d", time.gmtime()),
        "packages_rule": f"every npm package named by an advisory of {os.path.basename(a.osv_zip)} ({len(roots)}), and the "
                         f"dependency closure of all their releases (at most {MAX_PACKAGES} packages), and the "
                         f"whole dependency tree of each one's newest release",
        "versions_rule": f"every release that is not a pre-release, the newest {MAX_VERSIONS} of a package with more",
        "files_rule": "JavaScript files up to 2 MiB outside test/example/doc directories",
        "deps": "per package: dependency (one in this data) -> the range each release declares in 'dependencies' -> "
                "the releases declaring it (hex bitset over the indices into versions)",
    }, "packages": {n: packages[n] for n in sorted(packages)}}
    raw = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
    with open(a.out, "wb") as fh:
        fh.write(gzip.compress(raw, 9, mtime=0))
    print(f"wrote {a.out}: {len(packages)} packages, {len(jobs)} releases, {len(raw)} bytes of JSON, "
          f"{os.path.getsize(a.out)} gzipped", file=sys.stderr)


if __name__ == "__main__":
    main()
