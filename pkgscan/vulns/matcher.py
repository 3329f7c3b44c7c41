"""Match an inventory against vulnerability sources and build one Finding per vulnerability.

Sources answer "which records affect (ecosystem, name, version)?".  The matcher merges what the
sources return, groups records that are aliases of each other (by the union of ids and aliases,
since aliases are not symmetric in real data), and works out severity and remediation.
"""
from __future__ import annotations

import gc
from collections import defaultdict
from typing import Iterable, Protocol, Sequence

from ..model import Component, Inventory
from .model import Finding
from .. import ecosystems
from .osv import AffectedEntry, affected_entries, aliases, normalize_name, osv_ecosystem
from .severity import is_malicious, severity_of
from .versions import sort_key

#: (OSV ecosystem, normalized name, version)
PackageKey = tuple[str, str, str]


class VulnerabilitySource(Protocol):
    name: str

    def query(self, packages: Sequence[PackageKey]) -> dict[PackageKey, list[dict]]:
        """Records (full OSV JSON) that affect each package; withdrawn ones included."""
        ...


def package_key(c: Component) -> PackageKey:
    eco = osv_ecosystem(c.ecosystem)
    return (eco, normalize_name(eco, c.name), c.version)


_ENTRY_CACHE: dict[int, tuple[dict, list[AffectedEntry]]] = {}
_ENTRY_CACHE_MAX = 200_000


def _entries(record: dict) -> list[AffectedEntry]:
    """Parsed affected entries of a record object (parsing sorts version keys, so it is cached).

    Keyed by the object itself (records are never mutated): two records that share an id and a
    modified date but differ in content are still judged each by its own content.  The cache holds
    a reference to the record, so the key cannot be reused by another object while it is cached.
    """
    hit = _ENTRY_CACHE.get(id(record))
    if hit is None or hit[0] is not record:
        if len(_ENTRY_CACHE) >= _ENTRY_CACHE_MAX:
            _ENTRY_CACHE.clear()
        hit = _ENTRY_CACHE[id(record)] = (record, affected_entries(record))
    return hit[1]


def entries_for(record: dict, eco: str, name: str) -> list[AffectedEntry]:
    return [e for e in _entries(record) if e.ecosystem == eco and e.name == name]


def record_affects(record: dict, key: PackageKey) -> bool:
    eco, name, version = key
    return any(e.affects(version) for e in entries_for(record, eco, name))


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


_ID_PREFERENCE = ("MAL-", "GHSA-", "PYSEC-", "CVE-")


def _primary(ids: Iterable[str]) -> str:
    def key(i: str):
        for n, p in enumerate(_ID_PREFERENCE):
            if i.startswith(p):
                return (n, i)
        return (len(_ID_PREFERENCE), i)

    return min(ids, key=key)


def _references(records: list[dict]) -> tuple[str, ...]:
    out: list[str] = []
    for r in records:
        for ref in r.get("references") or []:
            if isinstance(ref, dict) and isinstance(ref.get("url"), str) and ref["url"] not in out:
                out.append(ref["url"])
    return tuple(out[:50])


def _summary(records: list[dict]) -> str:
    for r in records:
        s = r.get("summary")
        if isinstance(s, str) and s.strip():
            return s.strip()
    for r in records:
        d = r.get("details")
        if isinstance(d, str) and d.strip():
            first = d.strip().split("\n\n", 1)[0].replace("\n", " ")
            return first[:240] + ("..." if len(first) > 240 else "")
    return ""


def _sorted_fixes(memo: dict, eco: str, name: str, tag: tuple, records) -> list[tuple]:
    """(sort key, version) of every fixed event the records give for the package, ascending, once."""
    mk = ("fixes", eco, name, tag)
    hit = memo.get(mk)
    if hit is None:
        fixes = {f for r in records for e in entries_for(r, eco, name) for f in e.fixed_versions()}
        hit = memo[mk] = sorted(((sort_key(eco, f), f) for f in fixes), key=lambda kv: kv[0])
    return hit


