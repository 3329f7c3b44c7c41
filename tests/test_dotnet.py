""".NET: NuGet version order, ``*.deps.json`` (installed), ``packages.lock.json`` (lockfile), the
reconciliation of both, the dotnet-function sample and matching against real NuGet advisories.

Fixtures (copies, attribution beside them): ``tests/fixtures/vectors/osv-scalibr-semantic/
nuget-versions.txt`` (osv-scalibr), ``tests/fixtures/peer/dotnet-deps-json`` and
``tests/fixtures/peer/dotnet-packages-lock`` (osv-scalibr, trivy, syft fixtures with what their tests
assert), ``tests/fixtures/dotnet/pythonnet/Python.Runtime.deps.json`` (a real SDK-written deps.json
from the pythonnet wheel on PyPI), ``tests/fixtures/osv/NuGet`` (GHSA-5crp-9r3c-p9vr as the GitHub
advisory database has it).

Knowing differences from the peers (each also sits next to its case):

- Project libraries (``"type": "project"``: the app itself and the projects it references) are not
  components: scalibr reports ``TestLibrary``, trivy reports ``ExampleApp1`` as ``root`` and
  ``Api``/``Data`` as ``workspace``; pkgscan reports none of them.  The deployment *is* that code.
- A package the runtime target lists without any assets (``runtime``/``native``/``runtimeTargets``/
  ``resources``: meta-packages such as ``Microsoft.NETCore.App 1.1.2``, or packages the shared framework
  supersedes) is a component with ``pkgscan:nuget:assets=none``; trivy drops it (its
  "without-runtime" case), scalibr keeps it.  It is in the resolved graph and advisories name such
  packages; the property lets a reader discount it.
- A library absent from the runtime target (trivy's ``System.Collections.Immutable`` in
  ``without-runtime.deps.json``) was not resolved for the runtime the host uses: pkgscan does not
  report it, trivy does.  When the runtime target itself is missing (``missing-target.deps.json``)
  pkgscan, like trivy, reports every package library, and adds a notice.
- Runtime packs of a self-contained publish (``runtimepack.Microsoft.NETCore.App.Runtime.linux-x64``)
  are reported as the NuGet packages they come from, without the ``runtimepack.`` prefix (as trivy
  does), marked ``pkgscan:nuget:type=runtimepack``.
- A library key without ``/version`` (scalibr ``nopackagename``) is skipped with a notice, as scalibr
  skips it.  Input that is not JSON (scalibr ``invalid``, trivy ``invalid.deps.json``) is an error
  for the peers; pkgscan reads such a file by pattern (no library entry survives in these two) and
  says so in a notice.  ``{}`` (scalibr ``empty``) is an error for scalibr, an empty result here.
- packages.lock.json: the peers report each framework's entry; pkgscan reports a (case-insensitive
  name, version) once over all frameworks (trivy's ``packages_lock_multi.json`` lists the same
  packages under 6 frameworks; the set of name@version is the same).  ``Project`` entries are the
  app's own projects (source ``workspace``), which the reconciler skips.  Dependency edges: the
  union of the entry's ``dependencies`` names over frameworks (trivy resolves them to versions).
"""
from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from pkgscan import scan_path
from pkgscan.inventory.dotnet import parse_deps_json
from pkgscan.inventory.lockfiles import LockfileError
from pkgscan.inventory.lockfiles import nuget_lock
from pkgscan.aws.runtime_view import effective_view
from pkgscan.scan import scan_vulnerabilities
from pkgscan.versions import nuget
from pkgscan.vulns.matcher import OfflineSource
from pkgscan.vulns.store import AdvisoryDB, import_path, writer
from pkgscan.vulns.versions import compare, sort_key

HERE = Path(__file__).resolve().parent
FIX = HERE / "fixtures"
PEER_DEPS = FIX / "peer" / "dotnet-deps-json"
PEER_LOCK = FIX / "peer" / "dotnet-packages-lock"
SAMPLES = HERE.parent / "sample_packages"
OPS = {"<": -1, "=": 0, ">": 1}


# --------------------------------------------------------------------------- versions

def test_nuget_vectors_all_pass():
    failures, total = [], 0
    path = FIX / "vectors" / "osv-scalibr-semantic" / "nuget-versions.txt"
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        s = line.strip()
        if not s or s.startswith(("# ", "// ")):
            continue
        a, op, b = s.split(" ")
        total += 1
        for eco in ("NuGet", "nuget"):
            want = OPS[op]
            ka, kb = sort_key(eco, a), sort_key(eco, b)
            if compare(eco, a, b) != want or compare(eco, b, a) != -want or ((ka > kb) - (ka < kb)) != want:
                failures.append(f"{lineno}: {s} [{eco}] got {compare(eco, a, b)}")
    assert total == 35
    assert not failures, failures


