"""``yarn.lock``: yarn classic (v1, its own ``key "value"`` syntax) and yarn berry (v2+, a YAML
subset with a ``__metadata`` entry).  Both are read by one small line parser (no YAML loader).

- One LockedPackage per lockfile entry; the same name@version may appear twice (for example a
  berry ``patch:`` entry beside its ``npm:`` entry).  ``line`` is the entry's header line.
- The name is the real package name: berry's ``resolution`` (``real@npm:1.2.3``), or for v1 the
  entry's first specifier with npm aliases (``alias@npm:real@^1``) resolved.
- The root workspace (berry ``resolution: "x@workspace:."``) is not reported; other workspaces are,
  with ``source="workspace"`` (their version is yarn's ``0.0.0-use.local``).
- yarn.lock does not say which packages are dev or optional dependencies (that needs the
  package.json files), so ``dev`` and ``optional`` are always False here.
"""
from __future__ import annotations

import json

from ...ecosystems import valid_npm_name
from ...model import NPM, LockedPackage, LockfileParse
from . import LockfileError, decode_text, guarded, result, url_source

_DEP_BLOCKS = ("dependencies", "optionalDependencies", "peerDependencies")


class _Entry:
    __slots__ = ("line", "header", "fields", "blocks")

    def __init__(self, line: int, header: str):
        self.line = line
        self.header = header
        self.fields: dict[str, str] = {}
        self.blocks: dict[str, dict[str, str]] = {}


def _unquote(s: str) -> str:
    s = s.strip()
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        inner = s[1:-1]
        if "\\" in inner:
            try:
                return json.loads(s)
            except ValueError:
                return inner
        return inner
    if len(s) >= 2 and s[0] == "'" and s[-1] == "'":
        return s[1:-1].replace("''", "'")
    return s


def _split_key(line: str) -> tuple[str, str] | None:
    """'key value' (v1), 'key: value' (berry), 'key:' (a block) -> (key, value); None if malformed."""
    if line[0] in "\"'":
        q = line[0]
        i = 1
        while i < len(line):
            if line[i] == "\\" and q == '"':
                i += 2
                continue
            if line[i] == q:
                break
            i += 1
        else:
            return None
        key, rest = _unquote(line[: i + 1]), line[i + 1:]
    else:
        end = len(line)
        for i, ch in enumerate(line):
            if ch in " \t" or (ch == ":" and (i + 1 == len(line) or line[i + 1] in " \t")):
                end = i
                break
        key, rest = line[:end], line[end:]
    rest = rest.lstrip(" \t")
    if rest.startswith(":"):
        rest = rest[1:]
    return key, _unquote(rest)


def _split_specs(header: str) -> list[str]:
    """'"a@^1", a@^2' / '"a@npm:^1, a@npm:^2"' -> ['a@^1', 'a@^2']."""
    out: list[str] = []
    buf, quote = [], ""
    for ch in header:
        if quote:
            if ch == quote:
                quote = ""
            else:
                buf.append(ch)
        elif ch in "\"'":
            quote = ch
        elif ch == ",":
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    out.append("".join(buf))
    specs: list[str] = []
    for part in out:
        specs.extend(p.strip() for p in part.split(", "))
    return [s for s in specs if s]


def _split_spec(spec: str) -> tuple[str, str]:
    """'name@range' / '@scope/name@range' / 'name' -> (name, range)."""
    at = spec.find("@", 1)
    if at < 0:
        return spec, ""
    return spec[:at], spec[at + 1:]


def _read(text: str, path: str, warnings: list[str]) -> list[_Entry]:
    entries: list[_Entry] = []
    current: _Entry | None = None
    field_indent = -1
    block: dict[str, str] | None = None
    block_indent = -1
    junk = 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" \t"))
        if indent == 0:
            if not stripped.endswith(":"):
                junk += 1
                if junk <= 5:
                    warnings.append(f"{path}:{lineno}: unexpected line outside an entry; ignored")
                current = None
                continue
            current = _Entry(lineno, stripped[:-1])
            entries.append(current)
            field_indent, block, block_indent = -1, None, -1
            continue
        if current is None:
            junk += 1
            if junk <= 5:
                warnings.append(f"{path}:{lineno}: indented line outside an entry; ignored")
            continue
        if field_indent < 0:
            field_indent = indent
        if indent <= field_indent:
            kv = _split_key(stripped)
            if kv is None or not kv[0]:
                warnings.append(f"{path}:{lineno}: malformed field; ignored")
                block = None
                continue
            key, value = kv
            if value == "" and stripped.endswith(":"):
                block = current.blocks.setdefault(key, {})
                block_indent = -1
            else:
                current.fields[key] = value
                block = None
            continue
        if block is None:
            continue  # deeper levels we do not need (dependenciesMeta, ...)
        if block_indent < 0:
            block_indent = indent
        if indent != block_indent:
            continue
        kv = _split_key(stripped)
        if kv is not None and kv[0]:
            block[kv[0]] = kv[1]
    if not entries and junk:
        raise LockfileError(f"{path}: not a yarn.lock ({junk} lines outside any entry)")
    return entries


