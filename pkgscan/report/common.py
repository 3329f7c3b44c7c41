"""What the report formats share: the reproducible timestamp and the digest of an artifact's content.

Both make SBOMs reproducible: the same input gives the same bytes.
"""
from __future__ import annotations

import hashlib
import os
from datetime import datetime, timezone

from ..model import Inventory

__all__ = ["source_date", "content_digest"]


def source_date(timestamp: datetime | None = None) -> datetime | None:
    """``timestamp`` when given, else ``SOURCE_DATE_EPOCH`` (reproducible builds), else None.

    Raises ValueError when SOURCE_DATE_EPOCH is set but is not a Unix timestamp.
    """
    if timestamp is not None:
        return timestamp
    sde = os.environ.get("SOURCE_DATE_EPOCH")
    if sde:
        try:
            return datetime.fromtimestamp(int(sde), tz=timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"SOURCE_DATE_EPOCH is not a valid Unix timestamp: {sde!r}") from None
    return None


def content_digest(inv: Inventory, *, by_purl: bool = False) -> str:
    """SHA-256 (hex) that stands for the artifact's content: the SHA-256 of the zip when there is one;
    for a directory, a digest of what was found in it (each component's purl and locations).

    It only seeds identifiers, so its one requirement is stability: the same input, the same
    digest.  Two identifiers that were published before this module existed are derived from it
    with different component orders, and each keeps its own so that no SBOM of a directory changes
    its identity: the CycloneDX serial number takes the components in inventory order
    (``by_purl=False``), the SPDX document namespace sorts them by purl (``by_purl=True``).
    """
    if inv.artifact.sha256:
        return inv.artifact.sha256
    components = sorted(inv.components, key=lambda c: c.purl) if by_purl else inv.components
    h = hashlib.sha256()
    for c in components:
        h.update(c.purl.encode("utf-8", "replace"))
        for o in c.occurrences:
            h.update(b"\0" + o.location.encode("utf-8", "replace"))
        h.update(b"\n")
    return h.hexdigest()
