"""Python lockfile / requirements parsers against other scanners' test expectations.

The fixtures and ``expected.json`` files under ``fixtures/peer/<format>/<peer>/`` come from
osv-scalibr, osv-scanner (legacy ``pkg/lockfile``), trivy and syft (see ``ATTRIBUTION.md`` and
``PROVENANCE.tsv`` there).  Every asserted case and variant is compared; where pkgscan deliberately
differs, the difference is written down in ``EXCEPTIONS`` (per case) or as a named policy
(applied to every case of a peer), each with its reason.  ``test_every_peer_case_is_covered``
fails when a case is neither compared nor documented.

Decisions that shape the exceptions:

* RANGES: a requirements file is a declaration; only ``==X`` (no wildcard) and ``===X`` are
  versions.  Peers that report the bound of ``>=``/``<=``/``~=`` (scalibr, osv-scanner legacy,
  trivy ``useMinVersion``, syft "guess") or a ``0.0.0`` placeholder (legacy) get ``""`` here.
* UNPINNED: unpinned requirement lines are still reported (name, version ``""``): trivy and syft
  drop them.
* INVALID: a line pip would reject is skipped with a warning (scalibr keeps ``foo7==1.0 junk``
  with the junk in the version; syft accepts ``name == 1.0 @ url``).
* LOCATIONS: ``name @ url`` requirements and wheel/sdist paths or URLs are reported (a wheel file
  name is an exact version); scalibr and legacy drop them.
* VERSIONLESS: lock entries without a version but with a source (git, editable directory) are kept
  with version ``""``; scalibr drops them.
* ROOTS: a uv ``virtual`` project is never installed and is not reported; trivy and syft report it.
* GROUPS: uv dev/optional status is computed over the graph from the roots (extras -> optional,
  dependency groups -> dev); poetry lock 2.0 (poetry 1.5-1.8) records no groups at all, so without
  ``pyproject.toml`` (which a lockfile parser does not read) everything is production.
* Names: scalibr and trivy keep names as written and are compared exactly; syft and legacy
  normalize, so they are compared canonicalized.  Dependencies are compared canonicalized; a
  package is never its own dependency (syft reports some self-loops through extras).
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from pkgscan.inventory.lockfiles import (
    LockfileError,
    pdm_lock,
    pipfile_lock,
    poetry_lock,
    pylock,
    requirements,
    uv_lock,
)
from pkgscan.model import LockedPackage

PEER = Path(__file__).resolve().parent / "fixtures" / "peer"

PARSERS = {
    "requirements-txt": requirements.parse,
    "pipfile-lock": pipfile_lock.parse,
    "poetry-lock": poetry_lock.parse,
    "uv-lock": uv_lock.parse,
    "pylock-toml": pylock.parse,
    "pdm-lock": pdm_lock.parse,
}
#: the lock file inside a directory case ("happy/")
DIR_LOCKFILE = {"poetry-lock": "poetry.lock", "uv-lock": "uv.lock"}
#: peers whose names are compared canonicalized
NORMALIZING_PEERS = {"syft", "osv-scanner-legacy"}


@dataclass
class Exc:
    """A documented difference from a peer's expectation for one case."""

    reason: str
    #: (name, version) the peer reports and pkgscan does not
    drop: tuple = ()
    #: (name, version) pkgscan reports and the peer does not
    extra: tuple = ()
    #: (name, peer version) -> pkgscan version
    versions: dict = field(default_factory=dict)
    #: name -> (dev, optional) where pkgscan's flags differ
    flags: dict = field(default_factory=dict)
    #: name -> dependency names pkgscan reports instead of the peer's
    deps: dict = field(default_factory=dict)
    #: the peer expects an error and pkgscan does not (or the reverse): what pkgscan does instead
    no_error: bool = False
    #: the peer's relationship assertion is not comparable; packages still are
    skip_relationships: bool = False
    #: a substring pkgscan's warnings must contain
    warning: str = ""


RANGE = "RANGES: only exact pins are versions in a requirements file; a range bound is not"
UNPINNED = "UNPINNED: unpinned requirement lines are declarations too (version '')"
LOCATIONS = "LOCATIONS: direct URL / wheel-path requirements are reported (wheel names carry the version)"
VERSIONLESS = "VERSIONLESS: a git / editable entry without a version is kept with version ''"
ROOT = "ROOTS: a uv 'virtual' project is never installed, so it is not a package"
SYFT_EXTRAS = ("syft links every locked package named in a package's [package.extras]; pkgscan "
               "records only [package.dependencies], poetry's own relation record")

