"""The library API: scan a deployment package and get its inventory."""
from __future__ import annotations

import hashlib
import os
from dataclasses import replace
import threading
from pathlib import Path

from .archive import DEFAULT_LIMITS, Limits, Tree, ZipTree, open_tree
from .errors import InputError
from .inventory import catalog, detect_layout
from .inventory.assemble import assemble
from .inventory.coverage import compute as compute_coverage
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
    layout = layout or (FUNCTION if tree.kind == "image" else detect_layout(tree.paths))
    result = catalog(tree)
    coverage = compute_coverage(tree, result)
    if tree.kind == "image" and not sha256:  # a container image: its manifest digest
        sha256 = getattr(getattr(tree, "info", None), "manifest_digest", "").partition(":")[2]
    artifact = Artifact(
        name=name,
        path=path,
        kind=tree.kind if tree.kind in ("zip", "image") else "directory",
        layout=layout,
        sha256=sha256,
        size=size,
        entries=tree.entry_count(),
    )
    return replace(assemble(result, artifact, list(tree.notices)), coverage=coverage)


def scan_path(path: str | os.PathLike[str], layout: str | None = None, limits: Limits = DEFAULT_LIMITS) -> Inventory:
    """Scan a Lambda function or layer: a zip file or an unpacked directory.

    Raises InputError (or its subclass ArchiveError) when the input cannot be scanned at all;
    problems with single entries are reported in ``Inventory.notices``.
    """
    p = Path(path)
    with open_tree(p, limits) as tree:
        if isinstance(tree, ZipTree):
            # Hash the whole zip while the catalogers read their members (hashlib frees the GIL).
            digest: list = []

            def _hash() -> None:
                try:
                    digest.append(sha256_file(p))
                except OSError as exc:
                    digest.append(exc)

            hasher = threading.Thread(target=_hash, name="pkgscan-sha256", daemon=True)
            hasher.start()
            inv = scan_tree(tree, p.name, str(p), layout, size=tree.source.size)
            hasher.join()
            if isinstance(digest[0], OSError):
                raise InputError(f"{path}: cannot read: {digest[0].strerror}")
            return replace(inv, artifact=replace(inv.artifact, sha256=digest[0]))
        return scan_tree(tree, p.resolve().name or str(p), str(p), layout)


def vulnerability_sources(*, db_dir: str | os.PathLike[str] | None = None, osv_api: str | None = None,
                          pypi: bool = False, pypi_url: str | None = None, cache_dir: str | os.PathLike[str] | None = None):
    """The sources a scan asks, and the DatabaseInfo (see :func:`pkgscan.check.open_sources`)."""
    from .check import CheckOptions, open_sources

    return open_sources(CheckOptions(db_dir=db_dir and str(db_dir), osv_api=osv_api, pypi=pypi, pypi_url=pypi_url,
                                     cache_dir=cache_dir and str(cache_dir)))


def scan_vulnerabilities(inv: Inventory, sources, database=None, *, include_withdrawn: bool = False,
                         max_db_age_days: float | None = 7.0):
    """Match an inventory against the given sources; a ScanResult with the warnings, no policy applied."""
    from .check import Checker, CheckOptions
    from .vulns.model import ScanResult

    checker = Checker(CheckOptions(include_withdrawn=include_withdrawn, max_db_age_days=max_db_age_days,
                                   discover_ignore_file=False), sources=sources, database=database)
    return ScanResult(inventory=inv, findings=checker.match(inv), database=database,
                      warnings=tuple(checker.warnings([inv])))