@pytest.mark.parametrize("a,b", [("1.0", "1.0.0.0"), ("1.0.0-BETA", "1.0.0-beta"), ("1.0.0+abc", "1.0.0"),
                                 ("01.002.0", "1.2")])
def test_nuget_equality(a, b):
    assert nuget.equal(a, b) and nuget.canonical(a) == nuget.canonical(b)


def test_nuget_order_details():
    order = ["0.0.0-latest", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2", "1.0.0-beta.11",
             "1.0.0-rc.1", "1.0.0", "1.0.0.1", "1.0.1", "1.10", "13.0.1"]
    assert sorted(order, key=nuget.sort_key) == order
    assert nuget.is_valid("13.0.1") and nuget.is_valid("1.2.3.4-beta.1+sha.5") and not nuget.is_valid("1.2.3.4.5")
    assert not nuget.is_valid("v1.0") and not nuget.is_valid("")


@pytest.mark.parametrize("junk", ["", " ", "latest", "1..2", "-", "+", "1.0-", "1.0+", "\x00", "9" * 5000,
                                  "1." * 3000, "é.ü-ß", "1.0.0-" + ".".join(["x"] * 2000), None, 12])
def test_nuget_sort_key_is_total(junk):
    key = nuget.sort_key(junk)
    assert key == nuget.sort_key(junk)
    assert (key < nuget.sort_key("1.0")) or (key >= nuget.sort_key("1.0"))
    nuget.canonical(str(junk))


# --------------------------------------------------------------------------- deps.json: peers

def _deps(path: Path, name: str | None = None):
    notices: list = []
    rel = name or path.name
    return parse_deps_json(path.read_bytes(), rel, notices), notices


def _nv(installed):
    return sorted((i.name, i.version) for i in installed)


def test_scalibr_valid():
    inst, notices = _deps(PEER_DEPS / "osv-scalibr" / "valid", "app.deps.json")
    # scalibr also reports the project TestLibrary 1.0.0 (the app itself: not a component here)
    assert _nv(inst) == [("AWSSDK.Core", "3.7.10.6"), ("Microsoft.Extensions.DependencyInjection", "6.0.0")]
    assert all(i.evidence[0].technique == "manifest-analysis" and i.evidence[0].confidence == 1.0 for i in inst)
    assert all(i.ecosystem == "nuget" and i.location == "app.deps.json" and i.root == "" for i in inst)
    di = next(i for i in inst if i.name.startswith("Microsoft"))
    assert di.requires == ("Microsoft.Extensions.DependencyInjection.Abstractions", "System.Runtime.CompilerServices.Unsafe")
    assert not notices


def test_scalibr_nopackagename():
    inst, notices = _deps(PEER_DEPS / "osv-scalibr" / "nopackagename", "app.deps.json")
    assert _nv(inst) == [("AWSSDK.Core", "3.7.10.6")]  # the key without /version is skipped, as scalibr does
    assert [n.code for n in notices] == ["malformed-metadata"]


@pytest.mark.parametrize("name", ["invalid", "empty"])
def test_scalibr_errors_are_empty_results(name):
    inst, notices = _deps(PEER_DEPS / "osv-scalibr" / name, "app.deps.json")
    assert inst == []
    if name == "invalid":  # not JSON: read by pattern, said so
        assert [n.code for n in notices] == ["dotnet-deps-by-pattern"]


TRIVY = {
    "happy.deps.json": [("Newtonsoft.Json", "13.0.1")],
    # trivy: JsonDiffPatch, Libuv and System.Collections.Immutable (not in the runtime target); it
    # drops the four packages the target lists without assets
    "without-runtime.deps.json": [("JsonDiffPatch", "2.0.61"), ("Libuv", "1.9.1"), ("Microsoft.NETCore.App", "1.1.2"),
                                  ("Microsoft.NETCore.Platforms", "1.1.0"), ("NETStandard.Library", "1.6.0"),
                                  ("System.Net.Http", "4.1.0")],
    "no-libraries.deps.json": [],
    "missing-target.deps.json": [("Newtonsoft.Json", "13.0.1")],
    "self-contained.deps.json": [("Microsoft.AspNetCore.App.Runtime.linux-x64", "8.0.0"),
                                 ("Microsoft.NETCore.App.Runtime.linux-x64", "8.0.0"), ("Newtonsoft.Json", "13.0.1")],
    "multi-project.deps.json": [("Newtonsoft.Json", "13.0.3")],  # trivy adds Web (root), Api, Data (workspace)
    "ambiguous-root.deps.json": [("Newtonsoft.Json", "13.0.3")],  # trivy adds Web and Worker
    "invalid.deps.json": [],  # trivy: an error
}


