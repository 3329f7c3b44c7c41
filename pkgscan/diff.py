"""Compare two SBOMs / scan reports: components added, removed and changed, vulnerabilities
introduced and fixed.

Either side is one of

- a CycloneDX JSON SBOM (pkgscan's or another tool's): ``components`` (nested ones too) with purl,
  or name/group/version; optional ``vulnerabilities`` whose ``affects[].ref`` point at components'
  bom-refs (or are purls themselves),
- an SPDX 2.x JSON document: packages with a purl external reference (or name/version); the
  packages the document DESCRIBES are the artifact, not components,
- a pkgscan JSON report (``pkgscan/report/v1``): ``components`` and ``findings``.

Components are identified by ecosystem (the purl type) and name (PEP 503-normalized for PyPI); a
component whose versions differ between the sides is *changed*.  Vulnerabilities are compared per
package (ecosystem + name), by identifier with aliases: two entries that share any identifier
(``GHSA-…`` in one, its ``CVE-…`` alias in the other) are the same vulnerability.

Everything read from the files is neutralized (control and bidi characters made visible) on
load, so every rendering is safe to print.  ``render_json`` writes the ``pkgscan/diff/v1`` shape
described in ``docs/release-artifacts.md``.
"""
from __future__ import annotations

import json
import os
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from packageurl import PackageURL
from packaging.utils import canonicalize_name

from .errors import InputError
from .model import Inventory
from .report.text import single_line
from .vulns.model import RATINGS, rating_rank

__all__ = [
    "DIFF_SCHEMA", "InvalidSbomError", "SidePackage", "SideVulnerability", "Side", "ComponentChange",
    "VulnerabilityChange", "DiffResult", "load_side", "parse_side", "side_from_inventory", "side_from_result",
    "diff", "render_text", "render_json", "render_markdown", "gate", "FAIL_ON_NEW_CHOICES",
]

DIFF_SCHEMA = "pkgscan/diff/v1"
#: SBOMs larger than this are refused (a deployment package's SBOM is a few MB at most)
MAX_SBOM_BYTES = 256 * 1024 * 1024
FAIL_ON_NEW_CHOICES = ("critical", "high", "medium", "low", "any")
_INACTIVE_STATES = {"resolved", "resolved_with_pedigree", "false_positive", "not_affected"}
_SEVERITY_ALIASES = {"info": "none", "informational": "none", "moderate": "medium", "important": "high"}


class InvalidSbomError(InputError, ValueError):
    """The file is not a readable CycloneDX JSON SBOM, SPDX JSON document or pkgscan JSON report.

    The message is one line (safe to print); the CLI maps it to exit code 2.
    """


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class SidePackage:
    """One component of a side."""

    ecosystem: str  # the purl type ("pypi", "npm", ...), "" when the document gives no purl
    name: str  # npm scoped names include the scope ("@scope/name"); PyPI names are normalized
    version: str
    purl: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.ecosystem, self.name)


@dataclass(frozen=True)
class SideVulnerability:
    """One vulnerability of one package on a side."""

    id: str
    ids: tuple[str, ...]  # id first, then the aliases
    package: SidePackage
    rating: str = "unknown"  # one of pkgscan.vulns.model.RATINGS
    score: float | None = None
    summary: str = ""
    malicious: bool = False
    #: False when the document says it does not apply (suppressed, VEX not_affected, resolved)
    active: bool = True


@dataclass(frozen=True)
class Side:
    """What one document says: its artifact, its components and (maybe) its vulnerabilities."""

    path: str
    format: str  # "cyclonedx" | "spdx" | "pkgscan-report" | "inventory"
    name: str = ""
    version: str = ""
    #: SHA-256 hashes (lowercase hex) of the artifact the document describes
    sha256: tuple[str, ...] = ()
    components: tuple[SidePackage, ...] = ()
    vulnerabilities: tuple[SideVulnerability, ...] = ()
    #: False when the document carries no vulnerability data at all (a plain SBOM)
    has_vulnerability_data: bool = False


