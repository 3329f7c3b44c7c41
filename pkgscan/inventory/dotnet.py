""".NET: the NuGet packages a published app loads, from its ``<App>.deps.json``.

A Lambda .NET function zip (``dotnet lambda package`` / ``dotnet publish``) has the app's dlls and
``<App>.deps.json`` at its root (a layer: under ``dotnet/``, or anywhere).  The .NET host resolves
assemblies from the deps.json, so it is the installed metadata:

* ``runtimeTarget.name`` names the target the host uses (``.NETCoreApp,Version=v8.0`` or, for a
  self-contained / RID-specific publish, ``.NETCoreApp,Version=v8.0/linux-x64``);
* ``libraries`` says what each ``Name/Version`` is: ``package`` (a NuGet package: a component),
  ``project`` (the app itself or a project it references: not a component), ``runtimepack`` (the
  .NET runtime shipped with a self-contained app: reported as the NuGet package it comes from,
  ``Microsoft.NETCore.App.Runtime.linux-x64``), anything else (``reference``) is skipped;
* ``targets[<runtime target>]`` lists what was resolved for that target, with each library's
  ``dependencies`` (the dependency edges) and its assets (``runtime``, ``native``,
  ``runtimeTargets``, ``resources``).  A package the runtime target does not list was not resolved
  for this runtime and is not reported; a package listed without assets (a meta-package, or one
  the shared framework supersedes) is reported with ``pkgscan:nuget:assets=none``.

When the named target is missing, every package library is reported (without edges) and a notice
says so.  A deps.json larger than :data:`_MAX_FULL_PARSE`, nested too deep for the JSON reader, or
not valid JSON is read by pattern instead: every ``"Name/Version": {"type": "package"`` library
entry (the SDK always writes ``type`` first), with a notice and a lower confidence, never nothing.
At most :data:`MAX_LIBRARIES` package libraries are read from one file (a notice, marked suspicious,
says when there were more).

Evidence: ``manifest-analysis``, confidence 1.0 (0.8 when read by pattern).
"""
from __future__ import annotations

import json
import re

from .. import ecosystems
from ..archive import Tree
from ..model import Evidence, Notice
from .base import CatalogResult, Installed, decode_text, dirname, scrub

NUGET = "nuget"
_MAX_DEPS_JSON = 64 * 1024 * 1024
#: above this a deps.json is read by pattern (json.loads of hostile arrays costs ~10x its size)
_MAX_FULL_PARSE = 8 * 1024 * 1024
_ASSETS = ("runtime", "native", "runtimeTargets", "resources")
#: package libraries kept from one deps.json (real apps have hundreds); the rest get a notice
MAX_LIBRARIES = 20_000
_RUNTIMEPACK = "runtimepack."

_PAT_TARGET = re.compile(rb'"runtimeTarget"\s*:\s*\{\s*"name"\s*:\s*"([^"\\\r\n]{0,512})"')
_PAT_LIBRARY = re.compile(rb'"([^"\\/\r\n]{1,512})/([^"\\/\r\n]{1,256})"\s*:\s*\{\s*"type"\s*:\s*"([A-Za-z]{1,32})"')


def _split_key(key: str) -> tuple[str, str] | None:
    """``"Name/Version"`` -> (name, version); None when it is not one (or the name is no NuGet id)."""
    name, sep, version = key.partition("/")
    name, version = name.strip(), version.strip()
    if not sep or not version or "/" in version or not ecosystems.get(NUGET).valid_name(name):
        return None
    return name, version


class DotnetDepsCataloger:
    name = "dotnet-deps"
    names = frozenset()
    suffixes = (".deps.json",)

    def wants(self, path: str, basename: str) -> bool:
        parts = path.split("/")
        # a NuGet package's own build files never ship deps.json; one inside node_modules is not .NET's
        return basename.lower().endswith(".deps.json") and "node_modules" not in parts

    def catalog(self, tree: Tree, paths: list[str], result: CatalogResult) -> None:
        for path in paths:
            data = tree.read_or_note(path, _MAX_DEPS_JSON)
            if data is None:
                continue
            try:
                result.installed.extend(parse_deps_json(data, path, tree.notices))
            except Exception as exc:  # never out of the cataloger
                tree.notices.append(Notice("malformed-metadata", path, f"deps.json not read: {type(exc).__name__}: {exc}"))


def parse_deps_json(data: bytes, path: str, notices: list[Notice]) -> list[Installed]:
    doc = None
    why = ""
    if len(data) > _MAX_FULL_PARSE:
        why = f"larger than {_MAX_FULL_PARSE // (1024 * 1024)} MiB"
    else:
        try:
            doc = json.loads(decode_text(data))
        except RecursionError:
            why = "nested too deep for the JSON reader"
        except ValueError as exc:
            why = f"not valid JSON ({exc})"
        if doc is not None and not isinstance(doc, dict):
            notices.append(Notice("malformed-metadata", path, "deps.json is not a JSON object"))
            return []
    if doc is None:
        return _by_pattern(data, path, why, notices)
    return _from_document(doc, path, notices)


