"""Applying the policy to findings (VEX, then ignore rules, then ``--ignore-unfixed``) and the
``--fail-on`` exit code."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timezone
from typing import Iterable, Sequence

from ..model import Finding, Suppression, rating_rank
from .ignore import IgnoreRule
from .match import finding_ids, id_set
from .vex_model import VexStatement

#: values accepted by :func:`exit_code`; "any" fails on every active finding, unknown severity included
FAIL_ON_CHOICES = ("critical", "high", "medium", "low", "any")

_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


def _ts_key(ts: str) -> datetime:
    """Tolerant RFC 3339: 'Z', nanoseconds (Go's output); unparseable or missing -> the epoch."""
    if not ts:
        return _EPOCH
    s = ts.strip().replace("Z", "+00:00").replace("z", "+00:00")
    s = re.sub(r"\.(\d+)", lambda m: "." + m.group(1)[:6].ljust(6, "0"), s, count=1)  # 3.10 wants 6 digits
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return _EPOCH
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _vex_reason(st: VexStatement) -> str:
    if st.detail:
        return st.detail
    return f"VEX: {st.status}"  # the justification is a field of its own, shown beside the reason


def apply_policy(
    findings: Iterable[Finding],
    *,
    ignore_rules: Iterable[IgnoreRule] = (),
    vex: Iterable[VexStatement] = (),
    ignore_unfixed: bool = False,
    today: date | None = None,
) -> tuple[list[Finding], list[str]]:
    """Mark findings as suppressed where a VEX statement, ignore rule or ``ignore_unfixed`` applies.

    Returns every finding (suppressed ones included, in the same order) and warnings: expired
    rules, rules that matched no finding, ``fixed``/``resolved`` VEX statements contradicted by the
    scan, and suppressing VEX statements that name no package purl.  A finding that already
    carries a suppression keeps it.
    """
    today = today or date.today()
    warnings: dict[str, None] = {}
    rules = list(ignore_rules)
    active_rules = []
    for rule in rules:
        if rule.expired(today):
            warnings[f"{rule.describe()} expired on {rule.expires.isoformat()} and no longer applies"] = None
        else:
            active_rules.append(rule)
    statements = list(vex)
    for st in statements:
        if st.suppresses and not any(p.purl for p in st.products):
            refs = ", ".join(p.ref for p in st.products) or "none"
            warnings[f"{st.source}: VEX statement for {st.vulnerability} names no package purl (products: {refs}); "
                     "pkgscan matches VEX statements to packages by purl, so it was not applied"] = None
    by_vuln: dict[str, list[int]] = {}
    for i, st in enumerate(statements):
        for vid in id_set(st.ids):
            by_vuln.setdefault(vid, []).append(i)
    used: set[int] = set()
    out = []
    for f in findings:
        suppression: Suppression | None = None
        candidates = sorted({i for vid in finding_ids(f) for i in by_vuln.get(vid, ())})
        matching = [(i, statements[i]) for i in candidates if statements[i].applies_to(f)]
        if matching:
            _, latest = max(matching, key=lambda t: (_ts_key(t[1].timestamp), t[0]))
            if latest.suppresses_finding(f):
                suppression = Suppression(kind="vex", reason=_vex_reason(latest), source=latest.source,
                                          justification=latest.justification)
            elif latest.claims_fixed:
                warnings[f"{latest.source}: VEX says {latest.vulnerability} is {latest.status} in "
                          f"{f.component.purl}, but the scan still finds {f.id} there; not suppressed"] = None
        for n, rule in enumerate(active_rules):
            if rule.matches(f):
                used.add(n)
                if suppression is None:
                    suppression = Suppression(kind="ignore-file", reason=rule.reason, source=rule.source,
                                              expires=rule.expires.isoformat() if rule.expires else "")
        if suppression is None and ignore_unfixed and not f.fixed and not f.malicious:
            suppression = Suppression(kind="unfixed", reason="no fixed version is known")
        if f.suppressed is None and suppression is not None:
            f = replace(f, suppressed=suppression)
        out.append(f)
    for n, rule in enumerate(active_rules):
        if n not in used:
            warnings[f"{rule.describe()} matched no finding"] = None
    return out, list(warnings)


def effective_rank(finding: Finding) -> int:
    """The finding's rating rank for --fail-on; malicious packages count as critical."""
    return rating_rank("critical") if finding.malicious else rating_rank(finding.severity.rating)


def exit_code(findings: Sequence[Finding] | Iterable[Finding], fail_on: str | None) -> int:
    """1 if an active finding is at or above ``fail_on`` (see :data:`FAIL_ON_CHOICES`), else 0.

    Unknown severity ranks below every threshold, so it never fails a build by itself (except
    with ``"any"``).  Raises ValueError for an unknown threshold.
    """
    if fail_on is None:
        return 0
    level = fail_on.strip().lower()
    if level not in FAIL_ON_CHOICES:
        raise ValueError(f"--fail-on must be one of {', '.join(FAIL_ON_CHOICES)}, got {fail_on!r}")
    for f in findings:
        if not f.active:
            continue
        if level == "any" or effective_rank(f) >= rating_rank(level):
            return 1
    return 0
