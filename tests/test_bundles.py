"""Code without a manifest: bundles, slim Python, nested archives, vendored copies, coverage.

The samples are real builds (sample_packages/bundles/build.sh); their ground truth comes from the
build tools' own outputs (esbuild --metafile, webpack --json, pip --report).  What each technique
contributes is measured in ``test_what_each_technique_contributes``.

Versions in a minified bundle with its map: 19 of 21, from the content hashes of every release's
files (pkgscan/data/js-release-hashes.json.gz, read from the npm registry's tarballs) and the
dependency ranges of the packages bundled with a tie (jws 3.2.3 / 4.0.1: jsonwebtoken 8.5.x requires
^3.2.x); the other two are byte-identical in several releases (jsonwebtoken 8.5.0 / 8.5.1, minimist
1.2.3 to 1.2.5) and left unknown with their candidates.

Versions in a non-minified esbuild bundle: 18 of 21, from the token fingerprints of every release's
files (pkgscan/data/js-release-tokens.json.gz: what survives esbuild's reprinting), the license
comments esbuild keeps (safe-buffer 5.2.0 / 5.2.1) and the dependency ranges.  The issue's 0.95 is
not reachable: esbuild prints the same code for jsonwebtoken 8.5.0 / 8.5.1, minimist 1.2.3 to 1.2.5
and ms 2.1.2 / 2.1.3 (ms differs by one space), so 18 of 21 (0.86) is every version the bundle
determines; test_esbuild_cdk_versions_reach_what_the_bundle_determines asserts that exactly those
three are left, unknown, with their candidates.

The minified-without-map and webpack figures (12 of 21 names) rest on string-literal fingerprints
from an npm cache that holds these packages: without them in the table, 4 and 3 of 21.
"""
from __future__ import annotations

import io
import json
import os
import zipfile
from functools import lru_cache
from pathlib import Path

import pytest

from pkgscan.archive import DEFAULT_LIMITS, ZipTree
from pkgscan.archive.source import BytesSource
from pkgscan.inventory import catalog
from pkgscan.inventory.jsbundle import JavaScriptBundleCataloger, run_signatures, signatures
from pkgscan.scan import scan_path, scan_tree

ROOT = Path(__file__).resolve().parents[1]
BUNDLES = ROOT / "sample_packages" / "bundles"
SAMPLES = ROOT / "sample_packages"


@lru_cache(maxsize=None)
def scanned(sample: str):
    return scan_path(BUNDLES / f"{sample}.zip")


def truth(sample: str) -> set[tuple[str, str]]:
    doc = json.loads((BUNDLES / f"{sample}.expected.json").read_text())
    return {(c["name"], c["version"]) for c in doc["components"]}


def scores(sample: str) -> dict[str, float]:
    exp = truth(sample)
    names = {n for n, _ in exp}
    comps = scanned(sample).components
    got_names = {c.name for c in comps}
    right_versions = {(c.name, c.version) for c in comps} & exp
    # a component is wrong when its name is not in the bundle or its version is not the bundled one
    # (an unknown version "" is not a wrong one)
    wrong = [c for c in comps if c.name not in names or (c.version and (c.name, c.version) not in exp)]
    return {
        "names": len(got_names & names) / len(names),
        "versions": len(right_versions) / len(exp),
        "precision": 1 - len(wrong) / max(1, len(comps)),
    }


# ------------------------------------------------------------------------------- recall targets
@pytest.mark.parametrize("sample,names,versions", [
    ("esbuild-cdk", 0.95, 0.85),
    ("esbuild-minified-map", 0.95, 0.9),
    ("esbuild-esm", 0.95, 0.74),
    ("esbuild-minified", 0.5, 0.09),
    ("webpack-prod", 0.5, 0.09),
    ("python-slim", 0.85, 0.85),
    ("python-zip", 1.0, 1.0),
])
def test_recall_and_precision(sample, names, versions):
    s = scores(sample)
    assert s["names"] >= names, s
    assert s["versions"] >= versions, s
    assert s["precision"] >= 0.95, s


def test_esbuild_cdk_versions_reach_what_the_bundle_determines():
    """The issue's >= 0.95 is not reachable (issue 13, blocked): the versions missing are exactly the
    three whose bundled code is the same in several releases, each left unknown with the built
    release among its candidates; every other version is found."""
    built = dict(truth("esbuild-cdk"))
    inv = scanned("esbuild-cdk")
    missing = {c.name: dict(c.properties).get("pkgscan:version-candidates", "") for c in inv.components
               if c.version != built[c.name]}
    assert set(missing) == {"jsonwebtoken", "minimist", "ms"}, missing
    assert all(inv.component("npm", n).version == "" and built[n] in cands.split(", ") for n, cands in missing.items())