def _source_from(spec_range: str, resolved: str) -> str:
    src = url_source(spec_range)
    if src in ("file", "link", "workspace"):
        return src
    return url_source(resolved) or src or "registry"


def _berry_package(e: _Entry, path: str, warnings: list[str]) -> LockedPackage | None:
    resolution = e.fields.get("resolution", "")
    if resolution:
        name, proto = _split_spec(resolution)
    else:
        specs = _split_specs(e.header)
        name, proto = _split_spec(specs[0]) if specs else ("", "")
    if proto.startswith("workspace:"):
        if proto[len("workspace:"):].strip() in (".", ""):
            return None  # the root project
        source = "workspace"
    elif proto.startswith("patch:"):
        inner = proto[len("patch:"):].split("#", 1)[0].replace("%3A", ":")
        source = _source_from(_split_spec(inner)[1], "") if "@" in inner[1:] else "registry"
        if source not in ("git", "file", "link", "url"):
            source = "registry"
    elif proto.startswith("npm:"):
        source = "registry"
    else:
        source = url_source(proto) or ("git" if "#commit=" in proto else "url")
    return _package(e, name, source, path, warnings)


def _alias_target(spec_range: str) -> str | None:
    """'npm:real@^1' / 'npm:@s/real' -> the real name; None for a plain 'npm:^1.0.0' range."""
    if not spec_range.startswith("npm:"):
        return None
    rest = spec_range[4:]
    if "@" in rest[1:]:
        return _split_spec(rest)[0]
    if not rest or rest[0].isdigit() or rest[0] in "^~<>=*| ":
        return None
    return rest


def _registry_name(resolved: str) -> str | None:
    """'https://registry.yarnpkg.com/@s/n/-/n-1.0.0.tgz#sha' -> '@s/n' (the registry's identity)."""
    if "/-/" not in resolved or not resolved.startswith(("http://", "https://")):
        return None
    before = resolved.split("://", 1)[1].split("/-/", 1)[0]
    segs = before.replace("%2f", "/").replace("%2F", "/").split("/")[1:]  # drop the host
    if len(segs) >= 2 and segs[-2].startswith("@"):
        return segs[-2] + "/" + segs[-1]
    return segs[-1] if segs else None


def _v1_package(e: _Entry, path: str, warnings: list[str]) -> LockedPackage | None:
    specs = _split_specs(e.header)
    if not specs:
        warnings.append(f"{path}:{e.line}: entry without a package name; skipped")
        return None
    name, spec_range = _split_spec(specs[0])
    real = _alias_target(spec_range)
    if real:
        name, spec_range = real, _split_spec(spec_range[4:])[1]
    resolved = e.fields.get("resolved", "")
    from_url = _registry_name(resolved)
    if from_url and from_url != name:
        # yarn names an entry by what was asked for; the registry tarball says what was installed
        warnings.append(f"{path}:{e.line}: {name} resolves to the registry package {from_url}; reporting {from_url}")
        name = from_url
    return _package(e, name, _source_from(spec_range, resolved), path, warnings)


def _package(e: _Entry, name: str, source: str, path: str, warnings: list[str]) -> LockedPackage | None:
    if not valid_npm_name(name):
        warnings.append(f"{path}:{e.line}: cannot tell the package name of {e.header!r}; skipped")
        return None
    version = e.fields.get("version", "")
    if not version:
        warnings.append(f"{path}:{e.line}: {name} has no version")
    deps: set[str] = set()
    for field in _DEP_BLOCKS:
        deps.update(k for k in e.blocks.get(field, ()) if k)
    return LockedPackage(
        name=name,
        version=version,
        ecosystem=NPM,
        source=source,
        dependencies=tuple(sorted(deps)),
        line=e.line,
    )


@guarded
def parse(data: bytes, path: str) -> LockfileParse:
    text = decode_text(data)
    warnings: list[str] = []
    entries = _read(text, path, warnings)
    berry = any(e.header.strip("\"'") == "__metadata" for e in entries)
    out: list[LockedPackage] = []
    for e in entries:
        if e.header.strip("\"'") == "__metadata":
            continue
        pkg = _berry_package(e, path, warnings) if berry else _v1_package(e, path, warnings)
        if pkg is not None:
            out.append(pkg)
    return result(out, warnings)
