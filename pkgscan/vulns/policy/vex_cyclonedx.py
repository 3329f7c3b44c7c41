"""CycloneDX VEX: ``vulnerabilities[].analysis`` of a CycloneDX JSON document."""
from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from .match import PolicyError, parse_purl
from .vex_model import CDX_STATES, VexProduct, VexStatement, entries, text


def _cdx_refs(doc: dict) -> dict[str, str]:
    """bom-ref -> purl for every component of the document (nested ones and metadata.component too)."""
    refs: dict[str, str] = {}
    components = doc.get("components")
    stack: list[Any] = list(components) if isinstance(components, list) else []
    meta = doc.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("component"), dict):
        stack.append(meta["component"])
    while stack:
        c = stack.pop()
        if not isinstance(c, dict):
            continue
        ref, purl = text(c.get("bom-ref")), text(c.get("purl"))
        if ref and purl:
            refs[ref] = purl
        if isinstance(c.get("components"), list):
            stack.extend(c["components"])
    return refs


def _cdx_ref_purl(ref: str, refs: dict[str, str]) -> str:
    if ref.startswith("urn:cdx:") and "#" in ref:  # BOM-Link: urn:cdx:<serial>/<version>#<bom-ref>
        ref = unquote(ref.split("#", 1)[1])
    if ref in refs:
        ref = refs[ref]
    return ref if ref.startswith("pkg:") and parse_purl(ref) else ""


def parse_cyclonedx(doc: dict, source: str) -> list[VexStatement]:
    refs = _cdx_refs(doc)
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    doc_ts = text(meta.get("timestamp"))
    out = []
    for n, where, v in entries(doc, "vulnerabilities", source, "CycloneDX", lambda n: f"vulnerabilities[{n - 1}]"):
        analysis = v.get("analysis")
        if not isinstance(analysis, dict) or "state" not in analysis:
            continue  # a plain vulnerability listing makes no exploitability claim
        vid = text(v.get("id"))
        if not vid:
            raise PolicyError(f"{where}: 'id' is required")
        state = text(analysis.get("state"))
        if state not in CDX_STATES:
            raise PolicyError(f"{where} ({vid}): analysis.state {state!r} is not one of {', '.join(CDX_STATES)}")
        aliases = [r["id"].strip() for r in v.get("references") or []
                   if isinstance(r, dict) and isinstance(r.get("id"), str) and r["id"].strip()]
        products = []
        for a in v.get("affects") or []:
            if not isinstance(a, dict) or not text(a.get("ref")):
                raise PolicyError(f"{where} ({vid}): every 'affects' entry needs a 'ref'")
            versions = []
            for ver in a.get("versions") or []:
                if isinstance(ver, dict):
                    status = text(ver.get("status")) or text(ver.get("state")) or "affected"
                    versions.append((text(ver.get("version")), text(ver.get("range")), status))
            ref = text(a["ref"])
            products.append(VexProduct(ref=ref, purl=_cdx_ref_purl(ref, refs), versions=tuple(versions)))
        out.append(VexStatement(
            vulnerability=vid, status=state, format="cyclonedx",
            aliases=tuple(a for a in dict.fromkeys(aliases) if a != vid), products=tuple(products),
            justification=text(analysis.get("justification")), detail=text(analysis.get("detail")),
            timestamp=text(analysis.get("lastUpdated")) or text(analysis.get("firstIssued")) or doc_ts,
            source=source, index=n))
    return out
