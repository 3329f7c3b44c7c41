"""Go programs: build info, components, peers' fixtures, matching against the Go vulnerability
database with vulnerable-symbol labels, and hostile binaries."""
from __future__ import annotations

import gzip
import json
import random
import re
import zipfile
from pathlib import Path

import pytest

from pkgscan import scan_path
from pkgscan.archive import open_tree
from pkgscan.inventory import gobinary
from pkgscan.inventory.golang import GoBinaryCataloger
from pkgscan.aws.serialize import inventory_from_dict, inventory_to_dict
from pkgscan.vulns.matcher import OfflineSource, match
from pkgscan.vulns.reachability import NOT_PRESENT, PRESENT, UNKNOWN, label_findings
from pkgscan.vulns.store import AdvisoryDB, import_path, writer

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_packages" / "go-function.zip"
GODIR = ROOT / "sample_packages" / "go"
FIX = Path(__file__).resolve().parent / "fixtures" / "golang"
PEER = Path(__file__).resolve().parent / "fixtures" / "peer" / "go-binary"
GO_ALL = FIX / "Go-all.zip"

from .hostile import golang as hostile  # (a package import: a path entry would shadow the stdlib's secrets)


# ------------------------------------------------------------------------------------ ground truth


def go_version_m(text: str) -> dict[str, dict]:
    """`go version -m` output -> {binary: {go, path, main, deps: {path: (version, replaced-by)}, build}}."""
    out: dict[str, dict] = {}
    cur = None
    last = None
    for line in text.splitlines():
        if not line.startswith("\t"):
            name, _, go = line.partition(": ")
            cur = out[name] = {"go": go, "deps": {}, "build": {}}
            continue
        f = line.strip("\t").split("\t")
        if f[0] == "path":
            cur["path"] = f[1]
        elif f[0] == "mod":
            cur["main"] = (f[1], f[2])
        elif f[0] == "dep":
            cur["deps"][f[1]] = (f[2], None)
            last = f[1]
        elif f[0] == "=>":
            cur["deps"][last] = (cur["deps"][last][0], (f[1], f[2]))
        elif f[0] == "build":
            k, _, v = f[1].partition("=")
            cur["build"][k] = v
    return out


def expected_components(truth: dict) -> set[tuple[str, str]]:
    """What the build info says is linked: replacements win; the Go release as OSV writes it."""
    out = set()
    for path, (version, repl) in truth["deps"].items():
        out.add(repl if repl else (path, version))
    m = re.fullmatch(r"go(\d+)\.(\d+)(?:\.(\d+))?", truth["go"])
    out.add(("stdlib", f"{m.group(1)}.{m.group(2)}.{m.group(3) or 0}"))
    return out


@pytest.fixture(scope="session")
def sample_truth():
    return go_version_m((GODIR / "go-version-m.txt").read_text())["bootstrap"]


@pytest.fixture(scope="session")
def sample_inv():
    return scan_path(SAMPLE)


def test_sample_components_are_what_go_version_m_says(sample_inv, sample_truth):
    found = {(c.name, c.version) for c in sample_inv.components}
    assert found == expected_components(sample_truth)
    assert found == {("golang.org/x/crypto", "v0.4.0"), ("golang.org/x/net", "v0.7.0"), ("golang.org/x/text", "v0.3.7"),
                     ("stdlib", "1.19.8")}
    assert not sample_inv.notices and sample_inv.artifact.layout == "function"
    for c in sample_inv.components:
        assert c.ecosystem == "golang"
        assert [o.location for o in c.occurrences] == ["bootstrap"]
        assert [(e.technique, e.confidence, e.location) for e in c.evidence] == [("binary-analysis", 1.0, "bootstrap")]
    text = sample_inv.component("golang", "golang.org/x/text")
    assert ("pkgscan:go:replaces", "golang.org/x/text@v0.7.0") in text.properties
    assert text.purl == "pkg:golang/golang.org/x/text@v0.3.7"
    std = sample_inv.component("golang", "stdlib")
    assert std.purl == "pkg:golang/stdlib@1.19.8"  # as syft writes it
    props = dict(std.properties)
    assert props["pkgscan:go:toolchain"] == sample_truth["go"] == "go1.19.8"
    for k, v in sample_truth["build"].items():
        assert props[f"pkgscan:go:build:{k}"] == v
    # the main module says "(devel)": no component, named as a property
    assert sample_truth["main"] == ("example.com/go-function", "(devel)")
    assert sample_inv.component("golang", "example.com/go-function") is None
    assert ("pkgscan:go:main-module", "example.com/go-function") in std.properties


