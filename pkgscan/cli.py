"""Command line: a thin layer over the library API.

Exit codes: 0 success; 1 policy failure (a finding at or above --fail-on); 2 usage or input error.
"""
from __future__ import annotations

import sys
import uuid
from datetime import datetime

import click

from . import __version__
from .ecosystems import osv_names
from .errors import PkgscanError
from .report import DIFF, SBOM, SCAN

from .cli_options import (EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_POLICY, check_options, check_options_from,  # noqa: F401
                          ambiguous_gate, fail, fail_on_option, gate_line, one_line, partial_gate, output_options, resolve_output, verbosity_options, warn)

_one_line = one_line
_fail = fail


def _report_notices(inv, quiet: bool, verbose: int = 0) -> None:
    if quiet or not inv.notices:
        return
    shown = inv.notices if verbose else inv.notices[:20]
    for n in shown:
        flag = " [suspicious]" if n.suspicious else ""
        where = f"{n.path}: " if n.path else ""
        click.echo(f"pkgscan: warning: {one_line(where + n.message)}{flag}", err=True)
    if len(inv.notices) > len(shown):
        click.echo(f"pkgscan: warning: ... and {len(inv.notices) - len(shown)} more notices (-v shows them all)", err=True)


class _Group(click.Group):
    """Usage errors as one line on stderr (`pkgscan: error: ...`, exit 2), like input errors; no command
    at all prints the usage (several lines) and exits 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx is not None else str(exc), err=True)
            sys.exit(EXIT_ERROR)
        except click.ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            click.echo(f"pkgscan: error: {one_line(exc.format_message())}{hint}", err=True)
            sys.exit(EXIT_ERROR)
        except click.Abort:
            click.echo("pkgscan: aborted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        sys.exit(rv if isinstance(rv, int) else 0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pkgscan")
def main() -> None:
    """pkgscan: inventory, SBOM and vulnerability scanning for AWS Lambda deployment packages."""


def _render(rep, out, **extra) -> str:
    from .report import RenderOptions, render

    return render(rep, out.fmt, RenderOptions(width=out.width, color=out.color, **extra))


@main.command()
@click.argument("path", type=click.Path(path_type=str))
@output_options(SBOM, default="cyclonedx-json")
@click.option("--spec-version", type=click.Choice(["1.4", "1.5", "1.6"]), default="1.6", show_default=True)
@click.option("--layout", type=click.Choice(["function", "layer"]), help="Override the detected layout.")
@click.option("--name", help="Name of the root component (default: the file name).")
@click.option("--version", "version", help="Version of the root component.")
@click.option("--serial-number", type=click.UUID, help="BOM serial number (default: derived from the content).")
@click.option("--timestamp", type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
              help="BOM timestamp (default: SOURCE_DATE_EPOCH if set, else now).")
@click.option("--max-total-size", type=click.IntRange(min=1), help="Uncompressed size limit in bytes (default 250 MB).")
@click.option("--max-entries", type=click.IntRange(min=1), help="Entry count limit (default 500000).")
@click.option("--validate", is_flag=True, help="Validate the SBOM against the CycloneDX schema before writing it.")
@verbosity_options
def sbom(path: str, fmt: str | None, output: str | None, spec_version: str, layout: str | None, name: str | None,
         version: str | None, serial_number: uuid.UUID | None, timestamp: datetime | None,
         max_total_size: int | None, max_entries: int | None, validate: bool, quiet: bool, verbose: int,
         no_color: bool) -> None:
    """Write an SBOM of a Lambda function or layer (a zip or a directory): CycloneDX (default) or SPDX."""
    from .archive import DEFAULT_LIMITS
    from .report import Report
    from .scan import scan_path

    limits = DEFAULT_LIMITS.with_overrides(max_total_uncompressed=max_total_size, max_entries=max_entries)
    try:
        out = resolve_output(SBOM, fmt, output, no_color, default="cyclonedx-json")
        inv = scan_path(path, layout=layout, limits=limits)
        if timestamp is not None and timestamp.tzinfo is None:
            from datetime import timezone

            timestamp = timestamp.replace(tzinfo=timezone.utc)
        text = _render(Report(SBOM, scan=inv), out, spec_version=spec_version, name=name, version=version,
                       timestamp=timestamp, serial_number=serial_number, validate=validate)
    except (PkgscanError, ValueError) as exc:
        fail(str(exc))
        return
    except OSError as exc:
        fail(f"{path}: {exc.strerror or exc}")
        return
    _report_notices(inv, quiet, verbose)
    out.write(text)


@main.command()
@click.argument("path", type=click.Path(path_type=str))
@output_options(SCAN)
@check_options
@click.option("--layout", type=click.Choice(["function", "layer"]), help="Override the detected layout.")
@click.option("--spec-version", type=click.Choice(["1.4", "1.5", "1.6"]), default="1.6", show_default=True,
              help="CycloneDX version for the cyclonedx-* formats.")
@click.option("--no-vulns", is_flag=True, help="Inventory only: list the packages, match nothing (no database needed).")
@verbosity_options
def scan(path: str, fmt: str | None, output: str | None, layout: str | None, spec_version: str, no_vulns: bool,
         quiet: bool, verbose: int, no_color: bool, **kw) -> None:
    """Inventory a package and match it against OSV advisories.

    Exit codes: 0 no finding at or above --fail-on; 1 there is one; 2 usage or input error.
    """
    from .check import Checker
    from .report import Report
    from .scan import scan_path
    from .vulns import policy

    try:
        if no_vulns:  # inventory only: no checker, no database; every scan format, the table lists packages
            from .vulns.model import ScanResult

            out = resolve_output(SCAN, fmt, output, no_color)
            inv = scan_path(path, layout=layout)
            result = ScanResult(inventory=inv, warnings=("vulnerability matching skipped (--no-vulns)",))
            rep = Report(SBOM, scan=inv) if out.fmt == "table" else Report(SCAN, scan=result)
            out.write(_render(rep, out, spec_version=spec_version))
            _report_notices(inv, quiet, verbose)
            sys.exit(EXIT_OK)
        out = resolve_output(SCAN, fmt, output, no_color)
        checker = Checker(check_options_from(kw))
        inv = scan_path(path, layout=layout)
        result = checker.check(inv)
        shown = result
        if quiet and out.fmt in ("table", "markdown", "html"):  # -q: no warnings in what people read
            from dataclasses import replace as _replace

            shown = _replace(result, warnings=())
        text = _render(Report(SCAN, scan=shown), out, spec_version=spec_version)
    except (PkgscanError, ValueError) as exc:
        fail(str(exc))
        return
    except OSError as exc:
        fail(f"{exc.filename or path}: {exc.strerror or exc}")
        return
    _report_notices(inv, quiet, verbose)
    if not quiet and not (out.fmt == "table" and not output):  # the table shows them itself
        for w in result.warnings:
            warn(w)
    out.write(text)
    code = policy.exit_code(result.findings, kw["fail_on"])
    if code:
        click.echo(f"pkgscan: {gate_line(result.findings, kw['fail_on'])}", err=True)
    sys.exit(code or ambiguous_gate(inv, kw["fail_on"]) or partial_gate(inv, kw.get("fail_on_partial")))


@main.command()
@click.argument("old", type=click.Path(exists=True))
@click.argument("new", type=click.Path(exists=True))
@output_options(DIFF, default="table")
@fail_on_option("--fail-on-new", "a vulnerability introduced is")
@verbosity_options
def diff(old: str, new: str, fmt: str | None, output: str | None, fail_on: str | None, no_color: bool,
         quiet: bool, verbose: int) -> None:
    """Compare two SBOMs (CycloneDX or SPDX JSON), two scan JSON reports, or two live results
    (summary.json or --out-dir directories: drift between account scans).

    SBOMs and reports: components added, removed and changed; vulnerabilities introduced and fixed.
    Live results: functions added and removed, runtime, code, layer and signing changes, new and
    fixed vulnerabilities.  Exit codes: 0, 1 (--fail-on-new), 2 error.
    """
    from . import diff as d
    from .diff import fleet
    from .report import Report

    try:
        out = resolve_output(DIFF, fmt, output, no_color, default="table")
        kinds = (fleet.is_fleet(old), fleet.is_fleet(new))
        if any(kinds):
            if not all(kinds):
                raise PkgscanError("compare live results with live results (summary.json or --out-dir), "
                                   "and SBOMs or reports with each other")
            result = fleet.diff_fleets(fleet.load_fleet(old), fleet.load_fleet(new), old, new)
            code = fleet.gate_fleet(result, fail_on)
        else:
            result = d.diff(d.load_side(old), d.load_side(new))
            code = d.gate(result, fail_on)
            if quiet and out.fmt in ("table", "markdown", "html"):  # -q: no warnings in what people read
                import dataclasses

                result = dataclasses.replace(result, warnings=())
        text = _render(Report(DIFF, diff=result), out)
    except (PkgscanError, ValueError) as exc:
        fail(str(exc))
        return
    out.write(text)
    if code:  # even with -q: it is why the exit code is not 0
        click.echo(f"pkgscan: --fail-on-new: {_new_gate_line(result.introduced, fail_on)}", err=True)
    sys.exit(code)


def _new_gate_line(introduced, fail_on: str) -> str:
    """How many introduced vulnerabilities meet --fail-on-new, and the worst (one line)."""
    from .vulns.model import rating_rank

    level = fail_on.strip().lower()
    hits = sorted((v for v in introduced if getattr(v, "active", True) and (level == "any" or v.rank >= rating_rank(level))),
                  key=lambda v: (-v.rank, v.id))
    shown = ", ".join(one_line(v.id) for v in hits[:3]) + (f" and {len(hits) - 3} more" if len(hits) > 3 else "")
    return f"{len(hits)} introduced vulnerabilit{'y' if len(hits) == 1 else 'ies'} at or above {level}: {shown}"


@main.group()
def db() -> None:
    """Manage the offline advisory database."""


_db_option = click.option("--db", "db_dir", type=click.Path(file_okay=False, path_type=str), envvar="PKGSCAN_DB_DIR",
                          help="Database directory [env PKGSCAN_DB_DIR; default ~/.cache/pkgscan/db].")


@db.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=str))
@_db_option
def db_import(paths: tuple[str, ...], db_dir: str | None) -> None:
    """Import OSV exports (all.zip), directories of OSV JSON/YAML records, or single records."""
    from .vulns.store import import_path, writer

    try:
        with writer(db_dir) as w:
            for p in paths:
                if sys.stderr.isatty():  # progress for people; logs get the one result line per path
                    click.echo(f"pkgscan: importing {one_line(p)}", err=True)
                rep = import_path(w, p)
                click.echo(f"{_one_line(p)}: {rep.imported} new, {rep.updated} updated, {rep.unchanged} unchanged, "
                           f"{len(rep.skipped)} skipped")
                if rep.imported + rep.updated + rep.unchanged == 0:
                    raise PkgscanError(f"{p}: no OSV record found in it (is it an OSV export or a directory of records?)")
                for name, why in rep.skipped[:20]:
                    click.echo(f"  skipped {_one_line(name)}: {_one_line(why)}", err=True)
                if len(rep.skipped) > 20:
                    click.echo(f"  ... and {len(rep.skipped) - 20} more skipped", err=True)
    except (PkgscanError, OSError) as exc:
        _fail(str(exc))


@db.command("update")
@_db_option
@click.option("--base-url", default=None, help="OSV export base URL (default: OSV's public bucket).")
@click.option("--ecosystem", "ecosystems", multiple=True, type=click.Choice(list(osv_names()), case_sensitive=False),
              help="Ecosystems to fetch (default: every ecosystem pkgscan matches).")
def db_update(db_dir: str | None, base_url: str | None, ecosystems: tuple[str, ...]) -> None:
    """Download OSV's exports (conditional, verified) into the local database."""
    from .vulns import update as upd

    names = {n.lower(): n for n in osv_names()}
    try:
        results = upd.update(db_dir, base_url or upd.DEFAULT_BASE,
                             tuple(names[e.lower()] for e in ecosystems) if ecosystems else upd.ECOSYSTEMS,
                             progress=(lambda msg: click.echo(f"pkgscan: {one_line(msg)}", err=True))
                             if sys.stderr.isatty() else None)
    except (PkgscanError, OSError) as exc:
        _fail(str(exc))
        return
    for r in results:
        if r.status == "not-modified":
            click.echo(f"{r.ecosystem}: not modified")
        else:
            rep = r.report
            click.echo(f"{r.ecosystem}: {r.bytes} bytes, {rep.imported} records ({len(rep.skipped)} skipped)")


