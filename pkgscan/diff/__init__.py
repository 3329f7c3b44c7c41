"""Compare two SBOMs / scan reports: components added, removed and changed, vulnerabilities
introduced and fixed.

Either side is one of

- a CycloneDX JSON SBOM (pkgscan's or another tool's): ``components`` (nested ones too) with purl,
  or name/group/version; optional ``vulnerabilities`` whose ``affects[].ref`` point at components'
  bom-refs (or are purls themselves),
- an SPDX 2.x JSON document: packages with a purl external reference (or name/version); the
  packages the document DESCRIBES are the artifact, not components,
- a pkgscan JSON report (``pkgscan/report/v1``): ``components`` and ``findings``.

Components are identified by ecosystem (the purl type) and name, normalized as
:mod:`pkgscan.ecosystems` says for the ecosystems pkgscan registers (PyPI: PEP 503; NuGet:
case-insensitive); a type nobody registered (``pkg:deb`` in another tool's SBOM) is compared as
written; a
component whose versions differ between the sides is *changed*.  Vulnerabilities are compared per
package (ecosystem + name), by identifier with aliases: two entries that share any identifier
(``GHSA-…`` in one, its ``CVE-…`` alias in the other) are the same vulnerability.

Everything read from the files is neutralized (control and bidi characters made visible) on
load, so every rendering is safe to print.  ``render_json`` writes the ``pkgscan/diff/v1`` shape
described in ``docs/release-artifacts.md``.

The package: :mod:`.model` (sides and changes), :mod:`.readers` (documents to sides),
:mod:`.compute` (the comparison and :func:`gate`), :mod:`.render` (JSON, text, Markdown).
"""
from __future__ import annotations

from .compute import diff, gate
from .model import (
    DIFF_SCHEMA,
    FAIL_ON_NEW_CHOICES,
    MAX_SBOM_BYTES,
    ComponentChange,
    DiffResult,
    InvalidSbomError,
    Side,
    SidePackage,
    SideVulnerability,
    VulnerabilityChange,
)
from .readers import load_side, parse_side, side_from_inventory, side_from_result
from .render import build_json, render_json, render_markdown, render_text

__all__ = [
    "DIFF_SCHEMA", "InvalidSbomError", "SidePackage", "SideVulnerability", "Side", "ComponentChange",
    "VulnerabilityChange", "DiffResult", "load_side", "parse_side", "side_from_inventory", "side_from_result",
    "diff", "render_text", "render_json", "render_markdown", "gate", "FAIL_ON_NEW_CHOICES",
    "MAX_SBOM_BYTES", "build_json",
]