EXCEPTIONS: dict[str, Exc] = {
    # ---------------------------------------------------------------- requirements.txt
    "requirements-txt/osv-scalibr/example.txt": Exc(
        LOCATIONS,
        extra=(("urllib3", ""), ("numpy", "1.9.2"), ("wxPython_Phoenix", "3.0.3.dev1820+49a8884")),
        warning="constraints.txt",
    ),
    "requirements-txt/osv-scalibr/invalid.txt": Exc(
        "LOCATIONS: 'urllib3 @ https://.../==1.26.8.zip' is a valid PEP 508 direct reference (the '==' "
        "is part of the URL), reported with source url and no version",
        extra=(("urllib3", ""),),
    ),
    "requirements-txt/osv-scalibr/per_req_options.txt": Exc(
        "INVALID: 'foo7==1.0 unexpected_text...' is not a requirement pip accepts; scalibr keeps the junk "
        "in the version, pkgscan skips the line with a warning",
        drop=(("foo7", "1.0 unexpected_text_before_options_stays_around"),),
        warning="foo7",
    ),
    "requirements-txt/trivy/requirements_no_version.txt": Exc(UNPINNED, extra=(("pandas", ""),)),
    "requirements-txt/trivy/requirements_operator.txt": Exc(
        UNPINNED,
        extra=(("keyring", ""), ("coverage", ""), ("Mopidy-Dirble", ""), ("numpyNew", ""),
               ("numpy", ""), ("requests", "")),
    ),
    "requirements-txt/trivy/requirements_compatible.txt": Exc(
        RANGE + " (trivy useMinVersion option; pkgscan has no such option)",
        versions={("keyring", "4.1.1"): "", ("Mopidy-Dirble", "1.1"): "", ("python-gitlab", "2.0.0"): "",
                  ("pyjwt", "1.2"): "", ("eventlet", "0.18.2"): ""},
    ),
    "requirements-txt/syft/requires/requirements.txt": Exc(
        UNPINNED + "; INVALID: 'GithubSampleProject == 3.7.1 @ git+...' mixes a specifier and a URL, "
        "which PEP 508 and pip reject",
        extra=(("sqlalchemy", ""), ("bar", ""), ("coverage", ""), ("numpynew", ""), ("numpy", ""),
               ("mopidy-dirble", ""), ("requests", "")),
        drop=(("githubsampleproject", "3.7.1"),),
    ),
    "requirements-txt/syft/requires/requirements.txt#1": Exc(
        RANGE + " (syft guess_unpinned_requirements option); INVALID as in the default variant",
        versions={("mopidy-dirble", "1.1"): "", ("sqlalchemy", "2.0.0"): "", ("bar", "2.0.0"): "",
                  ("numpy", "3.4.1"): "", ("requests", "2.8.0"): ""},
        extra=(("coverage", ""), ("numpynew", "")),
        drop=(("githubsampleproject", "3.7.1"),),
    ),
    "requirements-txt/osv-scanner-legacy/file-format-example.txt": Exc(
        RANGE + "; " + LOCATIONS,
        versions={("keyring", "4.1.1"): "", ("mopidy-dirble", "1.1"): ""},
        extra=(("numpy", "1.9.2"), ("wxpython-phoenix", "3.0.3.dev1820+49a8884")),
    ),
    "requirements-txt/osv-scanner-legacy/with-per-requirement-options.txt": Exc(
        RANGE, versions={("barproject", "1.2"): ""},
    ),
    "requirements-txt/osv-scanner-legacy/with-multiple-r-options.txt": Exc(
        "a bare 'requests' (from an included file) is subsumed by 'requests==1.2.3' in the same file "
        "set: one declaration per name, the pinned one",
        drop=(("requests", ""),),
    ),
    "requirements-txt/osv-scanner-legacy/with-bad-r-option.txt": Exc(
        "a missing -r target is a warning, not an error that loses the whole file (brief)",
        no_error=True, extra=(("requests", "1.2.3"),), warning="does-not-exist.txt",
    ),
    "requirements-txt/osv-scanner-legacy/line-continuation.txt": Exc(
        "pip joins 'bar == 4.5\\\\' with the next line '.6' after stripping every trailing backslash "
        "(req_file.join_lines: line.strip('\\\\')), giving 4.5.6; legacy keeps the backslashes",
        versions={("bar", "4.5\\\\"): "4.5.6"},
    ),
    # ---------------------------------------------------------------- Pipfile.lock
    "pipfile-lock/osv-scalibr/no-version.json": Exc(
        VERSIONLESS, extra=(("markupsafe", ""), ("itsdangerous", "")),
        flags={"itsdangerous": (True, False)},
    ),
    "pipfile-lock/syft/pipfile-lock/Pipfile.lock": Exc(
        "syft reads only the 'default' section; pkgscan reports 'develop' entries too, flagged dev",
        extra=(("astroid", "2.5.2"), ("autopep8", "1.5.6")),
    ),
    # ---------------------------------------------------------------- poetry.lock
    "poetry-lock/trivy/poetry_flask.lock": Exc(
        "trivy's lock-1.x path resolves dependencies only among category=main packages, so pytest -> "
        "atomicwrites/attrs/more-itertools/packaging/py/wcwidth (all dev) vanish; pkgscan keeps every "
        "locked relation (the lock-2.x file of the same project gives all eight in trivy too)",
        deps={"pytest": ("atomicwrites", "attrs", "colorama", "more-itertools", "packaging", "pluggy",
                         "py", "wcwidth")},
    ),
    "poetry-lock/trivy-analyzer/with-groups/": Exc(
        "GROUPS: this is a poetry lock 2.0 file (no category, no groups); trivy's analyzer takes dev "
        "status from the sibling pyproject.toml, which a lockfile parser does not read",
        flags={n: (False, False) for n in ("colorama", "iniconfig", "packaging", "pluggy", "pytest", "ruff",
                                           "tomli")},
    ),
    "poetry-lock/syft/poetry/multiple-extras/poetry.lock": Exc(
        SYFT_EXTRAS, deps={"httpcore": ("certifi", "h11")},
    ),
    "poetry-lock/syft/poetry/conflicting-with-extras/poetry.lock": Exc(
        SYFT_EXTRAS,
        deps={"httpcore": ("certifi", "h11"),
              "httpx": ("anyio", "brotli", "brotlicffi", "certifi", "h2", "httpcore", "idna", "sniffio",
                        "socksio")},
    ),
    "poetry-lock/syft/poetry/nested-extras/poetry.lock": Exc(
        SYFT_EXTRAS,
        deps={"anyio": ("idna", "sniffio"), "dnspython": (), "fastapi-cli": ("typer",),
              "httpcore": ("certifi", "h11"), "httpx": ("anyio", "certifi", "httpcore", "idna", "sniffio"),
              "markdown-it-py": ("mdurl",), "pydantic": ("annotated-types", "pydantic-core", "typing-extensions"),
              "pydantic-settings": ("pydantic", "python-dotenv"), "pygments": (), "python-dotenv": (),
              "python-multipart": (), "starlette": ("anyio",)},
    ),
    # ---------------------------------------------------------------- uv.lock
    "uv-lock/osv-scalibr/grouped-packages.lock": Exc(
        "GROUPS: scalibr puts the root's extra names (cli/dev/test) on the root's direct dependencies "
        "only; pkgscan follows the graph, so every package reachable only through an extra is "
        "optional (the extra named 'dev' here is an extra, not a dependency group)",
        flags={n: (False, True) for n in (
            "black", "click", "colorama", "flake8", "mccabe", "mypy-extensions", "packaging", "pathspec",
            "platformdirs", "pycodestyle", "pyflakes", "tomli", "typing-extensions")},
    ),
    "uv-lock/trivy/uv_normal.lock": Exc(ROOT, drop=(("normal", "0.1.0"),)),
    "uv-lock/trivy/uv_without_root.lock": Exc(
        "a lock without a root project is still a list of locked packages (trivy errors out)",
        no_error=True, extra=(("asyncio", "3.4.3"),),
    ),
    "uv-lock/trivy/uv_multiple_roots.lock": Exc(
        "two virtual roots (a workspace) are fine; " + ROOT + " (trivy errors out)",
        no_error=True, extra=(("asyncio", "3.4.3"),),
    ),
    "uv-lock/trivy-analyzer/happy/": Exc(ROOT, drop=(("happy", "0.1.0"),)),
    "uv-lock/syft/uv/simple-deps/uv.lock": Exc(ROOT, drop=(("testpkg", "0.1.0"),)),
    "uv-lock/syft/uv/simple-deps/uv.lock#1": Exc(ROOT, drop=(("testpkg", "0.1.0"),)),
    "uv-lock/syft/uv/multiple-extras/uv.lock": Exc(ROOT, drop=(("testpkg", "0.1.0"),)),
    "uv-lock/syft/uv/nested-extras/uv.lock": Exc(ROOT, drop=(("testpkg", "0.1.0"),)),
    "uv-lock/syft/uv/conflicting-with-extras/uv.lock": Exc(ROOT, drop=(("testpkg", "0.1.0"),)),
    # ---------------------------------------------------------------- pylock.toml
    "pylock-toml/osv-scalibr/commits.toml": Exc(VERSIONLESS, extra=(("net-inf-eval", ""),)),
    "pylock-toml/osv-scalibr/pip-just-self.toml": Exc(VERSIONLESS, extra=(("hspaans-github-io", ""),)),
    # ---------------------------------------------------------------- pdm.lock
    "pdm-lock/syft/pdm-lock/pdm.lock": Exc(
        "the transcribed relationship assertion lost its endpoints (8 x 'None@None'); packages are "
        "compared, relations are checked by the trivy/syft uv and poetry cases",
        skip_relationships=True,
    ),
}

