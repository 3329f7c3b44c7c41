"""Version ordering exactly as OSV means it.

OSV ``ECOSYSTEM`` ranges compare versions in the ecosystem's own order and
``SEMVER`` ranges use SemVer 2.0 precedence.  This module provides a total
order for the ecosystems pkgscan scans::

    sort_key(ecosystem, version) -> tuple   # never raises for any version string
    compare(ecosystem, a, b)     -> -1 / 0 / 1
    is_valid(ecosystem, version) -> bool

``ecosystem`` is matched case-insensitively: ``"PyPI"`` selects PEP 440;
``"npm"`` and ``"SEMVER"`` (the OSV range type) both select SemVer.  Any other
name raises :class:`UnsupportedEcosystem` (a ``ValueError``): guessing an order
for an ecosystem we don't implement would silently produce wrong matches.
Parsed keys are cached (``functools.lru_cache``), so repeated comparisons of
the same strings cost a dict lookup plus a tuple comparison.

PyPI
----
Valid versions are parsed by ``packaging.version.Version`` (PEP 440) and keyed
like ``packaging``'s own comparison key (epoch, release with trailing zeros
dropped, pre, post, dev, local), so ``1.0 == 1.0.0``, ``1.0.dev0 < 1.0a0``,
``1.0 < 1.0+local``.

*Invalid (legacy) versions* - strings PEP 440 rejects, e.g. ``0.1-bulbasaur``,
``2013-08-12T21:48:56+0200``, ``0.6m6`` - never raise.  They follow the rule of
the old ``packaging.version.LegacyVersion`` (packaging < 22, setuptools'
``parse_version``), which osv-scalibr also follows:

1. every legacy version sorts **before every valid PEP 440 version**
   (LegacyVersion used epoch -1);
2. among themselves they are ordered by LegacyVersion's key: the lower-cased
   string is split into runs of digits, runs of letters, ``.`` and ``-``
   (other characters are kept as separators of their own); digit runs are
   zero-padded to 8 characters, everything else is prefixed with ``*``;
   ``pre``/``preview``/``rc`` become ``c``, ``dev`` becomes ``@``, ``-``
   becomes ``final-``; ``*final`` is appended; trailing zero runs and ``final-``
   markers before a pre-release tag are dropped; the resulting tuples compare
   lexicographically.  So ``0.1-bulbasaur < 0.1-charmander < 0.9-doduo``,
   ``0.7.10p1 < 0.7.11p1``, ``4.11-final < 5.0-final``.  (osv-scalibr's
   variant - it drops other characters and compares the joined parts as one
   string - orders all 72 legacy versions in the vectors identically.)

(A "valid" version whose numbers exceed Python's 4300-digit ``int()`` limit
is treated as legacy rather than raising.)

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
from typing import Optional

from packaging.version import Version

from pkgscan.vulns import npm_range

__all__ = [
    "UnsupportedEcosystem",
    "sort_key",
    "compare",
    "is_valid",
    "parse_pypi",
    "SUPPORTED_ECOSYSTEMS",
]

SUPPORTED_ECOSYSTEMS = ("PyPI", "npm", "SEMVER")

_PYPI = "pypi"
_SEMVER = "semver"
_KINDS = {"pypi": _PYPI, "npm": _SEMVER, "semver": _SEMVER}


class UnsupportedEcosystem(ValueError):
    """Raised for an ecosystem whose version order is not implemented."""


def _kind(ecosystem: str) -> str:
    try:
        return _KINDS[ecosystem.lower()]
    except (KeyError, AttributeError):
        raise UnsupportedEcosystem("no version ordering for ecosystem %r" % (ecosystem,)) from None


# ---------------------------------------------------------------------------
# PyPI
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=131072)
def parse_pypi(version: str) -> Optional[Version]:
    """The PEP 440 ``Version`` for *version*, or ``None`` if PEP 440 rejects it."""
    try:
        return Version(version)
    except (ValueError, TypeError):  # InvalidVersion, or a number over int()'s digit limit
        return None


def _pep440_key(v: Version) -> tuple:
    # Mirrors packaging.version._cmpkey, with +/-infinity encoded as tuple
    # prefixes so the key is made of plain ints, strings and tuples.
    release = v.release
    end = len(release)
    while end > 1 and release[end - 1] == 0:
        end -= 1
    if end == 1 and release[0] == 0:
        end = 0
    pre, post, dev = v.pre, v.post, v.dev
    if pre is None:
        pre_k: tuple = (0,) if (post is None and dev is not None) else (2,)
    else:
        pre_k = (1, pre[0], pre[1])
    post_k: tuple = (0,) if post is None else (1, post)
    dev_k: tuple = (1,) if dev is None else (0, dev)
    local = v.local
    if local is None:
        local_k: tuple = (0,)
    else:
        local_k = (
            1,
            tuple((1, int(p)) if p.isdigit() else (0, p) for p in local.split(".")),
        )
    return (1, v.epoch, release[:end], pre_k, post_k, dev_k, local_k)


# packaging < 22 LegacyVersion (src/packaging/version.py, Apache-2.0 OR BSD-2-Clause).
_LEGACY_COMPONENT_RE = re.compile(r"(\d+ | [a-z]+ | \.| -)", re.VERBOSE)
_LEGACY_REPLACEMENTS = {"pre": "c", "preview": "c", "-": "final-", "rc": "c", "dev": "@"}


def _legacy_parts(s: str):
    for part in _LEGACY_COMPONENT_RE.split(s):
        part = _LEGACY_REPLACEMENTS.get(part, part)
        if not part or part == ".":
            continue
        if part[:1] in "0123456789":
            yield part.zfill(8)  # pad for numeric comparison
        else:
            yield "*" + part
    yield "*final"  # ensure that alpha/beta/candidate are before final


def _legacy_key(version: str) -> tuple:
    parts: list = []
    for part in _legacy_parts(version.lower()):
        if part.startswith("*"):
            if part < "*final":  # remove "-" before a prerelease tag
                while parts and parts[-1] == "*final-":
                    parts.pop()
            while parts and parts[-1] == "00000000":  # trailing zeros of a numeric series
                parts.pop()
        parts.append(part)
    return (0, tuple(parts))


def _pypi_key(version: str) -> tuple:
    v = parse_pypi(version)
    if v is None:
        return _legacy_key(version)
    return _pep440_key(v)


# ---------------------------------------------------------------------------
# npm / SEMVER (lenient, after osv-scalibr semantic/version-semver*.go)
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=262144)
def _cached_key(kind: str, version: str) -> tuple:
    if kind == _PYPI:
        return _pypi_key(version)
    return _semver_key(version)


def sort_key(ecosystem: str, version: str) -> tuple:
    """A key giving *ecosystem*'s total order on version strings.

    Never raises for any ``str`` version (see the module docstring for how
    invalid versions are placed); raises :class:`UnsupportedEcosystem` for an
    ecosystem other than PyPI, npm or SEMVER.  Keys from different ecosystems
    are not comparable with each other.
    """
    if not isinstance(version, str):
        version = str(version)
    return _cached_key(_kind(ecosystem), version)


def compare(ecosystem: str, a: str, b: str) -> int:
    """-1, 0 or 1 as *a* sorts before, equal to, or after *b* in *ecosystem*."""
    ka = sort_key(ecosystem, a)
    kb = sort_key(ecosystem, b)
    return (ka > kb) - (ka < kb)


@functools.lru_cache(maxsize=65536)
def _cached_valid(kind: str, version: str) -> bool:
    if kind == _PYPI:
        return parse_pypi(version) is not None
    return npm_range.valid(version)


def is_valid(ecosystem: str, version: str) -> bool:
    """Whether *version* is valid in *ecosystem*: PEP 440 for PyPI; strict
    node-semver (``semver.valid``) for npm and SEMVER."""
    if not isinstance(version, str):
        return False
    return _cached_valid(_kind(ecosystem), version)
