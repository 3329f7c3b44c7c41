"""VEX statements as pkgscan applies them, whichever dialect they were written in."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ... import ecosystems
from ...model import Component
from ..model import Finding
from .match import PolicyError, finding_ids, id_set, parse_purl, purl_matches
from .vers import vers_contains

MAX_VEX_FILE_BYTES = 64 << 20

OPENVEX_STATUSES = ("not_affected", "affected", "fixed", "under_investigation")
CDX_STATES = ("resolved", "resolved_with_pedigree", "exploitable", "in_triage", "false_positive", "not_affected")
_SUPPRESSING = {("openvex", "not_affected"), ("cyclonedx", "not_affected"), ("cyclonedx", "false_positive")}
_FIXED = {("openvex", "fixed"), ("cyclonedx", "resolved"), ("cyclonedx", "resolved_with_pedigree")}


@dataclass(frozen=True)
class VexProduct:
    """A package a VEX statement talks about."""

    ref: str  # as written: a purl, a CycloneDX bom-ref or BOM-Link, an IRI
    purl: str = ""  # the purl it resolves to, "" when it does not name a package
    #: CycloneDX ``affects[].versions``: (version, vers range, status) -- status defaults to "affected"
    versions: tuple[tuple[str, str, str], ...] = ()

    def version_status(self, component: Component) -> str | None:
        """None when this product is not about ``component``; "" when it is, with no version list;
        else what its version entries say of that version: "unaffected" only when every entry
        covering it says so, otherwise "affected"."""
        if not self.purl or not purl_matches(self.purl, component):
            return None
        if not self.versions:
            return ""
        statuses = [status for version, rng, status in self.versions
                    if (version and ecosystems.get(component.ecosystem).same_version(version, component.version))
                    or (rng and vers_contains(rng, component.version))]
        if not statuses:
            return None
        return "unaffected" if all(s == "unaffected" for s in statuses) else "affected"


@dataclass(frozen=True)
class VexStatement:
    vulnerability: str
    status: str  # as written: OpenVEX status or CycloneDX analysis.state
    format: str  # "openvex" | "cyclonedx"
    aliases: tuple[str, ...] = ()
    products: tuple[VexProduct, ...] = ()
    justification: str = ""
    detail: str = ""  # OpenVEX impact_statement (or status_notes), CycloneDX analysis.detail
    timestamp: str = ""
    source: str = ""  # the file
    index: int = 0  # position in the file

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.vulnerability, *self.aliases)

    @property
    def suppresses(self) -> bool:
        return (self.format, self.status) in _SUPPRESSING

    @property
    def claims_fixed(self) -> bool:
        return (self.format, self.status) in _FIXED

    def _statuses(self, component: Component) -> list[str]:
        return [s for p in self.products if (s := p.version_status(component)) is not None]

    def applies_to(self, finding: Finding) -> bool:
        """The statement is about this finding: its vulnerability, and a product covering the component
        (a CycloneDX version entry that says "affected" covers it too: a later such statement
        overrides an earlier "not_affected")."""
        return bool(id_set(self.ids) & finding_ids(finding)) and bool(self._statuses(finding.component))

    def suppresses_finding(self, finding: Finding) -> bool:
        """Suppressing status, and no version entry covering the component says it is affected
        (called for statements that apply to the finding)."""
        return self.suppresses and all(s in ("", "unaffected") for s in self._statuses(finding.component))


def entries(doc: dict, key: str, source: str, dialect: str, label: Callable[[int], str]) -> Iterator[tuple[int, str, dict]]:
    """``(n, where, entry)`` for each object of the list ``doc[key]`` (n from 1; none when absent);
    PolicyError when it is not a list or an entry is not an object."""
    items = doc.get(key)
    if items is None:
        return
    if not isinstance(items, list):
        raise PolicyError(f"{source}: {dialect} '{key}' must be a list")
    for n, item in enumerate(items, 1):
        where = f"{source}: {label(n)}"
        if not isinstance(item, dict):
            raise PolicyError(f"{where}: must be an object")
        yield n, where, item


def text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def vex_product(ref: str) -> VexProduct:
    return VexProduct(ref=ref, purl=ref if ref.startswith("pkg:") and parse_purl(ref) else "")
