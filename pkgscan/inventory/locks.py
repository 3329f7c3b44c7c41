"""Lockfiles and manifests a deployment package may carry, dispatched to the pure parsers.

Which files count: a lockfile outside any ``node_modules`` (a dependency's own lockfile describes
its development, not this deployment), except npm's hidden lockfile
``<dir>/node_modules/.package-lock.json``.  Python lockfiles count at the package root and one level
below it (``python/``, ``nodejs/``, ``src/``): a requirements file deeper down sits inside some
library's own folder.
"""
from __future__ import annotations

import posixpath
import re
from typing import Callable, NamedTuple

from ..archive import Tree
from ..archive.ziparchive import safe_path
from ..ecosystems import GEM, NUGET
from ..model import NPM, PYPI, LockfileParse, Notice
from .base import CatalogResult, Lockfile, dirname
from .lockfiles import LockfileError

# The parsers, imported when a file of their kind turns up (a scan of a package without lockfiles
# does not pay for YAML, TOML and the requirements grammar).  Each takes (data, path, tree).


def _npm_lock(data: bytes, path: str, tree: Tree) -> LockfileParse:
    from .lockfiles.npm_lock import parse
    return parse(data, path)


def _yarn_lock(data: bytes, path: str, tree: Tree) -> LockfileParse:
    from .lockfiles.yarn_lock import parse
    return parse(data, path)


def _pnpm_lock(data: bytes, path: str, tree: Tree) -> LockfileParse:
    from .lockfiles.pnpm_lock import parse
    return parse(data, path)


def _bun_lock(data: bytes, path: str, tree: Tree) -> LockfileParse:
    from .lockfiles.bun_lock import parse
    return parse(data, path)


def _pipfile_lock(data: bytes, path: str, tree: Tree) -> LockfileParse:
    from .lockfiles.pipfile_lock import parse
    return parse(data, path)


def _poetry_lock(data: bytes, path: str, tree: Tree) -> LockfileParse:
    from .lockfiles.poetry_lock import parse
    return parse(data, path)


def _uv_lock(data: bytes, path: str, tree: Tree) -> LockfileParse:
    from .lockfiles.uv_lock import parse
    return parse(data, path)


def _pdm_lock(data: bytes, path: str, tree: Tree) -> LockfileParse:
    from .lockfiles.pdm_lock import parse
    return parse(data, path)


def _pylock(data: bytes, path: str, tree: Tree) -> LockfileParse:
    from .lockfiles.pylock import parse
    return parse(data, path)


def _requirements(data: bytes, path: str, tree: Tree) -> LockfileParse:
    from .lockfiles.requirements import parse
    return parse(data, path, read_include=_include_reader(tree, path))


def _nuget_lock(data: bytes, path: str, tree: Tree) -> LockfileParse:
    from .lockfiles.nuget_lock import parse
    return parse(data, path)


def _gemfile_lock(data: bytes, path: str, tree: Tree) -> LockfileParse:
    from .lockfiles.gemfile_lock import parse
    return parse(data, path)


Parser = Callable[[bytes, str, Tree], LockfileParse]


class Spec(NamedTuple):
    parse: Parser
    ecosystem: str
    kind: str
    complete: bool  # a full lock (every installed package should be in it) vs a list of direct deps


_EXACT = {
    "package-lock.json": Spec(_npm_lock, NPM, "package-lock", True),
    "npm-shrinkwrap.json": Spec(_npm_lock, NPM, "npm-shrinkwrap", True),
    ".package-lock.json": Spec(_npm_lock, NPM, "hidden-lockfile", True),
    "yarn.lock": Spec(_yarn_lock, NPM, "yarn", True),
    "pnpm-lock.yaml": Spec(_pnpm_lock, NPM, "pnpm", True),
    "bun.lock": Spec(_bun_lock, NPM, "bun", True),
    "Pipfile.lock": Spec(_pipfile_lock, PYPI, "pipfile", True),
    "poetry.lock": Spec(_poetry_lock, PYPI, "poetry", True),
    "uv.lock": Spec(_uv_lock, PYPI, "uv", True),
    "pdm.lock": Spec(_pdm_lock, PYPI, "pdm", True),
    "pylock.toml": Spec(_pylock, PYPI, "pylock", True),
    "packages.lock.json": Spec(_nuget_lock, NUGET, "nuget-lock", True),
    "Gemfile.lock": Spec(_gemfile_lock, GEM, "gemfile-lock", True),
    "gems.locked": Spec(_gemfile_lock, GEM, "gemfile-lock", True),
}
_PYLOCK_SPEC = Spec(_pylock, PYPI, "pylock", True)
_REQUIREMENTS_SPEC = Spec(_requirements, PYPI, "requirements", False)
_PYLOCK = re.compile(r"^pylock\.[^/]+\.toml$")
_REQUIREMENTS = re.compile(r"^[^/]*requirements[^/]*\.txt$", re.IGNORECASE)
_MAX_LOCKFILE = 32 * 1024 * 1024


def classify(path: str, basename: str) -> Spec | None:
    spec = _EXACT.get(basename)
    if spec is None:
        if _REQUIREMENTS.match(basename):
            spec = _REQUIREMENTS_SPEC
        elif _PYLOCK.match(basename):
            spec = _PYLOCK_SPEC
        else:
            return None
    parts = path.split("/")
    if spec.kind == "hidden-lockfile":
        return spec if len(parts) >= 2 and parts[-2] == "node_modules" and "node_modules" not in parts[:-2] else None
    if "node_modules" in parts:
        return None
    if spec.ecosystem in (PYPI, NUGET, GEM) and len(parts) > 2:
        return None
    return spec


