"""Many accounts and regions: organization listing, work units, shards, and merging shard results.

The unit of work is (account, region).  A unit belongs to shard ``sha256(account/region) % COUNT``:
the assignment depends on the unit alone, never on its position in a list, so a shard whose planning
saw a different set of units (an account that failed to assume its role there) still takes exactly
its own share and no unit is scanned twice or skipped; ``merge`` combines
their output directories into exactly what one process would have written (the summary is built by
the same function from the same per-unit documents, SBOM files are per resource).  Batch engines
(AWS Batch array jobs, Kubernetes Indexed Jobs) do the fan-out; pkgscan has no scheduler of its own.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import InputError
from . import results as res
from .model import AccountResult
from .scanner import LambdaScanner, error_reason
from .session import AwsContext

SHARD_ENV = ("AWS_BATCH_JOB_ARRAY_INDEX", "JOB_COMPLETION_INDEX")


@dataclass(frozen=True)
class Unit:
    account: str
    region: str  # "" for an account that could not be planned (its failure is reported by one shard)


@dataclass
class Filters:
    include_accounts: tuple[str, ...] = ()
    exclude_accounts: tuple[str, ...] = ()
    include_regions: tuple[str, ...] = ()
    exclude_regions: tuple[str, ...] = ()
    function_patterns: tuple[str, ...] = ()  # fnmatch on the function name
    exclude_functions: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()  # KEY=VALUE (VALUE "*" = any)

    def account_ok(self, account: str) -> bool:
        if self.include_accounts and account not in self.include_accounts:
            return False
        return account not in self.exclude_accounts

    def region_ok(self, region: str) -> bool:
        if self.include_regions and not any(fnmatch.fnmatchcase(region, p) for p in self.include_regions):
            return False
        return not any(fnmatch.fnmatchcase(region, p) for p in self.exclude_regions)

    def function_ok(self, name: str) -> bool:
        if self.function_patterns and not any(fnmatch.fnmatchcase(name, p) for p in self.function_patterns):
            return False
        return not any(fnmatch.fnmatchcase(name, p) for p in self.exclude_functions)


def parse_shard(spec: str | None, count: int | None = None) -> tuple[int, int] | None:
    """'INDEX/COUNT', or INDEX from AWS_BATCH_JOB_ARRAY_INDEX / JOB_COMPLETION_INDEX with ``count``."""
    if spec:
        try:
            i, n = (int(x) for x in spec.split("/", 1))
        except ValueError:
            raise InputError(f"--shard takes INDEX/COUNT, not {spec!r}") from None
    elif count:
        env = next((os.environ[k] for k in SHARD_ENV if os.environ.get(k, "").strip()), None)
        if env is None:
            raise InputError("--shard-count needs the shard index from AWS_BATCH_JOB_ARRAY_INDEX or JOB_COMPLETION_INDEX")
        try:
            i, n = int(env), count
        except ValueError:
            raise InputError(f"shard index {env!r} is not a number") from None
    else:
        return None
    if n < 1 or not 0 <= i < n:
        raise InputError(f"shard {i}/{n}: the index must be in 0..{n - 1}")
    return i, n


def shard_of(unit: Unit, count: int) -> int:
    digest = hashlib.sha256(f"{unit.account}/{unit.region}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def shard(units: list[Unit], spec: tuple[int, int] | None) -> list[Unit]:
    ordered = sorted(units, key=lambda u: (u.account, u.region))
    if spec is None:
        return ordered
    i, n = spec
    return [u for u in ordered if shard_of(u, n) == i]


def clear_outputs(out: Path) -> None:
    """Remove what an earlier run wrote here (our own files only), so nothing stale is merged or kept."""
    for pattern in ("parts/*.json", "functions/**/*.cdx.json", "layers/**/*.cdx.json"):
        for f in out.glob(pattern):
            if f.is_file() and not f.is_symlink():
                f.unlink()


def org_accounts(hub: AwsContext) -> list[dict]:
    """Active accounts of the organization (from the management or a delegated-admin account)."""
    org = hub.client("organizations", "us-east-1")
    out = []
    for page in org.get_paginator("list_accounts").paginate():
        for a in page.get("Accounts", []):
            state = a.get("State") or a.get("Status") or "ACTIVE"
            if state == "ACTIVE":
                out.append({"account": a["Id"], "name": a.get("Name", "")})
    return sorted(out, key=lambda a: a["account"])


@dataclass
class Plan:
    units: list[Unit]
    accounts: list[dict]  # {"account", "name", "status", "reason"}
    contexts: dict[str, AwsContext] = field(default_factory=dict)


def plan(hub: AwsContext, *, org: bool, role_name: str | None, external_id: str | None,
         regions: list[str] | None, filters: Filters, workers: int = 4) -> Plan:
    """Accounts (the caller's, or the organization's) x regions (given, or each account's enabled ones)."""
    if org:
        if not role_name:
            raise InputError("--org needs --role-name (the role to assume in each account)")
        accounts = [a for a in org_accounts(hub) if filters.account_ok(a["account"])]
    else:
        accounts = [{"account": hub.account_id(), "name": ""}]
    contexts: dict[str, AwsContext] = {}
    statuses: dict[str, dict] = {}
    units: list[Unit] = []
    lock = threading.Lock()

    def prepare(acct: dict) -> None:
        account = acct["account"]
        try:
            if org:
                partition = "aws"
                ctx = hub.for_role(f"arn:{partition}:iam::{account}:role/{role_name}", external_id)
            else:
                ctx = hub
            regs = regions if regions else sorted(
                r["RegionName"] for r in ctx.client("ec2").describe_regions(AllRegions=False).get("Regions", [])
                if r.get("OptInStatus", "opt-in-not-required") in ("opt-in-not-required", "opted-in"))
        except (ClientError, BotoCoreError) as exc:
            reason = error_reason(exc)
            status = "access-denied" if "access denied" in reason else "failed"
            with lock:
                statuses[account] = {**acct, "status": status, "reason": reason}
                units.append(Unit(account, ""))
            return
        with lock:
            contexts[account] = ctx
            statuses[account] = {**acct, "status": "scanned", "reason": ""}
            units.extend(Unit(account, r) for r in regs if filters.region_ok(r))

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(prepare, accounts))
    return Plan(units=units, accounts=[statuses[a["account"]] for a in accounts], contexts=contexts)


