"""Behaviour of the inventory on small trees built from real metadata.

Every file put in a tree is real: a member of ``sample_packages/*.zip``, a peer fixture from
``tests/fixtures/peer/`` or a METADATA file from a PyPI wheel in ``tests/fixtures/inventory/``
(see its README).  Each tree is scanned as a directory and as a zip; both must agree.
"""
from __future__ import annotations

import zipfile
from functools import lru_cache
from pathlib import Path

import pytest

from pkgscan import scan_path
from pkgscan.inventory.python import PythonInstalledCataloger
from pkgscan.model import NPM, PYPI

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_packages"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
INVENTORY = FIXTURES / "inventory"
PEER = FIXTURES / "peer"
SITE = "python/lib/python3.12/site-packages"


@lru_cache(maxsize=None)
def _zip_members(name: str) -> dict[str, bytes]:
    with zipfile.ZipFile(SAMPLES / f"{name}.zip") as zf:
        return {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}


def sample(zip_name: str, member: str) -> bytes:
    return _zip_members(zip_name)[member]


def samples(zip_name: str, prefix: str = "", strip: str = "", add: str = "") -> dict[str, bytes]:
    """Members of a sample zip under ``prefix``, re-rooted: ``strip`` removed, ``add`` prepended."""
    out = {}
    for path, data in _zip_members(zip_name).items():
        if path.startswith(prefix):
            assert path.startswith(strip)
            out[add + path[len(strip):]] = data
    return out


def inventory_file(name: str) -> bytes:
    return (INVENTORY / name).read_bytes()


def peer(path: str) -> bytes:
    return (PEER / path).read_bytes()


_HEADER_BUG = (
    "BUG pkgscan/inventory/python.py parse_headers: a whitespace-only continuation line ('        ', how "
    "hatchling/setuptools encode a blank line inside a multi-line License or Description) is taken as the "
    "end of the headers, so every later header is lost: traitlets 5.14.3 and jupyter_core 5.7.2 lose their "
    "Classifier and Requires-Dist headers (no jupyter_core -> traitlets edge) and report the first line of "
    "the license text ('BSD 3-Clause License') as the license. email.parser treats such a line as a "
    "continuation. Fix: end the headers only at a line that is empty (''), not at one that is blank"
)


# members of the samples used below
NF = "node-function"
NL = "node-layer"
PF = "python-function"
PL = "python-layer"
PLS = "python-layer-sitepackages"
PLS_SITE = "python/lib/python3.12/site-packages/"


def _view(inv):
    return sorted((c.ecosystem, c.name, c.version, tuple(sorted((o.location, o.root) for o in c.occurrences)),
                   c.missing_from_lockfile, c.declared_in) for c in inv.components)


def scan(tmp_path: Path, files: dict[str, bytes], layout: str | None = None):
    root = tmp_path / "pkg"
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    root.mkdir(exist_ok=True)
    zpath = tmp_path / "pkg.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel in sorted(files):
            zf.writestr(rel, files[rel])
    inv_zip = scan_path(zpath, layout=layout)
    inv_dir = scan_path(root, layout=layout)
    assert _view(inv_zip) == _view(inv_dir)
    assert inv_zip.dependencies == inv_dir.dependencies
    assert inv_zip.declared_only == inv_dir.declared_only
    assert inv_zip.artifact.layout == inv_dir.artifact.layout
    return inv_zip


def ids(inv, ecosystem: str | None = None) -> set[tuple[str, str]]:
    return {(c.name, c.version) for c in inv.components if ecosystem in (None, c.ecosystem)}


def edges(inv) -> set[tuple[str, str]]:
    """Dependency edges as ('name@version', 'name@version')."""
    by_purl = {c.purl: f"{c.name}@{c.version}" for c in inv.components}
    return {(by_purl[a], by_purl[b]) for a, b in inv.dependencies}


# ==================================================================================================
# Node: what counts as an installed package


