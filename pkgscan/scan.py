"""The library API: scan a deployment package and get its inventory."""
from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .archive import DEFAULT_LIMITS, Limits, Tree, ZipTree, open_tree
from .errors import InputError
from .inventory import catalog, detect_layout
from .inventory.assemble import assemble
from .inventory.layout import FUNCTION, LAYER
from .model import Artifact, Inventory


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def scan_tree(tree: Tree, name: str, path: str = "", layout: str | None = None, sha256: str = "", size: int = 0) -> Inventory:
    """Inventory an already-open Tree (a zip or a directory)."""
    if layout not in (None, FUNCTION, LAYER):
        raise InputError(f"unknown layout {layout!r}: use 'function' or 'layer'")
    layout = layout or detect_layout(tree.paths)
    result = catalog(tree)
    artifact = Artifact(
        name=name,
        path=path,
        kind="zip" if isinstance(tree, ZipTree) else "directory",
        layout=layout,
        sha256=sha256,
        size=size,
        entries=tree.entry_count(),
    )
    return assemble(result, artifact, list(tree.notices))


def scan_path(path: str | os.PathLike[str], layout: str | None = None, limits: Limits = DEFAULT_LIMITS) -> Inventory:
    """Scan a Lambda function or layer: a zip file or an unpacked directory.

    Raises InputError (or its subclass ArchiveError) when the input cannot be scanned at all;
    problems with single entries are reported in ``Inventory.notices``.
    """
    p = Path(path)
    with open_tree(p, limits) as tree:
        if isinstance(tree, ZipTree):
            # Hash the whole zip while the catalogers read their members (hashlib frees the GIL).
            with ThreadPoolExecutor(max_workers=1) as pool:
                digest = pool.submit(sha256_file, p)
                inv = scan_tree(tree, p.name, str(p), layout, size=tree.source.size)
                sha = digest.result()
            from dataclasses import replace

            return replace(inv, artifact=replace(inv.artifact, sha256=sha))
        return scan_tree(tree, p.name or str(p), str(p), layout)
