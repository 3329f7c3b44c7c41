"""Turn what the catalogers found into the Inventory: components, graph, lockfile reconciliation.

Installed metadata says what is deployed; lockfiles say what was intended.  A lockfile entry that
is not installed (an optional platform package, a dev dependency, a stale lock) is reported as
declared-only and is not a component.  An installed package that a complete lockfile beside it
does not list is flagged ``missing_from_lockfile``.  A requirements file lists only what someone
chose to write down, so it declares but never flags.
"""
from __future__ import annotations

from collections import defaultdict

from .. import ecosystems
from ..ecosystems import GOLANG
from ..model import NPM, Artifact, Component, DeclaredOnly, Inventory, Notice, Occurrence
from .base import CatalogResult, Installed, Lockfile, dirname, scrub


def make_purl(ecosystem: str, name: str, version: str) -> str:
    """The package URL (never raises); an unknown ecosystem raises UnknownEcosystem."""
    return ecosystems.get(ecosystem).make_purl(name, version)


def _installed_purl(c: Installed) -> str:
    arch = dict(c.properties).get("pkgscan:rpm:arch", "") if c.ecosystem == ecosystems.RPM else ""
    return ecosystems.rpm_purl(c.name, c.version, arch) if arch else make_purl(c.ecosystem, c.name, c.version)


def same_version(ecosystem: str, a: str, b: str) -> bool:
    """Equal versions as the ecosystem means it (PEP 440: "2018.04.16" == "2018.4.16")."""
    return ecosystems.get(ecosystem).same_version(a, b)


def _norm(ecosystem: str, name: str) -> str:
    return ecosystems.get(ecosystem).normalize(name)


def _under(root: str, directory: str) -> bool:
    return not directory or root == directory or root.startswith(directory + "/")


def _package_dir(inst: Installed) -> str:
    return dirname(inst.location)


class _Reconciler:
    def __init__(self, installed: list[Installed]):
        self.installed = installed
        self.declared_in: dict[int, set[str]] = defaultdict(set)  # id(copy) -> lockfiles
        self.missing: set[int] = set()
        self.declared_only: list[DeclaredOnly] = []

    def run(self, lockfiles: list[Lockfile]) -> None:
        for lock in lockfiles:
            copies = [c for c in self.installed if c.ecosystem == lock.ecosystem and self._in_scope(c, lock)]
            matched: set[int] = set()
            by_dir = {_package_dir(c): c for c in copies}
            by_name: dict[str, list[Installed]] = defaultdict(list)
            for c in copies:
                by_name[_norm(c.ecosystem, c.name)].append(c)  # NuGet names are case-insensitive
            prefix = lock.directory + "/" if lock.directory else ""
            for entry in lock.parse.packages:
                if entry.source in ("link", "workspace"):
                    continue
                name = _norm(lock.ecosystem, entry.name)
                hits: list[Installed]
                if entry.install_path and lock.ecosystem == NPM:
                    c = by_dir.get(prefix + entry.install_path)
                    hits = [c] if c is not None and c.name == name and (not entry.version or same_version(lock.ecosystem, c.version, entry.version)) else []
                elif entry.version:
                    hits = [c for c in by_name.get(name, ()) if same_version(lock.ecosystem, c.version, entry.version)]
                else:
                    hits = list(by_name.get(name, ()))
                if hits:
                    for c in hits:
                        matched.add(id(c))
                        self.declared_in[id(c)].add(lock.path)
                else:
                    self.declared_only.append(
                        DeclaredOnly(lock.ecosystem, scrub(name), scrub(entry.version), lock.path, entry.dev, entry.optional)
                    )
            if lock.complete:
                for c in copies:
                    if id(c) not in matched and not _never_locked(c):
                        self.missing.add(id(c))

    @staticmethod
    def _in_scope(c: Installed, lock: Lockfile) -> bool:
        if lock.ecosystem == NPM:
            nm = (lock.directory + "/node_modules") if lock.directory else "node_modules"
            return c.root == nm or c.root.startswith(nm + "/")
        return _under(c.root, lock.directory)


def _never_locked(c: Installed) -> bool:
    """A .NET runtime pack (self-contained publish) comes with the SDK, never from packages.lock.json."""
    return ("pkgscan:nuget:type", "runtimepack") in c.properties