#: cases that assert only part of the result: every listed package must appear exactly once
PARTIAL = {
    "pdm-lock/syft/pdm-lock-extras/pdm.lock": "syft asserts the count (5) and that coverage appears once",
    "pdm-lock/syft/pdm-lock-separate-files/pdm.lock": "syft asserts only that rfc3986 1.5.0 appears once",
}


# ---------------------------------------------------------------------------------------------------
# peer cases
# ---------------------------------------------------------------------------------------------------


@dataclass
class Case:
    id: str
    fmt: str
    peer: str
    key: str
    spec: dict

    @property
    def folder(self) -> Path:
        base = PEER / self.fmt / self.peer
        return base / "pip" if self.peer == "osv-scanner-legacy" else base

    @property
    def file(self) -> Path:
        f = self.folder / self.key
        return f / DIR_LOCKFILE[self.fmt] if self.key.endswith("/") else f


def peer_cases() -> list[Case]:
    out = []
    for fmt in PARSERS:
        for peer_dir in sorted(p for p in (PEER / fmt).iterdir() if p.is_dir() and p.name != "licenses"):
            expected = json.loads((peer_dir / "expected.json").read_text())
            for key, spec in expected.items():
                out.append(Case(f"{fmt}/{peer_dir.name}/{key}", fmt, peer_dir.name, key, spec))
                for i, variant in enumerate(spec.get("variants", []), start=1):
                    out.append(Case(f"{fmt}/{peer_dir.name}/{key}#{i}", fmt, peer_dir.name, key, variant))
    return out


