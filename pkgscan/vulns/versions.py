"""Version ordering exactly as OSV means it, for any registered ecosystem.

OSV ``ECOSYSTEM`` ranges compare versions in the ecosystem's own order and ``SEMVER`` ranges use
SemVer 2.0 precedence::

    sort_key(ecosystem, version) -> tuple   # never raises for any version string
    compare(ecosystem, a, b)     -> -1 / 0 / 1
    is_valid(ecosystem, version) -> bool

``ecosystem`` is any name :mod:`pkgscan.ecosystems` knows (pkgscan's key, the purl type or the OSV
name, case-insensitively), or ``"SEMVER"`` (the OSV range type).  Any other name raises
:class:`UnsupportedEcosystem` (a ``ValueError``): guessing an order for an ecosystem we don't
implement would silently produce wrong matches.  The orders themselves live in
:mod:`pkgscan.versions` (PEP 440 in ``pep440``, SemVer in ``semver``, ...).
"""
from __future__ import annotations

from types import ModuleType

from .. import ecosystems
from ..versions import semver
from ..versions.pep440 import parse_pypi

__all__ = ["UnsupportedEcosystem", "sort_key", "compare", "is_valid", "parse_pypi", "order"]

UnsupportedEcosystem = ecosystems.UnknownEcosystem

_ORDERS: dict[str, ModuleType] = {"semver": semver}


def order(ecosystem: str) -> ModuleType:
    """The version module of an ecosystem (or of the SEMVER range type)."""
    try:
        return _ORDERS[ecosystem]
    except (KeyError, TypeError):
        pass
    if not isinstance(ecosystem, str):
        raise UnsupportedEcosystem(f"no version ordering for ecosystem {ecosystem!r}")
    low = ecosystem.lower()
    mod = _ORDERS.get(low)
    if mod is None:
        try:
            mod = ecosystems.lookup(low).versions
        except ecosystems.UnknownEcosystem:
            raise UnsupportedEcosystem(f"no version ordering for ecosystem {ecosystem!r}") from None
        _ORDERS[low] = mod
    _ORDERS[ecosystem] = mod
    return mod


def sort_key(ecosystem: str, version: str) -> tuple:
    """A key giving *ecosystem*'s total order on version strings (keys of different ecosystems are
    not comparable).  Never raises for a version; raises UnsupportedEcosystem for an unknown ecosystem."""
    return order(ecosystem).sort_key(version if isinstance(version, str) else str(version))


def compare(ecosystem: str, a: str, b: str) -> int:
    """-1, 0 or 1 as *a* sorts before, equal to, or after *b* in *ecosystem*."""
    ka = sort_key(ecosystem, a)
    kb = sort_key(ecosystem, b)
    return (ka > kb) - (ka < kb)


def is_valid(ecosystem: str, version: str) -> bool:
    """Whether *version* is valid in *ecosystem* (PEP 440 for PyPI; strict node-semver for npm/SEMVER)."""
    mod = order(ecosystem)
    return isinstance(version, str) and mod.is_valid(version)
