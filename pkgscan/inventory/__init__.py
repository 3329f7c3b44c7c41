"""Inventory: one cataloger per artifact kind, all fed by a single pass over the file list."""
from __future__ import annotations

from ..archive import Tree
from .base import CatalogResult, Cataloger
from .layout import detect_layout
from .locks import LockfileCataloger
from .node import NodeInstalledCataloger
from .python import PythonInstalledCataloger

_NAMES = frozenset({"METADATA", "PKG-INFO"})
_SUFFIXES = frozenset({".json", ".lock", ".yaml", ".toml", ".txt", ".egg-info"})

CATALOGERS: tuple[Cataloger, ...] = (PythonInstalledCataloger(), NodeInstalledCataloger(), LockfileCataloger())


def catalog(tree: Tree, catalogers: tuple[Cataloger, ...] = CATALOGERS) -> CatalogResult:
    """Decide from the path list alone which members each cataloger needs, then read just those."""
    wanted: list[list[str]] = [[] for _ in catalogers]
    for path in tree.paths:
        base = path[path.rfind("/") + 1 :]
        dot = base.rfind(".")
        # Cheap pre-filter: every file any cataloger wants has one of these names or endings.
        if base not in _NAMES and (dot < 0 or base[dot:].lower() not in _SUFFIXES):
            continue
        for i, cat in enumerate(catalogers):
            if cat.wants(path, base):
                wanted[i].append(path)
    result = CatalogResult()
    for cat, paths in zip(catalogers, wanted):
        cat.catalog(tree, paths, result)
    return result


__all__ = ["catalog", "detect_layout", "CATALOGERS", "CatalogResult"]