def test_minified_map_versions_target():
    assert scores("esbuild-minified-map")["versions"] >= 0.6


def test_release_hashes_name_one_release_or_say_which_tie():
    inv = scanned("esbuild-minified-map")
    ms = inv.component("npm", "ms")
    assert ms.version == "2.1.3" and any(e.technique == "hash-comparison" for e in ms.evidence)
    # byte-identical in two releases: no version picked, both said
    jwt = inv.component("npm", "jsonwebtoken")
    assert jwt.version == "" and ("pkgscan:version-candidates", "8.5.0, 8.5.1") in jwt.properties


def test_a_module_changed_after_release_gets_no_hash_version():
    """One byte changed in ms's module: no release has that content, so the hashes say nothing."""
    src = zipfile.ZipFile(BUNDLES / "esbuild-minified-map.zip")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith(".map"):
                sm = json.loads(data)
                i = next(i for i, s in enumerate(sm["sources"]) if s.endswith("node_modules/ms/index.js"))
                sm["sourcesContent"][i] += "\n"
                data = json.dumps(sm).encode()
            z.writestr(info.filename, data)
    inv = scan_tree(ZipTree(BytesSource(out.getvalue()), DEFAULT_LIMITS), "patched.zip")
    ms = inv.component("npm", "ms")
    assert ms is not None and ms.version == ""
    assert inv.component("npm", "lodash").version == "4.17.15"


def test_versions_found_are_the_vulnerable_ones():
    inv = scanned("esbuild-cdk")
    assert inv.component("npm", "lodash", "4.17.15") is not None
    assert inv.component("npm", "axios", "0.21.0") is not None
    assert inv.component("npm", "moment", "2.29.1") is not None
    # a name without a version is still a component, and says why; never a guessed version
    ms = inv.component("npm", "ms")
    assert ms is not None and ms.version == "" and ms.purl == "pkg:npm/ms"
    assert dict(ms.properties)["pkgscan:version-unknown"]


def test_what_each_technique_contributes():
    """Which evidence named each package (the report's table of techniques comes from here)."""
    def by(sample):
        out = {}
        for c in scanned(sample).components:
            for e in c.evidence:
                key = e.detail.split(":")[0]
                out.setdefault(key, set()).add(c.name)
        return out
    cdk = by("esbuild-cdk")
    assert len(cdk["esbuild path comment"]) == 21
    assert {"lodash", "moment", "safe-buffer"} <= cdk["esbuild legal comments"]
    assert "axios" in cdk["package.json inlined by the bundler"]
    mm = by("esbuild-minified-map")
    assert len(mm["source map source"]) == 21
    assert "axios" in mm["package.json in the source map's sourcesContent"]
    mn = by("esbuild-minified")
    assert {"jsonwebtoken", "jws", "jwa", "follow-redirects", "node-fetch", "ecdsa-sig-formatter", "semver", "ms"} <= \
        {n for k, v in mn.items() if "distinctive string literals" in k for n in v}
    wp = by("webpack-prod")
    assert {"lodash", "safe-buffer"} <= wp["name in the bundler's extracted license comments"]
    assert "moment" in wp["retire.js signature"]


def test_evidence_and_confidence_on_every_identified_component():
    for sample in ("esbuild-cdk", "esbuild-minified", "webpack-prod", "python-slim"):
        for c in scanned(sample).components:
            assert c.evidence, c
            assert all(e.technique in ("source-code-analysis", "manifest-analysis", "hash-comparison")
                       for e in c.evidence)
            assert all(0 < e.confidence < 1 for e in c.evidence)
            assert c.confidence < 1


def test_cyclonedx_carries_evidence_and_coverage():
    from pkgscan.report.cyclonedx import build_bom, serialize

    doc = json.loads(serialize(build_bom(scanned("esbuild-minified")), "cyclonedx-json", "1.6"))
    props = {p["name"]: p["value"] for p in doc["metadata"]["properties"]}
    assert props["pkgscan:coverage"] == "partial"
    comp = next(c for c in doc["components"] if c["name"] == "jsonwebtoken")
    ident = comp["evidence"]["identity"]
    ident = ident if isinstance(ident, list) else [ident]
    assert ident[0]["field"] in ("name", "purl") and ident[0]["confidence"] == 0.5
    assert ident[0]["methods"][0]["technique"] == "source-code-analysis"


# ----------------------------------------------------------------------------- coverage figures
def _metafile_bytes(sample: str) -> tuple[int, int]:
    meta = json.loads((BUNDLES / f"{sample}.metafile.json").read_text())
    out = next(v for k, v in meta["outputs"].items() if not k.endswith(".map"))
    third = sum(v["bytesInOutput"] for k, v in out["inputs"].items() if "node_modules/" in k)
    return out["bytes"], third