def test_every_trivy_case_is_here():
    assert set(json.loads((PEER_DEPS / "trivy" / "expected.json").read_text())) == set(TRIVY)


@pytest.mark.parametrize("name", sorted(TRIVY))
def test_trivy_cases(name):
    inst, notices = _deps(PEER_DEPS / "trivy" / name)
    assert _nv(inst) == TRIVY[name]
    expected = json.loads((PEER_DEPS / "trivy" / "expected.json").read_text())[name]
    peer = {(p["name"], p["version"]) for p in expected.get("packages", []) if p.get("relationship") not in ("root", "workspace")}
    ours = set(_nv(inst))
    if name == "without-runtime.deps.json":
        assert peer - ours == {("System.Collections.Immutable", "1.3.0")}
        assert {("Microsoft.NETCore.App", "1.1.2"), ("System.Net.Http", "4.1.0")} <= ours - peer
        assert all(("pkgscan:nuget:assets", "none") in i.properties for i in inst if (i.name, i.version) in ours - peer)
    elif name == "ambiguous-root.deps.json":
        assert peer - ours == {("Web", "1.0.0"), ("Worker", "1.0.0")}  # projects without relationship
    else:
        assert peer == ours
    codes = [n.code for n in notices]
    assert codes == {"missing-target.deps.json": ["dotnet-no-runtime-target"],
                     "invalid.deps.json": ["dotnet-deps-by-pattern"]}.get(name, [])


def test_trivy_edges_and_runtimepacks():
    inst, _ = _deps(PEER_DEPS / "trivy" / "without-runtime.deps.json")
    req = {i.name: i.requires for i in inst}
    assert req["JsonDiffPatch"] == ("Microsoft.NETCore.App",)
    assert req["Microsoft.NETCore.App"] == ("Libuv", "System.Collections.Immutable")
    inst, _ = _deps(PEER_DEPS / "trivy" / "self-contained.deps.json")
    packs = [i for i in inst if ("pkgscan:nuget:type", "runtimepack") in i.properties]
    assert sorted(i.name for i in packs) == ["Microsoft.AspNetCore.App.Runtime.linux-x64", "Microsoft.NETCore.App.Runtime.linux-x64"]


def test_real_sdk_deps_json_pythonnet():
    """The real SDK output in the pythonnet wheel: runtime target '.NETStandard,Version=v2.0/' (the
    RID-less target before it is empty), a project library and 9 packages."""
    inst, notices = _deps(FIX / "dotnet" / "pythonnet" / "Python.Runtime.deps.json")
    assert not notices
    assert _nv(inst) == [("Microsoft.CSharp", "4.7.0"), ("Microsoft.SourceLink.GitHub", "10.0.401"),
                         ("System.Buffers", "4.6.1"), ("System.IO.Hashing", "10.0.12"), ("System.Memory", "4.6.3"),
                         ("System.Numerics.Vectors", "4.6.1"), ("System.Reflection.Emit", "4.7.0"),
                         ("System.Reflection.Emit.ILGeneration", "4.7.0"),
                         ("System.Runtime.CompilerServices.Unsafe", "6.1.2")]
    by = {i.name: i for i in inst}
    assert ("pkgscan:nuget:assets", "none") in by["Microsoft.SourceLink.GitHub"].properties
    assert by["System.Memory"].requires == ("System.Buffers", "System.Numerics.Vectors", "System.Runtime.CompilerServices.Unsafe")
    assert ("pkgscan:nuget:sha512", "qdcDOgnFZY40+Q9876JUHnlHu7bosOHX8XISRoH94fwk6hgaeQGSgfZd8srWRZNt5bV9ZW2TljcegDNxsf+96A==") \
        in by["System.Memory"].properties


