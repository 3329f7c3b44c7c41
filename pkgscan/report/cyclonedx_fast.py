"""CycloneDX JSON emitted directly from pkgscan's frozen model, byte for byte what
cyclonedx-python-lib writes for the BOM :func:`pkgscan.report.cyclonedx.build_bom` builds.

cyclonedx-python-lib stays the model and validator of record: its JSON output is
``json.dumps(doc, indent=2)`` of a dict whose keys are in the order py_serializable gives them
(a class's properties sorted by Python name; ``$schema``, ``bomFormat``, ``specVersion`` last) and
whose lists are the library's sorted sets (``_ComparableTuple`` order: ``None`` after any value).
This module writes that same document without building the library's object graph, and caches the
text of every distinct component (and the library's own rendering of every distinct licence set
and vulnerability) for the run, so components shared by many documents (a layer used by 500
functions) are rendered once.

Anything unusual (a bom-ref the library would rename, a dependency on an unknown component, an
error) makes :func:`emit_json` return ``None``; the caller then takes the library path, which stays
the reference (``PKGSCAN_SBOM_REFERENCE=1`` forces it; tests/test_sbom_fast.py compares the two).
"""
from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache
from json.encoder import encode_basestring_ascii as _s

from .. import __version__
from ..ecosystems import MAVEN
from ..model import NPM, Inventory
from .common import content_digest, source_date
from .text import neutralize as clean

__all__ = ["emit_json", "enabled", "SPEC_URIS"]

SPEC_URIS = {
    "1.4": "http://cyclonedx.org/schema/bom-1.4.schema.json",
    "1.5": "http://cyclonedx.org/schema/bom-1.5.schema.json",
    "1.6": "http://cyclonedx.org/schema/bom-1.6.schema.json",
}
ROOT_REF = "pkgscan-artifact"
_SERIAL_NS = uuid.UUID("6f0d5f8e-2f44-4b8c-9a53-0c7c1a4c5b10")  # = cyclonedx._SERIAL_NS


class Fallback(Exception):
    """The fast path cannot promise the library's bytes for this input: use the library."""


def enabled() -> bool:
    return os.environ.get("PKGSCAN_SBOM_REFERENCE", "") in ("", "0")


# ---------------------------------------------------------------------------------------------
# A json.dumps(indent=2) work-alike that appends to a list (strings through the C escaper) and can
# splice pre-rendered fragments (Raw) in place of values.

class Raw(str):
    """Text already rendered at the indentation level where it is spliced."""


def _dump(o, nl: str, out: list) -> None:
    """Append the JSON of ``o`` as ``json.dumps(o, indent=2)`` writes it at the indentation ``nl``
    (a newline plus the current indentation)."""
    t = type(o)
    if t is str:
        out.append(_s(o))
    elif t is Raw:
        out.append(o)
    elif t is dict:
        if not o:
            out.append("{}")
            return
        inner = nl + "  "
        first = True
        for k, v in o.items():
            out.append("{" + inner if first else "," + inner)
            first = False
            out.append(_s(k))
            out.append(": ")
            _dump(v, inner, out)
        out.append(nl + "}")
    elif t is list:
        if not o:
            out.append("[]")
            return
        inner = nl + "  "
        first = True
        for v in o:
            out.append("[" + inner if first else "," + inner)
            first = False
            _dump(v, inner, out)
        out.append(nl + "]")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif o is None:
        out.append("null")
    elif t is int:
        out.append(int.__repr__(o))
    elif t is float:
        out.append(float.__repr__(o))
    else:
        raise Fallback(f"cannot render {t.__name__}")


def _text(o, nl: str) -> str:
    out: list = []
    _dump(o, nl, out)
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Sort keys: the library's _ComparableTuple order (None after every value) for the fields pkgscan sets

def _opt(v):
    return (1, "") if v is None else (0, v)


def _props(pairs) -> list[dict]:
    """Properties as the library writes them: a sorted set of (name, value)."""
    return [{"name": n, "value": v} for n, v in sorted(set(pairs))]


@lru_cache(maxsize=65536)
def _purl_text(purl: str) -> str:
    from packageurl import PackageURL

    return str(PackageURL.from_string(purl).to_string())