def test_sample_symbols_cover_go_tool_nm(sample_inv):
    """Every text symbol `go tool nm` lists (ground truth) is among the names read from the binary."""
    nm = set(gzip.decompress((GODIR / "bootstrap-functions.txt.gz").read_bytes()).decode().split("\n")) - {""}
    (b,) = sample_inv.binaries
    assert b.location == "bootstrap" and b.source == "symtab+pclntab"
    names = set(b.names)
    assert nm <= names, sorted(nm - names)[:10]
    # the extra names are functions inlined everywhere (named only by the function table) or C/asm
    assert len(names) < 2 * len(nm)


def test_stripped_sample_reads_the_go_function_table(sample_inv):
    inv = scan_path(FIX / "go-function-stripped.zip")
    assert {(c.name, c.version) for c in inv.components} == {(c.name, c.version) for c in sample_inv.components}
    (b,) = inv.binaries
    assert b.source == "pclntab"
    nm = set(gzip.decompress((GODIR / "bootstrap-functions.txt.gz").read_bytes()).decode().split("\n")) - {""}
    # as packages and symbols (assembly functions are "F.abi0" in .symtab, "F" in the function table)
    go_funcs = {gobinary.split_symbol(n) for n in nm} - {None}
    missing = go_funcs - {gobinary.split_symbol(n) for n in b.names}
    assert missing == {("runtime", "text"), ("runtime", "etext")}  # linker markers, no functions


def test_directory_scan_equals_zip_scan(sample_inv, tmp_path):
    with zipfile.ZipFile(SAMPLE) as zf:
        zf.extractall(tmp_path)
    inv = scan_path(tmp_path)
    assert inv.components == sample_inv.components
    assert inv.binaries[0].names == sample_inv.binaries[0].names


def test_inventory_round_trips_through_the_cache_format(sample_inv):
    back = inventory_from_dict(json.loads(json.dumps(inventory_to_dict(sample_inv))))
    assert back.components == sample_inv.components
    assert back.binaries == sample_inv.binaries and back.binaries[0].names


@pytest.mark.parametrize("arch,bits,big", [("386", 32, False), ("arm64", 64, False), ("mips", 32, True),
                                           ("s390x", 64, True)])
def test_cross_compiled_elf_classes_and_byte_orders(arch, bits, big):
    truth = go_version_m((GODIR / "cross-go-version-m.txt").read_text())[f"cross-{arch}"]
    with zipfile.ZipFile(FIX / "cross.zip") as zf:
        data = zf.read(f"cross-{arch}")
    b = gobinary.parse(data)
    assert (b.format, b.bits, b.big_endian) == ("elf", bits, big)
    assert b.buildinfo.go_version == truth["go"]
    assert {(m.path, m.version) for m in b.buildinfo.deps} == {(p, v) for p, (v, _r) in truth["deps"].items()}
    assert dict(b.buildinfo.settings) == truth["build"]
    assert b.symbol_source == "symtab+pclntab" and not b.problems
    assert "Cipher.Encrypt" in b.symbols["golang.org/x/crypto/blowfish"]
    assert "main" in b.symbols["main"]


def test_esbuild_from_npm_is_found_beside_its_npm_package():
    inv = scan_path(FIX / "esbuild-layer.zip")
    loc = "nodejs/node_modules/@esbuild/linux-x64/bin/esbuild"
    go = {(c.name, c.version): c for c in inv.components if c.ecosystem == "golang"}
    assert set(go) == {("golang.org/x/sys", "v0.0.0-20220715151400-c0bba94af5f8"), ("stdlib", "1.20.4")}
    assert all([o.location for o in c.occurrences] == [loc] for c in go.values())
    props = dict(go[("stdlib", "1.20.4")].properties)
    assert props["pkgscan:go:build:vcs.revision"] == "d47ab43980c457db27d2671ab618cd5c40a618a7"
    assert props["pkgscan:go:main-module"] == "github.com/evanw/esbuild"
    assert inv.component("npm", "@esbuild/linux-x64", "0.17.19") is not None
    assert inv.binaries[0].source == "pclntab"  # npm's binary is stripped


# ------------------------------------------------------------------------------------------ peers


