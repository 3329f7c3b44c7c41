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

from packaging.specifiers import InvalidSpecifier, Specifier
from packaging.version import InvalidVersion, Version

from ... import ecosystems
from ...model import PYPI, LockedPackage, LockfileParse
from . import MAX_WARNINGS, LockfileError, Warnings, _short, decode_text, guarded  # noqa: F401  (re-exported)

__all__ = ["parse", "decode_text", "LockfileError"]

ReadInclude = Callable[[str], Optional[bytes]]

#: how deep ``-r`` / ``-c`` nesting is followed
MAX_INCLUDE_DEPTH = 8
#: how many distinct files one parse may pull in through ``-r`` / ``-c``
MAX_INCLUDED_FILES = 64
#: a logical (joined) line longer than this is skipped
MAX_LINE_CHARS = 64 * 1024
#: a longer package name is not a name
MAX_NAME_CHARS = 512

_NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_CLAUSE_RE = re.compile(r"\s*(===|==|!=|~=|<=|>=|<|>)\s*([^\s,;]*)\s*")
_ARCHIVE_EXTS = (".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar", ".zip")
_EGG_RE = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_USERINFO_RE = re.compile(r"(?<=://)[^/@\s]*@")

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
        for lineno, line, size in _logical_lines(text):
            # packages from an included file are reported at the line of the top-level -r
            report_line = top_line or lineno
            if size > MAX_LINE_CHARS:
                self.warn(f"{where}:{lineno}: line of {size} characters skipped")
                continue
            line = _strip_comment(line).strip()
            if not line:
                continue
            if line.startswith("-"):
                self.option_line(line, rel, lineno, depth, report_line, constraint)
                continue
            req, _options = _break_args_options(line)
            self.requirement(req, where, lineno, report_line, constraint, editable=False)

    def option_line(self, line: str, rel: str, lineno: int, depth: int, report_line: int,
                    constraint: bool) -> None:
        opt, arg = _split_option(line)
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
                self.warn(f"{where}: {opt} {_short(_redact(arg))} (packages may come from a non-default index)")
        else:
            self.warn(f"{where}: unsupported option {_short(opt)!r} ignored")

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
            self.warn(f"{where}: {kind} file {_short(_redact(target))!r} is not a relative path; not followed")
            return
        target_rel = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target.replace("\\", "/")))
        ident = self.identity(target_rel)
        if ident in self.visited:
            return  # cycle or already included: each file is read once
        if self.read_include is None:
            self.warn(f"{where}: {kind} file {_short(target)!r} not followed")
            return
        if depth + 1 > MAX_INCLUDE_DEPTH:
            self.warn(f"{where}: {kind} file {_short(target)!r} not followed (nesting deeper than {MAX_INCLUDE_DEPTH})")
            return
        if len(self.visited) > MAX_INCLUDED_FILES:
            self.warn(f"{where}: {kind} file {_short(target)!r} not followed (more than {MAX_INCLUDED_FILES} files)")
            return
        self.visited.add(ident)
        try:
            content = self.read_include(target_rel)
        except Exception as exc:  # the callback is the caller's; never let it break the parse
            self.warn(f"{where}: {kind} file {_short(target)!r} could not be read: {type(exc).__name__}")
            return
        if content is None:
            self.warn(f"{where}: {kind} file {_short(target)!r} not found")
            return
        self.parse_file(content, target_rel, depth + 1, report_line, constraint)

    # -- requirements ----------------------------------------------------------------------------

    def requirement(self, text: str, rel: str, lineno: int, report_line: int, constraint: bool,
                    editable: bool) -> None:
        where = f"{rel}:{lineno}"
        try:
            pkg = _parse_requirement(text, editable)
        except _Skip as exc:
            self.warn(f"{where}: {exc} ({_short(text)!r}); skipped")
            return
        if constraint:
            if pkg.version and pkg.source == "registry":
                self.constraints.setdefault(_canonical(pkg.name), pkg.version)
            return
        self.packages.append(
            LockedPackage(name=pkg.name, version=pkg.version, ecosystem=PYPI, source=pkg.source,
                          line=report_line)
        )


