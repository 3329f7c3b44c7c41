"""CLI commands for live Lambda resources: ``lambda``, ``layer`` and ``account``."""
from __future__ import annotations

import dataclasses
import functools
import json
import shutil
import sys

import click

from .errors import PkgscanError
from .report.text import neutralize

EXIT_ERROR = 2


def _fail(message: str) -> None:
    click.echo(f"pkgscan: error: {neutralize(message, multiline=False)}", err=True)
    sys.exit(EXIT_ERROR)


def aws_options(f):
    opts = [
        click.option("--profile", help="AWS profile (the usual boto3 credential chain otherwise)."),
        click.option("--region", help="Region for the API calls (default: the profile's)."),
        click.option("--role-arn", help="Assume this role first."),
        click.option("--external-id", help="External ID for --role-arn."),
        click.option("--endpoint-url", help="AWS endpoint (emulators)."),
        click.option("--db", "db_dir", type=click.Path(file_okay=False), envvar="PKGSCAN_DB_DIR",
                     help="Offline advisory database [env PKGSCAN_DB_DIR]."),
        click.option("--osv-api", metavar="URL", help="Use the OSV API instead of the offline database."),
        click.option("--no-vulns", is_flag=True, help="Inventory and verify only; no vulnerability matching."),
        click.option("--cache-dir", type=click.Path(file_okay=False), help="Code cache (default ~/.cache/pkgscan/code)."),
        click.option("--no-cache", is_flag=True, help="Do not read or write the code cache."),
        click.option("--trusted-layer-account", "trusted", multiple=True, help="Account whose layers are trusted (repeatable)."),
        click.option("--runtime-data", type=click.Path(exists=True, dir_okay=False), help="Runtime lifecycle override file."),
        click.option("--no-signing", is_flag=True, help="Skip code-signing verification."),
        click.option("--workers", type=click.IntRange(1, 64), default=8, show_default=True),
        click.option("--fail-on", type=click.Choice(["low", "medium", "high", "critical"])),
        click.option("--ignore-unfixed", is_flag=True),
        click.option("--ignore-file", type=click.Path(exists=True, dir_okay=False)),
        click.option("--vex", "vex_files", type=click.Path(exists=True, dir_okay=False), multiple=True),
        click.option("--include-withdrawn", is_flag=True),
        click.option("-f", "--format", "fmt", type=click.Choice(["table", "json", "markdown"]),
                     help="Report on stdout (default: table on a terminal, json otherwise)."),
        click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report here."),
        click.option("--out-dir", type=click.Path(file_okay=False), help="Write SBOMs and summaries here."),
        click.option("--spec-version", type=click.Choice(["1.4", "1.5", "1.6"]), default="1.6", show_default=True),
        click.option("-q", "--quiet", is_flag=True, help="No progress or warnings."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _setup(kw: dict):
    from . import __version__
    from .aws.cache import CodeCache
    from .aws.scanner import LambdaScanner, Progress, ScanOptions
    from .aws.session import AwsContext, AwsOptions

    ctx = AwsContext(AwsOptions(profile=kw["profile"], region=kw["region"], endpoint_url=kw["endpoint_url"],
                                role_arn=kw["role_arn"], external_id=kw["external_id"]))
    sources = []
    if not kw["no_vulns"]:
        from .scan import vulnerability_sources

        sources, _info = vulnerability_sources(db_dir=kw["db_dir"], osv_api=kw["osv_api"])
    table = None
    if kw["runtime_data"]:
        from .runtimes import load_table

        table = load_table(kw["runtime_data"])
    opts = ScanOptions(all_versions=kw.get("all_versions", False), trusted_accounts=frozenset(kw["trusted"]) if kw["trusted"] else None,
                       include_withdrawn=kw["include_withdrawn"], workers=kw["workers"],
                       verify_signing=not kw["no_signing"], runtime_table=table)
    cache = None if kw["no_cache"] else CodeCache(kw["cache_dir"], version=__version__)
    mode = "quiet" if kw["quiet"] else ("bar" if sys.stderr.isatty() else "log")
    return LambdaScanner(ctx, sources=sources, cache=cache, options=opts, progress=Progress(mode))


def _apply_policy(result, kw: dict) -> list[str]:
    from .vulns import policy

    rules = []
    found = kw["ignore_file"] or policy.discover_ignore_file(".")
    if found:
        rules = policy.load_ignores(found)
    vex = [st for f in kw["vex_files"] for st in policy.load_vex(f)]
    warnings: list[str] = []
    for i, fr in enumerate(result.functions):
        fs, w = policy.apply_policy(list(fr.findings), ignore_rules=rules, vex=vex, ignore_unfixed=kw["ignore_unfixed"])
        result.functions[i] = dataclasses.replace(fr, findings=tuple(fs))
        warnings.extend(w)
    for i, lr in enumerate(result.layers):
        fs, _w = policy.apply_policy(list(lr.findings), ignore_rules=rules, vex=vex, ignore_unfixed=kw["ignore_unfixed"])
        result.layers[i] = dataclasses.replace(lr, findings=tuple(fs))
    return sorted(set(warnings))


def _table(doc: dict, width: int) -> str:
    import io

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    t = Table(title=Text(neutralize(f"Lambda: {doc['account']}", multiline=False)), expand=False)
    for col in ("function", "region", "version", "status", "runtime", "signing", "findings", "highest"):
        t.add_column(col)
    for f in doc["functions"]:
        sev = [x["severity"] for x in f["findings"] if not x["suppressed"]]
        order = ["critical", "high", "medium", "low", "none", "unknown"]
        highest = min(sev, key=order.index) if sev else ""
        rv = (f["runtime_verdict"] or {}).get("status", "")
        status = f["status"] + (f": {f['reason']}" if f["reason"] else "")
        t.add_row(*(Text(neutralize(str(x), multiline=False)) for x in
                    (f["name"], f["region"], f["version"], status, f"{f['runtime']} {rv}".strip(),
                     f["signing"]["verdict"] or "", len(f["findings"]), highest)))
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None).print(t)
    c = doc["counts"]
    buf.write(f"{c['functions']} functions {c['by_status']}, {c['layers']} layers, findings {c['findings_by_severity']}\n")
    failed = [r for r in doc["regions"] if r["status"] != "scanned"]
    for r in failed:
        buf.write(neutralize(f"region {r['region']}: {r['status']} ({r['reason']})", multiline=False) + "\n")
    return buf.getvalue()


def _finish(result, kw: dict) -> None:
    from .aws import results as res
    from .vulns import policy

    pwarn = _apply_policy(result, kw)
    doc = res.write(result, kw["out_dir"], kw["spec_version"]) if kw["out_dir"] else res.summary(result)
    fmt = kw["fmt"] or ("table" if sys.stdout.isatty() and not kw["output"] else "json")
    if fmt == "json":
        text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    elif fmt == "markdown":
        text = res.markdown(doc)
    else:
        text = _table(doc, shutil.get_terminal_size((120, 40)).columns)
    if not kw["quiet"]:
        for w in list(result.warnings) + pwarn:
            click.echo(f"pkgscan: warning: {neutralize(w, multiline=False)}", err=True)
    if kw["output"]:
        with open(kw["output"], "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    all_findings = [f for fr in result.functions for f in fr.findings] + [f for lr in result.layers for f in lr.findings]
    sys.exit(policy.exit_code(all_findings, kw["fail_on"]))


def _guard(fn):
    @functools.wraps(fn)
    def wrapper(*a, **kw):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(*a, **kw)
        except (PkgscanError, ValueError, ClientError, BotoCoreError, OSError) as exc:
            from .aws.scanner import error_reason

            _fail(error_reason(exc) if isinstance(exc, (ClientError, BotoCoreError)) else str(exc))
    return wrapper


def register(main: click.Group) -> None:
    @main.command("lambda")
    @click.argument("function")
    @click.option("--qualifier", help="Version or alias.")
    @click.option("--all-versions", is_flag=True, help="Every published version.")
    @aws_options
    @_guard
    def lambda_cmd(function, qualifier, all_versions, **kw):
        """Scan one Lambda function (name or ARN) with its layers."""
        kw["all_versions"] = all_versions
        scanner = _setup(kw)
        _finish(scanner.scan_function(function, qualifier), kw)

    @main.command("layer")
    @click.argument("layer_version_arn")
    @aws_options
    @_guard
    def layer_cmd(layer_version_arn, **kw):
        """Scan one layer version (its ARN)."""
        scanner = _setup(kw)
        _finish(scanner.scan_layer(layer_version_arn), kw)

    @main.command("account")
    @click.option("--regions", default=None, help="'all' (every enabled region) or a comma-separated list (default: --region).")
    @click.option("--all-versions", is_flag=True, help="Every published function and layer version.")
    @aws_options
    @_guard
    def account_cmd(regions, all_versions, **kw):
        """Scan every function and layer of an account."""
        kw["all_versions"] = all_versions
        scanner = _setup(kw)
        if regions == "all":
            region_list = scanner.enabled_regions()
        elif regions:
            region_list = [r.strip() for r in regions.split(",") if r.strip()]
        else:
            region_list = [scanner.ctx.default_region]
        try:
            account = scanner.ctx.account_id()
        except Exception:  # the account id is a label; the scan goes on without it
            account = ""
        _finish(scanner.scan_regions(region_list, account), kw)
