"""CycloneDX ``vulnerabilities`` (VDR / VEX) for a BOM built by :mod:`pkgscan.report.cyclonedx`.

One vulnerability entry per finding (vulnerability id x component), so that each carries its own
analysis: a finding suppressed by a VEX statement becomes ``analysis.state: not_affected`` with
the statement's justification and reason, an ignore-file entry a ``will_not_fix`` response, an
"unfixed" suppression a ``can_not_fix`` response.  ``affects`` points at the component's bom-ref
(its purl) with the installed version.  Valid for spec 1.4, 1.5 and 1.6 (CVSS v4 ratings are
written with method "other" under 1.4, which has no CVSSv4 method; the vector keeps its
"CVSS:4.0/" prefix so it stays self-describing).
"""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

from cyclonedx.model import Property, XsUri
from cyclonedx.model.bom import Bom
from cyclonedx.model.impact_analysis import (
    ImpactAnalysisAffectedStatus,
    ImpactAnalysisJustification,
    ImpactAnalysisResponse,
    ImpactAnalysisState,
)
from cyclonedx.model.vulnerability import (
    BomTarget,
    BomTargetVersionRange,
    Vulnerability,
    VulnerabilityAdvisory,
    VulnerabilityAnalysis,
    VulnerabilityRating,
    VulnerabilityReference,
    VulnerabilityScoreSource,
    VulnerabilitySeverity,
    VulnerabilitySource,
)

from ..vulns.model import Finding, ScanResult
from .cyclonedx_fast_vulns import analysis_detail, recommendation
from .text import aliases, is_safe_url, neutralize, osv_url, rating, single_line

__all__ = ["add_vulnerabilities", "vulnerability"]

_SEVERITY = {
    "critical": VulnerabilitySeverity.CRITICAL,
    "high": VulnerabilitySeverity.HIGH,
    "medium": VulnerabilitySeverity.MEDIUM,
    "low": VulnerabilitySeverity.LOW,
    "none": VulnerabilitySeverity.NONE,
    "unknown": VulnerabilitySeverity.UNKNOWN,
}

# VEX justifications (OpenVEX / CSAF wording, and CycloneDX's own) -> CycloneDX justification
_JUSTIFICATION = {
    "component_not_present": ImpactAnalysisJustification.CODE_NOT_PRESENT,
    "vulnerable_code_not_present": ImpactAnalysisJustification.CODE_NOT_PRESENT,
    "vulnerable_code_not_in_execute_path": ImpactAnalysisJustification.CODE_NOT_REACHABLE,
    "vulnerable_code_cannot_be_controlled_by_adversary": ImpactAnalysisJustification.REQUIRES_ENVIRONMENT,
    "inline_mitigations_already_exist": ImpactAnalysisJustification.PROTECTED_BY_MITIGATING_CONTROL,
    **{j.value: j for j in ImpactAnalysisJustification},
}


def _source_for(vid: str) -> VulnerabilitySource:
    """Where an identifier is published: NVD for CVEs, GitHub for GHSAs, osv.dev otherwise."""
    if vid.startswith("CVE-"):
        return VulnerabilitySource(name="NVD", url=XsUri(f"https://nvd.nist.gov/vuln/detail/{_url_part(vid)}"))
    if vid.startswith("GHSA-"):
        return VulnerabilitySource(name="GitHub Advisory Database", url=XsUri(f"https://github.com/advisories/{_url_part(vid)}"))
    return VulnerabilitySource(name="OSV", url=XsUri(osv_url(vid)))


def _url_part(s: str) -> str:
    return quote(s, safe="")


def _method(f: Finding) -> VulnerabilityScoreSource:
    vector = f.severity.vector or ""
    source = (f.severity.source or "").upper()
    if vector.startswith("CVSS:4."):
        return VulnerabilityScoreSource.CVSS_V4
    if vector.startswith("CVSS:3.1/"):
        return VulnerabilityScoreSource.CVSS_V3_1
    if vector.startswith("CVSS:3."):
        return VulnerabilityScoreSource.CVSS_V3
    if source == "CVSS_V2" or (vector and "Au:" in vector):
        return VulnerabilityScoreSource.CVSS_V2
    return VulnerabilityScoreSource.OTHER


