"""The line grammar of pip requirements files: joining continuation lines, comments, options,
and one requirement (PEP 508 name and exact pin, a wheel / archive path or URL, ``-e``).

:mod:`.requirements` walks the files (includes, constraints, warnings); this module reads lines.
"""
from __future__ import annotations

import re

from packaging.specifiers import InvalidSpecifier, Specifier
from packaging.version import InvalidVersion, Version

from ... import ecosystems
from ...model import PYPI
from ...redaction import redact as _redact

#: a logical (joined) line longer than this is skipped
MAX_LINE_CHARS = 64 * 1024
#: a longer package name is not a name
MAX_NAME_CHARS = 512

_NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_CLAUSE_RE = re.compile(r"\s*(===|==|!=|~=|<=|>=|<|>)\s*([^\s,;]*)\s*")
_ARCHIVE_EXTS = (".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar", ".zip")
_EGG_RE = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")

_canonical = ecosystems.get(PYPI).normalize


class Skip(Exception):
    pass


class Req:
    __slots__ = ("name", "version", "source")

    def __init__(self, name: str, version: str, source: str):
        self.name, self.version, self.source = name, version, source


def logical_lines(text: str):
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


def break_args_options(line: str) -> tuple[str, str]:
    """pip: the first space-separated token starting with '-' begins the options."""
    tokens = line.split(" ")
    for i, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:i]), " ".join(tokens[i:])
    return line, ""


def split_option(line: str) -> tuple[str, str]:
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


def strip_comment(line: str) -> str:
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


def redact(url: str) -> str:
    """Userinfo and credential-like query values of every URL in ``url`` as ``***``."""
    return _redact(url)


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


def _parse_location(text: str, editable: bool) -> Req:
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
        raise Skip("no package name can be derived from the path or URL")
    return Req(name, version, source)


def parse_requirement(text: str, editable: bool) -> Req:
    text = text.strip()
    if not text:
        raise Skip("empty requirement")
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
        raise Skip("not a requirement")
    name = m.group(0)
    if len(name) > MAX_NAME_CHARS:
        raise Skip("name too long")
    rest = text[m.end():]
    # extras
    stripped = rest.lstrip()
    if stripped.startswith("["):
        close = stripped.find("]")
        if close < 0:
            raise Skip("unterminated extras")
        extras = stripped[1:close]
        if not re.fullmatch(r"\s*(?:[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:,\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*)*)?", extras):
            raise Skip("invalid extras")
        rest = stripped[close + 1:]
    stripped = rest.lstrip()
    # direct reference: name @ url
    if stripped.startswith("@"):
        url = stripped[1:].strip()
        url = _cut_marker(url)
        if not url or " " in url:
            raise Skip("invalid direct reference")
        source = _source_of_url(url) if _is_url(url) else ("file" if _archive_name(url) else "directory")
        version = ""
        archive = _archive_name(url)
        if archive:
            aname, aversion = _name_version_from_archive(archive)
            if aname and _canonical(aname) == _canonical(name):
                version = aversion
        return Req(name, version, "editable" if editable else source)
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
                raise Skip("invalid version specifier")
            op, ver = cm.group(1), cm.group(2)
            if not ver:
                raise Skip(f"no version after {op}")
            if "${" in ver:
                raise Skip("version from an environment variable")
            try:
                Specifier(op + ver)
            except InvalidSpecifier:
                raise Skip("invalid version specifier") from None
            if not version and op == "===":
                version = ver
            elif not version and op == "==" and not ver.endswith(".*"):
                version = ver
    return Req(name, version, "registry")
