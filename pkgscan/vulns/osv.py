"""OSV records: lenient loading and the exact "is this version affected" semantics of the spec.

https://ossf.github.io/osv-schema/#evaluation : for each ``affected`` entry of the package's
ecosystem and name, a version is affected if it is listed in ``versions`` OR falls inside one of the
ECOSYSTEM / SEMVER ranges.  Range events are sorted by version before they are walked (they are not
pairs as written); ``introduced: "0"`` is the start of time; ``last_affected`` is inclusive;
``limit`` caps the range.  GIT ranges name commits, not versions, and are skipped (never stop at the
first range).  Real records break the schema in small ways, so loading is lenient.
"""
from __future__ import annotations

import json
from importlib.util import find_spec
from dataclasses import dataclass, field
from functools import lru_cache

from .. import ecosystems
from .versions import sort_key

_EVENT_ORDER = {"introduced": 0, "fixed": 1, "last_affected": 2, "limit": 3}


def normalize_name(ecosystem: str, name: str) -> str:
    """A name as the OSV ecosystem compares it (PyPI: PEP 503; NuGet: case-insensitive; else as is).

    Names of ecosystems pkgscan does not know are kept as written (they are indexed, not matched)."""
    eco = ecosystems.by_osv(ecosystem)
    return eco.normalize(name) if eco is not None else name


def osv_ecosystem(ecosystem: str) -> str:
    """pkgscan's ecosystem key ('pypi') -> OSV's name ('PyPI'); raises for an ecosystem OSV does not cover."""
    eco = ecosystems.get(ecosystem)
    if eco.osv is None:
        raise ecosystems.UnknownEcosystem(f"OSV publishes no advisories for {ecosystem!r} packages")
    return eco.osv


def base_ecosystem(ecosystem: str) -> str:
    """OSV allows suffixes on some ecosystems ('Debian:11'); PyPI and npm take none."""
    return ecosystem.split(":", 1)[0]


@dataclass(frozen=True)
class Range:
    type: str
    #: (kind, version, sort key) sorted by version; kind is introduced/fixed/last_affected/limit
    events: tuple[tuple[str, str, tuple], ...]


@lru_cache(maxsize=65536)
def normalize_version(ecosystem: str, version: str) -> str:
    """The version in the ecosystem's canonical form (PEP 440: "3.2.0-rc1" == "3.2rc1"), else unchanged."""
    eco = ecosystems.by_osv(ecosystem)
    return eco.canonical_version(version) if eco is not None else version


@dataclass(frozen=True)
class AffectedEntry:
    """One ``affected`` entry, reduced to what matching needs."""

    ecosystem: str
    name: str  # normalized
    ranges: tuple[Range, ...]
    versions: frozenset[str]
    #: ``versions`` in normal form, so "1.0.0rc1" in the list matches an installed "1.0.0-rc1"
    normalized_versions: frozenset[str] = field(default=frozenset(), compare=False)
    #: the entry's own ``severity`` vectors, (type, vector)
    severity: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    #: ``ecosystem_specific`` as given (Go: the vulnerable ``imports`` and ``symbols``)
    ecosystem_specific: object = field(default=None, compare=False, hash=False)

    def affects(self, version: str) -> bool:
        if version in self.versions or normalize_version(self.ecosystem, version) in self.normalized_versions:
            return True
        return any(_in_range(self.ecosystem, r, version) for r in self.ranges)

    def fixed_versions(self) -> list[str]:
        return [v for r in self.ranges if r.type in ("ECOSYSTEM", "SEMVER") for kind, v, _k in r.events if kind == "fixed"]


def _in_range(ecosystem: str, r: Range, version: str) -> bool:
    if r.type not in ("ECOSYSTEM", "SEMVER"):
        return False  # GIT ranges name commits
    v = sort_key("SEMVER" if r.type == "SEMVER" else ecosystem, version)
    # limit "*" is infinity (no limit at all)
    limits = [k for kind, e, k in r.events if kind == "limit" and e != "*"]
    if limits and not any(v < lim for lim in limits):
        return False
    affected = False
    for kind, ev, k in r.events:
        if kind == "introduced":
            if ev == "0" or v >= k:
                affected = True
        elif kind == "fixed":
            if v >= k:
                affected = False
        elif kind == "last_affected":
            if v > k:
                affected = False
    return affected


