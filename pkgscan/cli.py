"""Command line: a thin layer over the library API.

Exit codes: 0 success; 1 policy failure (a finding at or above --fail-on); 2 usage or input error.
"""
from __future__ import annotations

import shutil
import sys
import uuid
from datetime import datetime

import click

from . import __version__
from .archive import DEFAULT_LIMITS
from .errors import PkgscanError
from .report.cyclonedx import build_bom, serialize
from .report.text import neutralize
from .scan import scan_path

EXIT_OK, EXIT_POLICY, EXIT_ERROR = 0, 1, 2


def _one_line(text: str) -> str:
    """Package data in a message must not forge extra lines or escape sequences."""
    return neutralize(text, multiline=False)


def _fail(message: str) -> None:
    click.echo(f"pkgscan: error: {_one_line(message)}", err=True)
    sys.exit(EXIT_ERROR)


def _report_notices(inv, quiet: bool) -> None:
    if quiet or not inv.notices:
        return
    shown = inv.notices[:20]
    for n in shown:
        flag = " [suspicious]" if n.suspicious else ""
        where = f"{n.path}: " if n.path else ""
        click.echo(f"pkgscan: warning: {_one_line(where + n.message)}{flag}", err=True)
    if len(inv.notices) > len(shown):
        click.echo(f"pkgscan: warning: ... and {len(inv.notices) - len(shown)} more notices", err=True)


