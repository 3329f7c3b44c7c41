"""Installed-package catalogers against other scanners' fixtures and assertions.

Fixtures: ``tests/fixtures/peer/python-metadata`` and ``tests/fixtures/peer/package-json`` (byte-identical
copies of osv-scalibr, trivy and syft test data; see ``ATTRIBUTION.md`` / ``PROVENANCE.tsv`` there).
Each case puts the fixture under its real name in a tree laid out as Lambda would see it
(``python/lib/python3.12/site-packages/<dist>.dist-info/METADATA``, ``node_modules/<name>/package.json``),
scans the directory *and* a zip of it with ``scan_path`` and compares (name, version) -- and the
licenses, where the peer asserts them -- with what the peer's own tests assert.

Conventions and decisions (each one also sits next to the case it concerns):

- PyPI names: pkgscan reports PEP 503 names (``canonicalize_name``), so a peer's ``pyOpenSSL`` or
  ``backports.ssl_match_hostname`` is compared as ``pyopenssl`` / ``backports-ssl-match-hostname``.
- Identity is one component per name@version; the same name@version installed at N paths is one
  component with N occurrences.  A peer that reports one package per location (syft) is compared by
  counting occurrences.
- Python licenses: pkgscan turns a trove classifier whose meaning is exactly one SPDX id into that id,
  where trivy keeps the classifier's leaf text (``MIT License``); ``PY_CLASSIFIER_SPDX`` pins the
  correspondence.  ``License: UNKNOWN`` is not a license (trivy keeps it literally).  pkgscan reads
  declared license *names* only: it does not classify the text of LICENSE files nor report
  ``License-File`` pointers (``LICENSE_DECISIONS``).
- Cases about formats that do not occur as installed packages in a Lambda deployment package
  (``.whl`` / ``.egg`` zip files) are listed in ``OUT_OF_SCOPE`` with the reason; every key of every
  ``expected.json`` used here is either a case or an exception (``test_every_peer_case_is_accounted_for``).
- Where pkgscan and a peer disagree on purpose the case carries the decided expectation and the
  reason (``*_DECISIONS``).  Where pkgscan is believed wrong the case is ``xfail(strict=True)``.
"""
from __future__ import annotations

import json
import shutil
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from pkgscan import scan_path
from pkgscan.inventory.node import NodeInstalledCataloger
from pkgscan.inventory.python import PythonInstalledCataloger
from pkgscan.model import NPM, PYPI

PEER = Path(__file__).resolve().parent / "fixtures" / "peer"
PYMETA = PEER / "python-metadata"
PKGJSON = PEER / "package-json"
SITE = "python/lib/python3.12/site-packages"


def _expected(fmt_dir: Path, peer: str) -> dict:
    return json.loads((fmt_dir / peer / "expected.json").read_text())


# --------------------------------------------------------------------------------------------------
# scanning helpers


def _materialize(root: Path, placements: dict[str, Path]) -> None:
    for dest, src in placements.items():
        target = root / dest
        if src.is_dir():
            shutil.copytree(src, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)


