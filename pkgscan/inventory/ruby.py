"""Installed Ruby gems: ``<gem home>/specifications/<name>-<version>[-<platform>].gemspec``.

Lambda's Ruby runtime puts ``/var/task/vendor/bundle/ruby/<X.Y.0>`` (a function bundled with
``bundle config set path vendor/bundle``) and ``/opt/ruby/gems/<X.Y.0>`` (a layer) on ``GEM_PATH``.
A gem home has ``gems/<full name>/`` (the code) and ``specifications/<full name>.gemspec``, the
specification RubyGems wrote when it installed the gem (``Gem::Specification#to_ruby``).  That file
is Ruby code, and it is NEVER evaluated here: it is read as text, and only the literal forms
RubyGems writes are understood::

    # stub: jmespath 1.6.2 ruby lib
    Gem::Specification.new do |s|
      s.name = "jmespath".freeze
      s.version = "1.6.2".freeze
      s.platform = "x86_64-linux".freeze
      s.licenses = ["Apache-2.0".freeze]
      s.add_runtime_dependency(%q<strscan>.freeze, [">= 0".freeze])

Assignments count only at the start of a line, on the block variable of ``Gem::Specification.new
do |var|``, with a literal value (``"..."``, ``'...'``, ``%q<...>`` and the other ``%q``/``%Q``
delimiters, optionally ``.freeze``); a double-quoted string with ``#{`` interpolation is not
literal.  Comments and heredoc bodies are blanked first, so text inside a heredoc never counts.
``add_runtime_dependency`` / ``add_dependency`` are runtime dependencies (the dependency edges);
``add_development_dependency`` is not.

Gems a Gemfile.lock takes from git are installed by Bundler as a checkout,
``<gem home>/bundler/gems/<name>-<revision>/<name>.gemspec``: that gemspec is the project's own,
hand-written one, read the same way; its version is a literal, a constant assigned in it, or
``VERSION = "..."`` in the checkout's ``lib/<name>/version.rb`` (read as text), else it is not
reported (a notice).

Evidence, strongest first: the spec's own ``name``/``version`` literals (``manifest-analysis``
1.0); the ``# stub:`` line RubyGems writes on top (``manifest-analysis`` 0.9); the file name
``<name>-<version>[-<platform>].gemspec`` (``filename`` 0.6), used when the body gives no
literal name or version (a constant, a method call, an unreadable or oversized file) so that an
installed gem never vanishes.  A file name and a body that disagree get a notice; the body wins.
"""
from __future__ import annotations

import re

from ..archive import Tree
from ..model import Evidence, Notice
from .base import CatalogResult, Installed, decode_text, dirname, scrub
from .lockfiles.gemfile_lock import split_platform

GEM = "gem"
_MAX_GEMSPEC = 2 * 1024 * 1024
_ABI = re.compile(r"^[0-9]+\.[0-9]+(\.[0-9]+)?$")

