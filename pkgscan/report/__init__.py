"""Report formats: one interface, one registry, every command.

A command builds a :class:`Report` — a local scan, live results (functions, layers, regions, and a
scan result over all their packages), a diff, or an inventory for an SBOM — and asks
:func:`render` for a format by name.  Each format is one module with
``render_report(report, options) -> str`` plus its :class:`Format` entry below, saying which kinds
of report it can show and which file endings mean it (``-o results.sarif`` picks SARIF).  A format
that shows scans shows live results too: they carry the scan result of all their packages.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable
from uuid import UUID

SCAN, LIVE, DIFF, SBOM = "scan", "live", "diff", "sbom"


class FormatError(ValueError):
    """A format that does not exist, or cannot show this kind of report."""


@dataclass(frozen=True)
class Report:
    kind: str  # SCAN | LIVE | DIFF | SBOM
    #: SCAN and LIVE: the findings over every package; SBOM: the inventory (no findings)
    scan: Any = None  # pkgscan.vulns.model.ScanResult
    #: LIVE: the results document (schema pkgscan/lambda-results/v1: functions, layers, regions, counts)
    live: dict | None = None
    #: DIFF: pkgscan.diff.DiffResult
    diff: Any = None


@dataclass(frozen=True)
class RenderOptions:
    spec_version: str = "1.6"
    #: terminal columns; None: no limit (a file or a pipe)
    width: int | None = 120
    color: bool = False
    #: SBOM metadata (the root component and the document's identity)
    name: str | None = None
    version: str | None = None
    timestamp: datetime | None = None
    serial_number: UUID | None = None
    validate: bool = False


@dataclass(frozen=True)
class Format:
    name: str
    kinds: frozenset[str]
    #: file endings that mean this format, longest first where they overlap
    suffixes: tuple[str, ...]
    render: Callable[[Report, RenderOptions], str] = field(repr=False)
    description: str = ""


# Each loader imports its module only when the format is used (start-up stays fast).
def _table(report: Report, options: RenderOptions) -> str:
    from . import table

    return table.render_report(report, options)


def _json(report: Report, options: RenderOptions) -> str:
    from . import json_report

    return json_report.render_report(report, options)


def _sarif(report: Report, options: RenderOptions) -> str:
    from . import sarif

    return sarif.render_report(report, options)


def _markdown(report: Report, options: RenderOptions) -> str:
    from . import markdown

    return markdown.render_report(report, options)


def _cyclonedx(report: Report, options: RenderOptions, fmt: str) -> str:
    from . import cyclonedx_fast  # the library's JSON bytes without its import and object graph; else the library

    return cyclonedx_fast.render_report(report, options, fmt)


def _html(report: Report, options: RenderOptions) -> str:
    from . import html

    return html.render_report(report, options)


def _spdx(report: Report, options: RenderOptions) -> str:
    from . import spdx

    return spdx.render_report(report, options)


FORMATS: tuple[Format, ...] = (
    Format("table", frozenset({SCAN, LIVE, DIFF, SBOM}), (".txt",), _table, "a table for people"),
    Format("json", frozenset({SCAN, LIVE, DIFF}), (".json",), _json, "pkgscan's versioned JSON"),
    Format("sarif", frozenset({SCAN, LIVE}), (".sarif", ".sarif.json"), _sarif, "SARIF 2.1.0 (code scanning)"),
    Format("markdown", frozenset({SCAN, LIVE, DIFF}), (".md", ".markdown"), _markdown, "CI step summaries"),
    Format("html", frozenset({SCAN, LIVE}), (".html", ".htm"), _html, "one self-contained HTML page (charts, drill-downs)"),
    Format("cyclonedx-json", frozenset({SCAN, LIVE, SBOM}), (".cdx.json", ".bom.json", ".json"),
           lambda r, o: _cyclonedx(r, o, "cyclonedx-json"), "CycloneDX JSON (with vulnerabilities for scans)"),
    Format("cyclonedx-xml", frozenset({SCAN, LIVE, SBOM}), (".cdx.xml", ".bom.xml", ".xml"),
           lambda r, o: _cyclonedx(r, o, "cyclonedx-xml"), "CycloneDX XML"),
    Format("spdx-json", frozenset({SBOM}), (".spdx.json",), _spdx, "SPDX 2.3 JSON"),
)
_BY_NAME = {f.name: f for f in FORMATS}
#: older names still accepted
ALIASES = {"text": "table"}


def names(kind: str) -> list[str]:
    """The format names that can show ``kind``, in registry order."""
    return [f.name for f in FORMATS if kind in f.kinds]


def get(name: str, kind: str) -> Format:
    fmt = _BY_NAME.get(ALIASES.get(name, name))
    if fmt is None:
        raise FormatError(f"unknown format {name!r} (choose from {', '.join(names(kind))})")
    if kind not in fmt.kinds:
        raise FormatError(f"--format {fmt.name} cannot show a {kind} report (choose from {', '.join(names(kind))})")
    return fmt


def from_path(path: str, kind: str) -> str | None:
    """The format an output file name asks for (``results.sarif`` -> sarif), or None when it says nothing.

    Raises FormatError for a file ending that names a format this kind of report has not, or that
    no format uses, so ``-o x.sarif`` never silently writes something else."""
    base = path.rsplit("/", 1)[-1].lower()
    if "." not in base.lstrip("."):
        return None
    best: tuple[int, Format] | None = None
    for f in FORMATS:
        for suffix in f.suffixes:
            if base.endswith(suffix) and (best is None or len(suffix) > best[0]):
                best = (len(suffix), f)
    if best is None:
        raise FormatError(f"cannot tell the report format from the file name {path!r}: give --format "
                          f"({', '.join(names(kind))})")
    fmt = best[1]
    if kind not in fmt.kinds:
        # a generic ending (".json", ".xml") shared by several formats: the first that fits this kind;
        # a specific one (".spdx.json", ".sarif") names its format, which this report cannot be
        generic = best[0] == len(base) - base.rfind(".")
        for f in FORMATS if generic else ():
            if kind in f.kinds and any(base.endswith(s) for s in f.suffixes):
                return f.name
        raise FormatError(f"{path!r} looks like {fmt.name}, which cannot show a {kind} report: give --format "
                          f"({', '.join(names(kind))})")
    return fmt.name


def render(report: Report, name: str, options: RenderOptions = RenderOptions()) -> str:
    return get(name, report.kind).render(report, options)
