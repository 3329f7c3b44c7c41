"""SARIF 2.1.0 report, shaped for GitHub code scanning.

- one rule (``reportingDescriptor``) per vulnerability id, with ``security-severity`` (the CVSS
  base score as a string, GitHub's convention) and tags;
- one result per (finding x install location), pointing at the package's metadata file inside
  the artifact (``artifactLocation.uri`` relative to ``uriBaseId`` "PKGROOT", line 1: a package,
  not a line of code, is what is vulnerable);
- suppressed findings are emitted with ``suppressions`` (kind "external"), so a viewer shows
  them as dismissed rather than dropping them;
- ``partialFingerprints`` are computed here (id, package, location), because GitHub cannot compute
  them from source lines of a file that is not in the repository.

When a finding has a rating but no score (e.g. GitHub's ``database_specific`` severity),
``security-severity`` is a representative score of that rating (critical 9.5, high 8.0,
medium 5.5, low 2.0), as other scanners do; the rule's ``pkgscan/severity`` property tells which.
"""
from __future__ import annotations

import hashlib
import json
from urllib.parse import quote

from .. import __version__
from ..vulns.model import Finding, ScanResult
from .markdown import escape as _md
from .text import aliases, fix_text, is_safe_url, neutralize, osv_url, rating, single_line, sorted_findings

__all__ = ["render", "build", "SARIF_SCHEMA_URI", "ROOT_BASE_ID"]

SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
ROOT_BASE_ID = "PKGROOT"

_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "none": "note", "unknown": "note"}
#: stand-in scores for a rating without a numeric score (the middle of GitHub's bands)
_REPRESENTATIVE_SCORE = {"critical": 9.5, "high": 8.0, "medium": 5.5, "low": 2.0, "none": 0.0}
_MAX_TAGS = 20  # GitHub keeps at most 20 tags per rule
# Characters kept as they are in a location URI; everything else (":" included, so that no path
# looks like a scheme) is percent-encoded.
_URI_SAFE = "/@+~!$&'()*,;=-._"


def _level(f: Finding) -> str:
    return "error" if f.malicious else _LEVEL[rating(f)]


def _security_severity(f: Finding) -> str | None:
    if f.malicious:
        return "10.0"
    score = f.severity.score
    if isinstance(score, (int, float)) and not isinstance(score, bool) and 0.0 <= score <= 10.0:
        return f"{float(score):.1f}"
    rep = _REPRESENTATIVE_SCORE.get(rating(f))
    return f"{rep:.1f}" if rep is not None else None


def _help_uri(f: Finding) -> str:
    for ref in f.references:
        if is_safe_url(ref):
            return ref
    return osv_url(f.id)


def _uri(path: str) -> str:
    """A relative URI reference for a path inside the package."""
    path = path.replace("\\", "/").lstrip("/")
    # names read from a directory may carry undecodable bytes (surrogate escapes): encode them back
    return quote(path, safe=_URI_SAFE, errors="surrogateescape") or "."


def _package_label(f: Finding) -> str:
    return f"{single_line(f.component.name)} {single_line(f.component.version)}"


def _shorten(text: str, limit: int = 200) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,.;:") + "…"


def _rule(f: Finding) -> dict:
    vid = neutralize(f.id)
    summary = single_line(f.summary) or f"{single_line(f.id)} in {single_line(f.component.name)}"
    other_ids = [single_line(a) for a in aliases(f)]
    full = summary + (f" ({', '.join(other_ids)})" if other_ids else "")
    refs = [r for r in f.references if is_safe_url(r)]
    help_text = [full, "", f"Advisory: {osv_url(f.id)}"]
    help_md = [_md(full), "", f"Advisory: [{_md(single_line(f.id))}]({osv_url(f.id)})"]
    if refs:
        help_text += ["", "References:"] + [f"- {r}" for r in refs[:20]]
        help_md += ["", "References:", ""] + [f"- <{r}>" for r in refs[:20]]
    tags = ["security", "vulnerability"] + (["malicious"] if f.malicious else []) + [f.component.ecosystem] + other_ids
    seen: list[str] = []
    for t in tags:
        t = single_line(t)
        if t and t not in seen:
            seen.append(t)
    props: dict = {"tags": seen[:_MAX_TAGS], "precision": "very-high", "pkgscan/severity": rating(f)}
    sev = _security_severity(f)
    if sev is not None:
        props["security-severity"] = sev
    if f.severity.vector:
        props["pkgscan/cvss-vector"] = neutralize(f.severity.vector)
    if other_ids:
        props["pkgscan/aliases"] = other_ids
    return {
        "id": vid,
        "name": vid,
        "shortDescription": {"text": _shorten(summary)},
        "fullDescription": {"text": full},
        "helpUri": _help_uri(f),
        "help": {"text": "\n".join(help_text), "markdown": "\n".join(help_md)},
        "defaultConfiguration": {"level": _level(f)},
        "properties": props,
    }


