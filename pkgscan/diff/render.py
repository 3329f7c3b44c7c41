"""Renderings of a diff: the ``pkgscan/diff/v1`` JSON document, plain text, and Markdown."""
from __future__ import annotations

import json
from typing import Iterable

from ..vulns.model import RATINGS
from .model import DIFF_SCHEMA, DiffResult, Side, SidePackage, VulnerabilityChange


def _side_json(s: Side) -> dict:
    return {
        "path": s.path, "format": s.format, "name": s.name or None, "version": s.version or None,
        "sha256": list(s.sha256), "components": len(s.components), "vulnerabilities": len(s.vulnerabilities),
        "has_vulnerability_data": s.has_vulnerability_data,
    }


def _pkg_json(p: SidePackage) -> dict:
    return {"ecosystem": p.ecosystem, "name": p.name, "version": p.version, "purl": p.purl or None}


def _vuln_json(v: VulnerabilityChange) -> dict:
    return {
        "id": v.id, "ids": list(v.ids), "aliases": list(v.ids[1:]), "ecosystem": v.ecosystem, "name": v.name,
        "versions": list(v.versions), "purls": list(v.purls),
        "severity": {"rating": v.rating, "score": v.score}, "summary": v.summary,
        "malicious": v.malicious, "active": v.active,
    }


def _by_rating(vulns: Iterable[VulnerabilityChange]) -> dict:
    out = {r: 0 for r in RATINGS}
    for v in vulns:
        if v.active:
            out[v.rating if v.rating in out else "unknown"] += 1
    return out


def build_json(d: DiffResult) -> dict:
    return {
        "schema": DIFF_SCHEMA,
        "old": _side_json(d.old),
        "new": _side_json(d.new),
        "summary": {
            "added": len(d.added), "removed": len(d.removed), "changed": len(d.changed), "unchanged": d.unchanged,
            "introduced": len(d.introduced), "fixed": len(d.fixed), "persisting": d.persisting,
            "introduced_by_rating": _by_rating(d.introduced),
        },
        "components": {
            "added": [_pkg_json(p) for p in d.added],
            "removed": [_pkg_json(p) for p in d.removed],
            "changed": [
                {"ecosystem": c.ecosystem, "name": c.name, "old": list(c.old), "new": list(c.new),
                 "old_purls": list(c.old_purls), "new_purls": list(c.new_purls), "direction": c.direction}
                for c in d.changed
            ],
        },
        "vulnerabilities": {
            "introduced": [_vuln_json(v) for v in d.introduced],
            "fixed": [_vuln_json(v) for v in d.fixed],
        },
        "warnings": list(d.warnings),
    }


def render_json(d: DiffResult, *, indent: int | None = 2) -> str:
    """The ``pkgscan/diff/v1`` JSON document (see docs/release-artifacts.md)."""
    return json.dumps(build_json(d), indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


def _pkg_text(eco: str, name: str) -> str:
    return f"{eco}/{name}" if eco else name


def _sev_text(v: VulnerabilityChange) -> str:
    if v.malicious:
        return "MALICIOUS"
    return v.rating.upper() + (f" {v.score:.1f}" if v.score is not None else "")


def _side_title(s: Side) -> str:
    return s.path + (f" ({s.name}{' ' + s.version if s.version else ''})" if s.name else "")


def render_text(d: DiffResult) -> str:
    """Plain text for a terminal (every string from the documents is already neutralized)."""
    lines = [f"old: {_side_title(d.old)}", f"new: {_side_title(d.new)}", ""]
    lines.append(f"Components: {len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed, "
                 f"{d.unchanged} unchanged")
    for p in d.added:
        lines.append(f"  + {_pkg_text(p.ecosystem, p.name)} {p.version}")
    for p in d.removed:
        lines.append(f"  - {_pkg_text(p.ecosystem, p.name)} {p.version}")
    for c in d.changed:
        lines.append(f"  ~ {_pkg_text(c.ecosystem, c.name)} {', '.join(c.old)} -> {', '.join(c.new)}"
                     + (f" ({c.direction})" if c.direction != "changed" else ""))
    lines.append("")
    lines.append(f"Vulnerabilities: {len(d.introduced)} introduced, {len(d.fixed)} fixed, {d.persisting} unchanged")
    for mark, vulns in (("+", d.introduced), ("-", d.fixed)):
        for v in vulns:
            aka = f" ({', '.join(v.ids[1:])})" if len(v.ids) > 1 else ""
            off = " [suppressed]" if not v.active else ""
            lines.append(f"  {mark} {_sev_text(v)}  {v.id}{aka}  {_pkg_text(v.ecosystem, v.name)} "
                         f"{', '.join(v.versions)}{off}" + (f"  {v.summary}" if v.summary else ""))
    for w in d.warnings:
        lines.append(f"pkgscan: warning: {w}")
    return "\n".join(lines) + "\n"


def render_markdown(d: DiffResult, *, heading_level: int = 2) -> str:
    """GitHub-flavoured Markdown for pull-request comments (identifiers as code spans, prose
    escaped, one line per cell)."""
    from ..report.markdown import code, escape
    from ..report.text import osv_url

    h = "#" * max(1, min(6, heading_level))
    out = [f"{h} pkgscan diff", ""]
    out.append(f"{code(d.old.path)} → {code(d.new.path)}")
    out.append("")
    intro_active = [v for v in d.introduced if v.active]
    out.append(f"**{len(intro_active)} new vulnerabilit{'y' if len(intro_active) == 1 else 'ies'}**, "
               f"{len(d.fixed)} fixed, {d.persisting} unchanged · components: {len(d.added)} added, "
               f"{len(d.removed)} removed, {len(d.changed)} changed, {d.unchanged} unchanged")
    out.append("")

    def vuln_table(title: str, vulns: tuple[VulnerabilityChange, ...]) -> None:
        if not vulns:
            return
        out.extend([f"{h}# {title}", "", "| severity | vulnerability | package | version | summary |", "|---|---|---|---|---|"])
        for v in vulns:
            ids = f"[{code(v.id)}]({osv_url(v.id)})" + ("<br>" + ", ".join(code(a) for a in v.ids[1:]) if len(v.ids) > 1 else "")
            sev = f"**{_sev_text(v)}**" + (" (suppressed)" if not v.active else "")
            out.append(f"| {sev} | {ids} | {code(_pkg_text(v.ecosystem, v.name))} | "
                       f"{', '.join(code(x) for x in v.versions)} | {escape(v.summary)} |")
        out.append("")

    vuln_table("Introduced vulnerabilities", d.introduced)
    vuln_table("Fixed vulnerabilities", d.fixed)
    if d.components_differ:
        out.extend([f"{h}# Component changes", "", "| change | package | old | new |", "|---|---|---|---|"])
        for c in d.changed:
            out.append(f"| {c.direction} | {code(_pkg_text(c.ecosystem, c.name))} | "
                       f"{', '.join(code(x) for x in c.old)} | {', '.join(code(x) for x in c.new)} |")
        for p in d.added:
            out.append(f"| added | {code(_pkg_text(p.ecosystem, p.name))} | | {code(p.version)} |")
        for p in d.removed:
            out.append(f"| removed | {code(_pkg_text(p.ecosystem, p.name))} | {code(p.version)} | |")
        out.append("")
    for w in d.warnings:
        out.append(f"> **Warning:** {escape(w)}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
