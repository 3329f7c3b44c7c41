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
from . import layout
from .layout import Col
from .text import live_counts_line, live_title, plural, signing_cell, aliases, counts, fix_text, malicious_packages, rating, score_text, single_line, sorted_findings, neutralize

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
    return Text(single_line(f.component.name))


def _notes(f: Finding) -> Text:
    """Labels (shadowed, a layer's, Go symbol reachability) and a low identification confidence."""
    notes = [single_line(label) for label in f.labels]
    if f.component.confidence < 0.8:
        notes.append(f"identified with confidence {f.component.confidence:.2f}")
    return Text("; ".join(notes), style="dim")


def _fix(f: Finding) -> Text:
    if f.malicious:
        return Text("remove it", style="bold")
    fixed = fix_text(f)
    text = Text(single_line(fixed) if fixed else "no fix", style="" if fixed else "dim")
    if f.recommended and f.recommended not in f.fixed:
        text.append(f"\n(upgrade to {single_line(f.recommended)})", style="green")
    return text


def _findings_table(findings: list[Finding], width: int | None) -> tuple[Table, list[str]]:
    cols = [Col("Package", "path"), Col("Installed", "id"), Col("Vulnerability", "id"), Col("Severity", "id", 1),
            Col("Fixed in", "text", 2), Col("Notes", "text", 4), Col("Location", "path", 3)]
    rows = [[_package(f), Text(single_line(f.component.version)), _ids(f), _severity(f), _fix(f), _notes(f),
             Text(_location(f))] for f in findings]
    if not any(r[5].plain for r in rows):  # no notes at all: no empty column
        cols.pop(5)
        rows = [r[:5] + r[6:] for r in rows]
    return layout.table(cols, rows, width)


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
    if c["components"] == 0:
        text.append("No packages found: nothing was checked for vulnerabilities", style="bold yellow")
    elif c["active"] == 0 and _partial(result):
        text.append(f"No known vulnerabilities in {c['components']} identified packages; "
                    + single_line(result.inventory.coverage.summary()), style="bold yellow")
    elif c["active"] == 0:
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
    if c["active"] and _partial(result):
        text.append("; " + single_line(result.inventory.coverage.summary()), style="yellow")
    weak = sum(1 for f in result.findings if f.suppressed is None and f.component.confidence < 0.8)
    if weak:
        text.append(f"; {weak} on packages identified from bundled or stripped code (confidence < 0.8)", style="yellow")
    unversioned = sum(1 for x in result.inventory.components if not x.version)
    if unversioned:
        text.append(f"; {unversioned} package{'' if unversioned == 1 else 's'} without a known version not checked",
                    style="yellow")
    return text


def _partial(result: ScanResult) -> bool:
    cov = result.inventory.coverage
    return cov is not None and cov.status == "partial"


def _renderables(result: ScanResult, width: int | None = None) -> list:
    out: list = []
    art = result.inventory.artifact
    header = Text(f"pkgscan: {single_line(art.name)}", style="bold")
    n = len(result.inventory.components)
    header.append(f" ({single_line(art.layout)}, {n} package{'' if n == 1 else 's'})", style="dim")
    cov = result.inventory.coverage
    if cov is not None and cov.third_party_bytes:
        header.append(f" coverage {cov.fraction:.0%}" + (" PARTIAL" if cov.status == "partial" else ""),
                      style="bold yellow" if cov.status == "partial" else "dim")
    out.append(header)
    for name, version, vid in malicious_packages(result):
        out.append(Text(f"!!! MALICIOUS PACKAGE: {single_line(name)} {single_line(version)} ({single_line(vid)}) "
                        "- remove it and treat the environment as compromised !!!", style="bold white on red"))
    active = sorted_findings(f for f in result.findings if f.suppressed is None)
    suppressed = sorted_findings(f for f in result.findings if f.suppressed is not None)
    if active:
        table, dropped = _findings_table(active, width)
        out += [Text(""), table]
        if dropped:
            out.append(Text(f"(not shown at this width: {', '.join(dropped)}; widen the terminal or use -f json)",
                            style="dim"))
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


def render(result: ScanResult, *, width: int | None = 120, color: bool = False) -> str:
    """The report as plain text (``color=False``) or with ANSI colors of the 16-color palette.

    ``width``: the terminal's columns (tables fit them without splitting identifiers); None: no limit
    (output to a file or a pipe is never wrapped).  COLUMNS, NO_COLOR, FORCE_COLOR and TERM do not
    change the output."""
    width = None if width is None else max(40, int(width))
    return _print(_renderables(result, width), width, color)


def _highest(findings: list[dict]) -> str:
    sev = [x["severity"] for x in findings if not x["suppressed"]]
    return min(sev, key=list(RATINGS).index) if sev else ""


