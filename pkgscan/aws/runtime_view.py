"""The effective runtime view of a function: its own code plus its layers as Lambda loads them.

Lambda extracts the function to ``/var/task`` and the layers, in order, into ``/opt`` (a later layer
overwrites an earlier layer's file at the same path).  Each managed runtime then searches its own
places, which AWS documents in "Layer paths for each Lambda runtime"
(https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths) and in
the per-language layer pages (python-layers, nodejs-layers, java-layers, ruby-layers):

* **Python** (``pythonX.Y``): ``/var/task``, ``/opt/python/lib/pythonX.Y/site-packages``,
  ``/opt/python``, and last the runtime's own packages (boto3 and botocore).
* **Node.js** (``nodejsNN.x``): the function's ``node_modules``, ``/opt/nodejs/nodeNN/node_modules``,
  ``/opt/nodejs/node_modules`` (``NODE_PATH``), and last the runtime's SDK.  Packages nested inside
  another package's ``node_modules`` are private to it and always loaded by it: they take part in
  no shadowing.
* **Java** (``javaNN``): the runtime's class loader (``CustomerClassLoader`` in
  aws/aws-lambda-java-libs) puts ``/var/task`` (the function's classes) first, then every
  ``/var/task/lib/*.jar``, then every ``/opt/java/lib/*.jar``, the jars of each directory in
  lexical order of their file names.  All layers share ``/opt/java/lib``, so among layers the jar
  *name* decides, not the layer order (``log4j-core-2.14.1.jar`` comes before
  ``log4j-core-2.17.1.jar`` whichever layer brought it); the first entry holding a class wins.
  Jars inside jars are not opened by that class loader.
* **Ruby** (``rubyX.Y``): ``GEM_PATH`` is ``/var/task/vendor/bundle/ruby/X.Y.0``, then
  ``/opt/ruby/gems/X.Y.0``, then the runtime's own gems (``/var/runtime``, with the AWS SDK for
  Ruby).  RubyGems activates the *highest* installed version of a gem anywhere on ``GEM_PATH``;
  the path order decides only between copies of the same version.  (A function that runs
  ``require "bundler/setup"`` gets the version in its ``Gemfile.lock`` instead: not modelled.)
* **.NET** (``dotnetN``): self-contained; the host loads the assemblies the function's
  ``.deps.json`` lists from ``/var/task``.  A layer's assemblies load only through a runtime package
  store the function was published against: not modelled.
* **Go and OS-only runtimes** (``go1.x``, ``provided*``): self-contained executables.  Go modules
  are compiled into their executable, so each executable has its own copies and none shadows
  another; Lambda runs ``/var/task/bootstrap`` (else ``/opt/bootstrap``) and every
  ``/opt/extensions/*``.  Native libraries come from ``LD_LIBRARY_PATH`` (``/var/task/lib``,
  ``/opt/lib``): not modelled.

For each package that appears in several places this says which copy is loaded and which are
shadowed or overwritten.  A copy of an ecosystem the runtime does not load (a jar in a Python
function) is ``not-on-path``, with a note; a copy where the runtime's loading is not modelled is
``not-modelled``, with a note saying what is and is not modelled.  Which loader serves an
ecosystem comes from the ecosystem registry (:mod:`pkgscan.ecosystems`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .. import ecosystems
from ..ecosystems import GEM, GOLANG, MAVEN, NPM, NUGET, PYPI
from ..model import Component, Inventory, Occurrence

NOT_ON_PATH = 99
LOADED, SHADOWED, OVERWRITTEN = "loaded", "shadowed", "overwritten"
NOT_ON_PATH_STATUS, NOT_MODELLED = "not-on-path", "not-modelled"

_SITE = re.compile(r"^python/lib/python(\d+\.\d+)/site-packages$")
_NODE_VER = re.compile(r"^nodejs/node(\d+)/node_modules$")
_GEM_DIR = re.compile(r"^(?P<dir>.*)/specifications/[^/]+$")
_RUNTIMES = (  # Lambda runtime identifier -> (family, version)
    (re.compile(r"^python(\d+\.\d+)"), "python"),
    (re.compile(r"^nodejs(\d+)"), "node"),
    (re.compile(r"^java(\d+)"), "java"),
    (re.compile(r"^ruby(\d+\.\d+)"), "ruby"),
    (re.compile(r"^dotnet(?:core)?(\d+(?:\.\d+)?)"), "dotnet"),
    (re.compile(r"^go(\d+)\.x"), "go"),
    (re.compile(r"^provided(?:\.(al\d+))?$"), "provided"),
)
#: the ecosystem each runtime family's loader resolves
_LOADS = {"python": PYPI, "node": NPM, "java": MAVEN, "ruby": GEM, "dotnet": NUGET}
#: runtimes that run an executable and load no packages themselves (a custom runtime may load anything)
_SELF_CONTAINED = ("go", "provided")
#: ecosystems whose copies are compiled into an executable: each executable has its own
_EMBEDDED = {GOLANG}

#: what the managed runtimes provide when the function does not ship its own copy
PYTHON_SDK = ("boto3", "botocore")
NODE_SDK_V3 = "@aws-sdk/client-s3"  # the v3 SDK (one package per client) in nodejs18.x and later
NODE_SDK_V2 = "aws-sdk"  # the v2 SDK in nodejs16.x and earlier
RUBY_SDK = "aws-sdk-core"


@dataclass(frozen=True)
class Copy:
    ecosystem: str
    name: str
    version: str
    purl: str
    source: str  # "function" or the layer version ARN
    location: str  # path of the metadata file inside that zip
    search_path: str  # the directory (Java: the classpath entry) as the runtime sees it ("/var/task", ...)
    rank: int  # position in the search order; lower loads first; NOT_ON_PATH = not searched at all
    order: int = 0  # 0 = the function, 1.. = the layers in order (a later layer overwrites an earlier one)
    status: str = ""  # "loaded" | "shadowed" | "overwritten" | "not-on-path" | "not-modelled"
    shadowed_by: str = ""  # "<source> <location>" of the copy that is loaded instead


@dataclass(frozen=True)
class EffectiveView:
    runtime: str
    copies: tuple[Copy, ...]
    notes: tuple[str, ...]

    def loaded(self, ecosystem: str, name: str) -> Copy | None:
        for c in self.copies:
            if c.ecosystem == ecosystem and c.name == name and c.status == LOADED:
                return c
        return None

    def shadowed(self) -> tuple[Copy, ...]:
        return tuple(c for c in self.copies if c.status in (SHADOWED, OVERWRITTEN))


@dataclass(frozen=True)
class Runtime:
    """A Lambda runtime identifier, as far as package loading goes."""

    id: str
    family: str  # "python", "node", "java", "ruby", "dotnet", "go", "provided"; "" unknown (or an image)
    version: str | None  # "3.12", "20", "21", "3.3", "8", ...

    @property
    def loads(self) -> str | None:
        """The ecosystem key this runtime's loader resolves; None: it has none (go, provided) or is unknown."""
        return _LOADS.get(self.family)


