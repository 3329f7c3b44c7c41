"""The one path from an inventory to a result: match, apply the policy, say what the user must hear.

``pkgscan scan``, ``lambda``, ``layer``, ``account`` and library users all go through a
:class:`Checker`::

    checker = Checker(CheckOptions(db_dir=".pkgscan-db", vex_files=("app.openvex.json",)))
    result = checker.check(pkgscan.scan_path("function.zip"))      # -> ScanResult

Live scans match each distinct artifact once (``checker.match``) and apply the policy once over the
whole run (``checker.apply_policy``), so an ignore rule that matched nothing anywhere is reported
once; ``checker.warnings(inventories)`` gives the database and source warnings for what was scanned.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Sequence

from . import ecosystems
from .model import Inventory
from .vulns.model import DatabaseInfo, Finding, ScanResult


@dataclass(frozen=True)
class CheckOptions:
    #: the offline database directory (default: $PKGSCAN_DB_DIR or ~/.cache/pkgscan/db)
    db_dir: str | None = None
    #: query the OSV API at this URL instead of the offline database
    osv_api: str | None = None
    #: also ask PyPI's vulnerability service (pip-audit's)
    pypi: bool = False
    pypi_url: str | None = None
    cache_dir: str | None = None
    include_withdrawn: bool = False
    #: warn when an ecosystem's newest advisory is older than this (days); None: never
    max_db_age_days: float | None = 7.0
    #: an ignore file; None with ``discover_ignore_file``: .pkgscan-ignore.yaml / pyproject.toml in the cwd
    ignore_file: str | None = None
    discover_ignore_file: bool = True
    vex_files: tuple[str, ...] = ()
    ignore_unfixed: bool = False


def open_sources(options: CheckOptions):
    """The advisory sources the options ask for, and what is known about the database.

    Returns (sources, DatabaseInfo).  Raises DatabaseError when the offline database is missing or empty.
    """
    sources = []
    if options.osv_api:
        from .vulns.osv_api import OsvApiSource

        sources.append(OsvApiSource(options.osv_api, cache_dir=options.cache_dir))
        info = DatabaseInfo(source=f"osv-api:{options.osv_api}")
    else:
        from .vulns.sources import OfflineSource
        from .vulns.store import AdvisoryDB, DatabaseError

        db = AdvisoryDB(options.db_dir)
        st = db.status()
        if not st["advisories"]:
            raise DatabaseError(f"the advisory database at {db.path} holds no advisories: run 'pkgscan db update' "
                                "or 'pkgscan db import <OSV all.zip | directory>'")
        sources.append(OfflineSource(db))
        info = DatabaseInfo(
            source=f"offline:{db.path}",
            ecosystems=tuple((e["ecosystem"], e["advisories"], e["last_modified"]) for e in st["ecosystems"]),
            age_days=db.age_days(),
            updated_at=str(st.get("updated_at") or ""),
        )
    if options.pypi:
        from .vulns.pypi_source import PyPISource

        sources.append(PyPISource(base_url=options.pypi_url, cache_dir=options.cache_dir))
    return sources, info


def _age_days(modified: str, now: datetime) -> float | None:
    """Days since ``modified``; None for no date or a placeholder (the Go database's 0001-01-01)."""
    try:
        ts = datetime.fromisoformat(modified.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    if ts.year < 1990:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=timezone.utc)
    return (now - ts).total_seconds() / 86400


def unmatched_warnings(components) -> list[str]:
    """Say which packages no advisory source covers (OSV has no Amazon Linux advisories)."""
    from collections import Counter

    counts = Counter(c.ecosystem for c in components
                     if (ecosystems.find(c.ecosystem) is None or ecosystems.find(c.ecosystem).osv is None))
    out = []
    for eco, n in sorted(counts.items()):
        what = "Amazon Linux OS packages (rpm)" if eco == "rpm" else f"{eco} packages"
        out.append(f"OSV publishes no advisories for {what}: {n} were inventoried but not checked for vulnerabilities")
    return out


class Checker:
    """Vulnerability matching, policy and warnings, configured once and used for every artifact."""

    def __init__(self, options: CheckOptions = CheckOptions(), *, sources: Sequence | None = None,
                 database: DatabaseInfo | None = None, now: datetime | None = None):
        from .vulns import policy

        self.options = options
        # the policy files are read first: a typo in them is a usage error before any work is done
        found = options.ignore_file or (policy.discover_ignore_file(".") if options.discover_ignore_file else None)
        self.ignore_rules = policy.load_ignores(found) if found else []
        self.vex = [st for f in options.vex_files for st in policy.load_vex(f)]
        if sources is None:
            sources, database = open_sources(options)
        self.sources = list(sources)
        self.database = database
        self.now = now

    # -------------------------------------------------------------- the three steps
    def match(self, inventory: Inventory) -> tuple[Finding, ...]:
        from .vulns.matcher import match
        from .vulns.reachability import label_findings

        findings = match(inventory, self.sources, include_withdrawn=self.options.include_withdrawn)
        if inventory.binaries:  # Go findings: is the vulnerable code linked in?
            findings = label_findings(inventory, findings, self.sources)
        return tuple(findings)

    def apply_policy(self, findings: Iterable[Finding]) -> tuple[list[Finding], list[str]]:
        """Suppressions (ignore rules, VEX, --ignore-unfixed) over every finding of the run at once."""
        from .vulns import policy

        return policy.apply_policy(list(findings), ignore_rules=self.ignore_rules, vex=self.vex,
                                   ignore_unfixed=self.options.ignore_unfixed)

    def warnings(self, inventories: Iterable[Inventory]) -> list[str]:
        """What the user must hear about the data behind the findings, for the ecosystems scanned:
        a stale database (per ecosystem), an ecosystem with no advisories, packages OSV does not
        cover, and what the sources themselves reported."""
        components = [c for inv in inventories for c in inv.components]
        out: list[str] = unmatched_warnings(components)
        covered = sorted({eco.osv for eco in map(ecosystems.find, {c.ecosystem for c in components})
                          if eco is not None and eco.osv})
        db = self.database
        if db is not None and db.ecosystems:
            known = {eco: (count, modified) for eco, count, modified in db.ecosystems if count}
            now = self.now or datetime.now(timezone.utc)
            limit = self.options.max_db_age_days
            for osv in covered:
                if osv not in known:
                    out.append(f"the advisory database has no {osv} advisories: {osv} packages were not checked")
                    continue
                age = _age_days(known[osv][1], now)
                if age is None:  # placeholder dates (the Go database's files): the import time is all we know
                    imported = _age_days(db.updated_at, now)
                    if limit is not None and imported is not None and imported > limit:
                        out.append(f"the {osv} advisories carry no modification dates and the database was last "
                                   f"written {imported:.0f} days ago; run 'pkgscan db update' for current data")
                elif limit is not None and age > limit:
                    out.append(f"the {osv} advisories in the database are {age:.0f} days old (newest record); "
                               "run 'pkgscan db update' for current data")
        for src in self.sources:
            out.extend(src.warnings)
        return list(dict.fromkeys(out))

    def check(self, inventory: Inventory) -> ScanResult:
        """Everything for one inventory: findings with the policy applied, and the warnings."""
        findings, policy_warnings = self.apply_policy(self.match(inventory))
        return ScanResult(inventory=inventory, findings=tuple(findings), database=self.database,
                          warnings=tuple(self.warnings([inventory]) + list(policy_warnings)))


def check_path(path: str | os.PathLike[str], options: CheckOptions = CheckOptions(), layout: str | None = None) -> ScanResult:
    """Scan a package and check it: ``pkgscan scan`` as a function call."""
    from .scan import scan_path

    checker = Checker(options)
    return checker.check(scan_path(path, layout=layout))


__all__ = ["CheckOptions", "Checker", "open_sources", "check_path"]