def _message(f: Finding) -> str:
    other_ids = aliases(f)
    ids = single_line(f.id) + (f" ({', '.join(single_line(a) for a in other_ids)})" if other_ids else "")
    if f.malicious:
        text = f"{_package_label(f)} is a known malicious package ({ids}). Remove it and treat the environment as compromised."
    else:
        text = f"{_package_label(f)} is affected by {ids}"
        if f.summary:
            text += f": {single_line(f.summary)}"
        text = text.rstrip(".") + "."
        fixed = fix_text(f)
        if f.recommended:
            text += f" Upgrade to {single_line(f.recommended)}."
        elif fixed:
            text += f" Fixed in {single_line(fixed)}."
        else:
            text += " No fixed version is known."
    return text


def _fingerprint(f: Finding, location: str) -> str:
    data = "\0".join((f.id, f.component.purl, location)).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


def _locations(f: Finding) -> list[tuple[str, str | None]]:
    """(uri, uriBaseId) for each place the finding is reported."""
    occ = f.component.occurrences
    if occ:
        return [(o.location, ROOT_BASE_ID) for o in occ]
    if f.component.declared_in:  # not installed (should not happen for a finding): point at the lockfile
        return [(f.component.declared_in[0], ROOT_BASE_ID)]
    return [("", ROOT_BASE_ID)]


def _result(f: Finding, rule_index: int, location: str, base: str | None) -> dict:
    art_loc: dict = {"uri": _uri(location)}
    if base:
        art_loc["uriBaseId"] = base
    result: dict = {
        "ruleId": neutralize(f.id),
        "ruleIndex": rule_index,
        "level": _level(f),
        "message": {"text": _message(f)},
        "locations": [
            {
                "physicalLocation": {"artifactLocation": art_loc, "region": {"startLine": 1}},
                "logicalLocations": [
                    {
                        "name": single_line(f.component.name),
                        "fullyQualifiedName": neutralize(f.component.purl),
                        "kind": "package",
                    }
                ],
            }
        ],
        "partialFingerprints": {"pkgscan/v1": _fingerprint(f, location)},
        "properties": {
            "purl": neutralize(f.component.purl),
            "package": single_line(f.component.name),
            "installed": single_line(f.component.version),
            "ecosystem": single_line(f.component.ecosystem),
            "fixed": [single_line(v) for v in f.fixed],
            "malicious": bool(f.malicious),
        },
    }
    if f.recommended:
        result["properties"]["recommended"] = single_line(f.recommended)
    if f.labels:
        result["properties"]["tags"] = sorted({single_line(x) for x in f.labels})
    s = f.suppressed
    if s is not None:
        justification = single_line(s.reason)
        if s.justification:
            justification += f" [{single_line(s.justification)}]"
        props = {"pkgscan/kind": single_line(s.kind)}
        if s.source:
            props["pkgscan/source"] = single_line(s.source)
        if s.expires:
            props["pkgscan/expires"] = single_line(s.expires)
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": justification or single_line(s.kind), "properties": props}
        ]
    return result


def build(result: ScanResult, *, root_uri: str | None = None, category: str | None = None) -> dict:
    """The SARIF log as a dict.

    ``root_uri``: where the package root lies (e.g. the unpacked directory's path relative to
    the repository, ending with "/"); given as ``originalUriBaseIds.PKGROOT.uri``.
    ``category``: ``runAutomationDetails.id`` (GitHub uses it to tell analyses apart).
    """
    findings = sorted_findings(result.findings)
    # one rule per vulnerability id; its text comes from the most severe finding of that id
    rules: dict[str, dict] = {}
    for f in findings:
        if f.id not in rules:
            rules[f.id] = _rule(f)
    rule_ids = sorted(rules)
    index = {rid: i for i, rid in enumerate(rule_ids)}
    results = []
    for f in findings:
        for location, base in _locations(f):
            results.append(_result(f, index[f.id], location, base))
    results.sort(key=lambda r: (r["ruleId"], r["properties"]["purl"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]))

    art = result.inventory.artifact
    root: dict = {"description": {"text": f"The root of the scanned package {single_line(art.name)}"}}
    if root_uri:
        root["uri"] = root_uri if root_uri.endswith("/") else root_uri + "/"
    notifications = []
    for n in sorted(result.inventory.notices, key=lambda n: (n.path, n.code, n.message)):
        notifications.append({
            "level": "warning" if n.suspicious else "note",
            "message": {"text": f"{single_line(n.path)}: {single_line(n.message)}" if n.path else single_line(n.message)},
            "descriptor": {"id": single_line(n.code) or "notice"},
        })
    for w in result.warnings:
        notifications.append({"level": "warning", "message": {"text": single_line(w)}})
    run: dict = {
        "tool": {
            "driver": {
                "name": "pkgscan",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [rules[rid] for rid in rule_ids],
            }
        },
        "originalUriBaseIds": {ROOT_BASE_ID: root},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "artifact": {
                "name": single_line(art.name),
                "kind": single_line(art.kind),
                "layout": single_line(art.layout),
            },
        },
    }
    if art.sha256:
        run["properties"]["artifact"]["sha256"] = art.sha256
    if category:
        run["automationDetails"] = {"id": single_line(category)}
    if result.database is not None:
        run["properties"]["database"] = single_line(result.database.source)
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result: ScanResult, *, root_uri: str | None = None, category: str | None = None) -> str:
    return json.dumps(build(result, root_uri=root_uri, category=category), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render_report(report, options) -> str:
    return render(report.scan)
