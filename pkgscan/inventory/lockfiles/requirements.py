"""pip requirements files (``requirements*.txt``): what they declare, and exact pins.

A requirements file inside a deployment package is a *declaration*: it says what the author asked
pip for, not what got installed.  So:

* every requirement line with a valid PEP 508 name becomes a :class:`LockedPackage`;
* ``version`` is set only for exact pins: ``==X`` (no wildcard) and ``===X``.  Ranges (``>=``,
  ``~=``, ``<=``, ``!=``, ``==1.*``) give ``""`` -- unlike osv-scalibr, which reports the bound of
  ``>=``/``<=``/``~=`` although it is not the installed version;
* a wheel named by path or URL (``./dl/numpy-1.9.2-cp34-none-win32.whl``) is an exact artifact and
  gives name and version from its file name; ``name @ url`` and ``-e ...#egg=name`` give the name
  with source ``url``/``git``/``file``/``directory``/``editable``;
* ``-r``/``--requirement`` files are followed through ``read_include`` (each file at most once,
  depth-bounded); ``-c``/``--constraint`` files only supply pins for names declared without one
  (a constraint alone installs nothing);
* a line pip would reject (``asdf==``, ``foo==${VAR}``, ``foo==1.0 junk``) is skipped with a
  warning.  The one leniency pip does not have: ``Jinja2==3.0.0#comment`` (``#`` without a space)
  is read as a comment, as trivy does.

Line handling follows pip's ``req_file.py``: lines ending in ``\\`` are joined (all trailing
backslashes stripped) unless the line is a comment, then ``(^|\\s+)#.*`` comments are removed, then
the first whitespace-separated token starting with ``-`` begins the per-requirement options
(``--hash``, ``--config-settings``, ``-C``, ``--global-option``), which are ignored.
"""
from __future__ import annotations

import posixpath
import re
from typing import Callable, Optional

from ... import ecosystems
from ...model import PYPI, LockedPackage, LockfileParse
from . import MAX_WARNINGS, LockfileError, Warnings, decode_text, guarded, shorten  # noqa: F401  (re-exported)
from .requirements_lines import (
    MAX_LINE_CHARS,
    Skip,
    break_args_options,
    logical_lines,
    parse_requirement,
    redact,
    split_option,
    strip_comment,
)

__all__ = ["parse", "decode_text", "LockfileError"]

ReadInclude = Callable[[str], Optional[bytes]]

