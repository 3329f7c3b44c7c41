"""Java archives: jars, wars and ears anywhere in the package, and unpacked classes trees.

Lambda's Java layouts: a function zip holds its classes at the root and its dependencies in
``lib/*.jar``; a layer holds ``java/lib/*.jar``; a function may also be deployed as one jar
(``pkgscan scan app.jar``: a jar is a zip, the tree is the jar itself).  Every jar is read in place
through ``tree.open_nested`` (same bounded reader, shared byte budget, depth-limited), never
extracted; jars inside jars (Spring Boot ``BOOT-INF/lib/``, ``WEB-INF/lib/``, ``META-INF/jars/``,
``lib/``) are opened the same way, to ``Limits.max_nesting`` levels.

What identifies a package, strongest first (``Evidence`` technique, confidence, detail):

* ``META-INF/maven/<groupId>/<artifactId>/pom.properties`` (written by Maven's archiver; Gradle's
  maven-publish writes none): manifest-analysis 1.0 "pom.properties".  A jar carries one per
  artifact it contains: a shaded/uber jar carries several, and each is a component.  Inside a jar a
  ``pom.properties`` at any path counts (some tools put it at the root).  Properties are read as
  ``java.util.Properties`` does (``=``, ``:`` or blank separator, ``#``/``!`` comments,
  continuation lines, escapes).
* ``pom.xml`` beside it, where pom.properties is missing or lacks a field: manifest-analysis 0.9
  "pom.xml" (``groupId``/``version`` inherited from ``<parent>``; ``${...}`` resolved from the
  pom's own properties, else the field is unknown).  Its ``<licenses>`` give the licences.
* ``META-INF/MANIFEST.MF`` (main section, or an Ant-style per-package section when the main one
  has no version): ``Implementation-Version`` / ``Bundle-Version`` / ``Specification-Version``
  (first word), artifact from the file name or ``Implementation-Title`` / ``Bundle-SymbolicName``
  / ``Bundle-Name``, group as :func:`_manifest_group` says (a short table of well-known artifacts,
  ``Bundle-SymbolicName`` -- ``com.google.guava.failureaccess`` for ``failureaccess`` is
  ``com.google.guava`` --, titles, ``Implementation-Vendor-Id`` last); else the artifactId itself
  (Maven 1's ``log4j:log4j`` convention), or for a dotted name its first parts
  (``org.eclipse.sisu.inject`` -> ``org.eclipse.sisu``), marked ``pkgscan:maven-group-guessed``.
  manifest-analysis 0.8 when the group comes from the manifest and its version agrees, else 0.7.
  Without Maven metadata the file name's version wins over the manifest's (build tools name
  dependency jars from the resolved coordinates; a manifest may be a shaded host's); the
  manifest's is kept as property ``pkgscan:manifest-version`` when they differ.
* the file name (``guava-30.1-jre.jar`` -> ``guava`` ``30.1-jre``: the first ``-`` followed by a
  digit): technique "filename", 0.5.

Several pieces naming the same package are ONE component with every piece as evidence (the file
name and the manifest attach to the pom.properties artifact whose artifactId they name).

Coordinates that differ between the file name and pom.properties: **pom.properties wins.**  It is
written by the build from the project model; file names are changed freely by build tools,
copies and people (``app.jar``, ``log4j-core.jar``, a version bumped in the name only).  When the
file name names the same artifactId with another version, the component keeps the pom.properties
version, records the file name's as property ``pkgscan:filename-version`` and a notice
``java-version-mismatch`` says so; a file name naming an artifact that no metadata in the jar
describes is not made a component of its own when the jar identified itself by metadata (a
renamed jar, or a shaded jar named after its project: a guessed name there would be a false
positive).  A manifest version that differs from pom.properties' is likewise ignored (shaded jars
keep the host's manifest).

Nothing is dropped silently: a jar from which nothing could be identified yields a notice
``java-unidentified`` and, when its file name parses, a filename-only component (confidence 0.5);
an unreadable jar (not a zip, too large, nested too deep, over the byte budget) gets its reader's
notice and the same filename fallback.

Locations are the jar's path in the package, plus ``!/`` and the member inside it
(``lib/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar!/META-INF/maven/.../pom.properties``); a
component found only by file name is located at the jar itself.  ``root`` is the directory of the
outermost jar (``lib``, ``java/lib``) or of the unpacked tree.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field

from .. import ecosystems
from ..archive import Tree
from ..model import Evidence, Notice
from ..versions import maven as maven_versions
from .base import CatalogResult, Installed, decode_text, dirname, scrub

MAVEN = ecosystems.MAVEN
JAR_SUFFIXES = (".jar", ".war", ".ear")
_JAR_TAILS = frozenset(JAR_SUFFIXES)
_META_TAILS = ("pom.properties", "pom.xml", "META-INF/MANIFEST.MF")
_MAX_PROPERTIES = 64 * 1024
_MAX_POM_XML = 2 * 1024 * 1024
_MAX_MANIFEST = 1024 * 1024

CONF_POM_PROPERTIES = 1.0
CONF_POM_XML = 0.9
CONF_MANIFEST = 0.8
CONF_MANIFEST_WEAK = 0.7
CONF_FILENAME = 0.5

_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_REVERSE_DOMAIN = re.compile(r"^[a-z][a-z0-9_\-]*(\.[A-Za-z0-9_\-]+)+$")
_FILENAME = re.compile(r"^(?P<a>[A-Za-z0-9_.]+(?:-[A-Za-z_.][A-Za-z0-9_.]*)*?)-(?P<v>[0-9][^/\s]*)\.(?:jar|war|ear)$",
                       re.IGNORECASE)
# artifactIds whose group a name alone cannot tell, and that real manifests often omit
_KNOWN_GROUPS = {
    "log4j-core": "org.apache.logging.log4j", "log4j-api": "org.apache.logging.log4j",
    "log4j-slf4j-impl": "org.apache.logging.log4j", "log4j-1.2-api": "org.apache.logging.log4j",
    "jackson-databind": "com.fasterxml.jackson.core", "jackson-core": "com.fasterxml.jackson.core",
    "jackson-annotations": "com.fasterxml.jackson.core", "guava": "com.google.guava",
    "failureaccess": "com.google.guava", "commons-lang3": "org.apache.commons",
    "commons-text": "org.apache.commons", "commons-compress": "org.apache.commons",
    "commons-collections4": "org.apache.commons", "commons-configuration2": "org.apache.commons",
    "httpclient": "org.apache.httpcomponents", "httpcore": "org.apache.httpcomponents",
    "slf4j-api": "org.slf4j", "snakeyaml": "org.yaml", "gson": "com.google.code.gson",
    "spring-core": "org.springframework", "spring-web": "org.springframework",
    "spring-webmvc": "org.springframework", "spring-beans": "org.springframework",
    "spring-context": "org.springframework", "jsoup": "org.jsoup", "joda-time": "joda-time",
    "netty-all": "io.netty", "commons-logging": "commons-logging", "commons-io": "commons-io",
    "commons-codec": "commons-codec", "commons-collections": "commons-collections", "log4j": "log4j",
    "commons-beanutils": "commons-beanutils", "commons-fileupload": "commons-fileupload", "aws-lambda-java-core": "com.amazonaws", "aws-lambda-java-events": "com.amazonaws",
}
_LICENSE_NAMES = {
    "apache license, version 2.0": "Apache-2.0", "the apache software license, version 2.0": "Apache-2.0",
    "apache-2.0": "Apache-2.0", "apache 2.0": "Apache-2.0", "apache license 2.0": "Apache-2.0",
    "the apache license, version 2.0": "Apache-2.0",
    "http://www.apache.org/licenses/license-2.0.txt": "Apache-2.0", "https://www.apache.org/licenses/license-2.0.txt": "Apache-2.0",
    "http://www.apache.org/licenses/license-2.0": "Apache-2.0", "https://www.apache.org/licenses/license-2.0": "Apache-2.0", "mit license": "MIT", "the mit license": "MIT", "mit": "MIT",
}


# ----------------------------------------------------------------------------------------- parsers


def parse_properties(text: str) -> dict[str, str]:
    """``java.util.Properties.load`` semantics (first value of a repeated key kept last, as Java does)."""
    out: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].lstrip(" \t\f")
        i += 1
        if not line or line[0] in "#!":
            continue
        while _continues(line) and i < len(lines):
            line = line[:-1] + lines[i].lstrip(" \t\f")
            i += 1
        if _continues(line):
            line = line[:-1]
        key, value = _split_property(line)
        out[key] = value
    return out


def _continues(line: str) -> bool:
    n = len(line) - len(line.rstrip("\\"))
    return n % 2 == 1


_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _unescape(s: str) -> str:
    if "\\" not in s:
        return s
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n == "u" and re.match(r"[0-9a-fA-F]{4}", s[i + 2 : i + 6]):
                out.append(chr(int(s[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(n, n))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _split_property(line: str) -> tuple[str, str]:
    """Key up to the first unescaped ``=``, ``:`` or blank; then blanks, one ``=``/``:``, blanks."""
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c in "=: \t\f":
            break
        i += 1
    key = line[:i]
    j = i
    while j < n and line[j] in " \t\f":
        j += 1
    if j < n and line[j] in "=:":
        j += 1
        while j < n and line[j] in " \t\f":
            j += 1
    return _unescape(key), _unescape(line[j:])


def parse_manifest(text: str) -> tuple[list[tuple[str, str]], list[list[tuple[str, str]]]]:
    """(main section, per-entry sections) as ordered (key, value) lists; continuation lines start
    with one space.  Lines that are not ``Key: value`` are skipped."""
    sections: list[list[tuple[str, str]]] = [[]]
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not raw.strip():
            if sections[-1]:
                sections.append([])
            continue
        if raw.startswith(" ") and sections[-1]:
            k, v = sections[-1][-1]
            sections[-1][-1] = (k, v + raw[1:])
            continue
        key, sep, value = raw.partition(":")
        if not sep or not key or " " in key:
            continue
        sections[-1].append((key.strip(), value.strip()))
    if not sections[-1]:
        sections.pop()
    main = sections[0] if sections else []
    return main, sections[1:]


@dataclass
class Pom:
    group: str = ""
    artifact: str = ""
    version: str = ""
    licenses: tuple[str, ...] = ()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_pom_xml(data: bytes) -> Pom | None:
    """The coordinates of a pom.xml (None when it is not a readable pom).  A DOCTYPE is refused
    (no entity expansion); ``${...}`` is resolved from the pom's own properties and coordinates."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return None
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError, RecursionError):
        return None
    if _local(root.tag) != "project":
        return None
    direct = {_local(c.tag): c for c in root}
    parent = {_local(c.tag): (c.text or "").strip() for c in direct["parent"]} if "parent" in direct else {}

    def text(name: str) -> str:
        el = direct.get(name)
        return (el.text or "").strip() if el is not None else ""

    props: dict[str, str] = {}
    if "properties" in direct:
        for c in direct["properties"]:
            props[_local(c.tag)] = (c.text or "").strip()
    pom = Pom(text("groupId") or parent.get("groupId", ""), text("artifactId"),
              text("version") or parent.get("version", ""))
    props.update({"project.groupId": pom.group, "project.artifactId": pom.artifact, "project.version": pom.version,
                  "pom.version": pom.version, "version": pom.version,
                  "project.parent.version": parent.get("version", ""), "parent.version": parent.get("version", ""),
                  "project.parent.groupId": parent.get("groupId", "")})

    def resolve(value: str) -> str:
        for _ in range(5):
            if "${" not in value:
                return value
            value = re.sub(r"\$\{([^}]*)\}", lambda m: props.get(m.group(1), m.group(0)) if props.get(m.group(1)) != m.group(0) else "", value)
        return value if "${" not in value else ""

    pom.group, pom.artifact, pom.version = resolve(pom.group), resolve(pom.artifact), resolve(pom.version)
    names = []
    if "licenses" in direct:
        for lic in direct["licenses"]:
            for c in lic:
                if _local(c.tag) == "name" and (c.text or "").strip():
                    names.append(_license((c.text or "").strip()))
    pom.licenses = tuple(dict.fromkeys(names))
    return pom


