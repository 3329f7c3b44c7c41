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
class CoverageKind:
    """How much of one kind of file (python, javascript, native, other) identified packages explain."""

    kind: str
    files: int = 0
    bytes: int = 0
    #: files / bytes that belong to an identified package (a bundle's attributed modules by bytes)
    attributed_files: int = 0
    attributed_bytes: int = 0
    #: bytes that look like third-party code (installed trees, bundles, native libraries); the
    #: artifact's own handler code and plain data do not count
    third_party_bytes: int = 0
    #: of those, the bytes no identified package accounts for
    unattributed_bytes: int = 0


@dataclass(frozen=True)
class Coverage:
    """What share of an artifact's code the inventory explains; ``partial`` = mostly not understood."""

    status: str  # "complete" | "partial"
    kinds: tuple[CoverageKind, ...] = ()
    #: the largest stretches of third-party-looking code not attributed: (path or directory/, kind, bytes)
    not_attributed: tuple[tuple[str, str, int], ...] = ()

    @property
    def third_party_bytes(self) -> int:
        return sum(k.third_party_bytes for k in self.kinds)

    @property
    def unattributed_bytes(self) -> int:
        return sum(k.unattributed_bytes for k in self.kinds)

    @property
    def fraction(self) -> float:
        """Attributed share of the third-party-looking bytes (1.0 when there are none)."""
        total = self.third_party_bytes
        return 1.0 if not total else round((total - self.unattributed_bytes) / total, 4)

    def summary(self) -> str:
        """'partial: 412 KB of JavaScript not attributed' / 'complete: 100% of third-party code attributed'."""
        if self.status != "partial":
            return f"complete: {self.fraction:.0%} of third-party-looking code attributed"
        parts = [f"{_kb(k.unattributed_bytes)} of {_KIND_LABEL.get(k.kind, k.kind)}"
                 for k in sorted(self.kinds, key=lambda k: -k.unattributed_bytes) if k.unattributed_bytes]
        return "partial: " + ", ".join(parts) + " not attributed"

    def to_dict(self) -> dict:
        """Plain JSON: the JSON report, the code cache, live results."""
        return {
            "status": self.status,
            "attributed_fraction": self.fraction,
            "summary": self.summary(),
            "kinds": {k.kind: {"files": k.files, "bytes": k.bytes, "attributed_files": k.attributed_files,
                               "attributed_bytes": k.attributed_bytes, "third_party_bytes": k.third_party_bytes,
                               "unattributed_bytes": k.unattributed_bytes} for k in self.kinds},
            "not_attributed": [{"path": p, "kind": k, "bytes": n} for p, k, n in self.not_attributed],
        }

    @staticmethod
    def from_dict(d: dict) -> "Coverage":
        return Coverage(
            status=d["status"],
            kinds=tuple(CoverageKind(kind, int(v["files"]), int(v["bytes"]), int(v["attributed_files"]),
                                     int(v["attributed_bytes"]), int(v["third_party_bytes"]), int(v["unattributed_bytes"]))
                        for kind, v in d["kinds"].items()),
            not_attributed=tuple((x["path"], x["kind"], int(x["bytes"])) for x in d["not_attributed"]),
        )


_KIND_LABEL = {"python": "Python", "javascript": "JavaScript", "native": "native code", "other": "other files"}


def _kb(n: int) -> str:
    return f"{n / 1048576:.1f} MB" if n >= 10 * 1048576 else f"{max(1, round(n / 1024))} KB"


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
    #: how much of the artifact's code the components explain (None: not measured)
    coverage: Coverage | None = None

    @property
    def suspicious(self) -> bool:
        return any(n.suspicious for n in self.notices)

    def component(self, ecosystem: str, name: str, version: str | None = None) -> Component | None:
        for c in self.components:
            if c.ecosystem == ecosystem and c.name == name and (version is None or c.version == version):
                return c
        return None
