"""The inventory model: what a scan found in one artifact.

Every type here is a frozen dataclass so that results can be shared between threads, cached and
compared.  Modules further down the pipeline (vulnerability matching, reports) read these types
and never the catalogers' internals.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .ecosystems import NPM, PYPI  # noqa: F401 (re-exported: the ecosystem keys)


@dataclass(frozen=True)
class Notice:
    """Something a scan noticed about the input: a skipped entry, malformed metadata, a limit hit.

    ``suspicious`` marks what looks like an attack (path traversal, symlinks, bombs) rather than
    mere damage.
    """

    code: str
    path: str
    message: str
    suspicious: bool = False


@dataclass(frozen=True)
class LockedPackage:
    """One package as a lockfile or manifest declares it (not necessarily installed)."""

    name: str
    version: str
    ecosystem: str
    dev: bool = False
    optional: bool = False
    #: npm lockfile v2/v3 install location relative to the lockfile ("node_modules/a/node_modules/b")
    install_path: str = ""
    #: how the package is sourced: "registry", "git", "file", "link", "url", "directory", "editable"
    source: str = "registry"
    #: names this entry depends on (lockfile relations), as written in the lockfile
    dependencies: tuple[str, ...] = ()
    #: 1-based line of the entry in the file, 0 when unknown
    line: int = 0


@dataclass(frozen=True)
class LockfileParse:
    """The result of parsing one lockfile / manifest: entries plus per-file warnings."""

    packages: tuple[LockedPackage, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Occurrence:
    """One place a component is installed, by the path of its metadata file inside the artifact."""

    location: str
    #: the directory packages are importable / resolvable from ("python/lib/python3.12/site-packages",
    #: "nodejs/node_modules", "" for the function root)
    root: str = ""


@dataclass(frozen=True)
class Evidence:
    """How a component was identified: one technique, one place, one confidence.

    ``technique`` uses CycloneDX's identity techniques ("manifest-analysis", "source-code-analysis",
    "binary-analysis", "filename", "hash-comparison", "other", ...); ``confidence`` is 0..1.
    """

    technique: str
    confidence: float
    location: str = ""
    #: what exactly was read ("pom.properties", "esbuild path comment", "file name")
    detail: str = ""


@dataclass(frozen=True)
class Component:
    """One distinct package@version that is installed in the artifact."""

    ecosystem: str
    name: str
    version: str
    purl: str
    licenses: tuple[str, ...] = ()
    occurrences: tuple[Occurrence, ...] = ()
    description: str = ""
    #: lockfiles that declare this package@version (paths inside the artifact)
    declared_in: tuple[str, ...] = ()
    #: True when a lockfile sits beside the install root but does not list this package
    missing_from_lockfile: bool = False
    #: hashes of the metadata file as recorded by the installer ("sha256" -> hex), when known
    hashes: tuple[tuple[str, str], ...] = ()
    #: how it was identified; empty = its installed metadata (manifest-analysis, confidence 1)
    evidence: tuple[Evidence, ...] = ()
    #: extra facts as (name, value) pairs, emitted as SBOM properties ("pkgscan:vendored-by", ...)
    properties: tuple[tuple[str, str], ...] = ()

    @property
    def confidence(self) -> float:
        """The best confidence of its evidence (1.0 for installed metadata)."""
        return max((e.confidence for e in self.evidence), default=1.0)

    @property
    def key(self) -> str:
        """Stable identity, used as the CycloneDX bom-ref."""
        return self.purl


@dataclass(frozen=True)
class DeclaredOnly:
    """A lockfile entry that is not installed in the artifact (not a deployed component)."""

    ecosystem: str
    name: str
    version: str
    lockfile: str
    dev: bool = False
    optional: bool = False


@dataclass(frozen=True)
class Artifact:
    """The scanned thing itself."""

    name: str
    path: str
    kind: str  # "zip" | "directory"
    layout: str  # "function" | "layer"
    sha256: str = ""  # of the zip file; "" for a directory
    size: int = 0
    entries: int = 0


@dataclass(frozen=True)
class BinarySymbols:
    """The functions a compiled program contains, per package: what vulnerability reachability
    labels are decided from (Go: the ELF symbol table and the runtime's function table)."""

    location: str  # path of the binary inside the artifact
    #: where the names came from ("symtab", "pclntab", "symtab+pclntab"); "" when none could be read
    source: str = ""
    #: function names as the linker writes them ("net/http.(*Server).Serve"), sorted and unique
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Inventory:
    artifact: Artifact
    components: tuple[Component, ...] = ()
    #: dependency edges, (from purl, to purl)
    dependencies: tuple[tuple[str, str], ...] = ()
    declared_only: tuple[DeclaredOnly, ...] = ()
    lockfiles: tuple[str, ...] = ()
    notices: tuple[Notice, ...] = field(default=())
    #: compiled programs' symbol tables (Go binaries), for reachability labels; not compared
    binaries: tuple[BinarySymbols, ...] = field(default=(), compare=False, repr=False)

    @property
    def suspicious(self) -> bool:
        return any(n.suspicious for n in self.notices)

    def component(self, ecosystem: str, name: str, version: str | None = None) -> Component | None:
        for c in self.components:
            if c.ecosystem == ecosystem and c.name == name and (version is None or c.version == version):
                return c
        return None