def test_scoped_packages(tmp_path):
    inv = scan(tmp_path, {
        "node_modules/@tootallnate/once/package.json": sample(NF, "node_modules/@tootallnate/once/package.json"),
        "nodejs/node_modules/@types/aws-lambda/package.json": sample(NL, "nodejs/node_modules/@types/aws-lambda/package.json"),
    })
    assert ids(inv) == {("@tootallnate/once", "2.0.0"), ("@types/aws-lambda", "8.10.147")}
    once = inv.component(NPM, "@tootallnate/once")
    assert once.purl == "pkg:npm/%40tootallnate/once@2.0.0"
    assert once.occurrences[0].root == "node_modules"
    assert inv.component(NPM, "@types/aws-lambda").occurrences[0].root == "nodejs/node_modules"


def test_npm_alias_directory_reports_the_real_name(tmp_path):
    """"my-alias": "npm:left-pad@1.3.0" installs left-pad into node_modules/my-alias."""
    inv = scan(tmp_path, {"node_modules/my-alias/package.json": sample(NF, "node_modules/my-alias/package.json")})
    assert ids(inv) == {("left-pad", "1.3.0")}
    c = inv.component(NPM, "left-pad", "1.3.0")
    assert c.purl == "pkg:npm/left-pad@1.3.0"
    assert [o.location for o in c.occurrences] == ["node_modules/my-alias/package.json"]


def test_several_versions_at_different_depths(tmp_path):
    inv = scan(tmp_path, samples(NL, "nodejs/node_modules/"))
    assert {v for n, v in ids(inv) if n == "ms"} == {"2.1.1", "2.0.0"}
    assert {v for n, v in ids(inv) if n == "debug"} == {"2.6.8", "2.6.9"}
    assert [o.location for o in inv.component(NPM, "ms", "2.1.1").occurrences] == ["nodejs/node_modules/ms/package.json"]
    assert [o.location for o in inv.component(NPM, "debug", "2.6.9").occurrences] == [
        "nodejs/node_modules/finalhandler/node_modules/debug/package.json"]
    assert len(inv.components) == 15  # the sample's ground truth


def test_package_json_outside_a_package_root_is_ignored(tmp_path):
    """dist/package.json (a build's copy of the manifest), a package's own sub-folder manifests
    (date-fns's fp/isSaturday/package.json from syft's fixtures) and the function's manifest are not packages."""
    manifest = sample(NF, "package.json")
    partial = peer("package-json/syft/pkg-json/package-partial.json")
    full = sample(NF, "node_modules/follow-redirects/package.json")
    inv = scan(tmp_path, {
        "package.json": manifest,
        "dist/package.json": manifest,
        "node_modules/axios/package.json": sample(NF, "node_modules/axios/package.json"),
        "node_modules/axios/dist/package.json": full,
        "node_modules/axios/lib/package.json": full,
        "node_modules/axios/lib/fp/isSaturday/package.json": partial,
        "node_modules/@tootallnate/once/package.json": sample(NF, "node_modules/@tootallnate/once/package.json"),
        "node_modules/@tootallnate/once/dist/package.json": full,
    })
    assert ids(inv) == {("axios", "0.21.0"), ("@tootallnate/once", "2.0.0")}
    assert not inv.notices


def test_bin_dir_and_hidden_lockfile_are_not_packages(tmp_path):
    files = samples(NF)
    assert "node_modules/.bin/mkdirp" in files and "node_modules/.package-lock.json" in files
    inv = scan(tmp_path, files)
    assert ids(inv) == {
        ("@tootallnate/once", "2.0.0"), ("axios", "0.21.0"), ("follow-redirects", "1.16.3"), ("lodash", "4.17.15"),
        ("minimist", "1.2.0"), ("minimist", "0.0.8"), ("mkdirp", "0.5.1"), ("left-pad", "1.3.0"), ("node-fetch", "2.6.0"),
    }
    assert not any(".bin" in o.location or ".package-lock" in o.location for c in inv.components for o in c.occurrences)
    assert "node_modules/.package-lock.json" in inv.lockfiles  # a lockfile, not a package


# ==================================================================================================
# Python: metadata forms


