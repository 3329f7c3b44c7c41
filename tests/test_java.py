"""Java: the archive cataloger (pkgscan.inventory.java) on the Java samples (ground truth), on the
peers' fixtures (tests/fixtures/peer/java-archive, see ATTRIBUTION.md there), and matching against
real Maven advisories (tests/fixtures/java/Maven-sample.zip).

Peer fixtures: every case of osv-scalibr's and trivy's jar tests is run with the jar placed in a
Lambda function zip (``lib/<name>``), the way pkgscan meets jars; syft's are parser cases.  Each
case must give exactly what the peer asserts, except these known differences (asserted as such):

* osv-scalibr ``nested_at_10.jar`` (pom.properties ten jars deep): pkgscan opens archives to
  ``Limits.max_nesting`` = 8 levels by default (a nesting-limit notice, suspicious, says where it
  stopped); with ``max_nesting=10`` it finds the package, as scalibr does.
* osv-scalibr ``com.google.src.yolo-0.1.2.jar``: scalibr, not reading file names in that test,
  reports nothing; pkgscan reports ``com.google.src.yolo:com.google.src.yolo`` 0.1.2 from the file
  name and the manifest's Bundle-SymbolicName (evidence labelled, confidence <= 0.7, group guessed).
* osv-scalibr ``manifest-symbolicname``: ``Bundle-SymbolicName: com.google.guava.failureaccess``
  for artifact ``failureaccess``: scalibr says group ``com.google.guava.failureaccess``, pkgscan
  ``com.google.guava`` (the bundle plugin's ``<group>.<artifact>`` naming; the real coordinates
  are ``com.google.guava:failureaccess``).
* trivy ``test.jar`` (Spring 2.5.6.SEC03 without pom.properties): trivy asks Maven Central by
  SHA-1 (``spring-core`` 5.3.3 from its fake server) or, offline, names it after
  ``Implementation-Title`` (``org.springframework:Spring Framework``); pkgscan is offline and
  never names a package with a blank, so it says ``org.springframework:core`` 2.5.6.SEC03 (from
  ``Bundle-SymbolicName: org.springframework.core``).
* trivy ``heuristic-1.0.0-SNAPSHOT.jar``: trivy's group ``com.example`` comes from a Maven Central
  search; pkgscan, offline, guesses ``heuristic:heuristic`` and marks it ``pkgscan:maven-group-guessed``.
* osv-scalibr ``guava-31.1-jre.jar`` is not copied (2.9 MB); the same artifact (Debian's real
  guava 31.1-jre jar) is in ``sample_packages/java-function.zip``.
* Peers' options without a pkgscan counterpart are not run as variants: scalibr's
  ``MaxOpenedBytes: 700`` (pkgscan's byte budget is Lambda's 250 MB, tested in the hostile
  tests) and ``HashJars`` (pkgscan does not hash jars); pkgscan always reads file names
  (scalibr's ``ExtractFromFilename``), as weaker, labelled evidence.
* Licences: trivy's asserted licence names appear as given (``CDDL + GPLv2 with classpath
  exception``) or as SPDX ids where the name is unambiguous (``Apache-2.0``); only the packages are
  compared.  trivy also takes licences from ``META-INF/LICENSE`` files and parent POMs, which
  pkgscan does not read (jackson-*, commons-lang3 in ``maven.war`` have none here).
* Locations: the peers write ``simple.jar/pom.properties`` (scalibr) or ``maven.war/WEB-INF/lib/x.jar``
  (trivy); pkgscan writes the path inside the package with ``!/`` at each archive boundary
  (``lib/simple.jar!/pom.properties``) and places a component found only by file name at the jar.
  scalibr's ``not_jar`` / ``invalid_jar.jar`` "errors" are a ``nested-archive-unreadable`` notice
  here (no component: their names carry no version); ``empty.jar`` a ``java-unidentified`` notice.
* syft's ``manifest/leading-space`` fixture: syft keeps lines that are not ``Key: value`` as part of
  the previous value; pkgscan follows the JAR specification (a continuation line starts with
  exactly one space; other lines are skipped), so only the keys it reads are compared there.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from pkgscan import scan_path
from pkgscan.archive import Limits
from pkgscan.cli import main
from pkgscan.inventory.java import parse_filename, parse_manifest, parse_pom_xml, parse_properties
from pkgscan.scan import scan_vulnerabilities
from pkgscan.vulns.matcher import OfflineSource
from pkgscan.vulns.store import AdvisoryDB, import_path, writer

from .conftest import FIXTURES, SAMPLES

PEER = FIXTURES / "peer" / "java-archive"
JAVA_SAMPLES = SAMPLES / "java"
MAVEN_DB = FIXTURES / "java" / "Maven-sample.zip"
SAMPLE_NAMES = ("java-function", "java-layer")


def _expected(name: str) -> dict:
    return json.loads((JAVA_SAMPLES / f"{name}.expected.json").read_text())


def _found(inv) -> dict:
    return {(c.ecosystem, c.name, c.version): sorted(o.location for o in c.occurrences) for c in inv.components}


def _truth(expected) -> dict:
    return {(c["ecosystem"], c["name"], c["version"]): sorted(c["locations"]) for c in expected["components"]}


@pytest.fixture(scope="session")
def inventories():
    return {n: scan_path(SAMPLES / f"{n}.zip") for n in SAMPLE_NAMES}


@pytest.fixture(scope="session")
def maven_db(tmp_path_factory):
    d = tmp_path_factory.mktemp("maven-db")
    with writer(d) as w:
        rep = import_path(w, MAVEN_DB)
        assert not rep.skipped
    db = AdvisoryDB(d)
    yield d, db
    db.close()


def _lambda_zip(tmp_path: Path, members: dict[str, bytes], name: str = "fn.zip") -> Path:
    z = tmp_path / name
    with zipfile.ZipFile(z, "w") as zf:
        for k, v in members.items():
            zf.writestr(k, v)
    return z


def _jar(members: dict[str, bytes | str], stored: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as zf:
        for k, v in members.items():
            zf.writestr(k, v)
    return buf.getvalue()


def _props(g: str, a: str, v: str) -> str:
    return f"#Created by Apache Maven 3.9.6\ngroupId={g}\nartifactId={a}\nversion={v}\n"


# ------------------------------------------------------------------------------ samples


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_sample_recall_and_precision(inventories, name):
    inv, expected = inventories[name], _expected(name)
    truth, found = _truth(expected), _found(inv)
    tp = set(truth) & set(found)
    recall, precision = len(tp) / len(truth), len(tp) / len(found)
    assert (recall, precision) == (1.0, 1.0), (set(truth) - set(found), set(found) - set(truth))
    assert found == truth  # every location, too
    assert inv.artifact.layout == expected["layout"]
    assert not inv.suspicious
    assert [n for n in inv.notices if n.code.startswith("java-")] == []


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_sample_directory_scan_matches_zip_scan(inventories, name, tmp_path):
    with zipfile.ZipFile(SAMPLES / f"{name}.zip") as zf:
        zf.extractall(tmp_path)
    inv = scan_path(tmp_path)
    assert _found(inv) == _found(inventories[name])
    assert inv.artifact.kind == "directory" and inv.artifact.layout == _expected(name)["layout"]


def test_sample_size_and_purls(inventories):
    for name in SAMPLE_NAMES:
        assert (SAMPLES / f"{name}.zip").stat().st_size < 3 * 1024 * 1024
    log4j = inventories["java-function"].component("maven", "org.apache.logging.log4j:log4j-core", "2.14.1")
    assert log4j.purl == "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"


def test_one_component_with_every_piece_of_evidence(inventories):
    inv = inventories["java-function"]
    log4j = inv.component("maven", "org.apache.logging.log4j:log4j-core", "2.14.1")
    kinds = {(e.technique, e.detail): e for e in log4j.evidence}
    assert kinds[("manifest-analysis", "pom.properties")].confidence == 1.0
    assert kinds[("manifest-analysis", "pom.properties")].location == \
        "lib/log4j-core-2.14.1.jar!/META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties"
    assert kinds[("filename", "file name")].location == "lib/log4j-core-2.14.1.jar"
    assert 0.5 <= kinds[("filename", "file name")].confidence <= 0.6
    assert 0.7 <= kinds[("manifest-analysis", "MANIFEST.MF")].confidence <= 0.8
    assert log4j.confidence == 1.0
    # no pom.properties in Debian's commons-logging jar: manifest + file name, weaker
    cl = inv.component("maven", "commons-logging:commons-logging", "1.2")
    assert {e.technique for e in cl.evidence} == {"manifest-analysis", "filename"}
    assert cl.confidence < 1.0 and cl.licenses == ("Apache-2.0",)
    # the unpacked tree at the zip root (the function's own classes)
    own = inv.component("maven", "com.example:java-function", "1.0.0")
    assert own.occurrences[0].root == ""
    # a jar named without a version: pom.properties alone; one shaded jar: six components
    layer = inventories["java-layer"]
    api = layer.component("maven", "org.apache.logging.log4j:log4j-api", "2.19.0")
    assert "filename" not in {e.technique for e in api.evidence}
    shaded = [c for c in layer.components if c.occurrences[0].location.startswith("java/lib/httpclient-osgi-4.5.14.jar!/")]
    assert len(shaded) == 6 and {c.occurrences[0].root for c in shaded} == {"java/lib"}


def test_sample_findings(inventories, maven_db):
    _d, db = maven_db
    for name in SAMPLE_NAMES:
        findings = scan_vulnerabilities(inventories[name], [OfflineSource(db)]).findings
        got: dict[str, set[str]] = {}
        for f in findings:
            got.setdefault(f"{f.component.name}@{f.component.version}", set()).add(f.id)
        want = {k: set(v) for k, v in _expected(name)["findings"].items()}
        assert got == want


def test_cli_scan_finds_log4shell(maven_db):
    d, _db = maven_db
    r = CliRunner().invoke(main, ["scan", str(SAMPLES / "java-function.zip"), "--db", str(d), "--format", "json"],
                           catch_exceptions=False)
    assert "GHSA-jfh8-c2jp-5v3q" in r.output and "GHSA-7rjr-3q55-vv33" in r.output and "GHSA-p6xc-xr62-6r2g" in r.output
    assert "CVE-2021-44228" in r.output


# ------------------------------------------------------------------------------ behaviour


def test_a_single_jar_is_a_package(tmp_path):
    """``pkgscan scan app.jar``: open_tree takes a jar (it is a zip); its file name counts."""
    with zipfile.ZipFile(SAMPLES / "java-function.zip") as zf:
        (tmp_path / "log4j-core-2.14.1.jar").write_bytes(zf.read("lib/log4j-core-2.14.1.jar"))
    inv = scan_path(tmp_path / "log4j-core-2.14.1.jar")
    c = inv.component("maven", "org.apache.logging.log4j:log4j-core", "2.14.1")
    assert c is not None and inv.artifact.kind == "zip"
    assert {e.technique for e in c.evidence} == {"manifest-analysis", "filename"}
    # Spring Boot style: BOOT-INF/lib inside the deployed jar
    boot = _jar({"META-INF/maven/com.example/app/pom.properties": _props("com.example", "app", "0.0.1"),
                 "BOOT-INF/lib/log4j-core-2.14.1.jar": zf_read(SAMPLES / "java-function.zip", "lib/log4j-core-2.14.1.jar"),
                 "BOOT-INF/classes/com/example/App.class": b"\xca\xfe\xba\xbe"}, stored=True)
    (tmp_path / "app-0.0.1.jar").write_bytes(boot)
    inv = scan_path(tmp_path / "app-0.0.1.jar")
    assert _found(inv) == {
        ("maven", "com.example:app", "0.0.1"): ["META-INF/maven/com.example/app/pom.properties"],
        ("maven", "org.apache.logging.log4j:log4j-core", "2.14.1"):
            ["BOOT-INF/lib/log4j-core-2.14.1.jar!/META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties"]}
    app = inv.component("maven", "com.example:app", "0.0.1")
    assert ("filename", "app-0.0.1.jar") in {(e.technique, e.location) for e in app.evidence}


def zf_read(path: Path, member: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(member)


def test_file_name_and_pom_properties_disagree(tmp_path):
    """pom.properties wins; the file name's version is kept as a property, and a notice says so."""
    jar = _jar({"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties":
                _props("org.apache.logging.log4j", "log4j-core", "2.14.1")})
    inv = scan_path(_lambda_zip(tmp_path, {"lib/log4j-core-2.17.1.jar": jar, "lib/renamed.jar": jar}))
    assert [(c.name, c.version) for c in inv.components] == [("org.apache.logging.log4j:log4j-core", "2.14.1")]
    c = inv.components[0]
    assert ("pkgscan:filename-version", "2.17.1") in c.properties
    assert len(c.occurrences) == 2
    assert [(n.code, n.path) for n in inv.notices] == [("java-version-mismatch", "lib/log4j-core-2.17.1.jar")]