def _zip_dir(src: Path, dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(src.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(src).as_posix())
    return dest


def _view(inv):
    return sorted((c.ecosystem, c.name, c.version, tuple(sorted(o.location for o in c.occurrences))) for c in inv.components)


def scan_tree(tmp_path: Path, placements: dict[str, Path]):
    """Lay the files out under tmp_path/pkg, scan the directory and a zip of it; they must agree."""
    root = tmp_path / "pkg"
    root.mkdir()
    _materialize(root, placements)
    inv_dir = scan_path(root)
    inv_zip = scan_path(_zip_dir(root, tmp_path / "pkg.zip"))
    assert _view(inv_dir) == _view(inv_zip)
    assert inv_zip.artifact.kind == "zip"
    return inv_zip


def occurrence_counts(inv, ecosystem: str) -> Counter:
    return Counter({(c.name, c.version): len(c.occurrences) for c in inv.components if c.ecosystem == ecosystem})


# --------------------------------------------------------------------------------------------------
# Python: *.dist-info/METADATA, *.egg-info/PKG-INFO, *.egg-info (file)

#: trove classifier leaf (as trivy reports it) -> the SPDX id pkgscan reports for it
PY_CLASSIFIER_SPDX = {
    "MIT License": "MIT",
    "Python Software Foundation License": "PSF-2.0",
    "GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
    # ambiguous: kept as text by both
    "BSD License": "BSD License",
}
#: license strings a peer reports that pkgscan, by decision, does not
PY_NOT_A_LICENSE = {"UNKNOWN": "License: UNKNOWN is the absence of a license declaration (trivy keeps it literally)"}

#: (peer, key, name) -> (licenses pkgscan reports, reason) where the peer's license differs on purpose
_CLASSIFIER_FIRST = (
    "requests 2.22.0 declares 'License: Apache 2.0' and the classifier 'Apache Software License'; pkgscan "
    "prefers an unambiguous classifier (-> Apache-2.0, as for the requests wheels in sample_packages), as "
    "trivy does; syft prefers the License field"
)
LICENSE_DECISIONS = {
    ("trivy", "networkx-3.0.METADATA", "networkx"): (
        set(),
        "trivy reports the License-File pointer 'file://LICENSE.txt'; pkgscan reports declared license "
        "names only, and networkx 3.0 declares none (no License, License-Expression or classifier)",
    ),
    ("trivy-analyzer", "license-file-dist/", "typing-extensions"): (
        set(),
        "trivy classifies the text of licenses/LICENSE.txt (BeOpen, CNRI-Python-GPL-Compatible, ...); pkgscan "
        "does not classify license-file text, and typing_extensions 4.4.0's METADATA declares no license",
    ),
    ("syft", "site-packages/license/", "pygments"): (
        {"BSD License"},
        "syft classifies LICENSE.txt as BSD-3-Clause; pkgscan reports the declared classifier "
        "'License :: OSI Approved :: BSD License', which is ambiguous and kept as text",
    ),
    ("syft", "site-packages/nested/", "requests"): ({"Apache-2.0"}, _CLASSIFIER_FIRST),
    ("syft", "site-packages/uppercase/", "requests"): ({"Apache-2.0"}, _CLASSIFIER_FIRST),
    ("syft", "site-packages/test/", "requests"): ({"Apache-2.0"}, _CLASSIFIER_FIRST),
    ("syft", "site-packages/nested/egg-name/egg-info/PKG-INFO", "requests"): ({"Apache-2.0"}, _CLASSIFIER_FIRST),
}


@dataclass
class PyCase:
    peer: str
    key: str
    #: destination (relative to the site-packages dir unless it starts with '/') -> fixture (relative to the peer dir)
    files: dict[str, str]
    #: compare only these (canonical) names of the peer's packages, for keys split into several cases
    select: tuple[str, ...] = ()
    #: Requires-Dist after marker evaluation for CPython 3.12 on Linux (peers assert the raw list)
    requires: dict[str, set[str]] = field(default_factory=dict)
    xfail: str = ""
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.peer}:{self.key}" + (f"[{','.join(self.select)}]" if self.select else "")


_EGG_DIR_XFAIL = (
    "BUG pkgscan/inventory/python.py PythonInstalledCataloger.wants: an unpacked egg's "
    "'<x>.egg/EGG-INFO/PKG-INFO' is never selected (only '.egg-info/PKG-INFO' is), although "
    "metadata_root() already handles EGG-INFO; osv-scalibr, syft and trivy catalog it"
)
_HEADER_XFAIL = (
    "BUG pkgscan/inventory/python.py parse_headers: the whitespace-only continuation lines of requests "
    "2.22.0's multi-line Description ('        ') end the header block, so its Classifier headers are never "
    "read and the free-text 'License: Apache 2.0' is reported instead of the classifier's Apache-2.0. "
    "Fix: end the headers only at an empty line (see tests/test_inventory.py _HEADER_BUG)"
)
_UPPERCASE_XFAIL = (
    "DISAGREEMENT pkgscan/inventory/python.py PythonInstalledCataloger.wants: '<x>.DIST-INFO/METADATA' is "
    "missed; syft matches the suffix case-insensitively, and so does CPython's importlib.metadata "
    "(it lowercases directory names when searching), so the distribution is installed for Python"
)

