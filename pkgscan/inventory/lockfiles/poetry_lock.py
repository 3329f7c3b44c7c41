"""``poetry.lock`` (lock-version 1.x with ``category``, 2.x with ``groups``).

Every ``[[package]]`` entry is a locked package.  ``dev`` is true when the entry is outside the
main group: ``groups`` without ``"main"`` (lock 2.x) or ``category = "dev"`` (lock 1.x).
``optional`` is poetry's own ``optional = true`` (installed only through an extra).
``dependencies`` are the ``[package.dependencies]`` names that are themselves locked.
"""
from __future__ import annotations

from ...model import PYPI, LockedPackage, LockfileParse
from . import LockfileError, Warnings, guarded
from .toml_common import load_toml, locked_dependencies, merge_duplicates, package_tables, safe_canonical

__all__ = ["parse", "LockfileError"]

_SOURCE_TYPES = {
    "git": "git",
    "url": "url",
    "file": "file",
    "directory": "directory",
    "legacy": "registry",  # a secondary package index
    "pypi": "registry",
}


@guarded
def parse(data: bytes, path: str) -> LockfileParse:
    doc, text = load_toml(data, path)
    warnings = Warnings()
    tables, locked = package_tables(doc, text, "package", path, warnings)
    packages: list[LockedPackage] = []
    for t in tables:
        entry, name, version, where = t.entry, t.name, t.version, t.where
        if not version:
            warnings.add(f"{where} ({name}): no version")

        source = "registry"
        src = entry.get("source")
        if isinstance(src, dict):
            kind = src.get("type")
            if isinstance(kind, str):
                source = _SOURCE_TYPES.get(kind.lower(), "url")
        if source == "directory" and entry.get("develop") is True:
            source = "editable"

        groups = entry.get("groups")
        if isinstance(groups, list) and groups and all(isinstance(g, str) for g in groups):
            dev = "main" not in groups
        else:
            dev = entry.get("category") == "dev"
        optional = entry.get("optional") is True

        deps_table = entry.get("dependencies")
        dep_names = list(deps_table.keys()) if isinstance(deps_table, dict) else []
        dependencies = locked_dependencies(dep_names, locked, safe_canonical(name))

        packages.append(LockedPackage(
            name=name, version=version, ecosystem=PYPI, dev=dev, optional=optional,
            source=source, dependencies=dependencies, line=t.line,
        ))
    return LockfileParse(packages=tuple(merge_duplicates(packages)), warnings=warnings.final())
