"""RPM versions ``[EPOCH:]VERSION[-RELEASE]`` in rpm's own order (``rpmvercmp``), as a total sort key.

rpmvercmp splits a version into runs of ASCII digits and ASCII letters, everything else separating
them.  At each position: ``~`` sorts before anything (even the end: ``1.0~rc1 < 1.0``), then the end
of the string, then ``^`` (``1.0 < 1.0^git1 < 1.0.1``), then a letter run, then a digit run (digit
runs compare as numbers, letter runs as bytes).  The epoch compares first as a number (missing = 0),
then the version, then the release.
"""
from __future__ import annotations

import functools
import re

__all__ = ["sort_key", "is_valid", "equal", "split_evr", "rpmvercmp"]

_TILDE, _END, _CARET, _ALPHA, _NUM = 0, 1, 2, 3, 4
_TOKEN = re.compile(r"~|\^|[0-9]+|[A-Za-z]+")
_VALID = re.compile(r"^(\d+:)?[A-Za-z0-9._+~^]+(-[A-Za-z0-9._+~^]+)?$")


def _segments(s: str) -> tuple:
    out = []
    for m in _TOKEN.finditer(s):
        t = m.group()
        if t == "~":
            out.append((_TILDE,))
        elif t == "^":
            out.append((_CARET,))
        elif t[0].isdigit():
            t = t.lstrip("0")
            out.append((_NUM, len(t), t))
        else:
            out.append((_ALPHA, t))
    out.append((_END,))
    return tuple(out)


def split_evr(evr: str) -> tuple[int, str, str]:
    """(epoch, version, release); a missing epoch is 0, a missing release ''."""
    epoch = 0
    head, sep, rest = evr.partition(":")
    if sep and head.isdigit() and head.isascii():
        epoch, evr = int(head), rest
    version, _, release = evr.rpartition("-")
    if not version:
        version, release = release, ""
    return epoch, version, release


@functools.lru_cache(maxsize=65536)
def sort_key(version: str) -> tuple:
    epoch, ver, rel = split_evr(version.strip())
    return (epoch, _segments(ver), _segments(rel))


def rpmvercmp(a: str, b: str) -> int:
    """-1, 0, 1 as rpm's rpmvercmp compares two version (or release) strings."""
    ka, kb = _segments(a), _segments(b)
    return (ka > kb) - (ka < kb)


def is_valid(version: str) -> bool:
    return isinstance(version, str) and bool(_VALID.match(version.strip()))


def equal(a: str, b: str) -> bool:
    return sort_key(a) == sort_key(b)