@lru_cache(maxsize=1)
def _spdx_ids() -> dict[str, str]:
    """The SPDX licence ids the library knows (its own bundled list), by lower-case id: what
    ``cyclonedx.spdx.fixup_id`` answers, without importing license-expression."""
    from cyclonedx.schema._res import SPDX_JSON

    with open(SPDX_JSON, encoding="utf-8") as f:
        ids = json.load(f)["enum"]
    return {i.lower(): i for i in ids}


@lru_cache(maxsize=4096)
def _licenses_json(values: tuple[str, ...], spec: str):
    """A component's licences as the library renders them (few distinct sets per run).

    The library's factory tries an SPDX id first: when every value is one, the result is the sorted
    set of ids; anything else (expressions, names) is left to the library itself."""
    ids = _spdx_ids()
    fixed = [ids.get(clean(v).lower()) for v in values]
    if all(fixed):
        return [{"license": {"id": i}} for i in sorted(set(fixed))]
    if len(set(values)) == 1 and _plain_expression(clean(values[0])):
        return [{"expression": clean(values[0])}]
    return _library_licenses_json(values, spec)


#: licence ids common in packages, each proven (tests/test_sbom_fast.py) to make a valid expression for
#: the library's validator (license-expression) in the forms _plain_expression accepts
EXPRESSION_IDS = frozenset({
    "0BSD", "AFL-2.1", "Apache-2.0", "Artistic-2.0", "BlueOak-1.0.0", "BSD-2-Clause", "BSD-3-Clause", "BSL-1.0",
    "CC-BY-3.0", "CC-BY-4.0", "CC0-1.0", "EPL-2.0", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only",
    "GPL-3.0-or-later", "ISC", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later", "MIT",
    "MIT-0", "MPL-2.0", "Python-2.0", "Unicode-DFS-2016", "Unlicense", "WTFPL", "Zlib",
})


def _plain_expression(value: str) -> bool:
    """``value`` is an SPDX expression of EXPRESSION_IDS joined by AND / OR with balanced parentheses
    (and at least one operator): what the library's factory turns into a licence expression.
    Anything else (WITH, '+', LicenseRef-, other ids, odd case or spacing) is left to the library."""
    tokens = value.replace("(", " ( ").replace(")", " ) ").split(" ")
    tokens = [t for t in tokens if t]
    if len(tokens) < 3 or " ".join(tokens).replace("( ", "(").replace(" )", ")") != value:  # canonical spacing only
        return False
    pos = 0

    def term() -> bool:
        nonlocal pos
        if pos < len(tokens) and tokens[pos] == "(":
            pos += 1
            if not expr() or pos >= len(tokens) or tokens[pos] != ")":
                return False
            pos += 1
            return True
        if pos < len(tokens) and tokens[pos] in EXPRESSION_IDS:
            pos += 1
            return True
        return False

    def expr() -> bool:
        nonlocal pos
        if not term():
            return False
        while pos < len(tokens) and tokens[pos] in ("AND", "OR"):
            pos += 1
            if not term():
                return False
        return True

    return expr() and pos == len(tokens) and any(t in ("AND", "OR") for t in tokens)


@lru_cache(maxsize=4096)
def _library_licenses_json(values: tuple[str, ...], spec: str):
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.schema.schema import SCHEMA_VERSIONS

    from .cyclonedx import SPEC_VERSIONS, _licenses

    from cyclonedx.model.license import LicenseExpression

    lics = _licenses(values)
    if len(set(lics)) > 1 and any(isinstance(x, LicenseExpression) for x in lics):
        raise Fallback("an expression along with other licences: the library refuses the BOM")
    comp = CdxComponent(name="x", licenses=lics)
    doc = json.loads(comp.as_json(view_=SCHEMA_VERSIONS[SPEC_VERSIONS[spec]]))  # type: ignore[attr-defined]
    return doc.get("licenses")


def _confidence(x) -> float:
    return float(Decimal(str(round(x, 2))))


_TECHNIQUES = frozenset({"source-code-analysis", "binary-analysis", "manifest-analysis", "ast-fingerprint",
                         "hash-comparison", "instrumentation", "dynamic-analysis", "filename", "attestation",
                         "other"})


