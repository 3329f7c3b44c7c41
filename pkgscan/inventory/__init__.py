"""Inventory: one cataloger per artifact kind, all fed by a single pass over the file list."""
from __future__ import annotations

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
    all_names = frozenset().union(*names)
    all_suffixes = tuple({s for ss in suffixes for s in ss})
    any_every = any(every)
    for path in tree.paths:
        base = path[path.rfind("/") + 1 :]
        low = base.lower()
        hit_name = base in all_names
        hit_suffix = low.endswith(all_suffixes)
        if not (hit_name or hit_suffix or any_every):
            continue
        for i, cat in enumerate(catalogers):
            if (every[i] or base in names[i] or low.endswith(suffixes[i])) and cat.wants(path, base):
                wanted[i].append(path)
    result = CatalogResult()
    for cat, paths in zip(catalogers, wanted):
        cat.catalog(tree, paths, result)
    mark_vendored(result)
    return result


__all__ = ["catalog", "detect_layout", "CATALOGERS", "CatalogResult"]