#: how deep ``-r`` / ``-c`` nesting is followed
MAX_INCLUDE_DEPTH = 8
#: how many distinct files one parse may pull in through ``-r`` / ``-c``
MAX_INCLUDED_FILES = 64
#: logical lines read from one requirements file and its includes (real ones have hundreds)
MAX_LINES = 5_000
# options a requirements file may carry on their own line (pip's SUPPORTED_OPTIONS)
_FILE_OPTIONS_WITH_ARG = {
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--no-binary",
    "--only-binary", "--trusted-host", "--use-feature",
}
_FILE_OPTIONS_FLAG = {"--no-index", "--prefer-binary", "--require-hashes", "--pre"}
_INDEX_OPTIONS = {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host"}


_canonical = ecosystems.get(PYPI).normalize


@guarded
def parse(data: bytes, path: str, read_include: ReadInclude | None = None) -> LockfileParse:
    """Parse one requirements file.

    ``read_include(rel)`` is called for ``-r``/``-c`` targets with a normalized POSIX path relative
    to the directory of ``path`` (it may start with ``../``); it returns the bytes or ``None`` when
    the file does not exist or may not be read.  Without it, includes are reported, not followed.
    """
    full = str(path).replace("\\", "/")
    state = _State(read_include, posixpath.dirname(full))
    top = posixpath.basename(full) or "requirements.txt"
    state.visited.add(state.identity(top))
    state.parse_file(data, top, depth=0, top_line=0, constraint=False)
    return state.result()


class _State:
    def __init__(self, read_include: ReadInclude | None, top_dir: str):
        self.read_include = read_include
        self.top_dir = top_dir
        self.visited: set[str] = set()
        self.packages: list[LockedPackage] = []
        self.constraints: dict[str, str] = {}  # canonical name -> pinned version
        self.warnings = Warnings()
        self.lines = 0  # logical lines read, includes too

    def identity(self, rel: str) -> str:
        """A file's identity for cycle detection: its normalized path including the top directory,
        so that '../pip/x.txt' seen from inside 'pip/' is recognised as 'x.txt'."""
        return posixpath.normpath(posixpath.join(self.top_dir, rel))

    # -- results ---------------------------------------------------------------------------------

    def warn(self, msg: str) -> None:
        self.warnings.add(msg)

    def result(self) -> LockfileParse:
        pins: set[str] = set()
        out: list[LockedPackage] = []
        seen: set[tuple[str, str, str]] = set()
        resolved: list[LockedPackage] = []
        for p in self.packages:
            key = _canonical(p.name)
            if not p.version and p.source == "registry" and key in self.constraints:
                p = LockedPackage(
                    name=p.name, version=self.constraints[key], ecosystem=PYPI, source=p.source,
                    line=p.line,
                )
            resolved.append(p)
            if p.version:
                pins.add(key)
        for p in resolved:
            key = _canonical(p.name)
            # a bare name is subsumed by an exact pin of the same name elsewhere in the file set
            if not p.version and p.source == "registry" and key in pins:
                continue
            ident = (key, p.version, p.source)
            if ident in seen:
                continue
            seen.add(ident)
            out.append(p)
        return LockfileParse(packages=tuple(out), warnings=self.warnings.final())

    # -- files -----------------------------------------------------------------------------------

    def parse_file(self, data: bytes, rel: str, depth: int, top_line: int, constraint: bool) -> None:
        text = decode_text(data)
        where = rel
        for lineno, line, size in logical_lines(text):
            self.lines += 1
            if self.lines > MAX_LINES:
                self.warn(f"{where}:{lineno}: more than {MAX_LINES} requirement lines in this file set; the rest is not read")
                return
            # packages from an included file are reported at the line of the top-level -r
            report_line = top_line or lineno
            if size > MAX_LINE_CHARS:
                self.warn(f"{where}:{lineno}: line of {size} characters skipped")
                continue
            line = strip_comment(line).strip()
            if not line:
                continue
            if line.startswith("-"):
                self.option_line(line, rel, lineno, depth, report_line, constraint)
                continue
            req, _options = break_args_options(line)
            self.requirement(req, where, lineno, report_line, constraint, editable=False)

    def option_line(self, line: str, rel: str, lineno: int, depth: int, report_line: int,
                    constraint: bool) -> None:
        opt, arg = split_option(line)
        where = f"{rel}:{lineno}"
        if opt in ("-r", "--requirement", "--requirements", "-c", "--constraint"):
            is_constraint = constraint or opt in ("-c", "--constraint")
            self.include(arg, rel, where, depth, report_line, is_constraint)
        elif opt in ("-e", "--editable"):
            if not arg:
                self.warn(f"{where}: {opt} without a value")
                return
            self.requirement(arg, rel, lineno, report_line, constraint, editable=True)
        elif opt in _FILE_OPTIONS_WITH_ARG or opt in _FILE_OPTIONS_FLAG:
            if opt in _INDEX_OPTIONS and arg:
                self.warn(f"{where}: {opt} {shorten(redact(arg))} (packages may come from a non-default index)")
        else:
            self.warn(f"{where}: unsupported option {shorten(opt)!r} ignored")

    def include(self, target: str, rel: str, where: str, depth: int, report_line: int,
                constraint: bool) -> None:
        kind = "constraints" if constraint else "requirements"
        if not target:
            self.warn(f"{where}: include without a file name")
            return
        if len(target) > 1024:
            self.warn(f"{where}: {kind} file name of {len(target)} characters; not followed")
            return
        if "://" in target or target.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", target):
            self.warn(f"{where}: {kind} file {shorten(redact(target))!r} is not a relative path; not followed")
            return
        target_rel = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target.replace("\\", "/")))
        ident = self.identity(target_rel)
        if ident in self.visited:
            return  # cycle or already included: each file is read once
        if self.read_include is None:
            self.warn(f"{where}: {kind} file {shorten(target)!r} not followed")
            return
        if depth + 1 > MAX_INCLUDE_DEPTH:
            self.warn(f"{where}: {kind} file {shorten(target)!r} not followed (nesting deeper than {MAX_INCLUDE_DEPTH})")
            return
        if len(self.visited) > MAX_INCLUDED_FILES:
            self.warn(f"{where}: {kind} file {shorten(target)!r} not followed (more than {MAX_INCLUDED_FILES} files)")
            return
        self.visited.add(ident)
        try:
            content = self.read_include(target_rel)
        except Exception as exc:  # the callback is the caller's; never let it break the parse
            self.warn(f"{where}: {kind} file {shorten(target)!r} could not be read: {type(exc).__name__}")
            return
        if content is None:
            self.warn(f"{where}: {kind} file {shorten(target)!r} not found")
            return
        self.parse_file(content, target_rel, depth + 1, report_line, constraint)

    # -- requirements ----------------------------------------------------------------------------

    def requirement(self, text: str, rel: str, lineno: int, report_line: int, constraint: bool,
                    editable: bool) -> None:
        where = f"{rel}:{lineno}"
        try:
            pkg = parse_requirement(text, editable)
        except Skip as exc:
            self.warn(f"{where}: {exc} ({shorten(text)!r}); skipped")
            return
        if constraint:
            if pkg.version and pkg.source == "registry":
                self.constraints.setdefault(_canonical(pkg.name), pkg.version)
            return
        self.packages.append(
            LockedPackage(name=pkg.name, version=pkg.version, ecosystem=PYPI, source=pkg.source,
                          line=report_line)
        )


