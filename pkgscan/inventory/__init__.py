"""Inventory: one cataloger per artifact kind, all fed by a single pass over the file list."""
from __future__ import annotations

from collections import defaultdict

from ..archive import Tree
from .base import CatalogResult, Cataloger
from .dotnet import DotnetDepsCataloger
from .golang import GoBinaryCataloger
from .java import JavaArchiveCataloger
from .jsbundle import JavaScriptBundleCataloger
from .layout import detect_layout
from .locks import LockfileCataloger
from .nested import NestedArchiveCataloger
from .node import NodeInstalledCataloger
from .python import PythonInstalledCataloger
from .pystatic import PythonStaticCataloger, mark_vendored
from .rpm import RpmDbCataloger
from .ruby import RubyGemsCataloger
from .unread import note_unread_archives

CATALOGERS: tuple[Cataloger, ...] = (PythonInstalledCataloger(), NodeInstalledCataloger(), LockfileCataloger(),
                                     JavaArchiveCataloger(), DotnetDepsCataloger(), RubyGemsCataloger(),
                                     GoBinaryCataloger(), RpmDbCataloger(),
                                     JavaScriptBundleCataloger(), NestedArchiveCataloger(),
                                     PythonStaticCataloger())


def catalog(tree: Tree, catalogers: tuple[Cataloger, ...] = CATALOGERS) -> CatalogResult:
    """Decide from the path list alone which members each cataloger needs, then read just those.

    Each cataloger declares the base names and (lower-case) endings it may want; only paths with one
    of them are offered to its ``wants``.  A cataloger whose files have no telling name (executables)
    declares ``any_path = True`` and is offered every path.
    """
    wanted: list[list[str]] = [[] for _ in catalogers]
    names = [frozenset(getattr(c, "names", ())) for c in catalogers]
    suffixes = [tuple(getattr(c, "suffixes", ())) for c in catalogers]
    every = [bool(getattr(c, "any_path", False)) for c in catalogers]
    # who is offered a path: those that take every path, those naming its base name, those with one
    # of its endings (a few lookups per path rather than one test per cataloger)
    by_name: dict[str, list[int]] = defaultdict(list)
    for i, ns in enumerate(names):
        for n in ns:
            by_name[n].append(i)
    all_suffixes = tuple({s for ss in suffixes for s in ss})
    with_suffix = [(i, ss) for i, ss in enumerate(suffixes) if ss]
    always = [i for i, e in enumerate(every) if e]
    wants = [c.wants for c in catalogers]
    for path in tree.offered_paths(catalogers):
        base = path[path.rfind("/") + 1 :]
        low = base.lower()
        offer = always
        if base in by_name or low.endswith(all_suffixes):
            offer = sorted(set(always).union(by_name.get(base, ()), (i for i, ss in with_suffix if low.endswith(ss))))
        for i in offer:
            if wants[i](path, base):
                wanted[i].append(path)
    result = CatalogResult()
    for cat, paths in zip(catalogers, wanted):
        cat.catalog(tree, paths, result)
    mark_vendored(result)
    note_unread_archives(tree, [w for w, e in zip(wanted, every) if not e])  # sniffing is not reading
    return result


__all__ = ["catalog", "detect_layout", "CATALOGERS", "CatalogResult"]
