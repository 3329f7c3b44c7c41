"""RubyGems version order (``Gem::Version#<=>``), any string accepted.

Gem::Version splits a version into segments: runs of digits (numbers) and runs of letters
(strings); ``-`` means ``.pre.`` (``1.0-rc1`` is ``1.0.pre.rc1``).  A version with a letter is a
prerelease.  Before comparing, trailing zeros are dropped from the numeric part and from the
prerelease part (``canonical_segments``), then segments are compared one by one with missing ones
counting as 0: equal segments go on, a string sorts before a number, numbers compare numerically
and strings as bytes.  So ``1.0.a < 1.0 == 1.0.0``, ``1.0.a2 == 1.0.a.2``, ``1.0.b1 > 1.0.a.2``.

:func:`sort_key` turns that into a tuple key: each non-zero segment is paired with the number of
zero segments before it, and a terminator after the last one sorts the way "zeros forever" would.
Strings Gem::Version rejects (``Gem::Version.correct?`` is false) still get a key from the same
segments; :func:`is_valid` tells them apart.
"""
from __future__ import annotations

import functools
import re

from .semver import _int

__all__ = ["sort_key", "is_valid", "equal"]

_SEGMENT = re.compile(r"[0-9]+|[A-Za-z]+")
_VALID = re.compile(r"^\s*([0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)?\s*$")
_TERMINATOR = (1,)
_MAX_KEY_INPUT = 4096


def _segments(version: str) -> list:
    segs: list = []
    for tok in _SEGMENT.findall(version.replace("-", ".pre.")):
        segs.append(_int(tok) if tok[0].isdigit() else tok)
    return segs


def _canonical(segs: list) -> list:
    first_string = next((i for i, s in enumerate(segs) if isinstance(s, str)), len(segs))
    numeric, strings = segs[:first_string], segs[first_string:]
    while numeric and numeric[-1] == 0:
        numeric.pop()
    while strings and strings[-1] == 0:
        strings.pop()
    return numeric + strings


@functools.lru_cache(maxsize=131072)
def sort_key(version: str) -> tuple:
    segs = _canonical(_segments(str(version)[:_MAX_KEY_INPUT]))
    key: list[tuple] = []
    zeros = 0
    for s in segs:
        if s == 0 and not isinstance(s, str):
            zeros += 1
            continue
        if isinstance(s, str):
            # a string where the other side has a zero (or nothing): the string sorts first
            key.append((0, zeros, s))
        else:
            # a number where the other side has a zero: the number sorts last, sooner = larger
            key.append((2, -zeros, s))
        zeros = 0
    key.append(_TERMINATOR)
    return tuple(key)


def is_valid(version: str) -> bool:
    """``Gem::Version.correct?`` (the empty string is version "0")."""
    return isinstance(version, str) and len(version) <= 1024 and bool(_VALID.match(version))


def prerelease(version: str) -> bool:
    return any(c.isalpha() for c in version)


def equal(a: str, b: str) -> bool:
    return sort_key(a) == sort_key(b)


def canonical(version: str) -> str:
    """Gem::Version's canonical segments joined by dots (``1.0.a2`` and ``1.0.a.2`` -> ``1.a.2``;
    ``1.0.0`` -> ``1``), for comparing listed versions; a string Gem::Version rejects is unchanged."""
    if not is_valid(version) or len(version) > _MAX_KEY_INPUT:
        return version
    segs = _canonical(_segments(version.strip()))
    return ".".join(str(s) for s in segs) if segs else "0"
