"""Version ordering (pkgscan.vulns.versions) and npm ranges (pkgscan.vulns.npm_range)
against the upstream test vectors in tests/fixtures/vectors/ (see NOTICE.md there).

Each vector file is one test that checks every case and reports all failures at
once.  No case is skipped: node-semver cases run with their own options (loose
and includePrerelease are both implemented).
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest

from pkgscan.vulns import npm_range, versions
from pkgscan.vulns.versions import compare, is_valid, parse_pypi, sort_key

VECTORS = Path(__file__).resolve().parent / "fixtures" / "vectors"
SCALIBR = VECTORS / "osv-scalibr-semantic"
PEP440 = VECTORS / "pep440-packaging"
NODE = VECTORS / "node-semver"

OPS = {"<": -1, "=": 0, ">": 1}


def _report(failures: list, total: int) -> None:
    assert total > 0
    if failures:
        shown = "\n".join(failures[:60])
        more = "" if len(failures) <= 60 else "\n... and %d more" % (len(failures) - 60)
        pytest.fail("%d of %d cases failed:\n%s%s" % (len(failures), total, shown, more))


def _scalibr_cases(path: Path):
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("# ") or s.startswith("// "):
            continue
        a, op, b = s.split(" ")
        yield lineno, a, OPS[op], b


def _check_pair(ecosystem: str, a: str, want: int, b: str) -> bool:
    ka, kb = sort_key(ecosystem, a), sort_key(ecosystem, b)
    key_cmp = (ka > kb) - (ka < kb)
    return compare(ecosystem, a, b) == want and compare(ecosystem, b, a) == -want and key_cmp == want


# --------------------------------------------------------------------------- osv-scalibr


@pytest.mark.parametrize(
    "filename, ecosystems, expected_cases",
    [
        ("pypi-versions.txt", ("PyPI", "pypi"), 37),
        ("pypi-versions-generated.txt", ("PyPI",), 12375),
        ("semver-versions.txt", ("npm", "SEMVER"), 86),
    ],
)
def test_scalibr_vectors(filename, ecosystems, expected_cases):
    failures, total = [], 0
    for lineno, a, want, b in _scalibr_cases(SCALIBR / filename):
        total += 1
        for eco in ecosystems:
            if not _check_pair(eco, a, want, b):
                failures.append(
                    "%s:%d [%s] %s %s %s: got %d"
                    % (filename, lineno, eco, a, "<=>"[want + 1], b, compare(eco, a, b))
                )
    assert total == expected_cases
    _report(failures, total)


def test_scalibr_legacy_pypi_versions_sort_before_valid_ones():
    legacy = set()
    for name in ("pypi-versions.txt", "pypi-versions-generated.txt"):
        for _, a, _, b in _scalibr_cases(SCALIBR / name):
            legacy.update(v for v in (a, b) if not is_valid("PyPI", v))
    assert len(legacy) >= 70  # 0.1-bulbasaur, 2013-08-12T21:48:56+0200, 0.6m6, ...
    for v in legacy:
        assert compare("PyPI", v, "0") == -1
        assert compare("PyPI", v, "0.0.0.dev0") == -1


# --------------------------------------------------------------------------- pypa/packaging


def test_pep440_sorted_versions():
    lines = (PEP440 / "pep440-sorted-versions.txt").read_text(encoding="utf-8").splitlines()
    ordered = [s.strip() for s in lines if s.strip() and not s.startswith("#")]
    assert len(ordered) == 92
    failures = [v for v in ordered if not is_valid("PyPI", v)]
    for (i, a), (j, b) in itertools.product(enumerate(ordered), repeat=2):
        want = (i > j) - (i < j)
        if compare("PyPI", a, b) != want:
            failures.append("%s vs %s: want %d got %d" % (a, b, want, compare("PyPI", a, b)))
    shuffled = ordered[:]
    random.Random(440).shuffle(shuffled)
    if sorted(shuffled, key=lambda v: sort_key("PyPI", v)) != ordered:
        failures.append("sorted(key=sort_key) does not reproduce the order")
    _report(failures, len(ordered) ** 2)


def _pep440_check(test: str, version: str, expected) -> bool:
    v = parse_pypi(version)
    if test == "test_invalid_versions":
        key = sort_key("PyPI", version)  # must not raise
        return v is None and not is_valid("PyPI", version) and key < sort_key("PyPI", "0")
    if v is None or not is_valid("PyPI", version):
        return False
    if test in ("test_normalized_versions", "test_version_str_repr"):
        return str(v) == expected and compare("PyPI", version, expected) == 0
    if test == "test_version_public":
        return v.public == expected and compare("PyPI", version, expected) == (0 if v.local is None else 1)
    if test == "test_version_base_version":
        return v.base_version == expected
    attr = {
        "test_version_epoch": "epoch",
        "test_version_release": "release",
        "test_version_local": "local",
        "test_version_pre": "pre",
        "test_version_is_prerelease": "is_prerelease",
        "test_version_dev": "dev",
        "test_version_is_devrelease": "is_devrelease",
        "test_version_post": "post",
        "test_version_is_postrelease": "is_postrelease",
    }[test]
    got = getattr(v, attr)
    if isinstance(got, tuple):
        got = list(got)
    return got == expected


def test_pep440_parametrized_cases():
    data = json.loads((PEP440 / "pep440-parametrized-cases.json").read_text(encoding="utf-8"))
    failures, total = [], 0
    for test, spec in data.items():
        for case in spec["cases"]:
            total += 1
            version, expected = (case, None) if isinstance(case, str) else case
            try:
                ok = _pep440_check(test, version, expected)
            except Exception as exc:  # report, don't stop
                ok = False
                expected = "%r (raised %r)" % (expected, exc)
            if not ok:
                failures.append("%s: %r -> %r" % (test, version, expected))
    assert total == 457
    _report(failures, total)


# --------------------------------------------------------------------------- node-semver


def _node_cases(name: str):
    return json.loads((NODE / name).read_text(encoding="utf-8"))["cases"]


def _opts(case) -> tuple:
    o = case.get("options") or {}
    return bool(o.get("loose")), bool(o.get("includePrerelease"))


def test_node_semver_comparisons():
    failures = []
    cases = _node_cases("comparisons.json")
    for c in cases:
        g, l = c["greater"], c["lesser"]
        loose, _ = _opts(c)
        if not (npm_range.compare(g, l, loose) == 1 and npm_range.compare(l, g, loose) == -1):
            failures.append("npm_range %s > %s (loose=%s)" % (g, l, loose))
        # osv ordering is lenient, so every case (loose or not) must hold there too
        for eco in ("npm", "SEMVER"):
            if not _check_pair(eco, g, 1, l):
                failures.append("versions[%s] %s > %s" % (eco, g, l))
    assert len(cases) == 31
    _report(failures, len(cases))


def test_node_semver_equality():
    failures = []
    cases = _node_cases("equality.json")
    for c in cases:
        a, b = c["a"], c["b"]
        loose, _ = _opts(c)
        if npm_range.compare(a, b, loose) != 0:
            failures.append("npm_range %r == %r (loose=%s)" % (a, b, loose))
        if not _check_pair("npm", a, 0, b) or sort_key("npm", a) != sort_key("npm", b):
            failures.append("versions %r == %r" % (a, b))
    assert len(cases) == 37
    _report(failures, len(cases))


@pytest.mark.parametrize(
    "filename, expected, count",
    [("range-include.json", True, 126), ("range-exclude.json", False, 98)],
)
def test_node_semver_ranges(filename, expected, count):
    failures = []
    cases = _node_cases(filename)
    for c in cases:
        loose, incpr = _opts(c)
        got = npm_range.satisfies(c["version"], c["range"], loose=loose, include_prerelease=incpr)
        if got is not expected:
            failures.append(
                "satisfies(%r, %r, loose=%s, include_prerelease=%s) = %s"
                % (c["version"], c["range"], loose, incpr, got)
            )
    assert len(cases) == count
    _report(failures, len(cases))


def test_node_semver_valid_versions():
    failures = []
    cases = _node_cases("valid-versions.json")
    for c in cases:
        sv = npm_range.parse(c["version"])
        want = (c["major"], c["minor"], c["patch"], tuple(c["prerelease"]), tuple(c["build"]))
        if sv is None or tuple(sv) != want:
            failures.append("parse(%r) = %r, want %r" % (c["version"], sv, want))
        if not is_valid("npm", c["version"]) or not is_valid("SEMVER", c["version"]):
            failures.append("is_valid(npm, %r) is False" % c["version"])
    assert len(cases) == 22
    _report(failures, len(cases))


def test_node_semver_invalid_versions():
    failures = []
    cases = _node_cases("invalid-versions.json")
    for c in cases:
        loose, _ = _opts(c)
        value = c["value"]
        if npm_range.parse(value, loose) is not None:
            failures.append("parse(%r, loose=%s) accepted it (%s)" % (value, loose, c["reason"]))
        if is_valid("npm", value):
            failures.append("is_valid(npm, %r) is True" % value)
        sort_key("npm", value)  # must not raise
    assert len(cases) == 7
    _report(failures, len(cases))


# --------------------------------------------------------------------------- API contract


@pytest.mark.parametrize("eco", ["PyPI", "pypi", "npm", "SEMVER", "semver", "NPM"])
def test_sort_key_never_raises(eco):
    weird = ["", " ", "latest", "*", "1.2.x", "^1.2.3", "v", "=", "+", "-", "..", "1..2",
             "0.1-bulbasaur", "٠١٢", "1.0+İ", "\x00", "\ud800", "a" * 10000, "9" * 400, "9" * 5000, "1." + "9" * 9000,
             "1.2.3-" + "0" * 300, "2013-08-12T21:48:56+0200", "1!2!3", "1.0+a+b"]
    keys = [sort_key(eco, w) for w in weird]
    sorted(keys)  # keys of one ecosystem are mutually comparable
    for w in weird:
        assert compare(eco, w, w) == 0
        assert isinstance(is_valid(eco, w), bool)


def test_unsupported_ecosystem():
    with pytest.raises(versions.UnsupportedEcosystem):
        sort_key("Hackage", "1.0")
    with pytest.raises(ValueError):
        compare("Debian", "1.0-1", "1.0-2")
    assert compare("Go", "v1.0.0", "1.0.1") == -1  # Go: SemVer once the "v" is dropped


def test_semver_policy_examples():
    assert compare("npm", "1.2.3-r2", "1.2.3-r100") == 1
    assert compare("npm", "1.2.3+build", "1.2.3+other") == 0
    assert compare("npm", "v1.2.3", "1.2.3") == 0
    assert compare("npm", " =1.2.3 ", "1.2.3") == 0
    assert compare("npm", "1", "1.0.0") == 0
    assert compare("npm", "1.1.3.4", "1.1.3") == -1  # osv-scalibr: extra parts -> prerelease
    assert compare("npm", "latest", "0.0.0") == -1  # invalid: 0.0.0-<string>
    assert compare("npm", "latest", "0.0.0-alpha") == 1
    assert compare("npm", "1" + "0" * 30, "9" * 30) == 1  # no integer limit
    assert not is_valid("npm", "1.2") and not is_valid("npm", "=1.2.3")
    assert is_valid("npm", "v1.2.3") and is_valid("SEMVER", "1.2.3-rc.1+b")


def test_pypi_policy_examples():
    assert compare("PyPI", "1.0", "1.0.0") == 0
    assert compare("PyPI", "1.0.dev0", "1.0a0") == -1
    assert compare("PyPI", "1.0+local", "1.0") == 1
    assert compare("PyPI", "1.0.post1", "1.0+local") == 1
    assert compare("PyPI", "0.1-bulbasaur", "0.0.0.dev0") == -1  # legacy < every valid
    assert compare("PyPI", "0.1-bulbasaur", "0.1-charmander") == -1
    assert compare("PyPI", "0.7.10p1", "0.7.11p1") == -1
    assert compare("PyPI", "2013-08-12T21:48:56+0200", "2013-09-11T19-27-10") == -1


def test_satisfies_bad_input_is_false():
    assert npm_range.satisfies("1.2.3", "not a range !!") is False
    assert npm_range.satisfies(None, "*") is False  # type: ignore[arg-type]
    assert npm_range.satisfies("1.2.3", None) is False  # type: ignore[arg-type]
    assert npm_range.satisfies("1.2.3", "^1.0.0 || ^2") is True
