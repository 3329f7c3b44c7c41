"""``pdm.lock``.

Every ``[[package]]`` is a locked package.  PDM writes one extra entry per extras combination
(``name``/``version`` repeated with ``extras = [...]``); those are merged into one package.

Groups: an entry whose ``groups`` contain ``"default"`` is production; otherwise ``dev`` when they
contain ``"dev"``, else ``optional`` (an optional-dependency group or a named dev group: the lock
alone cannot tell which, and osv-scalibr makes the same call).  An entry without ``groups`` (old
lock formats) is production.  ``dependencies`` are the names of the PEP 508 ``dependencies``
strings that are themselves locked.
"""
from __future__ import annotations

import re

from ...model import PYPI, LockedPackage, LockfileParse
from . import LockfileError, Warnings, describe, guarded
from .toml_common import load_toml, locked_dependencies, merge_duplicates, package_tables, safe_canonical

__all__ = ["parse", "LockfileError"]

_REQ_NAME_RE = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_ARCHIVE_EXTS = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".tar")


def _source(entry: dict) -> str:
    if entry.get("editable") is True:
        return "editable"
    if isinstance(entry.get("git"), str) or isinstance(entry.get("hg"), str):
        return "git" if "git" in entry else "url"
    if isinstance(entry.get("path"), str):
        return "file" if entry["path"].lower().endswith(_ARCHIVE_EXTS) else "directory"
    if isinstance(entry.get("url"), str):
        return "file" if entry["url"].lower().startswith("file:") else "url"
    return "registry"


@guarded
def parse(data: bytes, path: str) -> LockfileParse:
    doc, text = load_toml(data, path)
    warnings = Warnings()
    tables, locked = package_tables(doc, text, "package", path, warnings)
    packages: list[LockedPackage] = []
    for t in tables:
        entry, name, version, where = t.entry, t.name, t.version, t.where
        source = _source(entry)
        if not version and source == "registry":
            warnings.add(f"{where} ({name}): no version")

        groups = entry.get("groups")
        dev = optional = False
        if isinstance(groups, list) and groups:
            names = {g for g in groups if isinstance(g, str)}
            if "default" not in names:
                dev = "dev" in names
                optional = not dev

        dep_names = []
        raw_deps = entry.get("dependencies")
        if isinstance(raw_deps, list):
            for req in raw_deps:
                m = _REQ_NAME_RE.match(req) if isinstance(req, str) else None
                if m:
                    dep_names.append(m.group(1))
        elif raw_deps is not None:
            warnings.add(f"{where} ({name}): dependencies {describe(raw_deps)} is not an array")

        packages.append(LockedPackage(
            name=name, version=version, ecosystem=PYPI, dev=dev, optional=optional, source=source,
            dependencies=locked_dependencies(dep_names, locked, safe_canonical(name)),
            line=t.line,
        ))
    return LockfileParse(packages=tuple(merge_duplicates(packages)), warnings=warnings.final())