def test_dist_info_egg_info_dir_and_egg_info_file(tmp_path):
    inv = scan(tmp_path, {
        f"{SITE}/pip-22.2.2.dist-info/METADATA": peer("python-metadata/osv-scalibr/distinfo_meta"),
        f"{SITE}/httplib2-0.20.4.egg-info/PKG-INFO": peer("python-metadata/osv-scalibr/pkginfo"),
        f"{SITE}/pycups-2.0.1.egg-info": peer("python-metadata/osv-scalibr/egginfo"),
        # files beside the metadata that are not metadata
        f"{SITE}/httplib2-0.20.4.egg-info/top_level.txt": peer("python-metadata/syft/site-packages/nested/egg-name/egg-info/top_level.txt"),
        f"{SITE}/pip-22.2.2.dist-info/RECORD": peer("python-metadata/syft/site-packages/nested/dist-name/dist-info/RECORD"),
    })
    assert ids(inv) == {("pip", "22.2.2"), ("httplib2", "0.20.4"), ("pycups", "2.0.1")}
    locs = {c.name: [(o.location, o.root) for o in c.occurrences] for c in inv.components}
    assert locs["httplib2"] == [(f"{SITE}/httplib2-0.20.4.egg-info/PKG-INFO", SITE)]
    assert locs["pycups"] == [(f"{SITE}/pycups-2.0.1.egg-info", SITE)]
    assert locs["pip"] == [(f"{SITE}/pip-22.2.2.dist-info/METADATA", SITE)]


def test_pypi_names_are_pep503_normalized(tmp_path):
    inv = scan(tmp_path, samples(PL, "python/"))
    names = {n for n, _ in ids(inv)}
    assert {"pyjwt", "jaraco-functools", "more-itertools", "python-dateutil", "typing-extensions"} <= names
    assert inv.component(PYPI, "jaraco-functools").purl == "pkg:pypi/jaraco-functools@4.1.0"


# ==================================================================================================
# Python dependency edges: Requires-Dist with environment markers


def _marker_tree() -> dict[str, bytes]:
    s = PLS_SITE
    return {
        **{f"{SITE}/{k[len(s):]}": v for k, v in samples(PLS, s).items() if k.endswith("/METADATA") and (
            "requests-" in k or "urllib3-" in k or "certifi-" in k or "idna-" in k or "chardet-" in k or "attrs-" in k)},
        f"{SITE}/six-1.12.0.dist-info/METADATA": sample(PL, "python/six-1.12.0.dist-info/METADATA"),
        f"{SITE}/typing_extensions-4.12.2.dist-info/METADATA": sample(PL, "python/typing_extensions-4.12.2.dist-info/METADATA"),
        f"{SITE}/PySocks-1.7.1.dist-info/METADATA": inventory_file("PySocks-1.7.1.METADATA"),
        f"{SITE}/jsonschema-3.2.0.dist-info/METADATA": inventory_file("jsonschema-3.2.0.METADATA"),
        f"{SITE}/importlib_metadata-6.7.0.dist-info/METADATA": inventory_file("importlib_metadata-6.7.0.METADATA"),
        f"{SITE}/zipp-3.12.1.dist-info/METADATA": peer("python-metadata/trivy/zipp-3.12.1.METADATA"),
    }


def test_requires_dist_plain_dependency_is_an_edge(tmp_path):
    e = edges(scan(tmp_path, _marker_tree()))
    assert {("requests@2.20.0", "urllib3@1.24.1"), ("requests@2.20.0", "idna@2.7"),
            ("jsonschema@3.2.0", "six@1.12.0"), ("jsonschema@3.2.0", "attrs@25.3.0"),
            ("importlib-metadata@6.7.0", "zipp@3.12.1")} <= e


def test_requires_dist_extra_is_not_an_edge(tmp_path):
    """requests: PySocks; extra == 'socks'.  urllib3: certifi; extra == 'secure'.  jsonschema: idna; extra == 'format'."""
    inv = scan(tmp_path, _marker_tree())
    assert inv.component(PYPI, "pysocks", "1.7.1") is not None  # installed, yet not a dependency
    e = edges(inv)
    assert ("requests@2.20.0", "pysocks@1.7.1") not in e
    assert ("urllib3@1.24.1", "pysocks@1.7.1") not in e
    assert ("urllib3@1.24.1", "certifi@2018.10.15") not in e
    assert ("jsonschema@3.2.0", "idna@2.7") not in e
    assert ("requests@2.20.0", "certifi@2018.10.15") in e  # requests needs certifi unconditionally


