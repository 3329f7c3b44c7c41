"""SemVer 2.0 precedence (npm, OSV ``SEMVER`` ranges), lenient as osv-scalibr's ``semantic`` package.

npm / SEMVER
------------
SemVer 2.0 precedence (numeric identifiers numerically, prerelease < release,
prerelease identifiers: numeric < alphanumeric, alphanumerics compared as ASCII
strings so ``1.2.3-r2 > 1.2.3-r100`` and ``1.2.3-R2 < 1.2.3-r100``, a longer
identifier list wins, build metadata ignored).  Parsing is lenient, as
osv-scalibr's ``semantic`` package (what osv-scanner uses) does:

* surrounding whitespace and leading ``v``/``=`` characters are ignored
  (``v1.2.3 == = 1.2.3 == 1.2.3``; scalibr itself strips only one ``v``);
* numbers have no size limit;
* the leading run of ``.``-separated digits gives the components; missing ones
  are 0 (``1 == 1.0.0``); from the first other character on, the rest is the
  "build" string: everything after its first ``+`` is build metadata, the
  remainder (minus one leading ``-``) is the prerelease (``1.2.3.foo`` ==
  ``1.2.3-foo``);
* components beyond the third are appended to the prerelease as ``.N``, as
  scalibr does (``1.1.3.4.5`` sorts like ``1.1.3-.4.5``, i.e. just below
  ``1.1.3``).

*Invalid npm strings* never raise and need no special case: a string with no
leading digits has components 0.0.0 and the whole string as its prerelease,
so ``"latest"`` sorts as ``0.0.0-latest`` - below ``0.0.0`` and every other
release, ordered by SemVer prerelease rules among themselves (``""`` sorts as
``0.0.0``).  :func:`is_valid` tells them apart: for npm/SEMVER it is strict
node-semver validity (``semver.valid(v) !== null``: optional leading ``v``,
exactly three components without leading zeros, max 256 characters, numbers
up to 2**53-1).
"""
from __future__ import annotations

import functools
import re

__all__ = ["sort_key", "is_valid"]


_SEMVER_PREFIX_RE = re.compile(r"[v=\s]*")
_SEMVER_SPLIT_RE = re.compile(r"([0-9.]*)(.*)", re.DOTALL)
_RELEASE = (1,)


_INT_CHUNK = 600  # below the lowest limit sys.set_int_max_str_digits() accepts (640)


def _int(digits: str) -> int:
    """int(digits) for any length (Python >= 3.11 caps int(str), by default at 4300 digits)."""
    if len(digits) <= _INT_CHUNK:
        return int(digits)
    value = 0
    for i in range(0, len(digits), _INT_CHUNK):
        chunk = digits[i : i + _INT_CHUNK]
        value = value * 10 ** len(chunk) + int(chunk)
    return value


def _semver_identifier(ident: str) -> tuple:
    if ident.isdigit() and ident.isascii():
        return (0, _int(ident))
    return (1, ident)


def _semver_key(version: str) -> tuple:
    s = version.strip()
    s = s[_SEMVER_PREFIX_RE.match(s).end() :]  # type: ignore[union-attr]
    m = _SEMVER_SPLIT_RE.match(s)
    numbers, build = m.group(1), m.group(2)  # type: ignore[union-attr]
    comps = [_int(c) for c in numbers.split(".") if c]
    if len(comps) > 3:
        build += "".join(".%d" % c for c in comps[3:])
        comps = comps[:3]
    while len(comps) < 3:
        comps.append(0)
    pre = build.split("+", 1)[0]
    if pre.startswith("-"):
        pre = pre[1:]
    if not pre:
        return (comps[0], comps[1], comps[2], _RELEASE)
    return (comps[0], comps[1], comps[2], (0, tuple(_semver_identifier(i) for i in pre.split("."))))




@functools.lru_cache(maxsize=262144)
def sort_key(version: str) -> tuple:
    return _semver_key(version)


@functools.lru_cache(maxsize=65536)
def is_valid(version: str) -> bool:
    """Strict node-semver validity (``semver.valid(v) !== null``)."""
    from ..vulns import npm_range

    return npm_range.valid(version)
