"""``poetry.lock`` (lock-version 1.x with ``category``, 2.x with ``groups``).

Every ``[[package]]`` entry is a locked package.  ``dev`` is true when the entry is outside the
main group: ``groups`` without ``"main"`` (lock 2.x) or ``category = "dev"`` (lock 1.x).
``optional`` is poetry's own ``optional = true`` (installed only through an extra).
``dependencies`` are the ``[package.dependencies]`` names that are themselves locked.

This module also holds the small helpers the other TOML lock parsers share (``load_toml``,
``array_table_lines``, ``merge_duplicates``, ``guarded``).
"""
from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from typing import Any, Iterable

from packaging.utils import canonicalize_name

from ...model import PYPI, LockedPackage, LockfileParse
from . import LockfileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["parse", "LockfileError"]

#: warnings kept per file; the rest are counted in one last warning
MAX_WARNINGS = 200

_SOURCE_TYPES = {
    "git": "git",
    "url": "url",
    "file": "file",
    "directory": "directory",
    "legacy": "registry",  # a secondary package index
    "pypi": "registry",
}


# --------------------------------------------------------------------------------------------------
# shared helpers (also used by uv_lock, pdm_lock, pylock and pipfile_lock)
# --------------------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """UTF-8 with replacement characters, without a leading BOM."""
    text = bytes(data).decode("utf-8", errors="replace")
    return text[1:] if text.startswith("\ufeff") else text


def guarded(parse):
    """Make ``parse(data, path)`` raise only LockfileError, whatever the input does to it."""

    @functools.wraps(parse)
    def wrapper(data: bytes, path: str) -> LockfileParse:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise LockfileError(f"{path}: expected bytes")
        try:
            return parse(bytes(data), path)
        except LockfileError:
            raise
        except RecursionError:
            raise LockfileError(f"{path}: nesting too deep") from None
        except Exception as exc:  # an input shape nobody foresaw: never let it escape raw
            raise LockfileError(f"{path}: cannot parse ({type(exc).__name__}: {exc})") from exc

    return wrapper


def load_toml(data: bytes, path: str) -> tuple[dict, str]:
    """(document, text).  Malformed TOML is a LockfileError; an empty file is an empty document."""
    text = decode_text(data)
    try:
        return tomllib.loads(text), text
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise LockfileError(f"{path}: not valid TOML ({_short(str(exc), 200)})") from None
    except RecursionError:
        raise LockfileError(f"{path}: TOML nesting too deep") from None


class Warnings(list):
    """A list of warnings with a cap; ``final()`` adds a count of the ones left out."""

    def __init__(self, limit: int = MAX_WARNINGS):
        super().__init__()
        self.limit = limit
        self.dropped = 0

    def add(self, msg: str) -> None:
        if len(self) < self.limit:
            self.append(msg)
        else:
            self.dropped += 1

    def final(self) -> tuple[str, ...]:
        if self.dropped:
            return tuple(self) + (f"{self.dropped} more warnings not shown",)
        return tuple(self)


_TOKEN_RE = re.compile(r'"""|\'\'\'|["\'#\\]')


def array_table_lines(text: str, table: str, count: int, key: str = "name") -> list[int]:
    """1-based line of ``key`` in each ``[[table]]`` element, in document order.

    Falls back to the header's line when the element has no such key at its top level, and to
    all zeros when the headers found do not match the ``count`` entries the TOML parser returned
    (e.g. an inline ``table = [...]`` array).  Multi-line strings are skipped, so a ``name = ``
    inside a description does not count.
    """
    header_re = re.compile(r"^\s*\[\[\s*(?:" + re.escape(table) + r'|"' + re.escape(table) + r'"|\''
                           + re.escape(table) + r"')\s*\]\]")
    key_re = re.compile(r"^\s*(?:" + re.escape(key) + r'|"' + re.escape(key) + r'")\s*=')
    lines: list[int] = []
    in_element = False  # at the top level of a [[table]] element, name not seen yet
    state = ""  # "" | '"""' | "'''"  (inside a multi-line string at the start of the line)
    for number, line in enumerate(text.splitlines(), start=1):
        if not state:
            if line.lstrip().startswith("["):
                if header_re.match(line):
                    lines.append(number)
                    in_element = True
                else:
                    in_element = False
            elif in_element and key_re.match(line):
                lines[-1] = number
                in_element = False
        state = _string_state_after(line, state)
    if len(lines) != count:
        return [0] * count
    return lines