CASES = peer_cases()


def run_parser(case: Case):
    data = case.file.read_bytes()
    parse = PARSERS[case.fmt]
    if case.fmt != "requirements-txt":
        return parse(data, str(case.file.relative_to(PEER)))
    root = case.file.parent.resolve()
    confine = (PEER / case.fmt / case.peer).resolve()

    def read_include(rel: str):
        target = (root / rel).resolve()
        if confine not in target.parents or not target.is_file():
            return None
        return target.read_bytes()

    return parse(data, str(case.file.relative_to(PEER)), read_include)


def _name(case: Case, name: str) -> str:
    return canonicalize_name(name) if case.peer in NORMALIZING_PEERS else name


def _expected_packages(case: Case) -> list[dict] | None:
    """The peer's package records, or None when the peer expects nothing usable (an error)."""
    spec = case.spec
    if case.peer == "trivy-analyzer":
        apps = spec.get("applications", [])
        return apps[0]["packages"] if apps else None
    if "error" in spec and not spec.get("packages"):
        return None
    return spec.get("packages", [])


def _peer_version(case: Case, pkg: dict) -> str:
    version = pkg.get("version", "")
    if case.peer == "osv-scanner-legacy" and version == "0.0.0":
        return ""  # RANGES: legacy's placeholder for "no version"
    comparator = (pkg.get("metadata") or {}).get("version_comparator")
    if case.peer == "osv-scalibr" and case.fmt == "requirements-txt" and comparator in (">=", "<=", "~="):
        return ""  # RANGES: scalibr reports the bound
    return version


def _peer_flags(case: Case, pkg: dict) -> tuple[bool, bool] | None:
    if case.peer == "osv-scalibr" and "dep_groups" in pkg:
        groups = pkg["dep_groups"]
        return "dev" in groups, "optional" in groups
    if case.peer in ("trivy", "trivy-analyzer") and case.fmt != "requirements-txt":
        return bool(pkg.get("dev", False)), None
    return None


def _peer_dependencies(case: Case) -> dict[tuple[str, str], set[str]] | None:
    """(canonical name, version) -> canonical dependency names, where the peer asserts relations."""
    spec = case.spec
    out: dict[tuple[str, str], set[str]] = {}
    if case.peer == "trivy" and "dependencies" in spec:
        for d in spec["dependencies"]:
            name, _, version = d["id"].rpartition("@")
            out[(canonicalize_name(name), version)] = {canonicalize_name(x.rpartition("@")[0]) for x in d["depends_on"]}
        return out
    if case.peer == "trivy-analyzer" and spec.get("applications"):
        for p in spec["applications"][0]["packages"]:
            out[(canonicalize_name(p["name"]), p["version"])] = {
                canonicalize_name(x.rpartition("@")[0]) for x in p.get("depends_on", [])}
        return out
    if case.peer == "syft" and "relationships" in spec:
        for r in spec["relationships"]:
            frm, to = r["from"].rpartition("@"), r["to"].rpartition("@")
            if frm[0] == to[0]:
                continue  # a self-loop through an extra: never a dependency here
            out.setdefault((canonicalize_name(to[0]), to[2]), set()).add(canonicalize_name(frm[0]))
        return out
    return None