def test_requires_dist_python_version_marker_is_evaluated(tmp_path):
    """jsonschema 3.2.0: functools32; python_version < "3" and importlib-metadata; python_version < "3.8".
    importlib_metadata 6.7.0: typing-extensions; python_version < "3.8".  Lambda runs Python 3."""
    inv = scan(tmp_path, _marker_tree())
    e = edges(inv)
    assert ("jsonschema@3.2.0", "importlib-metadata@6.7.0") not in e
    assert ("importlib-metadata@6.7.0", "typing-extensions@4.12.2") not in e
    inst = PythonInstalledCataloger().parse(f"{SITE}/jsonschema-3.2.0.dist-info/METADATA",
                                            inventory_file("jsonschema-3.2.0.METADATA"), [])
    assert set(inst.requires) == {"attrs", "pyrsistent", "setuptools", "six"}  # no functools32


def test_requires_dist_after_a_multiline_license_field(tmp_path):
    """jupyter_core 5.7.2 depends on traitlets (plain Requires-Dist after a License field of 30 lines)."""
    inv = scan(tmp_path, {
        f"{SITE}/jupyter_core-5.7.2.dist-info/METADATA": inventory_file("jupyter_core-5.7.2.METADATA"),
        f"{SITE}/traitlets-5.14.3.dist-info/METADATA": inventory_file("traitlets-5.14.3.METADATA"),
    })
    assert ids(inv) == {("jupyter-core", "5.7.2"), ("traitlets", "5.14.3")}
    assert ("jupyter-core@5.7.2", "traitlets@5.14.3") in edges(inv)


# ==================================================================================================
# Node resolution edges


def test_node_resolution_nested_copy_wins_over_top_level(tmp_path):
    inv = scan(tmp_path, samples(NF, "node_modules/"))
    e = edges(inv)
    assert ("mkdirp@0.5.1", "minimist@0.0.8") in e
    assert ("mkdirp@0.5.1", "minimist@1.2.0") not in e
    assert ("axios@0.21.0", "follow-redirects@1.16.3") in e  # falls back to the top level


def test_node_resolution_in_a_layer(tmp_path):
    e = edges(scan(tmp_path, samples(NL, "nodejs/node_modules/")))
    assert ("debug@2.6.8", "ms@2.0.0") in e and ("debug@2.6.8", "ms@2.1.1") not in e
    assert ("finalhandler@1.1.2", "debug@2.6.9") in e and ("finalhandler@1.1.2", "debug@2.6.8") not in e
    # finalhandler/node_modules/debug finds ms in finalhandler/node_modules (its parent's folder)
    assert ("debug@2.6.9", "ms@2.0.0") in e
    assert ("on-finished@2.3.0", "ee-first@1.1.1") in e


def test_node_resolution_under_nodejs_node20(tmp_path):
    files = samples("node-layer-node20", "nodejs/node20/node_modules/")
    e = edges(scan(tmp_path, files))
    assert ("jsonwebtoken@8.5.1", "jws@3.2.3") in e
    assert ("jws@3.2.3", "jwa@1.4.2") in e


# ==================================================================================================
# Layout detection


