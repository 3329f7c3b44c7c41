"""Installed Python distributions: ``*.dist-info/METADATA``, ``*.egg-info`` (directory or file)."""
from __future__ import annotations

import re

from .. import ecosystems
from ..archive import Tree
from ..model import PYPI, Notice
from .base import CatalogResult, Installed, decode_text, dirname
from .licenses import classifier_to_spdx, is_exact_classifier
from .padded import header_section, read_metadata

_PYVER = re.compile(r"(?:^|/)lib/python(\d+\.\d+)/site-packages$")
#: read failures that mean a damaged member (not an attack, not a limit): the directory name still counts
_DAMAGE = frozenset({"bad-crc", "corrupt-entry", "truncated", "unsupported-compression", "encrypted", "unreadable"})
_DIST_DIR = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._]*?)-([0-9][A-Za-z0-9.!+_-]*)\.(?:dist-info|egg-info)$", re.IGNORECASE)
_PYPI = ecosystems.get(PYPI)
DEFAULT_PYTHON = "3.12"
_MAX_METADATA = 8 * 1024 * 1024


def parse_headers(text: str) -> dict[str, list[str]]:
    """Parse RFC 822-style core-metadata headers (stops at the body).  Lenient by design.

    Linear in the input: folded lines are collected and joined once (a METADATA file with a
    million continuation lines must not cost a quadratic number of string copies).
    """
    raw: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if line == "":
            break  # only a truly empty line ends the headers; a blank-looking folded line does not
        if line[0] in " \t":
            if current is not None:
                current.append(line.strip())
            continue
        key, sep, value = line.partition(":")
        if not sep:
            current = None
            continue
        current = [value.strip()]
        raw.append((key.strip().lower(), current))
    headers: dict[str, list[str]] = {}
    for key, parts in raw:
        headers.setdefault(key, []).append("\n".join(parts))
    return headers


def marker_environment(python_version: str) -> dict[str, str]:
    """The environment markers of a Lambda Python runtime (Amazon Linux, CPython)."""
    major_minor = python_version
    return {
        "implementation_name": "cpython",
        "implementation_version": major_minor + ".0",
        "os_name": "posix",
        "platform_machine": "x86_64",
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": major_minor + ".0",
        "python_version": major_minor,
        "sys_platform": "linux",
        "extra": "",
    }


def _requires(values: list[str], env: dict[str, str]) -> tuple[str, ...]:
    if not values:
        return ()
    # imported here: packaging's marker parser costs ~12 ms at start-up, needless for Node-only packages
    from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
    from packaging.requirements import InvalidRequirement, Requirement

    names: set[str] = set()
    for value in values:
        try:
            req = Requirement(value)
        except InvalidRequirement:
            continue
        if req.marker is not None:
            try:
                if not req.marker.evaluate(env):
                    continue  # extra-only or another platform's dependency
            except (UndefinedComparison, UndefinedEnvironmentName, InvalidMarker, ValueError):
                pass  # can't tell: keep the edge
        names.add(_PYPI.normalize(req.name))
    return tuple(sorted(names))


def _licenses(h: dict[str, list[str]]) -> tuple[str, ...]:
    """License-Expression; else the classifiers when one names an exact SPDX license; else a short
    License field ("BSD-3-Clause" says more than the classifier "BSD License"); else the classifiers."""
    expr = [v for v in h.get("license-expression", []) if v]
    if expr:
        return (expr[0],)
    classified: list[str] = []
    any_exact = False
    for c in h.get("classifier", []):
        if c.startswith("License ::"):
            spdx = classifier_to_spdx(c)
            if spdx:
                classified.append(spdx)
                any_exact = any_exact or is_exact_classifier(c)
    if any_exact:  # keep the vague ones too: "Apache Software License" + "BSD License" is a dual license
        return tuple(dict.fromkeys(classified))
    lic = (h.get("license") or [""])[0].strip()
    # The License field often holds the whole license text; only a short one-liner is a name.
    if lic and lic.upper() not in ("UNKNOWN", "NONE") and "\n" not in lic and len(lic) <= 100:
        return (lic,)
    return tuple(dict.fromkeys(classified))


def python_version_for(root: str) -> str:
    m = _PYVER.search(root)
    return m.group(1) if m else DEFAULT_PYTHON


