"""Maven version order (pkgscan.versions.maven) against google/osv-scalibr's vectors
(tests/fixtures/vectors/osv-scalibr-semantic/maven-versions*.txt, Apache-2.0, see NOTICE.md there).

``compare`` (the pairwise rule: ComparableVersion as Maven's Version Order Specification and OSV
state it) passes every case.  ``sort_key`` (a total order, as range matching needs) passes every
case but three: those three pairs are edges of cycles of the pairwise rule itself (shown below
with a witness), so no total order can honour all of them together with the rest of the rule;
the key resolves them as Maven 3.9 does (a version below the release stays below it).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from pkgscan import ecosystems
from pkgscan.versions import maven
from pkgscan.vulns import versions

SCALIBR = Path(__file__).resolve().parent / "fixtures" / "vectors" / "osv-scalibr-semantic"
OPS = {"<": -1, "=": 0, ">": 1}

# (a, b) asserted a < b by the generated vectors, and a witness w with b < w < a pairwise
CYCLIC = {
    ("2.9.0-1", "2.9.0.RC1"): "2.9.0",
    ("1.0.0-gradle-rework-beta3", "1.0.0.RC7-3"): "1.0.0",
    ("1.1.0-01-glassfish", "1.1.0.Beta1"): "1.1.0",
}


def _cases(name):
    out = []
    for lineno, line in enumerate((SCALIBR / name).read_text(encoding="utf-8").splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("# ") or s.startswith("// "):
            continue
        a, op, b = s.split(" ")
        out.append((lineno, a, OPS[op], b))
    return out


def _cmp_keys(a, b):
    ka, kb = maven.sort_key(a), maven.sort_key(b)
    return (ka > kb) - (ka < kb)


@pytest.mark.parametrize("name, count", [("maven-versions.txt", 102), ("maven-versions-generated.txt", 14752)])
def test_vectors(name, count):
    cases = _cases(name)
    assert len(cases) == count
    failures = []
    for lineno, a, want, b in cases:
        if maven.compare(a, b) != want or maven.compare(b, a) != -want:
            failures.append(f"{name}:{lineno} compare {a} {b}: {maven.compare(a, b)} != {want}")
        if (a, b) in CYCLIC:
            continue
        if _cmp_keys(a, b) != want:
            failures.append(f"{name}:{lineno} sort_key {a} {b}: {_cmp_keys(a, b)} != {want}")
        if want == 0 and not maven.equal(a, b):
            failures.append(f"{name}:{lineno} equal {a} {b}")
    assert not failures, "\n".join(failures[:50])


@pytest.mark.parametrize("pair, witness", sorted(CYCLIC.items()))
def test_the_three_exceptions_are_cycles_of_the_pairwise_rule(pair, witness):
    a, b = pair
    assert maven.compare(a, b) == -1  # what the vector asserts
    assert maven.compare(b, witness) == -1 and maven.compare(witness, a) == -1  # ... and the way back
    # the total order keeps the release-relative part: b is below the release, a above
    assert maven.sort_key(b) < maven.sort_key(witness) < maven.sort_key(a)


@pytest.mark.parametrize("a, b", [
    ("1.0", "1-0"), ("1.0", "1.0.0"), ("1", "1.ga"), ("1", "1-final"), ("1", "1.RELEASE"), ("1cr", "1rc"),
    ("1a1", "1-alpha-1"), ("1b2", "1-beta-2"), ("1m3", "1-milestone-3"), ("1.01", "1.1"), ("", "0"),
    ("1-1", "1-ga-1"), ("1.0-1", "1-1"),
])
def test_equal(a, b):
    assert maven.equal(a, b) and maven.sort_key(a) == maven.sort_key(b) and maven.compare(a, b) == 0
    assert ecosystems.get("maven").same_version(a, b)


def test_qualifier_order():
    chain = ["1-alpha-1", "1-beta-1", "1-milestone-1", "1-rc-1", "1-SNAPSHOT", "1", "1-sp", "1-abc", "1-xyz",
             "1-1", "1.0.1", "1.1"]
    keys = [maven.sort_key(v) for v in chain]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert maven.sort_key("1cr") == maven.sort_key("1-rc")
    # Log4Shell's range ends: 2.14.1 < 2.15.0 < 2.16.0, 2.3.1 (the Java 7 backport) < 2.12.2
    assert versions.compare("Maven", "2.14.1", "2.15.0") == -1
    assert versions.compare("maven", "2.15.0-rc1", "2.15.0") == -1
    assert versions.compare("Maven", "2.3.1", "2.12.2") == -1
    assert versions.compare("Maven", "2.5.6.SEC03", "2.5.6") == 1  # unknown qualifier after the release


@pytest.mark.parametrize("v", ["", " ", "-", ".", "--..--", "\x00", "1.0\u0663", "9" * 100_000, "a" * 50_000 + "1",
                               "1." * 10_000, "1-" * 10_000, "\ud800", "SP", "0.0.0-0.0.0"])
def test_sort_key_total_and_never_raises(v):
    k = maven.sort_key(v)
    assert isinstance(k, tuple)
    assert (k < maven.sort_key("1")) or (k >= maven.sort_key("1"))
    maven.compare(v, "1.0")
    assert maven.is_valid(v) in (True, False)


def test_huge_numbers():
    assert maven.sort_key("1" + "0" * 5000) > maven.sort_key("9" * 4999)
    assert maven.sort_key("1." + "0" * 3000 + "1") == maven.sort_key("1.1")


def test_is_valid():
    assert maven.is_valid("2.14.1") and maven.is_valid("31.1-jre") and maven.is_valid("1.0-SNAPSHOT")
    assert not maven.is_valid("") and not maven.is_valid("1 0") and not maven.is_valid("a\nb")