@pytest.mark.parametrize("files,layout,root", [
    pytest.param(lambda: {"lambda_function.py": sample(PF, "lambda_function.py"),
                          "six-1.12.0.dist-info/METADATA": sample(PL, "python/six-1.12.0.dist-info/METADATA")},
                 "function", "", id="python-function"),
    pytest.param(lambda: {"python/six-1.12.0.dist-info/METADATA": sample(PL, "python/six-1.12.0.dist-info/METADATA")},
                 "layer", "python", id="python-layer-short"),
    pytest.param(lambda: {f"{SITE}/six-1.12.0.dist-info/METADATA": sample(PL, "python/six-1.12.0.dist-info/METADATA")},
                 "layer", SITE, id="python-layer-site-packages"),
    pytest.param(lambda: {"index.js": sample(NF, "index.js"),
                          "node_modules/lodash/package.json": sample(NF, "node_modules/lodash/package.json")},
                 "function", "node_modules", id="node-function"),
    pytest.param(lambda: {"node_modules/lodash/package.json": sample(NF, "node_modules/lodash/package.json")},
                 "function", "node_modules", id="node-function-without-handler"),
    pytest.param(lambda: {"nodejs/node_modules/lodash/package.json": sample(NF, "node_modules/lodash/package.json")},
                 "layer", "nodejs/node_modules", id="node-layer"),
    pytest.param(lambda: {"nodejs/node20/node_modules/lodash/package.json": sample(NF, "node_modules/lodash/package.json")},
                 "layer", "nodejs/node20/node_modules", id="node-layer-node20"),
])
def test_layout_detection(tmp_path, files, layout, root):
    inv = scan(tmp_path, files())
    assert inv.artifact.layout == layout
    assert len(inv.components) == 1
    assert [o.root for o in inv.components[0].occurrences] == [root]


def test_layout_can_be_forced(tmp_path):
    inv = scan(tmp_path, {"nodejs/node_modules/lodash/package.json": sample(NF, "node_modules/lodash/package.json")},
               layout="function")
    assert inv.artifact.layout == "function"


def test_python_layer_marker_environment_follows_the_site_packages_version(tmp_path):
    """The same pyOpenSSL METADATA in python3.12 and python3.13 site-packages: typing-extensions is a
    dependency only where python_version < "3.13"."""
    pyopenssl = peer("python-metadata/osv-scalibr/pyopenssl-26.0.0.dist-info")
    te = sample(PL, "python/typing_extensions-4.12.2.dist-info/METADATA")
    files = {}
    for ver in ("3.12", "3.13"):
        site = f"python/lib/python{ver}/site-packages"
        files[f"{site}/pyOpenSSL-26.0.0.dist-info/METADATA"] = pyopenssl
        files[f"{site}/typing_extensions-4.12.2.dist-info/METADATA"] = te
    inv = scan(tmp_path, files)
    # both copies are one component each; the edge exists because the 3.12 copy asks for it
    assert edges(inv) == {("pyopenssl@26.0.0", "typing-extensions@4.12.2")}
    cat = PythonInstalledCataloger()
    assert "typing-extensions" not in cat.parse(
        "python/lib/python3.13/site-packages/pyOpenSSL-26.0.0.dist-info/METADATA", pyopenssl, []).requires


# ==================================================================================================
# Reconciliation with lockfiles


def _needs_parser(module: str):
    import importlib

    try:
        importlib.import_module(f"pkgscan.inventory.lockfiles.{module}")
    except ImportError:
        pytest.skip(f"lockfile parser pkgscan.inventory.lockfiles.{module} not available yet")


def test_package_lock_entry_not_installed_is_declared_only(tmp_path):
    _needs_parser("npm_lock")
    files = samples(NF)
    del files["node_modules/node-fetch/package.json"]
    inv = scan(tmp_path, files)
    assert inv.component(NPM, "node-fetch") is None
    declared = {(d.name, d.version, d.lockfile) for d in inv.declared_only}
    assert declared == {("node-fetch", "2.6.0", "package-lock.json"), ("node-fetch", "2.6.0", "node_modules/.package-lock.json")}
    assert not any(c.missing_from_lockfile for c in inv.components)


