"""Scan live Lambda functions and layers: list, fetch each distinct zip once, inventory, verify.

Work is de-duplicated by content: every distinct ``CodeSha256`` and every layer version is fetched
and inventoried once per run however many functions, versions or regions share it, and not at all
when the code cache already knows the hash.  One failing resource never stops the others: each ends
with a status (scanned / skipped / failed) and a reason.
"""
from __future__ import annotations

import base64
import os
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from typing import Callable, Iterable

from botocore.exceptions import BotoCoreError, ClientError

from .. import __version__
from ..archive import DEFAULT_LIMITS
from ..errors import PkgscanError
from ..model import Inventory
from .runtime_view import effective_view
from ..scan import scan_path
from ..vulns.model import Finding
from .cache import CodeCache
from .download import DownloadError, Downloader
from .arn import NO_ARN, parse as parse_arn, unqualified_function_arn
from .model import FAILED, SCANNED, AccountResult, FunctionResult, LayerResult, RegionResult
from .session import AwsContext

_ACCESS_DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException",
                  "InvalidClientTokenId", "AuthFailure")


def error_reason(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        op = exc.operation_name
        if code in _ACCESS_DENIED:
            return f"access denied ({op})"
        return f"{code or 'error'} ({op})"
    if isinstance(exc, BotoCoreError):
        return type(exc).__name__
    return str(exc) or type(exc).__name__


def b64_to_hex(b64: str) -> str:
    try:
        raw = base64.b64decode(b64, validate=True)
    except (ValueError, TypeError):
        return ""
    return raw.hex() if len(raw) == 32 else ""


class Progress:
    """Progress reporting: a rich bar on a terminal, plain log lines in CI, nothing when quiet.

    Several units of work (accounts, regions) may run at once: each ``start`` adds its items to one
    running total and each ``stop`` ends one unit; the bar goes when the last unit ends, so the
    count never runs past its total and no bar is left behind.
    """

    def __init__(self, mode: str = "log", stream=None):
        import sys

        self.mode = mode
        self.stream = stream or sys.stderr
        self._bar = None
        self._task = None
        self._lock = threading.Lock()
        self._active = 0
        self.done = 0
        self.total = 0

    def start(self, total: int, what: str) -> None:
        with self._lock:
            self._active += 1
            self.total += total
            if self.mode == "bar":
                if self._bar is None:
                    from rich.progress import Progress as RichProgress

                    self._bar = RichProgress(transient=True)
                    self._bar.start()
                    self._task = self._bar.add_task(what, total=self.total)
                else:
                    self._bar.update(self._task, total=self.total)
            elif self.mode == "log" and total:
                self._print(f"{what}: {total} more ({self.done}/{self.total} done)")

    def advance(self, label: str = "") -> None:
        with self._lock:
            self.done = min(self.done + 1, self.total)
            if self._bar is not None:
                self._bar.update(self._task, completed=self.done)
            elif self.mode == "log" and (self.done == self.total or self.done % 25 == 0):
                self._print(f"  {self.done}/{self.total} done")

    def log(self, msg: str) -> None:
        if self.mode == "quiet":
            return
        with self._lock:
            self._print(msg)

    def _print(self, msg: str) -> None:
        from ..report.text import neutralize

        if self._bar is not None:
            self._bar.console.print(neutralize(msg, multiline=False), markup=False, highlight=False)
        else:
            print(f"pkgscan: {neutralize(msg, multiline=False)}", file=self.stream, flush=True)

    def stop(self) -> None:
        with self._lock:
            self._active = max(0, self._active - 1)
            if self._active == 0 and self._bar is not None:
                self._bar.stop()
                self._bar = None


@dataclass
class ScanOptions:
    all_versions: bool = False
    include_layers: bool = True  # every layer of the account, not only those functions use
    trusted_accounts: frozenset[str] | None = None
    include_withdrawn: bool = False
    workers: int = 8
    verify_signing: bool = True
    runtime_table: object = None
    today: date | None = None
    now: datetime | None = None


class LambdaScanner:
    def __init__(self, ctx: AwsContext, *, checker=None, sources=None, cache: CodeCache | None = None,
                 downloader: Downloader | None = None, options: ScanOptions | None = None,
                 progress: Progress | None = None):
        self.ctx = ctx
        if checker is None and sources:  # library callers that hand sources directly
            from ..check import Checker, CheckOptions

            checker = Checker(CheckOptions(include_withdrawn=(options or ScanOptions()).include_withdrawn,
                                           discover_ignore_file=False), sources=sources)
        #: pkgscan.check.Checker: matches each distinct artifact once (the policy is applied per run)
        self.checker = checker
        self.cache = cache
        self.downloader = downloader or Downloader()
        self.opt = options or ScanOptions()
        self.progress = progress or Progress("quiet")
        self._inventories: dict[str, Inventory] = {}
        self._code_errors: dict[str, str] = {}
        self._findings: dict[str, list[Finding]] = {}
        self._layers: dict[str, LayerResult] = {}
        self._locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._lock = threading.Lock()
        self.stats = defaultdict(int)
        self.function_filter = None
        self.tag_filter: tuple = ()
        from .ecr import EcrImages  # container-image functions: blobs shared by every account of the run

        self.images = EcrImages(self.downloader, stats=self.stats, stats_lock=self._lock, cache=cache)
        self._signing = None
        if self.opt.verify_signing:
            from .signing import SigningLookup

            self._signing = SigningLookup(lambda r: ctx.client("lambda", r), lambda r: ctx.client("signer", r))

    def with_context(self, ctx: AwsContext, function_filter=None, tag_filter=()) -> "LambdaScanner":
        """The same scanner (shared de-duplication, cache, sources, statistics) for another account."""
        import copy

        other = copy.copy(self)
        other.ctx = ctx
        other.function_filter = function_filter
        other.tag_filter = tuple(tag_filter or ())
        if self._signing is not None:
            from .signing import SigningLookup

            other._signing = SigningLookup(lambda r: ctx.client("lambda", r), lambda r: ctx.client("signer", r))
        return other

    def _selected(self, region: str, cfg: dict) -> bool | str:
        """True/False, or the reason the function's tags could not be read (it is then reported failed)."""
        if self.function_filter is not None and not self.function_filter(cfg.get("FunctionName", "")):
            return False
        if self.tag_filter:
            arn = unqualified_function_arn(cfg.get("FunctionArn", ""))
            try:
                tags = self.ctx.client("lambda", region).list_tags(Resource=arn).get("Tags", {}) or {}
            except (ClientError, BotoCoreError) as exc:
                return f"tags not read: {error_reason(exc)}"
            return all(k in tags and (v == "*" or tags[k] == v) for k, v in self.tag_filter)
        return True

    # ------------------------------------------------------------------ listing
    def enabled_regions(self) -> list[str]:
        ec2 = self.ctx.client("ec2")
        resp = ec2.describe_regions(AllRegions=False)
        return sorted(r["RegionName"] for r in resp.get("Regions", [])
                      if r.get("OptInStatus", "opt-in-not-required") in ("opt-in-not-required", "opted-in"))

    def list_functions(self, region: str) -> list[dict]:
        lam = self.ctx.client("lambda", region)
        kwargs = {"FunctionVersion": "ALL"} if self.opt.all_versions else {}
        out = []
        for page in lam.get_paginator("list_functions").paginate(**kwargs):
            out.extend(page.get("Functions", []))
        return out

    def list_layer_versions(self, region: str) -> list[dict]:
        lam = self.ctx.client("lambda", region)
        out = []
        for page in lam.get_paginator("list_layers").paginate():
            for layer in page.get("Layers", []):
                if self.opt.all_versions:
                    for vp in lam.get_paginator("list_layer_versions").paginate(LayerName=layer["LayerArn"]):
                        out.extend(vp.get("LayerVersions", []))
                elif layer.get("LatestMatchingVersion"):
                    out.append(layer["LatestMatchingVersion"])
        return out

    # ------------------------------------------------------------------ code
    def _inventory(self, sha_b64: str, layout: str, label: str, location: Callable[[], str]) -> tuple[str, str]:
        """(sha256 hex, error) after making sure the inventory of this code is known."""
        hexd = b64_to_hex(sha_b64)
        if not hexd:
            return "", f"invalid CodeSha256 {sha_b64!r}"
        key = f"{hexd}.{layout}"
        with self._locks[key]:
            if key in self._inventories:
                return hexd, ""
            if key in self._code_errors:
                return hexd, self._code_errors[key]
            inv = self.cache.get(hexd, layout) if self.cache else None
            if inv is None:
                try:
                    got = self.downloader.fetch(location, sha_b64, label)
                except (DownloadError, ClientError, BotoCoreError) as exc:
                    self._code_errors[key] = error_reason(exc)
                    return hexd, self._code_errors[key]
                try:
                    inv = scan_path(got.path, layout=layout, limits=DEFAULT_LIMITS)
                    inv = replace(inv, artifact=replace(inv.artifact, name=label, path=""))
                except PkgscanError as exc:
                    self._code_errors[key] = f"unreadable package: {exc}"
                    return hexd, self._code_errors[key]
                finally:
                    os.unlink(got.path)
                with self._lock:
                    self.stats["downloads"] += 1
                    self.stats["bytes_downloaded"] += got.size
                if self.cache:
                    self.cache.put(hexd, layout, inv)
            else:
                with self._lock:
                    self.stats["cache_hits"] += 1
            findings: list[Finding] = []
            if self.checker is not None:
                try:
                    findings = list(self.checker.match(inv))
                except Exception as exc:  # an inventory with no verdict is not "scanned": record why
                    self._code_errors[key] = f"vulnerability matching failed: {error_reason(exc)}"
                    return hexd, self._code_errors[key]
            with self._lock:  # published together, once complete
                self._inventories[key] = inv
                self._findings[key] = findings
        return hexd, ""

    def inventory(self, sha_hex: str, layout: str) -> Inventory | None:
        return self._inventories.get(f"{sha_hex}.{layout}")

    def findings(self, sha_hex: str, layout: str) -> list[Finding]:
        return self._findings.get(f"{sha_hex}.{layout}", [])

    # ------------------------------------------------------------------ layers
    def layer(self, arn: str, listed: dict | None = None) -> LayerResult:
        with self._locks[f"layer:{arn}"]:
            if arn in self._layers:
                return self._layers[arn]
            parts = parse_arn(arn) or NO_ARN
            base = dict(arn=arn, account=parts.account, region=parts.region, name=parts.name,
                        version=parts.qualifier)
            trusted = None
            if self.opt.trusted_accounts is not None:
                trusted = parts.account in self.opt.trusted_accounts
            try:
                res = self._layer(arn, parts.region, base, trusted)
            except Exception as exc:  # one resource never sinks the scan
                res = LayerResult(**base, status=FAILED, reason=f"internal error: {error_reason(exc)}", trusted=trusted)
            with self._lock:
                self._layers[arn] = res
            return res

    def _layer(self, arn: str, region: str, base: dict, trusted: bool | None) -> LayerResult:
        lam = self.ctx.client("lambda", region or None)
        try:
            resp = lam.get_layer_version_by_arn(Arn=arn)
        except (ClientError, BotoCoreError) as exc:
            return LayerResult(**base, status=FAILED, reason=error_reason(exc), trusted=trusted)
        content = resp.get("Content", {})
        sha = content.get("CodeSha256", "")
        state = {"first": True}

        def location() -> str:
            if state["first"]:
                state["first"] = False
                return content["Location"]
            return lam.get_layer_version_by_arn(Arn=arn)["Content"]["Location"]

        hexd, err = self._inventory(sha, "layer", arn, location)
        return LayerResult(
            **base,
            status=FAILED if err else SCANNED,
            reason=err,
            code_sha256=sha,
            code_size=int(content.get("CodeSize", 0) or 0),
            signing_profile_version_arn=content.get("SigningProfileVersionArn", "") or "",
            signing_job_arn=content.get("SigningJobArn", "") or "",
            compatible_runtimes=tuple(resp.get("CompatibleRuntimes", []) or ()),
            trusted=trusted,
            inventory_sha256=hexd,
            findings=tuple(self.findings(hexd, "layer")) if not err else (),
        )

    # ------------------------------------------------------------------ functions
    def function(self, config: dict, region: str, failure: str = "") -> FunctionResult:
        """Scan one function version; ``failure`` reports it failed for that reason without scanning."""
        arn = config.get("FunctionArn", "")
        version = config.get("Version", "$LATEST")
        base = dict(arn=arn, account=(parse_arn(arn) or NO_ARN).account, region=region,
                    name=config.get("FunctionName", ""), version=version, runtime=config.get("Runtime", "") or "",
                    package_type=config.get("PackageType", "Zip") or "Zip",
                    code_sha256=config.get("CodeSha256", ""), code_size=int(config.get("CodeSize", 0) or 0),
                    layers=tuple(layer["Arn"] for layer in config.get("Layers", []) or []))
        if failure:
            return FunctionResult(**base, status=FAILED, reason=failure)
        try:
            return self._function(config, region, base)
        except Exception as exc:  # one resource never sinks the scan
            return FunctionResult(**base, status=FAILED, reason=f"internal error: {error_reason(exc)}")

    def _function(self, config: dict, region: str, base: dict) -> FunctionResult:
        runtime_verdict = self._runtime_verdict(base["runtime"], base["package_type"])
        if base["package_type"] == "Image":  # container images: pkgscan.aws.ecr
            from .ecr import scan_image_function

            return scan_image_function(self, config, region, base, runtime_verdict)
        lam = self.ctx.client("lambda", region)
        qualified = base["arn"]

        def location() -> str:
            return lam.get_function(FunctionName=qualified)["Code"]["Location"]

        hexd, err = self._inventory(base["code_sha256"], "function", qualified, location)
        layers = [self.layer(a) for a in base["layers"]]
        signing = layer_signing = None
        if self._signing is not None:
            signing, layer_signing = self._verify_signing(config, region, layers)
        fn_inv = None if err else self.inventory(hexd, "function")
        view = effective_view(base["runtime"], fn_inv,
                              [(lr.arn, self.inventory(lr.inventory_sha256, "layer")) for lr in layers])
        findings = self._function_findings(hexd, err, layers, view)
        untrusted = tuple(lr.arn for lr in layers if lr.trusted is False)
        return FunctionResult(
            **base,
            status=FAILED if err else SCANNED,
            reason=err,
            inventory_sha256=hexd,
            signing=signing,
            layer_signing=tuple(layer_signing or ()),
            runtime_verdict=runtime_verdict,
            effective=view,
            findings=tuple(findings),
            untrusted_layers=untrusted,
        )

    def _function_findings(self, hexd: str, err: str, layers: list[LayerResult], view) -> list[Finding]:
        """The function's and its layers' findings, one per (vulnerability, package@version): the same
        copy shipped by the function and a layer is one finding labelled with every place it is in,
        and ``shadowed`` only when no copy of it is loaded."""
        shadowed = {(c.source, c.location) for c in view.shadowed()}
        merged: dict[tuple[str, str], tuple[Finding, list[str], bool]] = {}
        sources = [] if err else [("function", self.findings(hexd, "function"))]
        sources += [(lr.arn, list(lr.findings)) for lr in layers]
        for src, fs in sources:
            for f in fs:
                labels = list(f.labels) + ([f"layer:{src}"] if src != "function" else [])
                locs = [(src, o.location) for o in f.component.occurrences]
                hidden = bool(locs) and all(loc in shadowed for loc in locs)
                key = (f.id, f.component.purl)
                prev = merged.get(key)
                if prev is None:
                    merged[key] = (f, labels, hidden)
                else:
                    merged[key] = (prev[0], list(dict.fromkeys(prev[1] + labels)), prev[2] and hidden)
        return [replace(f, labels=tuple(labels + (["shadowed"] if hidden else [])))
                for f, labels, hidden in merged.values()]

    def _verify_signing(self, config: dict, region: str, layers: list[LayerResult]):
        from .signing import verify

        now = self.opt.now or datetime.now(timezone.utc)
        arn = config.get("FunctionArn", "")
        fn_arn = parse_arn(arn) or NO_ARN
        csc = self._signing.function_config(region, unqualified_function_arn(arn))
        fn_profile = config.get("SigningProfileVersionArn") or None
        fn_job = config.get("SigningJobArn") or None
        report = verify("function", arn, signing_profile_version_arn=fn_profile, signing_job_arn=fn_job, config=csc,
                        profile=self._signing.profile(fn_profile) if fn_profile else None,
                        job=self._signing.job(fn_job) if fn_job else None, now=now,
                        account=fn_arn.account or None)
        layer_reports = []
        for lr in layers:
            lp = lr.signing_profile_version_arn or None
            lj = lr.signing_job_arn or None
            layer_reports.append(verify("layer", lr.arn, signing_profile_version_arn=lp, signing_job_arn=lj, config=csc,
                                        profile=self._signing.profile(lp) if lp else None,
                                        job=self._signing.job(lj) if lj else None, now=now,
                                        account=fn_arn.account or None))
        return report, layer_reports

    def _runtime_verdict(self, runtime: str, package_type: str):
        from .runtimes import runtime_verdict

        today = self.opt.today or date.today()
        if package_type == "Image" and not runtime:
            return runtime_verdict("", today, self.opt.runtime_table)
        return runtime_verdict(runtime, today, self.opt.runtime_table)

    # ------------------------------------------------------------------ entry points
    def scan_regions(self, regions: Iterable[str], account: str = "") -> AccountResult:
        result = AccountResult(account=account)
        listings: dict[str, tuple[list[dict], list[dict]]] = {}

        def list_region(region: str):
            try:
                fns = self.list_functions(region)
            except (ClientError, BotoCoreError) as exc:
                return region, None, error_reason(exc)
            layers: list[dict] = []
            layer_err = ""
            if self.opt.include_layers:
                try:
                    layers = self.list_layer_versions(region)
                except (ClientError, BotoCoreError) as exc:
                    layer_err = f"layers not listed: {error_reason(exc)}"
            return region, (fns, layers), layer_err

        regions = sorted(set(regions))
        with ThreadPoolExecutor(max_workers=max(1, min(self.opt.workers, len(regions) or 1))) as pool:
            for region, listing, err in pool.map(list_region, regions):
                if listing is None:
                    result.regions.append(RegionResult(region, FAILED, err))
                    self.progress.log(f"{region}: {err}")
                    continue
                listings[region] = listing
                result.regions.append(RegionResult(region, SCANNED, err, len(listing[0]), len(listing[1])))
                if err:
                    result.warnings.append(f"{region}: {err}")
        work = [(region, cfg, True) for region, (fns, _l) in sorted(listings.items()) for cfg in fns]
        if self.function_filter is not None or self.tag_filter:
            work = [(region, cfg, sel) for region, cfg, _ in work for sel in [self._selected(region, cfg)] if sel]
        self.progress.start(len(work), "functions")

        def do(item):
            region, cfg, selected = item
            res = self.function(cfg, region, failure=selected if isinstance(selected, str) else "")
            self.progress.advance(res.name)
            return res

        with ThreadPoolExecutor(max_workers=self.opt.workers) as pool:
            result.functions = list(pool.map(do, work))
        self.progress.stop()
        # every layer version of the account, and every one a function uses (even another account's)
        layer_arns = {lv["LayerVersionArn"] for _fns, lvs in listings.values() for lv in lvs if lv.get("LayerVersionArn")}
        layer_arns |= {a for f in result.functions for a in f.layers}
        with ThreadPoolExecutor(max_workers=self.opt.workers) as pool:
            result.layers = sorted(pool.map(self.layer, sorted(layer_arns)), key=lambda lr: lr.arn)
        result.functions.sort(key=lambda f: (f.region, f.name, _version_key(f.version)))
        self._finish(result)
        return result

    def scan_function(self, name_or_arn: str, qualifier: str | None = None, region: str | None = None) -> AccountResult:
        region = region or (parse_arn(name_or_arn) or NO_ARN).region or self.ctx.default_region
        lam = self.ctx.client("lambda", region)
        configs = []
        if self.opt.all_versions:
            for page in lam.get_paginator("list_versions_by_function").paginate(FunctionName=name_or_arn):
                configs.extend(page.get("Versions", []))
        else:
            kw = {"FunctionName": name_or_arn}
            if qualifier:
                kw["Qualifier"] = qualifier
            configs.append(lam.get_function_configuration(**kw))
        result = AccountResult(account=(parse_arn(configs[0].get("FunctionArn")) or NO_ARN).account if configs else "")
        result.regions.append(RegionResult(region, SCANNED, "", len(configs), 0))
        result.functions = [self.function(c, region) for c in configs]
        with self._lock:
            known = dict(self._layers)
        result.layers = sorted(known.values(), key=lambda lr: lr.arn)
        self._finish(result)
        return result

    def scan_layer(self, layer_version_arn: str) -> AccountResult:
        result = AccountResult(account=(parse_arn(layer_version_arn) or NO_ARN).account)
        result.layers = [self.layer(layer_version_arn)]
        self._finish(result)
        return result

    def _finish(self, result: AccountResult) -> None:
        # other units' threads may be adding to the shared tables: copy them under the lock
        with self._lock:
            inventories = dict(self._inventories)
            stats = dict(self.stats)
        calls = self.ctx.call_counts()
        result.inventories = {k.split(".")[0] + ("" if k.endswith((".function", ".image")) else ".layer"): v
                              for k, v in inventories.items()}
        from .ecr import image_warnings

        result.warnings.extend(w for w in image_warnings(inventories) if w not in result.warnings)
        result.warnings.extend(w for w in getattr(self.cache, "warnings", ()) if w not in result.warnings)
        result.stats = {
            **stats,
            "api_calls": calls,
            "api_calls_total": sum(calls.values()),
            "distinct_code": len(inventories),
            "pkgscan_version": __version__,
        }


def _version_key(v: str):
    return (0, 0) if v == "$LATEST" else (1, int(v)) if v.isdigit() else (2, 0)
