"""Neutralizing hostile text before any report shows it.

Package names, versions, paths, licenses and advisory texts all come from outside: from the
scanned artifact (an attacker may have built it) or from an advisory database.  Every report
passes each such string through :func:`neutralize` before it writes it, so that

- no terminal escape reaches a terminal (ESC, CSI, OSC, BEL, ... are C0/C1 control characters),
- no carriage return overwrites what was printed before it on a line,
- no bidirectional override or isolate reorders what a reviewer reads ("Trojan Source"),
- no character that XML 1.0 cannot carry (C0 controls, lone surrogates, U+FFFE/U+FFFF) breaks a
  CycloneDX XML document.

Each such character is replaced by a visible escape (``\\x1b``, ``\\u202e``), so that the report
still shows that something odd was there.
"""
from __future__ import annotations

import re
from urllib.parse import quote

from ..vulns.model import RATINGS, rating_rank

__all__ = ["neutralize", "single_line", "is_safe_url", "osv_url", "rating", "aliases", "sorted_findings", "counts"]

# C0 except tab (\t) and line feed (\n); DEL; C1; the bidi embeddings/overrides U+202A-U+202E
# and isolates U+2066-U+2069; lone surrogates; the XML-illegal noncharacters U+FFFE/U+FFFF.
# A carriage return is handled first: CRLF becomes LF, a lone CR is escaped.
_HOSTILE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
# Unicode line and paragraph separators: line breaks in JavaScript, HTML and some viewers.
_LINE_SEPARATORS = re.compile("[\u2028\u2029]")
_WHITESPACE_RUN = re.compile("[ \t\n]+")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralize(s: object, *, multiline: bool = True) -> str:
    """Return ``s`` with every terminal escape, control and bidi-override character made visible.

    Tabs and newlines are kept when ``multiline`` (for formats that carry them safely: JSON,
    SARIF messages, XML); otherwise every run of whitespace becomes a single space, for table
    cells and other one-line fields.  ``None`` becomes "".
    """
    if s is None:
        return ""
    text = s if isinstance(s, str) else str(s)
    text = text.replace("\r\n", "\n")
    text = _LINE_SEPARATORS.sub("\n", text)
    text = _HOSTILE.sub(_escape, text)
    if not multiline:
        text = _WHITESPACE_RUN.sub(" ", text).strip()
    return text


def single_line(s: object) -> str:
    """:func:`neutralize` for one-line fields (table cells, headings)."""
    return neutralize(s, multiline=False)


# RFC 3986 characters only (no quote, apostrophe, angle bracket, backslash, space or non-ASCII),
# every '%' starting a percent-escape, and at most one '#' (what a URI is; CycloneDX's library
# refuses anything else, so a hostile reference would otherwise stop the SBOM).
_SAFE_URL = re.compile(r"https?://(?:[A-Za-z0-9\-._~:/?\[\]@!$&()*+,;=]|%[0-9A-F]{2})*"
                       r"(?:#(?:[A-Za-z0-9\-._~:/?\[\]@!$&()*+,;=]|%[0-9A-F]{2})*)?", re.IGNORECASE)


def is_safe_url(url: object) -> bool:
    """True for a plain ASCII http(s) URL without whitespace, quotes, angle brackets or controls.

    Reports link only to such URLs; anything else (``javascript:``, ``data:``, a URL with an
    embedded newline or quote) is shown as text, never as a link.
    """
    return isinstance(url, str) and len(url) <= 2048 and _SAFE_URL.fullmatch(url) is not None


# -- presentation helpers shared by the reports ---------------------------------------------------

def osv_url(vuln_id: str) -> str:
    """The osv.dev page of an advisory id (percent-encoded, so any id gives a safe URL)."""
    return "https://osv.dev/vulnerability/" + quote(vuln_id, safe="")


def rating(finding) -> str:
    """The finding's rating, "unknown" for anything outside RATINGS."""
    r = (finding.severity.rating or "unknown").lower()
    return r if r in RATINGS else "unknown"


