"""Python packages without metadata: ``slim: true`` deployments, stripped trees, vendored copies.

Where no ``*.dist-info`` / ``*.egg-info`` claims a top-level package or module, it is identified
from what it is:

* its import name mapped to a distribution: ``pkgscan/data/python-import-names.json`` (read from real
  wheels' ``top_level.txt`` / ``RECORD``: ``yaml`` -> PyYAML, ``jwt`` -> PyJWT, ...), else the name
  rule (the import name is the distribution's normalized name) when the table saw that distribution
  or it has an advisory;
* its version read statically (never imported) from ``__version__`` / ``version`` / ``VERSION``
  assignments in ``__init__.py``, ``__version__.py``, ``version.py``, ``_version.py``,
  ``__about__.py``, ``package_data.py``.

Copies vendored inside another package (``pip/_vendor/<x>``, ``setuptools/_vendor``,
``botocore/vendored/<x>``) are reported with ``pkgscan:vendored-by`` (and a dependency edge from the
package that vendors them), never as installed top-level packages; anything under a test directory is
test data and never a component.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from functools import lru_cache
from importlib import resources

from .. import ecosystems
from ..archive import Tree
from ..model import PYPI, Evidence, Notice
from .base import CatalogResult, Installed, decode_text, dirname

_PYPI = ecosystems.get(PYPI)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VERSION_FILES = ("__init__.py", "__version__.py", "version.py", "_version.py", "__about__.py", "package_data.py")
_V = r"""['"](\d[0-9A-Za-z.+!_-]{0,60})['"]"""
_VERSION_RX = (
    (re.compile(r"^[ \t]*__version__\s*(?::\s*str\s*)?=\s*(?:version\s*=\s*)?" + _V, re.M), "__version__"),
    (re.compile(r"^[ \t]*(?:version|VERSION|__VERSION__)\s*(?::\s*str\s*)?=\s*" + _V, re.M), "version"),
)
_MAX_SOURCE = 512 * 1024
_SITE = re.compile(r"^(.*?(?:site|dist)-packages/)")
_VENDOR_DIRS = ("_vendor", "vendored", "vendor", "extern")
_TEST_SEGMENTS = frozenset({"tests", "test", "testing", "testdata", "test_data", "fixtures"})

CONF_NAME_TABLE = 0.8  # the import name was seen in that distribution's real wheels
CONF_NAME_RULE = 0.6  # the import name is the distribution's name
CONF_VERSION = 0.8


@lru_cache(maxsize=1)
def import_table() -> tuple[dict[str, list[str]], frozenset[str]]:
    """(import name -> distributions, distributions known by name)."""
    try:
        d = json.loads(resources.files("pkgscan.data").joinpath("python-import-names.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}, frozenset()
    return d.get("imports", {}), frozenset(d.get("seen", {})) | frozenset(d.get("advisories", {}))


#: top-level names some wheels ship by mistake (their tests, docs, setup.py): never a distribution's name
GENERIC_NAMES = frozenset({"test", "tests", "testing", "setup", "conftest", "docs", "doc", "examples", "example",
                           "benchmarks", "benchmark", "scripts", "script", "src", "build", "tools", "utils", "util",
                           "lib", "bin", "data", "main", "app", "handler", "lambda_function", "config", "settings"})


def distribution_for(import_name: str) -> tuple[str, float, str] | None:
    """(distribution, confidence, how) for an import name, or None when it names no known distribution."""
    if import_name.lower() in GENERIC_NAMES:
        return None
    table, known = import_table()
    dists = table.get(import_name)
    if dists:
        if len(dists) == 1:
            return dists[0], CONF_NAME_TABLE, f"import name {import_name!r} (from the distribution's wheels)"
        return None  # a namespace shared by several distributions: the name alone does not tell
    # an identifier has no '-' or '.': PEP 503 only lower-cases it and turns runs of '_' into one '-'
    canon = import_name.lower().replace("_", "-") if "__" not in import_name else _PYPI.normalize(import_name)
    if canon in known:
        return canon, CONF_NAME_RULE, f"import name {import_name!r} = distribution name"
    return None


#: where the runtime imports from, besides site-packages: a layer zip's ``python/``, and in a
#: container image the function code and the layers' directory
_PLAIN_ROOTS = ("python/", "var/task/", "opt/python/", "var/runtime/")


def import_root(path: str) -> str:
    m = _SITE.match(path)
    if m:
        return m.group(1)
    for r in _PLAIN_ROOTS:
        if path.startswith(r):
            return r
    return ""


def is_test_data(path: str) -> bool:
    """Under a test directory inside a package (not the artifact's own top directory)."""
    parts = path.split("/")
    return any(p.lower() in _TEST_SEGMENTS for p in parts[1:-1])


class PythonStaticCataloger:
    name = "python-static"
    names = frozenset({"vendor.txt", "vendored.txt"})  # a vendor directory's pin list (pip, setuptools)
    suffixes = (".py",)

    def wants(self, path: str, basename: str) -> bool:
        """Only the files a candidate is made of: a top-level module or package whose import name
        names a known distribution (the only ones ``_catalog`` reads), its version files, and the same
        one level down in a vendor directory (``pip/_vendor/<x>``, any name: a pin list may name it),
        and that directory's pin list (``vendor.txt``).
        Everything else (subpackages, a runtime's standard library, the function's own modules) is
        never read, so an image pass never keeps it."""
        if "node_modules/" in path:
            return False
        parts = path[len(import_root(path)):].split("/")
        n = len(parts)
        if n == 1:  # a top-level module, read only when its name is a distribution's
            ok = basename.endswith(".py") and distribution_for(basename[:-3]) is not None
        elif n == 2:
            ok = basename in _VERSION_FILES and distribution_for(parts[0]) is not None
        elif n == 3:
            ok = parts[1] in _VENDOR_DIRS
        elif n == 4:
            ok = parts[1] in _VENDOR_DIRS and basename in _VERSION_FILES
        else:
            ok = False
        return ok and not is_test_data(path)

    def catalog(self, tree: Tree, paths: list[str], result: CatalogResult) -> None:
        try:
            self._catalog(tree, paths, result)
        except (RecursionError, MemoryError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            # a safety net: a slip here costs the metadata-less packages, never the scan
            tree.notices.append(Notice("python-static-unreadable", "", f"packages without metadata not fully read: "
                                       f"{type(exc).__name__}"))

    def _catalog(self, tree: Tree, paths: list[str], result: CatalogResult) -> None:
        have = set(paths)
        claimed: dict[str, set[str]] | None = None  # read only when a candidate needs it
        # candidates: (root, import name, directory or "" for a module, vendoring package)
        cands: dict[tuple[str, str], tuple[str, str]] = {}
        for p in sorted(paths):
            root = import_root(p)
            rel = p[len(root):]
            parts = rel.split("/")
            if len(parts) == 1 and rel.endswith(".py"):
                name = rel[:-3]
                if _IDENT.match(name):
                    cands.setdefault((root, name), ("", ""))
            elif len(parts) == 2 and parts[1] == "__init__.py" and _IDENT.match(parts[0]):
                cands.setdefault((root, parts[0]), (root + parts[0] + "/", ""))
            elif len(parts) == 4 and parts[1] in _VENDOR_DIRS and parts[3] == "__init__.py" and _IDENT.match(parts[2]):
                vroot = root + parts[0] + "/" + parts[1] + "/"
                cands.setdefault((vroot, parts[2]), (vroot + parts[2] + "/", parts[0]))
            elif len(parts) == 3 and parts[1] in _VENDOR_DIRS and parts[2].endswith(".py") and _IDENT.match(parts[2][:-3]) \
                    and parts[2] != "__init__.py":
                vroot = root + parts[0] + "/" + parts[1] + "/"
                cands.setdefault((vroot, parts[2][:-3]), ("", parts[0]))
        found: dict[tuple[str, str], Installed] = {}
        dist_dirs = self._dist_names(tree)
        for (root, name), (pkg_dir, vendored_by) in sorted(cands.items()):
            dist = distribution_for(name)
            if dist is None and vendored_by and _PYPI.normalize(name) in self._pins(tree, root):
                dist = (_PYPI.normalize(name), CONF_NAME_TABLE, f"import name {name!r} in the vendoring package's pin list")
            if dist is None or dist[0] in dist_dirs.get(root, ()):
                continue  # unknown, or its distribution's metadata is right there
            if claimed is None:
                claimed = self._claimed(tree)
            if name in claimed.get(root, ()):
                continue
            dist_name, conf, how = dist
            version, vfile, vhow = self._version(tree, pkg_dir, root, name, have)
            location = vfile or (pkg_dir + "__init__.py" if pkg_dir else f"{root}{name}.py")
            evidence = [Evidence("source-code-analysis", conf, tree.prefix + (pkg_dir or location), how)]
            props = [("pkgscan:owns", pkg_dir or f"{root}{name}.py"), ("pkgscan:no-metadata", "true")]
            if version:
                evidence.append(Evidence("source-code-analysis", CONF_VERSION, tree.prefix + vfile, vhow))
            else:
                props.append(("pkgscan:version-unknown", "no version attribute in the package's own files"))
            if vendored_by:
                parent = distribution_for(vendored_by)
                props.append(("pkgscan:vendored-by", parent[0] if parent else vendored_by))
            key = (root, dist_name)
            prev = found.get(key)
            if prev is not None:  # another import name of the same distribution (_yaml and yaml)
                owns = {p for p in prev.properties if p[0] == "pkgscan:owns"} | {("pkgscan:owns", pkg_dir or f"{root}{name}.py")}
                if not prev.version and version:
                    found[key] = Installed(PYPI, dist_name, version, location, root.rstrip("/"),
                                           evidence=tuple(evidence), properties=tuple(sorted(set(props) | owns)))
                else:
                    found[key] = Installed(prev.ecosystem, prev.name, prev.version, prev.location, prev.root,
                                           evidence=prev.evidence, properties=tuple(sorted(set(prev.properties) | owns)))
                continue
            found[key] = Installed(PYPI, dist_name, version, location, root.rstrip("/"),
                                   evidence=tuple(evidence), properties=tuple(sorted(props)))
        self._vendor_pins(tree, found)
        result.installed.extend(found[k] for k in sorted(found))

    @staticmethod
    def _pins(tree: Tree, vroot: str) -> dict[str, tuple[str, str]]:
        """``name==version`` lines of a vendor directory's pin list: normalized name -> (version, file)."""
        cache = tree.__dict__.setdefault("_pkgscan_vendor_pins", {})
        if vroot in cache:
            return cache[vroot]
        pins: dict[str, tuple[str, str]] = {}
        for f in ("vendor.txt", "vendored.txt"):
            path = vroot + f
            if path in tree and tree.size(path) <= 256 * 1024:
                for line in decode_text(tree.read_or_note(path, 256 * 1024) or b"").splitlines():
                    name, sep, ver = line.split("#", 1)[0].strip().partition("==")
                    if sep and ver.strip() and _PYPI.valid_name(name.strip()):
                        pins[_PYPI.normalize(name.strip())] = (ver.strip(), path)
        cache[vroot] = pins
        return pins

    @staticmethod
    def _vendor_pins(tree: Tree, found: dict[tuple[str, str], Installed]) -> None:
        """A vendored copy with no version attribute: the vendoring package's own pin list
        (``pip/_vendor/vendor.txt``, ``setuptools/_vendor/vendored.txt``: ``name==version``)."""
        for (root, dist), inst in list(found.items()):
            if inst.version or not any(k == "pkgscan:vendored-by" for k, _ in inst.properties):
                continue
            hit = PythonStaticCataloger._pins(tree, root).get(dist)
            if hit is None:
                continue
            props = tuple(p for p in inst.properties if p[0] != "pkgscan:version-unknown")
            ev = inst.evidence + (Evidence("manifest-analysis", 0.9, tree.prefix + hit[1], "the vendoring package's pin list"),)
            found[(root, dist)] = Installed(inst.ecosystem, inst.name, hit[0], hit[1], inst.root, evidence=ev, properties=props)

    # ------------------------------------------------------------------------------ helpers
    @staticmethod
    def _dist_names(tree: Tree) -> dict[str, set[str]]:
        """Normalized names of the distributions whose metadata directory sits at each import root."""
        out: dict[str, set[str]] = defaultdict(set)
        for p in tree.paths:
            i = p.find(".dist-info/")
            if i < 0:
                i = p.find(".egg-info/")
            if i < 0:
                continue
            meta = p[:i]
            root = dirname(meta)
            base = meta[len(root) + 1 if root else 0:]
            out[root + "/" if root else ""].add(_PYPI.normalize(base.split("-", 1)[0]))
        return out

    @staticmethod
    def _claimed(tree: Tree) -> dict[str, set[str]]:
        """Import names a distribution's metadata claims, per import root (RECORD, top_level.txt,
        else the distribution's own name)."""
        claimed: dict[str, set[str]] = defaultdict(set)
        metas = [p for p in tree.paths if p.endswith(("/RECORD", "/top_level.txt", "/METADATA", "/PKG-INFO"))
                 and dirname(p).lower().endswith((".dist-info", ".egg-info"))]
        for p in metas:
            meta = dirname(p)
            root = dirname(meta)
            root = root + "/" if root else ""
            base = meta[len(root):]
            claimed[root].add(base.split("-", 1)[0].replace(".", "_"))
            claimed[root].add(base.split("-", 1)[0].replace(".", "_").lower())
            if p.endswith(("/RECORD", "/top_level.txt")):
                data = tree.read_or_note(p, 8 * 1024 * 1024)
                for line in decode_text(data or b"").splitlines():
                    first = line.rsplit(",", 2)[0].strip().strip('"').split("/")[0] if p.endswith("RECORD") else line.strip()
                    if first.endswith(".py"):
                        first = first[:-3]
                    first = first.split(".")[0]
                    if _IDENT.match(first):
                        claimed[root].add(first)
        return claimed

    @staticmethod
    def _version(tree: Tree, pkg_dir: str, root: str, name: str, have: set[str]) -> tuple[str, str, str]:
        files = [pkg_dir + f for f in _VERSION_FILES] if pkg_dir else [f"{root}{name}.py"]
        for rx, what in _VERSION_RX:
            for f in files:
                if f not in have and f not in tree:
                    continue
                if tree.size(f) > _MAX_SOURCE:
                    continue
                data = tree.read_or_note(f, _MAX_SOURCE)
                if data is None:
                    continue
                m = rx.search(decode_text(data))
                if m is not None:
                    return m.group(1), f, f"{what} in {f[len(pkg_dir or root):]}"
        return "", "", ""


def mark_vendored(result: CatalogResult) -> None:
    """After every cataloger: a distribution installed inside another package's vendor directory
    (``setuptools/_vendor/packaging-24.2.dist-info``) is vendored, not installed at the top; one
    under a test directory inside a package is test data and is dropped."""
    kept: list[Installed] = []
    for inst in result.installed:
        loc = inst.location.rsplit("!/", 1)[-1]
        if inst.ecosystem == PYPI and is_test_data(loc):
            continue
        parts = inst.root.rsplit("!", 1)[-1].strip("/").split("/")
        if inst.ecosystem == PYPI and len(parts) >= 2 and parts[-1] in _VENDOR_DIRS and not any(
                k == "pkgscan:vendored-by" for k, _ in inst.properties):
            parent = distribution_for(parts[-2])
            props = tuple(sorted(set(inst.properties) | {("pkgscan:vendored-by", parent[0] if parent else parts[-2])}))
            inst = Installed(**{**inst.__dict__, "properties": props})
        kept.append(inst)
    result.installed[:] = kept