PY_CASES = [
    # ---- osv-scalibr (one extractor on one file) --------------------------------------------------
    PyCase("osv-scalibr", "distinfo_meta", {"pip-22.2.2.dist-info/METADATA": "distinfo_meta"}),
    PyCase("osv-scalibr", "egginfo_pkginfo", {"setuptools-57.4.0-py3.9.egg/EGG-INFO/PKG-INFO": "egginfo_pkginfo"},
           ),
    PyCase("osv-scalibr", "egginfo", {"pycups-2.0.1.egg-info": "egginfo"}, note="single-file egg-info"),
    PyCase("osv-scalibr", "pkginfo", {"httplib2-0.20.4.egg-info/PKG-INFO": "pkginfo"}),
    PyCase("osv-scalibr", "malformed_pkginfo", {"passlib-1.7.4.egg-info/PKG-INFO": "malformed_pkginfo"},
           note="Keywords continued without indentation"),
    PyCase("osv-scalibr", "mixed_case", {"httplib2-1.0.dist-info/METADATA": "mixed_case"}, note="lower-case name:/version:"),
    PyCase("osv-scalibr", "special_chars",
           {"backports.ssl_match_hostname-3.5.0.1.dist-info/METADATA": "special_chars"},
           note="reported as backports-ssl-match-hostname (PEP 503)"),
    PyCase("osv-scalibr", "pyopenssl-26.0.0.dist-info", {"pyOpenSSL-26.0.0.dist-info/METADATA": "pyopenssl-26.0.0.dist-info"},
           requires={"pyopenssl": {"cryptography", "typing-extensions"}},
           note="reported as pyopenssl; the python_version<'3.13' dep applies on 3.12, extras do not"),
    PyCase("osv-scalibr", "repeated_pkginfo", {"root-1.0.0.dist-info/METADATA": "repeated_pkginfo"},
           requires={"root": {"dep1", "dep2", "dep3"}}, note="first of three Version headers wins"),
    PyCase("osv-scalibr", "empty", {"empty-0.dist-info/METADATA": "empty"}, note="error -> no component, a notice"),
    # ---- trivy (parser on one file) --------------------------------------------------------------
    PyCase("trivy", "setuptools-51.3.3-py3.8.egg-info.PKG-INFO",
           {"setuptools-51.3.3-py3.8.egg-info/PKG-INFO": "setuptools-51.3.3-py3.8.egg-info.PKG-INFO"}),
    PyCase("trivy", "unidecode-egg-info.PKG-INFO",
           {"Unidecode-0.4.1-py3.8.egg-info/PKG-INFO": "unidecode-egg-info.PKG-INFO"},
           note="non-RFC-7230 bytes, mixed CR/LF; reported as unidecode"),
    PyCase("trivy", "distlib-0.3.1-py3.9.egg-info", {"distlib-0.3.1-py3.9.egg-info": "distlib-0.3.1-py3.9.egg-info"}),
    PyCase("trivy", "simple-0.1.0.METADATA", {"simple-0.1.0.dist-info/METADATA": "simple-0.1.0.METADATA"},
           note="'Name: simple ' trimmed"),
    PyCase("trivy", "distlib-0.3.1.METADATA", {"distlib-0.3.1.dist-info/METADATA": "distlib-0.3.1.METADATA"}),
    PyCase("trivy", "asyncssh-2.14.2.METADATA", {"asyncssh-2.14.2.dist-info/METADATA": "asyncssh-2.14.2.METADATA"},
           note="classifier 'License :: OSI Approved' has no leaf -> License: field"),
    PyCase("trivy", "pyphen-0.14.0.METADATA", {"pyphen-0.14.0.dist-info/METADATA": "pyphen-0.14.0.METADATA"}),
    PyCase("trivy", "invalid.json", {"invalid-0.0.0.dist-info/METADATA": "invalid.json"}, note="error -> no component, a notice"),
    PyCase("trivy", "iniconfig-2.0.0.METADATA", {"iniconfig-2.0.0.dist-info/METADATA": "iniconfig-2.0.0.METADATA"}),
    PyCase("trivy", "zipp-3.12.1.METADATA", {"zipp-3.12.1.dist-info/METADATA": "zipp-3.12.1.METADATA"}),
    PyCase("trivy", "networkx-3.0.METADATA", {"networkx-3.0.dist-info/METADATA": "networkx-3.0.METADATA"}),
    # ---- trivy-analyzer (whole directory; already laid out as a site-packages dir) ----------------
    PyCase("trivy-analyzer", "happy-egg/", {"distlib-0.3.1.egg-info": "happy-egg/distlib-0.3.1.egg-info"}),
    PyCase("trivy-analyzer", "classifier-license-egg/",
           {"setuptools-51.3.3.egg-info": "classifier-license-egg/setuptools-51.3.3.egg-info"}),
    PyCase("trivy-analyzer", "classifier-license-dist/",
           {"setuptools-51.3.3.dist-info": "classifier-license-dist/setuptools-51.3.3.dist-info"}),
    PyCase("trivy-analyzer", "happy-dist/", {"distlib-0.3.1.dist-info": "happy-dist/distlib-0.3.1.dist-info"}),
    PyCase("trivy-analyzer", "license-file-dist/",
           {"typing_extensions-4.4.0.dist-info": "license-file-dist/typing_extensions-4.4.0.dist-info"}),
    # ---- syft (cataloger on a directory; the fixtures' dirs are renamed to real dist-info names) ---
    PyCase("syft", "site-packages/no-version/", {"no-version-py3.8.egg-info": "site-packages/no-version/no-version-py3.8.egg-info"},
           note="no Version: reported with version '' (and a notice), like syft"),
    *[PyCase("syft", "site-packages/nested/", {
        "Pygments-2.6.1.dist-info": "site-packages/nested/dist-name/dist-info",
        "requests-2.22.0.egg-info": "site-packages/nested/egg-name/egg-info",
    }, select=(sel,), xfail=xf, note="PKG-INFO-INVALID beside PKG-INFO is not metadata and is ignored")
      for sel, xf in (("pygments", ""), ("requests", ""))],
    PyCase("syft", "site-packages/uppercase/", {"Pygments-2.6.1.DIST-INFO": "site-packages/uppercase/dist-name/DIST-INFO"},
           select=("pygments",)),
    PyCase("syft", "site-packages/uppercase/", {"requests-2.22.0-py3.8.egg/EGG-INFO": "site-packages/uppercase/egg-name/EGG-INFO"},
           select=("requests",), ),
    PyCase("syft", "site-packages/license/", {
        "with-license-file-declared.dist-info": "site-packages/license/with-license-file-declared.dist-info",
        "without-license-file-declared.dist-info": "site-packages/license/without-license-file-declared.dist-info",
    }, note="one component, two occurrences (syft: two packages)"),
    PyCase("syft", "site-packages/malformed-record/", {"Pygments-2.6.1.dist-info": "site-packages/malformed-record/dist-info"},
           note="pkgscan does not read RECORD"),
    PyCase("syft", "site-packages/partial.dist-info/", {"partial.dist-info/METADATA": "site-packages/partial.dist-info/METADATA"}),
    PyCase("syft", "site-packages/test/", {"test.egg-info": "site-packages/test/test.egg-info"}),
    PyCase("syft", "site-packages/nested/egg-name/egg-info/PKG-INFO",
           {"requests-2.22.0.egg-info/PKG-INFO": "site-packages/nested/egg-name/egg-info/PKG-INFO"}),
    PyCase("syft", "site-packages/nested/dist-name/dist-info/METADATA",
           {"Pygments-2.6.1.dist-info/METADATA": "site-packages/nested/dist-name/dist-info/METADATA"},
           requires={"pygments": {"soupsieve"}}),
    PyCase("syft", "site-packages/nested/egg-name/egg-info/PKG-INFO-INVALID",
           {"mxnet-1.8.0.egg-info/PKG-INFO": "site-packages/nested/egg-name/egg-info/PKG-INFO-INVALID"},
           note="multi-line Summary without continuation indentation"),
]