def _peer_inventory():
    return scan_path(PEER / "binaries.zip")


@pytest.fixture(scope="session")
def peer_inv():
    return _peer_inventory()


def _at(inv, location):
    return {(c.name, c.version) for c in inv.components if location in [o.location for o in c.occurrences]}


@pytest.mark.parametrize("name", ["binary_with_module_replacement-linux-amd64", "binary_with_module_replacement-linux-arm64"])
def test_scalibr_module_replacement(peer_inv, name):
    exp = json.loads((PEER / "osv-scalibr" / "expected.json").read_text())[name]["packages"]
    found = _at(peer_inv, f"go-binary/osv-scalibr/{name}")
    # scalibr names the toolchain "go" and the main module "(devel)"; pkgscan: "stdlib", and no main
    # module component for a "(devel)" build (see the cataloger's docstring)
    want = {("stdlib" if p["name"] == "go" else p["name"], p["version"] if p["name"] == "go" else "v" + p["version"])
            for p in exp if p["version"] != "(devel)"}
    assert found == want == {("github.com/golang/xerrors", "v0.0.0-20220907171357-04be3eba64a2"), ("stdlib", "1.22.0")}
    c = peer_inv.component("golang", "github.com/golang/xerrors")
    assert ("pkgscan:go:replaces", "golang.org/x/xerrors@v0.0.0-20220907171357-04be3eba64a2") in c.properties


@pytest.mark.parametrize("name", ["test.elf", "test.exe", "test.macho", "main-version-via-ldflags.elf",
                                  "goexperiment", "semver-main-module-version.macho"])
def test_trivy_binaries(peer_inv, name):
    exp = json.loads((PEER / "trivy" / "expected.json").read_text())[name]["packages"]
    found = _at(peer_inv, f"go-binary/trivy/{name}")
    # trivy: stdlib as "v1.15.2" (pkgscan: "1.15.2", as OSV writes it); a main module without a
    # version is a component with version "" there, none here; trivy takes "-X main.version=v1.0.0"
    # from -ldflags as the main module's version, pkgscan does not guess from flags (the build info
    # says "(devel)")
    want = set()
    for p in exp:
        if p["name"] == "stdlib":
            want.add(("stdlib", p["version"].lstrip("v")))
        elif p.get("relationship") != "root" or (p["version"] and name != "main-version-via-ldflags.elf"):
            want.add((p["name"], p["version"]))
    assert found == want
    if name == "main-version-via-ldflags.elf":
        std = [c for c in peer_inv.components if c.name == "stdlib" and c.version == "1.22.1"][0]
        assert ("pkgscan:go:build:-ldflags", "-w -X main.version=v1.0.0") in std.properties
    if name == "semver-main-module-version.macho":  # a main module with a real version is a component
        bbolt = peer_inv.component("golang", "go.etcd.io/bbolt", "v1.3.5")
        assert ("pkgscan:go:main-module", "true") in bbolt.properties
        assert ("go.etcd.io/bbolt", "stdlib") in {(e[0].split("@")[0][len("pkg:golang/"):], e[1].split("@")[0][len("pkg:golang/"):])
                                                  for e in peer_inv.dependencies}
    if name == "goexperiment":
        std = [c for c in peer_inv.components if c.name == "stdlib" and c.version == "1.22.1"][0]
        assert ("pkgscan:go:experiment", "loopvar") in std.properties


@pytest.mark.parametrize("name,source", [("test.elf", "symtab+pclntab"), ("test.exe", "pclntab"), ("test.macho", "pclntab")])
def test_trivy_pointer_format_dependencies(peer_inv, name, source):
    # Go 1.15: pointer-format build info, followed through the ELF program headers, the PE section
    # table or the Mach-O segments
    deps = _at(peer_inv, f"go-binary/trivy/{name}")
    assert ("golang.org/x/xerrors", "v0.0.0-20200804184101-5ec99f83aff1") in deps
    b = [b for b in peer_inv.binaries if b.location == f"go-binary/trivy/{name}"][0]
    assert b.source == source  # Go 1.2-1.15 function table walked
    assert any(n.startswith("github.com/aquasecurity/go-version/pkg/part.") for n in b.names)


def test_peer_dummies_are_no_packages_and_no_noise(peer_inv):
    assert not [c for c in peer_inv.components if "dummy" in "".join(o.location for o in c.occurrences)]
    assert not peer_inv.notices  # small text files are never sniffed