def test_unidentified_jar_is_never_dropped_silently(tmp_path):
    jar = _jar({"com/example/A.class": b"\xca\xfe\xba\xbe"})
    inv = scan_path(_lambda_zip(tmp_path, {"lib/mystery.jar": jar, "lib/thing-2.3.4.jar": jar,
                                           "lib/broken-1.0.jar": b"not a zip at all"}))
    assert [(c.name, c.version) for c in inv.components] == [("broken:broken", "1.0"), ("thing:thing", "2.3.4")]
    for c in inv.components:
        assert [e.technique for e in c.evidence] == ["filename"] and c.confidence == 0.5
        assert ("pkgscan:maven-group-guessed", "true") in c.properties
    codes = {(n.code, n.path) for n in inv.notices}
    assert ("java-unidentified", "lib/mystery.jar") in codes and ("java-unidentified", "lib/thing-2.3.4.jar") in codes
    assert ("nested-archive-unreadable", "lib/broken-1.0.jar") in codes


def test_pom_xml_where_pom_properties_is_missing(tmp_path):
    pom = b"""<?xml version="1.0"?><project xmlns="http://maven.apache.org/POM/4.0.0">
      <parent><groupId>org.example</groupId><artifactId>parent</artifactId><version>3.1</version></parent>
      <artifactId>child</artifactId><properties><x>y</x></properties>
      <licenses><license><name>The Apache Software License, Version 2.0</name></license></licenses></project>"""
    jar = _jar({"META-INF/maven/org.example/child/pom.xml": pom})
    inv = scan_path(_lambda_zip(tmp_path, {"lib/child.jar": jar}))
    c = inv.component("maven", "org.example:child", "3.1")
    assert c is not None and c.licenses == ("Apache-2.0",)
    assert [(e.detail, e.confidence) for e in c.evidence] == [("pom.xml", 0.9)]
    # pom.properties missing the version: pom.xml fills it
    jar = _jar({"META-INF/maven/org.example/child/pom.xml": pom,
                "META-INF/maven/org.example/child/pom.properties": "groupId=org.example\nartifactId=child\n"})
    inv = scan_path(_lambda_zip(tmp_path, {"lib/child.jar": jar}, "b.zip"))
    c = inv.component("maven", "org.example:child", "3.1")
    assert [e.detail for e in c.evidence] == ["pom.properties", "pom.xml"]