#: (peer, key) -> why the case does not apply to a Lambda deployment package
OUT_OF_SCOPE = {
    ("osv-scalibr", "monotonic-1.6-py3.10.egg"): (
        "a zipped .egg is an archive, not an installed distribution: pip never installs one, Lambda puts "
        "only the function/layer directories on sys.path (no .pth processing); pkgscan reads an archive nested "
        "in the package through its members, marked pkgscan:in-archive (test_nested_wheel_and_egg_files_are_read_as_archives)"
    ),
    ("osv-scalibr", "monotonic-1.6-py2.py3-none-any.whl"): (
        "a .whl is a distribution archive waiting to be installed, not installed code; pkgscan reads it as a "
        "nested archive (its .dist-info inside), marked pkgscan:in-archive"
    ),
    ("osv-scalibr", "monotonic_no_pkginfo-1.6-py3.10.egg"): (
        "zipped .egg (see above); pkgscan yields nothing for it, which agrees with scalibr for another reason"
    ),
}


def _py_expected(case: PyCase) -> tuple[list[dict] | None, bool]:
    """(packages as [{name, version, licenses?}], is_error) from the peer's expected.json."""
    entry = _expected(PYMETA, case.peer)[case.key]
    if "error" in entry:
        return None, True
    if "parsed_metadata" in entry:  # syft TestParseWheelEggMetadata
        pm = entry["parsed_metadata"]
        lic = pm.get("licenses", "")
        pkgs = [{"name": pm["python_package"]["name"], "version": pm["python_package"]["version"],
                 "licenses": [lic] if lic else []}]
    elif "applications" in entry:  # trivy-analyzer
        pkgs = [p for app in entry["applications"] for p in app["packages"]]
    else:
        pkgs = list(entry["packages"])
    if case.select:
        pkgs = [p for p in pkgs if canonicalize_name(p["name"]) in case.select]
    return pkgs, False


def _py_expected_licenses(case: PyCase, pkg: dict) -> set[str] | None:
    """The licenses pkgscan should report for one peer package, or None if the peer asserts none."""
    if case.peer == "osv-scalibr":
        return None  # scalibr's wheelegg tests assert no licenses
    decided = LICENSE_DECISIONS.get((case.peer, case.key, canonicalize_name(pkg["name"])))
    if decided is not None:
        return decided[0]
    out = set()
    for lic in pkg.get("licenses") or []:  # absent / null: the peer asserts no license
        if lic in PY_NOT_A_LICENSE:
            continue
        out.add(PY_CLASSIFIER_SPDX.get(lic, lic))
    return out


