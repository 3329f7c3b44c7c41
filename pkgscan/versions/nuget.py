"""NuGet version order (NuGet.Versioning's ``VersionComparer.Default``), lenient as osv-scalibr's.

* Up to four numeric parts ``Major.Minor.Patch.Revision``; missing parts are 0, so
  ``1.0 == 1.0.0 == 1.0.0.0`` and leading zeros do not count (``1.0.01 == 1.0.1.0``).
* A release label after ``-`` makes a prerelease, which sorts before the release.  Labels are
  dot-separated identifiers compared as SemVer 2.0 does (numeric identifiers numerically and before
  alphanumeric ones, a longer list wins when one is a prefix of the other), but alphanumeric
  identifiers compare case-insensitively (``1.0.0-BETA == 1.0.0-beta``), as NuGet does.
* Build metadata after ``+`` is ignored.

Any string gets a key (never an exception): surrounding whitespace is dropped, the leading run of
``.``-separated digits gives the numeric parts (more than four are kept and compared in order), and
the rest, minus one leading ``-`` and anything after ``+``, is the release label.  A string with no
leading digits therefore sorts as ``0.0.0.0-<string>``, below every real release.  :func:`is_valid`
tells real NuGet versions (what ``NuGetVersion.TryParse`` accepts) from the rest.
"""
from __future__ import annotations

import functools
import re

from .semver import _int

__all__ = ["sort_key", "is_valid", "equal"]

_SPLIT = re.compile(r"([0-9.]*)(.*)", re.DOTALL)
_VALID = re.compile(
    r"^[0-9]+(\.[0-9]+){0,3}"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?"
    r"(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)
_RELEASE = (1,)
_MAX_KEY_INPUT = 4096  # a longer "version" is compared on its first 4096 characters


def _identifier(ident: str) -> tuple:
    if ident.isdigit() and ident.isascii():
        return (0, _int(ident))
    return (1, ident.lower())


@functools.lru_cache(maxsize=131072)
def sort_key(version: str) -> tuple:
    s = str(version)[:_MAX_KEY_INPUT].strip()
    m = _SPLIT.match(s)
    numbers, rest = m.group(1), m.group(2)  # type: ignore[union-attr]
    parts = [_int(p) for p in numbers.split(".") if p]
    while parts and parts[-1] == 0:
        parts.pop()
    label = rest.split("+", 1)[0]
    if label.startswith("-"):
        label = label[1:]
    if not label:
        return (tuple(parts), _RELEASE)
    return (tuple(parts), (0, tuple(_identifier(i) for i in label.split("."))))


def is_valid(version: str) -> bool:
    return isinstance(version, str) and len(version) <= 1024 and bool(_VALID.match(version))


def equal(a: str, b: str) -> bool:
    """NuGet equality: ``1.0 == 1.0.0.0``, labels case-insensitive, metadata ignored."""
    return sort_key(a) == sort_key(b)


def canonical(version: str) -> str:
    """NuGet's normalized form, for comparing listed versions: ``Major.Minor.Patch[.Revision]`` (a
    zero revision dropped, leading zeros dropped), the release label lower-cased, metadata dropped.
    A string that is not a NuGet version is returned unchanged."""
    if not is_valid(version):
        return version
    head = version.split("+", 1)[0]
    numbers, _, label = head.partition("-")
    parts = [str(int(p)) for p in numbers.split(".")]
    while len(parts) < 3:
        parts.append("0")
    if len(parts) == 4 and parts[3] == "0":
        parts.pop()
    return ".".join(parts) + ("-" + label.lower() if label else "")