def test_function_table_found_without_a_section(peer_inv):
    """Mach-O (and externally linked ELF) programs: the Go function table is found by its header."""
    b = [b for b in peer_inv.binaries if b.location.endswith(".macho")][0]
    assert b.source == "pclntab"
    assert "go.etcd.io/bbolt.Open" in b.names and len(b.names) > 1000


# -------------------------------------------------------------------------------------- matching


def _semver_key(v: str):
    """An independent SemVer 2.0 precedence key (what OSV's SEMVER ranges use)."""
    v = v.lstrip("v").split("+", 1)[0]
    core, _, pre = v.partition("-")
    nums = tuple(int(x) for x in core.split("."))
    if not pre:
        return nums, 1, ()
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return nums, 0, ids


def _independent_affected(records, name, version):
    ids = set()
    for r in records:
        if r.get("withdrawn"):
            continue
        for a in r.get("affected", []):
            if a["package"]["ecosystem"] != "Go" or a["package"]["name"] != name:
                continue
            hit = False
            for rng in a.get("ranges", []):
                if rng["type"] != "SEMVER":
                    continue
                events = sorted(rng["events"], key=lambda e: (0, ()) if e.get("introduced") == "0" else (1, _semver_key(list(e.values())[0])))
                state = False
                for e in events:
                    if "introduced" in e and (e["introduced"] == "0" or _semver_key(version) >= _semver_key(e["introduced"])):
                        state = True
                    if "fixed" in e and _semver_key(version) >= _semver_key(e["fixed"]):
                        state = False
                hit = hit or state
            if hit:
                ids.add(r["id"])
    return ids


@pytest.fixture(scope="session")
def go_records():
    with zipfile.ZipFile(GO_ALL) as zf:
        return [json.loads(zf.read(n)) for n in zf.namelist() if n.endswith(".json")]


@pytest.fixture(scope="session")
def go_db(tmp_path_factory):
    d = tmp_path_factory.mktemp("go-db")
    with writer(d) as w:
        import_path(w, GO_ALL)
    return AdvisoryDB(d)


@pytest.fixture(scope="session")
def sample_findings(sample_inv, go_db):
    src = OfflineSource(go_db)
    return label_findings(sample_inv, match(sample_inv, [src]), [src])


def test_records_are_all_there(go_records):
    assert len(go_records) == 4291


def test_sample_findings_equal_an_independent_reading_of_the_records(sample_inv, sample_findings, go_records):
    for c in sample_inv.components:
        want = _independent_affected(go_records, c.name, c.version.lstrip("v"))
        got = {a for f in sample_findings if f.component == c for a in f.advisories}
        assert got == want, (c.name, sorted(got ^ want))
    ids = {f.id for f in sample_findings}
    # known ones: HTTP/2 rapid reset in x/net and stdlib, x/text's ParseAcceptLanguage DoS (through
    # the => replacement), x/crypto's Terrapin; GO-2022-0493 (x/sys) is not linked
    assert {"GO-2023-2102", "GO-2022-1059", "GO-2023-2402"} <= ids
    assert sum(f.component.name == "stdlib" for f in sample_findings) == 80


def _independent_labels(nm: set[str], records_by_id, finding):
    """present iff `go tool nm` lists a function (or a method, or a closure inside one) named by the record."""
    present = False
    for adv in finding.advisories:
        for a in records_by_id[adv]["affected"]:
            if a["package"]["name"] != finding.component.name:
                continue
            for imp in (a.get("ecosystem_specific") or {}).get("imports", []):
                for sym in imp.get("symbols") or []:
                    if "." in sym:
                        t, m = sym.split(".", 1)
                        cands = {f"{imp['path']}.{t}.{m}", f"{imp['path']}.(*{t}).{m}"}
                    else:
                        cands = {f"{imp['path']}.{sym}"}
                    if any(n in cands or n.split(".func")[0] in cands for n in nm):
                        present = True
                if not imp.get("symbols") and any(n.startswith(imp["path"] + ".") for n in nm):
                    present = True
    return present