def _installed(path: str, name: str, version: str, kind: str, requires: tuple[str, ...], confidence: float,
               detail: str, extra: tuple[tuple[str, str], ...] = ()) -> Installed:
    props: list[tuple[str, str]] = list(extra)
    if kind == "runtimepack":
        props.append(("pkgscan:nuget:type", "runtimepack"))
    return Installed(
        ecosystem=NUGET,
        name=scrub(name),
        version=scrub(version),
        location=path,
        root=dirname(path),
        requires=requires,
        evidence=(Evidence("manifest-analysis", confidence, path, detail),),
        properties=tuple(sorted(props)),
    )


def _component_name(name: str, kind: str) -> str:
    if kind == "runtimepack" and name.lower().startswith(_RUNTIMEPACK):
        return name[len(_RUNTIMEPACK):]
    return name


def _from_document(doc: dict, path: str, notices: list[Notice]) -> list[Installed]:
    libraries = doc.get("libraries")
    if not isinstance(libraries, dict):
        if libraries is not None:
            notices.append(Notice("malformed-metadata", path, "deps.json 'libraries' is not an object"))
        return []
    targets = doc.get("targets") if isinstance(doc.get("targets"), dict) else {}
    rt = doc.get("runtimeTarget")
    rt_name = rt.get("name") if isinstance(rt, dict) else None
    target = None
    if isinstance(rt_name, str) and isinstance(targets.get(rt_name), dict):
        target = targets[rt_name]
    elif not isinstance(rt_name, str) and len(targets) == 1 and isinstance(next(iter(targets.values())), dict):
        target = next(iter(targets.values()))
    if target is None:
        notices.append(Notice("dotnet-no-runtime-target", path,
                              f"runtime target {rt_name!r} is not among the targets; every package library "
                              "is reported, without dependencies"))
    target_lower = {k.lower(): k for k in target} if target is not None else {}

    out: list[Installed] = []
    seen: set[tuple[str, str]] = set()
    bad = 0
    for key, lib in libraries.items():
        if not isinstance(lib, dict):
            bad += 1
            continue
        kind = lib.get("type")
        if kind not in ("package", "runtimepack"):
            continue  # the app itself (project), framework references
        split = _split_key(key)
        if split is None:
            bad += 1
            continue
        name, version = split
        entry = None
        if target is not None:
            tkey = key if key in target else target_lower.get(key.lower())
            if tkey is None:
                continue  # not resolved for the runtime target
            entry = target[tkey]
        requires: tuple[str, ...] = ()
        props: list[tuple[str, str]] = []
        if isinstance(entry, dict):
            deps = entry.get("dependencies")
            if isinstance(deps, dict):
                requires = tuple(sorted({_component_name(scrub(d), "runtimepack") for d in deps if isinstance(d, str)}))
            if not any(entry.get(a) for a in _ASSETS):
                props.append(("pkgscan:nuget:assets", "none"))
        sha = lib.get("sha512")
        if isinstance(sha, str) and sha.startswith("sha512-") and len(sha) < 200:
            props.append(("pkgscan:nuget:sha512", sha[7:]))
        cname = _component_name(name, kind)
        admit = _admit(seen, cname, version, path, notices)
        if admit is None:
            break
        if not admit:
            continue
        out.append(_installed(path, cname, version, kind, requires, 1.0, f"deps.json {kind} library", tuple(props)))
    if bad:
        notices.append(Notice("malformed-metadata", path, f"{bad} library entries without a 'Name/Version' key (a valid NuGet id) or "
                              "an object value were skipped"))
    return out


def _admit(seen: set[tuple[str, str]], name: str, version: str, path: str, notices: list[Notice]) -> bool | None:
    """True for a library not seen yet, False for a repeat, None (with a notice) once the cap is reached."""
    ident = (name.lower(), version.lower())
    if ident in seen:
        return False
    if len(seen) >= MAX_LIBRARIES:
        notices.append(Notice("dotnet-too-many-libraries", path, f"more than {MAX_LIBRARIES} package libraries; "
                              "the rest are not read", True))
        return None
    seen.add(ident)
    return True


def _by_pattern(data: bytes, path: str, why: str, notices: list[Notice]) -> list[Installed]:
    out: list[Installed] = []
    seen: set[tuple[str, str]] = set()
    for m in _PAT_LIBRARY.finditer(data):
        kind = m.group(3).decode("ascii")
        if kind not in ("package", "runtimepack"):
            continue
        split = _split_key(m.group(1).decode("utf-8", "replace") + "/" + m.group(2).decode("utf-8", "replace"))
        if split is None:
            continue
        name, version = _component_name(split[0], kind), split[1]
        admit = _admit(seen, name, version, path, notices)
        if admit is None:
            break
        if not admit:
            continue
        out.append(_installed(path, name, version, kind, (), 0.8, "deps.json library entry read by pattern"))
    notices.append(Notice("dotnet-deps-by-pattern", path,
                          f"deps.json {why}: its {len(out)} package libraries were read by pattern, without the "
                          "runtime target or dependencies"))
    return out
