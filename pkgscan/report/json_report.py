"""Machine-readable report: ``pkgscan/report/v1`` JSON.

The schema is ``docs/json-report-schema.json`` and each field is described in
``docs/json-report.md``.  Within one schema version fields are only ever added, never renamed,
retyped or removed.  Output is deterministic: every list has a documented order, object keys
are emitted in a fixed order, and the only time-dependent field (``generated_at``) comes from
``SOURCE_DATE_EPOCH`` or the caller when set.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from .. import __version__
from ..model import Component, Inventory
from ..vulns.model import RATINGS, Finding, ScanResult
from .cyclonedx import source_date
from .text import aliases, counts, neutralize, rating

__all__ = ["SCHEMA", "build", "render"]

SCHEMA = "pkgscan/report/v1"


def _t(s) -> str:
    return neutralize(s)


def _opt(s) -> str | None:
    return neutralize(s) if s else None


def _component(c: Component) -> dict:
    return {
        "purl": _t(c.purl),
        "ecosystem": _t(c.ecosystem),
        "name": _t(c.name),
        "version": _t(c.version),
        "locations": [_t(o.location) for o in c.occurrences],
        "roots": sorted({_t(o.root) for o in c.occurrences}),
        "licenses": [_t(x) for x in c.licenses],
        "declared_in": sorted(_t(x) for x in c.declared_in),
        "missing_from_lockfile": bool(c.missing_from_lockfile),
        "hashes": {_t(alg): _t(value) for alg, value in sorted(c.hashes)},
        "description": _t(c.description),
    }


def _severity(f: Finding) -> dict:
    s = f.severity
    score = s.score if isinstance(s.score, (int, float)) and not isinstance(s.score, bool) else None
    return {
        "rating": rating(f),
        "score": float(score) if score is not None else None,
        "vector": _opt(s.vector),
        "source": _t(s.source or "unknown"),
    }


def _suppression(f: Finding) -> dict | None:
    s = f.suppressed
    if s is None:
        return None
    return {
        "kind": _t(s.kind),
        "reason": _t(s.reason),
        "source": _t(s.source),
        "justification": _t(s.justification),
        "expires": _t(s.expires),
    }


def _finding(f: Finding) -> dict:
    c = f.component
    others = aliases(f)
    return {
        "id": _t(f.id),
        "ids": [_t(f.id)] + [_t(a) for a in others],
        "aliases": [_t(a) for a in others],
        "advisories": sorted({_t(a) for a in f.advisories}),
        "purl": _t(c.purl),
        "ecosystem": _t(c.ecosystem),
        "name": _t(c.name),
        "version": _t(c.version),
        "locations": [_t(o.location) for o in c.occurrences],
        "summary": _t(f.summary),
        "severity": _severity(f),
        "fixed": [_t(v) for v in f.fixed],
        "recommended": _opt(f.recommended),
        "malicious": bool(f.malicious),
        "references": [_t(r) for r in f.references],
        "labels": [_t(x) for x in f.labels],
        "active": f.suppressed is None,
        "suppression": _suppression(f),
        "confidence": round(c.confidence, 2),
    }


def _finding_key(f: Finding):
    c = f.component
    return (c.ecosystem, c.name, c.version, c.purl, f.id)


def _database(result: ScanResult) -> dict | None:
    db = result.database
    if db is None:
        return None
    return {
        "source": _t(db.source),
        "ecosystems": [
            {"ecosystem": _t(eco), "advisories": int(n), "last_modified": _t(modified)}
            for eco, n, modified in sorted(db.ecosystems)
        ],
        "age_days": float(db.age_days) if db.age_days is not None else None,
    }


def _summary(result: ScanResult) -> dict:
    c = counts(result)
    inv: Inventory = result.inventory
    worst = next((r for r in RATINGS if c["by_rating"][r]), None)
    return {
        "components": c["components"],
        "vulnerable_components": c["vulnerable_components"],
        "findings": c["findings"],
        "active": c["active"],
        "suppressed": c["suppressed"],
        "by_rating": c["by_rating"],
        "max_rating": worst,
        "malicious": c["malicious"],
        "declared_only": len(inv.declared_only),
        "missing_from_lockfile": sum(1 for x in inv.components if x.missing_from_lockfile),
        "notices": len(inv.notices),
        "suspicious": bool(inv.suspicious),
        "coverage": inv.coverage.status if inv.coverage is not None else None,
    }


def build(result: ScanResult, *, timestamp: datetime | None = None) -> dict:
    """The report as a JSON-ready dict (see ``docs/json-report.md``)."""
    inv = result.inventory
    art = inv.artifact
    ts = source_date(timestamp) or datetime.now(tz=timezone.utc)
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=timezone.utc)
    return {
        "schema": SCHEMA,
        "tool": {"name": "pkgscan", "version": __version__},
        "generated_at": ts.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "artifact": {
            "name": _t(art.name),
            "path": _t(art.path),
            "kind": _t(art.kind),
            "layout": _t(art.layout),
            "sha256": art.sha256 or None,
            "size": int(art.size),
            "entries": int(art.entries),
        },
        "database": _database(result),
        "summary": _summary(result),
        "components": [_component(c) for c in sorted(inv.components, key=lambda c: (c.ecosystem, c.name, c.version, c.purl))],
        "dependencies": [{"from": _t(a), "to": _t(b)} for a, b in sorted(set(inv.dependencies))],
        "declared_only": [
            {
                "ecosystem": _t(d.ecosystem),
                "name": _t(d.name),
                "version": _t(d.version),
                "lockfile": _t(d.lockfile),
                "dev": bool(d.dev),
                "optional": bool(d.optional),
            }
            for d in sorted(inv.declared_only, key=lambda d: (d.ecosystem, d.name, d.version, d.lockfile, d.dev, d.optional))
        ],
        "lockfiles": sorted(_t(x) for x in inv.lockfiles),
        "findings": [_finding(f) for f in sorted(result.findings, key=_finding_key)],
        "notices": [
            {"code": _t(n.code), "path": _t(n.path), "message": _t(n.message), "suspicious": bool(n.suspicious)}
            for n in sorted(inv.notices, key=lambda n: (n.path, n.code, n.message, n.suspicious))
        ],
        "warnings": [_t(w) for w in result.warnings],
        "coverage": _coverage(inv),
    }


def _coverage(inv: Inventory) -> dict | None:
    if inv.coverage is None:
        return None
    d = inv.coverage.to_dict()
    d["not_attributed"] = [{**x, "path": _t(x["path"])} for x in d["not_attributed"]]
    return d


def render(result: ScanResult, *, timestamp: datetime | None = None, indent: int | None = 2) -> str:
    """The report as JSON text (UTF-8 safe: hostile characters are escaped by :func:`neutralize`)."""
    text = json.dumps(build(result, timestamp=timestamp), indent=indent, ensure_ascii=False, allow_nan=False)
    return text + "\n"


def render_report(report, options) -> str:
    from . import DIFF, LIVE

    if report.kind == LIVE:
        return json.dumps(report.live, indent=2, sort_keys=True) + "\n"
    if report.kind == DIFF:
        from ..diff import fleet, render_json

        return (fleet.render_json if isinstance(report.diff, fleet.FleetDiff) else render_json)(report.diff)
    return render(report.scan)