def _ours(case: Case, packages) -> Counter:
    return Counter((_name(case, p.name), p.version) for p in packages)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_peer_case(case: Case):
    exc = EXCEPTIONS.get(case.id, Exc(""))
    expected = _expected_packages(case)
    if expected is None and not exc.no_error:
        with pytest.raises(LockfileError):
            run_parser(case)
        return
    result = run_parser(case)
    assert all(isinstance(p, LockedPackage) and p.ecosystem == "pypi" for p in result.packages)
    assert all(isinstance(w, str) for w in result.warnings)
    expected = expected or []
    ours = _ours(case, result.packages)

    if "packages" not in case.spec and "relationships" in case.spec:
        pass  # syft Test_PackageCataloger_Relationships: only relations are asserted
    elif expected and all("version" not in p for p in expected):
        # a names-only assertion (syft pdm extras: "5 packages, coverage once")
        names = Counter(_name(case, p.name) for p in result.packages)
        assert names == Counter(_name(case, p["name"]) for p in expected)
    elif case.id in PARTIAL:
        for p in expected:
            assert ours[(_name(case, p["name"]), p["version"])] == 1, p
    else:
        _compare_packages(case, exc, expected, result, ours)
    if not exc.skip_relationships:
        _compare_relations(case, exc, result)
    if exc.warning:
        assert any(exc.warning in w for w in result.warnings), result.warnings


def _compare_packages(case: Case, exc: Exc, expected: list[dict], result, ours: Counter) -> None:
    want = Counter()
    for p in expected:
        key = (_name(case, p["name"]), _peer_version(case, p))
        key = (key[0], exc.versions.get((p["name"], p.get("version", "")), key[1]))
        want[key] += 1
    for name, version in exc.drop:
        assert want[(name, version)] >= 1, f"stale exception: {name} {version} not in the peer's list"
        want[(name, version)] -= 1
    for name, version in exc.extra:
        want[(name, version)] += 1
    assert ours == +want

    by_key = {(_name(case, p.name), p.version): p for p in result.packages}
    # lines, where the peer asserts them
    for p in expected:
        line = p.get("line") or (p.get("locations") or [{}])[0].get("start_line")
        key = (_name(case, p["name"]), exc.versions.get((p["name"], p.get("version", "")), _peer_version(case, p)))
        if line and key in by_key:
            assert by_key[key].line == line, (key, by_key[key].line, line)
    # dev / optional flags, where the peer asserts them
    for p in expected:
        flags = _peer_flags(case, p)
        key = (_name(case, p["name"]), _peer_version(case, p))
        if flags is None or key not in by_key:
            continue
        dev, optional = exc.flags.get(p["name"], flags)
        assert by_key[key].dev == dev, (key, "dev")
        if optional is not None:
            assert by_key[key].optional == optional, (key, "optional")
    for name, (dev, optional) in exc.flags.items():
        matching = [p for p in result.packages if _name(case, p.name) == _name(case, name)]
        assert matching and all((p.dev, p.optional) == (dev, optional) for p in matching), name


def _compare_relations(case: Case, exc: Exc, result) -> None:
    """Dependency relations, where the peer asserts them (packages it drops are not compared)."""
    peer_deps = _peer_dependencies(case)
    if peer_deps is None:
        return
    dropped = {canonicalize_name(n) for n, _ in exc.drop}
    for p in result.packages:
        key = (canonicalize_name(p.name), p.version)
        got = {canonicalize_name(d) for d in p.dependencies}
        if p.name in exc.deps:
            assert got == {canonicalize_name(d) for d in exc.deps[p.name]}, key
        else:
            assert got == peer_deps.get(key, set()) - dropped, key


def test_every_peer_case_is_covered():
    """Every expected.json key and variant is a case; every exception names a real case."""
    ids = {c.id for c in CASES}
    assert len(CASES) == 120
    assert set(EXCEPTIONS) <= ids, set(EXCEPTIONS) - ids
    assert set(PARTIAL) <= ids, set(PARTIAL) - ids
    assert all(e.reason for e in EXCEPTIONS.values())
    for case in CASES:
        assert case.file.is_file(), case.file


def test_cases_per_format():
    counts = Counter(c.fmt for c in CASES)
    assert counts == {"requirements-txt": 40, "pipfile-lock": 14, "poetry-lock": 27, "uv-lock": 17,
                      "pylock-toml": 10, "pdm-lock": 12}


# ---------------------------------------------------------------------------------------------------
# requirements specifics
# ---------------------------------------------------------------------------------------------------


def _req(text: str, files: dict[str, str] | None = None, path: str = "app/requirements.txt"):
    files = files or {}
    calls = []

    def read_include(rel):
        calls.append(rel)
        content = files.get(rel)
        return content.encode() if content is not None else None

    res = requirements.parse(text.encode(), path, read_include)
    return res, calls


def _nv(res):
    return sorted((p.name, p.version, p.source) for p in res.packages)


def test_requirements_pins_ranges_markers_extras_hashes():
    res, _ = _req(
        "a==1.0\nb===2.0-weird\nc>=1\nd==1.*\ne[x,y]==3 ; python_version<'3.8' --hash=sha256:00\n"
        "f ~= 2.0\nG_h.i == 4.0.post1 \\\n  --hash=sha256:11 \\\n  --hash=sha256:22\n"
    )
    assert _nv(res) == [("G_h.i", "4.0.post1", "registry"), ("a", "1.0", "registry"),
                        ("b", "2.0-weird", "registry"), ("c", "", "registry"), ("d", "", "registry"),
                        ("e", "3", "registry"), ("f", "", "registry")]
    assert [p.line for p in res.packages if p.name == "G_h.i"] == [7]


