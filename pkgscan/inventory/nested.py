"""Archives inside the package: ``.requirements.zip`` (serverless-python-requirements ``zip: true``),
vendored wheels and eggs, zips of code.  Each is read in place through ``tree.open_nested`` (the
same bounded reader: the outermost archive's byte budget and entry limit cover the whole tree,
nesting is depth-limited) and catalogued by every cataloger, this one included, so a zip in a zip
is read too.  Jars are the Java cataloger's.

What is found inside is located ``<archive>!/<member>``; a package found in an archive that is not
the serverless requirements zip carries ``pkgscan:in-archive``.  Archives under test or fixture
directories are test data and are not opened.
"""
from __future__ import annotations

from dataclasses import replace

from ..archive import Tree
from ..model import Notice
from .base import CatalogResult

_TEST_DIRS = ("tests/", "test/", "testdata/", "testing/", "fixtures/", "test_data/")
REQUIREMENTS_ZIP = ".requirements.zip"


def _is_test_data(path: str) -> bool:
    p = "/" + path
    return any(("/" + d) in p for d in _TEST_DIRS)


class NestedArchiveCataloger:
    name = "nested-archive"
    names = frozenset({REQUIREMENTS_ZIP})
    suffixes = (".zip", ".whl", ".egg")

    def wants(self, path: str, basename: str) -> bool:
        return not _is_test_data(path)

    def catalog(self, tree: Tree, paths: list[str], result: CatalogResult) -> None:
        from . import CATALOGERS, catalog  # the registry imports this module
        from .coverage import file_figures

        for path in sorted(paths):
            nested = tree.open_nested(path)
            if nested is None:
                continue
            with nested:
                try:
                    inner = catalog(nested, CATALOGERS)
                    figures = file_figures(nested, inner)
                except (RecursionError, MemoryError, ValueError, KeyError, IndexError, UnicodeError, OSError) as exc:
                    nested.notices.append(Notice("nested-archive-unreadable", "", f"not fully read: {type(exc).__name__}"))
                    continue
                prefix = f"{path}!/"
                base = path[path.rfind("/") + 1 :]
                extra = () if base == REQUIREMENTS_ZIP else (("pkgscan:in-archive", path),)
                for inst in inner.installed:
                    loc = inst.location if inst.location.startswith(nested.prefix) else nested.prefix + inst.location
                    # the location relative to this tree (this tree's own prefix comes from its parent)
                    loc = loc[len(tree.prefix):] if tree.prefix and loc.startswith(tree.prefix) else loc
                    root = prefix + inst.root if inst.root else prefix.rstrip("/")
                    props = tuple(sorted(set(inst.properties) | set(extra) | {
                        (k, prefix + v) for k, v in inst.properties if k == "pkgscan:owns"}))
                    result.installed.append(replace(inst, location=tree.prefix + loc if tree.prefix else loc,
                                                    root=root, properties=props))
                for lf in inner.lockfiles:
                    result.lockfiles.append(replace(lf, path=prefix + lf.path, directory=prefix + lf.directory))
                result.binaries.extend(inner.binaries)
                result.nested_files[path] = [(prefix + f[0],) + tuple(f[1:]) for f in figures]