def _identity(c, spec: str):
    if not c.evidence:
        return None
    methods = []
    for e in c.evidence:
        value = clean(f"{e.location}: {e.detail}" if e.detail and e.location else e.location or e.detail) or None
        technique = e.technique if e.technique in _TECHNIQUES else "other"
        conf = Decimal(str(round(e.confidence, 2)))
        methods.append((technique, conf, value))
    # a sorted set: equal methods collapse
    ordered = sorted(set(methods), key=lambda m: (m[0], m[1], _opt(m[2])))
    ms = []
    for technique, conf, value in ordered:
        m = {"confidence": float(conf), "technique": technique}
        if value is not None:
            m["value"] = value
        ms.append(m)
    ident = {"confidence": _confidence(c.confidence), "field": "purl", "methods": ms}
    return ident if spec == "1.5" else [ident]


def _component_dict(c, spec: str) -> tuple[tuple, dict]:
    group, short = None, c.name
    if c.ecosystem == NPM and c.name.startswith("@") and "/" in c.name:
        group, short = c.name.split("/", 1)
    elif c.ecosystem == MAVEN and ":" in c.name:
        group, short = c.name.split(":", 1)
    props = [("pkgscan:declared-in", clean(p)) for p in c.declared_in]
    if c.missing_from_lockfile:
        props.append(("pkgscan:missing-from-lockfile", "true"))
    props += [(clean(k), clean(v)) for k, v in c.properties]
    name = clean(short)
    group = clean(group) if group else None
    version = clean(c.version) or None
    description = clean(c.description) or None
    d: dict = {"bom-ref": c.purl}
    if description is not None:
        d["description"] = description
    evidence: dict = {}
    if spec != "1.4":
        ident = _identity(c, spec)
        if ident is not None:
            evidence["identity"] = ident
        locs = sorted({clean(o.location) for o in c.occurrences})
        occ = sorted(((f"{c.purl}#occurrence-{n}", loc) for n, loc in enumerate(locs, 1)))
        if occ:
            evidence["occurrences"] = [{"bom-ref": r, "location": loc} for r, loc in occ]
    d["evidence"] = evidence
    if group is not None:
        d["group"] = group
    if c.licenses:
        lic = _licenses_json(tuple(c.licenses), spec)
        if lic:
            d["licenses"] = lic
    d["name"] = name
    if props:
        d["properties"] = _props(props)
    d["purl"] = _purl_text(c.purl)
    d["type"] = "library"
    if version is not None:
        d["version"] = version
    key = (_opt(group), name, _opt(version), c.purl)
    return key, d


_COMPONENTS: dict = {}
_BY_ID: dict = {}
_COMPONENT_CACHE_MAX = 200_000
_CACHE_BUDGET = 48 << 20  # characters of rendered components kept for the run (then the caches start again)
_cached_bytes = 0


def _component(c, spec: str) -> tuple[tuple, str]:
    """(sort key, text at the components list's indentation) of one component, cached per run."""
    ik = (id(c), spec)
    same = _BY_ID.get(ik)
    if same is not None and same[0] is c:  # the very object (a layer's component in every function using it)
        return same[1]
    try:
        ck = (c, spec)
        hit = _COMPONENTS.get(ck)
    except TypeError:  # an unhashable field: render without caching
        ck, hit = None, None
    if hit is None:
        key, d = _component_dict(c, spec)
        hit = (key, Raw(_text(d, "\n    ")))
        global _cached_bytes
        _cached_bytes += len(hit[1])
        if _cached_bytes > _CACHE_BUDGET or len(_BY_ID) >= _COMPONENT_CACHE_MAX:  # bounded memory: start again
            clear_caches()
            _cached_bytes = len(hit[1])
        if ck is not None:
            _COMPONENTS[ck] = hit
    if len(_BY_ID) >= _COMPONENT_CACHE_MAX:
        _BY_ID.clear()
    _BY_ID[ik] = (c, hit)  # holds c: its id is not reused while cached
    return hit


_DEPS: dict = {}


def _dependency(ref: str, targets: tuple[str, ...]) -> Raw:
    """One dependencies entry's text (cached: a layer's packages depend on the same packages everywhere)."""
    k = (ref, targets)
    hit = _DEPS.get(k)
    if hit is None:
        hit = Raw(_text({"dependsOn": list(targets), "ref": ref} if targets else {"ref": ref}, "\n    "))
        if ref == ROOT_REF:  # one per document: not worth keeping
            return hit
        if len(_DEPS) >= _COMPONENT_CACHE_MAX:
            _DEPS.clear()
        _DEPS[k] = hit
    return hit