def metadata_root(location: str) -> str:
    """The import root of a distribution: the directory holding its .dist-info / .egg-info."""
    d = dirname(location)
    low = d.lower()
    if low.endswith((".dist-info", ".egg-info")):
        return dirname(d)
    if low.endswith(".egg/egg-info"):  # an unzipped egg: the .egg directory is on sys.path
        return dirname(d)
    if low == "egg-info":
        return ""
    return d


#: Requires-Dist entries read per distribution (real ones have tens; each costs a PEP 508 parse)
MAX_REQUIRES_DIST = 1000


def _capped_requires(reqs: list[str], path: str, notices: list[Notice]) -> list[str]:
    if len(reqs) <= MAX_REQUIRES_DIST:
        return reqs
    notices.append(Notice("metadata-truncated", path, f"{len(reqs)} Requires-Dist entries; the first "
                          f"{MAX_REQUIRES_DIST} are read", True))
    return reqs[:MAX_REQUIRES_DIST]


class PythonInstalledCataloger:
    name = "python-installed"
    names = frozenset({"METADATA", "PKG-INFO"})
    suffixes = (".egg-info",)

    def wants(self, path: str, basename: str) -> bool:
        # suffixes compare case-insensitively, as importlib.metadata does
        if basename == "METADATA":
            return path[: -len("/METADATA")].lower().endswith(".dist-info")
        if basename == "PKG-INFO":
            parent = path[: -len("/PKG-INFO")].lower()
            return parent.endswith(".egg-info") or parent.endswith(".egg/egg-info") or parent == "egg-info"
        return basename.lower().endswith(".egg-info")  # the single-file form

    def catalog(self, tree: Tree, paths: list[str], result: CatalogResult) -> None:
        for path in paths:
            data, complete = read_metadata(tree, path, _MAX_METADATA)
            if data is not None and not complete:  # padded: the headers come first
                data = header_section(data)
            if data is None:
                # damaged metadata (a bad CRC, say): the directory name still tells name and version;
                # not for attack patterns (bombs, overlapping entries), whose names prove nothing
                last = tree.notices[-1] if tree.notices else None
                if last is not None and last.path == path and last.code in _DAMAGE and not last.suspicious:
                    inst = self.from_directory_name(path, tree.notices)
                    if inst is not None:
                        result.installed.append(inst)
                continue
            inst = self.parse(path, data, tree.notices)
            if not complete and (inst is None or not inst.version):
                # the padding came before Name/Version: the .dist-info directory still names them
                inst = self.from_directory_name(path, tree.notices) or inst
            if inst is not None:
                result.installed.append(inst)

    def from_directory_name(self, path: str, notices: list[Notice]) -> Installed | None:
        """A distribution whose metadata cannot be read is still there: its ``.dist-info`` directory
        is named ``<name>-<version>.dist-info`` (the wheel spec), so name and version are known."""
        m = _DIST_DIR.match(path.rsplit("/", 2)[-2]) if path.count("/") >= 1 else None
        if m is None:
            return None
        notices.append(Notice("metadata-from-directory-name", path,
                              f"metadata unreadable; {m.group(1)} {m.group(2)} taken from the directory name"))
        root = metadata_root(path)
        return Installed(ecosystem=PYPI, name=_PYPI.normalize(m.group(1)), version=m.group(2), location=path, root=root)

    def parse(self, path: str, data: bytes, notices: list[Notice]) -> Installed | None:
        h = parse_headers(decode_text(data))
        name = (h.get("name") or [""])[0]
        version = (h.get("version") or [""])[0]
        if not _PYPI.valid_name(name):
            notices.append(Notice("malformed-metadata", path, "no valid Name field; not a distribution"))
            return None
        if not version:
            notices.append(Notice("malformed-metadata", path, f"{name}: no Version field"))
        root = dirname(path) if path.lower().endswith(".egg-info") else metadata_root(path)
        env = marker_environment(python_version_for(root))
        summary = (h.get("summary") or [""])[0]
        return Installed(
            ecosystem=PYPI,
            name=_PYPI.normalize(name),
            version=version.strip(),
            location=path,
            root=root,
            licenses=_licenses(h),
            description=summary[:500],
            requires=_requires(_capped_requires(h.get("requires-dist", []), path, notices), env),
        )
