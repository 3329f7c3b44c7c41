"""Helpers the Python lock formats share: TOML loading and line numbers (``poetry.lock``,
``uv.lock``, ``pdm.lock``, ``pylock.toml``), ``[[package]]`` tables, and merging / dependency
relations by PEP 503 name (those and ``Pipfile.lock``).
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any, Iterable

from ... import ecosystems
from ...model import PYPI, LockedPackage
from . import LockfileError, Warnings, decode_text, describe, shorten, valid_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

_PYPI = ecosystems.get(PYPI)


def load_toml(data: bytes, path: str) -> tuple[dict, str]:
    """(document, text).  Malformed TOML is a LockfileError; an empty file is an empty document."""
    text = decode_text(data)
    try:
        return tomllib.loads(text), text
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise LockfileError(f"{path}: not valid TOML ({shorten(str(exc), 200)})") from None
    except RecursionError:
        raise LockfileError(f"{path}: TOML nesting too deep") from None


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
        ident = (_PYPI.normalize(p.name), p.version, p.source)
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
    """The name as PyPI compares it (PEP 503), asked of the ecosystem registry."""
    return _PYPI.normalize(name)


@dataclass(frozen=True)
class TableEntry:
    """One well-formed ``[[package]]`` table of a TOML lockfile."""

    entry: dict
    name: str
    version: str
    line: int
    where: str


def package_tables(doc: dict, text: str, key: str, path: str, warnings: Warnings) -> tuple[list[TableEntry], set[str]]:
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