def test_pythonnet_tree_gives_edges(tmp_path):
    d = tmp_path / "layer" / "dotnet"
    d.mkdir(parents=True)
    shutil.copy(FIX / "dotnet" / "pythonnet" / "Python.Runtime.deps.json", d)
    inv = scan_path(str(tmp_path / "layer"))
    assert len(inv.components) == 9
    assert ("pkg:nuget/System.Memory@4.6.3", "pkg:nuget/System.Buffers@4.6.1") in inv.dependencies
    assert ("pkg:nuget/Microsoft.SourceLink.GitHub@10.0.401", "pkg:nuget/System.IO.Hashing@10.0.12") in inv.dependencies
    assert {o.location for c in inv.components for o in c.occurrences} == {"dotnet/Python.Runtime.deps.json"}


# --------------------------------------------------------------------------- packages.lock.json: peers

def _lock(path: Path):
    return nuget_lock.parse(path.read_bytes(), path.name)


def test_scalibr_packages_lock():
    res = _lock(PEER_LOCK / "osv-scalibr" / "valid" / "packages.lock.json")
    expected = json.loads((PEER_LOCK / "osv-scalibr" / "expected.json").read_text())["valid/packages.lock.json"]
    assert [(p.name, p.version) for p in res.packages] == [(p["name"], p["version"]) for p in expected["packages"]]
    core = res.packages[0]
    assert core.dependencies == tuple(sorted(["Some.Dep.One", "Some.Dep.Two", "Some.Dep.Three", "Some.Dep.Four",
                                              "Some.Longer.Name.Dep", "Some.Dep.Five", "Another.Longer.Name.Dep"]))
    assert core.line == 5 and not core.dev


def test_scalibr_packages_lock_invalid():
    with pytest.raises(LockfileError):
        _lock(PEER_LOCK / "osv-scalibr" / "invalid" / "invalid")


def test_syft_packages_lock():
    res = _lock(PEER_LOCK / "syft" / "packages.lock.json")
    expected = json.loads((PEER_LOCK / "syft" / "expected.json").read_text())["packages.lock.json"]
    assert sorted((p.name, p.version) for p in res.packages) == sorted((p["name"], p["version"]) for p in expected["packages"])


@pytest.mark.parametrize("name", ["packages_lock_simple.json", "packages_lock_subdependencies.json",
                                  "packages_lock_multi.json", "packages_lock_legacy.json"])
def test_trivy_packages_lock(name):
    res = _lock(PEER_LOCK / "trivy" / name)
    expected = json.loads((PEER_LOCK / "trivy" / "expected.json").read_text())[name]
    ours = {(p.name, p.version) for p in res.packages if p.source != "workspace"}
    assert ours == {(p["name"], p["version"]) for p in expected["packages"]}
    assert len(ours) == len([p for p in res.packages if p.source != "workspace"])  # once over all frameworks
    lines = {(p.name, p.version): p.line for p in res.packages}
    for p in expected["packages"]:  # the entry's first key line is trivy's start_line (first framework)
        assert lines[(p["name"], p["version"])] == p["locations"][0]["start_line"]
    by = {(p.name, p.version): p for p in res.packages}
    for dep in expected.get("dependencies") or []:
        n, v = dep["id"].rsplit("@", 1)
        assert set(by[(n, v)].dependencies) >= {d.rsplit("@", 1)[0] for d in dep["depends_on"]}


def test_trivy_legacy_project_entry_is_workspace():
    res = _lock(PEER_LOCK / "trivy" / "packages_lock_legacy.json")
    assert [(p.name, p.source) for p in res.packages if p.source == "workspace"] == [("my.project", "workspace")]


# --------------------------------------------------------------------------- reconciliation

LOCK = {
    "version": 1,
    "dependencies": {
        "net8.0": {
            "NEWTONSOFT.JSON": {"type": "Direct", "requested": "[12.0.3, )", "resolved": "12.0.3", "contentHash": "x"},
            "AWSSDK.Core": {"type": "Transitive", "resolved": "3.7.300.29.0", "contentHash": "x"},
            "Serilog": {"type": "Direct", "requested": "[3.1.1, )", "resolved": "3.1.1", "contentHash": "x"},
            "S3Notifier.Model": {"type": "Project"},
        },
        "net8.0/linux-x64": {},
    },
}


@pytest.fixture
def lambda_tree(tmp_path):
    root = tmp_path / "fn"
    root.mkdir()
    with zipfile.ZipFile(SAMPLES / "dotnet-function.zip") as z:
        z.extractall(root)
    (root / "packages.lock.json").write_text(json.dumps(LOCK, indent=2))
    return root