class _Skip(Exception):
    pass


class _Req:
    __slots__ = ("name", "version", "source")

    def __init__(self, name: str, version: str, source: str):
        self.name, self.version, self.source = name, version, source


def _logical_lines(text: str):
    """pip's join_lines: yield (first physical line number, joined line, joined length).

    A joined line longer than MAX_LINE_CHARS is not built: its text is cut short, and the caller
    skips it by its length.
    """
    buf: list[str] = []
    start = 0
    size = 0
    for number, line in enumerate(text.splitlines(), start=1):
        is_comment = line.lstrip().startswith("#")
        if not line.endswith("\\") or is_comment:
            if is_comment:
                line = " " + line  # so the comment is still stripped after joining
            if buf or size:
                size += len(line)
                if size <= MAX_LINE_CHARS:
                    buf.append(line)
                yield start, "".join(buf), size
                buf, size = [], 0
            else:
                yield number, line, len(line)
        else:
            if not buf and not size:
                start = number
            size += len(line)
            if size <= MAX_LINE_CHARS:
                buf.append(line.strip("\\"))
    if buf or size:
        yield start, "".join(buf), size


def _break_args_options(line: str) -> tuple[str, str]:
    """pip: the first space-separated token starting with '-' begins the options."""
    tokens = line.split(" ")
    for i, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:i]), " ".join(tokens[i:])
    return line, ""


def _split_option(line: str) -> tuple[str, str]:
    """'-r file', '-rfile', '--requirement=file', '--requirement file' -> (option, argument)."""
    head, _, rest = line.partition(" ")
    rest = rest.strip()
    if head.startswith("--"):
        if "=" in head:
            opt, _, arg = head.partition("=")
            return opt, (arg + (" " + rest if rest else "")).strip()
        return head, rest
    # short option: "-r" or "-rfile"
    if len(head) > 2:
        return head[:2], (head[2:] + (" " + rest if rest else "")).strip()
    return head, rest


def _strip_comment(line: str) -> str:
    """pip's ``(^|\\s+)#.*$``: a '#' at the start or after whitespace begins a comment."""
    i = line.find("#")
    while i != -1:
        if i == 0 or line[i - 1].isspace():
            return line[:i]
        i = line.find("#", i + 1)
    return line


def _cut_marker(location: str) -> str:
    """'url ; marker' / 'url; marker' -> 'url' (a ';' inside a URL without spaces is kept)."""
    i = location.find(";")
    while i != -1:
        before = location[i - 1] if i else ""
        after = location[i + 1] if i + 1 < len(location) else ""
        if before.isspace() or after.isspace() or not after:
            return location[:i].strip()
        i = location.find(";", i + 1)
    return location.strip()


def _redact(url: str) -> str:
    return _USERINFO_RE.sub("***@", url)


def _is_url(text: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text)) or text.startswith("file:")


def _source_of_url(url: str) -> str:
    low = url.lower()
    if low.startswith("git+") or low.startswith("git://"):
        return "git"
    if low.startswith("file:"):
        return "file" if _archive_name(low) else "directory"
    return "url"


def _archive_name(location: str) -> str:
    """The file name at the end of a path or URL if it is a wheel or sdist archive, else ''."""
    base = location.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    base = base.replace("\\", "/").rsplit("/", 1)[-1]
    low = base.lower()
    if low.endswith(".whl") or low.endswith(_ARCHIVE_EXTS):
        return base
    return ""


def _valid_version(v: str) -> bool:
    try:
        Version(v)
    except InvalidVersion:
        return False
    return True


def _name_version_from_archive(base: str) -> tuple[str, str]:
    """('numpy', '1.9.2') from 'numpy-1.9.2-cp34-none-win32.whl' or 'foo-1.0.tar.gz'."""
    low = base.lower()
    if low.endswith(".whl"):
        # {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl
        parts = base[:-4].split("-")
        if len(parts) in (5, 6) and _NAME_RE.fullmatch(parts[0]) and _valid_version(parts[1]):
            return parts[0], parts[1]
        return "", ""
    for ext in _ARCHIVE_EXTS:
        if low.endswith(ext) and not low.endswith(".whl"):
            stem = base[: -len(ext)]
            name, sep, version = stem.rpartition("-")
            if sep and _NAME_RE.fullmatch(name) and _valid_version(version):
                return name, version
    return "", ""


