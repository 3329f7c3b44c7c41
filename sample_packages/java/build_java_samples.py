#!/usr/bin/env python3
"""Build sample_packages/java-function.zip and java-layer.zip (see README.md beside this file).

    python3 sample_packages/java/build_java_samples.py [DEB_DIR]

Real jars come from Debian bookworm packages (``apt-get download``; extracted with ``dpkg-deb -x``
into a temporary directory, never installed).  DEB_DIR may hold the .deb files already; otherwise
they are downloaded into a temporary directory.  The log4j 2.14.1 jars are built here from
metadata only (see README.md).  Output is deterministic: entries sorted, fixed timestamps.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent
EPOCH = (1980, 1, 1, 0, 0, 0)

DEBS = {  # Debian package -> version we expect (bookworm)
    "liblog4j2-java": "2.19.0-2",
    "libguava-java": "31.1-1",
    "libcommons-text-java": "1.10.0-1",
    "libcommons-lang3-java": "3.12.0-2+deb12u1",
    "libcommons-logging-java": "1.2-3",
    "libyaml-snake-java": "1.33-2",
    "libslf4j-java": "1.7.32-1",
    "libhttpclient-java": "4.5.14-1",
    "libjackson2-core-java": "2.14.1-2~deb12u1",
    "libjackson2-annotations-java": "2.14.0-1",
    "libjsoup-java": "1.15.3-1",
}


def debs(deb_dir: Path | None, work: Path) -> tuple[Path, dict[str, str]]:
    """Extract the packages into work/root; returns (root, {deb file name: sha256})."""
    if deb_dir is None:
        deb_dir = work / "debs"
        deb_dir.mkdir()
        subprocess.run(["apt-get", "download", *DEBS], cwd=deb_dir, check=True, stdout=subprocess.DEVNULL)
    root = work / "root"
    root.mkdir()
    sums = {}
    for pkg, ver in DEBS.items():
        name = f"{pkg}_{ver.replace(':', '%3a')}_all.deb"
        path = deb_dir / name
        if not path.exists():
            sys.exit(f"missing {name} (apt-get download {pkg}={ver})")
        sums[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        subprocess.run(["dpkg-deb", "-x", str(path), str(root)], check=True)
    return root / "usr" / "share" / "java", sums


def _info(name: str, date=EPOCH) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name, date_time=date)
    zi.compress_type = zipfile.ZIP_DEFLATED
    zi.external_attr = 0o644 << 16
    return zi


def write_zip(entries: dict[str, bytes], compress=True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(entries):
            zi = _info(name)
            if not compress:
                zi.compress_type = zipfile.ZIP_STORED
            zf.writestr(zi, entries[name], compresslevel=9)
    return buf.getvalue()


def strip_jar(data: bytes, keep) -> bytes:
    """A real jar with only the members ``keep(name)`` accepts (original entries, same order)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for zi in src.infolist():
            if keep(zi.filename):
                dst.writestr(zi, src.read(zi), compress_type=zi.compress_type)
    return out.getvalue()


def log4j_2_14_1(debian_jar: bytes, artifact: str) -> bytes:
    """log4j-core / log4j-api 2.14.1 as Maven would package them, metadata only.

    MANIFEST.MF: Debian's 2.19.0 manifest (written by the maven-bundle-plugin) with every
    "2.19.0" replaced by "2.14.1".  pom.properties: in the format maven-archiver 3.5 writes
    (as Debian's slf4j-api.jar, built with Maven 3.6.3, carries it).
    """
    with zipfile.ZipFile(io.BytesIO(debian_jar)) as zf:
        manifest = zf.read("META-INF/MANIFEST.MF").replace(b"2.19.0", b"2.14.1")
    props = (f"#Created by Apache Maven 3.6.3\ngroupId=org.apache.logging.log4j\n"
             f"artifactId={artifact}\nversion=2.14.1\n").encode()
    return write_zip({
        "META-INF/MANIFEST.MF": manifest,
        f"META-INF/maven/org.apache.logging.log4j/{artifact}/pom.properties": props,
    })