def _node_resolve(pkg_dir: str, dep: str, by_dir: dict[str, Installed]) -> Installed | None:
    """Node's module resolution: <ancestor>/node_modules/<dep>, from the package outwards."""
    parts = pkg_dir.split("/") if pkg_dir else []
    for i in range(len(parts), -1, -1):
        if i and parts[i - 1] == "node_modules":
            continue
        base = "/".join(parts[:i])
        hit = by_dir.get(f"{base}/node_modules/{dep}" if base else f"node_modules/{dep}")
        if hit is not None:
            return hit
    return None


def _edges(installed: list[Installed], purl_of: dict[int, str]) -> set[tuple[str, str]]:
    edges: set[tuple[str, str]] = set()
    node_by_dir = {_package_dir(c): c for c in installed if c.ecosystem == NPM}
    # every other ecosystem resolves a dependency by (normalized) name: same root first, then anywhere
    by_root: dict[tuple[str, str, str], Installed] = {}
    by_name: dict[tuple[str, str], Installed] = {}
    go_by_binary = {(c.root, c.name): c for c in installed if c.ecosystem == GOLANG}
    for c in installed:
        if c.ecosystem != NPM:
            n = _norm(c.ecosystem, c.name)
            by_root.setdefault((c.ecosystem, c.root, n), c)
            by_name.setdefault((c.ecosystem, n), c)
    for c in installed:
        src = purl_of[id(c)]
        for dep in c.requires:
            if c.ecosystem == NPM:
                hit = _node_resolve(_package_dir(c), dep, node_by_dir)
            elif c.ecosystem == GOLANG:  # a Go program's modules: the same binary
                hit = go_by_binary.get((c.root, dep))
            else:
                d = _norm(c.ecosystem, dep)
                hit = by_root.get((c.ecosystem, c.root, d)) or by_name.get((c.ecosystem, d))
            if hit is not None and hit is not c:
                dst = purl_of[id(hit)]
                if dst != src:
                    edges.add((src, dst))
    for c in installed:  # a vendored copy: an edge from the package that vendors it
        for k, v in c.properties:
            if k == "pkgscan:vendored-by":
                hit = by_name.get((c.ecosystem, _norm(c.ecosystem, v)))
                if hit is not None and hit is not c and purl_of[id(hit)] != purl_of[id(c)]:
                    edges.add((purl_of[id(hit)], purl_of[id(c)]))
    return edges


def assemble(result: CatalogResult, artifact: Artifact, notices: list[Notice]) -> Inventory:
    installed = sorted(result.installed, key=lambda c: (c.ecosystem, c.name, c.version, c.location))
    rec = _Reconciler(installed)
    rec.run(sorted(result.lockfiles, key=lambda lf: lf.path))

    purl_of = {id(c): _installed_purl(c) for c in installed}
    groups: dict[str, list[Installed]] = defaultdict(list)
    for c in installed:
        groups[purl_of[id(c)]].append(c)
    components = []
    for purl, copies in groups.items():
        first = copies[0]
        licenses: list[str] = []
        for c in copies:
            licenses.extend(x for x in c.licenses if x not in licenses)
        declared = sorted({p for c in copies for p in rec.declared_in.get(id(c), ())})
        evidence = tuple(dict.fromkeys(e for c in copies for e in c.evidence))
        properties = tuple(sorted({p for c in copies for p in c.properties}))
        components.append(
            Component(
                ecosystem=first.ecosystem,
                name=first.name,
                version=first.version,
                purl=purl,
                licenses=tuple(licenses),
                occurrences=tuple(Occurrence(c.location, c.root) for c in copies),
                description=first.description,
                declared_in=tuple(declared),
                missing_from_lockfile=any(id(c) in rec.missing for c in copies),
                evidence=evidence,
                properties=properties,
            )
        )
    components.sort(key=lambda c: (c.ecosystem, c.name, c.version, c.purl))
    declared_only = sorted(set(rec.declared_only), key=lambda d: (d.lockfile, d.ecosystem, d.name, d.version))
    return Inventory(
        artifact=artifact,
        components=tuple(components),
        dependencies=tuple(sorted(_edges(installed, purl_of))),
        declared_only=tuple(declared_only),
        lockfiles=tuple(sorted(lf.path for lf in result.lockfiles)),
        notices=tuple(notices),
        binaries=tuple(sorted(result.binaries, key=lambda b: b.location)),
    )
