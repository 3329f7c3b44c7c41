"""``vers:`` version ranges (package-url/vers-spec) in CycloneDX VEX ``affects[].versions``."""
from __future__ import annotations

from urllib.parse import unquote

from packaging.version import InvalidVersion, Version

_VERS_OPS = ("<=", ">=", "!=", "<", ">", "=")


def vers_contains(vers: str, version: str) -> bool:
    """``vers:<scheme>/<constraints>`` containment (package-url/vers-spec), comparing with PEP 440
    ordering.  Anything unparseable counts as "not contained" (so it never suppresses)."""
    if not vers.startswith("vers:") or "/" not in vers:
        return False
    constraints = vers.split("/", 1)[1].strip()
    if constraints == "*":
        return True
    try:
        v = Version(version)
        parsed = []
        for raw in constraints.split("|"):
            raw = raw.strip()
            op = next((o for o in _VERS_OPS if raw.startswith(o)), "=")
            parsed.append((op, Version(unquote(raw[len(op):] if raw.startswith(op) else raw).strip())))
    except InvalidVersion:
        return False
    for op, cv in parsed:
        if v == cv:
            if op in ("=", ">=", "<="):
                return True
            if op in ("!=", "<", ">"):
                return False
    rest = sorted(((op, cv) for op, cv in parsed if op not in ("=", "!=")), key=lambda t: t[1])
    if not rest:
        return False
    if rest[0][0] in ("<", "<=") and v < rest[0][1]:
        return True
    if rest[-1][0] in (">", ">=") and v > rest[-1][1]:
        return True
    for (op1, v1), (op2, v2) in zip(rest, rest[1:]):
        if op1 in (">", ">=") and op2 in ("<", "<=") and v1 < v < v2:
            return True
    return False