def test_nested_depth_limit_and_deeper_limit(tmp_path):
    data = (PEER / "osv-scalibr" / "nested_at_10.jar").read_bytes()
    z = _lambda_zip(tmp_path, {"lib/nested_at_10.jar": data})
    inv = scan_path(z)
    assert inv.components == () and any(n.code == "nesting-limit" and n.suspicious for n in inv.notices)
    inv = scan_path(z, limits=Limits(max_nesting=10))
    assert [(c.name, c.version) for c in inv.components] == [("com.some.package:package-name", "1.2.3")]
    assert inv.components[0].occurrences[0].location == "lib/nested_at_10.jar" + "!/nested.jar" * 9 + "!/pom.properties"


# ------------------------------------------------------------------------------ parsers (syft)


@pytest.mark.parametrize("key", sorted(k for k in json.loads((PEER / "syft" / "expected.json").read_text())
                                       if k.startswith("pom/")))
def test_syft_pom_properties(key):
    want = json.loads((PEER / "syft" / "expected.json").read_text())[key]["pom_properties"]
    props = parse_properties((PEER / "syft" / key).read_text())
    assert (props.get("groupId"), props.get("artifactId"), props.get("version")) == \
        (want["group_id"], want["artifact_id"], want["version"])
    for k, v in want.get("extra", {}).items():
        assert props[k] == v
    if "name" in want:
        assert props["name"] == want["name"]