def test_requirements_urls_editables_and_options():
    res, _ = _req(
        "--index-url https://user:s3cret@pypi.example.com/simple\n"
        "--extra-index-url=https://other.example/simple\n"
        "-e git+https://github.com/o/r.git@v1#egg=mypkg\n"
        "-e ./local/path\n"
        "pkg @ git+https://github.com/o/pkg@abc123\n"
        "whl @ https://files.example/whl-1.2.3-py3-none-any.whl\n"
        "https://files.example/other-2.0-py3-none-any.whl\n"
        "./vendor/thing-0.9.tar.gz\n"
        "--no-binary :all:\n"
        "--frobnicate\n"
    )
    assert _nv(res) == [("mypkg", "", "git"), ("other", "2.0", "url"), ("pkg", "", "git"),
                        ("thing", "0.9", "file"), ("whl", "1.2.3", "url")]
    text = "\n".join(res.warnings)
    assert "s3cret" not in text and "***@pypi.example.com" in text
    assert "./local/path" in text  # an editable directory without a name is reported, not guessed
    assert "--frobnicate" in text


def test_requirements_includes_constraints_and_cycles():
    files = {
        "base.txt": "-r requirements.txt\nshared==1.0\nunpinned\n",  # cycle back to the top file
        "sub/dev.txt": "-r ../base.txt\n-c ../constraints.txt\ndevtool==2.0\n",
        "constraints.txt": "unpinned==9.9\nnot-declared==1.0\n",
    }
    res, calls = _req("-r base.txt\n-r sub/dev.txt\ntop==0.1\n-r missing.txt\n", files)
    assert _nv(res) == [("devtool", "2.0", "registry"), ("shared", "1.0", "registry"),
                        ("top", "0.1", "registry"), ("unpinned", "9.9", "registry")]
    assert calls == ["base.txt", "sub/dev.txt", "constraints.txt", "missing.txt"]
    assert any("missing.txt" in w and "not found" in w for w in res.warnings)
    # packages from an included file are reported at the line of the -r in the top file
    assert {p.name: p.line for p in res.packages}["shared"] == 1


def test_requirements_include_limits():
    # a chain deeper than the limit stops with a warning instead of recursing forever
    files = {f"f{i}.txt": f"-r f{i + 1}.txt\np{i}==1\n" for i in range(100)}
    res, calls = _req("-r f0.txt\n", files)
    assert len(calls) <= requirements.MAX_INCLUDE_DEPTH
    assert any("nesting" in w for w in res.warnings)
    # absolute paths and URLs are never handed to the callback
    res, calls = _req("-r /etc/passwd\n-r https://evil.example/r.txt\n-c C:\\x.txt\n", {})
    assert calls == [] and len(res.warnings) == 3
    # a callback that raises is a warning
    def boom(rel):
        raise OSError("nope")
    res = requirements.parse(b"-r x.txt\na==1\n", "requirements.txt", boom)
    assert _nv(res) == [("a", "1", "registry")] and res.warnings
    # without a callback, includes are reported, not followed
    res = requirements.parse(b"-r x.txt\na==1\n", "requirements.txt")
    assert _nv(res) == [("a", "1", "registry")] and "not followed" in res.warnings[0]


@pytest.mark.parametrize("encoding,bom", [("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"),
                                          ("utf-16-be", b"\xfe\xff"), ("utf-32-le", b"\xff\xfe\x00\x00")])
def test_requirements_encodings(encoding, bom):
    res = requirements.parse(bom + "flask==2.0\r\ndjango==4.2\r\n".encode(encoding), "requirements.txt")
    assert _nv(res) == [("django", "4.2", "registry"), ("flask", "2.0", "registry")]


def test_requirements_hostile_text_never_raises():
    # how fast: bench/bench_parsers.py (a ratio to a baseline), never a timed test
    cases = [
        b"a" + b" " * 200_000 + b"x\n",
        b"a @ http://x" + b" " * 200_000 + b";x\n",
        b"a" + b"-a" * 100_000 + b"-==1\n",
        b"a[" + b"b," * 100_000 + b"\n",
        b"./" + b"a-" * 100_000 + b".whl\n",
        b"a" + b">=1," * 50_000 + b"\n",
        b"x" * 3_000_000,
        b"a\\\n" * 200_000,
        b"\x00\xff\xfe\x80 junk == == \n\x1b[31m==1\n" * 1000,
        bytes(range(256)) * 100,
    ]
    for data in cases:
        res = requirements.parse(data, "requirements.txt", lambda rel: None)
        assert len(res.warnings) <= requirements.MAX_WARNINGS + 1
        assert all(len(w) < 400 for w in res.warnings)
        assert all(len(p.name) <= 512 for p in res.packages)
    # a continuation chain longer than the line limit is skipped, not parsed from a truncated prefix
    assert requirements.parse(b"a\\\n" * 200_000, "requirements.txt").packages == ()
    assert requirements.parse(b"-e git+https://x/y#egg=" + b"a" * 60_000, "r.txt").packages == ()