def parse_runtime(runtime: str | None) -> Runtime:
    for pattern, family in _RUNTIMES:
        m = pattern.match(runtime or "")
        if m:
            return Runtime(runtime or "", family, m.group(1))
    return Runtime(runtime or "", "", None)


# ---------------------------------------------------------------------------------- the slots
# Each returns (rank, search path); rank NOT_ON_PATH = the runtime never looks there.  None: the
# copy takes part in no shadowing at all (a nested node_modules copy).

def _search_slot(root: str, from_layer: bool, own: str, versioned: re.Pattern[str], version: str | None,
                 shared: str) -> tuple[int, str]:
    """Python and Node: the function's ``own`` folder, then a layer folder for the runtime's version
    (``versioned``), then a layer folder for every version (``shared``)."""
    if not from_layer:
        return (0, f"/var/task/{own}".rstrip("/")) if root == own else (NOT_ON_PATH, f"/var/task/{root}")
    m = versioned.match(root)
    if m:
        return (1 if version is None or m.group(1) == version else NOT_ON_PATH), f"/opt/{root}"
    return (2 if root == shared else NOT_ON_PATH), f"/opt/{root}".rstrip("/")


def _python_slot(root: str, from_layer: bool, pyver: str | None) -> tuple[int, str]:
    return _search_slot(root, from_layer, "", _SITE, pyver, "python")


def _node_slot(root: str, location: str, name: str, from_layer: bool, nodever: str | None) -> tuple[int, str] | None:
    # only top-level packages of a node_modules directory compete; nested ones are private
    if location != f"{root}/{name}/package.json":
        return None
    return _search_slot(root, from_layer, "node_modules", _NODE_VER, nodever, "nodejs/node_modules")


