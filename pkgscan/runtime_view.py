"""The effective runtime view of a function: its own code plus its layers as Lambda loads them.

Lambda extracts the function to ``/var/task`` and the layers, in order, into ``/opt`` (a later layer
overwrites an earlier layer's file at the same path).  Python then searches ``/var/task``,
``/opt/python/lib/pythonX.Y/site-packages``, ``/opt/python``, and last the runtime's own packages
(boto3 and botocore); Node resolves from the function's ``node_modules`` to
``/opt/nodejs/nodeNN/node_modules``, ``/opt/nodejs/node_modules``, and last the runtime's SDK.
Ruby puts ``/var/task/vendor/bundle/ruby/X.Y.0`` and ``/opt/ruby/gems/X.Y.0`` on ``GEM_PATH``
(X.Y.0 the runtime's ABI: ``ruby3.3`` -> ``3.3.0``), and RubyGems activates the HIGHEST version of a
gem found on it (ties: the first directory) -- unless the function calls ``require
"bundler/setup"``, when its Gemfile.lock decides (not modelled here).  .NET loads what the function's ``<App>.deps.json`` in
``/var/task`` lists; a layer's copies are not probed.
For each package that appears in several places this says which copy is loaded and which are
shadowed.  Packages nested inside another package's ``node_modules`` are private to it and always
loaded by it: they take part in no shadowing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .model import NPM, PYPI, Inventory

GEM, NUGET = "gem", "nuget"

NOT_ON_PATH = 99
_PY_RUNTIME = re.compile(r"^python(\d+\.\d+)")
_NODE_RUNTIME = re.compile(r"^nodejs(\d+)")
_SITE = re.compile(r"^python/lib/python(\d+\.\d+)/site-packages$")
_NODE_VER = re.compile(r"^nodejs/node(\d+)/node_modules$")
_RUBY_RUNTIME = re.compile(r"^ruby(\d+\.\d+)")
_GEM_HOME_FN = re.compile(r"^vendor/bundle/ruby/(\d+\.\d+)\.\d+$")
_GEM_HOME_LAYER = re.compile(r"^ruby/gems/(\d+\.\d+)\.\d+$")

#: what the managed runtimes provide when the function does not ship its own copy
PYTHON_SDK = ("boto3", "botocore")
NODE_SDK_V3 = "@aws-sdk/client-s3"  # the v3 SDK (one package per client) in nodejs18.x and later
NODE_SDK_V2 = "aws-sdk"  # the v2 SDK in nodejs16.x and earlier


@dataclass(frozen=True)
class Copy:
    ecosystem: str
    name: str
    version: str
    purl: str
    source: str  # "function" or the layer version ARN
    location: str  # path of the metadata file inside that zip
    search_path: str  # the directory as the runtime sees it ("/var/task", "/opt/python", ...)
    rank: int  # position in the search order; lower loads first; NOT_ON_PATH = not searched at all
    order: int = 0  # 0 = the function, 1.. = the layers in order (a later layer overwrites an earlier one)
    status: str = ""  # "loaded" | "shadowed" | "overwritten" | "not-on-path"
    shadowed_by: str = ""  # "<source> <location>" of the copy that is loaded instead


@dataclass(frozen=True)
class EffectiveView:
    runtime: str
    copies: tuple[Copy, ...]
    notes: tuple[str, ...]

    def loaded(self, ecosystem: str, name: str) -> Copy | None:
        for c in self.copies:
            if c.ecosystem == ecosystem and c.name == name and c.status == "loaded":
                return c
        return None

    def shadowed(self) -> tuple[Copy, ...]:
        return tuple(c for c in self.copies if c.status in ("shadowed", "overwritten"))


def _python_slot(root: str, from_layer: bool, pyver: str | None) -> tuple[int, str]:
    if not from_layer:
        return (0, "/var/task") if root == "" else (NOT_ON_PATH, f"/var/task/{root}")
    m = _SITE.match(root)
    if m:
        if pyver is None or m.group(1) == pyver:
            return 1, f"/opt/{root}"
        return NOT_ON_PATH, f"/opt/{root}"
    if root == "python":
        return 2, "/opt/python"
    return NOT_ON_PATH, f"/opt/{root}" if root else "/opt"


def _node_slot(root: str, location: str, name: str, from_layer: bool, nodever: str | None) -> tuple[int, str] | None:
    # only top-level packages of a node_modules directory compete; nested ones are private
    if location != f"{root}/{name}/package.json":
        return None
    if not from_layer:
        return (0, "/var/task/node_modules") if root == "node_modules" else (NOT_ON_PATH, f"/var/task/{root}")
    m = _NODE_VER.match(root)
    if m:
        if nodever is None or m.group(1) == nodever:
            return 1, f"/opt/{root}"
        return NOT_ON_PATH, f"/opt/{root}"
    if root == "nodejs/node_modules":
        return 2, "/opt/nodejs/node_modules"
    return NOT_ON_PATH, f"/opt/{root}"


def _gem_slot(root: str, from_layer: bool, rubyver: str | None) -> tuple[int, str]:
    m = (_GEM_HOME_LAYER if from_layer else _GEM_HOME_FN).match(root)
    where = f"/opt/{root}" if from_layer else f"/var/task/{root}"
    if m and (rubyver is None or m.group(1) == rubyver):
        return (1 if from_layer else 0), where
    return NOT_ON_PATH, where


def _nuget_slot(root: str, from_layer: bool) -> tuple[int, str]:
    if from_layer:
        return NOT_ON_PATH, f"/opt/{root}" if root else "/opt"
    return 0, f"/var/task/{root}" if root else "/var/task"


def effective_view(runtime: str, function: Inventory | None, layers: list[tuple[str, Inventory | None]]) -> EffectiveView:
    """``layers`` in the function's layer order: (layer version ARN, its inventory or None)."""
    m = _PY_RUNTIME.match(runtime or "")
    pyver = m.group(1) if m else None
    n = _NODE_RUNTIME.match(runtime or "")
    nodever = n.group(1) if n else None
    r = _RUBY_RUNTIME.match(runtime or "")
    rubyver = r.group(1) if r else None
    copies: list[Copy] = []
    sources: list[tuple[str, Inventory]] = []
    if function is not None:
        sources.append(("function", function))
    sources.extend((arn, inv) for arn, inv in layers if inv is not None)
    for order, (src, inv) in enumerate(sources):
        from_layer = src != "function"
        for comp in inv.components:
            for occ in comp.occurrences:
                if comp.ecosystem == PYPI:
                    slot = _python_slot(occ.root, from_layer, pyver)
                elif comp.ecosystem == GEM:
                    slot = _gem_slot(occ.root, from_layer, rubyver)
                elif comp.ecosystem == NUGET:
                    slot = _nuget_slot(occ.root, from_layer)
                else:
                    slot = _node_slot(occ.root, occ.location, comp.name, from_layer, nodever)
                    if slot is None:
                        continue
                rank, path = slot
                copies.append(Copy(comp.ecosystem, comp.name, comp.version, comp.purl, src, occ.location, path,
                                   rank, order))
    by_pkg: dict[tuple[str, str], list[Copy]] = {}
    for c in copies:
        by_pkg.setdefault((c.ecosystem, c.name), []).append(c)
    out: list[Copy] = []
    for (_eco, _name), group in sorted(by_pkg.items()):
        group.sort(key=lambda c: (c.rank, -c.order))  # same directory in /opt: the later layer wins
        if _eco == GEM:  # RubyGems activates the highest version on GEM_PATH (stable: ties keep path order)
            from .vulns.versions import sort_key

            group.sort(key=lambda c: sort_key(GEM, c.version), reverse=True)
            group.sort(key=lambda c: c.rank >= NOT_ON_PATH)
        winner = group[0] if group[0].rank < NOT_ON_PATH else None
        for c in group:
            if c.rank >= NOT_ON_PATH or winner is None:
                status, by = "not-on-path", ""
            elif c is winner:
                status, by = "loaded", ""
            elif c.search_path == winner.search_path:
                status, by = "overwritten", f"{winner.source} {winner.location}"
            else:
                status, by = "shadowed", f"{winner.source} {winner.location}"
            out.append(Copy(**{**c.__dict__, "status": status, "shadowed_by": by}))
    notes = []
    names = {(c.ecosystem, c.name) for c in out if c.status == "loaded"}
    if pyver:
        for sdk in PYTHON_SDK:
            if (PYPI, sdk) not in names:
                notes.append(f"{sdk} is not in the package: the {runtime} runtime provides its own copy")
    elif nodever:
        if int(nodever) >= 18:
            if not any(e == NPM and name.startswith("@aws-sdk/") for e, name in names):
                notes.append(f"the AWS SDK for JavaScript v3 (@aws-sdk/*) is provided by the {runtime} runtime")
        elif (NPM, NODE_SDK_V2) not in names:
            notes.append(f"aws-sdk (v2) is provided by the {runtime} runtime")
    elif rubyver:
        if not any(e == GEM and name.startswith("aws-sdk-") for e, name in names):
            notes.append(f"the AWS SDK for Ruby (aws-sdk-*) is provided by the {runtime} runtime")
    return EffectiveView(runtime, tuple(out), tuple(notes))
