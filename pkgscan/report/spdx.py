"""SPDX 2.3 JSON document of an inventory, built and validated with spdx-tools.

The artifact (a Lambda function or layer zip / directory) is one package that the document
``DESCRIBES``; every installed component is a package with its purl as a ``PACKAGE-MANAGER``
external reference, ``CONTAINS``-ed by the artifact, with ``DEPENDS_ON`` relationships from the
inventory's dependency graph.

Deterministic for the same input: packages and relationships are sorted, SPDXIDs are derived from
purls, the document namespace is a digest of the content, and ``created`` comes from
``SOURCE_DATE_EPOCH`` when set.  Every document is validated with spdx-tools before it is returned.
"""
from __future__ import annotations

import hashlib
import io
import re
from datetime import datetime, timezone
from functools import lru_cache

from spdx_tools.common.spdx_licensing import spdx_licensing
from spdx_tools.spdx.model import (
    Actor,
    ActorType,
    Checksum,
    ChecksumAlgorithm,
    CreationInfo,
    Document,
    ExternalPackageRef,
    ExternalPackageRefCategory,
    Package,
    PackagePurpose,
    Relationship,
    RelationshipType,
    SpdxNoAssertion,
)
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

from .. import __version__
from ..model import Component, Inventory
from .common import content_digest, source_date
from .text import neutralize

__all__ = ["render_spdx", "build_document", "spdx_license", "SpdxValidationError", "ROOT_SPDX_ID", "NAMESPACE_BASE"]

SPDX_VERSION = "SPDX-2.3"
DOCUMENT_ID = "SPDXRef-DOCUMENT"
#: SPDXID of the artifact package (the CycloneDX root's bom-ref is "pkgscan-artifact")
ROOT_SPDX_ID = "SPDXRef-pkgscan-artifact"
NAMESPACE_BASE = "https://pkgscan.dev/spdx/"
_PACKAGE_PREFIX = "SPDXRef-Package-"
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9.-]+")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# the validator's purl pattern (spdx_tools.spdx.validation.external_package_ref_validator.PURL_REGEX)
_PURL_OK = re.compile(r"^pkg:.+(\/.+)?\/.+(@.+)?(\?.+)?(#.+)?$")
#: longer license strings are license texts, not expressions
_MAX_LICENSE_EXPRESSION = 512
#: spdx-tools' validator is quadratic in the number of elements: larger documents are validated
#: in slices of this many component packages (see :func:`_validate`)
_VALIDATION_SLICE = 100


class SpdxValidationError(RuntimeError):
    """The generated document does not validate (a bug in pkgscan, not the input's fault)."""


def _t(s) -> str:
    return neutralize(s)


@lru_cache(maxsize=4096)
def _parse_license(text: str):
    """A LicenseExpression when ``text`` is a valid SPDX expression of listed ids, else None.

    Runs the same checks as spdx-tools' validator (no invalid symbols, strict parse), so that a
    value accepted here never makes the document invalid.
    """
    text = text.strip()
    if not text or len(text) > _MAX_LICENSE_EXPRESSION or neutralize(text) != text:
        return None
    try:
        info = spdx_licensing.validate(text)
        if info.errors or info.invalid_symbols:
            return None
        expr = spdx_licensing.parse(text, validate=True, strict=True)
        if expr is None:
            return None
        again = spdx_licensing.validate(str(expr))
        if again.errors or again.invalid_symbols:
            return None
        spdx_licensing.parse(str(expr), validate=True, strict=True)
        return expr
    except Exception:  # any odd string the parser rejects (or trips over) is simply not an expression
        return None


def spdx_license(values: tuple[str, ...] | list[str]):
    """``licenseDeclared`` for a component's declared licenses.

    All values valid SPDX expressions -> their conjunction (one value: that expression); no value
    or any value that does not parse (``BSD``, ``LGPL``, a license text) -> NOASSERTION.
    """
    unique = list(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    if not unique:
        return SpdxNoAssertion()
    parsed = [_parse_license(v) for v in unique]
    if any(p is None for p in parsed):
        return SpdxNoAssertion()
    if len(parsed) == 1:
        return parsed[0]
    combined = _parse_license(" AND ".join(f"({p})" for p in parsed))
    return combined if combined is not None else SpdxNoAssertion()


def _created(created: datetime | None) -> datetime:
    ts = source_date(None)  # SOURCE_DATE_EPOCH (ValueError when it is not a Unix timestamp)
    if ts is None:
        ts = created or datetime.now(tz=timezone.utc)
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=timezone.utc)
    return ts.astimezone(timezone.utc).replace(microsecond=0)


