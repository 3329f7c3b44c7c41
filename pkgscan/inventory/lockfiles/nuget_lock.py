"""NuGet ``packages.lock.json`` (``RestorePackagesWithLockFile``).

``dependencies`` maps each target framework (``net8.0``, ``.NETCoreApp,Version=v5.0``, and with
runtime identifiers ``net8.0/linux-x64``) to ``{name: {type, requested, resolved, contentHash,
dependencies}}``.  ``type`` is ``Direct``, ``Transitive``, ``CentralTransitive`` or ``Project`` (a
project reference: the app's own code, source ``workspace``).  Every package is reported once per
(case-insensitive name, resolved version) over all frameworks; its ``dependencies`` are the names
its entries list.  NuGet records no development dependencies.  ``line`` is the line of the
first entry of that name@version.
"""
from __future__ import annotations

import json

from ...model import LockedPackage, LockfileParse
from . import KeyLines, LockfileError, decode_text, guarded, result

__all__ = ["parse", "LockfileError"]

NUGET = "nuget"
_MAX_PACKAGES = 200_000


@guarded
def parse(data: bytes, path: str) -> LockfileParse:
    text = decode_text(data)
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise LockfileError(f"{path}: not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise LockfileError(f"{path}: not a JSON object")
    frameworks = doc.get("dependencies")
    if not isinstance(frameworks, dict):
        raise LockfileError(f"{path}: no 'dependencies' object")
    warnings: list[str] = []
    version = doc.get("version")
    if version not in (1, 2):
        warnings.append(f"lockfile version {version!r}; read as version 1")
    lines = KeyLines(text, "{")
    order: list[tuple[str, str]] = []
    entries: dict[tuple[str, str], dict] = {}
    for tfm, packages in frameworks.items():
        if not isinstance(packages, dict):
            warnings.append(f"framework {tfm!r}: not an object")
            continue
        for name, info in packages.items():
            if not isinstance(info, dict) or not isinstance(name, str) or not name.strip():
                warnings.append(f"{tfm}: entry {name!r} is not a package object")
                continue
            kind = info.get("type")
            resolved = info.get("resolved")
            if kind == "Project":
                resolved = resolved if isinstance(resolved, str) else ""
            elif not isinstance(resolved, str) or not resolved.strip():
                warnings.append(f"{tfm}: {name} has no resolved version")
                continue
            line = lines.line(name)  # entries are visited in document order
            ident = (name.strip().lower(), resolved.strip().lower())
            e = entries.get(ident)
            if e is None:
                if len(entries) >= _MAX_PACKAGES:
                    warnings.append(f"more than {_MAX_PACKAGES} packages; the rest are not read")
                    break
                e = entries[ident] = {"name": name.strip(), "version": resolved.strip(), "project": kind == "Project",
                                      "deps": set(), "line": line}
                order.append(ident)
            deps = info.get("dependencies")
            if isinstance(deps, dict):
                e["deps"].update(d for d in deps if isinstance(d, str))
        else:
            continue
        break
    packages_out = [
        LockedPackage(name=e["name"], version=e["version"], ecosystem=NUGET,
                      source="workspace" if e["project"] else "registry",
                      dependencies=tuple(sorted(e["deps"])), line=e["line"])
        for e in (entries[i] for i in order)
    ]
    return result(packages_out, warnings)
