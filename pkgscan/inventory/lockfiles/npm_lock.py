"""npm lockfiles: ``package-lock.json`` (v1, v2, v3), ``npm-shrinkwrap.json`` and the hidden
lockfile ``node_modules/.package-lock.json``.

- v2/v3 (and hidden lockfiles): one LockedPackage per ``packages`` entry, ``install_path`` = the key.
  v2 files also carry the legacy v1 ``dependencies`` tree; it is ignored when ``packages`` is there.
- v1: the nested ``dependencies`` tree; ``install_path`` is rebuilt from the nesting
  (``node_modules/a/node_modules/b``).
- The root project (``""``) is not reported.  ``link: true`` entries are reported once, as the link
  (``source="link"``, ``install_path`` = the link's key, name from the target's ``name`` or the link's
  key, version, dependencies and line from the link target); a link target that is not under
  ``node_modules`` (a workspace folder) is then not reported a second time.  A link to a missing
  entry is skipped with a warning.  Folders that no link points at (``file:`` directory dependencies) are
  reported with ``source="workspace"`` when the root declares workspaces, else ``"file"``.
- npm aliases (``"x": "npm:real@1.2.3"`` in v1, ``"name": "real"`` in v2) give the real name.
- v1 git / file / URL dependencies have no registry version: ``version=""``.
"""
from __future__ import annotations

import fnmatch

from ...ecosystems import valid_npm_name
from ...model import NPM, LockedPackage, LockfileParse
from . import KeyLines, decode_text, guarded, json_object, result, url_source

_DEP_FIELDS = ("dependencies", "optionalDependencies", "peerDependencies")
_NM = "node_modules/"


@guarded
def parse(data: bytes, path: str) -> LockfileParse:
    text = decode_text(data)
    doc = json_object(text, path, "package-lock")
    lines = KeyLines(text, "{")
    warnings: list[str] = []
    packages = doc.get("packages")
    if isinstance(packages, dict):
        out = _parse_packages(packages, lines, path, warnings)
    else:
        if packages is not None:
            warnings.append(f"{path}: 'packages' is a {type(packages).__name__}, not an object; using 'dependencies'")
        deps = doc.get("dependencies")
        if deps is None:
            out = []
        elif isinstance(deps, dict):
            out = _parse_v1(deps, lines, path, warnings)
        else:
            warnings.append(f"{path}: 'dependencies' is a {type(deps).__name__}, not an object")
            out = []
    return result(out, warnings)


# --- helpers ---------------------------------------------------------------------------------


def _dep_names(entry: dict) -> tuple[str, ...]:
    names: set[str] = set()
    for field in _DEP_FIELDS:
        deps = entry.get(field)
        if isinstance(deps, dict):
            names.update(k for k in deps if k)
    return tuple(sorted(names))


def _alias(spec: str) -> tuple[str, str] | None:
    """'npm:real@1.2.3' / 'npm:@scope/real@1.2.3' -> (real, version)."""
    if not spec.startswith("npm:"):
        return None
    rest = spec[4:]
    at = rest.find("@", 1)
    if at < 0:
        return (rest, "") if rest else None
    name, version = rest[:at], rest[at + 1:]
    return (name, version) if name else None


def _flag(entry: dict, key: str) -> bool:
    return entry.get(key) is True


# --- lockfile v2 / v3 ------------------------------------------------------------------------


def _name_from_key(key: str) -> str | None:
    """The package name in an install path, or None when the key is not under node_modules."""
    if "/" + _NM in key:
        return key.rsplit("/" + _NM, 1)[1]
    if key.startswith(_NM):
        return key[len(_NM):]
    return None


def _workspace_patterns(root: object) -> list[str]:
    if not isinstance(root, dict):
        return []
    ws = root.get("workspaces")
    if isinstance(ws, dict):  # {"packages": [...]} form
        ws = ws.get("packages")
    if not isinstance(ws, list):
        return []
    return [_norm_target(p) for p in ws if isinstance(p, str) and p]


def _norm_target(resolved: str) -> str:
    target = resolved
    if target.startswith("file:"):
        target = target[5:]
    while target.startswith("./"):
        target = target[2:]
    return target.rstrip("/")


