"""Which npm release a bundled module's original text comes from: content hashes of real releases.

A source map's ``sourcesContent`` is each module's original text, byte for byte.  The data file
``pkgscan/data/js-release-hashes.json.gz`` (``tools/make_js_release_hashes.py``: every JavaScript
file of every release of a set of packages, read from the npm registry's tarballs) maps
(package, file, content hash) to the releases that shipped it.  The releases every hashed file of a
package agrees on are its version: one release is reported (technique ``hash-comparison``); several
(files identical across releases) leave the version unknown, with the candidates said; a file whose
content no release has (patched, or a release outside the data) means the hashes say nothing.

esbuild reprints each module when it does not minify, so no hash holds there; ``LiteralMatch`` uses
``pkgscan/data/js-release-literals.json.gz`` (``tools/make_js_release_literals.py``): per file, the
plain string literals that differ between releases, each with the releases holding it.  The literals
found in a package's modules narrow it to the releases holding all of them.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import re
from functools import lru_cache
from importlib import resources

HASH_HEX = 12
#: candidates listed when the files are identical in several releases
SHOWN_CANDIDATES = 12


def _packages(data_file: str) -> dict[str, dict]:
    """The ``packages`` of a gzipped JSON data file of pkgscan.data ({} when it cannot be read)."""
    try:
        raw = resources.files("pkgscan.data").joinpath(data_file).read_bytes()
        return json.loads(gzip.decompress(raw)).get("packages", {})
    except (OSError, ValueError, EOFError):
        return {}


@lru_cache(maxsize=1)
def release_hashes() -> dict[str, dict]:
    """npm package -> {"versions": [...], "files": {path: {hash: [version index, ...]}}}."""
    return _packages("js-release-hashes.json.gz")


class ReleaseMatch:
    """The releases the modules seen so far agree on, per package."""

    def __init__(self) -> None:
        self._cands: dict[str, set[int]] = {}
        self._files: dict[str, int] = {}
        self._mismatch: set[str] = set()

    def add(self, package: str, path_in_package: str, content: str) -> None:
        table = release_hashes().get(package)
        if table is None or package in self._mismatch:
            return
        by_hash = table["files"].get(path_in_package)
        if by_hash is None:  # a file no release ships as JavaScript (or one not hashed): no say
            return
        h = hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_HEX]
        idx = by_hash.get(h)
        if idx is None:  # changed after release (patched, rebuilt) or a release outside the data
            self._mismatch.add(package)
            self._cands.pop(package, None)
            return
        prev = self._cands.get(package)
        self._cands[package] = set(idx) if prev is None else prev & set(idx)
        self._files[package] = self._files.get(package, 0) + 1

    def verdict(self, package: str) -> tuple[str, tuple[str, ...], int]:
        """(the one release, or "", the candidate releases when several, files compared)."""
        cands = self._cands.get(package)
        if not cands:
            return "", (), 0
        versions = release_hashes()[package]["versions"]
        names = tuple(versions[i] for i in sorted(cands))
        if len(names) == 1:
            return names[0], (), self._files[package]
        return "", names, self._files[package]


# ------------------------------------------------------------------ string literals (reprinted code)
#: the expression tools/make_js_release_literals.py ran over every release's files
LITERAL = re.compile(r"\"([^\"'`\\\n$]{3,120})\"|'([^\"'`\\\n$]{3,120})'|`([^\"'`\\\n$]{3,120})`")
MAX_REGION = 1 << 20  # characters of one module's bundled text looked at
MAX_REGIONS = 5000  # modules looked at per bundle


@lru_cache(maxsize=1)
def release_literals() -> dict[str, dict]:
    """npm package -> {file: {"has": hex bitset, "lits": [[literal, hex bitset], ...]}} (lazily, once)."""
    return _packages("js-release-literals.json.gz")


class LiteralMatch:
    """The releases consistent with the string literals of a package's reprinted modules.

    A literal in the module narrows to the releases that hold it.  An absent literal is not used:
    esbuild drops comments and tree-shakes ES modules, and on the samples absences excluded the
    built release (lodash.isboolean), so only presences count.
    """

    def __init__(self) -> None:
        self._present: dict[str, int] = {}
        self._files: dict[str, int] = {}
        self._regions = 0

    def add(self, package: str, path_in_package: str, region: str) -> None:
        if self._regions >= MAX_REGIONS:
            return
        entry = release_literals().get(package, {}).get(path_in_package)
        if entry is None:
            return
        self._regions += 1
        found = {a or b or c for a, b, c in LITERAL.findall(region[:MAX_REGION])}
        cands = self._present.get(package, -1) & int(entry["has"], 16)
        for lit, bits in entry["lits"]:
            if lit in found:
                cands &= int(bits, 16)
        self._present[package] = cands
        self._files[package] = self._files.get(package, 0) + 1

    def verdict(self, package: str) -> tuple[str, tuple[str, ...], int]:
        """(the one release, or "", the candidate releases when several, modules compared)."""
        cands = self._present.get(package, 0)
        if cands <= 0:
            return "", (), 0
        versions = release_hashes().get(package, {}).get("versions", [])
        names = tuple(v for i, v in enumerate(versions) if cands >> i & 1)
        if len(names) == 1:
            return names[0], (), self._files[package]
        return "", names, self._files[package]
