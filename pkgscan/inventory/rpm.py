"""OS packages of a container image from its rpm database (Amazon Linux 2023: rpmdb.sqlite; Amazon
Linux 2: the Berkeley DB ``Packages``).

Components are ``pkg:rpm/amazon/NAME@VERSION-RELEASE?arch=ARCH&epoch=EPOCH``.  OSV publishes no
Amazon Linux advisories, so these are inventoried (SBOM, licenses) but not matched.
"""
from __future__ import annotations

from ..archive import Tree
from ..ecosystems import RPM
from ..model import Notice
from .base import CatalogResult, Installed, dirname

SQLITE_PATHS = ("var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite")
BDB_PATHS = ("var/lib/rpm/Packages",)
_MAX_DB = 64 * 1024 * 1024


def _at(path: str, candidates: tuple[str, ...]) -> bool:
    return any(path == c or path.endswith("/" + c) for c in candidates)


class RpmDbCataloger:
    name = "rpm-db"
    names = frozenset({"rpmdb.sqlite", "Packages"})
    suffixes: tuple[str, ...] = ()

    def wants(self, path: str, basename: str) -> bool:
        return _at(path, SQLITE_PATHS) or _at(path, BDB_PATHS)

    def catalog(self, tree: Tree, paths: list[str], result: CatalogResult) -> None:
        from ..image.rpmdb import RpmDbError, read_bdb, read_sqlite

        for path in paths:
            data = tree.read_or_note(path, _MAX_DB)
            if data is None:
                continue
            try:  # Amazon Linux 2023: SQLite; Amazon Linux 2: Berkeley DB hash ("Packages")
                pkgs, problems = read_bdb(data) if _at(path, BDB_PATHS) else read_sqlite(data)
            except RpmDbError as exc:
                tree.notices.append(Notice("rpmdb-unreadable", path, f"rpm database not read: {exc}"))
                continue
            except Exception as exc:  # never out of the cataloger
                tree.notices.append(Notice("rpmdb-unreadable", path, f"rpm database not read: {type(exc).__name__}"))
                continue
            for msg in problems:
                tree.notices.append(Notice("rpmdb-entry", path, msg))
            root = dirname(path)
            for p in pkgs:
                props = [("pkgscan:rpm:arch", p.arch)] if p.arch else []
                if p.source_rpm:
                    props.append(("pkgscan:rpm:sourcerpm", p.source_rpm))
                if p.vendor:
                    props.append(("pkgscan:rpm:vendor", p.vendor))
                result.installed.append(Installed(
                    ecosystem=RPM, name=p.name, version=p.evr, location=path, root=root,
                    licenses=(p.license,) if p.license else (), properties=tuple(props)))
