"""``pnpm-lock.yaml``, lockfileVersion 5.x, 6.x and 9.x, including multi-document files.

- Loaded with a *safe* PyYAML loader (libyaml's when available) that additionally keeps numbers
  and dates as strings (``version: 1.10`` stays "1.10") and refuses YAML merge keys (``<<``), whose
  expansion can blow up exponentially.  Anchors/aliases load as shared objects; the work done per
  file is capped, so an alias bomb cannot make us quadratic.
- v5/v6: one LockedPackage per ``packages`` key.  v9: one per ``snapshots`` key (a package installed
  with two peer sets is two installs), with name/version/source taken from the matching
  ``packages`` entry.  ``install_path`` is "" (pnpm's store layout is not a lockfile path).
- dev/optional: v5/v6 ``dev:``/``optional:`` fields; v9 (no such field) computes dev from the
  importers' ``devDependencies`` through the snapshot graph (dev = reachable only from dev roots),
  optional from the snapshot's ``optional: true``.
- Multi-document files (pnpm >= 11 puts its own "env lockfile" first): a document whose importers
  only hold ``configDependencies`` / ``packageManagerDependencies`` describes pnpm itself, not the
  project, and is skipped.  Packages of all other documents are reported.
"""
from __future__ import annotations

import json
import re

import yaml

from ...ecosystems import valid_npm_name
from ...model import NPM, LockedPackage, LockfileParse
from . import LockfileError, decode_text, guarded, reachable, result, url_source

_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KEEP_TAGS = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"}
_MERGE_TAG = "tag:yaml.org,2002:merge"
#: cap on dependency names collected plus graph edges walked, per file
_WORK_BUDGET = 2_000_000
_ENV_IMPORTER_KEYS = {"configDependencies", "packageManagerDependencies"}
_IMPORTER_GROUPS = (("dependencies", False), ("optionalDependencies", False), ("devDependencies", True))


