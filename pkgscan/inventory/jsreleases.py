"""Which npm release a bundled module's original text comes from: content hashes of real releases.

A source map's ``sourcesContent`` is each module's original text, byte for byte.  The data file
``pkgscan/data/js-release-hashes.json.gz`` (``tools/make_js_release_hashes.py``: every JavaScript
file of every release of a set of packages, read from the npm registry's tarballs) maps
(package, file, content hash) to the releases that shipped it.  The releases every hashed file of a
package agrees on are its version: one release is reported (technique ``hash-comparison``); several
(files identical across releases) leave the version unknown, with the candidates said; a file whose
content no release has (patched, or a release outside the data) means the hashes say nothing.

esbuild reprints each module when it does not minify, so no hash of the original text holds there.
``TokenMatch`` compares what survives the reprinting instead: the fingerprint of each module's token
stream (:mod:`pkgscan.inventory.jstokens`) with ``pkgscan/data/js-release-tokens.json.gz``
(``tools/make_js_release_tokens.py``: the same fingerprint of every file of every release).  Where that
says nothing (a module the data lacks, or one esbuild rewrote beyond the normalisation), ``LiteralMatch`` uses
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


def release_table(package: str) -> dict | None:
    """A package's ``versions`` and ``deps`` (both data files carry them, with the same indices): from
    the hashes file when a source map already loaded it, else from the smaller tokens file."""
    if release_hashes.cache_info().currsize:
        return release_hashes().get(package)
    return release_tokens().get(package)


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
        versions = release_hashes()[package]["versions"]  # (ReleaseMatch: the hashes file is loaded)
        names = tuple(versions[i] for i in sorted(cands))
        if len(names) == 1:
            return names[0], (), self._files[package]
        return "", names, self._files[package]


def _verdict(package: str, cands: int, files: int) -> tuple[str, tuple[str, ...], int]:
    """A bitset of candidate releases as (the one release or "", the candidates when several, files)."""
    if cands <= 0:
        return "", (), 0
    versions = (release_table(package) or {}).get("versions", [])
    names = tuple(v for i, v in enumerate(versions) if cands >> i & 1)
    if len(names) == 1:
        return names[0], (), files
    return "", names, files


def required_by(package: str, candidates: tuple[str, ...],
                dependents: dict[str, tuple[str, ...]]) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    """Narrow a package's candidate releases by the dependency ranges of the packages bundled with it.

    ``dependents``: each other package that resolves ``package`` to the one bundled copy, with the
    releases it may be (its version, or its candidates).  One whose every candidate declares a range
    on ``package`` (``dependencies`` in the registry's metadata, kept in the hashes file) was installed
    with a release satisfying one of those ranges.  Returns the candidates left and the
    (dependent, range) pairs that removed some.
    """
    from ..vulns.npm_range import satisfies

    left = list(candidates)
    why: list[tuple[str, str]] = []
    for dep_name in sorted(dependents):
        table = release_table(dep_name)
        ranges = (table or {}).get("deps", {}).get(package)
        if not ranges:
            continue
        index = {v: i for i, v in enumerate(table["versions"])}
        declared = set()
        for v in dependents[dep_name]:
            i = index.get(v)
            rng = next((r for r, bits in ranges.items() if i is not None and int(bits, 16) >> i & 1), None)
            if rng is None:  # a candidate that does not need the package (or is not in the data): no say
                declared = set()
                break
            declared.add(rng)
        if not declared:
            continue
        kept = [v for v in left if any(satisfies(v, r) for r in declared)]
        if kept and len(kept) < len(left):
            left = kept
            why.append((dep_name, " || ".join(sorted(declared))))
    return tuple(left), why


# ------------------------------------------------------------------ token fingerprints (reprinted code)
#: characters of bundled modules fingerprinted per bundle (the rest: no fingerprint, said)
MAX_TOKEN_TEXT = 16 * 1024 * 1024


@lru_cache(maxsize=1)
def release_tokens() -> dict[str, dict]:
    """npm package -> {"versions", "deps", "files": {file: {fingerprint or "!"-key: hex bitset of the
    releases}}} (lazily, once)."""
    return _packages("js-release-tokens.json.gz")


#: fingerprints of bundled modules already seen in this process (functions bundle the same library
#: releases): sha256 of the module's text -> (fingerprint, kept comments); at most FINGERPRINT_CACHE_MAX
_FINGERPRINTS: dict[bytes, tuple[str | None, tuple[str, ...]]] = {}
FINGERPRINT_CACHE_MAX = 50_000


def _fingerprint(region: str) -> tuple[str | None, tuple[str, ...]]:
    from .jstokens import fingerprint

    key = hashlib.sha256(region.encode("utf-8", "surrogatepass")).digest()
    hit = _FINGERPRINTS.get(key)
    if hit is None:
        legal: list[str] = []
        hit = (fingerprint(region, bundled=True, legal=legal), tuple(legal))
        if FINGERPRINT_CACHE_MAX:
            if len(_FINGERPRINTS) >= FINGERPRINT_CACHE_MAX:
                _FINGERPRINTS.clear()
            _FINGERPRINTS[key] = hit
    return hit


class TokenMatch:
    """The releases whose file has the same token fingerprint as each reprinted module of a package.

    A module whose fingerprint no release has (patched, a release outside the data, or a rewrite the
    normalisation does not undo) leaves the package undecided: the fingerprints then say nothing.
    """

    def __init__(self) -> None:
        # keyed by package, and by (package, copy directory)
        self._cands: dict = {}
        self._files: dict = {}
        self._mismatch: set = set()
        self._text = 0
        self.limited = False  # MAX_TOKEN_TEXT was reached
        self.legal: dict[str, int] = {}  # kept comments that narrowed a package

    def add(self, package: str, path_in_package: str, region: str, copy: str = "") -> None:
        """One bundled module of ``package``; ``copy``: the package directory it comes from (a bundle
        may hold two copies of a package, ``node_modules/lodash`` and ``node_modules/a/node_modules/lodash``)."""
        by_fp = release_tokens().get(package, {}).get("files", {}).get(path_in_package)
        if by_fp is None:  # a file no release ships (or not in the data): no say
            return
        if self._text + len(region) > MAX_TOKEN_TEXT or len(region) > MAX_REGION:
            self.limited = True
            return
        self._text += len(region)
        fp, legal = _fingerprint(region)
        bits = by_fp.get(fp) if fp is not None else None
        for key in (package, (package, copy)):
            if key in self._mismatch:
                continue
            if bits is None:
                self._mismatch.add(key)
                self._cands.pop(key, None)
                continue
            self._cands[key] = self._cands.get(key, -1) & int(bits, 16)
            self._files[key] = self._files.get(key, 0) + 1
        if legal and bits is not None:
            self.add_legal(package, path_in_package, list(legal))

    def copies(self, package: str, dirs) -> dict[str, tuple[str, int]]:
        """Each copy's own release, when every copy's modules name exactly one: {dir: (version, modules)};
        {} otherwise."""
        out = {}
        for d in dirs:
            key = (package, d)
            if key in self._mismatch:
                return {}
            version, _cands, n = _verdict(package, self._cands.get(key, 0), self._files.get(key, 0))
            if not version:
                return {}
            out[d] = (version, n)
        return out

    def add_legal(self, package: str, path_in_package: str, comments: list[str]) -> None:
        """The comments esbuild kept from a module (``/*! ... */``, ``@license``), inline or in its
        end-of-file block: of the releases its tokens fit, the ones whose file has each comment.
        A comment no release has (reworded by a tool) says nothing."""
        from .jstokens import legal_key

        cands = self._cands.get(package)
        if not cands or package in self._mismatch:
            return
        by_fp = release_tokens().get(package, {}).get("files", {}).get(path_in_package) or {}
        for c in comments[:64]:
            bits = by_fp.get(legal_key(c))
            if bits is not None and cands & int(bits, 16):
                cands &= int(bits, 16)
                self.legal[package] = self.legal.get(package, 0) + 1
        self._cands[package] = cands

    def verdict(self, package: str) -> tuple[str, tuple[str, ...], int]:
        """(the one release, or "", the candidate releases when several, modules compared)."""
        return _verdict(package, self._cands.get(package, 0), self._files.get(package, 0))


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
        return _verdict(package, self._present.get(package, 0), self._files.get(package, 0))
