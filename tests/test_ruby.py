"""Ruby: Gem::Version order, installed gem specifications (read statically, never evaluated),
``Gemfile.lock``, their reconciliation, the ruby-function sample and matching against real RubyGems
advisories.

Fixtures (copies, attribution beside them): ``tests/fixtures/vectors/osv-scalibr-semantic/
rubygems-versions*.txt`` (osv-scalibr), ``tests/fixtures/peer/ruby-gemspec`` and
``tests/fixtures/peer/ruby-gemfile-lock`` (osv-scalibr, trivy, syft fixtures with what their tests
assert), ``tests/fixtures/ruby/debian`` (installed specifications from Debian's packages),
``tests/fixtures/osv/RubyGems`` (GHSA-5c5f-7vfq-3732 jmespath, GHSA-vg3r-rm7w-2xgh rexml).

Knowing differences from the peers (each also sits next to its case):

- Gemspecs are never evaluated and no other file is read for them.  osv-scalibr resolves
  ``spec.version = ExampleApp::VERSION`` from ``lib/example_app/version.rb`` (``require_relative``,
  ``File.join``/``expand_path``/``dirname`` load paths): pkgscan resolves a constant only when it is
  assigned a literal in the gemspec itself (scalibr's ``version_inline``); for the other
  ``version_constant*`` cases it finds no version.  Installed specifications (what a Lambda package
  carries, written by RubyGems) always have literal versions; in an installed specification named
  ``<name>-<version>.gemspec`` the file name then supplies the version (``filename`` evidence, 0.6).
  Where such hand-written gemspecs do get deployed, as Bundler's git checkouts
  (``bundler/gems/<name>-<rev>/``), ``VERSION = "..."`` in ``lib/<name>/version.rb`` is read as text
  (scalibr's ``version_constant`` and ``version_constant_freeze`` there give 1.2.3 and 2.3.4, as
  scalibr says); ``File.join``/``expand_path`` load paths and conditional requires are not followed.
- scalibr's ``invalid.gemspec`` is truncated after ``s.name =`` but keeps RubyGems' ``# stub: rss
  0.2.9 ruby lib`` line: scalibr errors, pkgscan reports rss 0.2.9 from the stub line
  (``manifest-analysis`` 0.9), so an installed gem does not vanish for a damaged spec.
- trivy's ``normal01.gemspec`` has ``spec.licenses = "MIT" # invalid``; trivy reports no licence.
  RubyGems' ``licenses=`` wraps a string in an array (``Array(licenses)``), so pkgscan reports MIT.
- Dependencies: runtime dependencies only.  RubyGems (< 3.5) writes every dependency twice, once as
  ``add_runtime_dependency``/``add_development_dependency`` and once as ``add_dependency`` in an
  ``else`` branch for ancient RubyGems; a gem named by ``add_development_dependency`` stays a
  development dependency.
- Gemfile.lock: GIT gems are reported with source ``git`` (scalibr also gives the ``revision`` as
  commit: pkgscan has no field for it); PATH gems with source ``directory`` (``workspace`` when the path
  is ``.``, the app's own gemspec).  Platform-specific versions ``1.16.0-x86_64-linux`` are version
  ``1.16.0``.  A lock with Bundler sections but no gems (scalibr ``no-gem-section``,
  ``no-spec-section``, ``no-gems``) is empty; one with none (trivy ``Gemfile_malformed.lock``) is an
  error, as for trivy.  trivy's ``relationship`` (direct from DEPENDENCIES) is not kept: a
  ``LockedPackage`` has no such field.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from pkgscan import scan_path
from pkgscan.inventory.lockfiles import LockfileError, gemfile_lock
from pkgscan.inventory.ruby import gem_home, gemspec_installed, parse_filename, read_gemspec
from pkgscan.aws.runtime_view import effective_view
from pkgscan.scan import scan_vulnerabilities
from pkgscan.versions import rubygems
from pkgscan.vulns.matcher import OfflineSource
from pkgscan.vulns.store import AdvisoryDB, import_path, writer
from pkgscan.vulns.versions import compare, sort_key

HERE = Path(__file__).resolve().parent
FIX = HERE / "fixtures"
PEER_SPEC = FIX / "peer" / "ruby-gemspec"
PEER_LOCK = FIX / "peer" / "ruby-gemfile-lock"
DEBIAN = FIX / "ruby" / "debian"
SAMPLES = HERE.parent / "sample_packages"
OPS = {"<": -1, "=": 0, ">": 1}
HOME = "vendor/bundle/ruby/3.3.0/specifications/"


# --------------------------------------------------------------------------- versions

@pytest.mark.parametrize("filename,count", [("rubygems-versions.txt", 25), ("rubygems-versions-generated.txt", 4098)])
def test_rubygems_vectors_all_pass(filename, count):
    failures, total = [], 0
    path = FIX / "vectors" / "osv-scalibr-semantic" / filename
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        s = line.strip()
        if not s or s.startswith(("# ", "// ")):
            continue
        a, op, b = s.split(" ")
        total += 1
        want = OPS[op]
        for eco in ("RubyGems", "gem"):
            ka, kb = sort_key(eco, a), sort_key(eco, b)
            if compare(eco, a, b) != want or compare(eco, b, a) != -want or ((ka > kb) - (ka < kb)) != want:
                failures.append(f"{lineno}: {s} [{eco}] got {compare(eco, a, b)}")
    assert total == count
    assert not failures, failures[:20]


def test_gem_version_rules():
    # a string segment sorts below a number and below "nothing" (zeros), in either position
    order = ["0.9", "1.0.a", "1.0.a.1", "1.0.b", "1.0.rc1", "1.0", "1.0.0.1", "1.0.1", "1.1.a", "1.1", "1.10"]
    assert sorted(order, key=rubygems.sort_key) == order
    assert sorted(reversed(order), key=rubygems.sort_key) == order
    assert rubygems.equal("1.0", "1.0.0") and rubygems.equal("1.0.a2", "1.0.a.2") and rubygems.equal("1-rc1", "1.pre.rc1")
    assert rubygems.sort_key("1.a.0.b") < rubygems.sort_key("1.a")  # "b" against a missing (0) segment
    assert rubygems.sort_key("1.a.0.1") > rubygems.sort_key("1.a")
    assert rubygems.canonical("1.0.a2") == rubygems.canonical("1.0.a.2") == "1.a.2"
    assert rubygems.is_valid("1.2.3") and rubygems.is_valid("") and rubygems.is_valid("1.0-rc1")
    assert not rubygems.is_valid("1.2.3-x86_64-linux junk") and not rubygems.is_valid("a1")


@pytest.mark.parametrize("junk", ["", "latest", "..", "-", "1..2", "\x00", "9" * 5000, "a" * 5000, "1." * 3000,
                                  "é-ü", "1.0 beta", None, 3])
def test_rubygems_sort_key_is_total(junk):
    key = rubygems.sort_key(junk)
    assert key == rubygems.sort_key(junk)
    assert (key < rubygems.sort_key("1.0")) or (key >= rubygems.sort_key("1.0"))
    rubygems.canonical(str(junk))


# --------------------------------------------------------------------------- installed specifications

def _spec(path: Path, basename: str | None = None):
    notices: list = []
    inst = gemspec_installed(HOME + (basename or path.name), path.read_bytes(), notices)
    return inst, notices


# case -> (name, version, licenses) or None (no package); the peer's assertion is in its expected.json
SCALIBR_SPEC = {
    "yaml-0.2.1.gemspec": ("yaml", "0.2.1", ("Ruby", "BSD-2-Clause")),
    "rss-0.2.9.gemspec": ("rss", "0.2.9", ("BSD-2-Clause",)),
    "version_inline.gemspec": ("example_inline", "3.0.0", ()),
    "empty.gemspec": None,
    "badspec.gemspec": None,
    # decided differently (see the module docstring): the stub line survives the truncation
    "invalid.gemspec": ("rss", "0.2.9", ()),
}
# version constants defined in other files: never read (scalibr reads them) -> no package
SCALIBR_OTHER_FILE = ["version_constant", "version_constant_freeze", "version_constant_join",
                      "version_constant_join_multiline", "version_constant_expand", "version_constant_dirname",
                      "version_constant_require", "version_constant_conditional", "version_constant_expand_join",
                      "version_constant_class", "version_constant_different_casing", "version_constant_missing",
                      "version_method", "version_load_path"]


def test_every_scalibr_gemspec_case_is_here():
    keys = set(json.loads((PEER_SPEC / "osv-scalibr" / "expected.json").read_text()))
    assert keys == set(SCALIBR_SPEC) | {f"{d}/{d}.gemspec" for d in SCALIBR_OTHER_FILE}


@pytest.mark.parametrize("case", sorted(SCALIBR_SPEC))
def test_scalibr_gemspecs(case):
    inst, notices = _spec(PEER_SPEC / "osv-scalibr" / case)
    want = SCALIBR_SPEC[case]
    if want is None:
        assert inst is None and [n.code for n in notices] == ["malformed-metadata"]
        return
    assert (inst.name, inst.version, inst.licenses) == want
    expected = json.loads((PEER_SPEC / "osv-scalibr" / "expected.json").read_text())[case]["packages"]
    if case != "invalid.gemspec":
        assert [(p["name"], p["version"]) for p in expected] == [want[:2]]
    conf = inst.evidence[0].confidence
    assert conf == (0.9 if case == "invalid.gemspec" else 1.0)


@pytest.mark.parametrize("case", SCALIBR_OTHER_FILE)
def test_scalibr_version_in_other_file_is_not_read(case):
    inst, notices = _spec(PEER_SPEC / "osv-scalibr" / case / f"{case}.gemspec")
    assert inst is None and notices
    # installed under its RubyGems file name, the file name gives the version (weaker evidence)
    inst, notices = _spec(PEER_SPEC / "osv-scalibr" / case / f"{case}.gemspec", "example_app-1.2.3.gemspec")
    if case == "version_method":  # name 'example_app' in the spec agrees with the file name
        assert (inst.name, inst.version) == ("example_app", "1.2.3")
    if inst is not None:
        assert inst.version == "1.2.3" and inst.evidence[0].technique == "filename"
        assert inst.evidence[0].confidence == 0.6 and "gemspec-by-filename" in [n.code for n in notices]


TRIVY_SPEC = {
    "normal00.gemspec": ("rake", "13.0.3", ("MIT",), ()),
    "normal01.gemspec": ("async", "1.25.0", ("MIT",), ()),  # trivy: no licence (see the docstring)
    "license.gemspec": ("async", "1.25.0", ("MIT",), ()),
    "multiple_licenses.gemspec": ("test-unit", "3.3.7", ("Ruby", "BSDL", "PSFL"), ("power_assert",)),
    "malformed00.gemspec": None,  # assignments on `s` inside `do |spec|`: not the spec's
    "malformed01.gemspec": None,  # no version
}


@pytest.mark.parametrize("case", sorted(TRIVY_SPEC))
def test_trivy_gemspecs(case):
    inst, _ = _spec(PEER_SPEC / "trivy" / case)
    want = TRIVY_SPEC[case]
    expected = json.loads((PEER_SPEC / "trivy" / "expected.json").read_text())[case]["packages"]
    if want is None:
        assert inst is None and expected == []
        return
    assert (inst.name, inst.version, inst.licenses, inst.requires) == want
    assert [(p["name"], p["version"]) for p in expected] == [want[:2]]
    if case != "normal01.gemspec":
        assert list(inst.licenses) == expected[0].get("licenses", list(inst.licenses))


@pytest.mark.parametrize("case,want", [("bundler.gemspec", ("bundler", "2.1.4", ("MIT",))),
                                       ("formatador.gemspec", ("formatador", "1.1.0", ("MIT",)))])
def test_syft_gemspecs(case, want):
    inst, _ = _spec(PEER_SPEC / "syft" / case)
    assert (inst.name, inst.version, inst.licenses) == want
    expected = json.loads((PEER_SPEC / "syft" / "expected.json").read_text())[case]["packages"][0]
    assert (expected["name"], expected["version"], tuple(expected["licenses"])) == want


def test_debian_installed_specs():
    inst, notices = _spec(DEBIAN / "faraday-1.1.0.gemspec")
    assert (inst.name, inst.version, inst.licenses, inst.requires) == ("faraday", "1.1.0", ("MIT",),
                                                                       ("multipart-post", "ruby2_keywords"))
    assert inst.root == "vendor/bundle/ruby/3.3.0" and inst.description == "HTTP/REST API client library."
    inst, _ = _spec(DEBIAN / "rexml-3.2.5.gemspec")
    assert (inst.name, inst.version, inst.requires) == ("rexml", "3.2.5", ())  # only development dependencies
    assert not notices


@pytest.mark.parametrize("basename,want", [
    ("jmespath-1.6.1.gemspec", ("jmespath", "1.6.1", "")),
    ("aws-sdk-core-3.190.0.gemspec", ("aws-sdk-core", "3.190.0", "")),
    ("nokogiri-1.16.0-x86_64-linux.gemspec", ("nokogiri", "1.16.0", "x86_64-linux")),
    ("nokogiri-1.16.0-x86_64-linux-gnu.gemspec", ("nokogiri", "1.16.0", "x86_64-linux-gnu")),
    ("ffi-1.16.3-arm64-darwin.gemspec", ("ffi", "1.16.3", "arm64-darwin")),
    ("jruby-launcher-1.1.2-java.gemspec", ("jruby-launcher", "1.1.2", "java")),
    ("foo-2fa-1.0.0.gemspec", ("foo-2fa", "1.0.0", "")),
    ("ed25519-1.3.0.gemspec", ("ed25519", "1.3.0", "")),
    ("rails-7.1.0.beta1.gemspec", ("rails", "7.1.0.beta1", "")),
    ("version_constant.gemspec", None), ("-1.0.gemspec", None), ("x-.gemspec", None),
])
def test_parse_filename(basename, want):
    assert parse_filename(basename) == want


def test_platform_gem_and_stub():
    text = (b'# -*- encoding: utf-8 -*-\n# stub: nokogiri 1.16.0 x86_64-linux lib\n\nGem::Specification.new do |s|\n'
            b'  s.name = "nokogiri".freeze\n  s.version = "1.16.0".freeze\n  s.platform = "x86_64-linux".freeze\n'
            b'  s.licenses = ["MIT".freeze]\n  s.add_runtime_dependency(%q<racc>.freeze, ["~> 1.4".freeze])\nend\n')
    notices: list = []
    inst = gemspec_installed(HOME + "nokogiri-1.16.0-x86_64-linux.gemspec", text, notices)
    assert (inst.name, inst.version, inst.requires) == ("nokogiri", "1.16.0", ("racc",))
    assert inst.properties == (("pkgscan:gem:platform", "x86_64-linux"),) and not notices


def test_gem_home():
    assert gem_home("vendor/bundle/ruby/3.3.0/specifications/a-1.gemspec") == "vendor/bundle/ruby/3.3.0"
    assert gem_home("ruby/gems/3.2.0/specifications/a-1.gemspec") == "ruby/gems/3.2.0"
    assert gem_home("vendor/bundle/ruby/3.3.0/gems/a-1/a.gemspec") is None  # a gem's own source gemspec
    assert gem_home("specifications/a-1.gemspec") is None


def test_name_mismatch_is_noticed():
    notices: list = []
    inst = gemspec_installed(HOME + "rails-7.0.0.gemspec", (DEBIAN / "jmespath-1.6.1.gemspec").read_bytes(), notices)
    assert (inst.name, inst.version) == ("jmespath", "1.6.1")
    assert [n.code for n in notices] == ["gemspec-name-mismatch"]


def test_heredoc_and_comments_do_not_count():
    text = b'''Gem::Specification.new do |s|
  # s.name = "commented"
  s.description = <<~EOS
    s.name = "in-heredoc"
    s.version = "6.6.6"
  EOS
  s.name = "real".freeze
  s.version = "1.2.3"
end
'''
    facts = read_gemspec(text.decode())
    assert (facts.name, facts.version) == ("real", "1.2.3")


# --------------------------------------------------------------------------- Gemfile.lock: peers

def _lock(path: Path):
    return gemfile_lock.parse(path.read_bytes(), path.name)


SCALIBR_LOCKS = sorted(json.loads((PEER_LOCK / "osv-scalibr" / "expected.json").read_text()))


@pytest.mark.parametrize("case", SCALIBR_LOCKS)
def test_scalibr_gemfile_locks(case):
    expected = json.loads((PEER_LOCK / "osv-scalibr" / "expected.json").read_text())[case]
    res = _lock(PEER_LOCK / "osv-scalibr" / case)
    # the same (name, version, line) triples; scalibr's order is its own
    assert sorted((p.name, p.version, p.line) for p in res.packages) == \
        sorted((p["name"], p["version"], p["line"]) for p in expected["packages"])
    git = {(e["name"], e["version"]) for e in expected["packages"] if "commit" in e}
    assert {(p.name, p.version) for p in res.packages if p.source == "git"} == git


def test_scalibr_local_gem_is_directory():
    res = _lock(PEER_LOCK / "osv-scalibr" / "has-local-gem.lock")
    assert [(p.name, p.source) for p in res.packages if p.source != "registry"] == [("backbone-on-rails", "directory")]
    bb = res.packages[0]
    assert bb.dependencies == ("eco", "ejs", "jquery-rails", "railties")


@pytest.mark.parametrize("case", ["Gemfile_normal.lock", "Gemfile_bundler2.lock"])
def test_trivy_gemfile_locks(case):
    expected = json.loads((PEER_LOCK / "trivy" / "expected.json").read_text())[case]
    res = _lock(PEER_LOCK / "trivy" / case)
    assert {(p.name, p.version, p.line) for p in res.packages} == \
        {(p["name"], p["version"], p["locations"][0]["start_line"]) for p in expected["packages"]}
    by = {p.name: p for p in res.packages}
    for dep in expected.get("dependencies") or []:
        assert set(by[dep["id"].split("@")[0]].dependencies) == {d.split("@")[0] for d in dep["depends_on"]}


def test_trivy_malformed_lock_is_an_error():
    with pytest.raises(LockfileError):
        _lock(PEER_LOCK / "trivy" / "Gemfile_malformed.lock")


def test_syft_gemfile_lock():
    expected = json.loads((PEER_LOCK / "syft" / "expected.json").read_text())["Gemfile.lock"]
    res = _lock(PEER_LOCK / "syft" / "Gemfile.lock")
    assert sorted((p.name, p.version) for p in res.packages) == sorted((p["name"], p["version"]) for p in expected["packages"])
    src = {p.name: p.source for p in res.packages}
    assert src["google-cloud-errors"] == "directory" and src["turbolinks"] == "git" and src["rails"] == "registry"


PLATFORM_LOCK = b"""GEM
  remote: https://rubygems.org/
  specs:
    nokogiri (1.16.0-arm64-darwin)
      racc (~> 1.4)
    nokogiri (1.16.0-x86_64-linux)
      racc (~> 1.4)
    racc (1.7.3)