class _Loader(_BASE):  # type: ignore[misc,valid-type]
    """A safe loader: plain scalars stay strings except true/false/null; no merge keys."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag in _KEEP_TAGS]
        for first, resolvers in _BASE.yaml_implicit_resolvers.items()
    }

    def flatten_mapping(self, node):
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                raise yaml.constructor.ConstructorError(
                    None, None, "YAML merge keys are not allowed in a lockfile", key_node.start_mark)


class _Budget:
    def __init__(self, path: str, warnings: list[str]):
        self.left = _WORK_BUDGET
        self.path = path
        self.warnings = warnings
        self.exhausted = False

    def spend(self, n: int) -> bool:
        self.left -= n
        if self.left < 0 and not self.exhausted:
            self.exhausted = True
            self.warnings.append(f"{self.path}: dependency data too large; dependency lists and dev flags are incomplete")
        return not self.exhausted


# --- line numbers --------------------------------------------------------------------------

_TOP = re.compile(r"([^\s#'\"][^:]*|'[^']*'|\"[^\"]*\")\s*:")
_KEY2 = re.compile(r"  ('(?:[^']|'')*'|\"(?:[^\"\\]|\\.)*\"|[^\s#'\"][^\n]*?)\s*:(?:[ \t]|$)")


def _yaml_key(raw: str) -> str:
    if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
        return raw[1:-1].replace("''", "'")
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        try:
            return json.loads(raw)
        except ValueError:
            return raw[1:-1]
    return raw


def _key_lines(text: str) -> list[dict[str, dict[str, int]]]:
    """Per document: {"packages": {key: line}, "snapshots": {key: line}} for two-space-indented keys."""
    docs: list[dict[str, dict[str, int]]] = [{}]
    seen_content = False
    section: dict[str, int] | None = None
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.startswith("---") and line[3:4] in ("", " ", "\t"):
            if seen_content:
                docs.append({})
                seen_content = False
            section = None
            continue
        if not line or line[0] == "#":
            continue
        if line[0] not in " \t":
            seen_content = True
            m = _TOP.match(line)
            name = _yaml_key(m.group(1).strip()) if m else ""
            section = docs[-1].setdefault(name, {}) if name in ("packages", "snapshots") else None
            continue
        if section is not None and line.startswith("  ") and line[2:3] not in (" ", "\t", "#"):
            m = _KEY2.match(line)
            if m:
                section.setdefault(_yaml_key(m.group(1)), lineno)
    return docs


# --- dependency paths ------------------------------------------------------------------------


def _is_version(v: str) -> bool:
    return bool(v) and v[0].isdigit()


def _valid_name(name: str) -> bool:
    """An npm name; a ':' means the key is a protocol specifier (``link:``, ``file:``), not a name."""
    return ":" not in name and valid_npm_name(name)


def _drop_host(name: str) -> str:
    """'registry.example.com/foo' -> 'foo' (pnpm prefixes non-default registries' paths)."""
    first, _, rest = name.partition("/")
    if rest and "." in first and not first.startswith("@"):
        return rest
    return name


def _parse_v5(key: str) -> tuple[str, str] | None:
    """'/name/1.0.0_peer', '/@s/name/1.0.0', 'registry.host/name/1.0.0' -> (name, version)."""
    segs = key.lstrip("/").split("/")
    if len(segs) >= 3 and "." in segs[0] and not segs[0].startswith("@"):
        segs = segs[1:]
    if segs and segs[0].startswith("@"):
        if len(segs) != 3:
            return None
        name, version = segs[0] + "/" + segs[1], segs[2]
    else:
        if len(segs) != 2:
            return None
        name, version = segs
    version = version.split("_", 1)[0]
    if not _valid_name(name) or not _is_version(version):
        return None
    return name, version


def _split_v6(key: str) -> tuple[str, str] | None:
    """'/name@1.0.0(peer)', 'name@1.0.0', '@s/name@https://...' -> (name, rest without peers)."""
    k = key.lstrip("/")
    at = k.find("@", 1)
    if at <= 0:
        return None
    name, rest = _drop_host(k[:at]), k[at + 1:]
    if not _valid_name(name):
        return None
    if "(" in rest:
        rest = rest[: rest.index("(")]
    return name, rest


def _peerless(key: str) -> str:
    return key[: key.index("(")] if "(" in key else key


def _source(key: str, info: dict) -> str:
    res = info.get("resolution")
    if isinstance(res, dict):
        kind = res.get("type")
        if kind == "git":
            return "git"
        if kind == "directory":
            return "file"
        tarball = res.get("tarball")
        if isinstance(tarball, str) and tarball:
            return url_source(tarball) or "file"
    k = key.lstrip("/")
    if k.startswith(("file:", "link:")):
        return url_source(k)
    split = _split_v6(k)
    if split and not _is_version(split[1]):
        src = url_source(split[1])
        if src:
            return src
    return "registry"


# --- documents -------------------------------------------------------------------------------


def _str(v: object) -> str:
    return v if isinstance(v, str) else ""


def _major(doc: dict) -> int:
    v = doc.get("lockfileVersion")
    s = str(v) if isinstance(v, (str, int, float)) and not isinstance(v, bool) else ""
    digits = s.split(".", 1)[0].strip().lstrip("v")
    return int(digits) if digits.isdigit() and len(digits) < 4 else 0


def _is_env_document(doc: dict) -> bool:
    importers = doc.get("importers")
    if not isinstance(importers, dict) or not importers:
        return False
    for imp in importers.values():
        if not isinstance(imp, dict) or not set(imp) <= _ENV_IMPORTER_KEYS:
            return False
    return any(imp.get("packageManagerDependencies") or "configDependencies" in imp for imp in importers.values())


def _importer_roots(doc: dict) -> list[tuple[dict, bool]]:
    """[(deps mapping, is_dev)] over all importers (v5 single-project files: the top level)."""
    importers = doc.get("importers")
    sources = list(importers.values()) if isinstance(importers, dict) else [doc]
    out = []
    for imp in sources:
        if not isinstance(imp, dict):
            continue
        for group, dev in _IMPORTER_GROUPS:
            deps = imp.get(group)
            if isinstance(deps, dict):
                out.append((deps, dev))
    return out


def _ref(value: object) -> str:
    if isinstance(value, dict):  # v6/v9 importers: {specifier, version}
        value = value.get("version")
    return value if isinstance(value, str) else ""


def _resolve(name: str, ref: str, nodes: dict) -> str | None:
    if not ref or ref.startswith("link:"):
        return None
    for cand in (f"{name}@{ref}", f"/{name}@{ref}", f"/{name}/{ref}", ref, "/" + ref):
        if cand in nodes:
            return cand
    return None


def _dev_nodes(doc: dict, nodes: dict, budget: _Budget) -> set[str]:
    """Keys of ``nodes`` reachable from dev roots but not from production roots."""

    def successors(key: str) -> list[str] | None:
        node = nodes.get(key)
        if not isinstance(node, dict):
            return []
        out: list[str] = []
        for field in ("dependencies", "optionalDependencies"):
            deps = node.get(field)
            if isinstance(deps, dict):
                if not budget.spend(len(deps)):
                    return None
                out.extend(k for k in (_resolve(n, _ref(v), nodes) for n, v in deps.items() if isinstance(n, str)) if k)
        return out

    reach: dict[bool, set[str]] = {}
    for is_dev in (False, True):
        todo = []
        for deps, dev in _importer_roots(doc):
            if dev == is_dev:
                if not budget.spend(len(deps)):
                    return set()
                todo.extend(k for k in (_resolve(n, _ref(v), nodes) for n, v in deps.items() if isinstance(n, str)) if k)
        found = reachable(todo, successors)
        if found is None:
            return set()
        reach[is_dev] = found
    return reach[True] - reach[False]


def _dep_names(node: dict, budget: _Budget) -> tuple[str, ...]:
    names: set[str] = set()
    for field in ("dependencies", "optionalDependencies"):
        deps = node.get(field)
        if isinstance(deps, dict) and budget.spend(len(deps)):
            names.update(k for k in deps if isinstance(k, str) and k)
    return tuple(sorted(names))


def _name_version(key: str, info: dict, v6_style: bool) -> tuple[str, str] | None:
    name, version = _str(info.get("name")), _str(info.get("version"))
    if name:
        if not version:
            parsed = _split_v6(key) if v6_style else _parse_v5(key)
            if parsed and _is_version(parsed[1]):
                version = parsed[1]
        return (name, version) if _valid_name(name) else None
    for parse_key in ((_split_v6, _parse_v5) if v6_style else (_parse_v5, _split_v6)):
        parsed = parse_key(key)
        if parsed is None:
            continue
        if _is_version(parsed[1]):
            return parsed
        if parse_key is _split_v6 and url_source(parsed[1]):  # name@https://..., name@file:...
            return parsed[0], version
    return None


def _document(doc: dict, lines: dict[str, dict[str, int]], path: str, budget: _Budget,
              warnings: list[str]) -> list[LockedPackage]:
    major = _major(doc)
    packages = doc.get("packages")
    if packages is None:
        packages = {}
    if not isinstance(packages, dict):
        warnings.append(f"{path}: 'packages' is a {type(packages).__name__}, not a mapping; ignored")
        packages = {}
    snapshots = doc.get("snapshots")
    if snapshots is not None and not isinstance(snapshots, dict):
        warnings.append(f"{path}: 'snapshots' is a {type(snapshots).__name__}, not a mapping; ignored")
        snapshots = None
    pkg_lines, snap_lines = lines.get("packages", {}), lines.get("snapshots", {})

    if snapshots:  # v9: installs are snapshots; package data under the peer-less key
        nodes = snapshots
        entries = [(k, packages.get(_peerless(k)) if isinstance(k, str) else None, v) for k, v in snapshots.items()]
        covered = {_peerless(k) for k in snapshots if isinstance(k, str)}
        entries += [(k, v, None) for k, v in packages.items() if k not in covered]
        v6_style = True
    else:
        nodes = packages
        entries = [(k, v, None) for k, v in packages.items()]
        v6_style = major >= 6 or major == 0  # unknown: both key styles are tried anyway

    dev_set: set[str] | None = None
    out: list[LockedPackage] = []
    for key, info, snap in entries:
        if not isinstance(key, str):
            warnings.append(f"{path}: non-string package key {key!r}; skipped")
            continue
        if info is None:
            info = {}
        if snap is None:
            snap = {}
        if not isinstance(info, dict) or not isinstance(snap, dict):
            warnings.append(f"{path}: {key}: entry is not a mapping; skipped")
            continue
        nv = _name_version(_peerless(key) if snapshots else key, info, v6_style)
        if nv is None:
            warnings.append(f"{path}: invalid dependency path: {key}; skipped")
            continue
        name, version = nv
        node = snap if snapshots else info
        dev_field = info.get("dev")
        if isinstance(dev_field, bool):
            dev = dev_field
        else:
            if dev_set is None:
                dev_set = _dev_nodes(doc, nodes, budget)
            dev = key in dev_set
        optional = node.get("optional") is True or info.get("optional") is True
        line = pkg_lines.get(_peerless(key)) or pkg_lines.get(key) or snap_lines.get(key) or 0
        out.append(LockedPackage(
            name=name,
            version=version,
            ecosystem=NPM,
            dev=dev,
            optional=optional,
            source=_source(_peerless(key), info),
            dependencies=_dep_names(node, budget),
            line=line,
        ))
    return out


def _load_all(text: str, path: str) -> list[object]:
    try:
        return list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        raise LockfileError(f"{path}: not valid YAML: {str(exc).splitlines()[0] if str(exc) else exc}") from None


@guarded
def parse(data: bytes, path: str) -> LockfileParse:
    text = decode_text(data)
    docs = _load_all(text, path)
    warnings: list[str] = []
    out: list[LockedPackage] = []
    lines = _key_lines(text)
    mappings = 0
    budget = _Budget(path, warnings)
    for i, doc in enumerate(docs):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            warnings.append(f"{path}: YAML document {i + 1} is a {type(doc).__name__}, not a mapping; skipped")
            continue
        mappings += 1
        if _is_env_document(doc):
            continue
        out.extend(_document(doc, lines[i] if i < len(lines) else {}, path, budget, warnings))
    if not mappings and any(d is not None for d in docs):
        raise LockfileError(f"{path}: not a pnpm lockfile (no YAML mapping at the top level)")
    return result(out, warnings)
