"""The options every command shares, declared once: output, gating, verbosity and the vulnerability check.

Conventions (README, "Command-line conventions"): ``-f/--format`` and ``-o/--output`` on every command
that writes a report, the format taken from the output file's ending when ``-f`` is not given;
``--fail-on`` case-insensitive; ``-q`` (no warnings or progress; the one-line reason a gate failed is
still printed) and ``-v`` (every notice); ``--no-color`` and the ``NO_COLOR`` environment variable.
"""
from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass

import click

from . import report

EXIT_OK, EXIT_POLICY, EXIT_ERROR, EXIT_INCOMPLETE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
FAIL_ON = ("low", "medium", "high", "critical", "any")


def one_line(text: object) -> str:
    """Package data in a message must not forge extra lines or escape sequences."""
    from .report.text import neutralize

    return neutralize(str(text), multiline=False)


def fail(message: str, code: int = EXIT_ERROR) -> None:
    click.echo(f"pkgscan: error: {one_line(message)}", err=True)
    sys.exit(code)


def warn(message: str) -> None:
    click.echo(f"pkgscan: warning: {one_line(message)}", err=True)


def _apply(f, options):
    for o in reversed(options):
        f = o(f)
    return f


def output_options(kind: str, default: str | None = None):
    """``-f/--format`` (the formats that can show ``kind``) and ``-o/--output``."""
    choices = report.names(kind) + [a for a, n in report.ALIASES.items() if n in report.names(kind)]
    help_default = f" (default: {default})" if default else \
        " (default: from the -o file name; else table on a terminal, json otherwise)"
    return lambda f: _apply(f, [
        click.option("-f", "--format", "fmt", type=click.Choice(choices, case_sensitive=False),
                     help="Report format" + help_default + "."),
        click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str),
                     help="Write the report here (default: stdout)."),
    ])


def partial_gate(inv, enabled: bool | None) -> int:
    """1 (with a line on stderr) when --fail-on-partial is set and the inventory's coverage is partial."""
    cov = getattr(inv, "coverage", None)
    if not enabled or cov is None or cov.status != "partial":
        return 0
    click.echo(f"pkgscan: --fail-on-partial: {one_line(cov.summary())}", err=True)
    return 1


def fail_on_option(name: str = "--fail-on", what: str = "an unsuppressed finding is"):
    return click.option(name, "fail_on", type=click.Choice(FAIL_ON, case_sensitive=False),
                        help=f"Exit 1 when {what} at or above this severity (case-insensitive; unknown "
                             "severity meets only 'any'; malicious packages count as critical).")


def verbosity_options(f):
    return _apply(f, [
        click.option("-q", "--quiet", is_flag=True, help="No warnings or progress on stderr (a failed gate still "
                                                          "prints its one-line reason)."),
        click.option("-v", "--verbose", count=True, help="More detail on stderr: every notice (repeatable)."),
        click.option("--no-color", is_flag=True, help="No colors (also when NO_COLOR is set)."),
    ])


def check_options(f):
    """The vulnerability check: where advisories come from and which findings count."""
    return _apply(f, [
        click.option("--db", "db_dir", type=click.Path(file_okay=False, path_type=str), envvar="PKGSCAN_DB_DIR",
                     help="Offline advisory database directory [env PKGSCAN_DB_DIR; default ~/.cache/pkgscan/db]."),
        click.option("--osv-api", metavar="URL", help="Query the OSV API at URL instead of the offline database."),
        click.option("--source", "sources", type=click.Choice(["osv", "pypi"]), multiple=True,
                     help="Extra vulnerability sources: pypi = PyPI's JSON API (as pip-audit), merged by alias."),
        click.option("--pypi-url", metavar="URL", help="PyPI base URL for --source pypi (default https://pypi.org)."),
        fail_on_option(),
        click.option("--fail-on-partial", is_flag=True,
                     help="Also exit 1 when the package's coverage is partial: most of its third-party-looking "
                          "code (a bundle, a stripped tree, an unknown binary) is not attributed to a package."),
        click.option("--ignore-unfixed", is_flag=True, help="Suppress findings that have no fixed version."),
        click.option("--ignore-file", type=click.Path(exists=True, dir_okay=False, path_type=str),
                     help="Ignore rules (.pkgscan-ignore.yaml or pyproject.toml); default: discovered in the "
                          "current directory."),
        click.option("--vex", "vex_files", type=click.Path(exists=True, dir_okay=False, path_type=str), multiple=True,
                     help="OpenVEX or CycloneDX VEX document (repeatable); not_affected statements suppress findings."),
        click.option("--include-withdrawn", is_flag=True, help="Also report withdrawn advisories."),
        click.option("--max-db-age", type=click.FloatRange(min=0), default=7.0, show_default=True,
                     help="Warn when an ecosystem's newest advisory is older (days)."),
    ])