def _kind(inv, kind):
    return next(k for k in inv.coverage.kinds if k.kind == kind)


def test_coverage_esbuild_cdk():
    inv = scanned("esbuild-cdk")
    total, third = _metafile_bytes("esbuild-cdk")
    js = _kind(inv, "javascript")
    assert inv.coverage.status == "complete" and js.bytes == total
    assert abs(js.attributed_bytes - third) / third < 0.02  # the module ranges include their comment lines
    assert inv.coverage.fraction >= 0.99


def test_coverage_esbuild_esm():
    inv = scanned("esbuild-esm")
    total, third = _metafile_bytes("esbuild-esm")
    js = _kind(inv, "javascript")
    assert inv.coverage.status == "complete" and js.bytes == total
    assert abs(js.attributed_bytes - third) / third < 0.02


def test_esm_bundle_of_a_newer_esbuild_two_lodash_copies():
    """esbuild 0.28.2, ESM output: both lodash copies are reported with their own release (the app's
    4.17.20, which has advisories, and jsonwebtoken's 4.18.1), and psl does not take punycode's version."""
    inv = scanned("esbuild-esm")
    assert sorted(c.version for c in inv.components if c.name == "lodash") == ["4.17.20", "4.18.1"]
    psl = inv.component("npm", "psl")
    assert psl.version in ("", "1.15.0")


def test_coverage_esbuild_minified_map():
    inv = scanned("esbuild-minified-map")
    total, third = _metafile_bytes("esbuild-minified-map")
    js = _kind(inv, "javascript")
    assert inv.coverage.status == "complete" and js.bytes == total
    assert abs(js.attributed_bytes - third) / third < 0.02  # estimated from the sources' sizes


@pytest.mark.parametrize("sample,label", [("esbuild-minified", "JavaScript"), ("webpack-prod", "JavaScript")])
def test_coverage_bundle_without_boundaries_is_partial(sample, label):
    inv = scanned(sample)
    js = _kind(inv, "javascript")
    size = zipfile.ZipFile(BUNDLES / f"{sample}.zip").getinfo("index.js").file_size
    assert inv.coverage.status == "partial"
    assert js.unattributed_bytes == size and js.attributed_bytes == 0
    assert inv.coverage.summary() == f"partial: {round(size / 1024)} KB of {label} not attributed"
    assert inv.coverage.not_attributed[0] == ("index.js", "javascript", size)


def test_coverage_python_slim():
    inv = scanned("python-slim")
    z = zipfile.ZipFile(BUNDLES / "python-slim.zip")
    py = [i for i in z.infolist() if i.filename.endswith(".py")]
    packages = {i.filename.split("/")[0] for i in py if i.filename.count("/") == 1 and i.filename.endswith("/__init__.py")}
    # the packages' files; handler.py (own code) and bin/jp.py (a console script, not in a package) are not counted
    deps = sum(i.file_size for i in py if i.filename.split("/")[0] in packages)
    six = z.getinfo("six.py").file_size
    k = _kind(inv, "python")
    assert inv.coverage.status == "complete"
    assert k.files == len(py) and k.attributed_bytes == deps + six and k.unattributed_bytes == 0
    native = _kind(inv, "native")
    assert native.files == 2 and native.unattributed_bytes == 0  # _yaml's .so (stripped) counts for PyYAML


def test_coverage_python_zip_counts_the_nested_members():
    inv = scanned("python-zip")
    outer = zipfile.ZipFile(BUNDLES / "python-zip.zip")
    inner = zipfile.ZipFile(io.BytesIO(outer.read(".requirements.zip")))
    py = [i for i in inner.infolist() if i.filename.endswith(".py")]
    k = _kind(inv, "python")
    assert k.files == len(py) + 2  # + handler.py, unzip_requirements.py
    assert k.attributed_bytes == sum(i.file_size for i in py)
    assert inv.coverage.status == "complete" and inv.coverage.fraction == 1.0


@pytest.mark.parametrize("zip_name", sorted(p.name for p in SAMPLES.glob("*.zip")))
def test_existing_samples_keep_full_coverage(zip_name):
    inv = scan_path(SAMPLES / zip_name)
    assert inv.coverage.status == "complete" and inv.coverage.fraction == 1.0, inv.coverage


def test_nested_locations_and_no_silent_clean_for_slim():
    inv = scanned("python-zip")
    req = inv.component("pypi", "requests")
    assert req.occurrences[0].location == ".requirements.zip!/requests-2.22.0.dist-info/METADATA"
    slim = scanned("python-slim")
    yaml = slim.component("pypi", "pyyaml")
    assert yaml.version == "5.4" and ("pkgscan:no-metadata", "true") in yaml.properties
    assert slim.component("pypi", "python-dateutil").version == "2.8.0"  # dateutil/_version.py