def project_dir(path: str, kind: str) -> str:
    d = dirname(path)
    return dirname(d) if kind == "hidden-lockfile" else d


class LockfileCataloger:
    name = "lockfiles"
    names = frozenset(_EXACT)
    suffixes = (".txt", ".toml")  # requirements*.txt, pylock.*.toml

    def wants(self, path: str, basename: str) -> bool:
        return classify(path, basename) is not None

    def catalog(self, tree: Tree, paths: list[str], result: CatalogResult) -> None:
        # npm reads npm-shrinkwrap.json and ignores package-lock.json when both are present.
        shrinkwrapped = {dirname(p) for p in paths if p.rsplit("/", 1)[-1] == "npm-shrinkwrap.json"}
        for path in paths:
            spec = classify(path, path.rsplit("/", 1)[-1])
            assert spec is not None
            kind = spec.kind
            if kind == "package-lock" and dirname(path) in shrinkwrapped:
                tree.notices.append(Notice("lockfile-ignored", path, "npm-shrinkwrap.json beside it takes precedence"))
                continue
            if _lock_budget(tree).spent >= LOCKFILES_BUDGET:
                tree.notices.append(Notice("lockfile-budget", path, f"lockfiles already read {LOCKFILES_BUDGET} bytes in "
                                           "this package; not read (the budget of installed metadata is kept)", True))
                continue
            data = tree.read_or_note(path, _MAX_LOCKFILE)
            if data is None:
                continue
            _lock_budget(tree).spent += len(data)
            if kind == "requirements":
                _lock_budget(tree).requirements.add(path)
            problem = work_problem(data, kind)
            if problem:
                tree.notices.append(Notice("lockfile-too-complex", path, f"{problem}; not parsed", True))
                continue
            try:
                parsed = spec.parse(data, path, tree)
            except ImportError as exc:  # a broken install must not sink the scan
                tree.notices.append(Notice("parser-unavailable", path, f"no parser for this lockfile: {exc}"))
                continue
            except LockfileError as exc:
                tree.notices.append(Notice("malformed-lockfile", path, str(exc)))
                continue
            except RecursionError:
                tree.notices.append(Notice("malformed-lockfile", path, "nesting too deep"))
                continue
            for w in parsed.warnings:
                tree.notices.append(Notice("lockfile-warning", path, w))
            result.lockfiles.append(Lockfile(path, project_dir(path, kind), spec.ecosystem, kind, spec.complete, parsed))


#: bytes all the lockfiles of one package may read together (requirements includes count): the rest
#: of the archive budget stays for installed metadata, so lockfiles cannot starve the inventory
LOCKFILES_BUDGET = 96 * 1024 * 1024
#: structural tokens (``,``, ``[``, ``{``, newlines) a lockfile may hold before a parser is run on
#: it: the largest real lockfiles have a few hundred thousand; a flow sequence or an array of millions
#: of empty values costs seconds and gigabytes in the JSON / TOML / YAML parsers
MAX_LOCKFILE_TOKENS = 2_000_000


class _LockBudget:
    __slots__ = ("spent", "requirements")

    def __init__(self) -> None:
        self.spent = 0
        self.requirements: set[str] = set()  # requirements files already parsed in this package


def _lock_budget(tree: Tree) -> _LockBudget:
    root = tree.outer
    b = root.__dict__.get("_lock_budget")
    if b is None:
        b = root.__dict__["_lock_budget"] = _LockBudget()
    return b


#: PyYAML builds a node of about 450 bytes per scalar and tomllib is pure Python: their formats get
#: a lower limit (a large real pnpm-lock.yaml or uv.lock has about 100,000 lines)
MAX_TOKENS_SLOW_PARSER = 300_000
_SLOW_PARSER_KINDS = frozenset({"pnpm", "uv", "poetry", "pdm", "pylock"})


def work_problem(data: bytes, kind: str = "") -> str | None:
    """Why a lockfile is too costly to parse (None: it is not): counted in C, before any parser."""
    tokens = data.count(b",") + data.count(b"[") + data.count(b"{") + data.count(b"\n")
    limit = MAX_TOKENS_SLOW_PARSER if kind in _SLOW_PARSER_KINDS else MAX_LOCKFILE_TOKENS
    if tokens > limit:
        return f"{tokens} structural tokens (more than {limit} for this format)"
    return None


def _include_reader(tree: Tree, path: str):
    """``-r``/``-c`` targets: each requirements file of the package is parsed once (as a top-level
    file or as an include), and includes spend the lockfiles' shared budget."""
    base = dirname(path)
    budget = _lock_budget(tree)

    def read(rel: str) -> bytes | None:
        joined = posixpath.normpath(posixpath.join(base, rel.replace("\\", "/"))) if base else rel
        safe, _reason = safe_path(joined)
        if not safe or safe not in tree:
            return None
        if safe in budget.requirements:
            return b""  # already read in this package: its packages are reported from there
        if budget.spent >= LOCKFILES_BUDGET:
            tree.notices.append(Notice("lockfile-budget", safe, "lockfile budget spent; include not read", True))
            return b""
        data = tree.read_or_note(safe, _MAX_LOCKFILE)
        if data is not None:
            budget.spent += len(data)
            budget.requirements.add(safe)
            problem = work_problem(data)
            if problem:
                tree.notices.append(Notice("lockfile-too-complex", safe, f"{problem}; not parsed", True))
                return b""
        return data

    return read
