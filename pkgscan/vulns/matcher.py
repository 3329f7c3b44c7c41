"""Match an inventory against vulnerability sources and build one Finding per vulnerability.

Sources answer "which records affect (ecosystem, name, version)?".  The matcher merges what the
sources return, groups records that are aliases of each other (by the union of ids and aliases,
since aliases are not symmetric in real data), and works out severity and remediation.
"""
from __future__ import annotations

import gc
from collections import defaultdict
from typing import Iterable, Sequence

from .. import ecosystems
from ..model import Component, Inventory
from .advisory import Advisory, as_advisory
from .model import Finding
from .osv import AffectedEntry
from .severity import severity_of
from .sources import AdvisorySource, OfflineSource, PackageKey  # noqa: F401  (OfflineSource re-exported)
from .versions import sort_key

#: kept for callers of the old name
VulnerabilitySource = AdvisorySource


def package_key(c: Component) -> PackageKey:
    """(OSV ecosystem, normalized name, version as OSV writes it); raises for an ecosystem OSV does not cover."""
    eco = ecosystems.get(c.ecosystem)
    if eco.osv is None:
        raise ecosystems.UnknownEcosystem(f"OSV publishes no advisories for {c.ecosystem!r} packages")
    return (eco.osv, eco.normalize(c.name), eco.osv_version(c.version))


def matchable(c: Component) -> bool:
    """Whether OSV covers the component's ecosystem and the component has a version to match."""
    eco = ecosystems.find(c.ecosystem)
    return eco is not None and eco.osv is not None and bool(c.version)


def entries_for(record: "Advisory | dict", eco: str, name: str) -> list[AffectedEntry]:
    return as_advisory(record).entries(eco, name)


def record_affects(record: "Advisory | dict", key: PackageKey) -> bool:
    return as_advisory(record).affects(*key)


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


def _references(records: list[Advisory]) -> tuple[str, ...]:
    out: list[str] = []
    for r in records:
        out.extend(u for u in r.references if u not in out)
    return tuple(out[:50])


def _summary(records: list[Advisory]) -> str:
    for r in records:
        if r.summary.strip():
            return r.summary.strip()
    for r in records:
        if r.details.strip():
            first = r.details.strip().split("\n\n", 1)[0].replace("\n", " ")
            return first[:240] + ("..." if len(first) > 240 else "")
    return ""


def _sorted_fixes(memo: dict, eco: str, name: str, tag: tuple, records) -> list[tuple]:
    """(sort key, version) of every fixed event the records give for the package, ascending, once."""
    mk = ("fixes", eco, name, tag)
    hit = memo.get(mk)
    if hit is None:
        fixes = {f for r in records for e in r.entries(eco, name) for f in e.fixed_versions()}
        hit = memo[mk] = sorted(((sort_key(eco, f), f) for f in fixes), key=lambda kv: kv[0])
    return hit


def findings_for(component: Component, records: "list[Advisory | dict]", include_withdrawn: bool = False,
                 package_records: "list[Advisory | dict]" = (), memo: dict | None = None) -> list[Finding]:
    """Findings for one component from the records that affect it.

    ``package_records`` are all records naming the package (any version): the recommended upgrade
    must not be affected by any of them, not only by those that affect the installed version.
    """
    key = package_key(component)
    eco, name, version = key
    records = [as_advisory(r) for r in records]
    recs = {r.id: r for r in records if include_withdrawn or not r.withdrawn}
    context = {r.id: r for r in map(as_advisory, package_records) if include_withdrawn or not r.withdrawn}
    context.update(recs)
    if not recs:
        return []
    uf = _UnionFind()
    for rid, r in recs.items():
        uf.find(rid)
        for a in r.aliases:
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
            hit = memo[mk] = any(r.affects(eco, name, cand) for r in context.values())
        if not hit:
            recommended = cand
            break

    out = []
    for group in groups.values():
        advisory_ids = tuple(sorted(r.id for r in group))
        gk = ("group", eco, name, advisory_ids)  # severity is per package (affected[].severity)
        info = memo.get(gk)
        if info is None:
            ids = set()
            for r in group:
                ids.add(r.id)
                ids.update(r.aliases)
            primary = _primary(advisory_ids)
            info = memo[gk] = (primary, (primary, *sorted(ids - {primary})), _summary(group),
                               severity_of(group, (eco, name)),
                               any(r.malicious for r in group), _references(group))
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


def match(inventory: Inventory, sources: Sequence[AdvisorySource], include_withdrawn: bool = False) -> list[Finding]:
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


def _match(inventory: Inventory, sources: Sequence[AdvisorySource], include_withdrawn: bool) -> list[Finding]:
    components = [c for c in inventory.components if matchable(c)]
    keys = sorted({package_key(c) for c in components})
    merged: dict[PackageKey, dict[str, Advisory]] = defaultdict(dict)
    for source in sources:
        for k, recs in source.query(keys).items():
            for r in recs:
                prev = merged[k].get(r.id)
                if prev is None or r.modified > prev.modified:
                    merged[k][r.id] = r
    # every record of each vulnerable package (any version), so that upgrades are checked against all
    vulnerable = sorted({k[:2] for k, recs in merged.items() if recs})
    context: dict[tuple[str, str], dict[str, Advisory]] = defaultdict(dict)
    for source in sources:
        for pk, recs in source.package_records(vulnerable).items():
            for r in recs:
                context[pk].setdefault(r.id, r)
    findings: list[Finding] = []
    memo: dict = {}
    for c in components:
        k = package_key(c)
        recs = list(merged.get(k, {}).values())
        if recs:
            findings.extend(findings_for(c, recs, include_withdrawn, list(context.get(k[:2], {}).values()), memo))
    findings.sort(key=lambda f: (f.component.ecosystem, f.component.name, f.component.version, f.id))
    return findings