def _java_slot(location: str, from_layer: bool) -> tuple[tuple[int, str], str]:
    """((tier, jar file name), classpath entry): tier 0 /var/task, 1 /var/task/lib, 2 /opt/java/lib."""
    base = "/opt" if from_layer else "/var/task"
    parts = location.split("!/")
    if len(parts) > 2:  # a jar inside a jar: the class loader does not open it
        return (NOT_ON_PATH, ""), f"{base}/{'!/'.join(parts[:-1])}"
    jar = parts[0] if len(parts) == 2 or location.endswith(".jar") else None
    if jar is None:  # metadata loose in the zip: the function's classes if it is /var/task/META-INF/...
        on_path = not from_layer and location.startswith("META-INF/")  # a layer's /opt is not searched
        return ((0, ""), base) if on_path else ((NOT_ON_PATH, ""), f"{base}/{location.rpartition('/')[0]}".rstrip("/"))
    folder, _, file = jar.rpartition("/")
    if folder == ("java/lib" if from_layer else "lib"):
        return (2 if from_layer else 1, file), f"{base}/{jar}"
    return (NOT_ON_PATH, ""), f"{base}/{jar}"


def _gem_slot(root: str, location: str, from_layer: bool, rubyver: str | None) -> tuple[int, str]:
    """The gem home is the cataloger's root (``<home>/specifications/<gem>.gemspec``)."""
    base = "/opt" if from_layer else "/var/task"
    m = _GEM_DIR.match(location)
    folder = root or (m["dir"] if m else "")
    if not folder:
        return NOT_ON_PATH, base
    want = "ruby/gems/" if from_layer else "vendor/bundle/ruby/"
    abi = f"{rubyver}.0" if rubyver else None
    if folder.startswith(want) and "/" not in folder[len(want):] and (abi is None or folder[len(want):] == abi):
        return (1 if from_layer else 0), f"{base}/{folder}"
    return NOT_ON_PATH, f"{base}/{folder}"


def _embedded_slot(rt: Runtime, location: str, from_layer: bool, function_bootstrap: bool) -> tuple[int, str, str]:
    """(rank, executable as the runtime sees it, status) of a module compiled into an executable."""
    exe = location.split("!/")[0]
    path = f"{'/opt' if from_layer else '/var/task'}/{exe}"
    if from_layer and exe.startswith("extensions/") and "/" not in exe[len("extensions/"):]:
        return 0, path, LOADED  # Lambda starts every /opt/extensions/* executable, whatever the runtime
    if exe == "bootstrap" and rt.family in _SELF_CONTAINED:
        if not from_layer:
            return 0, path, LOADED
        if function_bootstrap:
            return NOT_ON_PATH, path, NOT_ON_PATH_STATUS  # the function's own bootstrap runs instead
        return 0, path, NOT_MODELLED  # runs unless the function has a bootstrap the inventory cannot see
    return 0, path, NOT_MODELLED


# ---------------------------------------------------------------------------------- the view
def _eco_key(key: str) -> str | None:
    e = ecosystems.find(key)
    return e.key if e is not None else None


