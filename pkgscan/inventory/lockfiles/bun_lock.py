"""Text ``bun.lock`` (bun >= 1.1.39; JSONC: trailing commas and comments allowed).

``packages`` maps an install key (``"chalk/supports-color"`` is supports-color nested under chalk)
to a tuple whose first element is ``"real-name@resolution"`` and which has a variable number of
further elements (registry URL, an info object with dependencies, integrity, ...).

- One LockedPackage per ``packages`` key; ``install_path`` is ``node_modules/a/node_modules/b``.
- The root (``name@root:``) is not reported.  Workspace members (``name@workspace:path``) are, with
  ``source="workspace"`` and the version from the ``workspaces`` section.
- Git/GitHub dependencies have no registry version: ``version=""``.
- dev: reachable only from the workspaces' ``devDependencies`` (bun.lock has no dev flag);
  optional: reachable only through ``optionalDependencies``.
- The binary ``bun.lockb`` is not supported.
"""
from __future__ import annotations

import re

from ...ecosystems import valid_npm_name
from ...model import NPM, LockedPackage, LockfileParse
from . import KeyLines, decode_text, guarded, json_object, reachable, result, url_source

# strings are kept, comments dropped, commas before a closing bracket dropped
_JSONC = re.compile(
    r'("[^"\\\n]*(?:\\.[^"\\\n]*)*")'
    r"|//[^\n]*"
    r"|/\*[\s\S]*?(?:\*/|\Z)"
    r"|,(?=(?:\s|//[^\n]*|/\*[\s\S]*?\*/)*[\]}])"
)
_DEP_FIELDS = ("dependencies", "optionalDependencies", "peerDependencies")
_ROOT_GROUPS = (("dependencies", "prod"), ("peerDependencies", "prod"),
                ("optionalDependencies", "optional"), ("devDependencies", "dev"))
_WORK_BUDGET = 2_000_000


def _strip_jsonc(text: str) -> str:
    if "/" not in text and "," not in text:
        return text
    return _JSONC.sub(lambda m: m[1] or "", text)  # strings kept; comments and trailing commas dropped


def _resolve(from_key: str, dep: str, packages: dict) -> str | None:
    """Node's lookup: 'a/b' + 'c' -> 'a/b/c', then 'a/c', then 'c'."""
    base = from_key
    while True:
        cand = f"{base}/{dep}" if base else dep
        if cand in packages:
            return cand
        if not base:
            return None
        # drop the last package name (a scoped name is two segments)
        parts = base.split("/")
        cut = 2 if len(parts) >= 2 and parts[-2].startswith("@") else 1
        base = "/".join(parts[:-cut])


def _info(tup: list) -> dict:
    for item in tup[1:]:
        if isinstance(item, dict):
            return item
    return {}


def _groups(workspaces: dict, packages: dict, path: str, warnings: list[str]) -> dict[str, set[str]]:
    """{'prod'|'optional'|'dev': keys reachable from the workspaces' dependency groups}."""
    budget = [_WORK_BUDGET]

    def successors(key: str) -> list[str] | None:
        tup = packages.get(key)
        if not isinstance(tup, list):
            return []
        info = _info(tup)
        out: list[str] = []
        for field in _DEP_FIELDS:
            deps = info.get(field)
            if not isinstance(deps, dict):
                continue
            budget[0] -= len(deps)
            if budget[0] < 0:
                return None
            out.extend(k for k in (_resolve(key, d, packages) for d in deps if isinstance(d, str)) if k)
        return out

    reach: dict[str, set[str]] = {}
    for group in ("prod", "optional", "dev"):
        todo: list[str] = []
        for ws in workspaces.values():
            if not isinstance(ws, dict):
                continue
            for field, g in _ROOT_GROUPS:
                deps = ws.get(field)
                if g == group and isinstance(deps, dict):
                    todo.extend(k for k in (_resolve("", d, packages) for d in deps if isinstance(d, str)) if k)
        found = reachable(todo, successors)
        if found is None:
            warnings.append(f"{path}: dependency graph too large; dev/optional flags are incomplete")
            return {"prod": set(), "optional": set(), "dev": set()}
        reach[group] = found
    return reach


def _install_path(key: str) -> str:
    parts = key.split("/")
    names: list[str] = []
    i = 0
    while i < len(parts):
        if parts[i].startswith("@") and i + 1 < len(parts):
            names.append(parts[i] + "/" + parts[i + 1])
            i += 2
        else:
            names.append(parts[i])
            i += 1
    return "/".join("node_modules/" + n for n in names)


def _workspace_version(workspaces: dict, ws_path: str, name: str) -> str:
    ws = workspaces.get(ws_path)
    if not isinstance(ws, dict):
        for cand in workspaces.values():
            if isinstance(cand, dict) and cand.get("name") == name:
                ws = cand
                break
    v = ws.get("version") if isinstance(ws, dict) else None
    return v if isinstance(v, str) else ""


@guarded
def parse(data: bytes, path: str) -> LockfileParse:
    text = decode_text(data)
    doc = json_object(_strip_jsonc(text), path, "bun.lock")
    warnings: list[str] = []
    version = doc.get("lockfileVersion")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        warnings.append(f"{path}: lockfileVersion {version!r} is not a number")
    packages = doc.get("packages")
    if packages is None:
        return result([], warnings)
    if not isinstance(packages, dict):
        warnings.append(f"{path}: 'packages' is a {type(packages).__name__}, not an object")
        return result([], warnings)
    workspaces = doc.get("workspaces")
    if not isinstance(workspaces, dict):
        workspaces = {}
    reach = _groups(workspaces, packages, path, warnings)
    lines = KeyLines(text, "[")

    out: list[LockedPackage] = []
    for key, tup in packages.items():
        line = lines.line(key)
        if not isinstance(tup, list) or not tup or not isinstance(tup[0], str):
            warnings.append(f"{path}: could not extract {key!r}: not a [\"name@version\", ...] tuple; skipped")
            continue
        ident = tup[0]
        at = ident.find("@", 1)
        if at < 0:
            warnings.append(f"{path}: could not extract {key!r}: no version in {ident!r}; skipped")
            continue
        name, spec = ident[:at], ident[at + 1:]
        if not valid_npm_name(name):
            warnings.append(f"{path}: could not extract {key!r}: invalid package name {name!r}; skipped")
            continue
        if spec.startswith("root:"):
            continue  # the project itself
        if spec.startswith("workspace:"):
            source = "workspace"
            version = _workspace_version(workspaces, spec[len("workspace:"):], name)
        elif spec.startswith("npm:"):  # not written by bun today, but cheap to accept
            source, version = "registry", spec[4:]
        elif spec[:1].isdigit():
            source, version = "registry", spec
            if len(tup) > 1 and isinstance(tup[1], str) and tup[1]:
                source = url_source(tup[1]) or "registry"
        else:
            source = url_source(spec) or ("git" if "#" in spec or "/" in spec else "url")
            version = ""
        info = _info(tup)
        deps: set[str] = set()
        for field in _DEP_FIELDS:
            d = info.get(field)
            if isinstance(d, dict):
                deps.update(k for k in d if isinstance(k, str) and k)
        prod = key in reach["prod"]
        out.append(LockedPackage(
            name=name,
            version=version,
            ecosystem=NPM,
            dev=key in reach["dev"] and not prod and key not in reach["optional"],
            optional=key in reach["optional"] and not prod,
            install_path=_install_path(key),
            source=source,
            dependencies=tuple(sorted(deps)),
            line=line,
        ))
    return result(out, warnings)
