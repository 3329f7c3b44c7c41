"""PEP 440 version order (PyPI), total over every string.

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
"""
from __future__ import annotations

import functools
import re
from typing import Optional

from packaging.version import Version

__all__ = ["sort_key", "is_valid", "equal", "canonical", "parse_pypi"]



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




@functools.lru_cache(maxsize=262144)
def sort_key(version: str) -> tuple:
    """A key giving PEP 440 order; legacy (invalid) versions sort before every valid one."""
    return _pypi_key(version)


@functools.lru_cache(maxsize=65536)
def is_valid(version: str) -> bool:
    return parse_pypi(version) is not None


def equal(a: str, b: str) -> bool:
    """PEP 440 equality ("2018.04.16" == "2018.4.16"); invalid versions only equal themselves."""
    if a == b:
        return True
    va, vb = parse_pypi(a), parse_pypi(b)
    return va is not None and vb is not None and va == vb


@functools.lru_cache(maxsize=65536)
def canonical(version: str) -> str:
    """PEP 440 canonical form ("3.2.0-rc1" -> "3.2rc1"); an invalid version is kept as written."""
    from packaging.utils import canonicalize_version

    try:
        return canonicalize_version(version, strip_trailing_zero=True)
    except Exception:
        return version