PATH
  remote: .
  specs:
    my_function (0.1.0)
      nokogiri

PLATFORMS
  arm64-darwin
  x86_64-linux

DEPENDENCIES
  my_function!
  nokogiri

CHECKSUMS
  nokogiri (1.16.0-x86_64-linux) sha256=0000
  racc (1.7.3) sha256=0000

BUNDLED WITH
   2.5.11
"""


def test_platform_versions_and_own_path_gem():
    res = gemfile_lock.parse(PLATFORM_LOCK, "Gemfile.lock")
    assert [(p.name, p.version, p.source, p.line) for p in res.packages] == [
        ("nokogiri", "1.16.0", "registry", 4), ("racc", "1.7.3", "registry", 8), ("my_function", "0.1.0", "workspace", 13)]
    assert res.packages[0].dependencies == ("racc",) and not res.warnings


# --------------------------------------------------------------------------- reconciliation, layouts

def _write(root: Path, rel: str, data: bytes) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)


def test_reconciliation_platform_gem_flagged_and_declared(tmp_path):
    root = tmp_path / "fn"
    spec = (b'Gem::Specification.new do |s|\n  s.name = "nokogiri".freeze\n  s.version = "1.16.0"\n'
            b'  s.platform = "x86_64-linux".freeze\nend\n')
    _write(root, HOME + "nokogiri-1.16.0-x86_64-linux.gemspec", spec)
    _write(root, HOME + "jmespath-1.6.1.gemspec", (DEBIAN / "jmespath-1.6.1.gemspec").read_bytes())
    _write(root, "Gemfile.lock", PLATFORM_LOCK)
    _write(root, "vendor/bundle/ruby/3.3.0/gems/jmespath-1.6.1/Gemfile.lock", b"GEM\n  specs:\n    rake (1.0)\n")
    inv = scan_path(str(root))
    comps = {c.name: c for c in inv.components}
    assert comps["nokogiri"].declared_in == ("Gemfile.lock",) and not comps["nokogiri"].missing_from_lockfile
    assert comps["jmespath"].missing_from_lockfile  # installed, absent from the complete lock
    assert [(d.name, d.version) for d in inv.declared_only] == [("racc", "1.7.3")]  # the own PATH gem is not
    assert inv.lockfiles == ("Gemfile.lock",)  # a gem's own Gemfile.lock is not the function's


def test_layer_layout(tmp_path):
    root = tmp_path / "layer"
    for f in DEBIAN.glob("*.gemspec"):
        _write(root, "ruby/gems/3.3.0/specifications/" + f.name, f.read_bytes())
    inv = scan_path(str(root))
    assert sorted((c.name, c.version) for c in inv.components) == [("faraday", "1.1.0"), ("jmespath", "1.6.1"),
                                                                   ("rexml", "3.2.5")]
    assert {o.root for c in inv.components for o in c.occurrences} == {"ruby/gems/3.3.0"}
    assert inv.artifact.layout == "layer"


def test_git_gems_from_bundler_checkouts(tmp_path):
    """scalibr's version-constant fixtures, installed where Bundler puts a GIT gem: the version comes
    from ``VERSION = ...`` in ``lib/<name>/version.rb``, read as text; a version only a method call
    gives is not reported."""
    root = tmp_path / "fn"
    gems = "vendor/bundle/ruby/3.3.0/bundler/gems/"
    src = PEER_SPEC / "osv-scalibr"
    _write(root, gems + "example_app-027dbe2e5639/example_app.gemspec",
           (src / "version_constant" / "version_constant.gemspec").read_bytes())
    _write(root, gems + "example_app-027dbe2e5639/lib/example_app/version.rb",
           (src / "version_constant" / "lib" / "example_app" / "version.rb").read_bytes())
    _write(root, gems + "example_app_freeze-5904fc9a7068/example_app_freeze.gemspec",
           (src / "version_constant_freeze" / "version_constant_freeze.gemspec").read_bytes())
    _write(root, gems + "example_app_freeze-5904fc9a7068/lib/example_app_freeze/version.rb",
           (src / "version_constant_freeze" / "lib" / "example_app" / "version.rb").read_bytes())
    _write(root, gems + "example_app-aaaaaaaaaaaa/x.gemspec", (src / "version_method" / "version_method.gemspec").read_bytes())
    lock = (b"GIT\n  remote: https://example.invalid/example_app.git\n  revision: 027dbe2e56397b534e859fc283990cad1b6addd6\n"
            b"  specs:\n    example_app (1.2.3)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n\n"
            b"DEPENDENCIES\n  example_app!\n\nBUNDLED WITH\n   2.5.11\n")
    _write(root, "Gemfile.lock", lock)
    inv = scan_path(str(root))
    comps = {(c.name, c.version): c for c in inv.components}
    assert set(comps) == {("example_app", "1.2.3"), ("example_app_freeze", "2.3.4")}
    c = comps[("example_app", "1.2.3")]
    assert c.declared_in == ("Gemfile.lock",) and ("pkgscan:gem:source", "git") in c.properties
    assert ("pkgscan:gem:revision", "027dbe2e5639") in c.properties
    assert c.evidence[0].confidence == 0.8 and c.evidence[0].detail == "VERSION in lib/example_app/version.rb"
    assert comps[("example_app_freeze", "2.3.4")].missing_from_lockfile
    assert any("no literal version" in n.message for n in inv.notices)


# --------------------------------------------------------------------------- the sample and matching

@pytest.fixture(scope="module")
def gem_db(tmp_path_factory):
    d = tmp_path_factory.mktemp("rubygems-db")
    with writer(d) as w:
        rep = import_path(w, FIX / "osv" / "RubyGems")
        assert not rep.skipped
    adb = AdvisoryDB(d)
    yield adb
    adb.close()


def _truth():
    return json.loads((SAMPLES / "ruby" / "ruby-function.expected.json").read_text())


def test_sample_recall_and_precision():
    truth = _truth()
    inv = scan_path(str(SAMPLES / truth["zip"]))
    want = {(c["ecosystem"], c["name"], c["version"]): sorted(c["locations"]) for c in truth["components"]}
    got = {(c.ecosystem, c.name, c.version): sorted(o.location for o in c.occurrences) for c in inv.components}
    tp = set(want) & set(got)
    assert (len(tp) / len(want), len(tp) / len(got)) == (1.0, 1.0)
    assert got == want
    assert [(d.ecosystem, d.name, d.version, d.lockfile) for d in inv.declared_only] == \
        [(d["ecosystem"], d["name"], d["version"], d["lockfile"]) for d in truth["declared_only"]]
    assert sorted(map(list, inv.dependencies)) == sorted(truth["dependencies"])
    assert not any(c.missing_from_lockfile for c in inv.components)
    assert inv.artifact.layout == truth["layout"] and not inv.suspicious and not inv.notices


def test_sample_advisories(gem_db):
    """By hand from the records: GHSA-5c5f-7vfq-3732 RubyGems jmespath ECOSYSTEM [0, 1.6.1) contains
    1.6.0; GHSA-vg3r-rm7w-2xgh RubyGems rexml [0, 3.2.7) contains 3.2.5; no record names the others."""
    truth = _truth()
    inv = scan_path(str(SAMPLES / truth["zip"]))
    findings = scan_vulnerabilities(inv, [OfflineSource(gem_db)]).findings
    got: dict = {}
    for f in findings:
        got.setdefault(f.component.purl, set()).update(f.advisories)
    assert got == {k: set(v) for k, v in truth["advisories"].items()}
    assert {f.component.name: f.fixed for f in findings} == {"jmespath": ("1.6.1",), "rexml": ("3.2.7",)}


def test_debian_fixed_jmespath_is_not_affected(tmp_path, gem_db):
    root = tmp_path / "fn"
    _write(root, HOME + "jmespath-1.6.1.gemspec", (DEBIAN / "jmespath-1.6.1.gemspec").read_bytes())
    _write(root, HOME + "rexml-3.2.5.gemspec", (DEBIAN / "rexml-3.2.5.gemspec").read_bytes())
    findings = scan_vulnerabilities(scan_path(str(root)), [OfflineSource(gem_db)]).findings
    assert [(f.component.name, f.id) for f in findings] == [("rexml", "GHSA-vg3r-rm7w-2xgh")]


@pytest.mark.parametrize("version,hit", [("3.2.7", False), ("3.2.7.a", True), ("3.2.6.1", True), ("3.3", False),
                                         ("3.2.7.0", False)])
def test_rexml_boundary_in_gem_order(tmp_path, gem_db, version, hit):
    root = tmp_path / "fn"
    _write(root, HOME + f"rexml-{version}.gemspec",
           f'Gem::Specification.new do |s|\n  s.name = "rexml".freeze\n  s.version = "{version}"\nend\n'.encode())
    findings = scan_vulnerabilities(scan_path(str(root)), [OfflineSource(gem_db)]).findings
    assert bool(findings) is hit


def test_sample_zip_listing_matches_truth():
    truth = _truth()
    names = zipfile.ZipFile(SAMPLES / truth["zip"]).namelist()
    specs = sorted(n for n in names if n.endswith(".gemspec"))
    assert specs == sorted(loc for c in truth["components"] for loc in c["locations"])


def test_runtime_view_gem_path(tmp_path):
    """GEM_PATH is /var/task/vendor/bundle/ruby/3.3.0 then /opt/ruby/gems/3.3.0 and RubyGems activates
    the highest version: the layer's fixed jmespath 1.6.1 wins over the function's 1.6.0; for rexml
    (the same version in both) the function's copy comes first."""
    layer = tmp_path / "layer"
    for f in ("jmespath-1.6.1.gemspec", "rexml-3.2.5.gemspec"):
        _write(layer, "ruby/gems/3.3.0/specifications/" + f, (DEBIAN / f).read_bytes())
    fn = scan_path(str(SAMPLES / "ruby-function.zip"))
    view = effective_view("ruby3.3", fn, [("arn:aws:lambda:eu-west-1:1:layer:gems:1", scan_path(str(layer)))])
    st = {(c.name, c.version, c.source[:8]): (c.status, c.search_path) for c in view.copies}
    assert st[("jmespath", "1.6.1", "arn:aws:")] == ("loaded", "/opt/ruby/gems/3.3.0")
    assert st[("jmespath", "1.6.0", "function")] == ("shadowed", "/var/task/vendor/bundle/ruby/3.3.0")
    assert st[("rexml", "3.2.5", "function")][0] == "loaded" and st[("rexml", "3.2.5", "arn:aws:")][0] == "shadowed"
    assert any("AWS SDK for Ruby (aws-sdk-*) is provided by the ruby3.3 runtime" in n for n in view.notes)
    assert any("highest version" in n and "bundler/setup" in n for n in view.notes)
    # another Ruby ABI: none of these directories is on the runtime's GEM_PATH
    assert {c.status for c in effective_view("ruby3.4", fn, []).copies} == {"not-on-path"}