def _sorted_events(order: str, raw_events: object) -> tuple[tuple[str, str, tuple], ...]:
    events: list[tuple[str, str]] = []
    if not isinstance(raw_events, list):
        return ()
    for ev in raw_events:
        if not isinstance(ev, dict):
            continue
        for kind in ("introduced", "fixed", "last_affected", "limit"):
            val = ev.get(kind)
            if val is not None:
                events.append((kind, str(val)))
    keyed = [(kind, ver, sort_key(order, ver)) for kind, ver in events]
    # "introduced: 0" is the start of time, before every version (valid or not).
    keyed.sort(key=lambda e: (e[0] != "introduced" or e[1] != "0", e[2], _EVENT_ORDER[e[0]]))
    return tuple(keyed)


SUPPORTED = frozenset(e.osv for e in ecosystems.all_ecosystems() if e.osv and find_spec(f"pkgscan.versions.{e.version_module}"))


def package_entries(record: dict):
    """(entry, base ecosystem, normalized name) of every well-formed ``affected`` entry."""
    affected = record.get("affected")
    if not isinstance(affected, list):
        return
    for entry in affected:
        if not isinstance(entry, dict):
            continue
        pkg = entry.get("package")
        if not isinstance(pkg, dict):
            continue
        eco, name = pkg.get("ecosystem"), pkg.get("name")
        if not isinstance(eco, str) or not isinstance(name, str) or not name:
            continue
        eco = base_ecosystem(eco)
        yield entry, eco, normalize_name(eco, name)


def affected_packages(record: dict) -> set[tuple[str, str]]:
    """(ecosystem, normalized name) pairs a record lists, any ecosystem (for indexing)."""
    return {(eco, name) for _e, eco, name in package_entries(record)}


def affected_entries(record: dict) -> list[AffectedEntry]:
    """The ``affected`` entries of a record in the ecosystems pkgscan matches (PyPI, npm).

    Entries of other ecosystems are ignored (a record may list a NuGet package beside an npm one).
    """
    out: list[AffectedEntry] = []
    for entry, eco, name in package_entries(record):
        if eco not in SUPPORTED:
            continue
        ranges = []
        raw_ranges = entry.get("ranges")
        for r in raw_ranges if isinstance(raw_ranges, list) else ():
            if not isinstance(r, dict):
                continue
            rtype = str(r.get("type", ""))
            order = "SEMVER" if rtype == "SEMVER" else eco
            ranges.append(Range(rtype, _sorted_events(order, r.get("events")) if rtype != "GIT" else ()))
        raw_versions = entry.get("versions")
        versions = frozenset(str(v) for v in raw_versions) if isinstance(raw_versions, list) else frozenset()
        normalized = frozenset(normalize_version(eco, v) for v in versions)
        out.append(AffectedEntry(eco, name, tuple(ranges), versions, normalized, vectors(entry.get("severity")),
                                 entry.get("ecosystem_specific")))
    return out


_CVSS_TYPES = ("CVSS_V4", "CVSS_V3", "CVSS_V2")


def vectors(block: object) -> tuple[tuple[str, str], ...]:
    """The (type, vector) pairs of an OSV ``severity`` list; anything malformed is skipped."""
    if not isinstance(block, list):
        return ()
    return tuple((s["type"], s["score"].strip()) for s in block
                 if isinstance(s, dict) and s.get("type") in _CVSS_TYPES and isinstance(s.get("score"), str))


def load_record(data: bytes | str) -> dict:
    """Parse one OSV JSON record leniently; raises ValueError when it is not a record at all."""
    rec = json.loads(data)
    if not isinstance(rec, dict) or not isinstance(rec.get("id"), str) or not rec["id"]:
        raise ValueError("not an OSV record (no id)")
    return rec


def aliases(record: dict) -> tuple[str, ...]:
    a = record.get("aliases")
    return tuple(str(x) for x in a if isinstance(x, (str, int))) if isinstance(a, list) else ()