def aliases(finding) -> list[str]:
    """The finding's other identifiers (``ids`` without the primary id), deduplicated and sorted."""
    return sorted({i for i in finding.ids if i and i != finding.id})


def finding_sort_key(finding):
    """Malicious packages first, then most severe (rating, then score), then package, version, id."""
    score = finding.severity.score
    c = finding.component
    return (
        not finding.malicious,
        -rating_rank(rating(finding)),
        -(score if isinstance(score, (int, float)) else -1.0),
        c.name.lower(),
        c.name,
        c.version,
        c.purl,
        finding.id,
    )


def sorted_findings(findings) -> list:
    return sorted(findings, key=finding_sort_key)


def score_text(finding) -> str:
    score = finding.severity.score
    return f"{score:.1f}" if isinstance(score, (int, float)) else ""


def fix_text(finding) -> str:
    """"2.20.0" / "4.17.19, 4.17.21" / "" (no fixed version known)."""
    return ", ".join(finding.fixed)


def counts(result) -> dict:
    """Counts the summaries of every format share."""
    active = [f for f in result.findings if f.suppressed is None]
    by_rating = {r: 0 for r in RATINGS}
    for f in active:
        by_rating[rating(f)] += 1
    return {
        "components": len(result.inventory.components),
        "findings": len(result.findings),
        "active": len(active),
        "suppressed": len(result.findings) - len(active),
        "by_rating": by_rating,
        "malicious": sum(1 for f in active if f.malicious),
        "vulnerable_components": len({f.component.purl for f in active}),
    }


def malicious_packages(result) -> list[tuple[str, str, str]]:
    """(name, version, id) of every active malicious-package finding, sorted."""
    return sorted({(f.component.name, f.component.version, f.id) for f in result.findings if f.malicious and f.suppressed is None})


def plural(n: int, noun: str) -> str:
    """'1 function', '2 functions'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def live_counts_line(doc: dict) -> str:
    """The one-line summary of live results (functions, layers, findings, signing, runtimes)."""
    c = doc["counts"]
    status = ", ".join(f"{n} {k}" for k, n in c["by_status"].items()) or "none"
    parts = [f"{plural(c['functions'], 'function')} ({status}), {plural(c['layers'], 'layer')}"]
    sev = c["findings_by_severity"]
    parts.append("findings: " + (", ".join(f"{n} {k}" for k, n in sev.items()) if sev else "none"))
    signing = [f"{c['signing_fail']} failed" if c.get("signing_fail") else "",
               f"{c['signing_none_configured']} not configured" if c.get("signing_none_configured") else "",
               f"{c['signing_unknown']} unknown" if c.get("signing_unknown") else ""]
    if any(signing):
        parts.append("code signing: " + ", ".join(x for x in signing if x))
    rt = [f"{c['runtime_deprecated']} deprecated" if c.get("runtime_deprecated") else "",
          f"{c['runtime_deprecating_soon']} deprecating soon" if c.get("runtime_deprecating_soon") else ""]
    if any(rt):
        parts.append("runtimes: " + ", ".join(x for x in rt if x))
    return "; ".join(parts)


def signing_cell(f: dict) -> str:
    """A function's signing verdict with its severity and class ("fail (low: none configured)")."""
    s = f["signing"]
    if not s.get("verdict"):
        return ""
    if s.get("class") and s["verdict"] != "pass":
        return f"{s['verdict']} ({s.get('severity')}: {s['class']})"
    return s["verdict"]


def live_title(doc: dict) -> str:
    """"pkgscan: function fn-py (123456789012 us-east-1)", "pkgscan: layer ARN" or "pkgscan: Lambda ACCOUNTS"."""
    fns, layers = doc["functions"], doc["layers"]
    if len(fns) == 1:
        f = fns[0]
        return f"pkgscan: function {f['name']}@{f['version']} ({f['account']} {f['region']})"
    if not fns and len(layers) == 1:
        return f"pkgscan: layer {layers[0]['arn']}"
    names = ", ".join(a["account"] for a in doc["accounts"]) or "(account unknown)"
    return f"pkgscan: Lambda {names}"