class _Group(click.Group):
    """Usage errors as one line on stderr (`pkgscan: error: ...`, exit 2), like input errors."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            click.echo(f"pkgscan: error: {_one_line(exc.format_message())}{hint}", err=True)
            sys.exit(EXIT_ERROR)
        except click.Abort:
            click.echo("pkgscan: aborted", err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pkgscan")
def main() -> None:
    """pkgscan: inventory, SBOM and vulnerability scanning for AWS Lambda deployment packages."""


@main.command()
@click.argument("path", type=click.Path(path_type=str))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=str), help="Write here (default: stdout).")
@click.option("--format", "fmt", type=click.Choice(["cyclonedx-json", "cyclonedx-xml", "spdx-json"]),
              default="cyclonedx-json", show_default=True, help="spdx-json is SPDX 2.3, validated with spdx-tools.")
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
@click.option("-q", "--quiet", is_flag=True, help="No warnings on stderr.")
def sbom(path: str, output: str | None, fmt: str, spec_version: str, layout: str | None, name: str | None,
         version: str | None, serial_number: uuid.UUID | None, timestamp: datetime | None,
         max_total_size: int | None, max_entries: int | None, validate: bool, quiet: bool) -> None:
    """Write a CycloneDX SBOM of a Lambda function or layer (a zip or a directory)."""
    limits = DEFAULT_LIMITS.with_overrides(max_total_uncompressed=max_total_size, max_entries=max_entries)
    try:
        inv = scan_path(path, layout=layout, limits=limits)
        if timestamp is not None and timestamp.tzinfo is None:
            from datetime import timezone

            timestamp = timestamp.replace(tzinfo=timezone.utc)
        if fmt == "spdx-json":
            from .report.spdx import render_spdx

            text = render_spdx(inv, name=name, version=version, created=timestamp)
        else:
            text = serialize(build_bom(inv, name=name, version=version, timestamp=timestamp,
                                       serial_number=serial_number), fmt, spec_version, validate=validate)
    except (PkgscanError, ValueError) as exc:
        _fail(str(exc))
        return
    except OSError as exc:
        _fail(f"{path}: {exc.strerror or exc}")
        return
    _report_notices(inv, quiet)
    _write(text, output)


REPORT_FORMATS = ["table", "json", "sarif", "markdown", "cyclonedx-json", "cyclonedx-xml"]


def _render(result, fmt: str, spec_version: str, width: int, color: bool) -> str:
    if fmt == "table":
        from .report.table import render

        return render(result, width=width, color=color)
    if fmt == "json":
        from .report.json_report import render

        return render(result)
    if fmt == "sarif":
        from .report.sarif import render

        return render(result)
    if fmt == "markdown":
        from .report.markdown import render

        return render(result)
    from .report.cyclonedx_vulns import add_vulnerabilities

    bom = add_vulnerabilities(build_bom(result.inventory), result)
    return serialize(bom, fmt, spec_version, validate=False)


@main.command()
@click.argument("path", type=click.Path(path_type=str))
@click.option("-f", "--format", "fmt", type=click.Choice(REPORT_FORMATS),
              help="Report format (default: table on a terminal, json otherwise).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str), help="Write here (default: stdout).")
@click.option("--db", "db_dir", type=click.Path(file_okay=False, path_type=str), envvar="PKGSCAN_DB_DIR",
              help="Offline advisory database directory [env PKGSCAN_DB_DIR].")
@click.option("--osv-api", metavar="URL", help="Query the OSV API at URL instead of the offline database.")
@click.option("--source", "sources", type=click.Choice(["osv", "pypi"]), multiple=True,
              help="Extra vulnerability sources: pypi = PyPI's JSON API (as pip-audit), merged by alias.")
@click.option("--pypi-url", metavar="URL", help="PyPI base URL for --source pypi (default https://pypi.org).")
@click.option("--fail-on", type=click.Choice(["low", "medium", "high", "critical", "any"]),
              help="Exit 1 when an unsuppressed finding is at or above this severity "
                   "(unknown severity meets only 'any'; malicious packages count as critical).")
@click.option("--ignore-unfixed", is_flag=True, help="Suppress findings that have no fixed version.")
@click.option("--ignore-file", type=click.Path(exists=True, dir_okay=False, path_type=str),
              help="Ignore rules (.pkgscan-ignore.yaml or pyproject.toml); default: discovered in the current directory.")
@click.option("--vex", "vex_files", type=click.Path(exists=True, dir_okay=False, path_type=str), multiple=True,
              help="OpenVEX or CycloneDX VEX document; not_affected statements suppress findings.")
@click.option("--include-withdrawn", is_flag=True, help="Also report withdrawn advisories.")
@click.option("--max-db-age", type=click.FloatRange(min=0), default=7.0, show_default=True,
              help="Warn when the newest advisory is older (days).")
@click.option("--layout", type=click.Choice(["function", "layer"]), help="Override the detected layout.")
@click.option("--spec-version", type=click.Choice(["1.4", "1.5", "1.6"]), default="1.6", show_default=True,
              help="CycloneDX version for the cyclonedx-* formats.")
@click.option("-q", "--quiet", is_flag=True, help="No warnings on stderr.")
def scan(path: str, fmt: str | None, output: str | None, db_dir: str | None, osv_api: str | None,
         sources: tuple[str, ...], pypi_url: str | None, fail_on: str | None, ignore_unfixed: bool,
         ignore_file: str | None, vex_files: tuple[str, ...], include_withdrawn: bool, max_db_age: float,
         layout: str | None, spec_version: str, quiet: bool) -> None:
    """Inventory a package and match it against OSV advisories.

    Exit codes: 0 no finding at or above --fail-on; 1 there is one; 2 usage or input error.
    """
    from .scan import scan_vulnerabilities, vulnerability_sources
    from .vulns import policy

    tty = sys.stdout.isatty() and not output
    fmt = fmt or ("table" if tty else "json")
    try:
        rules = []
        found = ignore_file or policy.discover_ignore_file(".")
        if found:
            rules = policy.load_ignores(found)
        vex = [st for f in vex_files for st in policy.load_vex(f)]
        inv = scan_path(path, layout=layout)
        srcs, info = vulnerability_sources(db_dir=db_dir, osv_api=osv_api, pypi="pypi" in sources, pypi_url=pypi_url)
        result = scan_vulnerabilities(inv, srcs, info, include_withdrawn=include_withdrawn, max_db_age_days=max_db_age)
        findings, pwarn = policy.apply_policy(list(result.findings), ignore_rules=rules, vex=vex,
                                              ignore_unfixed=ignore_unfixed)
        from dataclasses import replace

        result = replace(result, findings=tuple(findings), warnings=result.warnings + tuple(pwarn))
        text = _render(result, fmt, spec_version, width=shutil.get_terminal_size((120, 40)).columns, color=tty)
    except (PkgscanError, ValueError) as exc:
        _fail(str(exc))
        return
    except OSError as exc:
        _fail(f"{exc.filename or path}: {exc.strerror or exc}")
        return
    _report_notices(inv, quiet)
    if not quiet and not (fmt == "table" and not output):  # the table shows them itself
        for w in result.warnings:
            click.echo(f"pkgscan: warning: {_one_line(w)}", err=True)
    _write(text, output)
    sys.exit(policy.exit_code(result.findings, fail_on))


@main.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here (default: stdout).")
@click.option("--fail-on-new", type=click.Choice(["low", "medium", "high", "critical", "any"]),
              help="Exit 1 when a vulnerability at or above this severity is introduced.")
def diff(old: str, new: str, fmt: str, output: str | None, fail_on_new: str | None) -> None:
    """Compare two SBOMs (CycloneDX or SPDX JSON) or two scan JSON reports.

    Components added, removed and changed; vulnerabilities introduced and fixed.
    Exit codes: 0, 1 (--fail-on-new), 2 error.
    """
    from . import diff as d

    try:
        result = d.diff(d.load_side(old), d.load_side(new))
    except (PkgscanError, ValueError) as exc:
        _fail(str(exc))
        return
    render = {"text": d.render_text, "json": d.render_json, "markdown": d.render_markdown}[fmt]
    _write(render(result), output)
    sys.exit(d.gate(result, fail_on_new))


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
@click.option("--ecosystem", "ecosystems", multiple=True, type=click.Choice(["PyPI", "npm"]),
              help="Ecosystems to fetch (default: PyPI and npm).")
def db_update(db_dir: str | None, base_url: str | None, ecosystems: tuple[str, ...]) -> None:
    """Download OSV's PyPI and npm exports (conditional, verified) into the local database."""
    from .vulns import update as upd

    try:
        results = upd.update(db_dir, base_url or upd.DEFAULT_BASE, ecosystems or upd.ECOSYSTEMS)
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
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--max-db-age", "--max-age", "max_age", type=click.FloatRange(min=0), default=7.0, show_default=True,
              help="Warn when the newest advisory is older (days).")