# ---------------------------------------------------------------------------------------------------
# lockfile specifics
# ---------------------------------------------------------------------------------------------------


def test_uv_dev_and_optional_propagate_through_the_graph():
    lock = b'''
version = 1
[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "web", extra = ["fast"] }]
[package.optional-dependencies]
cli = [{ name = "clicky" }]
[package.dev-dependencies]
dev = [{ name = "pytest" }]

[[package]]
name = "web"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "shared" }]
[package.optional-dependencies]
fast = [{ name = "speedups" }]
slow = [{ name = "never" }]

[[package]]
name = "speedups"
version = "2.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "never"
version = "3.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "clicky"
version = "4.0"
source = { git = "https://github.com/o/clicky?rev=x#abc" }
dependencies = [{ name = "shared" }, { name = "both" }]

[[package]]
name = "pytest"
version = "8.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "both" }, { name = "missing-from-lock" }]

[[package]]
name = "both"
version = "1.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "shared"
version = "5.0"
source = { registry = "https://pypi.org/simple" }
'''
    res = uv_lock.parse(lock, "uv.lock")
    got = {p.name: (p.version, p.source, p.dev, p.optional, p.dependencies) for p in res.packages}
    assert got == {
        "app": ("0.1.0", "editable", False, False, ("clicky", "pytest", "web")),
        "web": ("1.0", "registry", False, False, ("shared", "speedups")),
        "speedups": ("2.0", "registry", False, False, ()),
        "never": ("3.0", "registry", False, False, ()),  # reached by nothing: production
        "clicky": ("4.0", "git", False, True, ("both", "shared")),
        "pytest": ("8.0", "registry", True, False, ("both",)),
        "both": ("1.1", "registry", True, True, ()),
        "shared": ("5.0", "registry", False, False, ()),
    }


def test_poetry_sources_groups_and_duplicates():
    lock = b'''
[[package]]
name = "a"
version = "1.0"
optional = false
groups = ["main", "dev"]
[package.source]
type = "git"
url = "https://github.com/o/a"
resolved_reference = "abc"

[[package]]
name = "b"
version = "2.0"
develop = true
groups = ["docs"]
[package.source]
type = "directory"
url = "../b"
[package.dependencies]
a = "*"
B = "*"
zzz = "*"

[[package]]
name = "c"
version = "3.0"
category = "dev"
optional = true
'''
    res = poetry_lock.parse(lock, "poetry.lock")
    got = {p.name: (p.version, p.source, p.dev, p.optional, p.dependencies, p.line) for p in res.packages}
    assert got == {"a": ("1.0", "git", False, False, (), 3),
                   "b": ("2.0", "editable", True, False, ("a",), 13),
                   "c": ("3.0", "registry", True, True, (), 26)}


def test_pipfile_sources_and_lines():
    lock = b'''{"_meta": {"hash": {}},
 "default": {
   "req": {"version": "==1.0"},
   "vcs": {"git": "https://github.com/o/vcs", "ref": "abc"},
   "local": {"path": "./local", "editable": true},
   "ranged": {"version": ">=2"},
   "weird \\"name": {"version": "==3"}
 },
 "develop": {"req": {"version": "==1.0"}, "tool": {"version": "==0.1"}}}'''
    res = pipfile_lock.parse(lock, "Pipfile.lock")
    got = {p.name: (p.version, p.source, p.dev, p.line) for p in res.packages}
    assert got == {"req": ("1.0", "registry", False, 3), "vcs": ("", "git", False, 4),
                   "local": ("", "editable", False, 5), "ranged": ("", "registry", False, 6),
                   'weird "name': ("3", "registry", False, 7), "tool": ("0.1", "registry", True, 9)}
    assert any("ranged" in w for w in res.warnings)


