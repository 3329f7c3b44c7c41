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
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import InputError
from . import results as res
from . import safefs
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
    """Remove what an earlier run wrote here (our own files only), so nothing stale is merged or kept.
    Directories are entered without following links; a link planted in place of a file is removed
    (never its target)."""
    for sub, suffix, recursive in (("parts", ".json", False), ("functions", ".cdx.json", True),
                                   ("layers", ".cdx.json", True)):
        for rel in safefs.list_regular(out, sub, suffix, recursive=recursive):
            safefs.unlink_under(out, rel)
    safefs.unlink_under(out, (SHARD_MARKER,))


def part_name(account: str, region: str) -> str:
    return f"{safefs.account_component(account)}--{safefs.region_component(region)}.json"


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
                ctx = hub.for_role(f"arn:{hub.partition}:iam::{account}:role/{role_name}", external_id)
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
    os.close(safefs.open_dir(out, ("parts",), create=True))  # made without following a planted link
    docs = []
    names: list[str] = []
    for r in results:
        res.write_sboms(r, out, spec_version)
        d = res.partial_doc(r, [a for a in accounts if a["account"] == r.account])
        docs.append(d)
        region = r.regions[0].region if r.regions else "none"
        names.append(part_name(r.account, region))
        safefs.write_bytes(out, ("parts", names[-1]), json.dumps(d, sort_keys=True) + "\n")
    # accounts that produced no unit result (not planned: access denied) still appear
    covered = {r.account for r in results}
    rest = [a for a in accounts if a["account"] not in covered]
    if rest:
        d = {"schema": res.SCHEMA, "accounts": rest, "regions": [], "functions": [], "layers": [], "warnings": []}
        docs.append(d)
        names.append("unplanned-accounts.json")
        safefs.write_bytes(out, ("parts", names[-1]), json.dumps(d, sort_keys=True) + "\n")
    if shard_spec is not None:
        marker = {"schema": SHARD_SCHEMA, "shard": shard_spec[0], "count": shard_spec[1], "parts": len(set(names))}
        safefs.write_bytes(out, SHARD_MARKER, json.dumps(marker, sort_keys=True) + "\n")
    doc = res.finalize(docs)
    res.write_summary(doc, out, stats)
    return doc


MAX_PART_BYTES = 256 * 1024 * 1024  # one part document (one account and region) or one SBOM


def _shard_marker(d: Path) -> dict | None:
    """The shard marker of a shard directory (None when it has none); a malformed one is refused."""
    if not safefs.is_regular_under(d, (SHARD_MARKER,)):
        if os.path.lexists(d / SHARD_MARKER):
            raise InputError(f"{d}: {SHARD_MARKER} is not a regular file (a link or a special file); refused")
        return None
    try:
        m = json.loads(safefs.read_under(d, SHARD_MARKER, 1 << 20))
    except (OSError, ValueError, RecursionError) as exc:
        raise InputError(f"{d}: {SHARD_MARKER} is unreadable ({exc.__class__.__name__})") from None
    ok = isinstance(m, dict) and m.get("schema") == SHARD_SCHEMA and all(
        isinstance(m.get(k), int) and not isinstance(m.get(k), bool) for k in ("shard", "count", "parts"))
    if not ok or not (m["count"] >= 1 and 0 <= m["shard"] < m["count"] and m["parts"] >= 0):
        raise InputError(f"{d}: {SHARD_MARKER} is not a pkgscan shard marker")
    return m


def _is_shard_dir(d: Path) -> bool:
    return (d / "parts").is_dir() or (d / SHARD_MARKER).is_file()


def _parts_of(d: Path) -> list[tuple[str, ...]]:
    """parts/*.json of a shard directory: regular files only; a link or a special file is refused."""
    parts = safefs.list_regular(d, "parts", ".json")
    pdir = d / "parts"
    if pdir.is_symlink():
        raise InputError(f"{d}: parts/ is a symbolic link; refused")
    if pdir.is_dir():
        regular = {p[-1] for p in parts}
        for e in sorted(os.listdir(pdir)):
            if e.endswith(".json") and e not in regular and not e.startswith("."):
                raise InputError(f"{d}: parts/{e} is not a regular file (a link or a special file); refused")
    return parts