# ------------------------------------------------------------------------------ vendored copies
def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def _scan_bytes(data: bytes, name="t.zip"):
    with ZipTree(BytesSource(data), DEFAULT_LIMITS) as tree:
        return scan_tree(tree, name)


def test_vendored_copies_are_vendored_and_test_data_is_not_a_component():
    files = {
        "pip/__init__.py": b'__version__ = "23.0.1"\n',
        "pip-23.0.1.dist-info/METADATA": b"Metadata-Version: 2.1\nName: pip\nVersion: 23.0.1\n",
        "pip-23.0.1.dist-info/RECORD": b"pip/__init__.py,,\npip/_vendor/requests/__version__.py,,\n"
                                       b"pip/_vendor/requests/__init__.py,,\n",
        "pip/_vendor/requests/__init__.py": b"from .__version__ import __version__\n",
        "pip/_vendor/requests/__version__.py": b"__version__ = '2.28.2'\n",
        "pkg_resources/tests/data/my-test-package-1.0.egg-info/PKG-INFO": b"Metadata-Version: 1.0\nName: my-test-package\nVersion: 1.0\n",
        "setuptools/_vendor/packaging-24.2.dist-info/METADATA": b"Metadata-Version: 2.1\nName: packaging\nVersion: 24.2\n",
        "setuptools/__init__.py": b"",
        # pip's own pin list gives the versions its vendored copies do not write in their code
        "pip/_vendor/vendor.txt": b"rich==12.6.0\nsix==1.16.0\nrequests==2.28.2\n",
        "pip/_vendor/rich/__init__.py": b"from ._extension import load_ipython_extension\n",
        "pip/_vendor/six.py": b"import sys\n",
    }
    inv = _scan_bytes(_zip(files))
    req = inv.component("pypi", "requests", "2.28.2")
    assert req is not None and ("pkgscan:vendored-by", "pip") in req.properties
    assert ("pkg:pypi/pip@23.0.1", "pkg:pypi/requests@2.28.2") in inv.dependencies
    assert ("pkgscan:vendored-by", "setuptools") in inv.component("pypi", "packaging").properties
    assert inv.component("pypi", "my-test-package") is None
    assert inv.component("pypi", "rich", "12.6.0") is not None and inv.component("pypi", "six", "1.16.0") is not None
    assert not any(c.name == "requests" and c.version != "2.28.2" for c in inv.components)


# ------------------------------------------------------------------------------------- hostile
def test_zip_nested_fifty_deep_stops_at_the_limit():
    data = _zip({"six.py": b'__version__ = "1.12.0"\n'})
    for i in range(50):
        data = _zip({f"level{i}.zip": data})
    inv = _scan_bytes(data)
    assert any(n.code == "nesting-limit" for n in inv.notices)
    assert inv.component("pypi", "six") is None  # 50 deep: never reached, and said so


