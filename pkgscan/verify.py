"""Does deployed code match the artifact an SBOM describes?

The SBOM's artifact hash is compared first: CycloneDX ``metadata.component.hashes`` (SHA-256),
SPDX the checksum (SHA256) of the package the document DESCRIBES, a pkgscan JSON report its
``artifact.sha256``.  Equal to the deployed code's SHA-256 -> ``match``.  Different -> ``drift``,
with the component differences when an inventory of the deployed code is given.  When either
hash is missing (an SBOM without a root hash, a directory), the components alone decide, and the
reasons say so.

For a Lambda function the deployed code's SHA-256 is ``CodeSha256`` from GetFunction (base64);
:func:`verify_sbom` accepts it as hex or as that base64 string (see :func:`normalize_sha256`).
"""
from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, replace
from typing import Callable, Union

from .diff import DiffResult, InvalidSbomError, Side, diff, load_side, side_from_inventory
from .errors import InputError
from .model import Inventory
from .report.text import single_line

__all__ = ["VerifyResult", "VerifyError", "InvalidSbomError", "verify_sbom", "normalize_sha256", "EXIT_MATCH", "EXIT_DRIFT", "EXIT_ERROR"]

EXIT_MATCH, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2

InventoryArg = Union[Inventory, Callable[[], Inventory], None]


class VerifyError(InputError, ValueError):
    """Verification cannot decide (bad hash argument, nothing to compare).  One-line message."""


@dataclass(frozen=True)
class VerifyResult:
    status: str  # "match" | "drift"
    reasons: tuple[str, ...]
    #: component differences SBOM -> deployed code; None when they were not compared
    component_diff: DiffResult | None = None
    #: "hash" (decided by SHA-256) or "components" (no hash on one side: decided by components)
    method: str = "hash"
    sbom_sha256: tuple[str, ...] = ()
    artifact_sha256: str | None = None
    sbom_format: str = ""

    @property
    def exit_code(self) -> int:
        return EXIT_MATCH if self.status == "match" else EXIT_DRIFT


def normalize_sha256(value: str | bytes | None) -> str | None:
    """Lowercase hex of a SHA-256 given as hex (64 digits), base64 (Lambda's ``CodeSha256``) or
    raw 32 bytes; None for None / "".  Raises :class:`VerifyError` otherwise."""
    if value is None or value == "" or value == b"":
        return None
    if isinstance(value, bytes):
        if len(value) == 32:
            return value.hex()
        value = value.decode("ascii", "replace")
    v = value.strip()
    if len(v) == 64 and all(c in "0123456789abcdefABCDEF" for c in v):
        return v.lower()
    try:
        raw = base64.b64decode(v, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) == 32:
        return raw.hex()
    raise VerifyError(f"artifact SHA-256 {single_line(v)[:80]!r} is neither 64 hex digits nor base64 of 32 bytes")


def _components_summary(d: DiffResult) -> str:
    parts = []
    if d.added:
        parts.append(f"{len(d.added)} added")
    if d.removed:
        parts.append(f"{len(d.removed)} removed")
    if d.changed:
        parts.append(f"{len(d.changed)} changed")
    detail = [f"+{p.name}@{p.version}" for p in d.added[:5]] + [f"-{p.name}@{p.version}" for p in d.removed[:5]]
    detail += [f"{c.name} {','.join(c.old)}->{','.join(c.new)}" for c in d.changed[:5]]
    return ", ".join(parts) + (f" ({'; '.join(detail)})" if detail else "")


def _component_diff(sbom: Side, inventory: Inventory) -> DiffResult:
    # components only: the SBOM's vulnerabilities say nothing about whether the code is the same
    return diff(replace(sbom, vulnerabilities=(), has_vulnerability_data=False), side_from_inventory(inventory))


def verify_sbom(
    sbom_path: str | os.PathLike,
    *,
    artifact_sha256: str | bytes | None,
    inventory: InventoryArg = None,
) -> VerifyResult:
    """Compare the deployed code with the artifact the SBOM at ``sbom_path`` describes.

    ``artifact_sha256``: SHA-256 of the deployed zip (hex, or Lambda's base64 ``CodeSha256``);
    None/"" when unknown (a directory).  ``inventory``: what pkgscan finds in the deployed code, or
    a zero-argument callable returning it; it is only used (called) when the hashes differ or
    cannot be compared, so a caller can defer downloading the code.

    Raises :class:`InvalidSbomError` (a ``ValueError``) for an unreadable / invalid SBOM and
    also a ``ValueError``, when there is nothing to decide with: no hash on one side
    and no inventory.
    """
    sbom = load_side(sbom_path)
    actual = normalize_sha256(artifact_sha256)
    shown = single_line(os.fspath(sbom_path))
    common = dict(sbom_sha256=sbom.sha256, artifact_sha256=actual, sbom_format=sbom.format)

    def get_inventory() -> Inventory | None:
        return inventory() if callable(inventory) else inventory

    if sbom.sha256 and actual:
        if actual in sbom.sha256:
            return VerifyResult("match", (f"SHA-256 {actual} equals the artifact hash in {shown}",), None, "hash", **common)
        reasons = [f"SHA-256 differs: {shown} describes {', '.join(sbom.sha256)}, the deployed code is {actual}"]
        inv = get_inventory()
        d = None
        if inv is not None:
            d = _component_diff(sbom, inv)
            if d.components_differ:
                reasons.append("components differ: " + _components_summary(d))
            else:
                reasons.append(f"same {d.unchanged} components: the code differs outside the package metadata "
                               "(function code, data files, or a rebuilt zip)")
        return VerifyResult("drift", tuple(reasons), d, "hash", **common)

    missing = (f"{shown} has no SHA-256 of the artifact" if not sbom.sha256
               else "the SHA-256 of the deployed code is unknown (a directory)")
    inv = get_inventory()
    if inv is None:
        raise VerifyError(f"{missing}, and no inventory of the deployed code was given to compare components with")
    d = _component_diff(sbom, inv)
    if d.components_differ:
        return VerifyResult("drift", (f"{missing}: compared components only", "components differ: " + _components_summary(d)),
                            d, "components", **common)
    return VerifyResult("match", (f"{missing}: compared components only: the same {d.unchanged} components",),
                        d, "components", **common)
