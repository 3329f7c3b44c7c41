"""What the policy files share: the error, bounded reading, and matching a package name or purl
and a vulnerability id to a finding.

Names and versions compare the way the component's ecosystem compares them, asked of
:mod:`pkgscan.ecosystems` (PyPI: PEP 503 names and PEP 440 equality; NuGet: case-insensitive
names).  A purl of a type pkgscan does not register (``pkg:deb/...`` in a VEX document about the
base image) is kept as written: it is valid, and simply names no component pkgscan reports.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from packageurl import PackageURL

from ... import ecosystems
from ...errors import PkgscanError
from ...model import Component
from ..model import Finding


class PolicyError(PkgscanError, ValueError):
    """An ignore file or VEX document is invalid (the message is one line and names the file)."""


def read_text(path: Path, limit: int) -> str:
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as e:
        raise PolicyError(f"{path}: cannot read: {e.strerror or e}") from None
    if len(data) > limit:
        raise PolicyError(f"{path}: larger than {limit} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: not UTF-8 text") from None


@dataclass(frozen=True)
class PackageSpec:
    ecosystem: str | None  # ecosystem key ("pypi", "npm"), or an unregistered purl type as written; None = any
    name: str
    version: str | None  # None = any version


def norm_name(ecosystem: str | None, name: str) -> str:
    """``name`` as ``ecosystem`` compares names; as written for an ecosystem nobody registered."""
    eco = ecosystems.find(ecosystem) if ecosystem else None
    return eco.normalize(name) if eco is not None else name


@functools.lru_cache(maxsize=4096)
def parse_purl(purl: str) -> PackageSpec | None:
    """``pkg:type/ns/name@version`` -> spec; qualifiers and subpath are ignored.  None if invalid."""
    try:
        p = PackageURL.from_string(purl.strip())
    except ValueError:
        return None
    ptype = p.type.lower()
    eco = ecosystems.find(ptype)
    key = eco.key if eco is not None and eco.purl_type == ptype else ptype
    name = f"{p.namespace}/{p.name}" if p.namespace else p.name
    return PackageSpec(key, norm_name(key, name), p.version or None)


def spec_matches(spec: PackageSpec, c: Component) -> bool:
    if spec.ecosystem is not None and spec.ecosystem != c.ecosystem:
        return False
    eco = ecosystems.get(c.ecosystem)  # a component's ecosystem is always registered
    if spec.ecosystem is None:
        # a bare name: compare it the way the component's ecosystem compares names
        if eco.normalize(spec.name) != eco.normalize(c.name):
            return False
    elif spec.name != eco.normalize(c.name):
        return False
    return spec.version is None or eco.same_version(spec.version, c.version)


def purl_matches(purl: str, component: Component) -> bool:
    """Does ``purl`` name ``component``?  No version = any version; qualifiers are ignored."""
    spec = parse_purl(purl)
    return spec is not None and spec_matches(spec, component)


def id_set(ids: Iterable[str]) -> frozenset[str]:
    return frozenset(i.strip().casefold() for i in ids if isinstance(i, str) and i.strip())


def finding_ids(f: Finding) -> frozenset[str]:
    return id_set((f.id, *f.ids))