def test_cli_scan_finds_the_advisories(tmp_path):
    """`pkgscan db import` of the RubyGems records, then `pkgscan scan --format json` on the sample."""
    from click.testing import CliRunner

    from pkgscan.cli import main

    db = tmp_path / "db"
    runner = CliRunner()
    r = runner.invoke(main, ["db", "import", str(FIX / "osv" / "RubyGems"), "--db", str(db)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    out = tmp_path / "r.json"
    r = runner.invoke(main, ["scan", str(SAMPLES / "ruby-function.zip"), "--db", str(db), "--format", "json", "-o", str(out)],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert {(f["purl"], f["id"]) for f in doc["findings"]} == {("pkg:gem/jmespath@1.6.0", "GHSA-5c5f-7vfq-3732"),
                                                               ("pkg:gem/rexml@3.2.5", "GHSA-vg3r-rm7w-2xgh")}


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


def test_real_debian_specifications():
    """24 installed specifications RubyGems wrote for Debian's packages (tests/fixtures/ruby/debian):
    name, version and runtime dependencies from the literals, no notice."""
    specs = sorted(DEBIAN.glob("*.gemspec")) + sorted((DEBIAN / "more").glob("*.gemspec"))
    assert len(specs) == 24
    found = {}
    for f in specs:
        inst, notices = _spec(f)
        assert f"{inst.name}-{inst.version}.gemspec" == f.name and not notices, f.name
        assert inst.evidence[0].confidence == 1.0 and inst.licenses, f.name
        found[inst.name] = inst
    assert found["aws-sdk-core"].requires == ("aws-eventstream", "aws-partitions", "aws-sigv4", "jmespath")
    assert found["activesupport"].requires == ("concurrent-ruby", "i18n", "minitest", "tzinfo", "zeitwerk")
    assert found["nokogiri"].requires == ("mini_portile2", "racc")
    assert found["addressable"].licenses == ("Apache-2.0",)