@dataclass(frozen=True)
class ComponentChange:
    """A package whose installed versions differ: ``old`` -> ``new`` (the differing versions)."""

    ecosystem: str
    name: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    old_purls: tuple[str, ...] = ()
    new_purls: tuple[str, ...] = ()
    direction: str = "changed"  # "upgrade" | "downgrade" | "changed" (mixed or not comparable)


@dataclass(frozen=True)
class VulnerabilityChange:
    """A vulnerability of a package that one side has and the other has not."""

    id: str
    ids: tuple[str, ...]  # id first, then aliases (sorted)
    ecosystem: str
    name: str
    versions: tuple[str, ...]  # the package versions it affects on its side
    purls: tuple[str, ...]
    rating: str = "unknown"
    score: float | None = None
    summary: str = ""
    malicious: bool = False
    active: bool = True

    @property
    def rank(self) -> int:
        return rating_rank("critical") if self.malicious else rating_rank(self.rating)


@dataclass(frozen=True)
class DiffResult:
    old: Side
    new: Side
    added: tuple[SidePackage, ...] = ()
    removed: tuple[SidePackage, ...] = ()
    changed: tuple[ComponentChange, ...] = ()
    unchanged: int = 0
    introduced: tuple[VulnerabilityChange, ...] = ()
    fixed: tuple[VulnerabilityChange, ...] = ()
    #: vulnerabilities (alias groups per package) present on both sides
    persisting: int = 0
    warnings: tuple[str, ...] = field(default=())

    @property
    def components_differ(self) -> bool:
        return bool(self.added or self.removed or self.changed)


# --------------------------------------------------------------------------- loading


