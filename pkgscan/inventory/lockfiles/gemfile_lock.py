"""Bundler's ``Gemfile.lock``.

Sections start at column 0 (``GEM``, ``GIT``, ``PATH``, ``PLUGIN SOURCE``, ``PLATFORMS``,
``DEPENDENCIES``, ``CHECKSUMS``, ``RUBY VERSION``, ``BUNDLED WITH``).  Source sections carry
``  remote:`` (and for ``GIT`` ``  revision:``) and ``  specs:``; under ``specs:`` a line indented
four spaces is a locked gem ``name (version)`` or, for a platform-specific gem,
``name (version-platform)`` (``nokogiri (1.16.0-x86_64-linux)``: version ``1.16.0``; the platform
goes nowhere, the same gem locked for several platforms is one entry), and the lines indented six
spaces below it are its dependencies ``dep (>= 1.0)``.

Sources: ``GEM`` -> ``registry``, ``GIT`` -> ``git``, ``PATH`` -> ``workspace`` when the path is
``.`` (the app's own gemspec) else ``directory``, ``PLUGIN SOURCE`` -> ``url``.  Bundler records no
development groups in the lockfile, so nothing is ``dev``.  ``BUNDLED WITH`` names the Bundler
that wrote the file: not a locked gem.  ``line`` is the 1-based line of the spec.

A file with none of Bundler's sections is not a Gemfile.lock (LockfileError); one with sections but
no gems is an empty lock.  Bounded: at most
:data:`MAX_GEMS` gems, :data:`MAX_DEPS` dependency names per gem and :data:`MAX_TOTAL_DEPS` in all
are kept (a warning says so; lines past a limit are skipped without a Python-level loop, so a
million-line file costs one pass of the regex engine).  Real locks have hundreds of gems.
"""
from __future__ import annotations

import re

from ...model import LockedPackage, LockfileParse
from . import LockfileError, decode_text, guarded, result

__all__ = ["parse", "LockfileError", "split_platform"]

GEM = "gem"
MAX_GEMS = 20_000
MAX_DEPS = 1_000
MAX_TOTAL_DEPS = 200_000
_SPEC = re.compile(r"^    ([^\s(][^\s(]{0,255}) \(([^)\s]{1,256})\)\s*$")
_DEP = re.compile(r"^      ([^\s(!][^\s(!]{0,255})(?: \([^)]{0,512}\))?!?\s*$")
_SOURCES = {"GEM": "registry", "GIT": "git", "PATH": "directory", "PLUGIN SOURCE": "url"}
_OTHER_SECTIONS = frozenset({"PLATFORMS", "DEPENDENCIES", "CHECKSUMS", "RUBY VERSION", "BUNDLED WITH"})
_VERSION = re.compile(r"^[0-9]+(?:\.[0-9A-Za-z]+)*$")


def split_platform(text: str) -> tuple[str, str]:
    """``1.16.0-x86_64-linux`` -> ("1.16.0", "x86_64-linux"); a bare version -> (version, "")."""
    version, sep, platform = text.partition("-")
    if sep and _VERSION.match(version) and platform:
        return version, platform
    return text, ""


def _skip(text: str, pos: int, pattern: re.Pattern) -> int:
    """The start of the first line after ``pos`` (a line start) that ``pattern`` (a newline and a
    lookahead) finds; the literal newline lets the regex engine scan at C speed."""
    m = pattern.search(text, pos - 1)
    return m.start() + 1 if m else len(text)


_NOT_DEP_LINE = re.compile(r"\n(?!      )")
_NOT_SPEC_LINE = re.compile(r"\n(?!    )")


@guarded
def parse(data: bytes, path: str) -> LockfileParse:
    text = decode_text(data)
    n = len(text)
    warnings: list[str] = []
    order: list[tuple[str, str]] = []
    entries: dict[tuple[str, str], dict] = {}
    section = ""
    source = ""
    in_specs = False
    remote = ""
    sources_seen = 0
    current: dict | None = None
    dropped_gems = 0
    dropped_deps = 0
    total_deps = 0
    odd = 0
    pos = 0
    lineno = 0
    while pos < n:
        end = text.find("\n", pos)
        if end < 0:
            end = n
        line = text[pos:end].rstrip("\r")
        lineno += 1
        pos = end + 1
        if not line.strip():
            in_specs = False
            current = None
            continue
        if not line.startswith(" "):
            section = line.strip()
            in_specs = False
            current = None
            remote = ""
            source = _SOURCES.get(section, "")
            if source or section in _OTHER_SECTIONS:
                sources_seen += 1
            continue
        if not source:
            continue  # PLATFORMS, DEPENDENCIES, CHECKSUMS, RUBY VERSION, BUNDLED WITH
        if line.startswith("  ") and not line.startswith("   "):
            key, _, value = line.strip().partition(":")
            if key == "specs" and not value.strip():
                in_specs = True
            elif key == "remote":
                remote = value.strip()
            current = None
            continue
        if not in_specs:
            continue
        m = _SPEC.match(line)
        if m:
            name, version_text = m.group(1), m.group(2)
            version, _platform = split_platform(version_text)
            src = source
            if section == "PATH" and remote in (".", "./"):
                src = "workspace"
            ident = (name, version)
            current = entries.get(ident)
            if current is None:
                if len(entries) >= MAX_GEMS:
                    # the rest of this specs block is skipped at C speed (its lines still counted)
                    nxt = _skip(text, pos, _NOT_SPEC_LINE)
                    dropped_gems += 1 + text.count("\n    ", pos - 1, nxt) - text.count("\n     ", pos - 1, nxt)
                    lineno += text.count("\n", pos, nxt)
                    pos = nxt
                    continue
                current = entries[ident] = {"name": name, "version": version, "source": src, "deps": [],
                                            "dep_set": set(), "line": lineno}
                order.append(ident)
            continue
        if current is not None and line.startswith("      ") and (len(current["dep_set"]) >= MAX_DEPS
                                                                 or total_deps >= MAX_TOTAL_DEPS):
            nxt = _skip(text, pos, _NOT_DEP_LINE)
            dropped_deps += 1 + text.count("\n", pos, nxt)
            lineno += text.count("\n", pos, nxt)
            pos = nxt
            continue
        m = _DEP.match(line)
        if m and current is not None:
            dep = m.group(1)
            if dep not in current["dep_set"]:
                total_deps += 1
                current["dep_set"].add(dep)
                current["deps"].append(dep)
            continue
        odd += 1
        if odd <= 20:
            warnings.append(f"line {lineno}: not a spec or dependency line: {line.strip()[:80]!r}")
    if not sources_seen:
        raise LockfileError(f"{path}: no Bundler section (GEM, GIT, PATH, PLATFORMS, DEPENDENCIES, ...): "
                            "not a Gemfile.lock")
    if odd > 20:
        warnings.append(f"{odd - 20} more lines that are not spec or dependency lines")
    if dropped_gems:
        warnings.append(f"more than {MAX_GEMS} gems: {dropped_gems} more were not read")
    if dropped_deps:
        warnings.append(f"{dropped_deps} dependency lines beyond {MAX_DEPS} per gem ({MAX_TOTAL_DEPS} in all) "
                        "were not read")
    packages = [
        LockedPackage(name=e["name"], version=e["version"], ecosystem=GEM, source=e["source"],
                      dependencies=tuple(sorted(e["deps"])), line=e["line"])
        for e in (entries[i] for i in order)
    ]
    return result(packages, warnings)