def _load_part(d: Path, rel: tuple[str, ...]) -> tuple[dict, bytes]:
    where = f"{d}/{'/'.join(rel)}"
    try:
        raw = safefs.read_under(d, rel, MAX_PART_BYTES)
        doc = json.loads(raw)
    except RecursionError:
        raise InputError(f"{where}: nested too deeply; not a pkgscan results document") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{where}: unreadable ({safefs.one_line(exc)})") from None
    problem = res.document_problem(doc)
    if problem:
        raise InputError(f"{where}: not a valid pkgscan results document: {problem}")
    return doc, raw


def merge(shard_dirs: list[str | Path], out_dir: str | Path) -> dict:
    """Combine shard output directories into one, as a single process would have written it.

    A shard directory has parts (parts/*.json), or a shard marker saying it is shard INDEX of COUNT (an
    empty shard has the marker and no parts).  Shards with markers must agree on COUNT and not repeat an
    INDEX; a directory with neither parts nor a marker is not a shard result and is refused.  Every part
    is validated before anything is written; nothing is read or written through a link planted in a
    shard or in the output directory.
    """
    out = Path(out_dir)
    expanded: list[Path] = []
    for d in map(Path, shard_dirs):
        subs = sorted(p for p in d.glob("shard-*") if p.is_dir() and not p.is_symlink() and _is_shard_dir(p))
        if not _is_shard_dir(d) and subs:
            expanded.extend(subs)  # a run directory
        else:
            expanded.append(d)
    if out.resolve() in {d.resolve() for d in expanded}:
        raise InputError("--out-dir must not be one of the shard directories")
    todo: list[tuple[Path, list[tuple[dict, bytes, str]]]] = []
    seen: dict[int, Path] = {}
    counts: set[int] = set()
    for d in expanded:
        parts = _parts_of(d)
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
        todo.append((d, [(*_load_part(d, rel), rel[-1]) for rel in parts]))
    missing: list[int] = []
    if counts and len(seen) == len(expanded):  # shards only: say when some are not there (a partial result)
        (n,) = counts
        missing = sorted(set(range(n)) - set(seen))
    out.mkdir(parents=True, exist_ok=True)
    clear_outputs(out)
    docs = []
    stats: dict = {}
    written: set[tuple[str, ...]] = set()
    for d, loaded in todo:
        for doc, raw, name in loaded:
            docs.append(doc)
            safefs.write_bytes(out, ("parts", name), raw)
        for sub in ("functions", "layers"):
            for rel in safefs.list_regular(d, sub, ".cdx.json", recursive=True, max_depth=3):
                if rel in written:  # a layer shared by units of several shards: the same content
                    continue
                try:
                    data = safefs.read_under(d, rel, MAX_PART_BYTES)
                except OSError as exc:
                    raise InputError(f"{d}/{'/'.join(rel)}: unreadable ({safefs.one_line(exc)})") from None
                safefs.write_bytes(out, rel, data)
                written.add(rel)
        if safefs.is_regular_under(d, ("stats.json",)):
            try:
                st = json.loads(safefs.read_under(d, "stats.json", 16 << 20))
            except (OSError, ValueError, RecursionError):
                st = None
            for k, v in (st.items() if isinstance(st, dict) else ()):
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    stats[k] = stats.get(k, 0) + v
    doc = res.finalize(docs)
    if missing:  # recorded in the result itself: a partial merge must not pass for the whole run
        n = next(iter(counts))
        doc["warnings"] = sorted({*doc["warnings"], f"incomplete merge: shard{'s' if len(missing) > 1 else ''} "
                                  f"{', '.join(map(str, missing))} of {n} not given"})
        doc["incomplete"] = True
    res.write_summary(doc, out, stats)
    return doc
