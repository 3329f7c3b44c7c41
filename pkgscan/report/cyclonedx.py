"""CycloneDX SBOM of an inventory, built with cyclonedx-python-lib.

Deterministic for the same input: components and dependencies are sorted by the library, the
serial number is derived from the artifact's content unless given, and the timestamp comes from
``SOURCE_DATE_EPOCH`` (or the caller) when set.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache

try:
    from cyclonedx.contrib.license.factories import LicenseFactory
except ImportError:  # cyclonedx-python-lib < 11.6
    from cyclonedx.factory.license import LicenseFactory  # type: ignore[no-redef]
from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.bom_ref import BomRef
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentType
from cyclonedx.model.component_evidence import (AnalysisTechnique, ComponentEvidence, Identity, IdentityField, Method,
                                                Occurrence)
from cyclonedx.model.dependency import Dependency
from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from packageurl import PackageURL

from .. import __version__
from ..ecosystems import MAVEN
from ..model import NPM, Inventory
from .common import content_digest, source_date  # noqa: F401  (source_date re-exported for json_report)
from .text import neutralize

SPEC_VERSIONS = {"1.4": SchemaVersion.V1_4, "1.5": SchemaVersion.V1_5, "1.6": SchemaVersion.V1_6}
FORMATS = {"cyclonedx-json": OutputFormat.JSON, "cyclonedx-xml": OutputFormat.XML}
ROOT_REF = "pkgscan-artifact"
_SERIAL_NS = uuid.UUID("6f0d5f8e-2f44-4b8c-9a53-0c7c1a4c5b10")
_license_factory = LicenseFactory()


def clean(text: str) -> str:
    """Neutralize control and bidi characters (terminal escapes, XML-illegal bytes) in package data."""
    return neutralize(text)


@lru_cache(maxsize=4096)
def _license(value: str):
    """SPDX id, SPDX expression or plain name (the factory's parse is costly: cached per string)."""
    try:
        return _license_factory.make_from_string(clean(value))
    except Exception:  # a value the factory rejects is kept as a plain name
        return DisjunctiveLicense(name=clean(value))


def _licenses(values: tuple[str, ...]):
    """CycloneDX allows one expression or a list of licenses, never both: a package that declares an
    expression beside other licenses ("MIT OR ISC" and "MIT") gets them all as named licenses."""
    made = [_license(v) for v in values]
    if len(set(made)) > 1 and any(isinstance(m, LicenseExpression) for m in made):
        return [DisjunctiveLicense(name=clean(v)) for v in dict.fromkeys(values) if clean(v)]
    return made


def _occurrences(c) -> list[Occurrence]:
    """Evidence occurrences with stable bom-refs: the library orders occurrences by bom-ref first,
    and a generated (random) one would make the output differ from run to run."""
    locs = sorted({clean(o.location) for o in c.occurrences})
    return [Occurrence(location=loc, bom_ref=f"{c.purl}#occurrence-{n}") for n, loc in enumerate(locs, 1)]


_TECHNIQUES = frozenset(t.value for t in AnalysisTechnique)


def _identity(c) -> list[Identity] | None:
    """CycloneDX 1.5+ ``evidence.identity``: how the package URL was established, with what confidence.
    Components identified from their installed metadata carry no explicit evidence (confidence 1)."""
    if not c.evidence:
        return None
    methods = [Method(technique=AnalysisTechnique(e.technique) if e.technique in _TECHNIQUES else AnalysisTechnique.OTHER,
                      confidence=Decimal(str(round(e.confidence, 2))),
                      value=clean(f"{e.location}: {e.detail}" if e.detail and e.location else e.location or e.detail) or None)
               for e in c.evidence]
    return [Identity(field=IdentityField.PURL, confidence=Decimal(str(round(c.confidence, 2))), methods=methods)]


def build_bom(
    inv: Inventory,
    *,
    name: str | None = None,
    version: str | None = None,
    timestamp: datetime | None = None,
    serial_number: uuid.UUID | None = None,
) -> Bom:
    art = inv.artifact
    root = CdxComponent(
        type=ComponentType.APPLICATION if art.layout == "function" else ComponentType.LIBRARY,
        name=clean(name or art.name),
        version=clean(version) if version else None,
        bom_ref=ROOT_REF,
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=art.sha256)] if art.sha256 else None,
        properties=[
            Property(name="pkgscan:layout", value=art.layout),
            Property(name="pkgscan:artifact-kind", value=art.kind),
        ],
    )
    ts = source_date(timestamp) or datetime.now(tz=timezone.utc).replace(microsecond=0)
    serial = serial_number or uuid.uuid5(_SERIAL_NS, content_digest(inv) + "|" + (name or art.name) + "|" + (version or ""))
    bom = Bom(serial_number=serial)
    bom.metadata.timestamp = ts
    bom.metadata.component = root
    bom.metadata.tools.components.add(
        CdxComponent(type=ComponentType.APPLICATION, name="pkgscan", version=__version__, group=None)
    )
    props = [Property(name="pkgscan:notices", value=str(len(inv.notices)))]
    if inv.coverage is not None:
        cov = inv.coverage
        props += [Property(name="pkgscan:coverage", value=cov.status),
                  Property(name="pkgscan:coverage:attributed-fraction", value=f"{cov.fraction:.4f}")]
        props += [Property(name=f"pkgscan:coverage:{k.kind}",
                           value=f"files={k.files} bytes={k.bytes} attributed_files={k.attributed_files} "
                                 f"attributed_bytes={k.attributed_bytes} unattributed_bytes={k.unattributed_bytes}")
                  for k in cov.kinds]
        props += [Property(name="pkgscan:coverage:not-attributed", value=clean(f"{p} ({k}, {n} bytes)"))
                  for p, k, n in cov.not_attributed]
    if inv.suspicious:
        props.append(Property(name="pkgscan:suspicious", value="true"))
    for d in inv.declared_only:
        props.append(Property(name="pkgscan:declared-not-installed", value=clean(f"{d.name}@{d.version or '*'} ({d.lockfile})")))
    bom.metadata.properties.update(props)

    children = {}
    for c in inv.components:
        group, short = None, c.name
        if c.ecosystem == NPM and c.name.startswith("@") and "/" in c.name:
            group, short = c.name.split("/", 1)
        elif c.ecosystem == MAVEN and ":" in c.name:
            group, short = c.name.split(":", 1)
        properties = [Property(name="pkgscan:declared-in", value=clean(p)) for p in c.declared_in]
        if c.missing_from_lockfile:
            properties.append(Property(name="pkgscan:missing-from-lockfile", value="true"))
        properties += [Property(name=clean(k), value=clean(v)) for k, v in c.properties]
        comp = CdxComponent(
            type=ComponentType.LIBRARY,
            name=clean(short),
            group=clean(group) if group else None,
            version=clean(c.version) or None,
            purl=PackageURL.from_string(c.purl),
            bom_ref=c.purl,
            description=clean(c.description) or None,
            licenses=_licenses(c.licenses),
            evidence=ComponentEvidence(identity=_identity(c), occurrences=_occurrences(c)),
            properties=properties,
        )
        bom.components.add(comp)
        children[c.purl] = comp

    deps: dict[str, set[str]] = {p: set() for p in children}
    has_parent: set[str] = set()
    for src, dst in inv.dependencies:
        deps[src].add(dst)
        has_parent.add(dst)
    top = sorted(p for p in children if p not in has_parent)
    bom.dependencies.add(Dependency(ref=root.bom_ref, dependencies=[Dependency(ref=BomRef(p)) for p in top]))
    for p, targets in deps.items():
        bom.dependencies.add(Dependency(ref=BomRef(p), dependencies=[Dependency(ref=BomRef(t)) for t in sorted(targets)]))
    return bom


def serialize(bom: Bom, fmt: str = "cyclonedx-json", spec_version: str = "1.6", validate: bool = False) -> str:
    try:
        schema = SPEC_VERSIONS[spec_version]
        ofmt = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unsupported SBOM format {fmt} / spec version {spec_version}") from None
    text = make_outputter(bom, ofmt, schema).output_as_string(indent=2)
    if validate:  # costs ~1 s of imports (the schema validator's format checkers): opt-in
        from pkgscan.report.sbom_schema import validate as validate_text

        error = validate_text(text, fmt, spec_version)
        if error is not None:
            raise RuntimeError(f"generated SBOM is not valid CycloneDX {spec_version}: {error}")
    return text if text.endswith("\n") else text + "\n"