def _s(value: Any) -> str:
    """A neutralized one-line string of a JSON scalar ("" for anything else)."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (str, int, float)):
        return single_line(value)
    return ""


def _list(doc: dict, key: str, where: str) -> list:
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidSbomError(f"{where}: '{key}' must be a list")
    return value


def _norm_name(ecosystem: str, name: str) -> str:
    return canonicalize_name(name) if ecosystem == "pypi" else name


def _package(purl: str, name: str = "", version: str = "", group: str = "") -> SidePackage:
    purl = purl.strip()
    if purl.startswith("pkg:"):
        try:
            p = PackageURL.from_string(purl)
        except ValueError:
            p = None
        if p is not None:
            eco = p.type.lower()
            pname = f"{p.namespace}/{p.name}" if p.namespace else p.name
            return SidePackage(eco, single_line(_norm_name(eco, pname)), single_line(p.version or version), single_line(purl))
    full = f"{group}/{name}" if group and name else name
    return SidePackage("", full, version, purl)


def _read_json(path: str | os.PathLike) -> Any:
    shown = single_line(os.fspath(path))
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_SBOM_BYTES + 1)
    except IsADirectoryError:
        raise InvalidSbomError(f"{shown}: is a directory, not an SBOM file") from None
    except OSError as e:
        raise InvalidSbomError(f"{shown}: cannot read: {single_line(e.strerror or e)}") from None
    if len(data) > MAX_SBOM_BYTES:
        raise InvalidSbomError(f"{shown}: larger than {MAX_SBOM_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidSbomError(f"{shown}: not UTF-8 text (only JSON SBOMs are supported)") from None
    if text.lstrip().startswith("<"):
        raise InvalidSbomError(f"{shown}: XML is not supported: use a CycloneDX JSON or SPDX JSON document")
    try:
        return json.loads(text)
    except RecursionError:
        raise InvalidSbomError(f"{shown}: JSON nested too deeply") from None
    except ValueError as e:
        pos = f" at line {e.lineno} column {e.colno}" if isinstance(e, json.JSONDecodeError) else ""
        msg = e.msg if isinstance(e, json.JSONDecodeError) else str(e)
        raise InvalidSbomError(f"{shown}: not valid JSON{pos}: {single_line(msg)}") from None


def load_side(path: str | os.PathLike) -> Side:
    """Read a CycloneDX JSON SBOM, an SPDX JSON document or a pkgscan JSON report.

    Raises :class:`InvalidSbomError` (a ``ValueError``) with a one-line message for anything else.
    """
    return parse_side(_read_json(path), single_line(os.fspath(path)))


def parse_side(doc: Any, source: str = "<sbom>") -> Side:
    """:func:`load_side` for an already-decoded JSON document."""
    source = single_line(source)
    if not isinstance(doc, dict):
        raise InvalidSbomError(f"{source}: not an SBOM (expected a JSON object)")
    schema = doc.get("schema")
    if isinstance(schema, str) and schema.startswith("pkgscan/report/"):
        if schema != "pkgscan/report/v1":
            raise InvalidSbomError(f"{source}: unsupported pkgscan report schema {single_line(schema)!r}")
        return _parse_report(doc, source)
    if doc.get("bomFormat") == "CycloneDX":
        return _parse_cyclonedx(doc, source)
    if isinstance(doc.get("spdxVersion"), str):
        return _parse_spdx(doc, source)
    if "@context" in doc and "spdx" in json.dumps(doc.get("@context"))[:1000].lower():
        raise InvalidSbomError(f"{source}: SPDX 3 documents are not supported (use SPDX 2.2/2.3 JSON)")
    raise InvalidSbomError(f"{source}: not a CycloneDX JSON SBOM, SPDX JSON document or pkgscan JSON report")


def _check_sha256(value: str, where: str) -> str:
    h = value.strip().lower()
    if len(h) != 64 or any(c not in "0123456789abcdef" for c in h):
        raise InvalidSbomError(f"{where}: SHA-256 {single_line(value)[:80]!r} is not 64 hex digits")
    return h


def _score_rating(score: float | None) -> str:
    if score is None:
        return "unknown"
    if score == 0:
        return "none"
    if score < 4:
        return "low"
    if score < 7:
        return "medium"
    if score < 9:
        return "high"
    return "critical"


def _rating(value: Any) -> str:
    r = _s(value).lower()
    r = _SEVERITY_ALIASES.get(r, r)
    return r if r in RATINGS else "unknown"


def _score(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    v = float(value)
    return v if 0.0 <= v <= 10.0 else None


def _parse_cyclonedx(doc: dict, source: str) -> Side:
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    root = meta.get("component") if isinstance(meta.get("component"), dict) else {}
    hashes = []
    for n, h in enumerate(_list(root, "hashes", f"{source}: metadata.component")):
        if not isinstance(h, dict):
            raise InvalidSbomError(f"{source}: metadata.component.hashes[{n}] must be an object")
        if _s(h.get("alg")).upper().replace("_", "-") == "SHA-256":
            hashes.append(_check_sha256(_s(h.get("content")), f"{source}: metadata.component.hashes[{n}]"))

    components: list[SidePackage] = []
    by_ref: dict[str, SidePackage] = {}
    stack = deque((f"components[{i}]", c) for i, c in enumerate(_list(doc, "components", source)))
    while stack:
        where, c = stack.popleft()
        if not isinstance(c, dict):
            raise InvalidSbomError(f"{source}: {where} must be an object")
        pkg = _package(_s(c.get("purl")), _s(c.get("name")), _s(c.get("version")), _s(c.get("group")))
        if pkg.name:
            components.append(pkg)
            ref = _s(c.get("bom-ref"))
            if ref:
                by_ref[ref] = pkg
        stack.extend((f"{where}.components[{i}]", x) for i, x in enumerate(_list(c, "components", f"{source}: {where}")))

    vulns: list[SideVulnerability] = []
    for n, v in enumerate(_list(doc, "vulnerabilities", source)):
        where = f"{source}: vulnerabilities[{n}]"
        if not isinstance(v, dict):
            raise InvalidSbomError(f"{where} must be an object")
        vid = _s(v.get("id"))
        if not vid:
            continue
        aliases = [_s(r.get("id")) for r in _list(v, "references", where) if isinstance(r, dict)]
        ids = tuple(dict.fromkeys([vid] + sorted(a for a in aliases if a and a != vid)))
        props = {(_s(p.get("name")), _s(p.get("value"))) for p in _list(v, "properties", where) if isinstance(p, dict)}
        malicious = ("pkgscan:malicious", "true") in props or vid.upper().startswith("MAL-")
        analysis = v.get("analysis") if isinstance(v.get("analysis"), dict) else {}
        active = _s(analysis.get("state")) not in _INACTIVE_STATES and not any(k == "pkgscan:suppressed" for k, _ in props)
        rating, score = "unknown", None
        for r in _list(v, "ratings", where):
            if not isinstance(r, dict):
                continue
            sc = _score(r.get("score"))
            rr = _rating(r.get("severity"))
            if rr == "unknown":
                rr = _score_rating(sc)
            if rating_rank(rr) > rating_rank(rating):
                rating = rr
            if sc is not None and (score is None or sc > score):
                score = sc
        summary = _s(v.get("description")) or _s(v.get("detail"))
        for a in _list(v, "affects", where):
            if not isinstance(a, dict):
                continue
            statuses = {_s(x.get("status")) for x in _list(a, "versions", where) if isinstance(x, dict)}
            if statuses and statuses <= {"unaffected"}:
                continue
            ref = _s(a.get("ref"))
            if ref.startswith("urn:cdx:") and "#" in ref:  # BOM-Link to a component of this BOM
                ref = ref.split("#", 1)[1]
            pkg = by_ref.get(ref) or _package(ref, ref)
            if not pkg.name:
                continue
            vulns.append(SideVulnerability(vid, ids, pkg, rating, score, summary, malicious, active))
    return Side(
        path=source, format="cyclonedx", name=_s(root.get("name")), version=_s(root.get("version")),
        sha256=tuple(dict.fromkeys(hashes)), components=tuple(components), vulnerabilities=tuple(vulns),
        has_vulnerability_data="vulnerabilities" in doc,
    )


def _parse_spdx(doc: dict, source: str) -> Side:
    packages = _list(doc, "packages", source)
    described = {_s(x) for x in _list(doc, "documentDescribes", source)}
    doc_id = _s(doc.get("SPDXID")) or "SPDXRef-DOCUMENT"
    for n, r in enumerate(_list(doc, "relationships", source)):
        if not isinstance(r, dict):
            raise InvalidSbomError(f"{source}: relationships[{n}] must be an object")
        kind = _s(r.get("relationshipType")).upper()
        if kind == "DESCRIBES" and _s(r.get("spdxElementId")) == doc_id:
            described.add(_s(r.get("relatedSpdxElement")))
        elif kind == "DESCRIBED_BY" and _s(r.get("relatedSpdxElement")) == doc_id:
            described.add(_s(r.get("spdxElementId")))
    if not described and len(packages) == 1 and isinstance(packages[0], dict):
        described.add(_s(packages[0].get("SPDXID")))
    hashes, components = [], []
    name = version = ""
    for n, p in enumerate(packages):
        where = f"{source}: packages[{n}]"
        if not isinstance(p, dict):
            raise InvalidSbomError(f"{where} must be an object")
        if _s(p.get("SPDXID")) in described:
            name, version = name or _s(p.get("name")), version or _s(p.get("versionInfo"))
            for i, c in enumerate(_list(p, "checksums", where)):
                if isinstance(c, dict) and _s(c.get("algorithm")).upper().replace("-", "") == "SHA256":
                    hashes.append(_check_sha256(_s(c.get("checksumValue")), f"{where}.checksums[{i}]"))
            continue
        purl = ""
        for ref in _list(p, "externalRefs", where):
            if isinstance(ref, dict) and _s(ref.get("referenceType")).lower() == "purl":
                purl = _s(ref.get("referenceLocator"))
                break
        pkg = _package(purl, _s(p.get("name")), _s(p.get("versionInfo")))
        if pkg.name:
            components.append(pkg)
    return Side(
        path=source, format="spdx", name=name or _s(doc.get("name")), version=version,
        sha256=tuple(dict.fromkeys(hashes)), components=tuple(components),
    )


def _parse_report(doc: dict, source: str) -> Side:
    art = doc.get("artifact") if isinstance(doc.get("artifact"), dict) else {}
    sha = _s(art.get("sha256"))
    components = []
    for n, c in enumerate(_list(doc, "components", source)):
        if not isinstance(c, dict):
            raise InvalidSbomError(f"{source}: components[{n}] must be an object")
        components.append(_report_package(c))
    vulns = []
    for n, f in enumerate(_list(doc, "findings", source)):
        where = f"{source}: findings[{n}]"
        if not isinstance(f, dict):
            raise InvalidSbomError(f"{where} must be an object")
        vid = _s(f.get("id"))
        if not vid:
            continue
        others = [_s(x) for x in _list(f, "ids", where)] + [_s(x) for x in _list(f, "aliases", where)]
        ids = tuple(dict.fromkeys([vid] + sorted(x for x in others if x and x != vid)))
        sev = f.get("severity") if isinstance(f.get("severity"), dict) else {}
        malicious = f.get("malicious") is True
        vulns.append(SideVulnerability(
            vid, ids, _report_package(f), "critical" if malicious else _rating(sev.get("rating")), _score(sev.get("score")),
            _s(f.get("summary")), malicious, f.get("active") is not False,
        ))
    return Side(
        path=source, format="pkgscan-report", name=_s(art.get("name")), version="",
        sha256=(_check_sha256(sha, f"{source}: artifact.sha256"),) if sha else (),
        components=tuple(components), vulnerabilities=tuple(vulns), has_vulnerability_data=doc.get("database") is not None or bool(vulns),
    )


def _report_package(d: dict) -> SidePackage:
    purl = _s(d.get("purl"))
    pkg = _package(purl, _s(d.get("name")), _s(d.get("version")))
    if not pkg.ecosystem and _s(d.get("ecosystem")):
        eco = _s(d.get("ecosystem")).lower()
        pkg = SidePackage(eco, _norm_name(eco, pkg.name), pkg.version, purl)
    return pkg


def side_from_inventory(inv: Inventory, path: str = "") -> Side:
    """A side of what pkgscan found in an artifact (no vulnerability data)."""
    art = inv.artifact
    return Side(
        path=single_line(path or art.path), format="inventory", name=single_line(art.name),
        sha256=(art.sha256.lower(),) if art.sha256 else (),
        components=tuple(_package(c.purl, single_line(c.name), single_line(c.version)) for c in inv.components),
    )


def side_from_result(result, path: str = "") -> Side:
    """A side of a scan (``pkgscan.vulns.model.ScanResult``): components and findings."""
    side = side_from_inventory(result.inventory, path)
    vulns = []
    for f in result.findings:
        c = f.component
        pkg = _package(c.purl, single_line(c.name), single_line(c.version))
        ids = tuple(dict.fromkeys([single_line(f.id)] + sorted(single_line(i) for i in f.ids if i and i != f.id)))
        vulns.append(SideVulnerability(
            ids[0], ids, pkg, "critical" if f.malicious else _rating(f.severity.rating), _score(f.severity.score),
            single_line(f.summary), bool(f.malicious), f.suppressed is None,
        ))
    return replace(side, format="scan", vulnerabilities=tuple(vulns), has_vulnerability_data=result.database is not None or bool(vulns))


# --------------------------------------------------------------------------- comparing


def _version_key(ecosystem: str, version: str):
    from .vulns.versions import UnsupportedEcosystem, sort_key

    try:
        return (0, sort_key(ecosystem, version), version)
    except UnsupportedEcosystem:
        return (1, (), version)


def _sorted_versions(ecosystem: str, versions: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(versions), key=lambda v: _version_key(ecosystem, v)))


def _direction(ecosystem: str, old: tuple[str, ...], new: tuple[str, ...]) -> str:
    from .vulns.versions import UnsupportedEcosystem, sort_key

    try:
        lo, hi = max(sort_key(ecosystem, v) for v in old), max(sort_key(ecosystem, v) for v in new)
        lo_min, hi_min = min(sort_key(ecosystem, v) for v in old), min(sort_key(ecosystem, v) for v in new)
    except UnsupportedEcosystem:
        return "changed"
    if hi_min > lo:
        return "upgrade"
    if hi < lo_min:
        return "downgrade"
    return "changed"


def _index(components: Iterable[SidePackage]) -> dict[tuple[str, str], dict[str, SidePackage]]:
    out: dict[tuple[str, str], dict[str, SidePackage]] = {}
    for p in components:
        out.setdefault(p.key, {}).setdefault(p.version, p)
    return out


def _groups(vulns: list[SideVulnerability]) -> list[list[SideVulnerability]]:
    """Alias groups: vulnerabilities sharing any identifier (case-insensitively), transitively."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for v in vulns:
        keys = [i.casefold() for i in v.ids]
        for k in keys[1:]:
            parent[find(k)] = find(keys[0])
        find(keys[0])
    groups: dict[str, list[SideVulnerability]] = {}
    for v in vulns:
        groups.setdefault(find(v.ids[0].casefold()), []).append(v)
    return list(groups.values())