def handler_class() -> bytes:
    """The smallest valid class file: ``public class com.example.Handler`` (Java 8, no members)."""
    def utf8(s: str) -> bytes:
        b = s.encode()
        return b"\x01" + struct.pack(">H", len(b)) + b
    pool = b"\x07\x00\x02" + utf8("com/example/Handler") + b"\x07\x00\x04" + utf8("java/lang/Object")
    return (b"\xca\xfe\xba\xbe" + struct.pack(">HHH", 0, 52, 5) + pool
            + struct.pack(">HHHHHHH", 0x0021, 1, 3, 0, 0, 0, 0))


FUNCTION_POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>java-function</artifactId>
  <version>1.0.0</version>
  <packaging>jar</packaging>
  <dependencies>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.14.1</version></dependency>
    <dependency><groupId>com.google.guava</groupId><artifactId>guava</artifactId><version>31.1-jre</version></dependency>
    <dependency><groupId>org.apache.commons</groupId><artifactId>commons-text</artifactId><version>1.10.0</version></dependency>
    <dependency><groupId>commons-logging</groupId><artifactId>commons-logging</artifactId><version>1.2</version></dependency>
    <dependency><groupId>org.yaml</groupId><artifactId>snakeyaml</artifactId><version>1.33</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>1.7.32</version></dependency>
  </dependencies>
</project>
"""


def main(argv: list[str]) -> None:
    deb_dir = Path(argv[1]).resolve() if len(argv) > 1 else None
    with tempfile.TemporaryDirectory() as tmp:
        java, sums = debs(deb_dir, Path(tmp))
        jar = {n: (java / n).read_bytes() for n in (
            "log4j-core.jar", "log4j-api.jar", "guava.jar", "commons-text.jar", "commons-lang3.jar",
            "commons-logging-1.2.jar", "snakeyaml.jar", "slf4j-api.jar", "httpclient-osgi.jar", "jackson-core.jar",
            "jackson-annotations.jar", "jsoup.jar")}

    guava = strip_jar(jar["guava.jar"], lambda n: n.startswith("META-INF/") or n.startswith("com/google/common/io/Files"))
    function = {
        "com/example/Handler.class": handler_class(),
        "META-INF/maven/com.example/java-function/pom.properties":
            b"#Created by Apache Maven 3.9.6\ngroupId=com.example\nartifactId=java-function\nversion=1.0.0\n",
        "META-INF/maven/com.example/java-function/pom.xml": FUNCTION_POM.encode(),
        "lib/log4j-core-2.14.1.jar": log4j_2_14_1(jar["log4j-core.jar"], "log4j-core"),
        "lib/log4j-api-2.14.1.jar": log4j_2_14_1(jar["log4j-api.jar"], "log4j-api"),
        "lib/guava-31.1-jre.jar": guava,
        "lib/commons-text-1.10.0.jar": jar["commons-text.jar"],
        "lib/commons-lang3-3.12.0.jar": jar["commons-lang3.jar"],
        "lib/commons-logging-1.2.jar": jar["commons-logging-1.2.jar"],
        "lib/snakeyaml-1.33.jar": jar["snakeyaml.jar"],
        "lib/slf4j-api-1.7.32.jar": jar["slf4j-api.jar"],
    }
    layer = {
        "java/lib/httpclient-osgi-4.5.14.jar": jar["httpclient-osgi.jar"],
        "java/lib/jackson-core-2.14.1.jar": jar["jackson-core.jar"],
        "java/lib/jackson-annotations-2.14.0.jar": jar["jackson-annotations.jar"],
        "java/lib/jsoup-1.15.3.jar": jar["jsoup.jar"],
        "java/lib/log4j-api.jar": jar["log4j-api.jar"],  # Debian's own name: no version in it
    }
    for name, entries in (("java-function.zip", function), ("java-layer.zip", layer)):
        data = write_zip(entries)
        (OUT / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    (HERE / "debian-sources.json").write_text(json.dumps(sums, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv)
