"""Inventory <-> plain JSON-able dicts (for the code cache and for merging shard results)."""
from __future__ import annotations

from typing import Any

from ..model import Artifact, BinarySymbols, Component, Coverage, DeclaredOnly, Evidence, Inventory, Notice, Occurrence

FORMAT = 3  # 3: coverage


def inventory_to_dict(inv: Inventory) -> dict[str, Any]:
    a = inv.artifact
    return {
        "format": FORMAT,
        "artifact": {"name": a.name, "path": a.path, "kind": a.kind, "layout": a.layout, "sha256": a.sha256,
                     "size": a.size, "entries": a.entries},
        "components": [
            {
                "ecosystem": c.ecosystem, "name": c.name, "version": c.version, "purl": c.purl,
                "licenses": list(c.licenses), "description": c.description,
                "occurrences": [[o.location, o.root] for o in c.occurrences],
                "declared_in": list(c.declared_in), "missing_from_lockfile": c.missing_from_lockfile,
                "hashes": [list(h) for h in c.hashes],
                "evidence": [[e.technique, e.confidence, e.location, e.detail] for e in c.evidence],
                "properties": [list(p) for p in c.properties],
            }
            for c in inv.components
        ],
        "dependencies": [list(e) for e in inv.dependencies],
        "declared_only": [
            {"ecosystem": d.ecosystem, "name": d.name, "version": d.version, "lockfile": d.lockfile,
             "dev": d.dev, "optional": d.optional}
            for d in inv.declared_only
        ],
        "lockfiles": list(inv.lockfiles),
        "notices": [{"code": n.code, "path": n.path, "message": n.message, "suspicious": n.suspicious} for n in inv.notices],
        "binaries": [{"location": b.location, "source": b.source, "names": list(b.names)} for b in inv.binaries],
        "coverage": inv.coverage.to_dict() if inv.coverage is not None else None,
    }


def inventory_from_dict(d: dict[str, Any]) -> Inventory:
    if d.get("format") != FORMAT:
        raise ValueError(f"unsupported inventory format {d.get('format')!r}")
    a = d["artifact"]
    return Inventory(
        artifact=Artifact(a["name"], a["path"], a["kind"], a["layout"], a["sha256"], a["size"], a["entries"]),
        components=tuple(
            Component(
                ecosystem=c["ecosystem"], name=c["name"], version=c["version"], purl=c["purl"],
                licenses=tuple(c["licenses"]), description=c["description"],
                occurrences=tuple(Occurrence(loc, root) for loc, root in c["occurrences"]),
                declared_in=tuple(c["declared_in"]), missing_from_lockfile=c["missing_from_lockfile"],
                hashes=tuple(tuple(h) for h in c["hashes"]),
                evidence=tuple(Evidence(t, float(conf), loc, detail) for t, conf, loc, detail in c["evidence"]),
                properties=tuple((k, v) for k, v in c["properties"]),
            )
            for c in d["components"]
        ),
        dependencies=tuple((s, t) for s, t in d["dependencies"]),
        declared_only=tuple(DeclaredOnly(**x) for x in d["declared_only"]),
        lockfiles=tuple(d["lockfiles"]),
        notices=tuple(Notice(**n) for n in d["notices"]),
        binaries=tuple(BinarySymbols(b["location"], b["source"], tuple(b["names"])) for b in d.get("binaries", ())),
        coverage=Coverage.from_dict(d["coverage"]) if d.get("coverage") else None,
    )