# see the module docstring
_SYFT_MANIFEST_DIFFERENT = {"manifest/leading-space"}


@pytest.mark.parametrize("key", sorted(k for k in json.loads((PEER / "syft" / "expected.json").read_text())
                                       if k.startswith("manifest/")))
def test_syft_manifest(key):
    want = json.loads((PEER / "syft" / "expected.json").read_text())[key]["manifest"]
    main, sections = parse_manifest((PEER / "syft" / key).read_text())
    if key in _SYFT_MANIFEST_DIFFERENT:
        assert ("should", "parse") in main
        return
    assert main == [(kv["key"], kv["value"]) for kv in want["main"]]
    assert sections == [[(kv["key"], kv["value"]) for kv in sec] for sec in want.get("sections", [])]


def test_parsers_small_cases():
    assert parse_filename("guava-30.1-jre.jar") == ("guava", "30.1-jre")
    assert parse_filename("log4j-core-2.14.1.jar") == ("log4j-core", "2.14.1")
    assert parse_filename("commons-lang3-3.12.0.jar") == ("commons-lang3", "3.12.0")
    assert parse_filename("log4j-core.jar") is None and parse_filename("app.jar") is None
    assert parse_properties("a\\\n  b=c\\u0041\nkey value\n! comment\nx:y=z") == {"ab": "cA", "key": "value", "x": "y=z"}
    assert parse_pom_xml(b'<!DOCTYPE x [<!ENTITY a "b">]><project/>') is None
    assert parse_pom_xml(b"<project><groupId>g</groupId><artifactId>a</artifactId><version>${v}</version>"
                         b"<properties><v>1.2</v></properties></project>").version == "1.2"


