"""Inventory: one cataloger per artifact kind, all fed by a single pass over the file list."""
from __future__ import annotations

from ..archive import Tree
from .base import CatalogResult, Cataloger, Offers
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
    offers = Offers(catalogers)
    wants = offers.wants
    for path in tree.offered_paths(catalogers):
        base, offer = offers(path)
        for i in offer:
            if wants[i](path, base):
                wanted[i].append(path)
    result = CatalogResult()
    for cat, paths in zip(catalogers, wanted):
        cat.catalog(tree, paths, result)
    mark_vendored(result)
    note_unread_archives(tree, [w for w, e in zip(wanted, offers.any_path) if not e])  # sniffing is not reading
    return result


__all__ = ["catalog", "detect_layout", "CATALOGERS", "CatalogResult"]
