"""Installed Node packages: ``node_modules/<name>/package.json`` and ``node_modules/@s/<n>/package.json``.

Only a package.json directly inside a package directory counts: ``dist/package.json`` or a
package.json in a package's own sub-folders describes no installed package.
"""
from __future__ import annotations

import json

from ..archive import Tree
from ..ecosystems import valid_npm_name
from ..model import NPM, Evidence, Notice
from .base import CatalogResult, Installed, decode_text, scrub
from .licenses import npm_licenses
from .padded import json_prefix_fields, read_metadata

_MAX_PACKAGE_JSON = 4 * 1024 * 1024
DEP_FIELDS = ("dependencies", "optionalDependencies", "peerDependencies")


def package_dir(path: str) -> tuple[str, str] | None:
    """For '<...>/node_modules/<dir>/package.json' return (node_modules dir, '<dir>'), else None."""
    if not path.endswith("/package.json"):
        return None
    parts = path.split("/")
    # .../node_modules/name/package.json
    if len(parts) >= 3 and parts[-3] == "node_modules" and not parts[-2].startswith((".", "@")):
        return "/".join(parts[:-2]), parts[-2]
    # .../node_modules/@scope/name/package.json
    if len(parts) >= 4 and parts[-4] == "node_modules" and parts[-3].startswith("@") and not parts[-2].startswith("."):
        return "/".join(parts[:-3]), parts[-3] + "/" + parts[-2]
    return None


def _json_object(data: bytes) -> dict | None:
    try:
        obj = json.loads(decode_text(data))
    except (ValueError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


class NodeInstalledCataloger:
    name = "node-installed"
    names = frozenset({"package.json"})
    suffixes = ()

    def wants(self, path: str, basename: str) -> bool:
        return basename == "package.json" and package_dir(path) is not None

    def catalog(self, tree: Tree, paths: list[str], result: CatalogResult) -> None:
        for path in paths:
            data, complete = read_metadata(tree, path, _MAX_PACKAGE_JSON)
            if data is None:
                continue
            if not complete:  # padded: name and version from the members the prefix holds
                fields = json_prefix_fields(data)
                data = json.dumps(fields).encode()
            inst = self.parse(path, data, tree.notices)
            if inst is None and not complete:
                # the padding came before "name"/"version": the package is still there, named by its
                # folder, its version unknown (never guessed), and the notice says why
                nm_dir, dir_name = package_dir(path)
                tree.notices.append(Notice("metadata-from-directory-name", path,
                                           f"padded package.json: {dir_name} taken from its folder, version unknown",
                                           True))
                inst = Installed(ecosystem=NPM, name=dir_name, version="", location=path, root=nm_dir,
                                 evidence=(Evidence("filename", 0.5, path, "node_modules folder name"),))
            if inst is not None:
                result.installed.append(inst)

    def parse(self, path: str, data: bytes, notices: list[Notice]) -> Installed | None:
        pd = package_dir(path)
        assert pd is not None
        nm_dir, dir_name = pd
        pkg = _json_object(data)
        if pkg is None:
            notices.append(Notice("malformed-metadata", path, "package.json is not a JSON object"))
            return None
        name, version = pkg.get("name"), pkg.get("version")
        if isinstance(name, str):
            name = scrub(name).strip()
        if isinstance(version, str):
            version = scrub(version)
        if not isinstance(name, str) or not valid_npm_name(name):
            # npm itself falls back to the folder name
            notices.append(Notice("malformed-metadata", path, f"package.json name {name!r} is not a valid package name; using the folder name"))
            name = dir_name
        if not isinstance(version, str) or not version:
            notices.append(Notice("malformed-metadata", path, f"{name}: package.json has no version; not a package"))
            return None
        requires: set[str] = set()
        for field in DEP_FIELDS:
            deps = pkg.get(field)
            if isinstance(deps, dict):
                requires.update(k for k in deps if isinstance(k, str))
        bundled = pkg.get("bundleDependencies", pkg.get("bundledDependencies"))
        if isinstance(bundled, list):
            requires.update(k for k in bundled if isinstance(k, str))
        desc = pkg.get("description")
        return Installed(
            ecosystem=NPM,
            name=name,
            version=version.strip(),
            location=path,
            root=nm_dir,
            licenses=tuple(scrub(x) for x in npm_licenses(pkg)),
            description=scrub(desc[:500]) if isinstance(desc, str) else "",
            requires=tuple(sorted(requires)),
            alias=dir_name if dir_name != name else "",
        )