def clear_caches() -> None:
    """Forget every rendered fragment (tests and benchmarks measure cold runs)."""
    global _cached_bytes
    for cache in (_COMPONENTS, _BY_ID, _DEPS, _VULNS, _VULNS_BY_ID):
        cache.clear()
    _cached_bytes = 0


_VULNS: dict = {}


def _vulnerability(f, spec: str) -> tuple[tuple, Raw]:
    """One finding's vulnerability entry (written directly, as the library writes it; the library's
    own rendering for what the direct one does not take), cached per distinct finding."""
    ik = (id(f), spec)
    same = _VULNS_BY_ID.get(ik)
    if same is not None and same[0] is f:
        return same[1]
    try:  # what cyclonedx_vulns.vulnerability reads of the finding (of its component: purl and version)
        ck = (f.id, f.ids, f.advisories, f.summary, f.severity, f.fixed, f.recommended, f.malicious, f.references,
              f.suppressed, f.labels, f.component.purl, f.component.version, type(f.severity.score), spec)
        hit = _VULNS.get(ck)
    except TypeError:
        ck, hit = None, None
    if hit is not None:
        if len(_VULNS_BY_ID) >= 50_000:
            _VULNS_BY_ID.clear()
        _VULNS_BY_ID[ik] = (f, hit)
        return hit
    from .cyclonedx_fast_vulns import vulnerability_dict

    direct = vulnerability_dict(f, spec)
    if direct is not None:
        res = (direct[0], Raw(_text(direct[1], "\n    ")))
    else:
        res = _library_vulnerability(f, spec)
    if ck is not None:
        if len(_VULNS) >= 50_000:
            _VULNS.clear()
        _VULNS[ck] = res
    return res


_VULNS_BY_ID: dict = {}


def _library_vulnerability(f, spec: str) -> tuple[tuple, Raw]:
    """The entry rendered by cyclonedx-python-lib (what the direct rendering is tested against)."""
    from cyclonedx.schema.schema import SCHEMA_VERSIONS

    from .cyclonedx import SPEC_VERSIONS
    from .cyclonedx_vulns import vulnerability

    v = vulnerability(f)
    d = json.loads(v.as_json(view_=SCHEMA_VERSIONS[SPEC_VERSIONS[spec]]))  # type: ignore[attr-defined]
    return (v.id, str(v.bom_ref.value)), Raw(_text(d, "\n    "))


@lru_cache(maxsize=16)
def _tools(spec: str):
    if spec == "1.4":
        return [{"name": "pkgscan", "version": __version__}]
    return {"components": [{"name": "pkgscan", "type": "application", "version": __version__}]}


def _timestamp(ts: datetime) -> str:
    from py_serializable.helpers import XsdDateTime

    return XsdDateTime.serialize(ts)


def emit_json(
    inv: Inventory,
    *,
    name: str | None = None,
    version: str | None = None,
    timestamp: datetime | None = None,
    serial_number: uuid.UUID | None = None,
    root_properties: tuple[tuple[str, str], ...] = (),
    findings=None,
    spec_version: str = "1.6",
) -> str | None:
    """The CycloneDX JSON document of ``inv`` (what ``serialize(build_bom(...))`` writes, with
    ``root_properties`` added to the root component and a vulnerability entry per finding), or
    None when only the library can say (the caller then uses the library)."""
    if spec_version not in SPEC_URIS:
        return None
    try:
        return _emit(inv, name, version, timestamp, serial_number, root_properties, findings, spec_version)
    except Fallback:
        return None
    except Exception:  # the library path raises the same error, or renders what we could not
        return None