def _change(group: list[SideVulnerability]) -> VulnerabilityChange:
    primary = min(v.id for v in group)
    others = sorted({i for v in group for i in v.ids} - {primary})
    worst = max(group, key=lambda v: (rating_rank("critical") if v.malicious else rating_rank(v.rating)))
    scores = [v.score for v in group if v.score is not None]
    p = group[0].package
    return VulnerabilityChange(
        id=primary, ids=(primary, *others), ecosystem=p.ecosystem, name=p.name,
        versions=_sorted_versions(p.ecosystem, (v.package.version for v in group)),
        purls=tuple(sorted({v.package.purl for v in group if v.package.purl})),
        rating="critical" if worst.malicious else worst.rating, score=max(scores) if scores else None,
        summary=next((v.summary for v in sorted(group, key=lambda v: v.id) if v.summary), ""),
        malicious=any(v.malicious for v in group), active=any(v.active for v in group),
    )


def _vuln_sort_key(v: VulnerabilityChange):
    return (not v.malicious, -v.rank, -(v.score if v.score is not None else -1.0), v.ecosystem, v.name, v.id)


def diff(old: Side, new: Side) -> DiffResult:
    """What changed from ``old`` to ``new``."""
    o, n = _index(old.components), _index(new.components)
    added, removed, changed, unchanged = [], [], [], 0
    for key in sorted(set(o) | set(n)):
        eco = key[0]
        ov, nv = o.get(key, {}), n.get(key, {})
        same = set(ov) & set(nv)
        unchanged += len(same)
        only_old = _sorted_versions(eco, set(ov) - same)
        only_new = _sorted_versions(eco, set(nv) - same)
        if only_old and only_new:
            changed.append(ComponentChange(
                eco, key[1], only_old, only_new,
                tuple(ov[v].purl for v in only_old if ov[v].purl), tuple(nv[v].purl for v in only_new if nv[v].purl),
                _direction(eco, only_old, only_new),
            ))
        else:
            removed.extend(ov[v] for v in only_old)
            added.extend(nv[v] for v in only_new)

    ov_by: dict[tuple[str, str], list[SideVulnerability]] = {}
    nv_by: dict[tuple[str, str], list[SideVulnerability]] = {}
    for v in old.vulnerabilities:
        ov_by.setdefault(v.package.key, []).append(v)
    for v in new.vulnerabilities:
        nv_by.setdefault(v.package.key, []).append(v)
    introduced, fixed, persisting = [], [], 0
    for key in sorted(set(ov_by) | set(nv_by)):
        og, ng = _groups(ov_by.get(key, [])), _groups(nv_by.get(key, []))
        old_ids = {i.casefold() for g in og for v in g for i in v.ids}
        new_ids = {i.casefold() for g in ng for v in g for i in v.ids}
        for g in ng:
            if {i.casefold() for v in g for i in v.ids} & old_ids:
                persisting += 1
            else:
                introduced.append(_change(g))
        for g in og:
            if not {i.casefold() for v in g for i in v.ids} & new_ids:
                fixed.append(_change(g))

    warnings = []
    for side, other, label in ((old, new, "old"), (new, old, "new")):
        if not side.has_vulnerability_data and other.vulnerabilities:
            consequence = "introduced" if label == "old" else "fixed"
            warnings.append(f"the {label} side ({side.path}) carries no vulnerability data: every vulnerability of the "
                            f"other side is reported as {consequence}")
    return DiffResult(
        old=old, new=new,
        added=tuple(sorted(added, key=lambda p: (p.ecosystem, p.name, _version_key(p.ecosystem, p.version)))),
        removed=tuple(sorted(removed, key=lambda p: (p.ecosystem, p.name, _version_key(p.ecosystem, p.version)))),
        changed=tuple(changed), unchanged=unchanged,
        introduced=tuple(sorted(introduced, key=_vuln_sort_key)), fixed=tuple(sorted(fixed, key=_vuln_sort_key)),
        persisting=persisting, warnings=tuple(warnings),
    )