def _py_params():
    for case in PY_CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        yield pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", list(_py_params()))
def test_python_metadata_peer(case: PyCase, tmp_path):
    src = PYMETA / case.peer
    placements = {(d[1:] if d.startswith("/") else f"{SITE}/{d}"): src / s for d, s in case.files.items()}
    inv = scan_tree(tmp_path, placements)
    expected, is_error = _py_expected(case)
    if is_error:
        assert [c for c in inv.components if c.ecosystem == PYPI] == []
        assert any(n.code == "malformed-metadata" for n in inv.notices), inv.notices
        return
    # Name and version, one occurrence per package the peer reports (PEP 503 names).
    want = Counter((canonicalize_name(p["name"]), p["version"]) for p in expected)
    found = occurrence_counts(inv, PYPI)
    if case.select:
        found = Counter({k: n for k, n in found.items() if k[0] in case.select})
    assert found == want
    # Licenses, where the peer asserts them.
    for p in expected:
        lic = _py_expected_licenses(case, p)
        if lic is None:
            continue
        comp = inv.component(PYPI, canonicalize_name(p["name"]), p["version"])
        assert set(comp.licenses) == lic, (p["name"], comp.licenses, p.get("licenses"))
    # Every component is importable from the site-packages dir it was put in (an unpacked egg: from the
    # .egg directory itself, which is its sys.path entry).
    for c in inv.components:
        for o in c.occurrences:
            assert o.root == SITE or (o.root.startswith(SITE + "/") and o.root.endswith(".egg")), o


@pytest.mark.parametrize("case", [c for c in PY_CASES if c.requires], ids=lambda c: c.id)
def test_python_requires_dist_after_markers(case: PyCase):
    """The peers assert the raw Requires-Dist list; pkgscan keeps the names whose markers hold on Lambda."""
    cat = PythonInstalledCataloger()
    for dest, src in case.files.items():
        inst = cat.parse(f"{SITE}/{dest}", (PYMETA / case.peer / src).read_bytes(), [])
        assert set(inst.requires) == case.requires[inst.name]


def test_python_requires_dist_depends_on_the_runtime_python():
    """pyOpenSSL 26.0.0: 'typing-extensions>=4.9; python_version < "3.13" and python_version >= "3.8"'."""
    data = (PYMETA / "osv-scalibr" / "pyopenssl-26.0.0.dist-info").read_bytes()
    cat = PythonInstalledCataloger()
    on312 = cat.parse("python/lib/python3.12/site-packages/pyOpenSSL-26.0.0.dist-info/METADATA", data, [])
    on313 = cat.parse("python/lib/python3.13/site-packages/pyOpenSSL-26.0.0.dist-info/METADATA", data, [])
    assert set(on312.requires) == {"cryptography", "typing-extensions"}
    assert set(on313.requires) == {"cryptography"}


def test_nested_wheel_and_egg_files_are_read_as_archives(tmp_path):
    """Archives inside the package are read in place (pkgscan/inventory/nested.py): what they hold is
    reported where it is (``<archive>!/...``) and marked ``pkgscan:in-archive``, never as installed."""
    src = PYMETA / "osv-scalibr"
    names = ["monotonic-1.6-py3.10.egg", "monotonic-1.6-py2.py3-none-any.whl", "monotonic_no_pkginfo-1.6-py3.10.egg"]
    inv = scan_tree(tmp_path, {f"{SITE}/{n}": src / n for n in names})
    assert [(c.name, c.version) for c in inv.components] == [("monotonic", "1.6")]
    comp = inv.components[0]
    assert all("!/" in o.location for o in comp.occurrences)
    assert {v for k, v in comp.properties if k == "pkgscan:in-archive"} == {f"{SITE}/{n}" for n in names[:2]}
    assert not inv.suspicious


# ---- path selection (the peers' "file required" tests) ----------------------------------------------