def _parse_packages(packages: dict, lines: KeyLines, path: str, warnings: list[str]) -> list[LockedPackage]:
    patterns = _workspace_patterns(packages.get(""))
    # folders that a link entry points at: reported through the link, not on their own
    link_targets: set[str] = set()
    for key, entry in packages.items():
        if isinstance(entry, dict) and entry.get("link") is True and isinstance(entry.get("resolved"), str):
            link_targets.add(_norm_target(entry["resolved"]))

    out: list[LockedPackage] = []
    for key, entry in packages.items():
        if key == "":
            continue
        line = lines.line(key)
        if not isinstance(entry, dict):
            warnings.append(f"{path}: packages[{key!r}] is a {type(entry).__name__}, not an object; skipped")
            continue
        key_name = _name_from_key(key)
        if key_name is None and key in link_targets:
            continue  # a workspace / linked folder, reported via its link
        own_name = entry.get("name")
        if not isinstance(own_name, str) or not valid_npm_name(own_name):
            if own_name is not None:
                warnings.append(f"{path}: packages[{key!r}]: ignoring invalid 'name' {own_name!r}")
            own_name = None

        source = ""
        body = entry
        if entry.get("link") is True:
            resolved = entry.get("resolved")
            target = packages.get(_norm_target(resolved)) if isinstance(resolved, str) and resolved else None
            if not isinstance(target, dict):
                warnings.append(f"{path}: packages[{key!r}]: link to a missing entry {resolved!r}; skipped")
                continue
            body = target
            source = "link"
            line = lines.first(_norm_target(resolved)) or line
            tname = target.get("name")
            if isinstance(tname, str) and valid_npm_name(tname):
                own_name = tname

        if key_name is None:  # a folder outside node_modules: workspace member or file: directory
            name = own_name or key.rstrip("/").rsplit("/", 1)[-1]
            if any(fnmatch.fnmatchcase(key, p) for p in patterns):
                source = "workspace"
            else:
                source = "file"
        else:
            name = own_name or key_name
        if not valid_npm_name(name):
            warnings.append(f"{path}: packages[{key!r}]: cannot tell the package name; skipped")
            continue

        version = body.get("version", "")
        if not isinstance(version, str):
            warnings.append(f"{path}: packages[{key!r}]: version {version!r} is not a string")
            version = ""
        if version.startswith("npm:"):
            aliased = _alias(version)
            if aliased:
                name, version = aliased
        if not source:
            resolved = body.get("resolved")
            source = (url_source(resolved) if isinstance(resolved, str) else "") or "registry"
        out.append(LockedPackage(
            name=name,
            version=version,
            ecosystem=NPM,
            dev=_flag(entry, "dev"),
            optional=_flag(entry, "optional") or _flag(entry, "devOptional"),
            install_path=key,
            source=source,
            dependencies=_dep_names(body),
            line=line,
        ))
    return out


# --- lockfile v1 -----------------------------------------------------------------------------


def _v1_version(raw: str, resolved: object) -> tuple[str, str, str | None]:
    """(version, source, real name or None) from a v1 'version' field."""
    aliased = _alias(raw)
    if aliased:
        src = url_source(resolved) if isinstance(resolved, str) else ""
        return aliased[1], src or "registry", aliased[0]
    src = url_source(raw)
    if src:
        return "", src, None
    if "/" in raw or ":" in raw:  # 'user/repo#sha' shorthand or an unknown protocol
        return "", "git" if "#" in raw or raw.count("/") == 1 else "url", None
    src = url_source(resolved) if isinstance(resolved, str) else ""
    return raw, src or "registry", None


def _parse_v1(deps: dict, lines: KeyLines, path: str, warnings: list[str]) -> list[LockedPackage]:
    out: list[LockedPackage] = []
    # depth-first in document order, without recursion:
    # (install path prefix, iterator, parent dev, parent optional)
    stack = [("", iter(deps.items()), False, False)]
    while stack:
        prefix, items, parent_dev, parent_optional = stack[-1]
        item = next(items, None)
        if item is None:
            stack.pop()
            continue
        key, entry = item
        line = lines.line(key)
        install_path = f"{prefix}{_NM}{key}"
        if not isinstance(entry, dict):
            warnings.append(f"{path}: dependencies[{install_path!r}] is a {type(entry).__name__}, not an object; skipped")
            continue
        # a package nested inside a dev (optional) package is only there for it
        dev = parent_dev or _flag(entry, "dev")
        optional = parent_optional or _flag(entry, "optional")
        children = entry.get("dependencies")
        if isinstance(children, dict) and children:
            stack.append((install_path + "/", iter(children.items()), dev, optional))
        elif children is not None and not isinstance(children, dict):
            warnings.append(f"{path}: {install_path}: 'dependencies' is not an object; ignored")
        if not valid_npm_name(key):
            warnings.append(f"{path}: {install_path}: invalid package name; skipped")
            continue
        raw = entry.get("version", "")
        if not isinstance(raw, str):
            warnings.append(f"{path}: {install_path}: version {raw!r} is not a string")
            raw = ""
        version, source, real = _v1_version(raw, entry.get("resolved"))
        requires = entry.get("requires")
        out.append(LockedPackage(
            name=real or key,
            version=version,
            ecosystem=NPM,
            dev=dev,
            optional=optional,
            install_path=install_path,
            source=source,
            dependencies=tuple(sorted(k for k in requires if k)) if isinstance(requires, dict) else (),
            line=line,
        ))
    return out