def _parse_location(text: str, editable: bool) -> _Req:
    """A bare path or URL (optionally with #egg=name) as pip accepts it."""
    location = text.strip()
    location = _cut_marker(location)
    is_url = _is_url(location)
    if is_url:
        source = _source_of_url(location)
    else:
        source = "file" if _archive_name(location) else "directory"
    if editable:
        source = "editable" if not is_url or source == "directory" else source
    name = version = ""
    archive = _archive_name(location)
    if archive:
        name, version = _name_version_from_archive(archive)
    egg = _EGG_RE.search(location)
    if egg and not name:
        name = egg.group(1).split("[", 1)[0]
        # "#egg=name-1.0" is an old spelling of a pin
        if "-" in name:
            base, _, ver = name.rpartition("-")
            if _NAME_RE.fullmatch(base) and _valid_version(ver):
                name, version = base, ver
    if not name or len(name) > MAX_NAME_CHARS or not _NAME_RE.fullmatch(name):
        raise _Skip("no package name can be derived from the path or URL")
    return _Req(name, version, source)


def _parse_requirement(text: str, editable: bool) -> _Req:
    text = text.strip()
    if not text:
        raise _Skip("empty requirement")
    if editable or _is_url(text):
        return _parse_location(text, editable)
    # pip: something that looks like a path (before any '@' or ';') is a local file or directory
    head = re.split(r"[;@]", text, maxsplit=1)[0]
    if head.startswith((".", "/", "~")) or "/" in head or "\\" in head or (
        "@" not in text and _archive_name(head.strip())
    ):
        return _parse_location(text, editable)
    m = _NAME_RE.match(text)
    if not m:
        raise _Skip("not a requirement")
    name = m.group(0)
    if len(name) > MAX_NAME_CHARS:
        raise _Skip("name too long")
    rest = text[m.end():]
    # extras
    stripped = rest.lstrip()
    if stripped.startswith("["):
        close = stripped.find("]")
        if close < 0:
            raise _Skip("unterminated extras")
        extras = stripped[1:close]
        if not re.fullmatch(r"\s*(?:[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:,\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*)*)?", extras):
            raise _Skip("invalid extras")
        rest = stripped[close + 1:]
    stripped = rest.lstrip()
    # direct reference: name @ url
    if stripped.startswith("@"):
        url = stripped[1:].strip()
        url = _cut_marker(url)
        if not url or " " in url:
            raise _Skip("invalid direct reference")
        source = _source_of_url(url) if _is_url(url) else ("file" if _archive_name(url) else "directory")
        version = ""
        archive = _archive_name(url)
        if archive:
            aname, aversion = _name_version_from_archive(archive)
            if aname and _canonical(aname) == _canonical(name):
                version = aversion
        return _Req(name, version, "editable" if editable else source)
    # specifiers up to ';' (markers) -- a '#' glued to the version is read as a comment (trivy)
    spec_text, _sep, _marker = stripped.partition(";")
    if "#" in spec_text:
        spec_text = spec_text.split("#", 1)[0]
    spec_text = spec_text.strip()
    if spec_text.startswith("(") and spec_text.endswith(")"):
        spec_text = spec_text[1:-1].strip()
    version = ""
    if spec_text:
        for clause in spec_text.split(","):
            cm = _CLAUSE_RE.fullmatch(clause)
            if not cm:
                raise _Skip("invalid version specifier")
            op, ver = cm.group(1), cm.group(2)
            if not ver:
                raise _Skip(f"no version after {op}")
            if "${" in ver:
                raise _Skip("version from an environment variable")
            try:
                Specifier(op + ver)
            except InvalidSpecifier:
                raise _Skip("invalid version specifier") from None
            if not version and op == "===":
                version = ver
            elif not version and op == "==" and not ver.endswith(".*"):
                version = ver
    return _Req(name, version, "registry")
