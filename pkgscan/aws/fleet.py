"""Many accounts and regions: organization listing, work units, shards, and merging shard results.

The unit of work is (account, region).  A unit belongs to shard ``sha256(account/region) % COUNT``:
the assignment depends on the unit alone, never on its position in a list, so a shard whose planning
saw a different set of units (an account that failed to assume its role there) still takes exactly
its own share and no unit is scanned twice or skipped; ``merge`` combines
their output directories into exactly what one process would have written (the summary is built by
the same function from the same per-unit documents, SBOM files are per resource).  Batch engines
(AWS Batch array jobs, Kubernetes Indexed Jobs) do the fan-out; pkgscan has no scheduler of its own.

A shard's --out-dir also holds ``shard.json`` (which shard of how many, how many part files it wrote),
so a shard that had no work (more shards than units) is still a valid, empty result that ``merge``
accepts, and a shard directory missing some of its parts is refused instead of merged short.
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
SHARD_MARKER = "shard.json"
SHARD_SCHEMA = "pkgscan/lambda-shard/v1"


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
    for pattern in ("parts/*.json", "functions/**/*.cdx.json", "layers/**/*.cdx.json", SHARD_MARKER):
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
                spec_version: str = "1.6", stats: dict | None = None,
                shard_spec: tuple[int, int] | None = None) -> dict:
    """SBOMs per resource, the per-unit documents (parts/), and the summary built from them.

    With ``shard_spec`` (INDEX, COUNT) the directory is marked as that shard's result (``shard.json``),
    also when the shard had no work and wrote no parts.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    clear_outputs(out)
    parts_dir = out / "parts"
    parts_dir.mkdir(exist_ok=True)
    docs = []
    names: list[str] = []
    for r in results:
        res.write_sboms(r, out, spec_version)
        d = res.partial_doc(r, [a for a in accounts if a["account"] == r.account])
        docs.append(d)
        region = r.regions[0].region if r.regions else "none"
        names.append(f"{r.account or 'unknown'}--{region}.json")
        (parts_dir / names[-1]).write_text(json.dumps(d, sort_keys=True) + "\n")
    # accounts that produced no unit result (not planned: access denied) still appear
    covered = {r.account for r in results}
    rest = [a for a in accounts if a["account"] not in covered]
    if rest:
        d = {"schema": res.SCHEMA, "accounts": rest, "regions": [], "functions": [], "layers": [], "warnings": []}
        docs.append(d)
        names.append("unplanned-accounts.json")
        (parts_dir / names[-1]).write_text(json.dumps(d, sort_keys=True) + "\n")
    if shard_spec is not None:
        marker = {"schema": SHARD_SCHEMA, "shard": shard_spec[0], "count": shard_spec[1], "parts": len(set(names))}
        (out / SHARD_MARKER).write_text(json.dumps(marker, sort_keys=True) + "\n")
    doc = res.finalize(docs)
    res.write_summary(doc, out, stats)
    return doc


def _shard_marker(d: Path) -> dict | None:
    """The shard marker of a shard directory (None when it has none); a malformed one is refused."""
    f = d / SHARD_MARKER
    if not f.is_file():
        return None
    try:
        m = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{d}: {SHARD_MARKER} is unreadable ({exc.__class__.__name__})") from None
    ok = isinstance(m, dict) and m.get("schema") == SHARD_SCHEMA and all(
        isinstance(m.get(k), int) and not isinstance(m.get(k), bool) for k in ("shard", "count", "parts"))
    if not ok or not (m["count"] >= 1 and 0 <= m["shard"] < m["count"] and m["parts"] >= 0):
        raise InputError(f"{d}: {SHARD_MARKER} is not a pkgscan shard marker")
    return m


def _is_shard_dir(d: Path) -> bool:
    return (d / "parts").is_dir() or (d / SHARD_MARKER).is_file()


def merge(shard_dirs: list[str | Path], out_dir: str | Path) -> dict:
    """Combine shard output directories into one, as a single process would have written it.

    A shard directory has parts (parts/*.json), or a shard marker saying it is shard INDEX of COUNT (an
    empty shard has the marker and no parts).  Shards with markers must agree on COUNT and not repeat an
    INDEX; a directory with neither parts nor a marker is not a shard result and is refused.
    """
    out = Path(out_dir)
    expanded: list[Path] = []
    for d in map(Path, shard_dirs):
        subs = sorted(p for p in d.glob("shard-*") if p.is_dir() and _is_shard_dir(p))
        if not _is_shard_dir(d) and subs:
            expanded.extend(subs)  # a run directory
        else:
            expanded.append(d)
    if out.resolve() in {d.resolve() for d in expanded}:
        raise InputError("--out-dir must not be one of the shard directories")
    todo: list[tuple[Path, list[Path]]] = []
    seen: dict[int, Path] = {}
    counts: set[int] = set()
    for d in expanded:
        parts = sorted((d / "parts").glob("*.json"))
        marker = _shard_marker(d)
        if marker is None:
            if not parts:
                raise InputError(f"{d}: not a shard result (no parts/*.json and no {SHARD_MARKER})")
        else:
            i, n = marker["shard"], marker["count"]
            if marker["parts"] != len(parts):
                raise InputError(f"{d}: shard {i}/{n} wrote {marker['parts']} part files but parts/ holds {len(parts)}")
            counts.add(n)
            if len(counts) > 1:
                raise InputError(f"{d}: shard {i}/{n} does not belong with shards of count {min(counts - {n})}")
            if i in seen and seen[i].resolve() != d.resolve():
                raise InputError(f"shard {i}/{n} given twice: {seen[i]} and {d}")
            seen[i] = d
        todo.append((d, parts))
    out.mkdir(parents=True, exist_ok=True)
    clear_outputs(out)
    docs = []
    stats: dict = {}
    for d, parts in todo:
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