def gate(d: DiffResult, fail_on_new: str | None) -> int:
    """1 when an active introduced vulnerability is at or above ``fail_on_new`` (``low``,
    ``medium``, ``high``, ``critical``, or ``any``), else 0.  Malicious packages count as critical;
    unknown severity meets only ``any``.  Raises ValueError for an unknown threshold."""
    if fail_on_new is None:
        return 0
    level = fail_on_new.strip().lower()
    if level not in FAIL_ON_NEW_CHOICES:
        raise ValueError(f"--fail-on-new must be one of {', '.join(FAIL_ON_NEW_CHOICES)}, got {single_line(fail_on_new)!r}")
    for v in d.introduced:
        if v.active and (level == "any" or v.rank >= rating_rank(level)):
            return 1
    return 0


# --------------------------------------------------------------------------- rendering


def _side_json(s: Side) -> dict:
    return {
        "path": s.path, "format": s.format, "name": s.name or None, "version": s.version or None,
        "sha256": list(s.sha256), "components": len(s.components), "vulnerabilities": len(s.vulnerabilities),
        "has_vulnerability_data": s.has_vulnerability_data,
    }


def _pkg_json(p: SidePackage) -> dict:
    return {"ecosystem": p.ecosystem, "name": p.name, "version": p.version, "purl": p.purl or None}