#: (peer, path) -> (pkgscan's answer, reason) where it differs from the peer's on purpose
PY_FILE_REQUIRED_DECISIONS = {
    ("osv-scalibr", "python3.10/site-packages/monotonic-1.6-py3.10.egg"): (False, OUT_OF_SCOPE[("osv-scalibr", "monotonic-1.6-py3.10.egg")]),
    ("osv-scalibr", "python3.10/site-packages/monotonic-1.6-py3.10.whl"): (False, OUT_OF_SCOPE[("osv-scalibr", "monotonic-1.6-py2.py3-none-any.whl")]),
    ("trivy-analyzer", "python3.8/site-packages/wrapt-1.12.1.dist-info/LICENSE"): (
        False, "trivy reads license files to classify their text; pkgscan reports declared licenses only"),
    ("trivy-analyzer", "Amazon/AWSCLIV2/cryptography-3.3.2-py3.8.egg-info/METADATA"): (
        False, "'.egg-info/METADATA' is the AWS CLI v2 installer's layout, not what pip/setuptools write "
        "(egg-info holds PKG-INFO); not found in Lambda packages. (importlib.metadata would read it: a "
        "possible enhancement, not a bug)"),
}
PY_FILE_REQUIRED_XFAIL = {
}


def _file_required_params(fmt_dir: Path, peers: list[str], decisions: dict, xfails: dict):
    for peer in peers:
        for row in json.loads((fmt_dir / peer / "file-required.json").read_text()):
            key = (peer, row["path"])
            want, why = decisions.get(key, (row["required"], ""))
            marks = [pytest.mark.xfail(strict=True, reason=xfails[key])] if key in xfails else []
            yield pytest.param(row["path"], want, id=f"{peer}:{row['path']}", marks=marks)


@pytest.mark.parametrize("path,want", list(_file_required_params(
    PYMETA, ["osv-scalibr", "trivy-analyzer"], PY_FILE_REQUIRED_DECISIONS, PY_FILE_REQUIRED_XFAIL)))
def test_python_file_selection(path, want):
    assert PythonInstalledCataloger().wants(path, path.rsplit("/", 1)[-1]) is want


# --------------------------------------------------------------------------------------------------
# Node: node_modules/<name>/package.json


@dataclass
class NodeCase:
    peer: str
    key: str
    #: the folder under node_modules (the package name, or the fixture's folder when it has none)
    folder: str
    #: (name, version, licenses or None) pkgscan reports, when it differs from the peer on purpose
    decision: list[tuple[str, str, tuple[str, ...] | None]] | None = None
    reason: str = ""
    xfail: str = ""
    #: a malformed-metadata notice is expected for the file even though a component is reported
    notice: bool = False

    @property
    def id(self) -> str:
        return f"{self.peer}:{self.key}"


_NPM_LICENSE_ARRAY_XFAIL = (
    "BUG pkgscan/inventory/licenses.py npm_licenses: a 'license' field holding an array of {type} objects "
    "(legacy form, e.g. tv4 1.3.0) yields no license; trivy reads each item's type. Fix: when 'license' "
    "is a list, add() each item as done for 'licenses'"
)
_NPM_BAD_NAME_XFAIL = (
    "BUG pkgscan/inventory/node.py NodeInstalledCataloger.parse + assemble.make_purl: package.json name "
    "'@invalid/packageName/' makes make_purl raise ValueError ('name is a required argument'), so the "
    "whole scan_path() fails; trivy rejects the name. Fix: validate npm names (as lockfiles/npm_lock.py "
    "_valid_name does) and fall back to the folder name with a malformed-metadata notice"
)
_INCLUDE_DEPS = (
    "scalibr's includeDeps option turns dependency ranges into invented versions (debatable #5); a "
    "range is not an installed version: pkgscan reports the package itself and installed copies only"
)
_NOT_NPM_MANIFEST = (
    "scalibr drops VS Code extension / Unity manifests found anywhere on a filesystem; inside "
    "node_modules/<name>/ a package.json with name and version is what require() resolves, so pkgscan "
    "reports it"
)