def test_reconciliation_with_packages_lock(lambda_tree):
    inv = scan_path(str(lambda_tree))
    comps = {c.name: c for c in inv.components}
    # names compare case-insensitively (NEWTONSOFT.JSON), versions with NuGet equality (3.7.300.29.0)
    assert comps["Newtonsoft.Json"].declared_in == ("packages.lock.json",)
    assert comps["AWSSDK.Core"].declared_in == ("packages.lock.json",)
    assert not comps["Newtonsoft.Json"].missing_from_lockfile
    # installed, absent from the complete lock: flagged
    assert {n for n, c in comps.items() if c.missing_from_lockfile} == {
        "AWSSDK.S3", "Amazon.Lambda.Core", "Amazon.Lambda.Serialization.SystemTextJson"}
    # locked, not installed: declared-only; the project entry is neither
    assert [(d.name, d.version) for d in inv.declared_only] == [("serilog", "3.1.1")]


def test_runtime_pack_never_flagged(tmp_path):
    d = tmp_path / "fn"
    d.mkdir()
    shutil.copy(PEER_DEPS / "trivy" / "self-contained.deps.json", d / "ExampleApp1.deps.json")
    lock = {"version": 1, "dependencies": {"net8.0": {"Newtonsoft.Json": {"type": "Direct", "resolved": "13.0.1"}}}}
    (d / "packages.lock.json").write_text(json.dumps(lock))
    inv = scan_path(str(d))
    assert {c.name: c.missing_from_lockfile for c in inv.components} == {
        "Microsoft.AspNetCore.App.Runtime.linux-x64": False, "Microsoft.NETCore.App.Runtime.linux-x64": False,
        "Newtonsoft.Json": False}


def test_nested_lockfiles_are_not_the_apps(tmp_path):
    d = tmp_path / "fn" / "src" / "lib" / "x"
    d.mkdir(parents=True)
    (d / "packages.lock.json").write_text(json.dumps(LOCK))
    assert scan_path(str(tmp_path / "fn")).lockfiles == ()


# --------------------------------------------------------------------------- the sample and matching

@pytest.fixture(scope="module")
def nuget_db(tmp_path_factory):
    d = tmp_path_factory.mktemp("nuget-db")
    with writer(d) as w:
        rep = import_path(w, FIX / "osv" / "NuGet")
        assert not rep.skipped
    adb = AdvisoryDB(d)
    yield adb
    adb.close()


def _truth():
    return json.loads((SAMPLES / "dotnet" / "dotnet-function.expected.json").read_text())


def test_sample_recall_and_precision():
    truth = _truth()
    inv = scan_path(str(SAMPLES / truth["zip"]))
    want = {(c["ecosystem"], c["name"], c["version"]): sorted(c["locations"]) for c in truth["components"]}
    got = {(c.ecosystem, c.name, c.version): sorted(o.location for o in c.occurrences) for c in inv.components}
    tp = set(want) & set(got)
    assert (len(tp) / len(want), len(tp) / len(got)) == (1.0, 1.0)
    assert got == want
    assert sorted(map(list, inv.dependencies)) == sorted(truth["dependencies"])
    assert inv.artifact.layout == truth["layout"] and not inv.suspicious and not inv.notices
    assert all(c.purl.startswith("pkg:nuget/") for c in inv.components)


def test_sample_advisories(nuget_db):
    """By hand from GHSA-5crp-9r3c-p9vr: NuGet Newtonsoft.Json, ECOSYSTEM [0, 13.0.1).  12.0.3 is
    inside; no other package of the sample is named."""
    truth = _truth()
    inv = scan_path(str(SAMPLES / truth["zip"]))
    findings = scan_vulnerabilities(inv, [OfflineSource(nuget_db)]).findings
    got: dict = {}
    for f in findings:
        got.setdefault(f.component.purl, set()).update(f.advisories)
    assert got == {k: set(v) for k, v in truth["advisories"].items()}
    (f,) = findings
    assert f.fixed == ("13.0.1",) and f.recommended == "13.0.1"


@pytest.mark.parametrize("name,version,hit", [("newtonsoft.json", "12.0.3", True), ("Newtonsoft.Json", "13.0.1", False),
                                               ("Newtonsoft.Json", "13.0.1.0", False), ("Newtonsoft.Json", "9.0.1", True),
                                               ("Newtonsoft.Json", "13.0.1-beta1", True)])