def _vuln_json(v: VulnerabilityChange) -> dict:
    return {
        "id": v.id, "ids": list(v.ids), "aliases": list(v.ids[1:]), "ecosystem": v.ecosystem, "name": v.name,
        "versions": list(v.versions), "purls": list(v.purls),
        "severity": {"rating": v.rating, "score": v.score}, "summary": v.summary,
        "malicious": v.malicious, "active": v.active,
    }


def _by_rating(vulns: Iterable[VulnerabilityChange]) -> dict:
    out = {r: 0 for r in RATINGS}
    for v in vulns:
        if v.active:
            out[v.rating if v.rating in out else "unknown"] += 1
    return out


def build_json(d: DiffResult) -> dict:
    return {
        "schema": DIFF_SCHEMA,
        "old": _side_json(d.old),
        "new": _side_json(d.new),
        "summary": {
            "added": len(d.added), "removed": len(d.removed), "changed": len(d.changed), "unchanged": d.unchanged,
            "introduced": len(d.introduced), "fixed": len(d.fixed), "persisting": d.persisting,
            "introduced_by_rating": _by_rating(d.introduced),
        },
        "components": {
            "added": [_pkg_json(p) for p in d.added],
            "removed": [_pkg_json(p) for p in d.removed],
            "changed": [
                {"ecosystem": c.ecosystem, "name": c.name, "old": list(c.old), "new": list(c.new),
                 "old_purls": list(c.old_purls), "new_purls": list(c.new_purls), "direction": c.direction}
                for c in d.changed
            ],
        },
        "vulnerabilities": {
            "introduced": [_vuln_json(v) for v in d.introduced],
            "fixed": [_vuln_json(v) for v in d.fixed],
        },
        "warnings": list(d.warnings),
    }