def effective_view(runtime: str, function: Inventory | None, layers: list[tuple[str, Inventory | None]]) -> EffectiveView:
    """``layers`` in the function's layer order: (layer version ARN, its inventory or None)."""
    rt = parse_runtime(runtime)
    pyver = rt.version if rt.family == "python" else None
    nodever = rt.version if rt.family == "node" else None
    rubyver = rt.version if rt.family == "ruby" else None
    sources: list[tuple[str, Inventory]] = []
    if function is not None:
        sources.append(("function", function))
    sources.extend((arn, inv) for arn, inv in layers if inv is not None)
    function_bootstrap = function is not None and any(
        _eco_key(c.ecosystem) == GOLANG and o.location.split("!/")[0] == "bootstrap"
        for c in function.components for o in c.occurrences)

    copies: list[Copy] = []
    fixed: dict[int, str] = {}  # index in copies -> a status decided without competition
    java_keys: dict[int, tuple[int, str]] = {}  # index -> (tier, jar name), turned into ranks below
    foreign: dict[str, int] = {}  # ecosystem the runtime does not load -> copies
    unmodelled: dict[str, int] = {}

    def add(comp: Component, src: str, occ: Occurrence, path: str, rank: int, order: int, status: str = "",
            tally: dict[str, int] | None = None) -> None:
        """``status``: decided here, without competition; ``tally``: counted for a note."""
        if status:
            fixed[len(copies)] = status
        if tally is not None:
            key = _eco_key(comp.ecosystem) or comp.ecosystem
            tally[key] = tally.get(key, 0) + 1
        copies.append(Copy(comp.ecosystem, comp.name, comp.version, comp.purl, src, occ.location, path, rank, order))

    for order, (src, inv) in enumerate(sources):
        from_layer = src != "function"
        base = "/opt" if from_layer else "/var/task"
        for comp in inv.components:
            eco = _eco_key(comp.ecosystem)
            for occ in comp.occurrences:
                here = f"{base}/{occ.root}".rstrip("/")
                if eco in _EMBEDDED:
                    rank, path, status = _embedded_slot(rt, occ.location, from_layer, function_bootstrap)
                    add(comp, src, occ, path, rank, order, status, unmodelled if status == NOT_MODELLED else None)
                elif rt.family in _SELF_CONTAINED:  # a custom runtime may load anything: not modelled
                    add(comp, src, occ, here, 0, order, NOT_MODELLED, unmodelled)
                elif rt.loads is not None and eco != rt.loads:
                    add(comp, src, occ, here, NOT_ON_PATH, order, NOT_ON_PATH_STATUS, foreign)
                elif eco == PYPI:
                    rank, path = _python_slot(occ.root, from_layer, pyver)
                    add(comp, src, occ, path, rank, order)
                elif eco == NPM:
                    slot = _node_slot(occ.root, occ.location, comp.name, from_layer, nodever)
                    if slot is not None:
                        add(comp, src, occ, slot[1], slot[0], order)
                elif eco == MAVEN:
                    key, path = _java_slot(occ.location, from_layer)
                    if key[0] < NOT_ON_PATH:
                        java_keys[len(copies)] = key
                    add(comp, src, occ, path, key[0], order)
                elif eco == GEM:
                    rank, path = _gem_slot(occ.root, occ.location, from_layer, rubyver)
                    add(comp, src, occ, path, rank, order)
                elif eco == NUGET and not from_layer and "/" not in occ.location:
                    # the app's .deps.json in /var/task lists its closed set of packages: nothing competes
                    add(comp, src, occ, "/var/task", 0, order, LOADED)
                else:  # a layer's NuGet packages, OS packages, ecosystems nobody registered
                    add(comp, src, occ, here, 0, order, NOT_MODELLED, unmodelled)

    # Java: the rank is the position of the classpath entry
    entries = {k: i for i, k in enumerate(sorted(set(java_keys.values())))}
    for i, key in java_keys.items():
        copies[i] = Copy(**{**copies[i].__dict__, "rank": entries[key]})

    out: list[Copy] = []
    by_pkg: dict[tuple[str, str], list[Copy]] = {}
    for i, c in enumerate(copies):
        if i not in fixed:
            e = ecosystems.find(c.ecosystem)
            by_pkg.setdefault((c.ecosystem, e.normalize(c.name) if e else c.name), []).append(c)
    for (eco, _name), group in sorted(by_pkg.items()):
        out.extend(_decide(eco, group))
    out.extend(Copy(**{**c.__dict__, "status": fixed[i]}) for i, c in enumerate(copies) if i in fixed)
    out.sort(key=lambda c: (c.ecosystem, c.name))  # stable: each package's copies in search order
    return EffectiveView(runtime, tuple(out), tuple(_notes(rt, out, foreign, unmodelled)))


def _decide(eco: str, group: list[Copy]) -> list[Copy]:
    """Statuses for the copies of one package."""
    if _eco_key(eco) == GEM:
        # RubyGems: the highest version anywhere on GEM_PATH; the path order breaks ties
        group.sort(key=lambda c: (c.rank >= NOT_ON_PATH, _neg(_version_key(eco, c.version)), c.rank, -c.order))
    else:
        group.sort(key=lambda c: (c.rank, -c.order))  # same directory in /opt: the later layer wins
    winner = group[0] if group[0].rank < NOT_ON_PATH else None
    out = []
    for c in group:
        if c.rank >= NOT_ON_PATH or winner is None:
            status, by = NOT_ON_PATH_STATUS, ""
        elif c is winner:
            status, by = LOADED, ""
        elif c.search_path == winner.search_path and (_eco_key(eco) != GEM or c.location == winner.location):
            status, by = OVERWRITTEN, f"{winner.source} {winner.location}"
        else:
            status, by = SHADOWED, f"{winner.source} {winner.location}"
        out.append(Copy(**{**c.__dict__, "status": status, "shadowed_by": by}))
    return out