def test_matching_case_and_nuget_order(tmp_path, nuget_db, name, version, hit):
    d = tmp_path / "fn"
    d.mkdir()
    doc = {"runtimeTarget": {"name": "t"}, "targets": {"t": {f"{name}/{version}": {"runtime": {"a.dll": {}}}}},
           "libraries": {f"{name}/{version}": {"type": "package"}}}
    (d / "a.deps.json").write_text(json.dumps(doc))
    findings = scan_vulnerabilities(scan_path(str(d)), [OfflineSource(nuget_db)]).findings
    assert bool(findings) is hit


def test_runtime_view_function_deps_json_only(tmp_path):
    """The host loads what the function's deps.json lists (pkgscan.aws.runtime_view); a layer's
    deps.json is not how the host finds assemblies."""
    layer = tmp_path / "layer" / "dotnet"
    layer.mkdir(parents=True)
    shutil.copy(PEER_DEPS / "trivy" / "happy.deps.json", layer / "ExampleApp1.deps.json")
    view = effective_view("dotnet8", scan_path(str(SAMPLES / "dotnet-function.zip")),
                          [("arn:aws:lambda:eu-west-1:1:layer:x:1", scan_path(str(tmp_path / "layer")))])
    st = {(c.name, c.version): (c.status, c.search_path) for c in view.copies}
    assert st[("Newtonsoft.Json", "12.0.3")] == ("loaded", "/var/task")
    assert st[("Newtonsoft.Json", "13.0.1")] == ("not-modelled", "/opt/dotnet")  # never the loaded copy
    assert any("not modelled beyond the function's own packages" in n for n in view.notes)


def test_cli_scan_finds_the_advisory(tmp_path):
    """`pkgscan db import` of the NuGet record, then `pkgscan scan --format json` on the sample."""
    from click.testing import CliRunner

    from pkgscan.cli import main

    db = tmp_path / "db"
    runner = CliRunner()
    r = runner.invoke(main, ["db", "import", str(FIX / "osv" / "NuGet"), "--db", str(db)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    out = tmp_path / "r.json"
    r = runner.invoke(main, ["scan", str(SAMPLES / "dotnet-function.zip"), "--db", str(db), "--format", "json", "-o", str(out)],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert [(f["purl"], f["id"], f["fixed"]) for f in doc["findings"]] == [
        ("pkg:nuget/Newtonsoft.Json@12.0.3", "GHSA-5crp-9r3c-p9vr", ["13.0.1"])]


@pytest.mark.parametrize("fmt,spec", [("cyclonedx-json", "1.6"), ("cyclonedx-json", "1.4"), ("cyclonedx-xml", "1.5")])
def test_sample_sbom_is_schema_valid(fmt, spec):
    from cyclonedx.schema import OutputFormat, SchemaVersion
    from cyclonedx.validation import make_schemabased_validator

    from pkgscan.report.cyclonedx import build_bom, serialize

    truth = _truth()
    text = serialize(build_bom(scan_path(str(SAMPLES / truth["zip"]))), fmt, spec, validate=False)
    ofmt = OutputFormat.JSON if fmt.endswith("json") else OutputFormat.XML
    schema = {"1.4": SchemaVersion.V1_4, "1.5": SchemaVersion.V1_5, "1.6": SchemaVersion.V1_6}[spec]
    assert make_schemabased_validator(ofmt, schema).validate_str(text) is None


def test_sample_directory_scan_matches_zip_scan(tmp_path):
    truth = _truth()
    with zipfile.ZipFile(SAMPLES / truth["zip"]) as zf:
        zf.extractall(tmp_path)
    a, b = scan_path(str(tmp_path)), scan_path(str(SAMPLES / truth["zip"]))
    assert [(c.purl, c.occurrences) for c in a.components] == [(c.purl, c.occurrences) for c in b.components]
    assert a.dependencies == b.dependencies and a.declared_only == b.declared_only


@pytest.mark.parametrize("path,wanted", [("App.deps.json", True), ("dotnet/App.deps.json", True),
                                         ("publish/My.App.DEPS.JSON", True),
                                         ("node_modules/edge-js/lib/bootstrap/bin/Release/bootstrap.deps.json", False),
                                         ("App.deps.json.bak", False), ("deps.json", False)])
def test_which_paths_are_deps_json(path, wanted):
    from pkgscan.inventory.dotnet import DotnetDepsCataloger

    cat = DotnetDepsCataloger()
    base = path.rsplit("/", 1)[-1]
    assert (base.lower().endswith(cat.suffixes) and cat.wants(path, base)) is wanted
