"""Lockfile parsers: each module exposes ``parse(data: bytes, path: str) -> LockfileParse``.

Parsers are pure functions of the bytes.  For a file that cannot be parsed at all they raise
:class:`LockfileError` and nothing else (:func:`guarded`); bad entries are skipped with a warning,
at most :data:`MAX_WARNINGS` of them per file (:class:`Warnings`, :func:`result`), the rest counted.
Text is decoded by :func:`decode_text` (BOMs honoured, bad bytes replaced); names are normalized
by :mod:`pkgscan.ecosystems`.  Helpers shared by the Python lock formats are in :mod:`.toml_common`.
"""
from __future__ import annotations

import bisect
import functools
import json
import re
from typing import Any, Callable, Iterable, Sequence

from ...model import LockedPackage, LockfileParse
from ...redaction import redact
from ..base import decode_text  # noqa: F401  (re-exported: the one bytes-to-text decoder)

#: warnings kept per file; the rest are counted in one last warning
MAX_WARNINGS = 50


class LockfileError(ValueError):
    """The lockfile as a whole cannot be parsed."""


def guarded(parse):
    """Make a ``parse(data, path, ...)`` raise only LockfileError, whatever the input does to it."""

    @functools.wraps(parse)
    def wrapper(data: bytes, path: str, *args, **kwargs) -> LockfileParse:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise LockfileError(f"{path}: expected bytes")
        try:
            return parse(bytes(data), path, *args, **kwargs)
        except LockfileError:
            raise
        except RecursionError:
            raise LockfileError(f"{path}: nesting too deep") from None
        except Exception as exc:  # a bug or an input shape nobody foresaw: never let it escape raw
            raise LockfileError(f"{path}: cannot parse ({type(exc).__name__}: {exc})") from exc

    return wrapper


def capped(warnings: Sequence[str], dropped: int = 0) -> tuple[str, ...]:
    """At most MAX_WARNINGS warnings, plus one that counts the rest (``dropped`` already left out)."""
    dropped += max(0, len(warnings) - MAX_WARNINGS)
    kept = tuple(warnings[:MAX_WARNINGS])
    return kept + (f"{dropped} more warnings not shown",) if dropped else kept


class Warnings(list):
    """A list of warnings that stops growing at MAX_WARNINGS; ``final()`` adds a count of the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def add(self, msg: str) -> None:
        if len(self) < MAX_WARNINGS:
            self.append(redact(msg))  # a warning may quote a URL or a requirement line
        else:
            self.dropped += 1

    def final(self) -> tuple[str, ...]:
        return capped(self, self.dropped)


def shorten(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters (and "...") for a warning, credentials redacted first (a
    cut could separate a token from the ``@`` that marks it as one)."""
    text = redact(text)
    return text if len(text) <= limit else text[:limit] + "..."


def describe(value: Any) -> str:
    """A short, safe rendering of a hostile value for a warning."""
    return shorten(repr(value))


def valid_name(name: Any) -> bool:
    """A usable package name of a Python lockfile entry (the format's own syntax is checked by its parser)."""
    return isinstance(name, str) and bool(name.strip()) and len(name) <= 512 and "\n" not in name


def json_object(text: str, path: str, kind: str) -> dict:
    """The JSON object a JSON lockfile holds; LockfileError when it is not JSON or not an object."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise LockfileError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise LockfileError(f"{path}: not a {kind} (top level is {type(doc).__name__}, not an object)")
    return doc


def reachable(starts: Iterable[str], successors: Callable[[str], Iterable[str] | None]) -> set[str] | None:
    """The keys reachable from ``starts`` (themselves included) through ``successors(key)``; None as
    soon as ``successors`` returns None (its work budget is spent).  Each key is expanded once."""
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        nxt = successors(key)
        if nxt is None:
            return None
        todo.extend(k for k in nxt if k not in seen)
    return seen


_GIT_PREFIXES = ("git+", "git:", "git@", "ssh:", "github:", "gitlab:", "bitbucket:", "gist:")
_GIT_HOSTS = ("codeload.github.com", "github.com", "gitlab.com", "bitbucket.org")


def url_source(spec: str) -> str:
    """Classify a resolved URL / version specifier as "registry", "git", "file", "link", "url",
    "workspace", or "" when it says nothing (a bare version)."""
    s = spec.strip().lower()
    if s.startswith(_GIT_PREFIXES):
        return "git"
    if s.startswith("file:"):
        return "file"
    if s.startswith(("link:", "portal:")):
        return "link"
    if s.startswith("workspace:"):
        return "workspace"
    if s.startswith(("http://", "https://")):
        rest = s.split("://", 1)[1]
        host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
        if host in _GIT_HOSTS and "/-/" not in rest:
            return "git"
        return "registry" if "/-/" in rest else "url"
    return ""


def result(packages: list[LockedPackage], warnings: list[str]) -> LockfileParse:
    """The LockfileParse for a file, with at most MAX_WARNINGS warnings (plus a count of the rest)."""
    return LockfileParse(packages=tuple(packages), warnings=capped(warnings))


class KeyLines:
    """Cheap 1-based line numbers of JSON object keys whose value opens with ``opener`` ("{" or "[").

    Entries are then matched in document order: ``line(key)`` returns the line of the first
    occurrence of ``key`` after the previous match, or 0 when there is none.
    """

    def __init__(self, text: str, opener: str):
        self._where: dict[str, tuple[list[int], list[int]]] = {}
        self._pos = -1
        line, last = 1, 0
        # find '": {' first (cheap), then walk back to the key's opening quote
        tail = re.compile(r'"[ \t\r\n]*:[ \t\r\n]*' + re.escape(opener))
        for ordinal, m in enumerate(tail.finditer(text)):
            end = m.start()
            start = text.rfind('"', 0, end)
            while start > 0 and text[start - 1] == "\\":
                start = text.rfind('"', 0, start - 1)
            if start < 0:
                continue
            line += text.count("\n", last, start)
            last = start
            key = text[start + 1:end]
            if "\\" in key:
                try:
                    key = json.loads('"' + key + '"')
                except ValueError:
                    pass
            ordinals, lines = self._where.setdefault(key, ([], []))
            ordinals.append(ordinal)
            lines.append(line)

    def first(self, key: str) -> int:
        """The line of the first occurrence of ``key`` (0 if none), without moving on."""
        hits = self._where.get(key)
        return hits[1][0] if hits else 0

    def line(self, key: str) -> int:
        hits = self._where.get(key)
        if not hits:
            return 0
        ordinals, lines = hits
        i = bisect.bisect_right(ordinals, self._pos)
        if i == len(ordinals):
            return 0
        self._pos = ordinals[i]
        return lines[i]