def _version_key(eco: str, version: str) -> tuple:
    try:
        return ecosystems.get(eco).sort_key(version)
    except Exception:  # noqa: BLE001 - a version module that cannot load: path order alone decides
        return ()


class _neg:
    """Reverses the order of a sort key (highest version first) without knowing its shape."""

    __slots__ = ("key",)

    def __init__(self, key: tuple) -> None:
        self.key = key

    def __lt__(self, other: "_neg") -> bool:
        return other.key < self.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _neg) and self.key == other.key


def _copies(n: int, what: str = "") -> str:
    return f"{n} {what + ' ' if what else ''}cop{'y' if n == 1 else 'ies'}"


def _notes(rt: Runtime, out: list[Copy], foreign: dict[str, int], unmodelled: dict[str, int]) -> list[str]:
    notes = []
    names = {(c.ecosystem, c.name) for c in out if c.status == LOADED}
    runtime = rt.id
    if rt.family == "python":
        for sdk in PYTHON_SDK:
            if (PYPI, sdk) not in names:
                notes.append(f"{sdk} is not in the package: the {runtime} runtime provides its own copy")
    elif rt.family == "node":
        if int(rt.version) >= 18:
            if not any(e == NPM and name.startswith("@aws-sdk/") for e, name in names):
                notes.append(f"the AWS SDK for JavaScript v3 (@aws-sdk/*) is provided by the {runtime} runtime")
        elif (NPM, NODE_SDK_V2) not in names:
            notes.append(f"aws-sdk (v2) is provided by the {runtime} runtime")
    elif rt.family == "ruby":
        if any(c.ecosystem == GEM for c in out):
            notes.append(f"{runtime}: RubyGems loads the highest version of a gem found on GEM_PATH; a function "
                         f"that requires bundler/setup loads the versions in its Gemfile.lock instead (not modelled)")
        if (GEM, RUBY_SDK) not in names:
            notes.append(f"the AWS SDK for Ruby (aws-sdk-*) is provided by the {runtime} runtime (GEM_PATH /var/runtime)")
    elif rt.family == "java" and any(c.ecosystem == MAVEN for c in out):
        notes.append(f"{runtime}: classpath /var/task, /var/task/lib/*.jar, /opt/java/lib/*.jar (jars by file name); "
                     f"for a package in several jars the first entry's classes load")
    elif rt.family == "dotnet":
        notes.append(f"{runtime}: this runtime's loading is not modelled beyond the function's own packages in "
                     f"/var/task (the .deps.json decides); a layer's assemblies load only through a runtime "
                     f"package store, and native libraries through LD_LIBRARY_PATH (/opt/lib)")
    elif rt.family in _SELF_CONTAINED:
        notes.append(f"{runtime}: this runtime's loading is not modelled beyond the bootstrap executable and "
                     f"/opt/extensions; executables are self-contained, native libraries come from "
                     f"LD_LIBRARY_PATH (/var/task/lib, /opt/lib)")
    if rt.loads is not None:
        astray = [c for c in out if c.ecosystem == rt.loads and c.status == NOT_ON_PATH_STATUS]
        if astray:
            where = sorted({c.search_path for c in astray})
            notes.append(f"{_copies(len(astray), rt.loads)} in places {runtime} does not "
                         f"search: {', '.join(where[:3])}{' ...' if len(where) > 3 else ''}")
    if any(c.ecosystem == GOLANG and c.search_path == "/opt/bootstrap" and c.status == NOT_ON_PATH_STATUS for c in out):
        notes.append("the function's own bootstrap runs, not the layer's /opt/bootstrap")
    for eco, n in sorted(foreign.items()):
        notes.append(f"{runtime} does not load {eco} packages: {_copies(n)} not on its path")
    for eco, n in sorted(unmodelled.items()):
        if eco == GOLANG:
            notes.append(f"Go modules are compiled into their executables (each has its own copies): whether "
                         f"{_copies(n)} run is not modelled beyond bootstrap and /opt/extensions")
        elif eco == NUGET:
            notes.append(f"{_copies(n, 'NuGet')} outside the function's own .deps.json at "
                         f"/var/task (layers, other folders): their loading is not modelled")
        else:
            notes.append(f"{_copies(n, eco)}: {runtime or 'this runtime'} loading of "
                         f"{eco} packages is not modelled")
    return notes