def _package_ids(components: list[Component]) -> dict[str, str]:
    """purl -> SPDXID: ``SPDXRef-Package-`` + the purl sanitized to [A-Za-z0-9.-], deduplicated."""
    ids: dict[str, str] = {}
    used: set[str] = {DOCUMENT_ID, ROOT_SPDX_ID}
    for c in components:
        if c.purl in ids:
            continue
        base = _PACKAGE_PREFIX + (_UNSAFE_ID.sub("-", c.purl).strip("-") or "x")
        sid, n = base, 1
        while sid in used:
            n += 1
            sid = f"{base}-{n}"
        used.add(sid)
        ids[c.purl] = sid
    return ids


def _component_package(c: Component, spdx_id: str) -> Package:
    locations = [_t(o.location) for o in c.occurrences]
    refs = []
    purl = _t(c.purl)
    if _PURL_OK.match(purl) and " " not in purl:
        refs.append(ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", purl))
    comment = []
    if c.declared_in:
        comment.append("declared in: " + ", ".join(sorted(_t(x) for x in c.declared_in)))
    if c.missing_from_lockfile:
        comment.append("missing from the lockfile beside its install root")
    if not refs:
        comment.append("purl: " + purl)
    declared = spdx_license(c.licenses)
    license_comment = None
    if c.licenses and isinstance(declared, SpdxNoAssertion):
        license_comment = "declared in the package metadata: " + "; ".join(_t(x) for x in c.licenses)
    return Package(
        spdx_id=spdx_id,
        name=_t(c.name) or purl,
        download_location=SpdxNoAssertion(),
        version=_t(c.version) or None,
        files_analyzed=False,
        source_info=("installed at: " + ", ".join(locations)) if locations else None,
        license_concluded=SpdxNoAssertion(),
        license_declared=declared,
        license_comment=license_comment,
        copyright_text=SpdxNoAssertion(),
        summary=_t(c.description) or None,
        comment="; ".join(comment) or None,
        external_references=refs,
        primary_package_purpose=PackagePurpose.LIBRARY,
    )


def build_document(
    inv: Inventory,
    *,
    name: str | None = None,
    version: str | None = None,
    created: datetime | None = None,
) -> Document:
    """The spdx-tools model of the document (not validated; :func:`render_spdx` validates)."""
    art = inv.artifact
    doc_name = _t(name or art.name) or "artifact"
    ts = _created(created)
    digest = hashlib.sha256(
        "\0".join([content_digest(inv, by_purl=True), name or art.name, version or "", ts.isoformat(), __version__]).encode("utf-8", "replace")
    ).hexdigest()
    namespace = NAMESPACE_BASE + (_UNSAFE_NAME.sub("-", name or art.name).strip("-")[:100] or "artifact") + "-" + digest
    info = CreationInfo(
        spdx_version=SPDX_VERSION,
        spdx_id=DOCUMENT_ID,
        name=doc_name,
        document_namespace=namespace,
        creators=[Actor(ActorType.TOOL, f"pkgscan-{__version__}")],
        created=ts,
    )

    root_comment = [f"AWS Lambda {art.layout} ({art.kind})", f"notices: {len(inv.notices)}"]
    if inv.suspicious:
        root_comment.append("suspicious: the scan found signs of an attack on the scanner (see pkgscan's notices)")
    for d in sorted(inv.declared_only, key=lambda d: (d.ecosystem, d.name, d.version, d.lockfile)):
        root_comment.append(_t(f"declared, not installed: {d.name}@{d.version or '*'} ({d.lockfile})"))
    root = Package(
        spdx_id=ROOT_SPDX_ID,
        name=doc_name,
        download_location=SpdxNoAssertion(),
        version=_t(version) if version else None,
        file_name=_t(art.name) if art.kind == "zip" else None,
        files_analyzed=False,
        checksums=[Checksum(ChecksumAlgorithm.SHA256, art.sha256.lower())] if art.sha256 else [],
        license_concluded=SpdxNoAssertion(),
        license_declared=SpdxNoAssertion(),
        copyright_text=SpdxNoAssertion(),
        comment="; ".join(root_comment),
        primary_package_purpose=PackagePurpose.APPLICATION if art.layout == "function" else PackagePurpose.LIBRARY,
    )

    components = sorted(inv.components, key=lambda c: (c.purl, c.ecosystem, c.name, c.version))
    ids = _package_ids(components)
    packages = [root]
    seen: set[str] = set()
    for c in components:
        if c.purl in seen:
            continue
        seen.add(c.purl)
        packages.append(_component_package(c, ids[c.purl]))

    relationships = [Relationship(DOCUMENT_ID, RelationshipType.DESCRIBES, ROOT_SPDX_ID)]
    relationships += [Relationship(ROOT_SPDX_ID, RelationshipType.CONTAINS, ids[p]) for p in sorted(seen)]
    edges = sorted({(ids[a], ids[b]) for a, b in inv.dependencies if a in ids and b in ids and a != b})
    relationships += [Relationship(a, RelationshipType.DEPENDS_ON, b) for a, b in edges]
    return Document(creation_info=info, packages=packages, relationships=relationships)


def _validate(document: Document) -> list:
    """spdx-tools' ``validate_full_spdx_document`` on the document, or for a large one on slices.

    Each slice is a valid-shaped document of its own: the creation info, the artifact package, a
    slice of the component packages plus every package their relationships point at, the
    DESCRIBES relationship, the artifact's CONTAINS of the slice and the slice's own
    relationships.  So every package and every relationship is validated in a document that holds
    both ends of each relationship; uniqueness of SPDXIDs across the whole document is checked here.
    """
    packages = document.packages
    if len(packages) <= 2 * _VALIDATION_SLICE:
        return validate_full_spdx_document(document)
    messages = []
    ids = [p.spdx_id for p in packages]
    if len(set(ids)) != len(ids):
        messages.append("duplicate SPDXIDs")
    root, components = packages[0], packages[1:]
    by_id = {p.spdx_id: p for p in packages}
    describes = [r for r in document.relationships if r.spdx_element_id == DOCUMENT_ID]
    by_origin: dict[str, list[Relationship]] = {}
    contains: dict[str, list[Relationship]] = {}
    for r in document.relationships:
        if r.spdx_element_id == DOCUMENT_ID:
            continue
        if r.spdx_element_id == root.spdx_id:
            contains.setdefault(str(r.related_spdx_element_id), []).append(r)
        else:
            by_origin.setdefault(r.spdx_element_id, []).append(r)
    for start in range(0, len(components), _VALIDATION_SLICE):
        chunk = components[start:start + _VALIDATION_SLICE]
        in_chunk = {p.spdx_id for p in chunk}
        rels = list(describes)
        for p in chunk:
            rels += contains.get(p.spdx_id, []) + by_origin.get(p.spdx_id, [])
        extra = sorted({str(r.related_spdx_element_id) for r in rels} - in_chunk - {root.spdx_id})
        sub = Document(
            creation_info=document.creation_info,
            packages=[root, *chunk, *(by_id[i] for i in extra if i in by_id)],
            relationships=rels,
        )
        messages += validate_full_spdx_document(sub)
    return messages


def render_spdx(
    inv: Inventory,
    *,
    name: str | None = None,
    version: str | None = None,
    created: datetime | None = None,
) -> str:
    """SPDX 2.3 JSON text of the inventory, validated with spdx-tools.

    ``created``: ``SOURCE_DATE_EPOCH`` when set, else ``created``, else now (UTC, whole seconds).
    Raises ``ValueError`` for an invalid ``SOURCE_DATE_EPOCH`` and :class:`SpdxValidationError`
    if the document does not validate.
    """
    document = build_document(inv, name=name, version=version, created=created)
    messages = _validate(document)
    if messages:
        first = "; ".join(getattr(m, "validation_message", str(m)) for m in messages[:3])
        raise SpdxValidationError(f"generated SPDX document is not valid ({len(messages)} problems): {first}")
    out = io.StringIO()
    write_document_to_stream(document, out, validate=False, drop_duplicates=False)  # none by construction
    text = out.getvalue()
    return text if text.endswith("\n") else text + "\n"


def render_report(report, options) -> str:
    return render_spdx(report.scan, name=options.name, version=options.version, created=options.timestamp)
