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


def _in_osv(ecosystem: str) -> bool:
    from . import ecosystems

    return bool(ecosystems.get(ecosystem).osv)


def unmatched_warnings(components) -> list[str]:
    """Say which packages no advisory source covers (OSV has no Amazon Linux advisories)."""
    from collections import Counter

    counts = Counter(c.ecosystem for c in components if not _in_osv(c.ecosystem))
    out = []
    for eco, n in sorted(counts.items()):
        what = "Amazon Linux OS packages (rpm)" if eco == "rpm" else f"{eco} packages"
        out.append(f"OSV publishes no advisories for {what}: {n} were inventoried but not checked for vulnerabilities")
    return out


def vulnerability_sources(*, db_dir: str | os.PathLike[str] | None = None, osv_api: str | None = None,
                          pypi: bool = False, pypi_url: str | None = None, cache_dir: str | os.PathLike[str] | None = None):
    """The sources a scan asks: the offline database (default) or the OSV API, plus PyPI optionally.

    Returns (sources, DatabaseInfo).  Raises DatabaseError when the offline database is missing.
    """
    from .vulns.model import DatabaseInfo

    sources = []
    if osv_api:
        from .vulns.osv_api import OsvApiSource

        sources.append(OsvApiSource(osv_api, cache_dir=cache_dir))
        info = DatabaseInfo(source=f"osv-api:{osv_api}")
    else:
        from .vulns.matcher import OfflineSource
        from .vulns.store import AdvisoryDB

        db = AdvisoryDB(db_dir)
        st = db.status()
        if not st["advisories"]:
            from .vulns.store import DatabaseError

            raise DatabaseError(f"the advisory database at {db.path} holds no advisories: run 'pkgscan db update' "
                                "or 'pkgscan db import <OSV all.zip | directory>'")
        sources.append(OfflineSource(db))
        info = DatabaseInfo(
            source=f"offline:{db.path}",
            ecosystems=tuple((e["ecosystem"], e["advisories"], e["last_modified"]) for e in st["ecosystems"]),
            age_days=db.age_days(),
        )
    if pypi:
        from .vulns.pypi_source import PyPISource

        sources.append(PyPISource(base_url=pypi_url, cache_dir=cache_dir))
    return sources, info


def scan_vulnerabilities(inv: Inventory, sources, database=None, *, include_withdrawn: bool = False,
                         max_db_age_days: float | None = 7.0):
    """Match an inventory against the given sources; returns a ScanResult (no policy applied)."""
    from .vulns.matcher import match
    from .vulns.model import ScanResult

    warnings = []
    if database is not None and database.age_days is not None and max_db_age_days is not None \
            and database.age_days > max_db_age_days:
        warnings.append(
            f"the advisory database is {database.age_days:.0f} days old (newest advisory); "
            "run 'pkgscan db update' for current data"
        )
    if database is not None and database.ecosystems:
        from .vulns.osv import osv_ecosystem

        known = {eco for eco, count, _m in database.ecosystems if count}
        for eco in sorted({osv_ecosystem(c.ecosystem) for c in inv.components if _in_osv(c.ecosystem)} - known):
            warnings.append(f"the advisory database has no {eco} advisories: {eco} packages were not checked")
    warnings.extend(unmatched_warnings(inv.components))
    findings = match(inv, sources, include_withdrawn=include_withdrawn)
    for src in sources:  # e.g. packages PyPI does not know
        warnings.extend(getattr(src, "warnings", ()))
    return ScanResult(inventory=inv, findings=tuple(findings), database=database, warnings=tuple(warnings))
