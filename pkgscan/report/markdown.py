"""GitHub-flavoured Markdown report, for CI step summaries and pull-request comments.

Identifiers from the package (names, versions, paths, ids) are shown as code spans, so that
no Markdown, HTML or @mention inside them takes effect; prose (advisory summaries, suppression
reasons) is backslash-escaped, with ``<``, ``>`` and ``&`` as HTML entities.  Every cell is one
line and escapes ``|``, so a hostile string cannot break out of its table cell.
"""
from __future__ import annotations

import re

from ..vulns.model import Finding, ScanResult
from .text import (aliases, counts, fix_text, live_counts_line, live_title, malicious_packages, neutralize, osv_url,
                   rating, score_text, signing_cell, single_line, sorted_findings)

__all__ = ["render", "escape", "code"]

_ESCAPE = str.maketrans(
    {
        **{c: "\\" + c for c in "\\`*_{}[]()#+!|~$@^="},
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
    }
)
_BACKTICKS = re.compile("`+")


def escape(s: object) -> str:
    """One line of inert Markdown text: no emphasis, link, HTML, math, mention or cell break."""
    return single_line(s).translate(_ESCAPE)


def code(s: object) -> str:
    """A one-line code span that shows ``s`` literally, safe inside a table cell."""
    text = single_line(s)
    if not text:
        return ""
    fence = "`" * (max((len(m) for m in _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    # GFM splits table rows on "|" before it parses code spans; "\|" keeps a pipe in the cell
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"


def _ids(f: Finding) -> str:
    primary = f"[{code(f.id)}]({osv_url(f.id)})"
    others = aliases(f)
    return primary + ("<br>" + ", ".join(code(a) for a in others) if others else "")


def _severity(f: Finding) -> str:
    if f.malicious:
        return "**MALICIOUS**"
    score = score_text(f)
    return f"**{rating(f).upper()}**" + (f" {score}" if score else "")


def _location(f: Finding) -> str:
    occ = f.component.occurrences
    if not occ:
        return "–"
    extra = f" +{len(occ) - 1}" if len(occ) > 1 else ""
    return code(occ[0].location) + extra


def _fixed(f: Finding) -> str:
    if f.malicious:
        return "remove it"
    fixed = fix_text(f)
    text = ", ".join(code(v) for v in f.fixed) if fixed else "no fix"
    if f.recommended and f.recommended not in f.fixed:
        text += f" (upgrade to {code(f.recommended)})"
    return text


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(c if c else " " for c in cells) + " |"


def _summary(result: ScanResult) -> str:
    c = counts(result)
    if c["active"] == 0:
        text = f"**No known vulnerabilities** in {c['components']} packages"
    else:
        noun = "vulnerability" if c["active"] == 1 else "vulnerabilities"
        parts = ", ".join(f"{n} {r}" for r, n in c["by_rating"].items() if n)
        text = f"**{c['active']} {noun}** ({parts}) in {c['vulnerable_components']} of {c['components']} packages"
    if c["suppressed"]:
        text += f" · {c['suppressed']} suppressed"
    cov = result.inventory.coverage
    if cov is not None and cov.status == "partial":  # never a silent clean: say what was not understood
        text += f" · **{cov.summary()}**"
    return text


def render(result: ScanResult, *, heading_level: int = 2) -> str:
    h = "#" * max(1, min(int(heading_level), 5))
    art = result.inventory.artifact
    lines = [f"{h} pkgscan: {code(art.name)}", "", _summary(result), ""]

    mal = malicious_packages(result)
    if mal:
        lines += ["> [!CAUTION]"]
        for name, version, vid in mal:
            lines.append(f"> **Malicious package:** {code(name)} {code(version)} ({code(vid)}): remove it and treat "
                         "the environment as compromised.  ")
        lines.append("")

    warnings = [escape(w) for w in result.warnings]
    if result.inventory.suspicious:
        n = sum(1 for x in result.inventory.notices if x.suspicious)
        entries = "entry" if n == 1 else "entries"
        warnings.insert(0, f"{n} suspicious archive {entries} (see the JSON report's notices)")
    if warnings:
        lines += ["> [!WARNING]"] + [f"> {w}  " for w in warnings] + [""]

    active = sorted_findings(f for f in result.findings if f.suppressed is None)
    if active:
        lines.append(_row(["Severity", "Package", "Installed", "Vulnerability", "Summary", "Fixed in", "Location"]))
        lines.append(_row(["---"] * 7))
        for f in active:
            lines.append(_row([
                _severity(f), code(f.component.name), code(f.component.version), _ids(f), escape(f.summary),
                _fixed(f), _location(f),
            ]))
        lines.append("")

    suppressed = sorted_findings(f for f in result.findings if f.suppressed is not None)
    if suppressed:
        lines += [f"{h}# Suppressed ({len(suppressed)})", ""]
        lines.append(_row(["Package", "Installed", "Vulnerability", "Severity", "Suppressed by", "Reason"]))
        lines.append(_row(["---"] * 6))
        for f in suppressed:
            s = f.suppressed
            assert s is not None
            by = escape(s.kind) + (f" ({code(s.source)})" if s.source else "")
            reason = escape(s.reason)
            if s.justification:
                reason += f" ({code(s.justification)})"
            if s.expires:
                reason += f", until {code(s.expires)}"
            lines.append(_row([code(f.component.name), code(f.component.version), _ids(f), _severity(f), by, reason]))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _md(s: object) -> str:
    """A field of the live results (from the AWS API: names, reasons, regions) as inert text: no link,
    image, HTML, emphasis or @mention takes effect and ``|`` cannot leave its table cell."""
    return escape(neutralize(str(s), multiline=False))


def render_live(doc: dict, scan=None) -> str:
    """Live results (functions, layers, regions) for people: CI step summaries, summary.md.  For one
    function or one layer, its findings follow as ``scan`` shows them."""
    lines = [f"## {_md(live_title(doc))}", "", _md(live_counts_line(doc)), ""]
    if doc["functions"]:
        lines += ["| account | function | region | version | status | runtime | signing | findings |",
                  "|---|---|---|---|---|---|---|---|"]
        for f in doc["functions"]:
            rv = f["runtime_verdict"] or {}
            lines.append(f"| {_md(f['account'])} | {_md(f['name'])} | {_md(f['region'])} | {_md(f['version'])} | "
                         f"{_md(f['status'])}{(': ' + _md(f['reason'])) if f['reason'] else ''} | {_md(f['runtime'])} "
                         f"{_md(rv.get('status', ''))} | {_md(signing_cell(f))} | {len(f['findings'])} |")
        lines.append("")
    if doc["layers"]:
        users: dict[str, int] = {}
        for f in doc["functions"]:
            for a in f["layers"]:
                users[a] = users.get(a, 0) + 1
        lines += ["| layer | status | used by | findings |", "|---|---|---|---|"]
        for lr in doc["layers"]:
            lines.append(f"| {_md(lr['arn'])} | {_md(lr['status'])}{(': ' + _md(lr['reason'])) if lr.get('reason') else ''}"
                         f" | {users.get(lr['arn'], 0)} | {len(lr['findings'])} |")
        lines.append("")
    failed = [r for r in doc["regions"] if r["status"] != "scanned"]
    if failed:
        lines += ["Regions not scanned: " + ", ".join(f"{_md(r.get('account', ''))}/{_md(r['region'])} ({_md(r['reason'])})" for r in failed), ""]
    bad = [a for a in doc["accounts"] if a["status"] != "scanned"]
    if bad:
        lines += ["Accounts not scanned: " + ", ".join(f"{_md(a['account'])} ({_md(a['status'])}: {_md(a['reason'])})" for a in bad), ""]
    for w in doc.get("warnings") or ():
        lines.append(f"> {_md(w)}")
    single = len(doc["functions"]) == 1 or (not doc["functions"] and len(doc["layers"]) == 1)
    if single and scan is not None and scan.findings:
        lines += ["", render(scan, heading_level=3)]
    return "\n".join(lines).rstrip("\n") + "\n"


def render_report(report, options) -> str:
    from . import DIFF, LIVE

    if report.kind == LIVE:
        return render_live(report.live, report.scan)
    if report.kind == DIFF:
        from ..diff import fleet, render_markdown

        return (fleet.render_markdown if isinstance(report.diff, fleet.FleetDiff) else render_markdown)(report.diff)
    return render(report.scan)