def db_status(db_dir: str | None, as_json: bool, max_age: float) -> None:
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
    st["age_days"] = None if age is None else round(age, 1)
    st["stale"] = age is not None and age > max_age
    if as_json:
        click.echo(_json.dumps(st, indent=2, sort_keys=True))
        return
    click.echo(f"database: {st['path']} (schema {st['schema_version']}, updated {st['updated_at']})")
    click.echo(f"advisories: {st['advisories']} ({st['withdrawn']} withdrawn), newest modified {st['newest_modified']}")
    for e in st["ecosystems"]:
        click.echo(f"  {e['ecosystem']:<12} {e['advisories']:>8} advisories, last modified {e['last_modified']}")
    for src in st["sources"]:
        click.echo(f"  source {_one_line(src['origin'])}: {src['records']} records from {_one_line(src['location'])} at {src['imported_at']}")
    if st["stale"]:
        click.echo(f"pkgscan: warning: the newest advisory is {age:.0f} days old; run 'pkgscan db update'", err=True)


def _write(text: str, output: str | None) -> None:
    if output and output != "-":
        try:
            with open(output, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror}")
    else:
        sys.stdout.write(text)


def _register_aws() -> None:
    from .cli_aws import register, register_verify

    register(main)
    register_verify(main)


_register_aws()


if __name__ == "__main__":  # pragma: no cover
    main()