def test_installed_package_absent_from_complete_lockfile_is_flagged(tmp_path):
    _needs_parser("npm_lock")
    files = samples(NF)
    files["node_modules/ms/package.json"] = sample(NL, "nodejs/node_modules/ms/package.json")
    inv = scan(tmp_path, files)
    flagged = {(c.name, c.version) for c in inv.components if c.missing_from_lockfile}
    assert flagged == {("ms", "2.1.1")}
    assert inv.component(NPM, "ms").declared_in == ()
    assert inv.component(NPM, "lodash").declared_in == ("node_modules/.package-lock.json", "package-lock.json")
    # the alias and the nested copy are matched by install path
    assert inv.component(NPM, "left-pad").declared_in == ("node_modules/.package-lock.json", "package-lock.json")
    assert "package-lock.json" in inv.component(NPM, "minimist", "0.0.8").declared_in
    assert inv.declared_only == ()


def test_layer_lockfile_covers_its_own_node_modules(tmp_path):
    _needs_parser("npm_lock")
    files = samples(NL)
    del files["nodejs/node_modules/.package-lock.json"]
    del files["nodejs/node_modules/qs/package.json"]
    inv = scan(tmp_path, files)
    assert inv.lockfiles == ("nodejs/package-lock.json",)
    assert {(d.name, d.version) for d in inv.declared_only} == {("qs", "6.5.2")}
    assert all(c.declared_in == ("nodejs/package-lock.json",) for c in inv.components)
    assert not any(c.missing_from_lockfile for c in inv.components)


def test_requirements_txt_declares_but_never_flags_missing(tmp_path):
    _needs_parser("requirements")
    files = samples(PF)
    files["six-1.12.0.dist-info/METADATA"] = sample(PL, "python/six-1.12.0.dist-info/METADATA")
    del files["urllib3-1.23.dist-info/METADATA"]
    inv = scan(tmp_path, files)
    assert inv.lockfiles == ("requirements.txt",)
    six = inv.component(PYPI, "six", "1.12.0")
    assert six is not None and not six.missing_from_lockfile and six.declared_in == ()
    assert not any(c.missing_from_lockfile for c in inv.components)
    assert inv.component(PYPI, "requests").declared_in == ("requirements.txt",)
    assert inv.component(PYPI, "jinja2").declared_in == ("requirements.txt",)  # 'Jinja2==2.10'
    assert {(d.name, d.version, d.lockfile) for d in inv.declared_only} == {("urllib3", "1.23", "requirements.txt")}


def test_requirements_pin_matches_installed_version_by_pep440(tmp_path):
    _needs_parser("requirements")
    files = samples(PF)
    req = files["requirements.txt"].decode()
    assert "certifi==2018.4.16\n" in req
    files["requirements.txt"] = req.replace("certifi==2018.4.16", "certifi==2018.04.16").encode()
    inv = scan(tmp_path, files)
    assert inv.component(PYPI, "certifi", "2018.4.16").declared_in == ("requirements.txt",)
    assert inv.declared_only == ()


# ==================================================================================================
# Evidence


def test_component_installed_at_two_paths_has_two_occurrences(tmp_path):
    inv = scan(tmp_path, samples(NL, "nodejs/node_modules/"))
    ms = inv.component(NPM, "ms", "2.0.0")
    assert sorted(o.location for o in ms.occurrences) == [
        "nodejs/node_modules/debug/node_modules/ms/package.json",
        "nodejs/node_modules/finalhandler/node_modules/ms/package.json",
    ]


def test_python_component_in_two_roots_has_two_occurrences(tmp_path):
    six = sample(PL, "python/six-1.12.0.dist-info/METADATA")
    inv = scan(tmp_path, {"python/six-1.12.0.dist-info/METADATA": six, f"{SITE}/six-1.12.0.dist-info/METADATA": six})
    c = inv.component(PYPI, "six", "1.12.0")
    assert len(inv.components) == 1
    assert sorted((o.location, o.root) for o in c.occurrences) == [
        (f"{SITE}/six-1.12.0.dist-info/METADATA", SITE),
        ("python/six-1.12.0.dist-info/METADATA", "python"),
    ]


# ==================================================================================================
# Licenses