@db.command("status")
@_db_option
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"], case_sensitive=False), default="text",
              show_default=True, help="json: machine-readable.")
@click.option("--json", "as_json", is_flag=True, hidden=True, help="Same as --format json.")
@click.option("--max-db-age", "--max-age", "max_age", type=click.FloatRange(min=0), default=7.0, show_default=True,
              help="Warn when the newest advisory is older (days).")
def db_status(db_dir: str | None, fmt: str, as_json: bool, max_age: float) -> None:
    """Per-ecosystem counts, last modification and age of the local database."""
    import json as _json

    from .vulns.store import AdvisoryDB

    try:
        adb = AdvisoryDB(db_dir)
        st = adb.status()
        age = adb.age_days()
    except PkgscanError as exc:
        _fail(str(exc))
        return
    from datetime import datetime, timezone

    from .check import _age_days

    now = datetime.now(timezone.utc)
    for e in st["ecosystems"]:  # each ecosystem's own age: one fresh ecosystem must not hide a stale one
        e_age = _age_days(e["last_modified"], now)
        e["age_days"] = None if e_age is None else round(e_age, 1)
        e["stale"] = e_age is not None and e_age > max_age
    st["age_days"] = None if age is None else round(age, 1)
    st["stale"] = any(e["stale"] for e in st["ecosystems"]) or (age is not None and age > max_age)
    if as_json or fmt.lower() == "json":
        click.echo(_json.dumps(st, indent=2, sort_keys=True))
        return
    click.echo(f"database: {st['path']} (schema {st['schema_version']}, updated {st['updated_at']})")
    click.echo(f"advisories: {st['advisories']} ({st['withdrawn']} withdrawn), newest modified {st['newest_modified']}")
    for e in st["ecosystems"]:
        when = f"{e['age_days']:.0f} days old" if e["age_days"] is not None else "no modification dates"
        click.echo(f"  {e['ecosystem']:<12} {e['advisories']:>8} advisories, last modified {e['last_modified']} ({when})")
    for src in st["sources"]:
        click.echo(f"  source {_one_line(src['origin'])}: {src['records']} records from {_one_line(src['location'])} at {src['imported_at']}")
    stale = [f"{e['ecosystem']} ({e['age_days']:.0f} days)" for e in st["ecosystems"] if e["stale"]]
    if stale:
        click.echo(f"pkgscan: warning: stale advisories: {', '.join(stale)}; run 'pkgscan db update'", err=True)


def _register_aws() -> None:
    from .cli_aws import register, register_verify

    register(main)
    register_verify(main)


_register_aws()


if __name__ == "__main__":  # pragma: no cover
    main()
