"""Reading either side of a diff: CycloneDX JSON, SPDX 2.x JSON, a pkgscan JSON report, or pkgscan's
own inventory / scan result.  Every string is neutralized on the way in."""
from __future__ import annotations

import json
import os
from collections import deque
from dataclasses import replace
from typing import Any, Iterable, Iterator

from packageurl import PackageURL

from .. import ecosystems
from ..model import Inventory
from ..report.text import single_line
from ..vulns.model import RATINGS, rating_rank
from .model import (
    _INACTIVE_STATES,
    _SEVERITY_ALIASES,
    MAX_SBOM_BYTES,
    InvalidSbomError,
    Side,
    SidePackage,
    SideVulnerability,
)


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


def _objects(doc: dict, key: str, where: str, prefix: str | None = None) -> Iterator[tuple[str, dict]]:
    """``(prefix + "key[n]", item)`` for every item of the list ``doc[key]`` (prefix: ``where: ``);
    an item that is not an object makes the document invalid."""
    prefix = f"{where}: " if prefix is None else prefix
    for n, item in enumerate(_list(doc, key, where)):
        at = f"{prefix}{key}[{n}]"
        if not isinstance(item, dict):
            raise InvalidSbomError(f"{at} must be an object")
        yield at, item


def _norm_name(ecosystem: str, name: str) -> str:
    """The name as its ecosystem compares names (PyPI: PEP 503) when pkgscan registers that
    ecosystem; documents from other tools may name others (``pkg:deb``, ``pkg:apk``): as written."""
    eco = ecosystems.find(ecosystem) if ecosystem else None
    return eco.normalize(name) if eco is not None else name


def _ids(primary: str, others: Iterable[str]) -> tuple[str, ...]:
    """``primary`` first, then the other identifiers (sorted, without blanks and repeats)."""
    return tuple(dict.fromkeys([primary] + sorted(x for x in others if x and x != primary)))


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
    for at, h in _objects(root, "hashes", f"{source}: metadata.component", f"{source}: metadata.component."):
        if _s(h.get("alg")).upper().replace("_", "-") == "SHA-256":
            hashes.append(_check_sha256(_s(h.get("content")), at))

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
    for where, v in _objects(doc, "vulnerabilities", source):
        vid = _s(v.get("id"))
        if not vid:
            continue
        aliases = [_s(r.get("id")) for r in _list(v, "references", where) if isinstance(r, dict)]
        ids = _ids(vid, aliases)
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
    for _at, r in _objects(doc, "relationships", source):
        kind = _s(r.get("relationshipType")).upper()
        if kind == "DESCRIBES" and _s(r.get("spdxElementId")) == doc_id:
            described.add(_s(r.get("relatedSpdxElement")))
        elif kind == "DESCRIBED_BY" and _s(r.get("relatedSpdxElement")) == doc_id:
            described.add(_s(r.get("spdxElementId")))
    if not described and len(packages) == 1 and isinstance(packages[0], dict):
        described.add(_s(packages[0].get("SPDXID")))
    hashes, components = [], []
    name = version = ""
    for where, p in _objects(doc, "packages", source):
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
    for _at, c in _objects(doc, "components", source):
        components.append(_report_package(c))
    vulns = []
    for where, f in _objects(doc, "findings", source):
        vid = _s(f.get("id"))
        if not vid:
            continue
        others = [_s(x) for x in _list(f, "ids", where)] + [_s(x) for x in _list(f, "aliases", where)]
        ids = _ids(vid, others)
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
        ids = _ids(single_line(f.id), (single_line(i) for i in f.ids if i != f.id))
        vulns.append(SideVulnerability(
            ids[0], ids, pkg, "critical" if f.malicious else _rating(f.severity.rating), _score(f.severity.score),
            single_line(f.summary), bool(f.malicious), f.suppressed is None,
        ))
    return replace(side, format="scan", vulnerabilities=tuple(vulns), has_vulnerability_data=result.database is not None or bool(vulns))