@pytest.mark.parametrize("zip_name,member,name,want", [
    # License-Expression wins
    (PLS, f"{PLS_SITE}attrs-25.3.0.dist-info/METADATA", "attrs", ("MIT",)),
    # classifiers only (no License field)
    (PLS, f"{PLS_SITE}packaging-24.2.dist-info/METADATA", "packaging", ("Apache-2.0", "BSD License")),
    # classifiers beat a free-text License field ("Dual License")
    (PL, "python/python_dateutil-2.8.0.dist-info/METADATA", "python-dateutil", ("BSD License", "Apache-2.0")),
    # a classifier that names no exact license loses to a short License field
    (PF, "chardet-3.0.4.dist-info/METADATA", "chardet", ("LGPL",)),  # a short License field beats a classifier that names no exact license
    (PF, "MarkupSafe-1.1.1.dist-info/METADATA", "markupsafe", ("BSD-3-Clause",)),  # the same rule
    (PF, "requests-2.19.1.dist-info/METADATA", "requests", ("Apache-2.0",)),
])
def test_python_license_from_sample(tmp_path, zip_name, member, name, want):
    inv = scan(tmp_path, {f"{SITE}/{member.rsplit('/', 2)[-2]}/METADATA": sample(zip_name, member)})
    assert inv.component(PYPI, name).licenses == want


@pytest.mark.parametrize("file,name,want", [
    # 'License: UNKNOWN' is no license; the MIT classifier is
    ("jsonschema-3.2.0.METADATA", "jsonschema", ("MIT",)),
    # only 'License: BSD' (short, one line)
    ("PySocks-1.7.1.METADATA", "pysocks", ("BSD",)),
])
def test_python_license_from_wheel_metadata(tmp_path, file, name, want):
    inv = scan(tmp_path, {f"{SITE}/{file.replace('.METADATA', '.dist-info')}/METADATA": inventory_file(file)})
    assert inv.component(PYPI, name).licenses == want


@pytest.mark.parametrize("file,name", [("traitlets-5.14.3.METADATA", "traitlets"), ("jupyter_core-5.7.2.METADATA", "jupyter-core")])
def test_python_long_license_text_is_ignored(tmp_path, file, name):
    """The whole BSD text in License: is not a license name; the classifier 'BSD License' is reported."""
    inv = scan(tmp_path, {f"{SITE}/{file.replace('.METADATA', '.dist-info')}/METADATA": inventory_file(file)})
    assert inv.component(PYPI, name).licenses == ("BSD License",)


@pytest.mark.parametrize("member,data,want", [
    ("node_modules/lodash/package.json", lambda: sample(NF, "node_modules/lodash/package.json"), ("MIT",)),
    ("node_modules/left-pad/package.json", lambda: sample(NF, "node_modules/my-alias/package.json"), ("WTFPL",)),
    ("node_modules/qs/package.json", lambda: sample(NL, "nodejs/node_modules/qs/package.json"), ("BSD-3-Clause",)),
    # {"type": "ISC", "url": ...}
    ("node_modules/npm/package.json", lambda: peer("package-json/syft/pkg-json/package-license-object.json"), ("ISC",)),
    # legacy "licenses": [{"type": "MIT", ...}, {"type": "Apache-2.0", ...}]
    ("node_modules/npm/package.json", lambda: peer("package-json/syft/pkg-json/package-license-objects.json"), ("MIT", "Apache-2.0")),
    # no license field at all
    ("node_modules/npm/package.json", lambda: peer("package-json/syft/pkg-json/package-no-license.json"), ()),
], ids=["string", "string-wtfpl", "string-bsd", "object", "legacy-list", "none"])
def test_package_json_licenses(tmp_path, member, data, want):
    inv = scan(tmp_path, {member: data()})
    assert len(inv.components) == 1
    assert inv.components[0].licenses == want


# ==================================================================================================
# Robustness of the installed catalogers


def test_blank_npm_name_does_not_break_the_scan(tmp_path):
    """lodash 4.17.15's package.json with its name replaced by spaces (adversarial input)."""
    data = sample(NF, "node_modules/lodash/package.json").decode()
    assert '"name": "lodash"' in data
    inv = scan(tmp_path, {"node_modules/lodash/package.json": data.replace('"name": "lodash"', '"name": "   "').encode()})
    assert ids(inv) == {("lodash", "4.17.15")}
