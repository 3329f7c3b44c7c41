"""Hostile Java packages: each generator writes one Lambda function zip into a directory.

* ``jar_bomb``: ``lib/bomb-1.0.jar`` is a real jar followed, inside the same zip member, by 120 MB
  of zeros (the outer member inflates at a ratio > 1000: the bounded reader refuses it); and
  ``lib/props-bomb-2.0.jar`` whose ``pom.properties`` inflates to 100 MB of zeros.
* ``deep_nesting``: ``lib/deep.jar`` holds ``nested.jar`` holding ``nested.jar`` ... 50 deep, with a
  ``pom.properties`` only at the bottom.
* ``fan_out``: one jar with 40 jars with 40 jars each (1,640 archives, 1,600 leaf pom.properties
  naming the same artifact): many nested opens, one component.
* ``many_entries``: ``lib/many-1.0.jar`` with 100,000 entries and a real ``pom.properties``.
* ``malformed_metadata``: jars whose pom.properties / MANIFEST.MF / pom.xml are binary garbage,
  NUL bytes, one 1 MB line, broken escapes, an entity-expansion DOCTYPE, 50,000 nested elements,
  continuation lines with nothing to continue; beside one good jar.

``python tests/hostile/java.py OUTDIR`` writes them all.
"""
from __future__ import annotations

import io
import sys
import zipfile
import zlib
from pathlib import Path

if __package__:
    from .make_corpus import DEFLATED, ZEntry, build_zip, deflate_zeros
else:  # pragma: no cover - run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_corpus import DEFLATED, ZEntry, build_zip, deflate_zeros

MiB = 1 << 20


def _jar(members: dict[str, bytes | str], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for k, v in members.items():
            zf.writestr(k, v)
    return buf.getvalue()


def _props(g: str, a: str, v: str) -> str:
    return f"groupId={g}\nartifactId={a}\nversion={v}\n"


def _write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for k, v in members.items():
            zf.writestr(k, v)
    return path


def _then_zeros(name: str, head: bytes, zeros: int) -> ZEntry:
    """A deflated member: ``head`` then ``zeros`` zero bytes, built in O(compressed size)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    comp = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH) + deflate_zeros(zeros)
    crc, chunk, left = zlib.crc32(head), bytes(16 * MiB), zeros
    while left > 0:
        crc = zlib.crc32(memoryview(chunk)[: min(left, len(chunk))], crc)
        left -= len(chunk)
    return ZEntry(name, method=DEFLATED, comp=comp, size=len(head) + zeros, crc=crc)


def jar_bomb(out: Path) -> Path:
    good = _jar({"META-INF/maven/org.example/bomb/pom.properties": _props("org.example", "bomb", "1.0")})
    props_bomb = build_zip([_then_zeros("META-INF/maven/org.example/props-bomb/pom.properties",
                                        _props("org.example", "props-bomb", "2.0").encode(), 100 * MiB)])
    ok = _jar({"META-INF/maven/org.example/ok/pom.properties": _props("org.example", "ok", "3.0")})
    path = out / "java-jar-bomb.zip"
    # the jar member itself: a real jar, then 120 MB of zeros (a reader trusting the member inflates it all)
    path.write_bytes(build_zip([ZEntry("lib/props-bomb-2.0.jar", props_bomb, DEFLATED), ZEntry("lib/ok-3.0.jar", ok, DEFLATED),
                                _then_zeros("lib/bomb-1.0.jar", good, 120 * MiB)]))
    return path


def deep_nesting(out: Path, depth: int = 50) -> Path:
    inner = _jar({"pom.properties": _props("org.example", "deep", "9.9")})
    for _ in range(depth - 1):
        inner = _jar({"nested.jar": inner}, zipfile.ZIP_STORED)
    return _write_zip(out / "java-deep-nesting.zip", {"lib/deep.jar": inner})


def fan_out(out: Path, width: int = 40) -> Path:
    leaf = _jar({"META-INF/maven/org.example/leaf/pom.properties": _props("org.example", "leaf", "1.0")})
    mid = _jar({f"BOOT-INF/lib/{i}/leaf-1.0.jar": leaf for i in range(width)}, zipfile.ZIP_STORED)
    top = _jar({f"BOOT-INF/lib/mid{i}.jar": mid for i in range(width)}, zipfile.ZIP_STORED)
    return _write_zip(out / "java-fan-out.zip", {"lib/fan.jar": top})


def many_entries(out: Path, n: int = 100_000) -> Path:
    entries = [ZEntry("META-INF/maven/org.example/many/pom.properties", _props("org.example", "many", "1.0").encode())]
    entries += [ZEntry(f"com/example/C{i}.class") for i in range(n)]
    return _write_zip(out / "java-many-entries.zip", {"lib/many-1.0.jar": build_zip(entries)})


def malformed_metadata(out: Path) -> Path:
    garbage = bytes(range(256)) * 64
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
              b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]><project><groupId>&lol3;</groupId>'
              b"<artifactId>x</artifactId><version>1</version></project>")
    deep_xml = b"<project>" + b"<a>" * 50_000 + b"</a>" * 50_000 + b"</project>"
    members = {
        "lib/garbage-props-1.0.jar": _jar({"META-INF/maven/g/a/pom.properties": garbage}),
        "lib/nul-props.jar": _jar({"META-INF/maven/g/a/pom.properties": b"groupId=org.\0evil\nartifactId=a\0\nversion=1\0"}),
        "lib/long-line.jar": _jar({"META-INF/maven/g/a/pom.properties": "groupId=" + "x" * MiB + "\nartifactId=a\nversion=1\n"}),
        "lib/bad-escapes.jar": _jar({"META-INF/maven/g/a/pom.properties": "groupId=org.example\\u12\nartifactId=esc\\\nversion=\\uZZZZ1\\"}),
        "lib/laughs.jar": _jar({"META-INF/maven/g/x/pom.xml": laughs}),
        "lib/deep-xml.jar": _jar({"META-INF/maven/g/y/pom.xml": deep_xml}),
        "lib/bad-manifest-4.5.jar": _jar({"META-INF/MANIFEST.MF": b" continuation first\n\xff\xfe\x00junk\n:\nno colon here\n"
                                          + b"Implementation-Version: " + b"9" * MiB + b"\n" + b" x\n" * 100_000}),
        "lib/good-1.2.3.jar": _jar({"META-INF/maven/org.example/good/pom.properties": _props("org.example", "good", "1.2.3")}),
    }
    return _write_zip(out / "java-malformed.zip", members)


GENERATORS = {"jar_bomb": jar_bomb, "deep_nesting": deep_nesting, "fan_out": fan_out, "many_entries": many_entries,
              "malformed_metadata": malformed_metadata}


def build_all(out: str | Path) -> dict[str, Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return {name: gen(out) for name, gen in GENERATORS.items()}


if __name__ == "__main__":  # pragma: no cover
    for name, path in build_all(sys.argv[1]).items():
        print(f"{name}\t{path}\t{path.stat().st_size}")