def _rating(f: Finding) -> VulnerabilityRating:
    method = _method(f)
    score = f.severity.score
    r = VulnerabilityRating(
        source=VulnerabilitySource(name="OSV", url=XsUri(osv_url(f.id))),
        score=Decimal(str(round(float(score), 1))) if isinstance(score, (int, float)) and not isinstance(score, bool) else None,
        severity=_SEVERITY[rating(f)],
        method=method,
        vector=single_line(f.severity.vector) or None,
    )
    if method is VulnerabilityScoreSource.CVSS_V4 and f.severity.vector:
        r.vector = single_line(f.severity.vector)  # keep "CVSS:4.0/": a v4 vector is not valid without it
    return r


def _has_rating(f: Finding) -> bool:
    return f.malicious or rating(f) != "unknown" or f.severity.score is not None or bool(f.severity.vector)


def _analysis(f: Finding) -> VulnerabilityAnalysis | None:
    s = f.suppressed
    if s is None:
        return None
    detail = analysis_detail(s)
    if s.kind == "vex":
        return VulnerabilityAnalysis(
            state=ImpactAnalysisState.NOT_AFFECTED,
            justification=_JUSTIFICATION.get((s.justification or "").strip().lower()),
            detail=detail or None,
        )
    if s.kind == "unfixed":
        return VulnerabilityAnalysis(responses=[ImpactAnalysisResponse.CAN_NOT_FIX], detail=detail or None)
    return VulnerabilityAnalysis(responses=[ImpactAnalysisResponse.WILL_NOT_FIX], detail=detail or None)


def vulnerability(f: Finding) -> Vulnerability:
    """The CycloneDX vulnerability entry of one finding."""
    vid = single_line(f.id)
    props = []
    if f.malicious:
        props.append(Property(name="pkgscan:malicious", value="true"))
    if f.suppressed is not None:
        props.append(Property(name="pkgscan:suppressed", value=single_line(f.suppressed.kind) or "true"))
    for label in f.labels:
        props.append(Property(name="pkgscan:label", value=single_line(label)))
    for adv in sorted(set(f.advisories)):
        props.append(Property(name="pkgscan:advisory", value=single_line(adv)))
    return Vulnerability(
        bom_ref=f"{vid}|{single_line(f.component.purl)}",
        id=vid,
        source=VulnerabilitySource(name="OSV", url=XsUri(osv_url(f.id))),
        references=[VulnerabilityReference(id=single_line(a), source=_source_for(a)) for a in aliases(f)],
        ratings=[_rating(f)] if _has_rating(f) else [],
        description=neutralize(f.summary) or None,
        recommendation=recommendation(f),
        advisories=[VulnerabilityAdvisory(url=XsUri(u)) for u in dict.fromkeys(f.references) if is_safe_url(u)],
        analysis=_analysis(f),
        affects=[
            BomTarget(
                ref=f.component.purl,
                versions=[BomTargetVersionRange(version=single_line(f.component.version) or "unknown",
                                                status=ImpactAnalysisAffectedStatus.AFFECTED)],
            )
        ],
        properties=props,
    )


def add_vulnerabilities(bom: Bom, result: ScanResult) -> Bom:
    """Add a vulnerability entry for every finding of ``result`` to ``bom`` (built from the same
    inventory: ``affects`` refers to components by their bom-ref, the purl).  Returns ``bom``."""
    known = {str(c.bom_ref.value) for c in bom.components}
    for f in result.findings:
        if f.component.purl not in known:
            raise ValueError(f"finding {f.id!r} refers to {f.component.purl!r}, which is not a component of this BOM")
        bom.vulnerabilities.add(vulnerability(f))
    return bom


def render_report(report, options, fmt: str) -> str:
    """A CycloneDX document: the inventory (SBOM) or the inventory with its vulnerabilities (scans)."""
    from . import SBOM
    from .cyclonedx import build_bom, serialize

    bom = build_bom(report.scan.inventory if report.kind != SBOM else report.scan, name=options.name,
                    version=options.version, timestamp=options.timestamp, serial_number=options.serial_number)
    if report.kind != SBOM:
        add_vulnerabilities(bom, report.scan)
    return serialize(bom, fmt, options.spec_version, validate=options.validate)