def findings_for(component: Component, records: list[dict], include_withdrawn: bool = False,
                 package_records: list[dict] = (), memo: dict | None = None) -> list[Finding]:
    """Findings for one component from the records that affect it.

    ``package_records`` are all records naming the package (any version): the recommended upgrade
    must not be affected by any of them, not only by those that affect the installed version.
    """
    key = package_key(component)
    eco, name, version = key
    recs = {r["id"]: r for r in records if include_withdrawn or not r.get("withdrawn")}
    context = {r["id"]: r for r in package_records if include_withdrawn or not r.get("withdrawn")}
    context.update(recs)
    if not recs:
        return []
    uf = _UnionFind()
    for rid, r in recs.items():
        uf.find(rid)
        for a in aliases(r):
            uf.union(rid, a)
    groups: dict[str, list[dict]] = defaultdict(list)
    for rid, r in sorted(recs.items()):
        groups[uf.find(rid)].append(r)

    memo = {} if memo is None else memo  # shared by every version of a package within one match()
    vkey = sort_key(eco, version)
    # The smallest upgrade that none of this package's vulnerabilities affects.
    ctx_ids = frozenset(context)
    recommended = None
    for ck_key, cand in _sorted_fixes(memo, eco, name, ("ctx", ctx_ids), context.values()):
        if ck_key <= vkey:
            continue
        mk = ((eco, name, cand), ctx_ids)
        hit = memo.get(mk)
        if hit is None:
            hit = memo[mk] = any(record_affects(r, (eco, name, cand)) for r in context.values())
        if not hit:
            recommended = cand
            break

    out = []
    for group in groups.values():
        advisory_ids = tuple(sorted(r["id"] for r in group))
        gk = ("group", eco, name, advisory_ids)  # severity is per package (affected[].severity)
        info = memo.get(gk)
        if info is None:
            ids = set()
            for r in group:
                ids.add(r["id"])
                ids.update(aliases(r))
            primary = _primary(advisory_ids)
            info = memo[gk] = (primary, (primary, *sorted(ids - {primary})), _summary(group),
                               severity_of(group, (eco, name)),
                               any(is_malicious(r) for r in group), _references(group))
        primary, all_ids, summary, severity, malicious, references = info
        fixed = tuple(f for k, f in _sorted_fixes(memo, eco, name, ("fixed", advisory_ids), group) if k > vkey)
        out.append(
            Finding(
                component=component,
                id=primary,
                ids=all_ids,
                advisories=advisory_ids,
                summary=summary,
                severity=severity,
                fixed=fixed,
                recommended=recommended,
                malicious=malicious,
                references=references,
            )
        )
    out.sort(key=lambda f: f.id)
    return out


def match(inventory: Inventory, sources: Sequence[VulnerabilitySource], include_withdrawn: bool = False) -> list[Finding]:
    """Findings for every component, sorted by package and id."""
    # Matching allocates many small, long-lived objects (parsed records, findings) and no cycles:
    # the cyclic garbage collector would spend about a third of the time finding nothing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _match(inventory, sources, include_withdrawn)
    finally:
        if enabled:
            gc.enable()


def _match(inventory: Inventory, sources: Sequence[VulnerabilitySource], include_withdrawn: bool) -> list[Finding]:
    # ecosystems OSV publishes nothing for (rpm: Amazon Linux) are not matched (the scan warns)
    matchable = [c for c in inventory.components if ecosystems.get(c.ecosystem).osv]
    keys = sorted({package_key(c) for c in matchable})
    merged: dict[PackageKey, dict[str, dict]] = defaultdict(dict)
    for source in sources:
        for k, recs in source.query(keys).items():
            for r in recs:
                prev = merged[k].get(r["id"])
                if prev is None or str(r.get("modified", "")) > str(prev.get("modified", "")):
                    merged[k][r["id"]] = r
    # every record of each vulnerable package (any version), so that upgrades are checked against all
    vulnerable = sorted({k[:2] for k, recs in merged.items() if recs})
    context: dict[tuple[str, str], dict[str, dict]] = defaultdict(dict)
    for source in sources:
        lookup = getattr(source, "package_records", None)
        if lookup is None:
            continue
        for pk, recs in lookup(vulnerable).items():
            for r in recs:
                context[pk].setdefault(r["id"], r)
    findings: list[Finding] = []
    memo: dict = {}
    for c in matchable:
        k = package_key(c)
        recs = list(merged.get(k, {}).values())
        if recs:
            findings.extend(findings_for(c, recs, include_withdrawn, list(context.get(k[:2], {}).values()), memo))
    findings.sort(key=lambda f: (f.component.ecosystem, f.component.name, f.component.version, f.id))
    return findings


class OfflineSource:
    """The local SQLite database."""

    name = "osv-offline"

    def __init__(self, db):
        self.db = db

    def package_records(self, packages: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[dict]]:
        """Every record that names each (ecosystem, name), whatever the version."""
        by_eco: dict[str, set[str]] = defaultdict(set)
        for eco, name in packages:
            by_eco[eco].add(name)
        cand = {(eco, name): ids for eco, names in by_eco.items() for name, ids in self.db.candidates(eco, names).items()}
        records = self.db.records({i for ids in cand.values() for i in ids})
        return {pk: [records[i] for i in ids if i in records] for pk, ids in cand.items()}

    def query(self, packages: Sequence[PackageKey]) -> dict[PackageKey, list[dict]]:
        by_eco: dict[str, set[str]] = defaultdict(set)
        for eco, name, _v in packages:
            by_eco[eco].add(name)
        cand: dict[tuple[str, str], list[str]] = {}
        for eco, names in by_eco.items():
            for name, ids in self.db.candidates(eco, names).items():
                cand[(eco, name)] = ids
        records = self.db.records({i for ids in cand.values() for i in ids})
        out: dict[PackageKey, list[dict]] = {}
        for key in packages:
            hits = [records[i] for i in cand.get(key[:2], ()) if i in records and record_affects(records[i], key)]
            if hits:
                out[key] = hits
        return out
