"""Advisories as typed records: what every vulnerability source hands the matcher.

Sources read OSV JSON (the offline database, the OSV API) or other services (PyPI's, through
pip-audit) and give back :class:`Advisory` objects; nothing downstream reads raw JSON.  Loading is
lenient, as real records break the schema in small ways: a field of the wrong type is treated as
absent.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .osv import AffectedEntry, affected_entries, aliases, vectors

_GHSA_RATINGS = {"CRITICAL": "critical", "HIGH": "high", "MODERATE": "medium", "MEDIUM": "medium", "LOW": "low"}


def _text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


@dataclass(frozen=True)
class Advisory:
    id: str
    modified: str = ""
    published: str = ""
    aliases: tuple[str, ...] = ()
    summary: str = ""
    details: str = ""
    #: the withdrawal date, "" when the record stands
    withdrawn: str = ""
    #: the affected entries of ecosystems pkgscan matches (others are dropped)
    affected: tuple[AffectedEntry, ...] = ()
    #: top-level CVSS vectors, (type, vector)
    severity: tuple[tuple[str, str], ...] = ()
    #: GitHub's ``database_specific.severity`` rating (not OSV spec; a labelled fallback), "" if none
    ghsa_rating: str = ""
    malicious: bool = False
    references: tuple[str, ...] = ()
    #: which source gave it ("osv-offline", "osv-api", "pypi")
    source: str = field(default="", compare=False)

    @classmethod
    def from_osv(cls, record: dict, source: str = "") -> "Advisory":
        rid = _text(record.get("id"))
        ds = record.get("database_specific")
        ds = ds if isinstance(ds, dict) else {}
        refs: list[str] = []
        for ref in record.get("references") or () if isinstance(record.get("references"), list) else ():
            if isinstance(ref, dict) and isinstance(ref.get("url"), str) and ref["url"] not in refs:
                refs.append(ref["url"])
        ghsa = ds.get("severity")
        return cls(
            id=rid,
            modified=_text(record.get("modified")),
            published=_text(record.get("published")),
            aliases=aliases(record),
            summary=_text(record.get("summary")),
            details=_text(record.get("details")),
            withdrawn=_text(record.get("withdrawn")) if record.get("withdrawn") else "",
            affected=tuple(affected_entries(record)),
            severity=vectors(record.get("severity")),
            ghsa_rating=_GHSA_RATINGS.get(ghsa.strip().upper(), "") if isinstance(ghsa, str) else "",
            malicious=rid.startswith("MAL-") or isinstance(ds.get("malicious-packages-origins"), list),
            references=tuple(refs[:50]),
            source=source,
        )

    def entries(self, ecosystem: str, name: str) -> list[AffectedEntry]:
        """The affected entries for one package ((OSV ecosystem, normalized name))."""
        return [e for e in self.affected if e.ecosystem == ecosystem and e.name == name]

    def affects(self, ecosystem: str, name: str, version: str) -> bool:
        return any(e.affects(version) for e in self.affected if e.ecosystem == ecosystem and e.name == name)


_CACHE: dict[int, tuple[dict, Advisory]] = {}
_CACHE_MAX = 200_000


def as_advisory(record: "Advisory | dict") -> Advisory:
    """An Advisory for a record given either way (raw OSV JSON is parsed once per object)."""
    if isinstance(record, Advisory):
        return record
    hit = _CACHE.get(id(record))
    if hit is None or hit[0] is not record:
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        hit = _CACHE[id(record)] = (record, Advisory.from_osv(record))
    return hit[1]