def _string_state_after(line: str, state: str) -> str:
    """Whether a multi-line string is still open at the end of ``line``."""
    if not state and '"' not in line and "'" not in line:
        return ""
    pos = 0
    single = ""  # inside a one-line string: '"' or "'"
    while True:
        m = _TOKEN_RE.search(line, pos)
        if not m:
            return state
        tok = m.group()
        pos = m.end()
        if state:
            if tok == "\\" and state == '"""':
                pos += 1
            elif tok == state:
                state = ""
        elif single:
            if tok == "\\" and single == '"':
                pos += 1
            elif tok == single or (len(tok) == 3 and tok[0] == single):
                # a closing quote (a '"""' token can close a '"' string and start another: rare)
                single = ""
                pos = m.start() + 1
        else:
            if tok == "#":
                return ""
            if tok in ('"""', "'''"):
                state = tok
            elif tok in ('"', "'"):
                single = tok


def merge_duplicates(packages: Iterable[LockedPackage]) -> list[LockedPackage]:
    """One entry per (canonical name, version, source); a production use wins over dev/optional."""
    merged: dict[tuple[str, str, str], LockedPackage] = {}
    for p in packages:
        ident = (canonicalize_name(p.name), p.version, p.source)
        old = merged.get(ident)
        if old is None:
            merged[ident] = p
            continue
        deps = tuple(sorted(set(old.dependencies) | set(p.dependencies)))
        merged[ident] = LockedPackage(
            name=old.name, version=old.version, ecosystem=old.ecosystem,
            dev=old.dev and p.dev, optional=old.optional and p.optional,
            install_path=old.install_path, source=old.source, dependencies=deps,
            line=old.line or p.line,
        )
    return list(merged.values())


def locked_dependencies(names: Iterable[Any], locked: set[str], own: str) -> tuple[str, ...]:
    """The dependency names (as written) that are themselves locked, without the package itself."""
    out = set()
    for n in names:
        if isinstance(n, str) and n.strip():
            c = safe_canonical(n)
            if c in locked and c != own:
                out.add(n.strip())
    return tuple(sorted(out))


def safe_canonical(name: str) -> str:
    try:
        return canonicalize_name(name)
    except Exception:  # pragma: no cover - canonicalize_name accepts any string today
        return name.lower()


def valid_name(name: Any) -> bool:
    return isinstance(name, str) and bool(name.strip()) and len(name) <= 512 and "\n" not in name


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def describe(value: Any) -> str:
    """A short, safe rendering of a hostile value for a warning."""
    return _short(repr(value))


@dataclass(frozen=True)
class TableEntry:
    """One well-formed ``[[package]]`` table of a TOML lockfile."""

    entry: dict
    name: str
    version: str
    line: int
    where: str


def package_tables(doc: dict, text: str, key: str, path: str, warnings: "Warnings") -> tuple[list[TableEntry], set[str]]:
    """The ``[[key]]`` tables with a valid name (others skipped with a warning), and the set of
    locked names (normalized) that dependency relations may point at."""
    entries = doc.get(key, [])
    if not isinstance(entries, list):
        warnings.add(f"{path}: '{key}' is not an array of tables; ignored")
        entries = []
    lines = array_table_lines(text, key, len(entries))
    locked = {safe_canonical(e["name"]) for e in entries if isinstance(e, dict) and valid_name(e.get("name"))}
    out: list[TableEntry] = []
    for index, entry in enumerate(entries):
        where = f"{path}: package #{index + 1}"
        if not isinstance(entry, dict):
            warnings.add(f"{where}: not a table; skipped")
            continue
        name = entry.get("name")
        if not valid_name(name):
            warnings.add(f"{where}: no valid name ({describe(name)}); skipped")
            continue
        name = name.strip()
        version = entry.get("version", "")
        if not isinstance(version, str):
            warnings.add(f"{where} ({name}): version {describe(version)} is not a string")
            version = ""
        out.append(TableEntry(entry, name, version.strip(), lines[index], where))
    return out, locked


# --------------------------------------------------------------------------------------------------
# poetry.lock
# --------------------------------------------------------------------------------------------------


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