def test_symbol_labels_agree_with_go_tool_nm(sample_findings, go_records):
    nm = set(gzip.decompress((GODIR / "bootstrap-functions.txt.gz").read_bytes()).decode().split("\n")) - {""}
    by_id = {r["id"]: r for r in go_records}
    labels = {}
    for f in sample_findings:
        assert f.labels[0] in (PRESENT, NOT_PRESENT), f
        labels[(f.component.name, f.id)] = f.labels[0]
        if _independent_labels(nm, by_id, f):
            assert f.labels[0] == PRESENT, f.id
    # rapid reset: the server side of x/net/http2 is not linked (the program is an HTTP client)
    assert labels[("golang.org/x/net", "GO-2023-2102")] == NOT_PRESENT
    assert labels[("golang.org/x/text", "GO-2022-1059")] == PRESENT
    assert labels[("golang.org/x/crypto", "GO-2023-2402")] == NOT_PRESENT  # ssh is not linked
    assert labels[("stdlib", "GO-2023-2102")] == NOT_PRESENT
    detail = [f for f in sample_findings if f.id == "GO-2022-1059"][0].labels[1]
    assert detail == "vulnerable symbols: golang.org/x/text/language.ParseAcceptLanguage"
    counts = {}
    for (name, _id), lab in labels.items():
        counts[(name, lab)] = counts.get((name, lab), 0) + 1
    assert counts == {("golang.org/x/crypto", NOT_PRESENT): 20, ("golang.org/x/net", PRESENT): 12,
                      ("golang.org/x/net", NOT_PRESENT): 4, ("golang.org/x/text", PRESENT): 1,
                      ("golang.org/x/text", NOT_PRESENT): 1, ("stdlib", PRESENT): 43, ("stdlib", NOT_PRESENT): 37}


def test_stripped_binary_gets_the_same_labels(sample_findings, go_db):
    inv = scan_path(FIX / "go-function-stripped.zip")
    src = OfflineSource(go_db)
    got = {(f.component.name, f.id): f.labels for f in label_findings(inv, match(inv, [src]), [src])}
    assert got == {(f.component.name, f.id): f.labels for f in sample_findings}


def test_labels_unknown_without_a_symbol_table(sample_inv, go_db, go_records):
    from dataclasses import replace

    inv = replace(sample_inv, binaries=())
    findings = match(inv, [OfflineSource(go_db)])
    assert {f.labels for f in label_findings(inv, findings, go_records)} == {(UNKNOWN,)}
    # records given as a mapping work too; non-Go findings are left alone
    by_id = {r["id"]: r for r in go_records}
    assert {f.labels[0] for f in label_findings(sample_inv, findings, by_id)} == {PRESENT, NOT_PRESENT}


def test_pseudo_versions_and_incompatible_compare_as_semver(go_db):
    """esbuild's x/sys pseudo-version is after GO-2022-0493's fixed pseudo-version: not affected."""
    inv = scan_path(FIX / "esbuild-layer.zip")
    src = OfflineSource(go_db)
    ids = {f.id for f in match(inv, [src]) if f.component.name == "golang.org/x/sys"}
    assert "GO-2022-0493" not in ids and "GO-2026-5024" in ids
    from pkgscan.vulns.versions import compare

    assert compare("golang", "v0.0.0-20220715151400-c0bba94af5f8", "0.0.0-20220412211240-33da011f77ad") == 1
    assert compare("golang", "v2.0.0+incompatible", "2.0.0") == 0
    assert compare("golang", "v1.19.0-0", "v1.19.0") == -1
    assert compare("golang", "go1.21.3", "1.21.10") == -1


