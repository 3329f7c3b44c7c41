"""Archives inside the package that no cataloger reads are said, not silently skipped.

Zipped eggs named in ``easy-install.pth``, vendored wheels and sdists, nested zips, gems, nupkgs:
an archive is read when a cataloger wants it (the Java cataloger for jars, the nested-archive
cataloger for zips, wheels and eggs); one that nothing reads gets a ``nested-archive-not-read``
notice, so its packages are known to be missing from the inventory rather than absent.
"""
from __future__ import annotations

from ..archive import Tree
from ..model import Notice

ARCHIVE_SUFFIXES = (".zip", ".whl", ".egg", ".jar", ".war", ".ear", ".aar", ".hpi", ".jpi", ".par", ".sar",
                    ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst",
                    ".gem", ".nupkg", ".pyz", ".apk", ".crate", ".rpm", ".deb")


def note_unread_archives(tree: Tree, wanted: list[list[str]]) -> None:
    read = {p for paths in wanted for p in paths}
    for path in tree.paths:
        low = path.lower()
        if low.endswith(ARCHIVE_SUFFIXES) and path not in read:
            tree.notices.append(Notice("nested-archive-not-read", path, "an archive inside the package that no "
                                       "cataloger reads: packages inside it are not in this inventory"))


__all__ = ["note_unread_archives", "ARCHIVE_SUFFIXES"]
