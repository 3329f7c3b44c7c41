"""What an ecosystem is, in one place: everything else asks this registry.

An :class:`Ecosystem` says how pkgscan names it (``Component.ecosystem``), its package-URL type, its
OSV ecosystem name (``None`` when OSV publishes no advisories for it), how names compare and which
are valid, how versions are ordered (a module of :mod:`pkgscan.versions`), how a purl is built, and
where its packages install.  Adding an ecosystem means one entry here, its cataloger and, where its
versions need one, a version module.  Asking for an ecosystem nobody registered raises
:class:`UnknownEcosystem`: a package is never silently treated as another ecosystem's.
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from types import ModuleType
from typing import Callable
from urllib.parse import quote

__all__ = ["Ecosystem", "UnknownEcosystem", "get", "lookup", "by_osv", "all_ecosystems", "osv_names",
           "PYPI", "NPM", "MAVEN", "GOLANG", "NUGET", "GEM", "RPM"]

PYPI, NPM, MAVEN, GOLANG, NUGET, GEM, RPM = "pypi", "npm", "maven", "golang", "nuget", "gem", "rpm"


class UnknownEcosystem(ValueError):
    """An ecosystem name nothing registered: never guessed, never mapped to another ecosystem."""


_PEP503 = re.compile(r"[-_.]+")


def pep503(name: str) -> str:
    """PEP 503 normalized name (what ``packaging.utils.canonicalize_name`` returns)."""
    return _PEP503.sub("-", name).lower()


_PYPI_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def valid_pypi_name(name: str) -> bool:
    return bool(name) and len(name) <= 256 and bool(_PYPI_NAME.match(name))


def valid_npm_name(name: str) -> bool:
    """A name npm could install: 'name' or '@scope/name', no empty parts, no path tricks.

    Other odd characters (escapes, markup) are kept: they are what the package claims, and every
    output neutralizes them.
    """
    if not name or len(name) > 214 or name.strip() != name:
        return False
    parts = name.split("/")
    if name.startswith("@"):
        return len(parts) == 2 and len(parts[0]) > 1 and parts[1] not in ("", ".", "..")
    return len(parts) == 1 and name not in (".", "..")


def _valid_maven_name(name: str) -> bool:
    group, sep, artifact = name.partition(":")
    return bool(sep and group and artifact and ":" not in artifact and len(name) <= 512
                and not any(c.isspace() for c in name))


def _valid_go_name(name: str) -> bool:
    return bool(name) and len(name) <= 1024 and not any(c.isspace() for c in name) \
        and ".." not in name.split("/") and not name.startswith("/")


def _valid_simple_name(name: str) -> bool:
    return bool(name) and len(name) <= 512 and not any(c.isspace() or c in "/\\" for c in name)


def _same(name: str) -> str:
    return name


def _lower(name: str) -> str:
    return name.lower()


def _strip_go_prefix(version: str) -> str:
    """Go build info says ``v1.2.3`` and ``go1.21.3``; OSV's Go records say ``1.2.3`` and ``1.21.3``."""
    if version.startswith("go") and version[2:3].isdigit():
        return version[2:]
    return version[1:] if version.startswith("v") else version


def _purl(type_: str, namespace: str | None, name: str, version: str, qualifiers: dict | None = None) -> str:
    """The package URL; never raises (a name no purl can carry is percent-encoded as one segment)."""
    from packageurl import PackageURL

    try:
        return PackageURL(type=type_, namespace=namespace or None, name=name, version=version or None,
                          qualifiers=qualifiers or None).to_string()
    except ValueError:
        tail = f"@{quote(version, safe='', errors='replace')}" if version else ""
        ns = f"{quote(namespace, safe='/', errors='replace')}/" if namespace else ""
        return f"pkg:{type_}/{ns}{quote(name or '_', safe='', errors='replace')}{tail}"


def _pypi_purl(name: str, version: str) -> str:
    return _purl("pypi", None, pep503(name), version)


def _npm_purl(name: str, version: str) -> str:
    ns, _, short = name.rpartition("/") if name.startswith("@") else ("", "", name)
    return _purl("npm", ns, short, version)


def _maven_purl(name: str, version: str) -> str:
    group, _, artifact = name.partition(":")
    return _purl("maven", group, artifact or group, version)


def _go_purl(name: str, version: str) -> str:
    ns, _, short = name.rpartition("/")
    return _purl("golang", ns, short, version)


def _simple_purl(type_: str) -> Callable[[str, str], str]:
    def make(name: str, version: str) -> str:
        return _purl(type_, None, name, version)

    return make


def _rpm_purl(name: str, version: str) -> str:
    return rpm_purl(name, version)


def rpm_purl(name: str, version: str, arch: str = "") -> str:
    """``pkg:rpm/amazon/NAME@VERSION-RELEASE?arch=ARCH&epoch=EPOCH`` from an ``[EPOCH:]VERSION-RELEASE``."""
    head, sep, rest = version.partition(":")
    quals = {}
    if sep and head.isdigit() and head.isascii():
        version = rest
        if int(head):
            quals["epoch"] = str(int(head))
    if arch:
        quals["arch"] = arch
    return _purl("rpm", "amazon", name, version, quals)


