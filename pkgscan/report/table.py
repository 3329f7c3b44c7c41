"""Human-readable terminal report: a table of findings and a one-line summary (rich).

Every cell is a ``rich.text.Text`` built from neutralized strings, never console markup, so a
package named ``[bold]x`` or ``evil\\x1b]0;pwned\\x07`` prints as what it is.
"""
from __future__ import annotations

from io import StringIO

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..vulns.model import RATINGS, Finding, ScanResult
from .text import aliases, counts, fix_text, malicious_packages, rating, score_text, single_line, sorted_findings, neutralize

__all__ = ["render"]

_RATING_STYLE = {
    "critical": "bold red",
    "high": "red",
    "medium": "yellow",
    "low": "cyan",
    "none": "dim",
    "unknown": "magenta",
}


def _location(f: Finding) -> str:
    occ = f.component.occurrences
    if not occ:
        return single_line(f.component.declared_in[0]) + " (declared)" if f.component.declared_in else "-"
    first = single_line(occ[0].location)
    return first if len(occ) == 1 else f"{first} +{len(occ) - 1}"


def _ids(f: Finding) -> Text:
    text = Text(single_line(f.id), style="bold")
    for alias in aliases(f):
        text.append("\n" + single_line(alias), style="dim")
    return text


def _severity(f: Finding) -> Text:
    if f.malicious:
        return Text("MALICIOUS", style="bold white on red")
    r = rating(f)
    score = score_text(f)
    return Text(r.upper() + (f" {score}" if score else ""), style=_RATING_STYLE[r])


def _package(f: Finding) -> Text:
    text = Text(single_line(f.component.name))
    for label in f.labels:
        text.append(f" ({single_line(label)})", style="dim")
    return text


def _fix(f: Finding) -> Text:
    if f.malicious:
        return Text("remove it", style="bold")
    fixed = fix_text(f)
    text = Text(single_line(fixed) if fixed else "no fix", style="" if fixed else "dim")
    if f.recommended and f.recommended not in f.fixed:
        text.append(f"\n(upgrade to {single_line(f.recommended)})", style="green")
    return text


