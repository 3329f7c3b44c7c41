"""``uv.lock``.

Every ``[[package]]`` is a locked package except ``source = { virtual = ... }`` entries (a project
that is never built or installed; typically the workspace root).  Editable roots are reported with
source ``editable``.

Dev and optional status is computed, not read: uv records groups only on the project (root)
entries, so the parser walks the dependency graph from every root --

* reachable through ``dependencies`` (with the extras those edges activate): production;
* otherwise reachable only through a root's ``[package.dev-dependencies]`` (PEP 735 groups,
  ``dev`` by default): ``dev``;
* otherwise reachable only through a root's ``[package.optional-dependencies]`` (extras):
  ``optional``  (both when reachable only through both kinds);
* not reachable from any root (no root in the file, or a stray entry): production, the
  conservative answer.

Roots are the ``virtual``/``editable`` entries that no other entry depends on (all of them when
that leaves none).  ``dependencies`` lists the names of regular dependencies plus those of the
extras some edge in the lock activates, and for roots also their dev and optional dependencies.
"""
from __future__ import annotations

from collections import deque
from typing import Any

from ...model import PYPI, LockedPackage, LockfileParse
from . import LockfileError, Warnings, describe, guarded, valid_name
from .toml_common import load_toml, merge_duplicates, package_tables, safe_canonical

__all__ = ["parse", "LockfileError"]

_ARCHIVE_EXTS = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".tar")


class _Edge:
    __slots__ = ("name", "canon", "version", "extras")

    def __init__(self, name: str, version: str, extras: tuple[str, ...]):
        self.name = name
        self.canon = safe_canonical(name)
        self.version = version
        self.extras = extras


class _Entry:
    __slots__ = ("index", "name", "canon", "version", "source", "virtual", "deps", "optional_deps",
                 "dev_deps", "line")

    def __init__(self, index: int, name: str, version: str, source: str, virtual: bool, line: int):
        self.index = index
        self.name = name
        self.canon = safe_canonical(name)
        self.version = version
        self.source = source
        self.virtual = virtual
        self.deps: list[_Edge] = []
        self.optional_deps: dict[str, list[_Edge]] = {}
        self.dev_deps: dict[str, list[_Edge]] = {}
        self.line = line


def _edges(value: Any, where: str, warnings: Warnings) -> list[_Edge]:
    out: list[_Edge] = []
    if value is None:
        return out
    if not isinstance(value, list):
        warnings.add(f"{where}: dependency list is {describe(value)}; ignored")
        return out
    for item in value:
        if not isinstance(item, dict) or not valid_name(item.get("name")):
            warnings.add(f"{where}: bad dependency {describe(item)}; ignored")
            continue
        version = item.get("version")
        extras = item.get("extra")
        if not isinstance(extras, list):
            extras = []
        out.append(_Edge(
            item["name"].strip(),
            version if isinstance(version, str) else "",
            tuple(safe_canonical(e) for e in extras if isinstance(e, str)),
        ))
    return out


