"""Vulnerability findings: what matching an inventory against advisories produces."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Component, Inventory

#: ratings from most to least severe; "unknown" sorts last
RATINGS = ("critical", "high", "medium", "low", "none", "unknown")


def rating_rank(rating: str) -> int:
    """critical=4 ... none=0, unknown=-1 (so unknown never meets a --fail-on threshold by itself)."""
    return {"critical": 4, "high": 3, "medium": 2, "low": 1, "none": 0}.get(rating, -1)


@dataclass(frozen=True)
class Severity:
    rating: str = "unknown"  # one of RATINGS
    score: float | None = None
    vector: str | None = None
    #: where the rating came from: "CVSS_V4", "CVSS_V3", "CVSS_V2", "GHSA database_specific" (a
    #: labelled fallback: not part of the OSV spec), "malicious", or "unknown"
    source: str = "unknown"


@dataclass(frozen=True)
class Suppression:
    """Why a finding does not count against the policy (it is still reported)."""

    kind: str  # "ignore-file" | "vex" | "unfixed"
    reason: str
    source: str = ""  # the file the statement came from
    justification: str = ""  # VEX justification (e.g. "vulnerable_code_not_in_execute_path")
    expires: str = ""


@dataclass(frozen=True)
class Finding:
    component: Component
    #: the primary identifier shown first (the matched record's own id)
    id: str
    #: every identifier of this vulnerability: the union of the matched records' ids and aliases
    ids: tuple[str, ...]
    #: ids of the advisory records (from the database / API) that matched this component
    advisories: tuple[str, ...]
    summary: str = ""
    severity: Severity = field(default_factory=Severity)
    #: versions that fix it (from the ranges' "fixed" events of the matching entries)
    fixed: tuple[str, ...] = ()
    #: the smallest upgrade of the installed version that no finding of this package affects
    recommended: str | None = None
    malicious: bool = False
    references: tuple[str, ...] = ()
    suppressed: Suppression | None = None
    #: e.g. "shadowed" copies later; free-form labels the reports show
    labels: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.suppressed is None


@dataclass(frozen=True)
class DatabaseInfo:
    source: str  # "offline:<path>" | "osv-api:<url>" | ...
    ecosystems: tuple[tuple[str, int, str], ...] = ()  # (ecosystem, advisories, last modified)
    age_days: float | None = None
    #: when the database was last written (an import or update), ISO 8601
    updated_at: str = ""


@dataclass(frozen=True)
class ScanResult:
    inventory: Inventory
    findings: tuple[Finding, ...] = ()
    database: DatabaseInfo | None = None
    warnings: tuple[str, ...] = ()

    @property
    def active_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.active)