def _findings_table(findings: list[Finding]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    table.add_column("Package", overflow="fold")
    table.add_column("Installed", overflow="fold")
    table.add_column("Vulnerability", overflow="fold", no_wrap=False)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Fixed in", overflow="fold")
    table.add_column("Location", overflow="fold")
    for f in findings:
        table.add_row(
            _package(f), Text(single_line(f.component.version)), _ids(f), _severity(f), _fix(f), Text(_location(f))
        )
    return table


def _suppressed_table(findings: list[Finding]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, style="dim", header_style="dim bold",
                  title="Suppressed", title_justify="left", title_style="dim bold")
    table.add_column("Package", overflow="fold", style="dim")
    table.add_column("Installed", overflow="fold", style="dim")
    table.add_column("Vulnerability", overflow="fold", style="dim")
    table.add_column("Severity", no_wrap=True, style="dim")
    table.add_column("Suppressed by", overflow="fold", style="dim")
    table.add_column("Reason", overflow="fold", style="dim")
    for f in findings:
        s = f.suppressed
        assert s is not None
        by = s.kind + (f" ({single_line(s.source)})" if s.source else "")
        reason = single_line(s.reason)
        if s.justification:
            reason += f" [{single_line(s.justification)}]"
        if s.expires:
            reason += f" (until {single_line(s.expires)})"
        table.add_row(
            Text(single_line(f.component.name)),
            Text(single_line(f.component.version)),
            Text(single_line(f.id)),
            Text("MALICIOUS" if f.malicious else (rating(f).upper() + (f" {score_text(f)}" if score_text(f) else ""))),
            Text(single_line(by)),
            Text(reason),
        )
    return table


def summary_line(result: ScanResult) -> Text:
    """"3 vulnerabilities (1 critical, 2 high) in 2 of 8 packages; 1 suppressed"."""
    c = counts(result)
    text = Text()
    if c["active"] == 0:
        text.append(f"No known vulnerabilities in {c['components']} packages", style="bold green")
    else:
        noun = "vulnerability" if c["active"] == 1 else "vulnerabilities"
        text.append(f"{c['active']} {noun}", style="bold")
        parts = [(r, n) for r, n in c["by_rating"].items() if n]
        text.append(" (")
        for i, (r, n) in enumerate(parts):
            if i:
                text.append(", ")
            text.append(f"{n} {r}", style=_RATING_STYLE[r])
        text.append(f") in {c['vulnerable_components']} of {c['components']} packages")
    if c["suppressed"]:
        text.append(f"; {c['suppressed']} suppressed", style="dim")
    return text


def _renderables(result: ScanResult) -> list:
    out: list = []
    art = result.inventory.artifact
    header = Text(f"pkgscan: {single_line(art.name)}", style="bold")
    n = len(result.inventory.components)
    header.append(f" ({single_line(art.layout)}, {n} package{'' if n == 1 else 's'})", style="dim")
    out.append(header)
    for name, version, vid in malicious_packages(result):
        out.append(Text(f"!!! MALICIOUS PACKAGE: {single_line(name)} {single_line(version)} ({single_line(vid)}) "
                        "- remove it and treat the environment as compromised !!!", style="bold white on red"))
    active = sorted_findings(f for f in result.findings if f.suppressed is None)
    suppressed = sorted_findings(f for f in result.findings if f.suppressed is not None)
    if active:
        out += [Text(""), _findings_table(active)]
    if suppressed:
        out += [Text(""), _suppressed_table(suppressed)]
    out.append(Text(""))
    if result.inventory.suspicious:
        n = sum(1 for n in result.inventory.notices if n.suspicious)
        entries = "entry" if n == 1 else "entries"
        out.append(Text(f"Warning: {n} suspicious archive {entries} (see the JSON report's notices)", style="bold yellow"))
    for w in result.warnings:
        out.append(Text("Warning: " + single_line(w), style="yellow"))
    out.append(summary_line(result))
    return out


def render(result: ScanResult, *, width: int = 120, color: bool = False) -> str:
    """The report as plain text (``color=False``) or with ANSI colors of the 16-color palette."""
    buf = StringIO()
    console = Console(
        file=buf,
        width=max(40, int(width)),
        color_system="standard" if color else None,
        force_terminal=bool(color),
        force_jupyter=False,
        force_interactive=False,
        no_color=not color,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
        soft_wrap=False,
        _environ={},  # COLUMNS, NO_COLOR, FORCE_COLOR, TERM must not change the output
    )
    console.print(Group(*_renderables(result)))
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"


def render_live(doc: dict, *, width: int = 120) -> str:
    """Live results (functions, layers, regions) as a table."""
    from rich.table import Table

    names = ", ".join(a["account"] for a in doc["accounts"]) or "(account unknown)"
    t = Table(title=Text(neutralize(f"Lambda: {names}", multiline=False)), expand=False)
    for col in ("account", "function", "region", "version", "status", "runtime", "signing", "findings", "highest"):
        t.add_column(col)
    order = list(RATINGS)
    for f in doc["functions"]:
        sev = [x["severity"] for x in f["findings"] if not x["suppressed"]]
        highest = min(sev, key=order.index) if sev else ""
        rv = (f["runtime_verdict"] or {}).get("status", "")
        status = f["status"] + (f": {f['reason']}" if f["reason"] else "")
        t.add_row(*(Text(neutralize(str(x), multiline=False)) for x in
                    (f["account"], f["name"], f["region"], f["version"], status, f"{f['runtime']} {rv}".strip(),
                     f["signing"]["verdict"] or "", len(f["findings"]), highest)))
    buf = StringIO()
    Console(file=buf, width=width, color_system=None).print(t)
    c = doc["counts"]
    buf.write(f"{c['functions']} functions {c['by_status']}, {c['layers']} layers, findings {c['findings_by_severity']}\n")
    for r in doc["regions"]:
        if r["status"] != "scanned":
            buf.write(neutralize(f"region {r.get('account', '')}/{r['region']}: {r['status']} ({r['reason']})", multiline=False) + "\n")
    for a in doc["accounts"]:
        if a["status"] != "scanned":
            buf.write(neutralize(f"account {a['account']}: {a['status']} ({a['reason']})", multiline=False) + "\n")
    return buf.getvalue()


def render_report(report, options) -> str:
    from . import DIFF, LIVE

    if report.kind == LIVE:
        return render_live(report.live, width=options.width)
    if report.kind == DIFF:
        from ..diff import render_text

        return render_text(report.diff)
    return render(report.scan, width=options.width, color=options.color)


assert set(_RATING_STYLE) == set(RATINGS)