def _emit(inv, name, version, timestamp, serial_number, root_properties, findings, spec) -> str:
    art = inv.artifact
    comps = [_component(c, spec) for c in inv.components]
    purls = [c.purl for c in inv.components]
    known = set(purls)
    if len(known) != len(purls) or ROOT_REF in known:
        raise Fallback("duplicate bom-ref")
    comps.sort(key=lambda kc: kc[0])

    deps: dict[str, set[str]] = {p: set() for p in purls}
    has_parent: set[str] = set()
    for src, dst in inv.dependencies:
        if dst not in known:
            raise Fallback("dependency on an unknown component")
        deps[src].add(dst)
        has_parent.add(dst)
    dep_list = [(ROOT_REF, tuple(sorted(p for p in purls if p not in has_parent)))]
    dep_list += [(p, tuple(sorted(t))) for p, t in deps.items()]
    dep_list.sort(key=lambda x: x[0])
    dependencies = [_dependency(ref, targets) for ref, targets in dep_list]

    vulns = []
    if findings:
        refs = set()
        for f in findings:
            if f.component.purl not in known:
                raise Fallback("finding of an unknown component")
            k, text = _vulnerability(f, spec)
            if k[1] in refs or k[1] in known or k[1] == ROOT_REF:
                raise Fallback("duplicate vulnerability bom-ref")
            refs.add(k[1])
            vulns.append((k, text))
        vulns.sort(key=lambda kv: kv[0])
        # occurrence refs are "<purl>#occurrence-<n>": a vulnerability ref ("<id>|<purl>") never has '#...'
        for k, _t in vulns:
            if "#occurrence-" in k[1]:
                raise Fallback("vulnerability bom-ref like an occurrence's")

    # occurrence bom-refs must not collide with a component's purl
    if spec != "1.4":
        for p in purls:
            if "#occurrence-" in p:
                raise Fallback("purl like an occurrence bom-ref")

    root: dict = {"bom-ref": ROOT_REF}
    if art.sha256:
        root["hashes"] = [{"alg": "SHA-256", "content": art.sha256}]
    root["name"] = clean(name or art.name)
    root["properties"] = _props([("pkgscan:layout", art.layout), ("pkgscan:artifact-kind", art.kind),
                                 *root_properties])
    root["type"] = "application" if art.layout == "function" else "library"
    if version:
        root["version"] = clean(version)

    props = [("pkgscan:notices", str(len(inv.notices)))]
    cov = getattr(inv, "coverage", None)
    if cov is not None:
        props += [("pkgscan:coverage", cov.status), ("pkgscan:coverage:attributed-fraction", f"{cov.fraction:.4f}")]
        props += [(f"pkgscan:coverage:{k.kind}",
                   f"files={k.files} bytes={k.bytes} attributed_files={k.attributed_files} "
                   f"attributed_bytes={k.attributed_bytes} unattributed_bytes={k.unattributed_bytes}")
                  for k in cov.kinds]
        props += [("pkgscan:coverage:not-attributed", clean(f"{p} ({k}, {n} bytes)")) for p, k, n in cov.not_attributed]
    if inv.suspicious:
        props.append(("pkgscan:suspicious", "true"))
    for d in inv.declared_only:
        props.append(("pkgscan:declared-not-installed", clean(f"{d.name}@{d.version or '*'} ({d.lockfile})")))
    ts = source_date(timestamp) or datetime.now(tz=timezone.utc).replace(microsecond=0)
    serial = serial_number or uuid.uuid5(_SERIAL_NS, content_digest(inv) + "|" + (name or art.name) + "|" + (version or ""))
    metadata = {"component": root, "properties": _props(props), "timestamp": _timestamp(ts), "tools": _tools(spec)}

    doc: dict = {}
    if comps:
        doc["components"] = [t for _k, t in comps]
    doc["dependencies"] = dependencies
    doc["metadata"] = metadata
    doc["serialNumber"] = serial.urn
    doc["version"] = 1
    if vulns:
        doc["vulnerabilities"] = [t for _k, t in vulns]
    doc["$schema"] = SPEC_URIS[spec]
    doc["bomFormat"] = "CycloneDX"
    doc["specVersion"] = spec
    return _text(doc, "\n") + "\n"


def render_report(report, options, fmt: str) -> str:
    """``cyclonedx_vulns.render_report`` (the library path, kept as the reference), with CycloneDX
    JSON written by :func:`emit_json` when it can promise the same bytes."""
    if fmt == "cyclonedx-json" and enabled():
        from . import SBOM

        inv = report.scan.inventory if report.kind != SBOM else report.scan
        text = emit_json(inv, name=options.name, version=options.version, timestamp=options.timestamp,
                         serial_number=options.serial_number, spec_version=options.spec_version,
                         findings=report.scan.findings if report.kind != SBOM else None)
        if text is not None:
            if options.validate:
                from .sbom_schema import validate as validate_text

                error = validate_text(text, fmt, options.spec_version)
                if error is not None:
                    raise RuntimeError(f"generated SBOM is not valid CycloneDX {options.spec_version}: {error}")
            return text
    from .cyclonedx_vulns import render_report as library_render_report

    return library_render_report(report, options, fmt)
