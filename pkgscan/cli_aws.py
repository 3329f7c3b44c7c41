"""CLI commands for live Lambda resources: ``lambda``, ``layer`` and ``account``."""
from __future__ import annotations

import dataclasses
import functools
import json
import shutil
import os
import sys

import click

from .cli_options import (EXIT_INCOMPLETE, check_options, check_options_from, fail, gate_line, one_line, output_options,
                          resolve_output, verbosity_options, warn)
from .errors import PkgscanError
from . import report
from .report import LIVE

_fail = fail


def aws_options(f):
    """Connection, cache, verification and output options of the live commands, plus the shared check options."""
    opts = [
        click.option("--profile", help="AWS profile (the usual boto3 credential chain otherwise)."),
        click.option("--region", help="Region for the API calls (default: the profile's)."),
        click.option("--role-arn", help="Assume this role first."),
        click.option("--external-id", help="External ID for --role-arn."),
        click.option("--endpoint-url", help="AWS endpoint (emulators)."),
        click.option("--retry-mode", type=click.Choice(["standard", "adaptive"]), default="standard", show_default=True,
                     help="botocore retry mode; adaptive also slows the request rate after throttling."),
        click.option("--max-attempts", type=click.IntRange(1, 50), default=10, show_default=True,
                     help="Attempts per API call (throttling and 5xx are retried with backoff)."),
        check_options,
        click.option("--no-vulns", is_flag=True, help="Inventory and verify only; no vulnerability matching."),
        click.option("--cache-dir", type=click.Path(file_okay=False), help="Code cache (default ~/.cache/pkgscan/code)."),
        click.option("--no-cache", is_flag=True, help="Do not read or write the code cache."),
        click.option("--trusted-layer-account", "trusted", multiple=True, help="Account whose layers are trusted (repeatable)."),
        click.option("--runtime-data", type=click.Path(exists=True, dir_okay=False), help="Runtime lifecycle override file."),
        click.option("--no-signing", is_flag=True, help="Skip code-signing verification."),
        click.option("--workers", type=click.IntRange(1, 64), default=8, show_default=True,
                     help="Parallel API calls and downloads."),
        output_options(LIVE),
        click.option("--out-dir", type=click.Path(file_okay=False),
                     help="Write SBOMs and summaries here; '{shard}' in it stands for the shard index."),
        click.option("--spec-version", type=click.Choice(["1.4", "1.5", "1.6"]), default="1.6", show_default=True),
        click.option("--allow-incomplete", is_flag=True,
                     help="Exit 0 (not 3) when some functions, layers, regions or accounts could not be read."),
        verbosity_options,
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _setup(kw: dict):
    from . import __version__
    from .aws.cache import CodeCache
    from .aws.scanner import LambdaScanner, Progress, ScanOptions
    from .aws.session import AwsContext, AwsOptions

    kw["_out"] = resolve_output(LIVE, kw["fmt"], kw["output"], kw["no_color"])  # a bad -o fails before any work
    ctx = AwsContext(AwsOptions(profile=kw["profile"], region=kw["region"], endpoint_url=kw["endpoint_url"],
                                role_arn=kw["role_arn"], external_id=kw["external_id"],
                                retry_mode=kw["retry_mode"], max_attempts=kw["max_attempts"]))
    checker = None
    if not kw["no_vulns"]:
        from .check import Checker

        checker = Checker(check_options_from(kw))
    kw["_checker"] = checker
    table = None
    if kw["runtime_data"]:
        from .aws.runtimes import load_table

        table = load_table(kw["runtime_data"])
    opts = ScanOptions(all_versions=kw.get("all_versions", False), trusted_accounts=frozenset(kw["trusted"]) if kw["trusted"] else None,
                       include_withdrawn=kw["include_withdrawn"], workers=kw["workers"],
                       verify_signing=not kw["no_signing"], runtime_table=table)
    cache = None if kw["no_cache"] else CodeCache(kw["cache_dir"], version=__version__)
    mode = "quiet" if kw["quiet"] else ("bar" if sys.stderr.isatty() else "log")
    downloader = None
    if cache is not None and cache.usable:  # downloads go beside the cache (a mounted volume), not to a read-only /tmp
        from .aws import safefs
        from .aws.download import Downloader

        os.close(safefs.open_dir(cache.dir, ("tmp",), create=True))  # never through a planted link
        downloader = Downloader(tmp_dir=str(cache.dir / "tmp"))
    return LambdaScanner(ctx, checker=checker, cache=cache, downloader=downloader, options=opts, progress=Progress(mode))


def _apply_policy(results: list, kw: dict) -> list[str]:
    checker = kw.get("_checker")
    if checker is None:
        return []
    # one pass over every finding of the run, so that "matched no finding" means none anywhere
    slots = [(lst, i) for result in results for lst in (result.functions, result.layers) for i in range(len(lst))]
    everything = [f for lst, i in slots for f in lst[i].findings]
    applied, warnings = checker.apply_policy(everything)
    at = 0
    for lst, i in slots:
        n = len(lst[i].findings)
        lst[i] = dataclasses.replace(lst[i], findings=tuple(applied[at:at + n]))
        at += n
    return sorted(set(warnings))


def _finish(result, kw: dict, accounts: list[dict] | None = None) -> None:
    _finish_many([result], kw, accounts)


def _finish_many(results: list, kw: dict, accounts: list[dict] | None = None, stats: dict | None = None) -> None:
    from .aws import fleet
    from .aws import results as res
    from .report import Report, RenderOptions, render
    from .vulns import policy

    pwarn = _apply_policy(results, kw)
    checker = kw.get("_checker")
    data_warnings = checker.warnings(inv for r in results for inv in r.inventories.values()) if checker else []
    if accounts is None:
        accounts = [{"account": r.account, "name": "", "status": "scanned", "reason": ""} for r in results if r.account]
        accounts = list({a["account"]: a for a in accounts}.values())
    if kw["out_dir"]:
        doc = fleet.write_fleet(results, accounts, kw["out_dir"], kw["spec_version"], stats, kw.get("shard_spec"))
    else:
        covered = {r.account for r in results}
        docs = [res.partial_doc(r, [a for a in accounts if a["account"] == r.account]) for r in results]
        rest = [a for a in accounts if a["account"] not in covered]
        if rest:
            docs.append({"schema": res.SCHEMA, "accounts": rest, "regions": [], "functions": [], "layers": [], "warnings": []})
        doc = res.finalize(docs)
    out = kw["_out"]
    # the report carries the warnings about the data behind it, as scan's reports do (the per-unit parts
    # and summary.json hold what each unit found, so shards and one process write the same bytes)
    extra = sorted(set(pwarn) | set(data_warnings))
    scan_result = res.fleet_scan_result(results)
    scan_result = dataclasses.replace(scan_result, warnings=tuple(sorted(set(scan_result.warnings) | set(extra))))
    doc = {**doc, "warnings": sorted(set(doc["warnings"]) | set(extra))}
    shown = doc
    if kw["quiet"] and out.fmt in ("table", "markdown", "html"):  # -q: no warnings in what people read
        shown = {**doc, "warnings": []}
        scan_result = dataclasses.replace(scan_result, warnings=())
    text = render(Report(LIVE, scan=scan_result, live=shown), out.fmt,
                  RenderOptions(spec_version=kw["spec_version"], width=out.width, color=out.color))
    if not kw["quiet"] and not (out.fmt == "table" and out.tty):  # a table on the terminal shows them itself
        for w in doc["warnings"]:
            warn(w)
    out.write(text)
    all_findings = [f for r in results for fr in r.functions for f in fr.findings] + \
                   [f for r in results for lr in r.layers for f in lr.findings]
    code = policy.exit_code(all_findings, kw["fail_on"])
    if code:
        click.echo(f"pkgscan: {gate_line(all_findings, kw['fail_on'])}", err=True)
    unread = unreadable(doc)
    for line in unread[:20]:  # even with -q: it is why the exit code is not 0
        click.echo(f"pkgscan: not read: {one_line(line)}", err=True)
    if len(unread) > 20:
        click.echo(f"pkgscan: not read: ... and {len(unread) - 20} more (see the JSON report)", err=True)
    code = code or _coverage_gates(results, kw)
    if not code and unread and not kw.get("allow_incomplete"):
        code = EXIT_INCOMPLETE
    sys.exit(code)


def _coverage_gates(results: list, kw: dict) -> int:
    """--fail-on-partial and --fail-on's ambiguous-archive rule over every scanned function and layer,
    as ``scan`` applies them to its one package: 1 with a line on stderr naming them, else 0."""
    partial, ambiguous = [], []
    for r in results:
        for item in [*r.functions, *r.layers]:
            inv = r.inventories.get(item.inventory_sha256) if item.inventory_sha256 else None
            if inv is None:
                continue
            if inv.coverage is not None and inv.coverage.status == "partial":
                partial.append(item.arn)
            if any(n.code == "zip-ambiguous" for n in inv.notices):
                ambiguous.append(item.arn)
    for gate, hits, what in (("--fail-on-partial", partial if kw.get("fail_on_partial") else [],
                              "coverage is partial (most third-party-looking code not attributed)"),
                             ("--fail-on", ambiguous if kw.get("fail_on") else [],
                              "the code archive is ambiguous (other extractors may see other contents)")):
        if hits:
            shown = ", ".join(one_line(a) for a in sorted(set(hits))[:5])
            more = f" and {len(set(hits)) - 5} more" if len(set(hits)) > 5 else ""
            click.echo(f"pkgscan: {gate}: {len(set(hits))} function(s)/layer(s) where {what}: {shown}{more}", err=True)
            return 1
    return 0


def unreadable(doc: dict) -> list[str]:
    """Everything asked for that could not be read, one line each (failed, not skipped)."""
    out = [f"account {a['account']}: {a['status']} ({a['reason']})" for a in doc["accounts"] if a["status"] != "scanned"]
    out += [f"region {r.get('account', '')}/{r['region']}: {r['reason']}" for r in doc["regions"] if r["status"] != "scanned"]
    out += [f"function {f['arn'] or f['name']}: {f['reason']}" for f in doc["functions"] if f["status"] == "failed"]
    out += [f"layer {lr['arn']}: {lr.get('reason', '')}" for lr in doc["layers"] if lr["status"] == "failed"]
    return out


def aws_error_line(exc: BaseException, kw: dict) -> str:
    """One line that says what went wrong with AWS and what to do about it."""
    from botocore import exceptions as bx

    from .aws.scanner import error_reason

    if isinstance(exc, bx.NoCredentialsError):
        return ("no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, run "
                "'aws configure', or pass --profile")
    if isinstance(exc, bx.ProfileNotFound):
        return f"AWS profile {exc.kwargs.get('profile', kw.get('profile'))!r} not found in ~/.aws/config or ~/.aws/credentials"
    if isinstance(exc, bx.NoRegionError):
        return "no AWS region: pass --region or set AWS_REGION"
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError)):
        url = getattr(exc, "kwargs", {}).get("endpoint_url", "") or kw.get("endpoint_url") or ""
        return f"cannot reach the AWS endpoint {url}: check the network, proxy settings, --region or --endpoint-url"
    if isinstance(exc, bx.ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        msg = exc.response.get("Error", {}).get("Message", "")
        if code == "ResourceNotFoundException":
            what = kw.get("function") or kw.get("layer_version_arn") or "the resource"
            return f"{what} not found ({exc.operation_name}{', region ' + kw['region'] if kw.get('region') else ''}): " \
                   "check the name or ARN, --region and --qualifier"
        if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
            return "the AWS credentials have expired: refresh them (aws sso login, or new session credentials)"
        if msg and code not in ("AccessDenied", "AccessDeniedException"):
            return f"{error_reason(exc)}: {msg[:200]}"
    return error_reason(exc)


def _guard(fn):
    @functools.wraps(fn)
    def wrapper(*a, **kw):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(*a, **kw)
        except (ClientError, BotoCoreError) as exc:
            fail(aws_error_line(exc, kw))
        except (PkgscanError, ValueError, OSError) as exc:
            fail(str(exc))
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
        from .aws.arn import parse as parse_arn

        arn = parse_arn(layer_version_arn)
        parts = arn.resource.split(":") if arn else []
        if arn is None or arn.service != "lambda" or len(parts) != 3 or parts[0] != "layer" or not parts[2].isdigit():
            raise click.UsageError(f"not a layer version ARN: {layer_version_arn!r} "
                                   "(arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION)")
        scanner = _setup(kw)
        result = scanner.scan_layer(layer_version_arn)
        missing = [lr for lr in result.layers if lr.status == "failed" and "ResourceNotFound" in lr.reason]
        if missing:  # the one resource named does not exist: an input error, like a missing function
            fail(f"layer version {layer_version_arn} not found ({missing[0].reason}): check the ARN and its version")
        _finish(result, kw)

    @main.command("account")
    @click.option("--regions", default=None, help="'all' (every enabled region) or a comma-separated list (default: --region).")
    @click.option("--all-versions", is_flag=True, help="Every published function and layer version.")
    @click.option("--org", is_flag=True, help="Every active account of the organization (assumes --role-name in each).")
    @click.option("--role-name", help="With --org: the role to assume in each account.")
    @click.option("--shard", help="INDEX/COUNT: scan only this share of the (account, region) units.")
    @click.option("--shard-count", type=click.IntRange(min=1),
                  help="COUNT, with the index from AWS_BATCH_JOB_ARRAY_INDEX or JOB_COMPLETION_INDEX.")
    @click.option("--include-account", multiple=True, help="Only these accounts (repeatable).")
    @click.option("--exclude-account", multiple=True, help="Skip these accounts (repeatable).")
    @click.option("--include-region", multiple=True, help="Only regions matching (glob, repeatable).")
    @click.option("--exclude-region", multiple=True, help="Skip regions matching (glob, repeatable).")
    @click.option("--function", "functions", multiple=True, help="Only functions whose name matches (glob, repeatable).")
    @click.option("--exclude-function", multiple=True, help="Skip functions whose name matches (glob, repeatable).")
    @click.option("--tag", "tags", multiple=True, help="Only functions with this tag: KEY=VALUE or KEY (repeatable).")
    @aws_options
    @_guard
    def account_cmd(regions, all_versions, org, role_name, shard, shard_count, include_account, exclude_account,
                    include_region, exclude_region, functions, exclude_function, tags, **kw):
        """Scan every function and layer of an account, or of every account of an organization."""
        from .aws import fleet

        kw["all_versions"] = all_versions
        scanner = _setup(kw)
        filters = fleet.Filters(
            include_accounts=tuple(include_account), exclude_accounts=tuple(exclude_account),
            include_regions=tuple(include_region), exclude_regions=tuple(exclude_region),
            function_patterns=tuple(functions), exclude_functions=tuple(exclude_function),
            tags=tuple((t.split("=", 1)[0], t.split("=", 1)[1] if "=" in t else "*") for t in tags))
        if regions == "all":
            region_list = None
        elif regions:
            region_list = [r.strip() for r in regions.split(",") if r.strip()]
        else:
            region_list = [scanner.ctx.default_region]
        spec = fleet.parse_shard(shard, shard_count)
        if kw["out_dir"] and "{shard}" in kw["out_dir"]:  # batch engines cannot put the index in a path
            if spec is None:
                raise click.UsageError("--out-dir with {shard} needs --shard or --shard-count")
            kw["out_dir"] = kw["out_dir"].replace("{shard}", str(spec[0]))
        p = fleet.plan(scanner.ctx, org=org, role_name=role_name, external_id=kw["external_id"],
                       regions=region_list, filters=filters, workers=min(8, kw["workers"]))
        units = fleet.shard(p.units, spec)
        kw["shard_spec"] = spec  # an --out-dir is marked as this shard's result, also when it had no work
        results, accounts = fleet.scan_units(scanner, p, units, filters)
        stats = dict(scanner.stats)
        stats["api_calls_total"] = sum(scanner.ctx.call_counts().values())
        stats["units"] = len(units)
        _finish_many(results, kw, accounts, stats)

    @main.command("merge")
    @click.argument("shard_dirs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
    @click.option("--out-dir", required=True, type=click.Path(file_okay=False), help="Where the merged results go.")
    @click.option("-f", "--format", "fmt", type=click.Choice(["table", "json", "markdown", "none"]), default="none",
                  show_default=True, help="Also print the merged summary.")
    @_guard
    def merge_cmd(shard_dirs, out_dir, fmt):
        """Combine the --out-dir results of shards into one, as a single process would have written it.

        Each argument is a shard's --out-dir, or a run directory holding shard-* directories.
        """
        from .aws import fleet

        doc = fleet.merge(list(shard_dirs), out_dir)
        if fmt != "none":
            from .report import Report, RenderOptions, render

            sys.stdout.write(render(Report(LIVE, live=doc), fmt, RenderOptions(width=shutil.get_terminal_size((120, 40)).columns)))
        for w in doc["warnings"]:
            if w.startswith("incomplete merge"):
                click.echo(f"pkgscan: {one_line(w)}", err=True)
                sys.exit(EXIT_INCOMPLETE)


def register_verify(main: click.Group) -> None:
    @main.command("verify")
    @click.option("--sbom", "sbom_path", required=True, type=click.Path(exists=True, dir_okay=False),
                  help="The SBOM of the released artifact (CycloneDX or SPDX JSON).")
    @click.argument("path", required=False, type=click.Path(exists=True))
    @click.option("--function", "function", help="Compare the deployed code of this Lambda function (name or ARN).")
    @click.option("--qualifier", help="With --function: version or alias.")
    @click.option("--profile", help="AWS profile.")
    @click.option("--region", help="AWS region.")
    @click.option("--role-arn", help="Assume this role first.")
    @click.option("--external-id", help="External ID for --role-arn.")
    @click.option("--endpoint-url", help="AWS endpoint (emulators).")
    @click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"], case_sensitive=False), default="text",
                  show_default=True)
    @click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the result here (default: stdout).")
    @_guard
    def verify_cmd(sbom_path, path, function, qualifier, profile, region, role_arn, external_id, endpoint_url, fmt,
                   output):
        """Does the deployed code (or a zip) match the artifact an SBOM describes?

        The hash first; on a mismatch, the component differences.  Exit 0 match, 1 drift, 2 error.
        """
        from .diff import render_text
        from .scan import scan_path
        from .verify import verify_sbom

        if bool(path) == bool(function):
            raise click.UsageError("give either PATH or --function")
        if path:
            inv = scan_path(path)
            result = verify_sbom(sbom_path, artifact_sha256=inv.artifact.sha256, inventory=inv)
        else:
            from .aws.deployed import deployed_code
            from .aws.session import AwsContext, AwsOptions

            ctx = AwsContext(AwsOptions(profile=profile, region=region, endpoint_url=endpoint_url,
                                        role_arn=role_arn, external_id=external_id))
            sha, current_inventory = deployed_code(ctx, function, qualifier)
            result = verify_sbom(sbom_path, artifact_sha256=sha, inventory=current_inventory)
        if fmt == "json":
            doc = {"status": result.status, "method": result.method, "reasons": list(result.reasons)}
            if result.component_diff is not None:
                from .diff import render_json

                doc["component_diff"] = json.loads(render_json(result.component_diff))
            text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
        else:
            text = f"{result.status}\n" + "".join(f"  {one_line(r)}\n" for r in result.reasons)
            if result.component_diff is not None:
                text += render_text(result.component_diff)
        resolve_output(report.DIFF, "json" if fmt.lower() == "json" else "table", output).write(text)
        sys.exit(result.exit_code)
