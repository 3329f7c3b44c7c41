"""What catalogers share: the cataloger interface and the record of one installed package."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..archive import Tree
from ..model import Evidence, LockfileParse


@dataclass(frozen=True)
class Installed:
    """One installed copy of a package, as its own metadata file describes it."""

    ecosystem: str
    name: str  # canonical name (PyPI: PEP 503 normalized; npm: as in package.json)
    version: str
    location: str  # path of the metadata file inside the artifact
    root: str  # directory the package is importable / resolvable from
    licenses: tuple[str, ...] = ()
    description: str = ""
    #: dependency names this copy asks for (already filtered by environment markers)
    requires: tuple[str, ...] = ()
    #: npm: the directory name under node_modules when it differs from the name (an alias)
    alias: str = ""
    hashes: tuple[tuple[str, str], ...] = ()
    #: how it was identified (empty: its own installed metadata, confidence 1)
    evidence: tuple[Evidence, ...] = ()
    #: extra facts for the SBOM, (name, value)
    properties: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Lockfile:
    """A parsed lockfile / manifest and where it sits."""

    path: str
    directory: str  # the project directory the lockfile describes
    ecosystem: str
    kind: str  # "package-lock", "hidden-lockfile", "yarn", "pnpm", "bun", "requirements", ...
    complete: bool  # a full lock (every installed package should be in it) vs a list of direct deps
    parse: LockfileParse


@dataclass
class CatalogResult:
    installed: list[Installed] = field(default_factory=list)
    lockfiles: list[Lockfile] = field(default_factory=list)
    #: symbol tables of compiled programs (model.BinarySymbols)
    binaries: list = field(default_factory=list)
    #: files only partly made of identified packages (a bundle): path -> (bytes attributed to
    #: packages, bytes of the artifact's own code, file size); read by the coverage figures
    attributed: dict = field(default_factory=dict)
    #: nested archives opened and catalogued: path -> coverage figures of their members
    nested_files: dict = field(default_factory=dict)


class Cataloger(Protocol):
    """Declares the paths it needs before anything is read, then reads only those.

    ``names`` (exact base names) and ``suffixes`` (lower-case endings) say which paths may interest
    it; ``wants`` decides on each of those.  ``any_path = True`` offers it every path (for files with
    no telling name, such as executables).
    """

    name: str
    names: frozenset[str]
    suffixes: tuple[str, ...]

    def wants(self, path: str, basename: str) -> bool: ...

    def catalog(self, tree: Tree, paths: list[str], result: CatalogResult) -> None: ...


class Offers:
    """Which catalogers are offered a path, from the path alone: those that take every path
    (``any_path``), those naming its base name (``names``), those with one of its lower-case endings
    (``suffixes``).  A few lookups per path rather than one test per cataloger; used by the catalog
    pass and by the image layer passes (which must keep exactly what the catalog pass will ask for)."""

    def __init__(self, catalogers) -> None:
        self.catalogers = tuple(catalogers)
        self.wants = [c.wants for c in self.catalogers]
        self.any_path = [bool(getattr(c, "any_path", False)) for c in self.catalogers]
        self._by_name: dict[str, list[int]] = {}
        for i, c in enumerate(self.catalogers):
            for n in getattr(c, "names", ()):
                self._by_name.setdefault(n, []).append(i)
        self._with_suffix = [(i, tuple(c.suffixes)) for i, c in enumerate(self.catalogers)
                             if getattr(c, "suffixes", ())]
        self._all_suffixes = tuple({s for _, ss in self._with_suffix for s in ss})
        self._always = [i for i, e in enumerate(self.any_path) if e]
        self._memo: dict[str, list[int]] = {}  # base name -> offer (base names repeat: __init__.py)

    def __call__(self, path: str) -> tuple[str, list[int]]:
        """(the path's base name, the indices of the catalogers offered it, in order)."""
        base = path[path.rfind("/") + 1:]
        offer = self._memo.get(base)
        if offer is None:
            low = base.lower()
            offer = self._always
            if base in self._by_name or low.endswith(self._all_suffixes):
                offer = sorted(set(self._always).union(self._by_name.get(base, ()),
                                                       (i for i, ss in self._with_suffix if low.endswith(ss))))
            if len(self._memo) >= 8192:
                self._memo.clear()
            self._memo[base] = offer
        return base, offer


def dirname(path: str) -> str:
    i = path.rfind("/")
    return path[:i] if i >= 0 else ""


def decode_text(data: bytes) -> str:
    """Bytes to text, never an error: a UTF-8 BOM is dropped, a UTF-32 / UTF-16 BOM decodes as
    that encoding, anything else is UTF-8; invalid bytes become replacement characters.

    The one decoder of metadata, manifests and lockfiles (pip reads UTF-16 requirements files
    that Windows editors write; npm and Python tools write UTF-8)."""
    data = bytes(data)
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return data.decode("utf-32", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8", "replace")


def scrub(text: str) -> str:
    """Replace lone surrogates (JSON can carry "\\ud800") so the text can always be encoded."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
