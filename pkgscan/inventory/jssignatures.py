"""retire.js's signatures for JavaScript libraries, and the string-literal fingerprints of npm
packages, as data (``pkgscan/data/retirejs-extractors.json``, ``pkgscan/data/js-fingerprints.json``).

A signature's regular expression runs only in windows around its anchor (the longest literal run it
must contain), at most MAX_ANCHORS of them: the cost is bounded whatever the input.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..ecosystems import valid_npm_name

#: how far around a literal anchor a signature regex may look, and how many anchors per signature
WINDOW = 2048
MAX_ANCHORS = 64


@dataclass(frozen=True)
class _Signature:
    npm: str
    anchor: str
    regex: re.Pattern


def _anchor(pattern: str) -> str:
    """The longest run of plain characters the regex must contain (its anchor), '' when none is safe."""
    best, cur, i, n = "", [], 0, len(pattern)
    depth = 0
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt in ".*+?()[]{}|\\/^$-\"'":
                cur.append(nxt)
                i += 2
                continue
            cur = []
            i += 2
            continue
        if ch in "([{":
            if ch == "(":
                depth += 1
            if ch == "[":  # skip the class
                j = pattern.find("]", i + 2)
                i = j + 1 if j > 0 else n
                cur = []
                continue
            if ch == "{":
                j = pattern.find("}", i)
                i = j + 1 if j > 0 else n
                if cur:
                    cur.pop()  # the quantified character is optional/repeated
                cur = []
                continue
            cur = []
            i += 1
            continue
        if ch == ")":
            depth -= 1
            cur = []
            i += 1
            continue
        if ch == "|":
            return ""  # an alternation: no single required literal (kept simple)
        if ch in "*?+":
            if cur and ch in "*?":
                cur.pop()
            if len("".join(cur)) > len(best) and depth == 0:
                best = "".join(cur)
            cur = []
            i += 1
            continue
        if ch in ".^$":
            if len("".join(cur)) > len(best) and depth == 0:
                best = "".join(cur)
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
        if depth == 0 and len("".join(cur)) > len(best):
            best = "".join(cur)
    return best


@lru_cache(maxsize=1)
def _retire_raw() -> dict:
    try:
        return json.loads(resources.files("pkgscan.data").joinpath("retirejs-extractors.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}


@lru_cache(maxsize=1)
def file_signatures() -> tuple[tuple[tuple[str, re.Pattern], ...], dict[str, tuple[str, str]]]:
    """retire.js ``filename`` regexes (npm name, anchored regex) and ``hashes`` (sha1 -> (npm, version))."""
    names: list[tuple[str, re.Pattern]] = []
    hashes: dict[str, tuple[str, str]] = {}
    for lib in _retire_raw().get("libraries", []):
        npm = lib.get("npm") or ""
        if not valid_npm_name(npm):
            continue
        for pat in lib.get("filename", []):
            try:
                names.append((npm, re.compile("^" + pat.replace("§§version§§", r"[0-9][0-9.a-z_\-]+") + "$")))
            except re.error:
                continue
        for sha1, version in (lib.get("hashes") or {}).items():
            hashes[sha1.lower()] = (npm, version)
    return tuple(names), hashes


@lru_cache(maxsize=1)
def signatures() -> tuple[_Signature, ...]:
    """retire.js ``filecontent`` extractors whose library has an npm name, compiled, with anchors."""
    raw = _retire_raw()
    out: list[_Signature] = []
    for lib in raw.get("libraries", []):
        npm = lib.get("npm") or ""
        if not valid_npm_name(npm):
            continue
        for pat in lib.get("filecontent", []):
            pat = pat.replace("§§version§§", r"[0-9][0-9.a-z_\-]+")
            pat = re.sub(r"\(\?<([A-Za-z])", r"(?P<\1", pat)
            anchor = _anchor(pat)
            if len(anchor) < 6:
                continue
            try:
                rx = re.compile(pat)
            except re.error:
                continue
            out.append(_Signature(npm, anchor, rx))
    return tuple(out)


@lru_cache(maxsize=1)
def fingerprints() -> dict[str, tuple[str, ...]]:
    """npm package -> its distinctive string literals (``pkgscan/data/js-fingerprints.json``)."""
    try:
        raw = json.loads(resources.files("pkgscan.data").joinpath("js-fingerprints.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: tuple(v.get("literals", ())) for k, v in raw.get("packages", {}).items() if valid_npm_name(k)}


@lru_cache(maxsize=1)
def known_names() -> frozenset[str]:
    """npm names a name-only banner may name: the fingerprinted set and retire.js's libraries."""
    try:
        raw = json.loads(resources.files("pkgscan.data").joinpath("js-fingerprints.json").read_text("utf-8"))
    except (OSError, ValueError):
        raw = {}
    return frozenset(raw.get("names", ())) | frozenset(s.npm for s in signatures())


def run_signatures(text: str | bytes) -> list[tuple[str, str, int]]:
    """(npm name, version, offset) for each retire.js signature found; each regex only in windows
    around its anchor's occurrences (at most MAX_ANCHORS), so the cost is bounded whatever the input.
    Each distinct anchor is searched once, in the UTF-8 bytes (a str with one wide character is
    stored 2-4 bytes a character and searched slower); each window is decoded on its own."""
    data = text.encode("utf-8", "replace") if isinstance(text, str) else bytes(text)
    hits: list[tuple[str, str, int]] = []
    by_anchor: dict[bytes, list[_Signature]] = {}
    for sig in signatures():
        by_anchor.setdefault(sig.anchor.encode("utf-8"), []).append(sig)
    for anchor, sigs in by_anchor.items():
        positions: list[int] = []
        start = 0
        while len(positions) < MAX_ANCHORS:
            i = data.find(anchor, start)
            if i < 0:
                break
            positions.append(i)
            start = i + len(anchor)
        if not positions:
            continue
        windows = []
        last_hi = -1
        for i in positions:  # neighbouring occurrences share one window
            lo, hi = max(0, i - WINDOW), min(len(data), i + len(anchor) + WINDOW)
            if windows and lo <= last_hi:
                windows[-1] = (windows[-1][0], hi)
            else:
                windows.append((lo, hi))
            last_hi = hi
        for lo, hi in windows:
            window = data[lo:hi].decode("utf-8", "replace")
            for sig in sigs:
                m = sig.regex.search(window)
                if m is not None and m.groups():
                    v = (m.group(1) or "").removesuffix(".min").removesuffix("-min")
                    if v and v[0].isdigit():
                        hits.append((sig.npm, v, lo + m.start()))
    return hits
