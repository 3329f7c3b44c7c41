"""Severity from OSV records: CVSS vectors scored with the ``cvss`` library.

Order of preference: a CVSS v4 vector, then v3.x, then v2 (newest standard first), from the
record's top-level ``severity`` or the ``affected[].severity`` of the matched package.  GitHub's
``database_specific.severity`` is not part of the OSV specification; it is used only when no vector
exists, and labelled as such.  Malicious-package records are critical.  Anything else is unknown.
"""
from __future__ import annotations

from functools import lru_cache

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

from .advisory import Advisory, as_advisory
from .model import Severity

_PREFERENCE = {"CVSS_V4": 0, "CVSS_V3": 1, "CVSS_V2": 2}
GHSA_SOURCE = "GHSA database_specific (not OSV spec)"


def rating_from_score(score: float, cvss_type: str) -> str:
    if cvss_type == "CVSS_V2":  # v2 has no critical and no none
        return "high" if score >= 7.0 else "medium" if score >= 4.0 else "low"
    if score == 0:
        return "none"
    return "critical" if score >= 9.0 else "high" if score >= 7.0 else "medium" if score >= 4.0 else "low"


@lru_cache(maxsize=8192)
def score_vector(cvss_type: str, vector: str) -> float | None:
    try:
        if cvss_type == "CVSS_V4":
            return float(CVSS4(vector).base_score)
        if cvss_type == "CVSS_V3":
            return float(CVSS3(vector).scores()[0])
        if cvss_type == "CVSS_V2":
            return float(CVSS2(vector).scores()[0])
    except (CVSSError, ValueError, KeyError, IndexError, TypeError):
        return None
    return None


def _vectors(adv: Advisory, package: tuple[str, str] | None = None) -> list[tuple[str, str]]:
    """Vectors of the record's top level and of its ``affected`` entries for ``package`` ((base
    ecosystem, normalized name); every entry when None): a record listing several packages may rate
    them differently, and another package's rating is not this one's."""
    out = list(adv.severity)
    for e in adv.affected:
        if package is None or (e.ecosystem, e.name) == package:
            out.extend(e.severity)
    return out


def is_malicious(record: "Advisory | dict") -> bool:
    return as_advisory(record).malicious


def severity_of(records: "list[Advisory | dict]", package: tuple[str, str] | None = None) -> Severity:
    """The severity of one vulnerability from all its records (aliases of each other), for
    ``package`` ((base ecosystem, normalized name)) when given."""
    advs = [as_advisory(r) for r in records]
    if any(a.malicious for a in advs):
        return Severity("critical", None, None, "malicious")
    best: tuple | None = None
    for a in advs:
        for cvss_type, vector in _vectors(a, package):
            score = score_vector(cvss_type, vector)
            if score is None:
                continue
            cand = (_PREFERENCE[cvss_type], -score, vector, cvss_type)
            if best is None or cand < best:
                best = cand
    if best is not None:
        _, neg, vector, cvss_type = best
        return Severity(rating_from_score(-neg, cvss_type), -neg, vector, cvss_type)
    for a in advs:
        if a.ghsa_rating:
            return Severity(a.ghsa_rating, None, None, GHSA_SOURCE)
    return Severity()