def render_json(d: DiffResult, *, indent: int | None = 2) -> str:
    """The ``pkgscan/diff/v1`` JSON document (see docs/release-artifacts.md)."""
    return json.dumps(build_json(d), indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


def _pkg_text(eco: str, name: str) -> str:
    return f"{eco}/{name}" if eco else name


def _sev_text(v: VulnerabilityChange) -> str:
    if v.malicious:
        return "MALICIOUS"
    return v.rating.upper() + (f" {v.score:.1f}" if v.score is not None else "")


def _side_title(s: Side) -> str:
    return s.path + (f" ({s.name}{' ' + s.version if s.version else ''})" if s.name else "")


def render_text(d: DiffResult) -> str:
    """Plain text for a terminal (every string from the documents is already neutralized)."""
    lines = [f"old: {_side_title(d.old)}", f"new: {_side_title(d.new)}", ""]
    lines.append(f"Components: {len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed, "
                 f"{d.unchanged} unchanged")
    for p in d.added:
        lines.append(f"  + {_pkg_text(p.ecosystem, p.name)} {p.version}")
    for p in d.removed:
        lines.append(f"  - {_pkg_text(p.ecosystem, p.name)} {p.version}")
    for c in d.changed:
        lines.append(f"  ~ {_pkg_text(c.ecosystem, c.name)} {', '.join(c.old)} -> {', '.join(c.new)}"
                     + (f" ({c.direction})" if c.direction != "changed" else ""))
    lines.append("")
    lines.append(f"Vulnerabilities: {len(d.introduced)} introduced, {len(d.fixed)} fixed, {d.persisting} unchanged")
    for mark, vulns in (("+", d.introduced), ("-", d.fixed)):
        for v in vulns:
            aka = f" ({', '.join(v.ids[1:])})" if len(v.ids) > 1 else ""
            off = " [suppressed]" if not v.active else ""
            lines.append(f"  {mark} {_sev_text(v)}  {v.id}{aka}  {_pkg_text(v.ecosystem, v.name)} "
                         f"{', '.join(v.versions)}{off}" + (f"  {v.summary}" if v.summary else ""))
    for w in d.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines) + "\n"


