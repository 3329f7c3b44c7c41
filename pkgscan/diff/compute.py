"""Comparing two sides: components added, removed and changed (with the direction of a version
change), vulnerabilities introduced and fixed (alias groups per package), and the gate."""
from __future__ import annotations

from typing import Iterable

from ..report.text import single_line
from ..vulns.model import rating_rank
from .model import (
    FAIL_ON_NEW_CHOICES,
    ComponentChange,
    DiffResult,
    Side,
    SidePackage,
    SideVulnerability,
    VulnerabilityChange,
)


def _version_key(ecosystem: str, version: str):
    from ..vulns.versions import UnsupportedEcosystem, sort_key

    try:
        return (0, sort_key(ecosystem, version), version)
    except UnsupportedEcosystem:
        return (1, (), version)


def _sorted_versions(ecosystem: str, versions: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(versions), key=lambda v: _version_key(ecosystem, v)))


def _direction(ecosystem: str, old: tuple[str, ...], new: tuple[str, ...]) -> str:
    from ..vulns.versions import UnsupportedEcosystem, sort_key

    try:
        lo, hi = max(sort_key(ecosystem, v) for v in old), max(sort_key(ecosystem, v) for v in new)
        lo_min, hi_min = min(sort_key(ecosystem, v) for v in old), min(sort_key(ecosystem, v) for v in new)
    except UnsupportedEcosystem:
        return "changed"
    if hi_min > lo:
        return "upgrade"
    if hi < lo_min:
        return "downgrade"
    return "changed"


def _index(components: Iterable[SidePackage]) -> dict[tuple[str, str], dict[str, SidePackage]]:
    out: dict[tuple[str, str], dict[str, SidePackage]] = {}
    for p in components:
        out.setdefault(p.key, {}).setdefault(p.version, p)
    return out


def _groups(vulns: list[SideVulnerability]) -> list[list[SideVulnerability]]:
    """Alias groups: vulnerabilities sharing any identifier (case-insensitively), transitively."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for v in vulns:
        keys = [i.casefold() for i in v.ids]
        for k in keys[1:]:
            parent[find(k)] = find(keys[0])
        find(keys[0])
    groups: dict[str, list[SideVulnerability]] = {}
    for v in vulns:
        groups.setdefault(find(v.ids[0].casefold()), []).append(v)
    return list(groups.values())


def _change(group: list[SideVulnerability]) -> VulnerabilityChange:
    primary = min(v.id for v in group)
    others = sorted({i for v in group for i in v.ids} - {primary})
    worst = max(group, key=lambda v: (rating_rank("critical") if v.malicious else rating_rank(v.rating)))
    scores = [v.score for v in group if v.score is not None]
    p = group[0].package
    return VulnerabilityChange(
        id=primary, ids=(primary, *others), ecosystem=p.ecosystem, name=p.name,
        versions=_sorted_versions(p.ecosystem, (v.package.version for v in group)),
        purls=tuple(sorted({v.package.purl for v in group if v.package.purl})),
        rating="critical" if worst.malicious else worst.rating, score=max(scores) if scores else None,
        summary=next((v.summary for v in sorted(group, key=lambda v: v.id) if v.summary), ""),
        malicious=any(v.malicious for v in group), active=any(v.active for v in group),
    )


def _vuln_sort_key(v: VulnerabilityChange):
    return (not v.malicious, -v.rank, -(v.score if v.score is not None else -1.0), v.ecosystem, v.name, v.id)


def diff(old: Side, new: Side) -> DiffResult:
    """What changed from ``old`` to ``new``."""
    o, n = _index(old.components), _index(new.components)
    added, removed, changed, unchanged = [], [], [], 0
    for key in sorted(set(o) | set(n)):
        eco = key[0]
        ov, nv = o.get(key, {}), n.get(key, {})
        same = set(ov) & set(nv)
        unchanged += len(same)
        only_old = _sorted_versions(eco, set(ov) - same)
        only_new = _sorted_versions(eco, set(nv) - same)
        if only_old and only_new:
            changed.append(ComponentChange(
                eco, key[1], only_old, only_new,
                tuple(ov[v].purl for v in only_old if ov[v].purl), tuple(nv[v].purl for v in only_new if nv[v].purl),
                _direction(eco, only_old, only_new),
            ))
        else:
            removed.extend(ov[v] for v in only_old)
            added.extend(nv[v] for v in only_new)

    ov_by: dict[tuple[str, str], list[SideVulnerability]] = {}
    nv_by: dict[tuple[str, str], list[SideVulnerability]] = {}
    for v in old.vulnerabilities:
        ov_by.setdefault(v.package.key, []).append(v)
    for v in new.vulnerabilities:
        nv_by.setdefault(v.package.key, []).append(v)
    introduced, fixed, persisting = [], [], 0
    # A side without vulnerability data (a plain SBOM) says nothing about vulnerabilities.  An old side
    # without it fails closed (every vulnerability of the new side counts as introduced, so a gate
    # cannot pass by accident); a new side without it fixes nothing.
    for key in sorted(set(ov_by) | set(nv_by)) if new.has_vulnerability_data else ():
        og, ng = _groups(ov_by.get(key, [])), _groups(nv_by.get(key, []))
        old_ids = {i.casefold() for g in og for v in g for i in v.ids}
        new_ids = {i.casefold() for g in ng for v in g for i in v.ids}
        for g in ng:
            if {i.casefold() for v in g for i in v.ids} & old_ids:
                persisting += 1
            else:
                introduced.append(_change(g))
        for g in og:
            if not {i.casefold() for v in g for i in v.ids} & new_ids:
                fixed.append(_change(g))

    warnings = []
    for side, other, label in ((old, new, "old"), (new, old, "new")):
        if not side.has_vulnerability_data and other.vulnerabilities:
            what = ("every vulnerability of the new side is reported as introduced" if label == "old"
                    else "no vulnerability is reported as fixed")
            warnings.append(f"the {label} side ({side.path}) carries no vulnerability data: {what} (diff two scan "
                            "reports, or SBOMs written by 'pkgscan scan -f cyclonedx-json')")
    return DiffResult(
        old=old, new=new,
        added=tuple(sorted(added, key=lambda p: (p.ecosystem, p.name, _version_key(p.ecosystem, p.version)))),
        removed=tuple(sorted(removed, key=lambda p: (p.ecosystem, p.name, _version_key(p.ecosystem, p.version)))),
        changed=tuple(changed), unchanged=unchanged,
        introduced=tuple(sorted(introduced, key=_vuln_sort_key)), fixed=tuple(sorted(fixed, key=_vuln_sort_key)),
        persisting=persisting, warnings=tuple(warnings),
    )


def gate(d: DiffResult, fail_on_new: str | None) -> int:
    """1 when an active introduced vulnerability is at or above ``fail_on_new`` (``low``,
    ``medium``, ``high``, ``critical``, or ``any``), else 0.  Malicious packages count as critical;
    unknown severity meets only ``any``.  Raises ValueError for an unknown threshold."""
    if fail_on_new is None:
        return 0
    level = fail_on_new.strip().lower()
    if level not in FAIL_ON_NEW_CHOICES:
        raise ValueError(f"--fail-on-new must be one of {', '.join(FAIL_ON_NEW_CHOICES)}, got {single_line(fail_on_new)!r}")
    for v in d.introduced:
        if v.active and (level == "any" or v.rank >= rating_rank(level)):
            return 1
    return 0
