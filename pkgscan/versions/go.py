"""Go module versions: semantic versions with a ``v`` (``v1.2.3``, pseudo-versions
``v0.0.0-20220715151400-c0bba94af5f8``, ``+incompatible``), and Go releases (``go1.21.3``) for the
standard library.  OSV's Go records write them without the ``v`` / ``go`` and compare them as SemVer,
so this is SemVer order after that prefix is dropped; ``+incompatible`` is build metadata and
ignored by the order, as Go ignores it.
"""
from __future__ import annotations

import functools

from . import semver

__all__ = ["sort_key", "is_valid", "strip_prefix"]


def strip_prefix(version: str) -> str:
    if version.startswith("go") and version[2:3].isdigit():
        return version[2:]
    return version[1:] if version.startswith("v") else version


@functools.lru_cache(maxsize=65536)
def sort_key(version: str) -> tuple:
    return semver.sort_key(strip_prefix(version.strip()))


def is_valid(version: str) -> bool:
    return semver.is_valid(strip_prefix(version.strip()).split("+", 1)[0] if "+incompatible" in version
                           else strip_prefix(version.strip()))