NODE_CASES = [
    # ---- osv-scalibr ----
    NodeCase("osv-scalibr", "package.json", "testdata"),
    NodeCase("osv-scalibr", "deps/accepts/package.json", "accepts"),
    NodeCase("osv-scalibr", "deps/no-person-name/package.json", "accepts"),
    NodeCase("osv-scalibr", "deps/with/deps/acorn/package.json", "acorn"),
    NodeCase("osv-scalibr", "deps/acorn/package.json", "acorn", [("acorn", "2.7.0", ("MIT",))],
             "name is '': npm itself falls back to the folder name; the copy in node_modules/acorn is "
             "installed and versioned, so pkgscan reports it (with a malformed-metadata notice)", notice=True),
    NodeCase("osv-scalibr", "deps/acorn-globals/package.json", "acorn-globals"),
    NodeCase("osv-scalibr", "deps/window-size/package.json", "window-size"),
    NodeCase("osv-scalibr", "vscode-extension.json", "pug", [("pug", "1.0.0", ("MIT",))], _NOT_NPM_MANIFEST),
    NodeCase("osv-scalibr", "vscode-extension-only-required.json", "grunt", [("grunt", "1.0.0", ())], _NOT_NPM_MANIFEST),
    NodeCase("osv-scalibr", "unity-package.json", "org.khronos.unitygltf",
             [("org.khronos.unitygltf", "2.13.0", None)], _NOT_NPM_MANIFEST),
    NodeCase("osv-scalibr", "undici-package.json", "undici"),
    NodeCase("osv-scalibr", "not-vscode.json", "jsonparse"),
    NodeCase("osv-scalibr", "package-with-deps.json", "package-with-deps",
             [("package-with-deps", "1.2.3", ())], _INCLUDE_DEPS),
    NodeCase("osv-scalibr", "duplicate-keys.json", "duplicate-keys", [("duplicate-keys", "1.0.0", ())], _INCLUDE_DEPS),
    NodeCase("osv-scalibr", "invalid", "invalid"),
    # ---- syft ----
    *[NodeCase("syft", f"pkg-json/{n}", "npm") for n in (
        "package.json", "package-license-object.json", "package-license-objects.json", "package-no-license.json",
        "package-nested-author.json", "package-private.json", "package-author-non-standard.json",
        "package-authors-array.json", "package-authors-objects.json", "package-both-author-and-authors.json",
        "package-contributors.json", "package-maintainers.json", "package-authors-string.json",
        "package-maintainers-object.json", "package-all-author-fields.json")],
    NodeCase("syft", "pkg-json/package-repo-string.json", "function-bind"),
    NodeCase("syft", "pkg-json/package-contributors-string.json", "ghost"),
    NodeCase("syft", "pkg-json/package-malformed-license.json", "npm", [("npm", "6.14.6", ("MIT",))],
             "'licenses': [\"MIT\"] (a list of strings, not of {type} objects): syft drops it as malformed; "
             "the meaning is unambiguous, so pkgscan keeps MIT"),
    NodeCase("syft", "pkg-json/package-partial.json", "date-fns", [],
             "a sub-folder package.json (date-fns fp/isSaturday: sideEffects/module/typings only); syft's "
             "parser returns an empty package, pkgscan reports nothing: no version, not a package"),
    # ---- trivy (parsed struct: package name/version/licenses) ----
    NodeCase("trivy", "package.json", "bootstrap"),
    NodeCase("trivy", "legacy_package.json", "angular"),
    NodeCase("trivy", "legacy_array_package.json", "tv4"),
    NodeCase("trivy", "empty_array_license_package.json", "empty-array-license"),
    NodeCase("trivy", "mixed_array_license_package.json", "mixed-array-license"),
    NodeCase("trivy", "invalid_license_package.json", "weird-license"),
    NodeCase("trivy", "null_license_package.json", "null-license"),
    NodeCase("trivy", "unknown_license_object_package.json", "unknown-license-object"),
    NodeCase("trivy", "without_version_package.json", "angular"),
    NodeCase("trivy", "workspace_as_map_package.json", "example"),
    NodeCase("trivy", "invalid_name.json", "@invalid/packageName", [("@invalid/packageName", "1.0.0", ("ISC",))],
             "trivy rejects the invalid name '@invalid/packageName/'; pkgscan should treat it like a missing "
             "name: the folder name, with a malformed-metadata notice",  notice=True),
    NodeCase("trivy", "invalid_package.json", "invalid"),
    NodeCase("trivy", "without_name_and_version_package.json", "unnamed"),
]


def _node_expected(case: NodeCase) -> tuple[list[tuple[str, str, tuple[str, ...] | None]], bool]:
    """([(name, version, licenses or None when not asserted)], is_error)."""
    if case.decision is not None:
        return case.decision, False
    entry = _expected(PKGJSON, case.peer)[case.key]
    if "error" in entry:
        return [], True
    if case.peer == "trivy":
        pkg = entry["parsed"]["package"]
        if not pkg.get("name") or not pkg.get("version"):
            return [], False  # the struct has no name@version: no package
        return [(pkg["name"], pkg["version"], tuple(pkg.get("licenses") or ()))], False
    if case.peer == "syft":
        return [(p["name"], p["version"], tuple(p.get("licenses") or ())) for p in entry["packages"]], False
    return [(p["name"], p["version"], None) for p in entry["packages"]], False  # scalibr asserts no licenses


def _node_params():
    for case in NODE_CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        yield pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", list(_node_params()))