# ------------------------------------------------------------------------------ peer cases


def _peer_cases():
    cases = []
    scalibr = json.loads((PEER / "osv-scalibr" / "expected.json").read_text())
    for key, case in scalibr.items():
        for i, variant in enumerate([case] + case.get("variants", [])):
            opts = variant.get("options", {})
            if "MaxOpenedBytes" in opts or not (PEER / "osv-scalibr" / key).exists():
                continue
            path = variant.get("path", case.get("path", key))
            cases.append(pytest.param("osv-scalibr", key, path, variant["packages"], id=f"osv-scalibr/{key}#{i}"))
    trivy = json.loads((PEER / "trivy" / "expected.json").read_text())
    for key, case in trivy.items():
        for i, variant in enumerate([case] + case.get("variants", [])):
            cases.append(pytest.param("trivy", key, key, variant["packages"], id=f"trivy/{key}#{i}"))
    return cases


# (peer, fixture, path) -> what pkgscan reports instead (see the module docstring)
KNOWN_DIFFERENCES = {
    ("osv-scalibr", "nested_at_10.jar", "nested_at_10.jar"): [],
    ("osv-scalibr", "com.google.src.yolo-0.1.2.jar", "com.google.src.yolo-0.1.2.jar"):
        [("com.google.src.yolo:com.google.src.yolo", "0.1.2")],
    ("osv-scalibr", "manifest-symbolicname/MANIFEST.MF", "manifest-symbolicname"): [("com.google.guava:failureaccess", "1.0.1")],
    ("trivy", "test.jar", "test.jar"): [("org.springframework:core", "2.5.6.SEC03")],
    ("trivy", "heuristic-1.0.0-SNAPSHOT.jar", "heuristic-1.0.0-SNAPSHOT.jar"): [("heuristic:heuristic", "1.0.0-SNAPSHOT")],
}


@pytest.mark.parametrize("peer, key, path, packages", _peer_cases())
def test_peer_fixture(peer, key, path, packages, tmp_path):
    data = (PEER / peer / key).read_bytes()
    if key.endswith("MANIFEST.MF"):  # the peer zips the manifest alone into a jar
        data = _jar({"META-INF/MANIFEST.MF": data})
    name = path if path.lower().endswith((".jar", ".war")) else path + ".jar"
    inv = scan_path(_lambda_zip(tmp_path, {f"lib/{name}": data}))
    got = sorted((c.name, c.version) for c in inv.components)
    want = KNOWN_DIFFERENCES.get((peer, key, path), sorted((p["name"], p["version"]) for p in packages))
    assert got == sorted(want)
    for c in inv.components:  # every location is inside the jar
        assert all(o.location.startswith(f"lib/{name}") for o in c.occurrences)
    if not got:  # nothing identified: a notice says why
        assert inv.notices


def test_unpacked_tree_identified_by_its_manifest(tmp_path):
    """Classes at the zip root with only a MANIFEST.MF (no Maven metadata): title + version count;
    a manifest that names nothing (Manifest-Version, Created-By) is no component and no noise."""
    manifest = ("Manifest-Version: 1.0\nImplementation-Title: order-handler\nImplementation-Version: 2.0.1\n"
                "Implementation-Vendor-Id: com.example.orders\n")
    inv = scan_path(_lambda_zip(tmp_path, {"META-INF/MANIFEST.MF": manifest, "com/example/H.class": b"\xca\xfe\xba\xbe"}))
    assert [(c.name, c.version) for c in inv.components] == [("com.example.orders:order-handler", "2.0.1")]
    c = inv.components[0]
    assert [(e.technique, e.confidence, e.location) for e in c.evidence] == [("manifest-analysis", 0.8, "META-INF/MANIFEST.MF")]
    inv = scan_path(_lambda_zip(tmp_path, {"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\nCreated-By: Maven\n"}, "b.zip"))
    assert inv.components == () and not inv.notices
