"""Coverage accounting: how much of an artifact's code the identified packages explain.

Never a silent clean: a scan that found no package in a bundle, a stripped Python tree or an unknown
native library must say that it did not understand them, not "no known vulnerabilities".

Every file is put in a kind (python, javascript, native, other) and is either

* attributed: it belongs to an identified package (a dist's RECORD or top-level names, a
  node_modules package directory, a jar, the module byte ranges of a bundle, ...);
* third-party-looking but not attributed: under node_modules / site-packages / a vendor directory,
  in a Python package directory (one with ``__init__.py``) at an import root, a native library, a
  JavaScript bundle's unexplained bytes, a large JavaScript file outside node_modules;
* the artifact's own code or data (handler files, everything of kind "other"): not counted.

The artifact is ``partial`` when more than half of its third-party-looking bytes, or more than
PARTIAL_BYTES of them, are not attributed.
"""
from __future__ import annotations

import re
from collections import defaultdict

from ..archive import Tree
from ..ecosystems import MAVEN
from ..model import NPM, PYPI, Coverage, CoverageKind
from .base import CatalogResult, Installed, decode_text, dirname
from .pystatic import import_root

KINDS = ("python", "javascript", "native", "other")
PARTIAL_BYTES = 1024 * 1024
_MAX_RECORD = 8 * 1024 * 1024
#: a .js file outside node_modules this large is taken for a bundle even when nothing in it is known
BIG_JS = 128 * 1024
_NATIVE = re.compile(r"\.(?:so(?:\.\d+)*|node|pyd|dylib)$", re.I)
_THIRD_PARTY_DIR = re.compile(r"(?:^|/)(?:node_modules/|(?:site|dist)-packages/[^/]+/|(?:_vendor|vendored|vendor)/)")
_SHOWN = 12
_NODE_MODULE = re.compile(r"^(.*node_modules/(?:@[^/]+/)?[^/]+/)")

#: one file's figures: (path, kind, size, attributed bytes, third-party-looking bytes)
FileFigures = tuple


def kind_of(path: str) -> str:
    low = path.lower()
    if low.endswith((".py", ".pyi")):
        return "python"
    if low.endswith((".js", ".mjs", ".cjs")):
        return "javascript"
    if _NATIVE.search(low):
        return "native"
    return "other"


def _norm(path: str) -> str:
    out: list[str] = []
    for x in path.split("/"):
        if x in ("", "."):
            continue
        if x == "..":
            if out:
                out.pop()
            continue
        out.append(x)
    return "/".join(out)


class _Owned:
    def __init__(self) -> None:
        self.files: set[str] = set()
        self.dirs: set[str] = set()
        self._below: dict[str, bool] = {}  # directory -> in (or under) an owned directory (filled once all is added)

    def owns(self, path: str) -> bool:
        if path in self.files:
            return True
        i = path.rfind("/")
        return i > 0 and self._owned_dir(path[:i])

    def _owned_dir(self, d: str) -> bool:
        hit = self._below.get(d)
        if hit is None:
            i = d.rfind("/")
            hit = d + "/" in self.dirs or (i > 0 and self._owned_dir(d[:i]))
            self._below[d] = hit
        return hit


def _ownership(tree: Tree, installed: list[Installed]) -> _Owned:
    owned = _Owned()
    for inst in installed:
        loc = inst.location
        if "!/" in loc:  # inside a nested archive: the archive member is the package's
            owned.files.add(loc.split("!/", 1)[0])
            continue
        owned.files.add(loc)
        for k, v in inst.properties:
            if k == "pkgscan:owns":
                (owned.dirs if v.endswith("/") else owned.files).add(v)
        if inst.ecosystem == NPM and loc.endswith("/package.json") and "node_modules/" in loc:
            owned.dirs.add(dirname(loc) + "/")
        elif inst.ecosystem == PYPI and dirname(loc).lower().endswith((".dist-info", ".egg-info")):
            meta = dirname(loc)
            owned.dirs.add(meta + "/")
            root = inst.root + "/" if inst.root else ""
            record = meta + "/RECORD"
            if record in tree:
                data = tree.read_or_note(record, _MAX_RECORD)
                if data is not None:
                    for line in decode_text(data).splitlines():
                        rel = line.rsplit(",", 2)[0].strip().strip('"')
                        if rel:
                            owned.files.add(_norm(root + rel))
                    continue
            tl = meta + "/top_level.txt"
            if tl in tree:
                data = tree.read_or_note(tl, 1024 * 1024)
                for name in decode_text(data or b"").split():
                    owned.dirs.add(f"{root}{name}/")
                    owned.files.add(f"{root}{name}.py")
        elif inst.ecosystem == MAVEN and loc.lower().endswith((".jar", ".war", ".ear")):
            owned.files.add(loc)
    return owned