def test_huge_single_line_bundle_is_bounded(tmp_path):
    from pkgscan.inventory import jsbundle

    (tmp_path / "index.js").write_bytes(b"var a=1;" * (jsbundle.MAX_BUNDLE // 8 + 1024))
    inv = scan_path(tmp_path)
    assert any(n.code == "bundle-truncated" for n in inv.notices)
    assert inv.coverage.status == "partial"  # an unknown 48 MB+ of JavaScript is not a clean result


def test_source_map_with_a_million_sources(tmp_path):
    from pkgscan.inventory import jsbundle

    sources = [f"../node_modules/p{i % 1000}/f{i}.js" for i in range(1_000_000)]
    (tmp_path / "index.js.map").write_text(json.dumps({"version": 3, "sources": sources, "mappings": ""}))
    (tmp_path / "index.js").write_text("console.log(1);" * 10 + "\n//# sourceMappingURL=index.js.map\n")
    inv = scan_path(tmp_path)
    assert any(n.code == "source-map-limit" for n in inv.notices)
    names = {c.name for c in inv.components}
    assert len(names) == 1000 and jsbundle.MAX_SOURCES < 1_000_000


def test_signatures_on_a_pathological_input_look_only_near_anchors():
    assert signatures(), "retire.js signatures are shipped"
    evil = ('.version="1.1.1"' + "a" * 50 + "duration" * 3) * 20_000 + ".isMoment="
    hits = run_signatures(evil)
    assert isinstance(hits, list)  # returns: each regex ran in at most MAX_ANCHORS windows


def test_bundle_cataloger_never_raises_on_garbage():
    files = {"index.js": b"\xff\xfe//# sourceMappingURL=data:application/json;base64,!!!notbase64\n" * 10,
             "other.js": b"// node_modules/\n// node_modules/@/x.js\n//# sourceMappingURL=missing.map\n" * 10,
             "x.js": b"x" * 100 + b"\n//# sourceMappingURL=x.js.map", "x.js.map": b"{not json"}
    with ZipTree(BytesSource(_zip(files)), DEFAULT_LIMITS) as tree:
        result = catalog(tree, (JavaScriptBundleCataloger(),))
        assert isinstance(result.installed, list)
        assert any(n.code == "source-map-unreadable" for n in tree.notices)


def test_inline_source_map_is_read_like_one_beside_the_bundle():
    import base64

    z = zipfile.ZipFile(BUNDLES / "esbuild-minified-map.zip")
    code = z.read("index.mjs").rsplit(b"//# sourceMappingURL=", 1)[0]
    inline = code + b"//# sourceMappingURL=data:application/json;base64," + base64.b64encode(z.read("index.mjs.map")) + b"\n"
    inv = _scan_bytes(_zip({"index.mjs": inline}))
    assert {c.name for c in inv.components} == {n for n, _ in truth("esbuild-minified-map")}
    assert any("inline source map" in e.location for c in inv.components for e in c.evidence)


def test_an_unknown_native_library_makes_the_coverage_partial():
    inv = _scan_bytes(_zip({"lambda_function.py": b"import fast\n", "fast.cpython-312-x86_64-linux-gnu.so": b"\x7fELF" + b"\0" * 300_000}))
    assert inv.coverage.status == "partial"
    assert inv.coverage.summary() == "partial: 293 KB of native code not attributed"


def test_coverage_survives_the_code_cache():
    from pkgscan.aws.serialize import inventory_from_dict, inventory_to_dict

    for sample in ("esbuild-minified", "python-zip"):
        inv = scanned(sample)
        back = inventory_from_dict(json.loads(json.dumps(inventory_to_dict(inv))))
        assert back.coverage == inv.coverage and back.components == inv.components


def test_json_report_coverage_block():
    from pkgscan.report.json_report import build
    from pkgscan.vulns.model import ScanResult

    doc = build(ScanResult(inventory=scanned("webpack-prod"), findings=()))
    assert doc["summary"]["coverage"] == "partial"
    assert doc["coverage"]["kinds"]["javascript"]["unattributed_bytes"] == doc["coverage"]["not_attributed"][0]["bytes"]


def test_function_and_layers_coverage_merge():
    from pkgscan.inventory.coverage import merge

    fn, layer = scanned("esbuild-minified").coverage, scanned("python-slim").coverage
    both = merge([("", fn), ("layer:1/", layer)])
    assert both.third_party_bytes == fn.third_party_bytes + layer.third_party_bytes
    assert both.unattributed_bytes == fn.unattributed_bytes
    assert both.status == "complete"  # 223 KB of 2.8 MB: mostly attributed, under 1 MiB
    assert ("index.js", "javascript", fn.unattributed_bytes) in both.not_attributed
    assert merge([("", None)]) is None


def test_fail_on_partial_switch(advisory_db_dir):
    from click.testing import CliRunner

    from pkgscan.cli import main

    base = ["scan", "--db", str(advisory_db_dir), "--max-db-age", "100000", "-f", "json"]
    partial = CliRunner().invoke(main, [*base, str(BUNDLES / "esbuild-minified.zip")])
    assert partial.exit_code == 0  # partial alone does not fail a build...
    gated = CliRunner().invoke(main, [*base, "--fail-on-partial", str(BUNDLES / "esbuild-minified.zip")])
    assert gated.exit_code == 1 and "partial: 223 KB of JavaScript not attributed" in gated.output
    clean = CliRunner().invoke(main, [*base, "--fail-on-partial", str(BUNDLES / "python-zip.zip")])
    assert clean.exit_code == 0, clean.output


def test_library_copied_in_under_its_release_file_name():
    inv = _scan_bytes(_zip({"static/js/jquery-3.4.1.min.js": b"/* not the real file */\n" * 10, "app.py": b""}))
    jq = inv.component("npm", "jquery", "3.4.1")
    assert jq is not None and jq.evidence[0].technique == "filename" and jq.confidence == 0.6
    assert inv.coverage.status == "complete"  # the file is the component's


def test_webpack_development_keys_and_index_maps():
    dev = (b"/******/ (() => { // webpackBootstrap\n/******/ \tvar __webpack_modules__ = ({\n\n"
           b'/***/ "./node_modules/left-pad/index.js":\n/***/ ((module) => {\n' + b"module.exports = leftPad;\n" * 200
           + b'\n/***/ }),\n\n/***/ "./src/index.js":\n/***/ ((module) => {\n' + b"console.log(1);\n" * 100 + b"/***/ })\n")
    inv = _scan_bytes(_zip({"main.js": dev}))
    assert [c.name for c in inv.components] == ["left-pad"]
    assert inv.components[0].evidence[0].detail == "webpack module key: ./node_modules/left-pad/"
    js = next(k for k in inv.coverage.kinds if k.kind == "javascript")
    assert 0 < js.attributed_bytes < js.bytes and js.unattributed_bytes == 0  # the app's own module is not third-party
    index_map = {"version": 3, "sections": [
        {"offset": {"line": 0, "column": 0}, "map": {"version": 3, "sources": ["../node_modules/ms/index.js"],
                                                    "sourcesContent": ["module.exports = function () {};"], "mappings": ""}}]}
    inv = _scan_bytes(_zip({"out.js": b"x" * 4000 + b"\n//# sourceMappingURL=out.js.map\n",
                            "out.js.map": json.dumps(index_map).encode()}))
    assert [c.name for c in inv.components] == ["ms"]


def test_nested_node_modules_belong_to_the_innermost_package():
    from pkgscan.inventory.jsbundle import package_of

    assert package_of("node_modules/a/node_modules/ms/index.js") == ("ms", "node_modules/a/node_modules/ms")
    assert package_of("../node_modules/@s/b/node_modules/@t/c/x.js") == ("@t/c", "../node_modules/@s/b/node_modules/@t/c")
    assert package_of("src/my_node_modules/x/y.js") is None


def test_reprinted_literals_tie_gives_no_version_but_the_candidates(monkeypatch):
    from pkgscan.inventory import jsreleases
    monkeypatch.setattr(jsreleases, "release_table", {"p": {"versions": ["1.0.0", "1.1.0", "2.0.0"]}}.get)
    monkeypatch.setattr(jsreleases, "release_literals", lambda: {"p": {"index.js": {
        "has": "7", "lits": [["only in one and 1.1", "3"], ["only in two", "4"]]}}})
    m = jsreleases.LiteralMatch()
    m.add("p", "index.js", 'var a = "only in one and 1.1";')
    assert m.verdict("p") == ("", ("1.0.0", "1.1.0"), 1)  # a tie: no version, both candidates
    m = jsreleases.LiteralMatch()
    m.add("p", "index.js", "var b = 'only in two';")
    assert m.verdict("p") == ("2.0.0", (), 1)
    m = jsreleases.LiteralMatch()
    m.add("p", "other.js", "var b = 'only in two';")  # a file no release has literals for: no say
    assert m.verdict("p") == ("", (), 0)


def test_reprinted_modules_literals_name_a_release_or_the_candidates():
    from pkgscan.inventory.jsreleases import LiteralMatch

    # where the token fingerprints say nothing, the string literals of the reprinted module still can
    text = zipfile.ZipFile(BUNDLES / "esbuild-cdk.zip").read("index.js").decode()
    start = text.index("// node_modules/lodash.includes/index.js")
    m = LiteralMatch()
    m.add("lodash.includes", "index.js", text[start:text.index("\n// node_modules/", start + 1)])
    assert m.verdict("lodash.includes") == ("4.3.0", (), 1)
    inv = scanned("esbuild-cdk")
    built = dict(truth("esbuild-cdk"))
    for c in inv.components:
        cands = dict(c.properties).get("pkgscan:version-candidates")
        if cands:  # a tie names the built release among its candidates, never picks one
            assert c.version == "" and built[c.name] in cands.split(", "), (c.name, cands)


def test_reprinted_modules_token_fingerprints_name_the_release():
    """esbuild's reprint of semver/semver.js has the token fingerprint of semver 5.7.3's file only."""
    inv = scanned("esbuild-cdk")
    semver = inv.component("npm", "semver")
    assert semver.version == "5.7.3"
    ev = [e for e in semver.evidence if e.technique == "hash-comparison"]
    assert ev and "token fingerprints" in ev[0].detail and ev[0].confidence == 0.9


def test_token_fingerprint_tie_and_mismatch(monkeypatch):
    from pkgscan.inventory import jsreleases
    from pkgscan.inventory.jstokens import fingerprint
    a, b = fingerprint("module.exports = 1"), fingerprint("module.exports = 2")
    monkeypatch.setattr(jsreleases, "release_tokens", lambda: {"p": {
        "versions": ["1.0.0", "1.0.1", "2.0.0"], "files": {"index.js": {a: "3", b: "4"}}}})
    monkeypatch.setattr(jsreleases, "release_table", lambda p: jsreleases.release_tokens().get(p))
    m = jsreleases.TokenMatch()
    m.add("p", "index.js", "module.exports = 1;")
    assert m.verdict("p") == ("", ("1.0.0", "1.0.1"), 1)  # the same tokens in two releases: both said
    m = jsreleases.TokenMatch()
    m.add("p", "index.js", "module.exports = 2;")
    assert m.verdict("p") == ("2.0.0", (), 1)
    m = jsreleases.TokenMatch()
    m.add("p", "index.js", "module.exports = 2;")
    m.add("p", "index.js", "module.exports = 3;")  # a module no release has: the tokens say nothing
    assert m.verdict("p") == ("", (), 0)
    m = jsreleases.TokenMatch()
    m.add("p", "lib/other.js", "module.exports = 2;")  # a file the data lacks: no say
    assert m.verdict("p") == ("", (), 0)


def test_a_reprinted_module_changed_after_release_gets_no_token_version():
    """One name in semver's reprinted module changed: no release has those tokens; semver gets no
    version from them, and the other packages keep theirs."""
    src = zipfile.ZipFile(BUNDLES / "esbuild-cdk.zip")
    text = src.read("index.js").decode()
    start = text.index("// node_modules/semver/semver.js")
    patched = text[:start] + text[start:].replace("function parse(version", "function parsed(version", 1)
    assert patched != text
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("index.js", patched)
    inv = scan_tree(ZipTree(BytesSource(out.getvalue()), DEFAULT_LIMITS), "patched.zip")
    semver = inv.component("npm", "semver")
    assert semver is not None and not any("token fingerprints" in e.detail for e in semver.evidence)
    assert inv.component("npm", "moment").version == "2.29.1"


def test_ties_are_narrowed_by_the_bundled_dependency_ranges(monkeypatch):
    from pkgscan.inventory import jsreleases
    monkeypatch.setattr(jsreleases, "release_table", {
        "jws": {"versions": ["3.2.3", "4.0.1"], "deps": {"jwa": {"^1.4.1": "1", "^2.0.0": "2"}}},
        "jsonwebtoken": {"versions": ["8.5.0", "8.5.1", "9.0.0"],
                         "deps": {"jws": {"^3.2.2": "3", "^4.0.0": "4"}}},
        "other": {"versions": ["1.0.0"], "deps": {}},
    }.get)
    # a dependent whose every candidate requires ^3.2.2: of 3.2.3 and 4.0.1, only 3.2.3
    assert jsreleases.required_by("jws", ("3.2.3", "4.0.1"), {"jsonwebtoken": ("8.5.0", "8.5.1")}) == \
        (("3.2.3",), [("jsonwebtoken", "^3.2.2")])
    # a dependent that may be a release requiring either: no say
    assert jsreleases.required_by("jws", ("3.2.3", "4.0.1"), {"jsonwebtoken": ("8.5.1", "9.0.0")}) == \
        (("3.2.3", "4.0.1"), [])
    # a package that declares no range on it: no say
    assert jsreleases.required_by("jws", ("3.2.3", "4.0.1"), {"other": ("1.0.0",)}) == (("3.2.3", "4.0.1"), [])


def test_fail_on_partial_gates_live_scans_too(monkeypatch):
    """pkgscan lambda / layer / account take --fail-on-partial as scan does: a function whose code is
    mostly unattributed (a minified bundle) exits 1 and is named; a fully attributed one exits 0."""
    from click.testing import CliRunner

    from pkgscan.cli import main
    from tests.aws_emulator import Emulator

    with Emulator() as emu:
        for k, v in emu.env().items():
            monkeypatch.setenv(k, v)
        role = emu.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam = emu.client("lambda", "us-east-1")
        for name, sample in (("bundle", "esbuild-minified.zip"), ("plain", "python-zip.zip")):
            lam.create_function(FunctionName=name, Runtime="nodejs20.x", Role=role, Handler="index.handler",
                                Code={"ZipFile": (BUNDLES / sample).read_bytes()})
        base = ["lambda", "--region", "us-east-1", "--endpoint-url", emu.endpoint_url, "--no-vulns", "--no-cache",
                "--no-signing", "-q", "-f", "json", "-o", os.devnull]
        gated = CliRunner().invoke(main, [*base, "--fail-on-partial", "bundle"])
        assert gated.exit_code == 1, gated.output
        assert "--fail-on-partial: 1 function(s)/layer(s)" in gated.output and ":function:bundle" in gated.output
        assert CliRunner().invoke(main, [*base, "bundle"]).exit_code == 0  # without the switch: no gate
        plain = CliRunner().invoke(main, [*base, "--fail-on-partial", "plain"])
        assert plain.exit_code == 0, plain.output


def test_kept_license_comments_and_dependency_ranges_settle_ties_on_the_real_bundle():
    inv = scanned("esbuild-cdk")
    # safe-buffer 5.2.0 and 5.2.1 print the same code; only 5.2.1 has the /*! ... */ line esbuild kept
    sb = inv.component("npm", "safe-buffer")
    assert sb.version == "5.2.1" and any("kept license comment" in e.detail for e in sb.evidence)
    # jws 3.2.3 and 4.0.1 ship the same files; the bundled jsonwebtoken 8.5.x requires ^3.2.x
    jws = inv.component("npm", "jws")
    ev = [e for e in jws.evidence if "dependency ranges" in e.detail]
    assert jws.version == "3.2.3" and ev and "jsonwebtoken requires ^3.2" in ev[0].detail and ev[0].confidence == 0.8
    # nothing settles jsonwebtoken 8.5.0 / 8.5.1: both stay candidates, no version
    jwt = inv.component("npm", "jsonwebtoken")
    assert jwt.version == "" and ("pkgscan:version-candidates", "8.5.0, 8.5.1") in jwt.properties


def test_token_fingerprints_stop_at_their_budget_and_say_so(monkeypatch):
    from pkgscan.inventory import jsreleases

    monkeypatch.setattr(jsreleases, "MAX_TOKEN_TEXT", 64 * 1024)
    monkeypatch.setattr(jsreleases, "FINGERPRINT_CACHE_MAX", 0)
    data = (BUNDLES / "esbuild-cdk.zip").read_bytes()
    inv = scan_tree(ZipTree(BytesSource(data), DEFAULT_LIMITS), "budget.zip")
    assert any(n.code == "bundle-fingerprint-limited" for n in inv.notices)
    assert {c.name for c in inv.components} >= dict(truth("esbuild-cdk")).keys()  # every name still there
    s_versions = {(c.name, c.version) for c in inv.components if c.version}
    assert s_versions <= truth("esbuild-cdk")  # fewer versions, none wrong


def test_a_version_key_of_an_inlined_library_is_not_the_packages_version():
    """psl 1.15.0's dist file carries punycode, whose object has version: "2.3.1": not psl's version."""
    from pkgscan.inventory.jsbundle import _OWN_VERSION

    assert [m.group(1) for m in _OWN_VERSION.finditer('var punycode = {\n  version: "2.3.1",\n  ucs2: {}\n};')] == []
    assert [m.group(1) for m in _OWN_VERSION.finditer("var VERSION = '4.17.15';")] == ["4.17.15"]
    assert [m.group(1) for m in _OWN_VERSION.finditer('exports.version = "1.2.3"; x.version == "9.9.9"')] == ["1.2.3"]


def test_two_copies_of_a_package_in_one_bundle_are_two_components():
    """ms 2.1.1 at the top and ms 2.0.0 under debug (real release files, tests/fixtures/npm): each copy
    names its own release, so both are reported, each with its evidence, neither version lost."""
    fx = ROOT / "tests" / "fixtures" / "npm"
    text = ("// node_modules/ms/index.js\n" + (fx / "ms-2.1.1-index.js").read_text()
            + "\n// node_modules/debug/node_modules/ms/index.js\n" + (fx / "ms-2.0.0-index.js").read_text()
            + "\n// index.js\nmodule.exports = 1;\n")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("index.js", text)
    inv = scan_tree(ZipTree(BytesSource(out.getvalue()), DEFAULT_LIMITS), "copies.zip")
    ms = sorted((c.version, c) for c in inv.components if c.name == "ms")
    assert [v for v, _ in ms] == ["2.0.0", "2.1.1"]
    assert any("node_modules/debug/node_modules/ms/" in e.detail for e in ms[0][1].evidence)


def test_a_dependent_narrows_a_tie_only_when_its_bundled_code_loads_the_package():
    """async 2.6.3's dist file is self-contained: its range on lodash says nothing about the bundled
    lodash (npm gave async its own).  A range counts only when the dependent's code loads the package."""
    from pkgscan.inventory.jsbundle import _loads, _Pkg

    jws = _Pkg("jws", content=['// node_modules/jws/index.js\nvar require_jws = __commonJS({\n  "node_modules/jws/index.js"(exports2) {}\n});\n'])
    esbuilt = _Pkg("jsonwebtoken", content=["    var jws = require_jws();\n"])
    original = _Pkg("jsonwebtoken", content=["var jws = require('jws');\n"])
    subpath = _Pkg("x", content=['import { sign } from "jws/lib/sign-stream.js";\n'])
    silent = _Pkg("async", content=["    function forEach(coll) { return coll; }\n    var jwsLike = 'jws';\n"])
    assert _loads(esbuilt, jws) and _loads(original, jws) and _loads(subpath, jws)
    assert not _loads(silent, jws)