_BLOCK_VAR = re.compile(r"Gem::Specification\.new\b[^\n]{0,200}?(?:\bdo|\{)\s*\|\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\|")
_HEREDOC = re.compile(r"<<([~-]?)(['\"`]?)([A-Za-z_][A-Za-z0-9_]{0,63})\2")
_STUB = re.compile(r"^# stub: (\S{1,256}) (\S{1,256}) (\S{1,128})(?: |$)", re.MULTILINE)
_PCT_PAIRS = {"<": ">", "(": ")", "[": "]", "{": "}"}
_PLATFORM = re.compile(
    r"^(?:x86_64|x86|i[3-6]86|aarch64|arm64|arm|armv[0-9a-z]+|universal|powerpc|ppc64le|ppc64|s390x|sparc|"
    r"riscv64|java|jruby|dalvik[0-9]*|x64|mswin32|mswin64|mingw32|wasm32|dotnet)(?:-[A-Za-z0-9_.]+)*$"
)
_VERSION = re.compile(r"^[0-9]+(?:\.[0-9A-Za-z]+)*$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "s": " ", "e": "\x1b", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def gem_home(path: str) -> str | None:
    """For '<home>/specifications/<file>.gemspec' with <home> a Ruby ABI dir ('.../3.3.0'): <home>."""
    parts = path.split("/")
    if len(parts) < 3 or parts[-2] != "specifications" or not parts[-1].endswith(".gemspec"):
        return None
    if not _ABI.match(parts[-3]):
        return None
    return "/".join(parts[:-2])


def parse_filename(basename: str) -> tuple[str, str, str] | None:
    """``aws-sdk-core-3.190.0.gemspec`` -> (name, version, platform); None when no split fits."""
    stem = basename[: -len(".gemspec")] if basename.endswith(".gemspec") else basename
    i = stem.find("-")
    while i > 0:
        name, rest = stem[:i], stem[i + 1:]
        version, sep, platform = rest.partition("-")
        if _VERSION.match(version) and (not sep or _PLATFORM.match(platform)):
            return name, version, platform
        i = stem.find("-", i + 1)
    return None


# ------------------------------------------------------------------ reading Ruby text, statically

def _blank_heredocs_and_comments(text: str) -> str:
    """Blank the bodies of heredocs and the ``#`` comments (outside string literals, roughly)."""
    lines = text.split("\n")
    out: list[str] = []
    pending: list[tuple[bool, str]] = []  # (squiggly/dash: indented terminator allowed, identifier)
    for line in lines:
        if pending:
            indent_ok, ident = pending[0]
            stripped = line.strip() if indent_ok else line.rstrip("\r")
            if stripped == ident:
                pending.pop(0)
            out.append("")
            continue
        code = _strip_comment(line)
        for m in _HEREDOC.finditer(code):
            # `a <<b` is also a shift; RubyGems never writes either, so treating it as a heredoc only
            # blanks more text (a name/version there is then not read): the safe direction.
            pending.append((bool(m.group(1)), m.group(3)))
        out.append(code)
    return "\n".join(out)


def _strip_comment(line: str) -> str:
    if "#" not in line:
        return line
    quote = ""
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "#":
            return line[:i]
        i += 1
    return line


def _unescape_double(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\" or i + 1 >= len(body):
            out.append(c)
            i += 1
            continue
        n = body[i + 1]
        if n == "u":
            if body[i + 2:i + 3] == "{":
                end = body.find("}", i + 3)
                if end > 0:
                    for cp in body[i + 3:end].split():
                        try:
                            out.append(chr(int(cp, 16)))
                        except (ValueError, OverflowError):
                            pass
                    i = end + 1
                    continue
            hexd = body[i + 2:i + 6]
            try:
                out.append(chr(int(hexd, 16)))
                i += 6
                continue
            except ValueError:
                pass
        elif n == "x":
            m = re.match(r"[0-9A-Fa-f]{1,2}", body[i + 2:])
            if m:
                out.append(chr(int(m.group(), 16)))
                i += 2 + len(m.group())
                continue
        out.append(_ESCAPES.get(n, n))
        i += 2
    return "".join(out)


def read_literal(text: str, pos: int) -> tuple[str, int] | None:
    """A Ruby string literal at ``pos`` (after spaces): (value, end position), or None when what is
    there is not a plain literal (a constant, a call, an interpolated string)."""
    n = len(text)
    while pos < n and text[pos] in " \t":
        pos += 1
    if pos >= n:
        return None
    c = text[pos]
    if c == "'":
        end = pos + 1
        buf: list[str] = []
        while end < n and text[end] != "'":
            if text[end] == "\\" and end + 1 < n and text[end + 1] in "\\'":
                buf.append(text[end + 1])
                end += 2
                continue
            if text[end] == "\n":
                return None
            buf.append(text[end])
            end += 1
        if end >= n:
            return None
        value, end = "".join(buf), end + 1
    elif c == '"':
        end = pos + 1
        while end < n and text[end] != '"':
            if text[end] == "\\":
                end += 2
                continue
            if text[end] == "\n":
                return None
            end += 1
        if end >= n:
            return None
        body = text[pos + 1:end]
        if "#{" in body or "#@" in body or "#$" in body:
            return None
        value, end = _unescape_double(body), end + 1
    elif c == "%" and pos + 2 < n:
        kind = text[pos + 1]
        start = pos + 2
        if kind in "qQ":
            opener = text[pos + 2] if pos + 2 < n else ""
            start = pos + 3
        else:
            opener = kind  # %{...}
            kind = "Q"
        if not opener or opener.isalnum() or opener.isspace():
            return None
        closer = _PCT_PAIRS.get(opener, opener)
        close = text.find(closer, start)
        nl = text.find("\n", start)
        if close < 0 or (0 <= nl < close):
            return None
        body = text[start:close]
        if opener in _PCT_PAIRS and opener in body:
            return None  # nested delimiters: not what RubyGems writes
        if kind == "Q":
            if "#{" in body:
                return None
            body = _unescape_double(body)
        value, end = body, close + 1
    else:
        return None
    if text.startswith(".freeze", end):
        end += len(".freeze")
    return value, end


def read_literal_list(text: str, pos: int) -> list[str] | None:
    """``["a".freeze, "b"]`` (or one bare literal) at ``pos``; None if not all literals."""
    n = len(text)
    while pos < n and text[pos] in " \t":
        pos += 1
    if pos < n and text[pos] != "[":
        one = read_literal(text, pos)
        return [one[0]] if one else None
    pos += 1
    values: list[str] = []
    while pos < n:
        while pos < n and text[pos] in " \t\r\n,":
            pos += 1
        if pos < n and text[pos] == "]":
            return values
        lit = read_literal(text, pos)
        if lit is None or len(values) > 256:
            return None
        values.append(lit[0])
        pos = lit[1]
    return None


class GemspecFacts:
    __slots__ = ("name", "version", "platform", "licenses", "runtime_deps", "stub", "block_var", "summary")

    def __init__(self) -> None:
        self.name = self.version = self.platform = self.summary = ""
        self.licenses: list[str] = []
        self.runtime_deps: list[str] = []
        self.stub: tuple[str, str, str] | None = None
        self.block_var = ""


def read_gemspec(text: str) -> GemspecFacts:
    """The literal facts of a gemspec, read without evaluating any of it."""
    facts = GemspecFacts()
    m = _STUB.search(text[:4096])
    if m:
        facts.stub = (m.group(1), m.group(2), m.group(3))
    code = _blank_heredocs_and_comments(text)
    bm = _BLOCK_VAR.search(code)
    if not bm:
        return facts
    var = facts.block_var = bm.group(1)
    v = re.escape(var)
    assign = re.compile(rf"^[ \t]*{v}\.(name|version|platform|license|licenses|summary)[ \t]*=(?!=)", re.MULTILINE)
    for am in assign.finditer(code, bm.end()):
        field = am.group(1)
        if field in ("license", "licenses"):
            values = read_literal_list(code, am.end())
            if values:
                facts.licenses.extend(x for x in values if x and x not in facts.licenses)
            continue
        lit = read_literal(code, am.end())
        if lit is None:
            continue
        if field == "name" and not facts.name:
            facts.name = lit[0].strip()
        elif field == "version" and not facts.version:
            facts.version = lit[0].strip()
        elif field == "platform" and not facts.platform:
            facts.platform = lit[0].strip()
        elif field == "summary" and not facts.summary:
            facts.summary = lit[0][:500]
    # RubyGems before 3.5 writes each dependency twice: add_runtime_dependency /
    # add_development_dependency, and an `else` branch (for ancient RubyGems) where all are
    # add_dependency.  So a gem named by add_development_dependency is development, wherever else
    # it appears.
    dep = re.compile(rf"^[ \t]*{v}\.add_(runtime_|development_)?dependency\b[ \t]*\(?", re.MULTILINE)
    development: set[str] = set()
    for dm in dep.finditer(code, bm.end()):
        lit = read_literal(code, dm.end())
        if not lit or not lit[0].strip():
            continue
        name = lit[0].strip()
        if dm.group(1) == "development_":
            development.add(name)
        elif name not in facts.runtime_deps and len(facts.runtime_deps) < 1000:
            facts.runtime_deps.append(name)
    facts.runtime_deps = [d for d in facts.runtime_deps if d not in development]
    if not facts.version:
        facts.version = _version_from_constant(code, var, bm.end())
    # a version given as Gem::Version.new("1.2") is still a literal
    if not facts.version:
        vm = re.search(rf"^[ \t]*{v}\.version[ \t]*=[ \t]*Gem::Version\.new\(", code[bm.end():], re.MULTILINE)
        if vm:
            lit = read_literal(code, bm.end() + vm.end())
            if lit:
                facts.version = lit[0].strip()
    return facts


_CONST_ASSIGN = re.compile(r"^[ \t]*(?:[A-Z][A-Za-z0-9_]*::)*([A-Z][A-Za-z0-9_]{0,63})[ \t]*=(?!=)", re.MULTILINE)


def _version_from_constant(code: str, var: str, start: int) -> str:
    """``s.version = VERSION`` / ``Mod::VERSION`` where the constant is a literal assigned in this same
    file (``VERSION = "1.2.3".freeze``).  Other files (``require_relative "lib/x/version"``) are never
    read or run: an installed specification never needs them."""
    m = re.search(rf"^[ \t]*{re.escape(var)}\.version[ \t]*=[ \t]*((?:[A-Z][A-Za-z0-9_]*::)*([A-Z][A-Za-z0-9_]{{0,63}}))[ \t]*$",
                  code[start:], re.MULTILINE)
    if not m:
        return ""
    want = m.group(2)
    for cm in _CONST_ASSIGN.finditer(code):
        if cm.group(1) == want:
            lit = read_literal(code, cm.end())
            if lit and lit[0].strip():
                return lit[0].strip()
    return ""


# ------------------------------------------------------------------ the cataloger

def _valid_name(name: str) -> bool:
    return bool(name) and len(name) <= 256 and not any(c.isspace() or c in "/\\" for c in name)


class RubyGemsCataloger:
    name = "ruby-gems"
    names = frozenset()
    suffixes = (".gemspec",)

    def wants(self, path: str, basename: str) -> bool:
        return gem_home(path) is not None or git_gem(path) is not None

    def catalog(self, tree: Tree, paths: list[str], result: CatalogResult) -> None:
        for path in paths:
            if git_gem(path) is not None:
                try:
                    inst = git_gem_installed(tree, path)
                except Exception as exc:  # never out of the cataloger
                    tree.notices.append(Notice("malformed-metadata", path, f"gemspec not read: {type(exc).__name__}: {exc}"))
                    inst = None
                if inst is not None:
                    result.installed.append(inst)
                continue
            try:
                inst = self.parse(tree, path)
            except Exception as exc:  # never out of the cataloger
                tree.notices.append(Notice("malformed-metadata", path, f"gemspec not read: {type(exc).__name__}: {exc}"))
                inst = _from_filename_only(path, tree.notices)
            if inst is not None:
                result.installed.append(inst)

    def parse(self, tree: Tree, path: str) -> Installed | None:
        data = tree.read_or_note(path, _MAX_GEMSPEC)
        if data is None:
            return _from_filename_only(path, tree.notices)
        return gemspec_installed(path, data, tree.notices)


def _from_filename_only(path: str, notices: list[Notice]) -> Installed | None:
    return gemspec_installed(path, None, notices)


def gemspec_installed(path: str, data: bytes | None, notices: list[Notice]) -> Installed | None:
    home = gem_home(path) or dirname(path)
    basename = path.rsplit("/", 1)[-1]
    from_file = parse_filename(basename)
    facts = read_gemspec(scrub(decode_text(data))) if data is not None else GemspecFacts()
    evidence: list[Evidence] = []
    name, version, platform = facts.name, facts.version, facts.platform
    if name and not _valid_name(name):
        notices.append(Notice("malformed-metadata", path, f"gemspec name {name[:80]!r} is not a valid gem name"))
        name = ""
    if name and version:
        evidence.append(Evidence("manifest-analysis", 1.0, path, "gemspec"))
    elif facts.stub and _valid_name(facts.stub[0]) and (not name or name == facts.stub[0]):
        name, version = facts.stub[0], version or facts.stub[1]
        if not platform and facts.stub[2] != "ruby":
            platform = facts.stub[2]
        evidence.append(Evidence("manifest-analysis", 0.9, path, "gemspec stub line"))
    if not (name and version):
        if from_file is None or (name and name != from_file[0]):
            if data is not None:
                notices.append(Notice("malformed-metadata", path, "gemspec gives no literal name and version, and "
                                      "its file name is not <name>-<version>.gemspec: not a gem"))
            else:
                notices.append(Notice("malformed-metadata", path, "gemspec not read and its file name is not "
                                      "<name>-<version>.gemspec: not a gem"))
            return None
        if data is not None:
            notices.append(Notice("gemspec-by-filename", path, "gemspec has no literal name/version (never "
                                  "evaluated); name and version taken from the file name"))
        name = name or from_file[0]
        version = version or from_file[1]
        platform = platform or from_file[2]
        evidence = [Evidence("filename", 0.6, path, "gemspec file name")]
    elif from_file is not None:
        fn_name, fn_version, _fn_platform = from_file
        if fn_name != name or split_platform(fn_version)[0] != version:
            notices.append(Notice("gemspec-name-mismatch", path, f"file name says {fn_name} {fn_version}, the spec "
                                  f"says {name} {version}; the spec is used", True))
    properties: list[tuple[str, str]] = []
    if platform and platform != "ruby":
        properties.append(("pkgscan:gem:platform", scrub(platform)[:128]))
    return Installed(
        ecosystem=GEM,
        name=scrub(name),
        version=scrub(version),
        location=path,
        root=home,
        licenses=tuple(scrub(x)[:200] for x in facts.licenses[:32]),
        description=scrub(facts.summary),
        requires=tuple(sorted(set(facts.runtime_deps))),
        evidence=tuple(evidence),
        properties=tuple(properties),
    )


# ------------------------------------------------------------------ gems Bundler installs from git

_MAX_VERSION_RB = 64 * 1024
_VERSION_CONST = re.compile(r"^[ \t]*VERSION[ \t]*=(?!=)", re.MULTILINE)


def git_gem(path: str) -> tuple[str, str] | None:
    """For '<home>/bundler/gems/<name>-<revision>/<file>.gemspec' (a GIT source in Gemfile.lock,
    installed by Bundler from its checkout): (home, gem directory)."""
    parts = path.split("/")
    if len(parts) < 5 or parts[-4:-2] != ["bundler", "gems"] or not parts[-1].endswith(".gemspec"):
        return None
    if not _ABI.match(parts[-5]):
        return None
    return "/".join(parts[:-4]), "/".join(parts[:-1])


def _version_rb(tree: Tree, gem_dir: str, name: str) -> tuple[str, str]:
    """``VERSION = "1.2.3"`` in the checkout's ``lib/<name>/version.rb`` (read as text, never run)."""
    for rel in dict.fromkeys((name, name.replace("-", "/"), name.replace("-", "_"))):
        candidate = f"{gem_dir}/lib/{rel}/version.rb"
        if candidate not in tree:
            continue
        data = tree.read_or_note(candidate, _MAX_VERSION_RB)
        if data is None:
            continue
        text = _blank_heredocs_and_comments(scrub(decode_text(data)))
        m = _VERSION_CONST.search(text)
        if m:
            lit = read_literal(text, m.end())
            if lit and lit[0].strip():
                return lit[0].strip(), candidate
    return "", ""


def git_gem_installed(tree: Tree, path: str) -> Installed | None:
    """A gem Bundler checked out from git: its own (hand-written) gemspec, read statically.  The
    version is a literal, a constant assigned in the gemspec, or ``VERSION = "..."`` in
    ``lib/<name>/version.rb`` of the same checkout; without one it is not reported (a notice)."""
    loc = git_gem(path)
    assert loc is not None
    home, gem_dir = loc
    data = tree.read_or_note(path, _MAX_GEMSPEC)
    if data is None:
        return None
    facts = read_gemspec(scrub(decode_text(data)))
    name = facts.name or path.rsplit("/", 1)[-1][: -len(".gemspec")]
    if not _valid_name(name):
        tree.notices.append(Notice("malformed-metadata", path, "git gem without a valid literal name"))
        return None
    version, confidence, detail = facts.version, 1.0, "gemspec (git checkout)"
    if not version:
        version, where = _version_rb(tree, gem_dir, name)
        confidence, detail = 0.8, f"VERSION in {where.rsplit('/', 1)[0].split(gem_dir + '/', 1)[-1]}/version.rb"
    if not version:
        tree.notices.append(Notice("malformed-metadata", path, f"git gem {name}: no literal version in its gemspec or "
                                   "lib/<name>/version.rb (never evaluated); not reported"))
        return None
    revision = gem_dir.rsplit("/", 1)[-1][len(name) + 1:] if gem_dir.rsplit("/", 1)[-1].startswith(name + "-") else ""
    props = [("pkgscan:gem:source", "git")]
    if revision:
        props.append(("pkgscan:gem:revision", scrub(revision)[:64]))
    return Installed(
        ecosystem=GEM, name=scrub(name), version=scrub(version), location=path, root=home,
        licenses=tuple(scrub(x)[:200] for x in facts.licenses[:32]), description=scrub(facts.summary),
        requires=tuple(sorted(set(facts.runtime_deps))),
        evidence=(Evidence("manifest-analysis", confidence, path, detail),), properties=tuple(props),
    )
