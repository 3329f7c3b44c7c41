"""Drift between two scans of Lambda accounts: what changed in the functions, layers and findings.

``pkgscan diff OLD NEW`` takes two live results (a ``summary.json`` of schema
``pkgscan/lambda-results/v1``, or the ``--out-dir`` holding one) and says, per function version
(account, region, name, version):

- functions added and removed; runtime changes; code changes (``CodeSha256``);
- layers attached and detached;
- vulnerabilities introduced and fixed (a vulnerability is the same when it shares any identifier,
  so a ``GHSA-…`` in one scan and its ``CVE-…`` alias in the other is no change), per package name;
- code-signing verdict changes (verdict, severity and class).

Everything read is neutralized on load, like the SBOM diff.  ``--fail-on-new`` gates on the
introduced vulnerabilities, as for SBOM diffs.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..report.text import neutralize
from ..vulns.model import RATINGS, rating_rank
from .model import FAIL_ON_NEW_CHOICES

FLEET_SCHEMA = "pkgscan/lambda-results/v1"
FLEET_DIFF_SCHEMA = "pkgscan/fleet-diff/v1"
MAX_SUMMARY_BYTES = 512 * 1024 * 1024


def is_fleet(path: str | os.PathLike) -> bool:
    """A results directory, or a JSON file that declares the live-results schema."""
    p = Path(path)
    if p.is_dir():
        return True
    try:
        if p.stat().st_size > MAX_SUMMARY_BYTES:
            return False
        with open(p, "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    if FLEET_SCHEMA.encode() not in data:  # cheap: most documents are not live results
        return False
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return False
    return isinstance(doc, dict) and doc.get("schema") == FLEET_SCHEMA


def load_fleet(path: str | os.PathLike) -> dict:
    p = Path(path)
    if p.is_dir():
        p = p / "summary.json"
    try:
        if p.stat().st_size > MAX_SUMMARY_BYTES:
            raise InputError(f"{p}: larger than {MAX_SUMMARY_BYTES} bytes")
        doc = json.loads(p.read_bytes())
    except OSError as exc:
        raise InputError(f"{p}: cannot read: {exc.strerror}") from None
    except (ValueError, RecursionError):
        raise InputError(f"{p}: not JSON") from None
    if not isinstance(doc, dict) or doc.get("schema") != FLEET_SCHEMA or not isinstance(doc.get("functions"), list):
        raise InputError(f"{p}: not pkgscan live results (schema {FLEET_SCHEMA})")
    return doc


def _s(value: Any) -> str:
    return neutralize("" if value is None else str(value), multiline=False)


def _key(f: dict) -> tuple[str, str, str, str]:
    return (_s(f.get("account")), _s(f.get("region")), _s(f.get("name")), _s(f.get("version")))


def _findings(f: dict) -> list[dict]:
    out = []
    for x in f.get("findings") or []:
        if isinstance(x, dict) and not x.get("suppressed"):
            out.append(x)
    return out


@dataclass(frozen=True)
class VulnDrift:
    function: tuple[str, str, str, str]
    id: str
    ids: tuple[str, ...]
    package: str
    version: str
    severity: str
    malicious: bool = False

    @property
    def rank(self) -> int:
        return 4 if self.malicious else rating_rank(self.severity)


@dataclass(frozen=True)
class FleetDiff:
    old_path: str
    new_path: str
    added: tuple[tuple[str, str, str, str], ...] = ()
    removed: tuple[tuple[str, str, str, str], ...] = ()
    #: (function, old, new)
    runtime: tuple[tuple[tuple, str, str], ...] = ()
    code: tuple[tuple[tuple, str, str], ...] = ()
    signing: tuple[tuple[tuple, str, str], ...] = ()
    #: (function, layer ARN)
    layers_attached: tuple[tuple[tuple, str], ...] = ()
    layers_detached: tuple[tuple[tuple, str], ...] = ()
    introduced: tuple[VulnDrift, ...] = ()
    fixed: tuple[VulnDrift, ...] = ()
    unchanged: int = 0
    extra: dict = field(default_factory=dict)


def _vulns(fn_key: tuple, f: dict) -> list[VulnDrift]:
    out = []
    for x in _findings(f):
        ids = tuple(_s(i) for i in (x.get("ids") or [x.get("id")]) if i)
        out.append(VulnDrift(fn_key, _s(x.get("id")), ids or (_s(x.get("id")),), _s(x.get("package")),
                             _s(x.get("version")), _s(x.get("severity")) or "unknown", bool(x.get("malicious"))))
    return out


def _difference(a: list[VulnDrift], b: list[VulnDrift]) -> list[VulnDrift]:
    """Vulnerabilities of ``a`` that ``b`` does not have (same package name, no shared identifier)."""
    known: dict[str, set[str]] = {}
    for v in b:
        known.setdefault(v.package, set()).update(v.ids)
    return [v for v in a if not (set(v.ids) & known.get(v.package, set()))]


def _signing(f: dict) -> str:
    s = f.get("signing") or {}
    verdict = _s(s.get("verdict"))
    return f"{verdict} ({_s(s.get('severity'))}: {_s(s.get('class'))})" if s.get("class") and verdict != "pass" else verdict


def diff_fleets(old: dict, new: dict, old_path: str = "", new_path: str = "") -> FleetDiff:
    a = {_key(f): f for f in old["functions"] if isinstance(f, dict)}
    b = {_key(f): f for f in new["functions"] if isinstance(f, dict)}
    added = sorted(set(b) - set(a))
    removed = sorted(set(a) - set(b))
    runtime, code, signing, attached, detached = [], [], [], [], []
    introduced: list[VulnDrift] = []
    fixed: list[VulnDrift] = []
    unchanged = 0
    for k in sorted(set(a) & set(b)):
        fa, fb = a[k], b[k]
        changed = False
        if _s(fa.get("runtime")) != _s(fb.get("runtime")):
            runtime.append((k, _s(fa.get("runtime")), _s(fb.get("runtime"))))
            changed = True
        if _s(fa.get("code_sha256")) != _s(fb.get("code_sha256")):
            code.append((k, _s(fa.get("code_sha256")), _s(fb.get("code_sha256"))))
            changed = True
        if _signing(fa) != _signing(fb):
            signing.append((k, _signing(fa), _signing(fb)))
            changed = True
        la = [_s(x) for x in fa.get("layers") or []]
        lb = [_s(x) for x in fb.get("layers") or []]
        for arn in lb:
            if arn not in la:
                attached.append((k, arn))
                changed = True
        for arn in la:
            if arn not in lb:
                detached.append((k, arn))
                changed = True
        va, vb = _vulns(k, fa), _vulns(k, fb)
        new_v, gone_v = _difference(vb, va), _difference(va, vb)
        introduced += new_v
        fixed += gone_v
        changed = changed or bool(new_v or gone_v)
        unchanged += not changed
    for k in added:  # everything a new function brings is new to the account
        introduced += _vulns(k, b[k])
    order = lambda v: (-v.rank, v.function, v.package, v.id)  # noqa: E731
    return FleetDiff(old_path, new_path, tuple(added), tuple(removed), tuple(runtime), tuple(code), tuple(signing),
                     tuple(attached), tuple(detached), tuple(sorted(introduced, key=order)),
                     tuple(sorted(fixed, key=order)), unchanged)


def gate_fleet(d: FleetDiff, fail_on_new: str | None) -> int:
    if fail_on_new is None:
        return 0
    level = fail_on_new.strip().lower()
    if level not in FAIL_ON_NEW_CHOICES:
        raise ValueError(f"--fail-on-new must be one of {', '.join(FAIL_ON_NEW_CHOICES)}")
    return int(any(level == "any" or v.rank >= rating_rank(level) for v in d.introduced))


# --------------------------------------------------------------------------- renderings
def _fn(k: tuple) -> str:
    account, region, name, version = k
    return f"{account}/{region}/{name}@{version}"


def _by_rating(vulns) -> dict:
    out = {r: 0 for r in RATINGS}
    for v in vulns:
        out[v.severity if v.severity in out else "unknown"] += 1
    return out


def build_json(d: FleetDiff) -> dict:
    vj = lambda v: {"function": _fn(v.function), "id": v.id, "ids": list(v.ids), "package": v.package,  # noqa: E731
                    "version": v.version, "severity": v.severity, "malicious": v.malicious}
    return {
        "schema": FLEET_DIFF_SCHEMA,
        "old": d.old_path, "new": d.new_path,
        "summary": {"functions_added": len(d.added), "functions_removed": len(d.removed),
                    "runtime_changes": len(d.runtime), "code_changes": len(d.code),
                    "signing_changes": len(d.signing), "layers_attached": len(d.layers_attached),
                    "layers_detached": len(d.layers_detached), "introduced": len(d.introduced),
                    "fixed": len(d.fixed), "unchanged_functions": d.unchanged,
                    "introduced_by_rating": _by_rating(d.introduced)},
        "functions": {"added": [_fn(k) for k in d.added], "removed": [_fn(k) for k in d.removed]},
        "runtime": [{"function": _fn(k), "old": o, "new": n} for k, o, n in d.runtime],
        "code": [{"function": _fn(k), "old": o, "new": n} for k, o, n in d.code],
        "signing": [{"function": _fn(k), "old": o, "new": n} for k, o, n in d.signing],
        "layers": {"attached": [{"function": _fn(k), "layer": a} for k, a in d.layers_attached],
                   "detached": [{"function": _fn(k), "layer": a} for k, a in d.layers_detached]},
        "vulnerabilities": {"introduced": [vj(v) for v in d.introduced], "fixed": [vj(v) for v in d.fixed]},
    }


def render_json(d: FleetDiff) -> str:
    return json.dumps(build_json(d), indent=2, sort_keys=True) + "\n"


def _lines(d: FleetDiff, bullet: str, code: callable) -> list[str]:
    out = []
    sections = [
        ("Functions added", [code(_fn(k)) for k in d.added]),
        ("Functions removed", [code(_fn(k)) for k in d.removed]),
        ("Runtime changes", [f"{code(_fn(k))}: {code(o)} -> {code(n)}" for k, o, n in d.runtime]),
        ("Code changes (CodeSha256)", [f"{code(_fn(k))}: {code(o)} -> {code(n)}" for k, o, n in d.code]),
        ("Code signing changes", [f"{code(_fn(k))}: {code(o)} -> {code(n)}" for k, o, n in d.signing]),
        ("Layers attached", [f"{code(_fn(k))}: {code(a)}" for k, a in d.layers_attached]),
        ("Layers detached", [f"{code(_fn(k))}: {code(a)}" for k, a in d.layers_detached]),
        ("New vulnerabilities", [f"{code(v.id)} ({v.severity}) in {code(v.package)} {code(v.version)}: {code(_fn(v.function))}"
                                 for v in d.introduced]),
        ("Fixed vulnerabilities", [f"{code(v.id)} in {code(v.package)} {code(v.version)}: {code(_fn(v.function))}"
                                   for v in d.fixed]),
    ]
    for title, items in sections:
        if items:
            out += ["", f"{title} ({len(items)}):"] + [f"{bullet}{i}" for i in items]
    return out


def summary_line(d: FleetDiff) -> str:
    return (f"{len(d.added)} functions added, {len(d.removed)} removed, {len(d.runtime)} runtime changes, "
            f"{len(d.code)} code changes, {len(d.signing)} signing changes, {len(d.introduced)} new and "
            f"{len(d.fixed)} fixed vulnerabilities; {d.unchanged} functions unchanged")


def render_text(d: FleetDiff) -> str:
    return "\n".join([f"pkgscan diff: {_s(d.old_path)} -> {_s(d.new_path)}", summary_line(d)]
                     + _lines(d, "  ", lambda x: x)) + "\n"


def render_markdown(d: FleetDiff) -> str:
    def code(x: str) -> str:
        return "`" + x.replace("`", "'") + "`"

    return "\n".join([f"## pkgscan drift: {code(_s(d.old_path))} -> {code(_s(d.new_path))}", "", summary_line(d)]
                     + _lines(d, "- ", code)) + "\n"