def test_pdm_and_pylock_sources():
    pdm = b'''
[[package]]
name = "g"
version = "1.0"
git = "https://github.com/o/g.git"
revision = "abc"
groups = ["default", "dev"]
dependencies = ["h[extra]>=1; python_version > '3'", "not-locked"]

[[package]]
name = "h"
version = "2.0"
path = "./h-2.0-py3-none-any.whl"
groups = ["test"]

[[package]]
name = "h"
version = "2.0"
extras = ["extra"]
path = "./h-2.0-py3-none-any.whl"
groups = ["default"]
dependencies = ["h==2.0", "g"]
'''
    res = pdm_lock.parse(pdm, "pdm.lock")
    got = {p.name: (p.version, p.source, p.dev, p.optional, p.dependencies) for p in res.packages}
    assert got == {"g": ("1.0", "git", False, False, ("h",)), "h": ("2.0", "file", False, False, ("g",))}

    pyl = b'''
lock-version = "1.0"
[[packages]]
name = "v"
vcs = { type = "git", url = "https://x/v.git", commit-id = "abc" }
[[packages]]
name = "d"
directory = { path = "./d" }
[[packages]]
name = "a"
version = "1.0"
archive = { url = "https://x/a-1.0.tar.gz", hashes = { sha256 = "00" } }
[[packages]]
name = "r"
version = "2.0"
index = "https://pypi.org/simple"
dependencies = [{ name = "a" }, { name = "elsewhere" }, 7]
'''
    res = pylock.parse(pyl, "pylock.toml")
    got = {p.name: (p.version, p.source, p.dependencies, p.line) for p in res.packages}
    assert got == {"v": ("", "git", (), 4), "d": ("", "directory", (), 7), "a": ("1.0", "url", (), 10),
                   "r": ("2.0", "registry", ("a",), 14)}


TOML_PARSERS = [poetry_lock.parse, uv_lock.parse, pdm_lock.parse]


@pytest.mark.parametrize("parse", TOML_PARSERS + [pylock.parse], ids=lambda f: f.__module__.rsplit(".", 1)[-1])
def test_toml_locks_hostile_input(parse):
    table = "packages" if parse is pylock.parse else "package"
    # unparseable -> LockfileError only
    for data in [b"[[", b"\xff\xfe\x00garbage = = =", b"a = " + b"[" * 100_000 + b"]" * 100_000,
                 b"x = {" * 10_000, "name = 'caf\u00e9' \n[[x]\n".encode()]:
        with pytest.raises(LockfileError):
            parse(data, "lock")
    # wrong types: skipped with warnings, good entries kept
    data = (f'{table} = 5\n').encode()
    res = parse(data, "lock")
    assert res.packages == () and res.warnings
    data = f'''
[[{table}]]
name = 3
[[{table}]]
version = "1"
[[{table}]]
name = "good"
version = "1.0"
dependencies = "nope"
groups = 5
optional-dependencies = 3
dev-dependencies = []
source = "registry"
[[{table}]]
name = "alsogood"
version = 2
[[{table}]]
name = "bom\ufeff\u202e"
version = "3"
'''.encode()
    res = parse(b"\xef\xbb\xbf" + data + b"\n# \xff\xfe invalid utf-8 in a comment\n", "lock")
    names = [p.name for p in res.packages]
    assert names[:2] == ["good", "alsogood"] and len(names) == 3
    assert {p.name: p.version for p in res.packages}["alsogood"] == ""
    assert len(res.warnings) >= 3
    # a large, valid lock is read whole (how fast: bench/bench_parsers.py)
    big = "".join(f'[[{table}]]\nname = "p{i}"\nversion = "1.{i}"\n'
                  f'description = """\nname = "fake"\n[[{table}]]\n"""\n' for i in range(20_000))
    res = parse(big.encode(), "lock")
    assert len(res.packages) == 20_000
    assert res.packages[-1].line == 1 + 7 * 19_999 + 1


def test_pipfile_hostile_input():
    for data in [b"null", b"[1, 2]", b"\"str\"", b"{", b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe{}"]:
        with pytest.raises(LockfileError):
            pipfile_lock.parse(data, "Pipfile.lock")
    res = pipfile_lock.parse(b"  \n", "Pipfile.lock")
    assert res.packages == ()
    res = pipfile_lock.parse(
        b'{"default": [1], "develop": {"a": 1, "b": {"version": 2}, "c": {"version": "==1"}, "": {}}}',
        "Pipfile.lock")
    assert [(p.name, p.version, p.dev) for p in res.packages] == [("b", "", True), ("c", "1", True)]
    assert len(res.warnings) == 4


@pytest.mark.parametrize("parse", [p for p in PARSERS.values()],
                         ids=[f for f in PARSERS])
def test_only_lockfile_error_escapes(parse):
    import random

    rng = random.Random(1234)
    seeds = [b'[[package]]\nname = "a"\nversion = "1"\n', b'{"default": {"a": {"version": "==1"}}}',
             b"a==1 --hash=sha256:0\n-r x.txt\n", b'[[packages]]\nname = "a"\n']
    for _ in range(300):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            op = rng.randint(0, 2)
            pos = rng.randint(0, len(data))
            if op == 0:
                data[pos:pos] = bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 4)))
            elif op == 1 and data:
                del data[pos:pos + rng.randint(1, 4)]
            else:
                data[pos:pos] = rng.choice([b"[", b"]", b"{", b"}", b'"', b"=", b"\n", b"\\", b"#", b"'''"])
        try:
            res = parse(bytes(data), "fuzz")
        except LockfileError:
            continue
        assert all(isinstance(p, LockedPackage) for p in res.packages)