def file_figures(tree: Tree, result: CatalogResult) -> list[FileFigures]:
    """(path, kind, size, attributed, third-party-looking) for every file of the tree; nested
    archives that a cataloger opened stand for their members (``result.nested_files``)."""
    owned = _ownership(tree, result.installed)
    nested = getattr(result, "nested_files", {})
    packages: set[str] = set()
    for p in tree.paths:
        if p.endswith("/__init__.py"):
            packages.add(p[: -len("__init__.py")])
    out: list[FileFigures] = []
    for p in tree.paths:
        if p in nested:
            out.extend(nested[p])
            continue
        size = tree.size(p)
        kind = kind_of(p)
        part = result.attributed.get(p)
        if part is not None:  # a bundle: bytes per module
            attributed, own, _ = part
            third = max(0, size - own)
            out.append((p, kind, size, min(attributed, third), third))
            continue
        if owned.owns(p):
            out.append((p, kind, size, size, size if kind != "other" else 0))
            continue
        if kind == "other":
            out.append((p, kind, size, 0, 0))
            continue
        third = (kind == "native" or bool(_THIRD_PARTY_DIR.search(p)) or _in_package(p, packages)
                 or (kind == "javascript" and size >= BIG_JS))
        out.append((p, kind, size, 0, size if third else 0))
    return out


def _in_package(path: str, packages: set[str]) -> bool:
    """In a Python package directory that sits at an import root (the function root, python/,
    site-packages, an image's /var/task): code that came from somewhere, unless a distribution claims it."""
    root = import_root(path)
    rel = path[len(root):]
    i = rel.find("/")
    return i > 0 and (root + rel[: i + 1]) in packages


def summarize(figures: list[FileFigures]) -> Coverage:
    acc = {k: [0, 0, 0, 0, 0, 0] for k in KINDS}
    missing: dict[tuple[str, str], int] = defaultdict(int)
    groups: dict[str, str] = {}  # directory -> its group (most gaps share a few directories)
    for path, kind, size, attributed, third in figures:
        a = acc[kind]
        a[0] += 1
        a[1] += size
        if attributed and (attributed >= size / 2 or attributed >= third / 2):
            a[2] += 1
        a[3] += attributed
        a[4] += third
        gap = max(0, third - attributed)
        a[5] += gap
        if gap:
            d = path[: path.rfind("/") + 1]
            g = groups.get(d) if d else None
            if g is None:
                g = _group(path)
                if d and g.endswith("/"):  # a directory group holds every file of that directory
                    groups[d] = g
            missing[(g, kind)] += gap
    kinds = tuple(CoverageKind(k, *acc[k]) for k in KINDS if acc[k][0])
    third = sum(k.third_party_bytes for k in kinds)
    gap = sum(k.unattributed_bytes for k in kinds)
    shown = sorted(missing.items(), key=lambda kv: (-kv[1], kv[0]))[:_SHOWN]
    return Coverage(status=status_for(third, gap), kinds=kinds, not_attributed=tuple((g, k, n) for (g, k), n in shown))


def status_for(third_party_bytes: int, unattributed_bytes: int) -> str:
    """``partial`` when more than half of the third-party-looking bytes, or more than PARTIAL_BYTES
    of them, are not attributed."""
    gap = unattributed_bytes
    return "partial" if third_party_bytes and (gap * 2 > third_party_bytes or gap > PARTIAL_BYTES) else "complete"


def merge(parts: list[tuple[str, Coverage]]) -> Coverage | None:
    """The coverage of several artifacts seen as one (a function and its layers): (location prefix, coverage)."""
    parts = [(p, c) for p, c in parts if c is not None]
    if not parts:
        return None
    acc: dict[str, list[int]] = {}
    for _, c in parts:
        for k in c.kinds:
            a = acc.setdefault(k.kind, [0] * 6)
            for i, v in enumerate((k.files, k.bytes, k.attributed_files, k.attributed_bytes, k.third_party_bytes,
                                   k.unattributed_bytes)):
                a[i] += v
    kinds = tuple(CoverageKind(k, *acc[k]) for k in KINDS if k in acc)
    gaps = sorted(((p + path, kind, n) for p, c in parts for path, kind, n in c.not_attributed),
                  key=lambda x: (-x[2], x[0]))[:_SHOWN]
    return Coverage(status=status_for(sum(k.third_party_bytes for k in kinds), sum(k.unattributed_bytes for k in kinds)),
                    kinds=kinds, not_attributed=tuple(gaps))


def _group(path: str) -> str:
    """Where a gap is reported: the package directory (node_modules/x/, <root>/pkg/) or the file."""
    if "!/" in path:
        outer, _, inner = path.rpartition("!/")
        return outer + "!/" + _group(inner)
    m = _NODE_MODULE.match(path) if "node_modules/" in path else None
    if m:
        return m.group(1)
    root = import_root(path)
    rel = path[len(root):]
    i = rel.find("/")
    return root + rel[: i + 1] if i > 0 else path


def compute(tree: Tree, result: CatalogResult) -> Coverage | None:
    """The artifact's coverage; None (with a notice) if it cannot be measured: never fails a scan."""
    try:
        return summarize(file_figures(tree, result))
    except (RecursionError, MemoryError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        from ..model import Notice

        tree.notices.append(Notice("coverage-unmeasured", "", f"coverage not measured: {type(exc).__name__}"))
        return None