@dataclass(frozen=True)
class Ecosystem:
    #: pkgscan's own name (``Component.ecosystem``)
    key: str
    #: package-URL type
    purl_type: str
    #: OSV ecosystem name; None: OSV publishes no advisories for these packages
    osv: str | None
    #: module of :mod:`pkgscan.versions` that orders versions (``sort_key``, ``is_valid``, optional
    #: ``equal`` and ``canonical``)
    version_module: str
    #: name as compared and matched (PyPI: PEP 503; NuGet: case-insensitive; others as written)
    normalize: Callable[[str], str]
    #: a name the ecosystem's tools could install
    valid_name: Callable[[str], bool]
    #: (name, version) -> package URL
    make_purl: Callable[[str, str], str]
    #: where packages install in a function or layer (documentation; the catalogers implement it)
    install_roots: tuple[str, ...] = ()
    #: how dependency names resolve to installed copies: "node" (node_modules walk) or "name"
    resolution: str = "name"
    #: the version as OSV writes it for this ecosystem (Go drops the ``v``)
    osv_version: Callable[[str], str] = field(default=_same)
    #: other names people and documents use for it (purl type, OSV name, lower-case forms)
    aliases: tuple[str, ...] = ()

    @cached_property
    def versions(self) -> ModuleType:
        return importlib.import_module(f"pkgscan.versions.{self.version_module}")

    def sort_key(self, version: str) -> tuple:
        """A total order on any version string (never raises)."""
        return self.versions.sort_key(version if isinstance(version, str) else str(version))

    def is_valid_version(self, version: str) -> bool:
        return isinstance(version, str) and self.versions.is_valid(version)

    def same_version(self, a: str, b: str) -> bool:
        """Equal as the ecosystem means it (PEP 440: "2018.04.16" == "2018.4.16"); else the same string."""
        if a == b:
            return True
        equal = getattr(self.versions, "equal", None)
        return bool(equal and equal(a, b))

    def canonical_version(self, version: str) -> str:
        canonical = getattr(self.versions, "canonical", None)
        return canonical(version) if canonical else version


_REGISTRY: tuple[Ecosystem, ...] = (
    Ecosystem(PYPI, "pypi", "PyPI", "pep440", pep503, valid_pypi_name, _pypi_purl,
              install_roots=("", "python", "python/lib/pythonX.Y/site-packages"),
              aliases=("pypi", "python")),
    Ecosystem(NPM, "npm", "npm", "semver", _same, valid_npm_name, _npm_purl,
              install_roots=("node_modules", "nodejs/node_modules", "nodejs/nodeNN/node_modules"),
              resolution="node", aliases=("npm", "node")),
    Ecosystem(MAVEN, "maven", "Maven", "maven", _same, _valid_maven_name, _maven_purl,
              install_roots=("lib", "java/lib"), aliases=("maven", "java")),
    Ecosystem(GOLANG, "golang", "Go", "go", _same, _valid_go_name, _go_purl,
              install_roots=("bootstrap", "bin", "extensions"), osv_version=_strip_go_prefix, aliases=("go", "golang")),
    Ecosystem(NUGET, "nuget", "NuGet", "nuget", _lower, _valid_simple_name, _simple_purl("nuget"),
              install_roots=("", "dotnet"), aliases=("nuget", ".net", "dotnet")),
    Ecosystem(GEM, "gem", "RubyGems", "rubygems", _same, _valid_simple_name, _simple_purl("gem"),
              install_roots=("vendor/bundle/ruby/X/", "ruby/gems/X/"), aliases=("gem", "rubygems", "ruby")),
    Ecosystem(RPM, "rpm", None, "rpm", _same, _valid_simple_name, _rpm_purl,
              install_roots=("var/lib/rpm",), aliases=("rpm",)),
)

_BY_KEY = {e.key: e for e in _REGISTRY}
_BY_ANY: dict[str, Ecosystem] = {}
for _e in _REGISTRY:
    for _n in (_e.key, _e.purl_type, _e.osv or "", *_e.aliases):
        if _n:
            _BY_ANY.setdefault(_n.lower(), _e)
del _e, _n


def get(key: str) -> Ecosystem:
    """The ecosystem of a ``Component.ecosystem`` key ("pypi", "npm", "maven", ...)."""
    try:
        return _BY_KEY[key]
    except (KeyError, TypeError):
        raise UnknownEcosystem(f"unknown ecosystem {key!r}") from None


def lookup(name: str) -> Ecosystem:
    """Any name of an ecosystem: pkgscan key, purl type, OSV name or alias, case-insensitively."""
    try:
        return _BY_ANY[name.lower()]
    except (KeyError, AttributeError):
        raise UnknownEcosystem(f"unknown ecosystem {name!r}") from None


def find(name: str) -> Ecosystem | None:
    """Like :func:`lookup`, but None for a name nobody registered (documents from elsewhere)."""
    return _BY_ANY.get(name.lower()) if isinstance(name, str) else None


def by_osv(osv_name: str) -> Ecosystem | None:
    """The ecosystem OSV calls ``osv_name`` ("PyPI", "Go", "Debian:11" -> None), or None."""
    base = osv_name.split(":", 1)[0]
    e = _BY_ANY.get(base.lower())
    return e if e is not None and e.osv == base else None


def all_ecosystems() -> tuple[Ecosystem, ...]:
    return _REGISTRY


def osv_names() -> tuple[str, ...]:
    """Every OSV ecosystem pkgscan matches, in registry order."""
    return tuple(e.osv for e in _REGISTRY if e.osv)
