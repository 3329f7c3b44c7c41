"""Command line: a thin layer over the library API.

Exit codes: 0 success; 1 policy failure (a finding at or above --fail-on); 2 usage or input error.
"""
from __future__ import annotations

import sys
import uuid
from datetime import datetime

import click

from . import __version__
from .archive import DEFAULT_LIMITS
from .errors import PkgscanError
from .report.cyclonedx import build_bom, clean, serialize
from .scan import scan_path

EXIT_OK, EXIT_POLICY, EXIT_ERROR = 0, 1, 2


def _fail(message: str) -> None:
    click.echo(f"pkgscan: error: {clean(message)}", err=True)
    sys.exit(EXIT_ERROR)


def _report_notices(inv, quiet: bool) -> None:
    if quiet or not inv.notices:
        return
    shown = inv.notices[:20]
    for n in shown:
        flag = " [suspicious]" if n.suspicious else ""
        where = f"{n.path}: " if n.path else ""
        click.echo(f"pkgscan: warning: {clean(where + n.message)}{flag}", err=True)
    if len(inv.notices) > len(shown):
        click.echo(f"pkgscan: warning: ... and {len(inv.notices) - len(shown)} more notices", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pkgscan")
def main() -> None:
    """pkgscan: inventory, SBOM and vulnerability scanning for AWS Lambda deployment packages."""


@main.command()
@click.argument("path", type=click.Path(path_type=str))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=str), help="Write here (default: stdout).")
@click.option("--format", "fmt", type=click.Choice(["cyclonedx-json", "cyclonedx-xml"]), default="cyclonedx-json", show_default=True)
@click.option("--spec-version", type=click.Choice(["1.4", "1.5", "1.6"]), default="1.6", show_default=True)
@click.option("--layout", type=click.Choice(["function", "layer"]), help="Override the detected layout.")
@click.option("--name", help="Name of the root component (default: the file name).")
@click.option("--version", "version", help="Version of the root component.")
@click.option("--serial-number", type=click.UUID, help="BOM serial number (default: derived from the content).")
@click.option("--timestamp", type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
              help="BOM timestamp (default: SOURCE_DATE_EPOCH if set, else now).")
@click.option("--max-total-size", type=click.IntRange(min=1), help="Uncompressed size limit in bytes (default 250 MB).")
@click.option("--max-entries", type=click.IntRange(min=1), help="Entry count limit (default 500000).")
@click.option("-q", "--quiet", is_flag=True, help="No warnings on stderr.")
def sbom(path: str, output: str | None, fmt: str, spec_version: str, layout: str | None, name: str | None,
         version: str | None, serial_number: uuid.UUID | None, timestamp: datetime | None,
         max_total_size: int | None, max_entries: int | None, quiet: bool) -> None:
    """Write a CycloneDX SBOM of a Lambda function or layer (a zip or a directory)."""
    limits = DEFAULT_LIMITS.with_overrides(max_total_uncompressed=max_total_size, max_entries=max_entries)
    try:
        inv = scan_path(path, layout=layout, limits=limits)
        if timestamp is not None and timestamp.tzinfo is None:
            from datetime import timezone

            timestamp = timestamp.replace(tzinfo=timezone.utc)
        text = serialize(build_bom(inv, name=name, version=version, timestamp=timestamp, serial_number=serial_number),
                         fmt, spec_version)
    except (PkgscanError, ValueError) as exc:
        _fail(str(exc))
        return
    except OSError as exc:
        _fail(f"{path}: {exc.strerror or exc}")
        return
    _report_notices(inv, quiet)
    _write(text, output)


def _write(text: str, output: str | None) -> None:
    if output and output != "-":
        try:
            with open(output, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror}")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":  # pragma: no cover
    main()