def test_scan_cli_finds_the_go_advisories(tmp_path, go_records):
    from click.testing import CliRunner

    from pkgscan.cli import main

    db = tmp_path / "db"
    r = CliRunner().invoke(main, ["db", "import", str(GO_ALL), "--db", str(db)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["scan", str(SAMPLE), "--db", str(db), "--format", "json"])
    doc = json.loads(r.stdout if hasattr(r, "stdout") else r.output)
    assert doc["summary"]["findings"] == 118
    assert doc["summary"]["components"] == 4
    got = {(f["name"], a) for f in doc["findings"] for a in f["advisories"]}
    want = {(c["name"], i) for c in doc["components"]
            for i in _independent_affected(go_records, c["name"], c["version"].lstrip("v"))}
    assert got == want and len(want) == 118
    # the scan labels them (the same labels as label_findings after match)
    labels = [f.get("labels", [""])[0] for f in doc["findings"]]
    assert (labels.count(PRESENT), labels.count(NOT_PRESENT)) == (56, 62)


# --------------------------------------------------------------------------------------- hostile


@pytest.mark.parametrize("name", sorted(hostile.cases()))
def test_hostile_binary(name, tmp_path):
    case = hostile.cases()[name]
    (tmp_path / "bootstrap").write_bytes(case.data)
    inv = scan_path(tmp_path)
    assert {(c.name, c.version) for c in inv.components} == case.components
    codes = [(n.code, n.message) for n in inv.notices]
    if case.notice is None:  # the synthetic files carry no function table: that alone is said
        assert codes in ([], [("go-buildinfo-partial", "no symbol table or Go function table found")])
    else:
        assert any(code == case.notice and case.message in msg for code, msg in codes), codes


def test_build_settings_are_bounded(tmp_path):
    (tmp_path / "bootstrap").write_bytes(hostile.cases()["huge-build-settings"].data)
    std = scan_path(tmp_path).component("golang", "stdlib")
    props = dict(std.properties)
    assert len(props["pkgscan:go:build:-ldflags"]) == 4096 + 3
    assert sum(k.startswith("pkgscan:go:build:") for k, _v in std.properties) == 256


def test_truncated_real_binary_gives_a_notice_or_a_correct_partial_result(tmp_path, sample_truth):
    with zipfile.ZipFile(SAMPLE) as zf:
        data = zf.read("bootstrap")
    for cut in (len(data) // 2, len(data) - 1000, 100_000 * 3):
        (tmp_path / "bootstrap").write_bytes(data[:cut])
        inv = scan_path(tmp_path)
        found = {(c.name, c.version) for c in inv.components}
        assert found <= expected_components(sample_truth)
        assert inv.notices or found == expected_components(sample_truth)


def test_sixty_megabytes_of_garbage(tmp_path):
    (tmp_path / "bootstrap").write_bytes(hostile.garbage())
    inv = scan_path(tmp_path)
    assert inv.components == ()
    assert [n.code for n in inv.notices] == ["unreadable-executable"]


def test_files_that_are_no_candidates_are_not_read(tmp_path):
    cat = GoBinaryCataloger()
    assert cat.wants("bootstrap", "bootstrap") and cat.wants("bin/tool", "tool") and cat.wants("x/a.exe", "a.exe")
    assert not cat.wants("python/numpy/core/_multiarray.cpython-312-x86_64-linux-gnu.so", "_multiarray.cpython-312-x86_64-linux-gnu.so")
    assert not cat.wants("lib/libssl.so.3", "libssl.so.3") and not cat.wants("index.js", "index.js")
    assert not cat.wants("dotnet/Newtonsoft.Json.dll", "Newtonsoft.Json.dll")
    # a big extensionless text file is sniffed (its first bytes only) and skipped silently
    (tmp_path / "LICENSE").write_bytes(b"MIT License\n" * 100_000)
    (tmp_path / "bootstrap").write_bytes(b"#!/bin/sh\n" + b"#" * 400_000)
    with open_tree(tmp_path) as tree:
        before = tree.bytes_decompressed
        inv = scan_path(tmp_path)
        assert inv.components == () and inv.notices == ()
        from pkgscan.inventory.base import CatalogResult

        cat.catalog(tree, ["LICENSE", "bootstrap"], CatalogResult())
        assert tree.bytes_decompressed - before <= 2 * gobinary.HEAD_SIZE


def test_read_head_decompresses_only_the_beginning(tmp_path):
    p = tmp_path / "a.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bootstrap", b"\x7fELF" + random.Random(7).randbytes(4 << 20))
    with open_tree(p) as tree:
        assert tree.read_head("bootstrap", 8) == b"\x7fELF" + random.Random(7).randbytes(4)
        assert tree.bytes_decompressed < 1 << 20
        assert tree.read_head("bootstrap", 1 << 30) == tree.read("bootstrap")


def test_split_symbol():
    s = gobinary.split_symbol
    assert s("net/http.(*Server).Serve") == ("net/http", "Server.Serve")
    assert s("net/http.Header.Get") == ("net/http", "Header.Get")
    assert s("gopkg.in/yaml%2ev2.Unmarshal") == ("gopkg.in/yaml.v2", "Unmarshal")
    assert s("golang.org/x/net/html.Parse.func1") == ("golang.org/x/net/html", "Parse")
    assert s("main.main") == ("main", "main")
    assert s("encoding/json.(*decodeState).object.func2.1") == ("encoding/json", "decodeState.object")
    assert s("slices.Sort[go.shape.[]uint8,go.shape.uint8]") == ("slices", "Sort")
    assert s("go.etcd.io/bbolt.Open") == ("go.etcd.io/bbolt", "Open")
    assert s("sync.(*Once).Do-fm") == ("sync", "Once.Do")
    assert s("crypto/aes.encryptBlockAsm.abi0") == ("crypto/aes", "encryptBlockAsm")
    assert s("type:.eq.[2]interface {}") is None and s("go.itab.*os.File,io.Reader") is None
    assert s("go:buildid") is None and s("net.glob..func1") is None
    assert gobinary.escape_path("gopkg.in/yaml.v2") == "gopkg.in/yaml%2ev2"
    assert gobinary.stdlib_version("go1.21.3") == "1.21.3" and gobinary.stdlib_version("go1.19") == "1.19.0"
    assert gobinary.stdlib_version("go1.21rc2") == "1.21.0-rc.2"
    assert gobinary.stdlib_version("go1.22.1 X:loopvar") == "1.22.1"
    assert gobinary.stdlib_version("devel go1.23-abc") == ""


@pytest.mark.parametrize("fmt,spec", [("cyclonedx-json", "1.6"), ("cyclonedx-xml", "1.4")])
def test_sample_sbom_is_schema_valid(sample_inv, fmt, spec):
    from cyclonedx.schema import OutputFormat, SchemaVersion
    from cyclonedx.validation import make_schemabased_validator

    from pkgscan.report.cyclonedx import build_bom, serialize

    text = serialize(build_bom(sample_inv), fmt, spec, validate=False)
    ofmt = OutputFormat.JSON if fmt.endswith("json") else OutputFormat.XML
    schema = {"1.4": SchemaVersion.V1_4, "1.6": SchemaVersion.V1_6}[spec]
    assert make_schemabased_validator(ofmt, schema).validate_str(text) is None
    assert "pkg:golang/stdlib@1.19.8" in text


@pytest.mark.parametrize("name,version,record,affected", [
    ("github.com/evanphx/json-patch", "v0.5.1", "GO-2021-0076", True),
    ("github.com/evanphx/json-patch", "v3.0.0+incompatible", "GO-2021-0076", True),
    ("github.com/evanphx/json-patch", "v3.0.1-0.20180525145409-4c9aadca8f89+incompatible", "GO-2021-0076", False),
    ("github.com/evanphx/json-patch", "v4.0.0+incompatible", "GO-2021-0076", False),
    ("github.com/docker/distribution", "v2.6.2+incompatible", "GO-2021-0072", True),
    ("github.com/docker/distribution", "v2.7.0-rc.0+incompatible", "GO-2021-0072", False),
    ("github.com/docker/distribution", "v2.7.1+incompatible", "GO-2021-0072", False),
    ("github.com/containers/image", "v2.0.2-0.20190802080134-634605d06e73+incompatible", "GO-2021-0081", False),
    ("github.com/containers/image", "v2.0.2-0.20190801000000-000000000000+incompatible", "GO-2021-0081", True),
])
def test_incompatible_and_pseudo_versions_against_real_records(go_db, name, version, record, affected):
    from pkgscan.ecosystems import get
    from pkgscan.model import Artifact, Component, Inventory, Occurrence

    c = Component("golang", name, version, get("golang").make_purl(name, version), occurrences=(Occurrence("bootstrap", "bootstrap"),))
    inv = Inventory(Artifact("t", "t", "directory", "function"), components=(c,))
    ids = {a for f in match(inv, [OfflineSource(go_db)]) for a in f.advisories}
    assert (record in ids) is affected


def test_layer_programs_in_bin_and_extensions(tmp_path):
    """A layer's bin/ and extensions/ programs: the same modules found in each, one component each."""
    with zipfile.ZipFile(SAMPLE) as zf:
        data = zf.read("bootstrap")
    for rel in ("bin/tool", "extensions/my-extension"):
        (tmp_path / rel).parent.mkdir(parents=True)
        (tmp_path / rel).write_bytes(data)
    inv = scan_path(tmp_path, layout="layer")
    assert len(inv.components) == 4
    for c in inv.components:
        assert sorted(o.location for o in c.occurrences) == ["bin/tool", "extensions/my-extension"]
    assert sorted(b.location for b in inv.binaries) == ["bin/tool", "extensions/my-extension"]