_LICENSES_BLOCK = re.compile(rb"<licenses>(.*?)</licenses>", re.S)
_LICENSE_NAME = re.compile(rb"<license>\s*(?:<!--.*?-->\s*)*<name>([^<]{1,300})</name>", re.S)


def pom_licenses(data: bytes) -> tuple[str, ...]:
    """The ``<licenses><license><name>`` of a pom.xml by a bounded scan (no XML parser, no entities);
    the name as written, or its SPDX id where unambiguous."""
    m = _LICENSES_BLOCK.search(data[:_MAX_POM_XML])
    if not m:
        return ()
    names = (decode_text(n).strip() for n in _LICENSE_NAME.findall(m.group(1)))
    return tuple(dict.fromkeys(_license(_xml_unescape(n)) for n in names if n))


def _xml_unescape(s: str) -> str:
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def _license(name: str) -> str:
    return _LICENSE_NAMES.get(name.lower(), scrub(name))


def parse_filename(base: str) -> tuple[str, str] | None:
    """``guava-30.1-jre.jar`` -> ("guava", "30.1-jre"); None when the name carries no version."""
    m = _FILENAME.match(base)
    if not m:
        return None
    return m.group("a"), m.group("v")


# ----------------------------------------------------------------------------------------- catalog


@dataclass
class _Found:
    group: str
    artifact: str
    version: str
    location: str
    evidence: list[Evidence] = field(default_factory=list)
    licenses: tuple[str, ...] = ()
    properties: list[tuple[str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.group}:{self.artifact}"


def _valid_id(s: str) -> bool:
    return bool(s) and len(s) <= 256 and bool(_ID.match(s))


def _valid_version(v: str) -> bool:
    return maven_versions.is_valid(v) and "${" not in v


class JavaArchiveCataloger:
    name = "java-archive"
    names = frozenset({"pom.properties", "pom.xml", "MANIFEST.MF"})
    suffixes = JAR_SUFFIXES

    def wants(self, path: str, basename: str) -> bool:
        if basename.lower().endswith(JAR_SUFFIXES):
            return True
        if basename in ("pom.properties", "pom.xml"):
            return "META-INF/maven/" in path
        return basename == "MANIFEST.MF" and (path == "META-INF/MANIFEST.MF" or path.endswith("/META-INF/MANIFEST.MF"))

    def catalog(self, tree: Tree, paths: list[str], result: CatalogResult) -> None:
        jars = sorted(p for p in paths if p.lower().endswith(JAR_SUFFIXES))
        roots: dict[str, list[str]] = defaultdict(list)
        for p in paths:
            if p.lower().endswith(JAR_SUFFIXES):
                continue
            i = p.rfind("META-INF/")
            roots[p[:i]].append(p)
        source_path = getattr(getattr(tree, "source", None), "path", "")
        top_jar = ""
        if tree.parent is None and isinstance(source_path, str) and source_path.lower().endswith(JAR_SUFFIXES):
            # the package is itself one jar (``pkgscan scan app.jar``): its root is read as a jar,
            # with its file name (pom.properties anywhere in it counts, as in any jar)
            top_jar = source_path.replace("\\", "/").rsplit("/", 1)[-1]
            roots[""].extend(p for p in tree.paths if p[p.rfind("/") + 1 :] == "pom.properties"
                             and not p.startswith("META-INF/maven/"))
        for r in sorted(roots):
            if r == "" and top_jar:
                found = self._identify(tree, "", roots[r], top_jar, unpacked=False)
                if not found or all(e.technique == "filename" for f in found for e in f.evidence):
                    tree.notices.append(Notice("java-unidentified", "", "no pom.properties, pom.xml or usable "
                                               "MANIFEST.MF in this archive" + ("; identified by its file name only" if found else "")))
            else:
                found = self._identify(tree, r, roots[r], None, unpacked=True)
            self._emit(result, found, root=r.rstrip("/"))
        for j in jars:
            self._jar(tree, j, dirname(j), result)

    # ---------------------------------------------------------------------------------- one jar
    def _jar(self, tree: Tree, path: str, root: str, result: CatalogResult) -> int:
        """Identify one jar (and the jars inside it); returns how many components it yielded."""
        base = path[path.rfind("/") + 1 :]
        nested = tree.open_nested(path)
        if nested is None:
            return self._filename_only(result, base, tree.prefix + path, root)
        with nested:
            try:
                return self._archive(nested, base, root, result, lambda n: tree.notices.append(n), path)
            except (RecursionError, MemoryError, ValueError, KeyError, IndexError, UnicodeError, OSError) as exc:
                # a safety net: whatever a parser missed costs this jar's inner detail, never the scan
                tree.notices.append(Notice("java-unreadable", path, f"archive not fully read: {type(exc).__name__}"))
                return self._filename_only(result, base, tree.prefix + path, root)

    def _archive(self, jar: Tree, base: str, root: str, result: CatalogResult, note, path: str) -> int:
        """The contents of an opened jar: its own metadata, then the jars inside it."""
        inner_meta: list[str] = []
        inner_jars: list[str] = []
        for p in jar.paths:  # one cheap test per entry: a fat jar has tens of thousands
            if p[-4:].lower() in _JAR_TAILS:
                inner_jars.append(p)
            elif p.endswith(_META_TAILS):
                b = p[p.rfind("/") + 1 :]
                if b == "pom.properties" or p == "META-INF/MANIFEST.MF" or (
                        b == "pom.xml" and p.startswith("META-INF/maven/")):
                    inner_meta.append(p)
        found = self._identify(jar, "", inner_meta, base, unpacked=False)
        count = self._emit(result, found, root)
        for inner in sorted(inner_jars):
            count += self._jar(jar, inner, root, result)
        if not found or all(e.technique == "filename" for f in found for e in f.evidence):
            note(Notice("java-unidentified", path, "no pom.properties, pom.xml or usable MANIFEST.MF in this archive"
                        + ("; identified by its file name only" if found else "")))
        return count

    def _filename_only(self, result: CatalogResult, base: str, location: str, root: str) -> int:
        fn = parse_filename(base)
        if fn is None or not _valid_id(fn[0]) or not _valid_version(fn[1]):
            return 0
        group = _KNOWN_GROUPS.get(fn[0], "")
        if not group:
            group = fn[0].rsplit(".", 1)[0] if _REVERSE_DOMAIN.match(fn[0]) and fn[0].count(".") >= 2 else fn[0]
        f = _Found(group, fn[0], fn[1], location, [Evidence("filename", CONF_FILENAME, location, "file name")])
        if fn[0] not in _KNOWN_GROUPS:
            f.properties.append(("pkgscan:maven-group-guessed", "true"))
        return self._emit(result, [f], root)

    def _emit(self, result: CatalogResult, found: list[_Found], root: str) -> int:
        for f in found:
            result.installed.append(Installed(
                ecosystem=MAVEN, name=scrub(f.name), version=scrub(f.version), location=scrub(f.location), root=root,
                licenses=f.licenses, evidence=tuple(f.evidence), properties=tuple(sorted(set(f.properties)))))
        return len(found)

    # ----------------------------------------------------------------------- identify one archive
    def _identify(self, tree: Tree, r: str, members: list[str], filename: str | None, unpacked: bool) -> list[_Found]:
        """Components of one archive (or unpacked tree rooted at ``r``) from its metadata files."""
        props_paths = sorted(m for m in members if m.endswith("pom.properties") and m[m.rfind("/") + 1 :] == "pom.properties")
        xml_by_dir = {dirname(m): m for m in members if m[m.rfind("/") + 1 :] == "pom.xml"}
        manifest_path = f"{r}META-INF/MANIFEST.MF" if f"{r}META-INF/MANIFEST.MF" in members else None
        found: list[_Found] = []
        seen: set[tuple[str, str, str]] = set()
        done_dirs: set[str] = set()
        for pp in props_paths:
            d = dirname(pp)
            done_dirs.add(d)
            data = tree.read_or_note(pp, _MAX_PROPERTIES)
            if data is None:
                continue
            try:
                props = parse_properties(decode_text(data))
            except RecursionError:  # pragma: no cover - the parser is iterative
                props = {}
            g, a, v = (props.get("groupId", "").strip(), props.get("artifactId", "").strip(),
                       props.get("version", "").strip())
            ev = [Evidence("manifest-analysis", CONF_POM_PROPERTIES, tree.prefix + pp, "pom.properties")]
            licenses: tuple[str, ...] = ()
            location = tree.prefix + pp
            if d in xml_by_dir and g and a and v:
                # coordinates complete: the pom.xml only adds licences, read without an XML parse
                data = tree.read_or_note(xml_by_dir[d], _MAX_POM_XML)
                licenses = pom_licenses(data) if data is not None else ()
            elif d in xml_by_dir:
                pom = self._pom(tree, xml_by_dir[d])
                if pom is not None:
                    licenses = pom.licenses
                    if not (g and a and v) and (pom.group or g) and (pom.artifact or a) and (pom.version or v):
                        g, a, v = g or pom.group, a or pom.artifact, v or pom.version
                        ev.append(Evidence("manifest-analysis", CONF_POM_XML, tree.prefix + xml_by_dir[d], "pom.xml"))
            if not (_valid_id(g) and _valid_id(a) and _valid_version(v)):
                tree.notices.append(Notice("java-pom-properties-invalid", pp,
                                           f"pom.properties without a usable groupId/artifactId/version "
                                           f"({g!r}, {a!r}, {v!r}); ignored"))
                continue
            if (g, a, v) in seen:
                continue
            seen.add((g, a, v))
            found.append(_Found(g, a, v, location, ev, licenses))
        for d, xp in sorted(xml_by_dir.items()):
            if d in done_dirs:
                continue
            pom = self._pom(tree, xp)
            if pom is None:
                tree.notices.append(Notice("java-pom-xml-invalid", xp, "pom.xml not readable as a Maven POM; ignored"))
                continue
            g, a, v = pom.group, pom.artifact, pom.version
            if not (_valid_id(g) and _valid_id(a) and _valid_version(v)) or (g, a, v) in seen:
                if (g, a, v) not in seen:
                    tree.notices.append(Notice("java-pom-xml-invalid", xp, f"pom.xml without usable coordinates "
                                               f"({g!r}, {a!r}, {v!r}); ignored"))
                continue
            seen.add((g, a, v))
            found.append(_Found(g, a, v, tree.prefix + xp,
                                [Evidence("manifest-analysis", CONF_POM_XML, tree.prefix + xp, "pom.xml")], pom.licenses))

        main = self._read_manifest(tree, manifest_path) if manifest_path else []
        fn = parse_filename(filename) if filename else None
        jar_location = tree.prefix[:-2] if tree.prefix.endswith("!/") else (filename or "")
        if found:
            self._attach(tree, found, main, manifest_path, fn, filename, jar_location)
            return found
        # no Maven metadata: the manifest and the file name
        f = self._from_manifest(tree, main, manifest_path, fn, jar_location, unpacked)
        return [f] if f else []

    def _pom(self, tree: Tree, path: str) -> Pom | None:
        data = tree.read_or_note(path, _MAX_POM_XML)
        return parse_pom_xml(data) if data is not None else None

    def _read_manifest(self, tree: Tree, path: str) -> list[tuple[str, str]]:
        data = tree.read_or_note(path, _MAX_MANIFEST)
        if data is None:
            return []
        main, sections = parse_manifest(decode_text(data))
        if _manifest_version(dict(main)):
            return main
        # Ant-built jars (Apache Axis) put Implementation-* in a per-package section
        # ("Name: org/apache/axis"): use the first such section, its name as the package
        for sec in sections:
            d = dict(sec)
            name = d.get("Name", "").strip().strip("/")
            if _manifest_version(d) and re.fullmatch(r"[A-Za-z0-9_]+(/[A-Za-z0-9_]+)+", name):
                keys = {k for k, _ in main}
                return main + [(k, v) for k, v in sec if k not in keys and k != "Name"] + [
                    ("X-Package-Name", name.replace("/", "."))]
        return main

    def _attach(self, tree, found, main, manifest_path, fn, filename, jar_location) -> None:
        """File name and manifest evidence go to the artifact they name (pom.properties wins)."""
        target = None
        if fn is not None:
            named = [f for f in found if fn[0] in (f.artifact, f"{f.group}.{f.artifact}")]
            if named:
                target = named[0]
                if maven_versions.equal(fn[1], target.version):
                    target.evidence.append(Evidence("filename", CONF_FILENAME, jar_location, "file name"))
                else:
                    target.properties.append(("pkgscan:filename-version", scrub(fn[1])))
                    self._note_parent(tree, "java-version-mismatch",
                                      f"file name says {fn[0]} {fn[1]}, pom.properties says {target.version}; "
                                      "pom.properties wins")
        if target is None and len(found) == 1:
            target = found[0]
        if target is not None and main:
            mv = _manifest_version(dict(main))
            if mv and maven_versions.equal(mv, target.version):
                target.evidence.append(Evidence("manifest-analysis", CONF_MANIFEST_WEAK, tree.prefix + manifest_path,
                                                "MANIFEST.MF"))

    def _note_parent(self, tree: Tree, code: str, message: str) -> None:
        # a notice about the jar itself: recorded on the tree that holds the jar
        parent = tree.parent if tree.parent is not None else tree
        path = tree.prefix[len(parent.prefix):-2] if tree.parent is not None else ""
        parent.notices.append(Notice(code, path, message))

    def _from_manifest(self, tree, main, manifest_path, fn, jar_location, unpacked) -> _Found | None:
        """A component from the manifest and the file name (no Maven metadata in the archive).

        The version is the file name's when it has one (build tools name dependency jars from the
        resolved coordinates; a manifest may be a shaded host's or carry a build date), else the
        manifest's; the manifest is evidence only where it agrees.
        """
        m = dict(main)
        mver = _manifest_version(m)
        artifact = fn[0] if fn else ""
        from_manifest_artifact = False
        if not artifact:
            for key in ("Implementation-Title", "Bundle-SymbolicName", "Bundle-Name", "Specification-Title",
                        "X-Package-Name"):
                cand = _clean_symbolic(m.get(key, ""))
                if key in ("Bundle-SymbolicName", "X-Package-Name") and "." in cand:
                    cand = cand.rsplit(".", 1)[1]
                if _valid_id(cand) and not (key == "Implementation-Title" and _REVERSE_DOMAIN.match(cand)):
                    artifact, from_manifest_artifact = cand, True
                    break
        version = fn[1] if fn else mver
        if not artifact or not _valid_version(version):
            return None
        if unpacked and not from_manifest_artifact:
            return None
        group, from_manifest_group = _manifest_group(m, artifact)
        guessed = False
        if not group:
            guessed = True
            # org.eclipse.sisu.inject-0.3.5.jar: a dotted name is usually groupId + "." + last part
            group = artifact.rsplit(".", 1)[0] if _REVERSE_DOMAIN.match(artifact) and artifact.count(".") >= 2 else artifact
        agrees = bool(mver) and maven_versions.equal(mver, version)
        ev: list[Evidence] = []
        if manifest_path and (agrees or from_manifest_artifact or from_manifest_group):
            conf = CONF_MANIFEST if from_manifest_group and agrees else CONF_MANIFEST_WEAK
            ev.append(Evidence("manifest-analysis", conf, tree.prefix + manifest_path, "MANIFEST.MF"))
        if fn:
            ev.append(Evidence("filename", CONF_FILENAME, jar_location, "file name"))
        if not ev:
            return None
        location = tree.prefix + manifest_path if any(e.detail == "MANIFEST.MF" for e in ev) else jar_location
        f = _Found(group, artifact, version, location, ev)
        if mver and not agrees:
            f.properties.append(("pkgscan:manifest-version", scrub(mver)))
        lic = m.get("Bundle-License", "")
        if lic and len(lic) < 300:
            f.licenses = (_license(lic.split(";")[0].strip()),)
        if guessed:
            f.properties.append(("pkgscan:maven-group-guessed", "true"))
        return f


def _clean_symbolic(value: str) -> str:
    """``org.apache.ivy;singleton:=true`` -> ``org.apache.ivy``; ``org.elasticsearch#server;8.14.3`` -> ``org.elasticsearch``."""
    return re.split(r"[;#]", value, maxsplit=1)[0].strip()


def _manifest_version(m: dict[str, str]) -> str:
    for key in ("Implementation-Version", "Bundle-Version", "Specification-Version"):
        v = m.get(key, "").strip()
        if v:
            v = v.split()[0]
            if _valid_version(v) and v[:1].isdigit():
                return v
    return ""


def _manifest_group(m: dict[str, str], artifact: str) -> tuple[str, bool]:
    """(groupId, taken from the manifest?) for a jar without Maven metadata; ("", False) when unknown.

    Order: the short table of well-known artifacts; a ``Bundle-SymbolicName`` that is
    ``<group>.<artifact>`` (or ``<group>`` itself, when a title says so); the package an Ant-style
    per-package section names (``Name: org/apache/axis``); a reverse-domain ``Implementation-Title``
    (``org.elasticsearch#server;8.14.3`` -> ``org.elasticsearch``) or ``Extension-Name``; the
    ``Bundle-SymbolicName`` itself; last ``Implementation-Vendor-Id``, which real jars fill with the
    organisation rather than the group (commons-logging, log4j and httpclient all say ``org.apache``).
    """
    if artifact in _KNOWN_GROUPS:
        return _KNOWN_GROUPS[artifact], False
    bsn = _clean_symbolic(m.get("Bundle-SymbolicName", ""))
    bsn_ok = _valid_id(bsn) and "." in bsn
    titles = {_clean_symbolic(m.get(k, "")) for k in ("Implementation-Title", "Extension-Name", "Extension-name")}
    if bsn_ok and bsn.endswith("." + artifact):
        # the bundle plugin names a bundle <group>.<artifact>, or <group> when the artifact is the
        # group's last part (org.apache.ivy:ivy): a title saying the same decides for the latter
        return (bsn if bsn in titles else bsn[: -len(artifact) - 1]), True
    package = m.get("X-Package-Name", "")
    if _REVERSE_DOMAIN.match(package):
        return package, True
    for key in ("Implementation-Title", "Extension-Name", "Extension-name"):
        cand = _clean_symbolic(m.get(key, ""))
        if _REVERSE_DOMAIN.match(cand) and _valid_id(cand):
            return cand, True
    if bsn_ok:
        return bsn, True
    # last: the vendor's id, which is often the organisation (org.apache), not the group
    vendor = m.get("Implementation-Vendor-Id", "").strip()
    if _valid_id(vendor) and "." in vendor:
        return vendor, True
    return "", False


__all__ = ["JavaArchiveCataloger", "parse_properties", "parse_manifest", "parse_pom_xml", "parse_filename"]
