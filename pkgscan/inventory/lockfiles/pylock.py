"""PEP 751 ``pylock.toml`` / ``pylock.<name>.toml``.

Every ``[[packages]]`` entry is a locked package.  ``version`` is optional in PEP 751 (it may be
absent for ``vcs``/``directory``/``archive`` sources) and is then ``""``.  The source comes from
the entry's source key: ``vcs`` (``git`` or ``url`` for other VCSs), ``directory`` (``editable``
when ``editable = true``), ``archive`` (``url`` or ``file``), else ``registry`` (``index``,
``sdist``, ``wheels``).  ``dependencies`` are the ``[[packages.dependencies]]`` names that are
themselves locked.  PEP 751 expresses groups and extras only as markers on each entry; they are
not evaluated, so ``dev``/``optional`` stay false.  Two entries with one name and version (for
different environments) are merged.
"""
from __future__ import annotations

from ...model import PYPI, LockedPackage, LockfileParse
from . import LockfileError, Warnings, describe, guarded
from .toml_common import load_toml, locked_dependencies, merge_duplicates, package_tables, safe_canonical

__all__ = ["parse", "LockfileError"]


def _source(entry: dict) -> str:
    vcs = entry.get("vcs")
    if isinstance(vcs, dict):
        kind = vcs.get("type")
        return "git" if not isinstance(kind, str) or kind.lower() == "git" else "url"
    directory = entry.get("directory")
    if isinstance(directory, dict):
        return "editable" if directory.get("editable") is True else "directory"
    archive = entry.get("archive")
    if isinstance(archive, dict):
        return "url" if isinstance(archive.get("url"), str) else "file"
    return "registry"


@guarded
def parse(data: bytes, path: str) -> LockfileParse:
    doc, text = load_toml(data, path)
    warnings = Warnings()
    lock_version = doc.get("lock-version")
    if lock_version is not None and not (isinstance(lock_version, str) and lock_version.split(".")[0] == "1"):
        warnings.add(f"{path}: lock-version {describe(lock_version)} is not 1.x; read as 1.0")
    tables, locked = package_tables(doc, text, "packages", path, warnings)
    packages: list[LockedPackage] = []
    for t in tables:
        entry, name, version, where = t.entry, t.name, t.version, t.where
        source = _source(entry)
        if not version and source == "registry":
            warnings.add(f"{where} ({name}): no version")
        dep_names = []
        raw_deps = entry.get("dependencies")
        if isinstance(raw_deps, list):
            dep_names = [d.get("name") for d in raw_deps if isinstance(d, dict)]
        elif raw_deps is not None:
            warnings.add(f"{where} ({name}): dependencies {describe(raw_deps)} is not an array")
        packages.append(LockedPackage(
            name=name, version=version, ecosystem=PYPI, source=source,
            dependencies=locked_dependencies(dep_names, locked, safe_canonical(name)),
            line=t.line,
        ))
    return LockfileParse(packages=tuple(merge_duplicates(packages)), warnings=warnings.final())