def test_package_json_peer(case: NodeCase, tmp_path):
    loc = f"node_modules/{case.folder}/package.json"
    inv = scan_tree(tmp_path, {loc: PKGJSON / case.peer / case.key})
    expected, is_error = _node_expected(case)
    found = {(c.name, c.version): c for c in inv.components if c.ecosystem == NPM}
    assert set(found) == {(n, v) for n, v, _ in expected}
    for name, version, lic in expected:
        c = found[(name, version)]
        assert [o.location for o in c.occurrences] == [loc]
        if lic is not None:
            assert c.licenses == lic, (c.licenses, lic)
    if is_error or not expected or case.notice:
        assert any(n.code == "malformed-metadata" and n.path == loc for n in inv.notices), inv.notices


def _trivy_parsed_keys() -> list[str]:
    exp = _expected(PKGJSON, "trivy")
    return [c.key for c in NODE_CASES if c.peer == "trivy" and exp[c.key].get("parsed", {}).get("package", {}).get("version")]


@pytest.mark.parametrize("key", _trivy_parsed_keys())
def test_package_json_trivy_dependencies(key):
    """trivy's parsed struct splits dependencies: pkgscan's edges come from dependencies + optional
    (+ peer / bundled), never devDependencies."""
    parsed = _expected(PKGJSON, "trivy")[key]["parsed"]
    inst = NodeInstalledCataloger().parse(f"node_modules/{parsed['package']['name']}/package.json",
                                          (PKGJSON / "trivy" / key).read_bytes(), [])
    assert set(parsed.get("dependencies") or {}) | set(parsed.get("optional_dependencies") or {}) <= set(inst.requires)
    assert not set(parsed.get("dev_dependencies") or {}) & set(inst.requires)


@pytest.mark.parametrize("key", [c.key for c in NODE_CASES if c.peer == "osv-scalibr" and c.decision is None])
def test_package_json_scalibr_dependencies(key):
    entry = _expected(PKGJSON, "osv-scalibr")[key]
    for p in entry.get("packages", []):
        deps = set((p.get("metadata") or {}).get("dependencies") or {})
        inst = NodeInstalledCataloger().parse(f"node_modules/{p['name']}/package.json",
                                              (PKGJSON / "osv-scalibr" / key).read_bytes(), [])
        assert deps <= set(inst.requires)


#: scalibr's package.json extractor path tests; pkgscan's installed cataloger wants only
#: node_modules/<name>/package.json (and node_modules/@scope/<name>/package.json)
NODE_FILE_REQUIRED_DECISIONS = {
    ("osv-scalibr", "package.json"): (
        False, "the function's own manifest describes the deployment, not an installed dependency "
        "(lockfiles/package.json are read by other catalogers)"),
    ("osv-scalibr", "testdata/package.json"): (False, "a project manifest, not under node_modules"),
    ("osv-scalibr", "testdata/deps/accepts/package.json"): (
        False, "not under node_modules/: Node's resolution never loads it as package 'accepts'"),
}


@pytest.mark.parametrize("path,want", [
    *_file_required_params(PKGJSON, ["osv-scalibr"], NODE_FILE_REQUIRED_DECISIONS, {}),
    pytest.param("node_modules/accepts/package.json", True, id="pkgscan:node_modules/accepts/package.json"),
    pytest.param("nodejs/node_modules/@fastify/busboy/package.json", True, id="pkgscan:scoped"),
    pytest.param("node_modules/accepts/dist/package.json", False, id="pkgscan:dist"),
])
def test_package_json_file_selection(path, want):
    assert NodeInstalledCataloger().wants(path, path.rsplit("/", 1)[-1]) is want


# --------------------------------------------------------------------------------------------------
# bookkeeping: no peer case is silently skipped


def test_every_peer_case_is_accounted_for():
    py_done = {(c.peer, c.key) for c in PY_CASES} | set(OUT_OF_SCOPE)
    for peer in ("osv-scalibr", "trivy", "trivy-analyzer", "syft"):
        for key in _expected(PYMETA, peer):
            assert (peer, key) in py_done, f"python-metadata/{peer}: {key} neither tested nor excepted"
    node_done = {(c.peer, c.key) for c in NODE_CASES}
    for peer in ("osv-scalibr", "trivy", "syft"):
        for key in _expected(PKGJSON, peer):
            assert (peer, key) in node_done, f"package-json/{peer}: {key} neither tested nor excepted"
    assert not set(OUT_OF_SCOPE) & {(c.peer, c.key) for c in PY_CASES}


def test_attribution_travels_with_the_fixtures():
    for d in (PYMETA, PKGJSON):
        assert (d / "ATTRIBUTION.md").is_file() and (d / "PROVENANCE.tsv").is_file()
        assert {p.name for p in (d / "licenses").iterdir()} >= {
            "osv-scalibr-LICENSE-Apache-2.0.txt", "syft-LICENSE-Apache-2.0.txt",
            "trivy-LICENSE-Apache-2.0.txt", "trivy-NOTICE.txt"}
