"""What a diff is made of: the two sides (what each document says) and the changes between them."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError
from ..vulns.model import rating_rank

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