def _edge_groups(value: Any, where: str, warnings: Warnings) -> dict[str, list[_Edge]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        warnings.add(f"{where}: {describe(value)} is not a table; ignored")
        return {}
    return {
        safe_canonical(str(group)): _edges(deps, f"{where}.{group}", warnings)
        for group, deps in value.items()
    }


def _source(src: Any) -> tuple[str, bool]:
    """(pkgscan source, is virtual) from a uv ``source`` table."""
    if not isinstance(src, dict):
        return "registry", False
    if "virtual" in src:
        return "directory", True
    if "editable" in src:
        return "editable", False
    if "git" in src:
        return "git", False
    if "directory" in src:
        return "directory", False
    if "path" in src:
        path = src.get("path")
        if isinstance(path, str) and path.lower().endswith(_ARCHIVE_EXTS):
            return "file", False
        return "directory", False
    if "url" in src:
        return "url", False
    return "registry", False


@guarded
def parse(data: bytes, path: str) -> LockfileParse:
    doc, text = load_toml(data, path)
    warnings = Warnings()
    tables, _locked = package_tables(doc, text, "package", path, warnings)

    entries: list[_Entry] = []
    for index, t in enumerate(tables):
        item, name = t.entry, t.name
        source, virtual = _source(item.get("source"))
        entry = _Entry(index, name, t.version, source, virtual, t.line)
        where = f"{path}: {name}"
        entry.deps = _edges(item.get("dependencies"), f"{where} dependencies", warnings)
        entry.optional_deps = _edge_groups(item.get("optional-dependencies"),
                                           f"{where} optional-dependencies", warnings)
        entry.dev_deps = _edge_groups(item.get("dev-dependencies"), f"{where} dev-dependencies",
                                      warnings)
        entries.append(entry)

    by_name: dict[str, list[_Entry]] = {}
    for e in entries:
        by_name.setdefault(e.canon, []).append(e)

    def targets(edge: _Edge) -> list[_Entry]:
        found = by_name.get(edge.canon, [])
        if edge.version and len(found) > 1:
            exact = [t for t in found if t.version == edge.version]
            return exact or found
        return found

    # roots: project entries (virtual / editable) that nothing else depends on
    depended: set[int] = set()
    for e in entries:
        for edge in _all_edges(e):
            for t in targets(edge):
                if t is not e:
                    depended.add(t.index)
    projects = [e for e in entries if e.virtual or e.source == "editable"]
    roots = [e for e in projects if e.index not in depended] or projects

    activated: dict[int, set[str]] = {e.index: set() for e in entries}

    def walk(starts: list[tuple[_Entry, list[_Edge]]]) -> set[int]:
        """Indexes reachable from the given edges, following activated extras."""
        seen: set[tuple[int, str]] = set()
        queue: deque[tuple[_Entry, str]] = deque()

        def push(edge: _Edge) -> None:
            for t in targets(edge):
                for key in ("",) + edge.extras:
                    if (t.index, key) not in seen:
                        seen.add((t.index, key))
                        queue.append((t, key))

        for _root, edges in starts:
            for edge in edges:
                push(edge)
        while queue:
            node, extra = queue.popleft()
            if extra:
                activated[node.index].add(extra)
                for edge in node.optional_deps.get(extra, ()):
                    push(edge)
            else:
                for edge in node.deps:
                    push(edge)
        return {i for i, _ in seen}

    prod = walk([(r, r.deps) for r in roots]) | {r.index for r in roots}
    dev_reach = walk([(r, [d for ds in r.dev_deps.values() for d in ds]) for r in roots])
    opt_reach = walk([(r, [d for ds in r.optional_deps.values() for d in ds]) for r in roots])
    # entries no root reaches (or a file without roots): also walk from them so the extras they
    # activate are known, but they stay production
    reached = prod | dev_reach | opt_reach
    stray = [e for e in entries if e.index not in reached]
    if stray:
        walk([(e, e.deps) for e in stray])

    locked = set(by_name)
    root_ids = {r.index for r in roots}
    packages: list[LockedPackage] = []
    for e in entries:
        if e.virtual:
            continue
        in_prod = e.index in prod or e.index not in reached
        dev = not in_prod and e.index in dev_reach
        optional = not in_prod and e.index in opt_reach
        names = [d.name for d in e.deps]
        for extra in activated[e.index]:
            names.extend(d.name for d in e.optional_deps.get(extra, ()))
        if e.index in root_ids:
            names.extend(d.name for ds in e.dev_deps.values() for d in ds)
            names.extend(d.name for ds in e.optional_deps.values() for d in ds)
        deps = tuple(sorted({n for n in names if safe_canonical(n) in locked and safe_canonical(n) != e.canon}))
        if not e.version and e.source == "registry":
            warnings.add(f"{path}: {e.name}: no version")
        packages.append(LockedPackage(
            name=e.name, version=e.version, ecosystem=PYPI, dev=dev, optional=optional,
            source=e.source, dependencies=deps, line=e.line,
        ))
    return LockfileParse(packages=tuple(merge_duplicates(packages)), warnings=warnings.final())


def _all_edges(e: _Entry):
    yield from e.deps
    for ds in e.optional_deps.values():
        yield from ds
    for ds in e.dev_deps.values():
        yield from ds
