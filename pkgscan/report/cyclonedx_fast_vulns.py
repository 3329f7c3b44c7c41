"""A finding's CycloneDX ``vulnerabilities`` entry written directly, as the JSON cyclonedx-python-lib
writes for :func:`pkgscan.report.cyclonedx_vulns.vulnerability` (the model of record; tests compare
the two byte for byte on real findings and on every field this writes).

Only what pkgscan sets is written: the library's orders are reproduced (keys sorted, lists as its
sorted sets: references by (id, source), advisories by url, properties by (name, value)), and so are
its value rules (the ``.1f`` score, the localised CVSS vector, CVSS v4 written as "other" in 1.4,
URIs made valid the library's way).  Anything outside them (a URI the library would refuse) returns
None and the caller asks the library.
"""
from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import quote

from .text import aliases, is_safe_url, neutralize, osv_url, rating, single_line

__all__ = ["analysis_detail", "recommendation", "vulnerability_dict"]

_INVALID_URI = re.compile(r"%(?![0-9A-F]{2})|#.*#", re.IGNORECASE | re.MULTILINE)  # = XsUri's
_URI_REPLACEMENTS = ((" ", "%20"), ('"', "%22"), ("'", "%27"), ("[", "%5B"), ("]", "%5D"), ("<", "%3C"),
                     (">", "%3E"), ("{", "%7B"), ("}", "%7D"))
#: the library's justification values, and the VEX wordings pkgscan maps to them (cyclonedx_vulns)
_JUSTIFICATIONS = {j: j for j in ("code_not_present", "code_not_reachable", "requires_configuration",
                                  "requires_dependency", "requires_environment", "protected_by_compiler",
                                  "protected_at_runtime", "protected_at_perimeter",
                                  "protected_by_mitigating_control")}
_JUSTIFICATIONS.update({
    "component_not_present": "code_not_present",
    "vulnerable_code_not_present": "code_not_present",
    "vulnerable_code_not_in_execute_path": "code_not_reachable",
    "vulnerable_code_cannot_be_controlled_by_adversary": "requires_environment",
    "inline_mitigations_already_exist": "protected_by_mitigating_control",
})
_MALICIOUS = "Remove this package: it is a known malicious package. Treat the environment it ran in as compromised."


class _Refused(Exception):
    """A value the library would refuse or change in a way not reproduced here."""


def _uri(u: str) -> str:
    if _INVALID_URI.search(u):
        raise _Refused(u)
    for a, b in _URI_REPLACEMENTS:
        u = u.replace(a, b)
    return u


def _source(vid: str) -> dict:
    if vid.startswith("CVE-"):
        return {"name": "NVD", "url": _uri(f"https://nvd.nist.gov/vuln/detail/{quote(vid, safe='')}")}
    if vid.startswith("GHSA-"):
        return {"name": "GitHub Advisory Database", "url": _uri(f"https://github.com/advisories/{quote(vid, safe='')}")}
    return {"name": "OSV", "url": _uri(osv_url(vid))}


def _method(f) -> str:
    vector = f.severity.vector or ""
    source = (f.severity.source or "").upper()
    if vector.startswith("CVSS:4."):
        return "CVSSv4"
    if vector.startswith("CVSS:3.1/"):
        return "CVSSv31"
    if vector.startswith("CVSS:3."):
        return "CVSSv3"
    if source == "CVSS_V2" or (vector and "Au:" in vector):
        return "CVSSv2"
    return "other"


def _rating(f, spec: str) -> dict:
    method = _method(f)
    vector = single_line(f.severity.vector) or None
    if vector and method != "CVSSv4":  # the library strips the scheme prefix (it keeps v4's: see cyclonedx_vulns)
        if method in ("CVSSv31", "CVSSv3") and vector.startswith("CVSS:3."):
            vector = re.sub(r"^CVSS:3\.\d/?", "", vector)
        elif method == "CVSSv2" and vector.startswith("CVSS:2."):
            vector = re.sub(r"^CVSS:2\.\d/?", "", vector)
    r: dict = {}
    r["method"] = "other" if (method == "CVSSv4" and spec == "1.4") else method
    score = f.severity.score
    if isinstance(score, (int, float)) and not isinstance(score, bool):
        r["score"] = float(format(Decimal(str(round(float(score), 1))), ".1f"))
    r["severity"] = rating(f)
    r["source"] = {"name": "OSV", "url": _uri(osv_url(f.id))}
    if vector:
        r["vector"] = vector
    return r


def analysis_detail(s) -> str:
    """The analysis detail of a suppression (shared with the library's rendering)."""
    detail = neutralize(s.reason)
    if s.source:
        detail += f" (source: {single_line(s.source)})"
    if s.expires:
        detail += f" (expires: {single_line(s.expires)})"
    return detail


def _analysis(f) -> dict | None:
    s = f.suppressed
    if s is None:
        return None
    detail = analysis_detail(s)
    a: dict = {}
    if detail:
        a["detail"] = detail
    if s.kind == "vex":
        j = _JUSTIFICATIONS.get((s.justification or "").strip().lower())
        if j:
            a["justification"] = j
        a["state"] = "not_affected"
    else:
        a["response"] = ["can_not_fix" if s.kind == "unfixed" else "will_not_fix"]
    return a


def recommendation(f) -> str | None:
    """What to do about a finding (shared with the library's rendering)."""
    if f.malicious:
        return _MALICIOUS
    if f.recommended:
        return f"Upgrade to {single_line(f.recommended)}"
    if f.fixed:
        return "Upgrade to a fixed version: " + ", ".join(single_line(v) for v in f.fixed)
    return None


def vulnerability_dict(f, spec: str) -> tuple[tuple[str, str], dict] | None:
    """((id, bom-ref), the entry as a dict in the library's key order), or None: ask the library."""
    try:
        return _entry(f, spec)
    except _Refused:
        return None


def _entry(f, spec: str) -> tuple[tuple[str, str], dict]:
    vid = single_line(f.id)
    ref = f"{vid}|{single_line(f.component.purl)}"
    props = set()
    if f.malicious:
        props.add(("pkgscan:malicious", "true"))
    if f.suppressed is not None:
        props.add(("pkgscan:suppressed", single_line(f.suppressed.kind) or "true"))
    props.update(("pkgscan:label", single_line(x)) for x in f.labels)
    props.update(("pkgscan:advisory", single_line(x)) for x in set(f.advisories))
    refs = {(single_line(a), tuple(_source(a).values())) for a in aliases(f)}
    advisories = sorted({_uri(u) for u in f.references if is_safe_url(u)})
    has_rating = f.malicious or rating(f) != "unknown" or f.severity.score is not None or bool(f.severity.vector)

    d: dict = {}
    if advisories:
        d["advisories"] = [{"url": u} for u in advisories]
    d["affects"] = [{"ref": f.component.purl, "versions": [
        {"status": "affected", "version": single_line(f.component.version) or "unknown"}]}]
    analysis = _analysis(f)
    if analysis is not None:
        d["analysis"] = analysis
    d["bom-ref"] = ref
    description = neutralize(f.summary) or None
    if description is not None:
        d["description"] = description
    d["id"] = vid
    if props:
        d["properties"] = [{"name": n, "value": v} for n, v in sorted(props)]
    if has_rating:
        d["ratings"] = [_rating(f, spec)]
    advice = recommendation(f)
    if advice is not None:
        d["recommendation"] = advice
    if refs:
        d["references"] = [{"id": i, "source": {"name": n, "url": u}} for i, (n, u) in sorted(refs)]
    d["source"] = {"name": "OSV", "url": _uri(osv_url(f.id))}
    return (vid, ref), d
