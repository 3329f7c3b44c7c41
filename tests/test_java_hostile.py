"""Hostile Java packages (generators in tests/hostile/java.py): each gives a clear notice or a
correct partial result, reads a bounded number of bytes, and never raises."""
from __future__ import annotations

import pytest

from pkgscan.archive import open_tree
from pkgscan.inventory import catalog
from pkgscan.scan import scan_path

from .hostile import java as hostile

MiB = 1 << 20


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return hostile.build_all(tmp_path_factory.mktemp("java-hostile"))


def _bytes_read(path) -> int:
    with open_tree(path) as tree:
        catalog(tree)
        return tree._total_consumed()


def _codes(inv) -> set[tuple[str, str]]:
    return {(n.code, n.path) for n in inv.notices}


def test_jar_bomb(corpus):
    inv = scan_path(corpus["jar_bomb"])
    assert sorted((c.name, c.version, c.confidence) for c in inv.components) == [
        ("bomb:bomb", "1.0", 0.5), ("org.example:ok", "3.0", 1.0), ("props-bomb:props-bomb", "2.0", 0.5)]
    codes = _codes(inv)
    assert ("member-too-large", "lib/bomb-1.0.jar") in codes  # the 120 MB member is never inflated
    assert ("member-too-large", "lib/props-bomb-2.0.jar!/META-INF/maven/org.example/props-bomb/pom.properties") in codes
    assert ("java-unidentified", "lib/props-bomb-2.0.jar") in codes
    assert _bytes_read(corpus["jar_bomb"]) < 2 * MiB


def test_deep_nesting_50(corpus):
    inv = scan_path(corpus["deep_nesting"])
    assert inv.components == ()
    deep = [n for n in inv.notices if n.code == "nesting-limit"]
    assert len(deep) == 1 and deep[0].suspicious and deep[0].path.count("!/") == 8
    assert sum(n.code == "java-unidentified" for n in inv.notices) == 8  # every level opened says so
    assert _bytes_read(corpus["deep_nesting"]) < 1 * MiB


def test_fan_out(corpus):
    inv = scan_path(corpus["fan_out"])
    assert [(c.name, c.version) for c in inv.components] == [("org.example:leaf", "1.0")]
    assert len(inv.components[0].occurrences) == 40 * 40
    assert not [n for n in inv.notices if n.code == "java-version-mismatch"]


def test_100k_entries(corpus):
    inv = scan_path(corpus["many_entries"])
    assert [(c.name, c.version) for c in inv.components] == [("org.example:many", "1.0")]
    assert {e.detail for e in inv.components[0].evidence} == {"pom.properties", "file name"}


def test_malformed_metadata(corpus):
    inv = scan_path(corpus["malformed_metadata"])
    got = {(c.name, c.version): c for c in inv.components}
    assert set(got) == {("org.example:good", "1.2.3"), ("garbage-props:garbage-props", "1.0"),
                        ("bad-manifest:bad-manifest", "4.5")}
    assert got[("org.example:good", "1.2.3")].confidence == 1.0
    for key in (("garbage-props:garbage-props", "1.0"), ("bad-manifest:bad-manifest", "4.5")):
        assert [e.technique for e in got[key].evidence] == ["filename"]
    codes = _codes(inv)
    assert ("java-pom-properties-invalid", "lib/garbage-props-1.0.jar!/META-INF/maven/g/a/pom.properties") in codes
    assert ("java-pom-properties-invalid", "lib/nul-props.jar!/META-INF/maven/g/a/pom.properties") in codes
    assert ("member-too-large", "lib/long-line.jar!/META-INF/maven/g/a/pom.properties") in codes
    assert ("java-pom-properties-invalid", "lib/bad-escapes.jar!/META-INF/maven/g/a/pom.properties") in codes
    assert ("java-pom-xml-invalid", "lib/laughs.jar!/META-INF/maven/g/x/pom.xml") in codes  # DOCTYPE refused
    assert ("java-pom-xml-invalid", "lib/deep-xml.jar!/META-INF/maven/g/y/pom.xml") in codes
    assert ("member-too-large", "lib/bad-manifest-4.5.jar!/META-INF/MANIFEST.MF") in codes
    for jar in ("nul-props", "long-line", "bad-escapes", "laughs", "deep-xml"):
        assert ("java-unidentified", f"lib/{jar}.jar") in codes  # no jar vanishes silently
    assert not any("lol" in c.name for c in inv.components)