def render_markdown(d: DiffResult, *, heading_level: int = 2) -> str:
    """GitHub-flavoured Markdown for pull-request comments (identifiers as code spans, prose
    escaped, one line per cell)."""
    from .report.markdown import code, escape
    from .report.text import osv_url

    h = "#" * max(1, min(6, heading_level))
    out = [f"{h} pkgscan diff", ""]
    out.append(f"{code(d.old.path)} → {code(d.new.path)}")
    out.append("")
    intro_active = [v for v in d.introduced if v.active]
    out.append(f"**{len(intro_active)} new vulnerabilit{'y' if len(intro_active) == 1 else 'ies'}**, "
               f"{len(d.fixed)} fixed, {d.persisting} unchanged · components: {len(d.added)} added, "
               f"{len(d.removed)} removed, {len(d.changed)} changed, {d.unchanged} unchanged")
    out.append("")

    def vuln_table(title: str, vulns: tuple[VulnerabilityChange, ...]) -> None:
        if not vulns:
            return
        out.extend([f"{h}# {title}", "", "| severity | vulnerability | package | version | summary |", "|---|---|---|---|---|"])
        for v in vulns:
            ids = f"[{code(v.id)}]({osv_url(v.id)})" + ("<br>" + ", ".join(code(a) for a in v.ids[1:]) if len(v.ids) > 1 else "")
            sev = f"**{_sev_text(v)}**" + (" (suppressed)" if not v.active else "")
            out.append(f"| {sev} | {ids} | {code(_pkg_text(v.ecosystem, v.name))} | "
                       f"{', '.join(code(x) for x in v.versions)} | {escape(v.summary)} |")
        out.append("")

    vuln_table("Introduced vulnerabilities", d.introduced)
    vuln_table("Fixed vulnerabilities", d.fixed)
    if d.components_differ:
        out.extend([f"{h}# Component changes", "", "| change | package | old | new |", "|---|---|---|---|"])
        for c in d.changed:
            out.append(f"| {c.direction} | {code(_pkg_text(c.ecosystem, c.name))} | "
                       f"{', '.join(code(x) for x in c.old)} | {', '.join(code(x) for x in c.new)} |")
        for p in d.added:
            out.append(f"| added | {code(_pkg_text(p.ecosystem, p.name))} | | {code(p.version)} |")
        for p in d.removed:
            out.append(f"| removed | {code(_pkg_text(p.ecosystem, p.name))} | {code(p.version)} | |")
        out.append("")
    for w in d.warnings:
        out.append(f"> **Warning:** {escape(w)}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
