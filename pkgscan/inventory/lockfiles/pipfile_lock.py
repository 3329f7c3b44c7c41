"""``Pipfile.lock`` (pipenv).

``default`` entries are production, ``develop`` entries are ``dev``; a name/version in both is
reported once, as production.  ``version`` is the exact pin (``"==1.2"``/``"===1.2"``) or ``""``.
Entries without a version are kept when they name a source: ``git``/``hg``/``svn``/``bzr``
(source ``git`` for git, else ``url``), ``path`` (``editable`` when ``editable: true``, else
``file``/``directory``) or ``file`` (a URL).  Pipfile.lock records no relations, so
``dependencies`` is empty.  ``line`` is the line of the entry's key.
"""
from __future__ import annotations

import json
import re

from ...model import PYPI, LockedPackage, LockfileParse
from . import LockfileError, Warnings, decode_text, describe, guarded, json_object, valid_name
from .toml_common import merge_duplicates

__all__ = ["parse", "LockfileError"]

_SECTIONS = (("default", False), ("develop", True))
_TOKEN_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{}\[\]:,\n]')
_ARCHIVE_EXTS = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".tar")


def _key_lines(text: str) -> dict[tuple[str, str], int]:
    """Line of every key of the objects that are values of top-level keys: (section, key) -> line."""
    out: dict[tuple[str, str], int] = {}
    line = 1
    stack: list[str] = []  # '{' or '['
    path: list[str] = []  # the key each open container is the value of
    last_key = ""
    expect_key = False
    for m in _TOKEN_RE.finditer(text):
        tok = m.group()
        if tok == "\n":
            line += 1
        elif tok in "{[":
            stack.append(tok)
            path.append(last_key)
            expect_key = tok == "{"
            last_key = ""
        elif tok in "}]":
            if stack:
                stack.pop()
                path.pop()
            expect_key = False
        elif tok == ",":
            expect_key = bool(stack) and stack[-1] == "{"
        elif tok == ":":
            expect_key = False
        elif expect_key:  # a key string
            try:
                key = json.loads(tok)
            except ValueError:
                key = tok[1:-1]
            last_key = key
            if len(stack) == 2 and stack[0] == "{" and stack[1] == "{":
                out.setdefault((path[1], key), line)
    return out


def _version(value) -> str:
    if not isinstance(value, str):
        return ""
    v = value.strip()
    if v.startswith("==="):
        return v[3:].strip()
    if v.startswith("==") and not v.endswith("*") and "," not in v:
        return v[2:].strip()
    return ""


def _source(entry: dict) -> str:
    for vcs in ("git", "hg", "svn", "bzr"):
        if isinstance(entry.get(vcs), str):
            return "git" if vcs == "git" else "url"
    if isinstance(entry.get("path"), str):
        if entry.get("editable") is True:
            return "editable"
        return "file" if entry["path"].lower().endswith(_ARCHIVE_EXTS) else "directory"
    if isinstance(entry.get("file"), str):
        return "file" if entry["file"].lower().startswith("file:") else "url"
    return "registry"


@guarded
def parse(data: bytes, path: str) -> LockfileParse:
    text = decode_text(data)
    if not text.strip():
        return LockfileParse(warnings=(f"{path}: empty file",))
    doc = json_object(text, path, "Pipfile.lock")
    warnings = Warnings()
    lines = _key_lines(text)
    packages: list[LockedPackage] = []
    for section, dev in _SECTIONS:
        table = doc.get(section)
        if table is None:
            continue
        if not isinstance(table, dict):
            warnings.add(f"{path}: '{section}' is not an object; ignored")
            continue
        for name, entry in table.items():
            where = f"{path}: {section}.{describe(name)}"
            if not valid_name(name):
                warnings.add(f"{where}: not a valid name; skipped")
                continue
            if not isinstance(entry, dict):
                warnings.add(f"{where}: entry {describe(entry)} is not an object; skipped")
                continue
            version = _version(entry.get("version"))
            source = _source(entry)
            if not version and source == "registry":
                raw = entry.get("version")
                warnings.add(f"{where}: no exact version ({describe(raw)})")
            packages.append(LockedPackage(
                name=name.strip(), version=version, ecosystem=PYPI, dev=dev, source=source,
                line=lines.get((section, name), 0),
            ))
    return LockfileParse(packages=tuple(merge_duplicates(packages)), warnings=warnings.final())