def render_live(doc: dict, *, width: int | None = 120, scan=None, color: bool = False) -> str:
    """Live results (functions, layers, regions) as tables; for one function or one layer, also its
    findings as ``scan`` shows them."""
    out: list = [Text(neutralize(live_title(doc), multiline=False), style="bold")]
    cell = lambda x: Text(neutralize(str(x), multiline=False))  # noqa: E731
    fns = doc["functions"]
    if fns:
        cols = [Col("function", "id"), Col("version", "id", 2), Col("status", "text"), Col("runtime", "text", 3),
                Col("signing", "text", 2), Col("findings", "id"), Col("highest", "id", 1), Col("region", "id", 4),
                Col("account", "id", 5)]
        rows = []
        for f in fns:
            rv = (f["runtime_verdict"] or {}).get("status", "")
            status = f["status"] + (f": {f['reason']}" if f["reason"] else "")
            rows.append([cell(x) for x in (f["name"], f["version"], status, f"{f['runtime']} {rv}".strip(),
                                            signing_cell(f), len(f["findings"]), _highest(f["findings"]),
                                            f["region"], f["account"])])
        t, dropped = layout.table(cols, rows, width)
        out += [Text(""), t]
        if dropped:
            out.append(Text(f"(not shown at this width: {', '.join(dropped)})", style="dim"))
    users: dict[str, int] = {}
    for f in fns:
        for a in f["layers"]:
            users[a] = users.get(a, 0) + 1
    if doc["layers"]:
        cols = [Col("layer", "path"), Col("status", "text"), Col("used by", "id", 2), Col("findings", "id"),
                Col("highest", "id", 1)]
        rows = [[cell(lr["arn"]), cell(lr["status"] + (f": {lr['reason']}" if lr.get("reason") else "")),
                 cell(plural(users.get(lr["arn"], 0), "function")), cell(len(lr["findings"])),
                 cell(_highest(lr["findings"]))] for lr in doc["layers"]]
        t, _dropped = layout.table(cols, rows, width)
        out += [Text(""), t]
    single = len(fns) == 1 or (not fns and len(doc["layers"]) == 1)
    if single and scan is not None and scan.findings:
        out += [Text("")] + [r for r in _renderables(scan, width)[1:] if not isinstance(r, Text) or
                              not r.plain.startswith(("Warning:",))][:-1]
    for w in doc.get("warnings") or ():
        out.append(Text("Warning: " + neutralize(w, multiline=False), style="yellow"))
    out += [Text(""), Text(live_counts_line(doc))]
    for r in doc["regions"]:
        if r["status"] != "scanned":
            out.append(Text(neutralize(f"region {r.get('account', '')}/{r['region']}: {r['status']} ({r['reason']})",
                                       multiline=False), style="yellow"))
    for a in doc["accounts"]:
        if a["status"] != "scanned":
            out.append(Text(neutralize(f"account {a['account']}: {a['status']} ({a['reason']})", multiline=False),
                            style="yellow"))
    return _print(out, width, color)


def _print(renderables: list, width: int | None, color: bool) -> str:
    buf = StringIO()
    console = Console(file=buf, width=width or 100_000, color_system="standard" if color else None,
                      force_terminal=bool(color), force_jupyter=False, force_interactive=False, no_color=not color,
                      highlight=False, markup=False, emoji=False, legacy_windows=False, soft_wrap=False, _environ={})
    console.print(Group(*renderables))
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"


def render_packages(inv, *, width: int | None = 120, color: bool = False) -> str:
    """The inventory as a list of packages (``pkgscan sbom -f table``, ``scan --no-vulns``)."""
    art = inv.artifact
    n = len(inv.components)
    header = Text(f"pkgscan: {single_line(art.name)}", style="bold")
    header.append(f" ({single_line(art.layout)}, {n} package{'' if n == 1 else 's'})", style="dim")
    cov = inv.coverage
    if cov is not None and cov.third_party_bytes:
        header.append(f" coverage {cov.fraction:.0%}" + (" PARTIAL" if cov.status == "partial" else ""),
                      style="bold yellow" if cov.status == "partial" else "dim")
    out: list = [header]
    if inv.components:
        cols = [Col("Package", "id"), Col("Version", "id"), Col("Type", "id", 2), Col("Confidence", "id", 3),
                Col("Location", "path", 1)]
        rows = []
        for c in inv.components:
            loc = c.occurrences[0].location if c.occurrences else ""
            more = f" +{len(c.occurrences) - 1}" if len(c.occurrences) > 1 else ""
            rows.append([Text(single_line(c.name)), Text(single_line(c.version) or "(unknown)"), Text(c.ecosystem),
                         Text(f"{c.confidence:.2f}"), Text(single_line(loc) + more)])
        t, dropped = layout.table(cols, rows, width)
        out += [Text(""), t]
        if dropped:
            out.append(Text(f"(not shown at this width: {', '.join(dropped)})", style="dim"))
    else:
        out += [Text(""), Text("No packages found: nothing identifiable was installed in it", style="yellow")]
    if cov is not None and cov.status == "partial":
        out += [Text(""), Text(single_line(cov.summary()) + ": " + ", ".join(
            single_line(p) for p, _k, _n in cov.not_attributed[:3]), style="yellow")]
    return _print(out, width, color)


def render_report(report, options) -> str:
    from . import DIFF, LIVE, SBOM

    if report.kind == SBOM:
        return render_packages(report.scan, width=options.width, color=options.color)
    if report.kind == LIVE:
        return render_live(report.live, width=options.width, scan=report.scan, color=options.color)
    if report.kind == DIFF:
        from ..diff import fleet, render_text

        return (fleet.render_text if isinstance(report.diff, fleet.FleetDiff) else render_text)(report.diff)
    return render(report.scan, width=options.width, color=options.color)


assert set(_RATING_STYLE) == set(RATINGS)