def check_options_from(kw: dict):
    from .check import CheckOptions

    return CheckOptions(db_dir=kw.get("db_dir"), osv_api=kw.get("osv_api"), pypi="pypi" in (kw.get("sources") or ()),
                        pypi_url=kw.get("pypi_url"), include_withdrawn=kw.get("include_withdrawn", False),
                        max_db_age_days=kw.get("max_db_age", 7.0), ignore_file=kw.get("ignore_file"),
                        vex_files=tuple(kw.get("vex_files") or ()), ignore_unfixed=kw.get("ignore_unfixed", False))


@dataclass(frozen=True)
class Output:
    """Where a report goes and how it looks."""

    fmt: str
    path: str | None
    tty: bool
    color: bool
    width: int | None

    def write(self, text: str) -> None:
        if self.path and self.path != "-":
            try:
                with open(self.path, "w", encoding="utf-8", newline="\n") as fh:
                    fh.write(text)
            except OSError as exc:
                fail(f"cannot write {self.path}: {exc.strerror}")
        else:
            sys.stdout.write(text)


def resolve_output(kind: str, fmt: str | None, path: str | None, no_color: bool = False,
                   default: str | None = None) -> Output:
    """The format: -f, else the output file's ending, else ``default``, else table on a terminal and json
    otherwise.  Raises report.FormatError for an ending that names no format this report has."""
    to_stdout = not path or path == "-"
    tty = to_stdout and sys.stdout.isatty()
    if fmt:
        chosen = report.ALIASES.get(fmt.lower(), fmt.lower())
    else:
        chosen = (report.from_path(path, kind) if not to_stdout else None) or default or ("table" if tty else "json")
    report.get(chosen, kind)  # raises for a format this kind of report has not
    if not to_stdout:  # a report that cannot be written is found out before the work, not after
        parent = os.path.dirname(os.path.abspath(path)) or "."
        if not os.path.isdir(parent):
            raise report.FormatError(f"cannot write {path}: {parent} is not a directory")
        if not os.access(parent, os.W_OK):
            raise report.FormatError(f"cannot write {path}: {parent} is not writable")
    color = tty and not no_color and not os.environ.get("NO_COLOR")
    width = shutil.get_terminal_size((120, 40)).columns if tty else None  # a file or a pipe: never wrapped
    return Output(chosen, path, tty, color, width)


def gate_line(findings, fail_on: str | None) -> str:
    """The one line a CI log needs when --fail-on fails the run: how many, and the worst."""
    from .vulns.model import rating_rank
    from .vulns.policy import effective_rank

    level = (fail_on or "").lower()
    hits = [f for f in findings if f.active and (level == "any" or effective_rank(f) >= rating_rank(level))]
    hits.sort(key=lambda f: (-effective_rank(f), f.id, f.component.name))
    distinct = list({(f.id, f.component.purl): f for f in hits}.values())  # one package in several functions
    worst = ", ".join(f"{f.id} ({'malicious' if f.malicious else f.severity.rating}) in {f.component.name} "
                      f"{f.component.version}" for f in distinct[:3])
    more = f" and {len(distinct) - 3} more" if len(distinct) > 3 else ""
    where = f" ({len(distinct)} distinct)" if len(distinct) != len(hits) else ""
    return f"{len(hits)} finding{'s' if len(hits) != 1 else ''}{where} at or above --fail-on {level}: {worst}{more}"