def scan_units(scanner: LambdaScanner, p: Plan, units: list[Unit], filters: Filters,
               unit_workers: int = 2) -> tuple[list[AccountResult], list[dict]]:
    """Scan the given units; returns one AccountResult per unit and the accounts those units touch."""
    mine = {u.account for u in units}
    accounts = [a for a in p.accounts if a["account"] in mine]
    todo = [u for u in units if u.region]

    def one(u: Unit) -> AccountResult:
        sc = scanner.with_context(p.contexts[u.account], function_filter=filters.function_ok,
                                  tag_filter=filters.tags)
        return sc.scan_regions([u.region], u.account)

    with ThreadPoolExecutor(max_workers=max(1, unit_workers)) as pool:
        out = list(pool.map(one, todo))
    return out, accounts


def write_fleet(results: list[AccountResult], accounts: list[dict], out_dir: str | Path,
                spec_version: str = "1.6", stats: dict | None = None) -> dict:
    """SBOMs per resource, the per-unit documents (parts/), and the summary built from them."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    clear_outputs(out)
    parts_dir = out / "parts"
    parts_dir.mkdir(exist_ok=True)
    docs = []
    for r in results:
        res.write_sboms(r, out, spec_version)
        d = res.partial_doc(r, [a for a in accounts if a["account"] == r.account])
        docs.append(d)
        region = r.regions[0].region if r.regions else "none"
        (parts_dir / f"{r.account or 'unknown'}--{region}.json").write_text(json.dumps(d, sort_keys=True) + "\n")
    # accounts that produced no unit result (not planned: access denied) still appear
    covered = {r.account for r in results}
    rest = [a for a in accounts if a["account"] not in covered]
    if rest:
        d = {"schema": res.SCHEMA, "accounts": rest, "regions": [], "functions": [], "layers": [], "warnings": []}
        docs.append(d)
        (parts_dir / "unplanned-accounts.json").write_text(json.dumps(d, sort_keys=True) + "\n")
    doc = res.finalize(docs)
    res.write_summary(doc, out, stats)
    return doc


def merge(shard_dirs: list[str | Path], out_dir: str | Path) -> dict:
    """Combine shard output directories into one, as a single process would have written it."""
    out = Path(out_dir)
    expanded: list[Path] = []
    for d in map(Path, shard_dirs):
        if not (d / "parts").is_dir() and any(d.glob("shard-*/parts")):
            expanded.extend(sorted(p.parent for p in d.glob("shard-*/parts")))  # a run directory
        else:
            expanded.append(d)
    if out.resolve() in {d.resolve() for d in expanded}:
        raise InputError("--out-dir must not be one of the shard directories")
    out.mkdir(parents=True, exist_ok=True)
    clear_outputs(out)
    docs = []
    stats: dict = {}
    for d in expanded:
        d = Path(d)
        parts = sorted((d / "parts").glob("*.json"))
        if not parts:
            raise InputError(f"{d}: no shard results (parts/*.json) found")
        for part in parts:
            doc = json.loads(part.read_text())
            docs.append(doc)
            (out / "parts").mkdir(exist_ok=True)
            shutil.copyfile(part, out / "parts" / part.name)
        for sub in ("functions", "layers"):
            for f in sorted((d / sub).rglob("*.cdx.json")) if (d / sub).exists() else ():
                target = out / f.relative_to(d)
                target.parent.mkdir(parents=True, exist_ok=True)
                if not target.exists():  # a layer shared by units of several shards: the same content
                    shutil.copyfile(f, target)
        st = d / "stats.json"
        if st.exists():
            for k, v in json.loads(st.read_text()).items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    stats[k] = stats.get(k, 0) + v
    doc = res.finalize(docs)
    res.write_summary(doc, out, stats)
    return doc
