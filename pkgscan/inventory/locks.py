"""Lockfiles and manifests a deployment package may carry, dispatched to the pure parsers.

Which files count: a lockfile outside any ``node_modules`` (a dependency's own lockfile describes
its development, not this deployment), except npm's hidden lockfile
``<dir>/node_modules/.package-lock.json``.  Python lockfiles count at the package root and one level
below it (``python/``, ``nodejs/``, ``src/``): a requirements file deeper down sits inside some
library's own folder.
"""
from __future__ import annotations

import importlib
import posixpath
import re

from ..archive import Tree
from ..archive.ziparchive import safe_path
from ..model import NPM, PYPI, Notice
from ..ecosystems import GEM, NUGET
from .base import CatalogResult, Lockfile, dirname
from .lockfiles import LockfileError

# basename -> (parser module, ecosystem, kind, complete)
_EXACT = {
    "package-lock.json": ("npm_lock", NPM, "package-lock", True),
    "npm-shrinkwrap.json": ("npm_lock", NPM, "npm-shrinkwrap", True),
    ".package-lock.json": ("npm_lock", NPM, "hidden-lockfile", True),
    "yarn.lock": ("yarn_lock", NPM, "yarn", True),
    "pnpm-lock.yaml": ("pnpm_lock", NPM, "pnpm", True),
    "bun.lock": ("bun_lock", NPM, "bun", True),
    "Pipfile.lock": ("pipfile_lock", PYPI, "pipfile", True),
    "poetry.lock": ("poetry_lock", PYPI, "poetry", True),
    "uv.lock": ("uv_lock", PYPI, "uv", True),
    "pdm.lock": ("pdm_lock", PYPI, "pdm", True),
    "pylock.toml": ("pylock", PYPI, "pylock", True),
    "packages.lock.json": ("nuget_lock", NUGET, "nuget-lock", True),
    "Gemfile.lock": ("gemfile_lock", GEM, "gemfile-lock", True),
    "gems.locked": ("gemfile_lock", GEM, "gemfile-lock", True),
}
_PYLOCK = re.compile(r"^pylock\.[^/]+\.toml$")
_REQUIREMENTS = re.compile(r"^[^/]*requirements[^/]*\.txt$", re.IGNORECASE)
_MAX_LOCKFILE = 32 * 1024 * 1024


def classify(path: str, basename: str) -> tuple[str, str, str, bool] | None:
    spec = _EXACT.get(basename)
    if spec is None:
        if _REQUIREMENTS.match(basename):
            spec = ("requirements", PYPI, "requirements", False)
        elif _PYLOCK.match(basename):
            spec = ("pylock", PYPI, "pylock", True)
        else:
            return None
    parts = path.split("/")
    if spec[2] == "hidden-lockfile":
        return spec if len(parts) >= 2 and parts[-2] == "node_modules" and "node_modules" not in parts[:-2] else None
    if "node_modules" in parts:
        return None
    if spec[1] in (PYPI, NUGET, GEM) and len(parts) > 2:
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
            module, ecosystem, kind, complete = spec
            if kind == "package-lock" and dirname(path) in shrinkwrapped:
                tree.notices.append(Notice("lockfile-ignored", path, "npm-shrinkwrap.json beside it takes precedence"))
                continue
            data = tree.read_or_note(path, _MAX_LOCKFILE)
            if data is None:
                continue
            try:
                parser = importlib.import_module(f"{__package__}.lockfiles.{module}")
            except ImportError as exc:  # a broken install must not sink the scan
                tree.notices.append(Notice("parser-unavailable", path, f"no parser for this lockfile: {exc}"))
                continue
            try:
                if module == "requirements":
                    parsed = parser.parse(data, path, read_include=_include_reader(tree, path))
                else:
                    parsed = parser.parse(data, path)
            except LockfileError as exc:
                tree.notices.append(Notice("malformed-lockfile", path, str(exc)))
                continue
            except RecursionError:
                tree.notices.append(Notice("malformed-lockfile", path, "nesting too deep"))
                continue
            for w in parsed.warnings:
                tree.notices.append(Notice("lockfile-warning", path, w))
            result.lockfiles.append(Lockfile(path, project_dir(path, kind), ecosystem, kind, complete, parsed))


def _include_reader(tree: Tree, path: str):
    base = dirname(path)

    def read(rel: str) -> bytes | None:
        joined = posixpath.normpath(posixpath.join(base, rel.replace("\\", "/"))) if base else rel
        safe, _reason = safe_path(joined)
        if not safe or safe not in tree:
            return None
        return tree.read_or_note(safe, _MAX_LOCKFILE)

    return read
