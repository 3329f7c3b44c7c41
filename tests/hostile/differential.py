"""Zip parser differentials: archives that unzip / CPython / a stream extractor read differently
from a central-directory reader.  Built byte by byte (the stdlib cannot write them).

* ``local-size``: ``requests-2.1.dist-info/METADATA`` stored; its local header declares a size that
  stops after ``Version: 2.1`` while the central directory covers ``Version: 2.100``.
* ``unicode-path``: an entry whose header name is ``decoy.txt`` but whose Info-ZIP Unicode Path extra
  field (0x7075) names ``python/.../evilpkg-1.0.dist-info/METADATA`` (unzip and CPython extract it
  under that name).
* ``unlisted-local``: a local entry (``hidden-9.9.dist-info/METADATA``) the central directory does not list.
* ``zero-entries``: a non-empty archive whose end record claims 0 entries and an empty directory.

``python tests/hostile/differential.py OUTDIR`` writes them.
"""
from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

if __package__:
    from .make_corpus import _LFH, ZEntry, build_zip, cdh, eocd, lfh
else:  # pragma: no cover
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_corpus import _LFH, ZEntry, build_zip, cdh, eocd, lfh  # noqa: F401

SP = "python/lib/python3.12/site-packages"
LODASH_NAME = "nodejs/node_modules/lodash/package.json"
LODASH = b'{"name": "lodash", "version": "4.17.21"}'


def _md(name: str, version: str) -> bytes:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n".encode()


def _assemble(entries: list[tuple[bytes, bytes, bytes, dict]], unlisted: list[tuple[bytes, bytes]] = (),
              declared: int | None = None, empty_cd: bool = False) -> bytes:
    """entries: (header name, data, central extra, overrides for the local header: size/csize/crc)."""
    out = bytearray()
    cd = bytearray()
    for name, data in unlisted:
        out += lfh(name, 0, zlib.crc32(data), len(data), len(data)) + data
    for name, data, extra, local in entries:
        off = len(out)
        crc = zlib.crc32(data)
        out += lfh(name, 0, local.get("crc", crc), local.get("csize", len(data)), local.get("size", len(data))) + data
        cd += cdh(name, 0, crc, len(data), len(data), off, extra=extra)
    cd_off = len(out)
    n = len(entries) if declared is None else declared
    if empty_cd:
        return bytes(out) + eocd(0, 0, len(out))
    return bytes(out + cd) + eocd(n, len(cd), cd_off)


def local_size(out: Path) -> Path:
    data = _md("requests", "2.100")
    cut = data.index(b"00\n")  # unzip trusting this local size would read "Version: 2.1"
    p = out / "local-size.zip"
    p.write_bytes(_assemble([(f"{SP}/requests-2.100.dist-info/METADATA".encode(), data, b"", {"size": cut, "csize": cut}),
                             (LODASH_NAME.encode(), LODASH, b"", {})]))
    return p


def unicode_path(out: Path) -> Path:
    header = b"decoy.txt"
    real = f"{SP}/evilpkg-1.0.dist-info/METADATA".encode()
    up = struct.pack("<BL", 1, zlib.crc32(header)) + real
    extra = struct.pack("<HH", 0x7075, len(up)) + up
    p = out / "unicode-path.zip"
    p.write_bytes(_assemble([(header, _md("evilpkg", "1.0"), extra, {}), (LODASH_NAME.encode(), LODASH, b"", {})]))
    return p


def unlisted_local(out: Path) -> Path:
    p = out / "unlisted-local.zip"
    p.write_bytes(_assemble([(LODASH_NAME.encode(), LODASH, b"", {})],
                            unlisted=[(f"{SP}/hidden-9.9.dist-info/METADATA".encode(), _md("hidden", "9.9"))]))
    return p


def zero_entries(out: Path) -> Path:
    p = out / "zero-entries.zip"
    p.write_bytes(_assemble([(LODASH_NAME.encode(), LODASH, b"", {}),
                             (f"{SP}/hidden-9.9.dist-info/METADATA".encode(), _md("hidden", "9.9"), b"", {})],
                            empty_cd=True))
    return p


BUILDERS = {"local-size": local_size, "unicode-path": unicode_path, "unlisted-local": unlisted_local,
            "zero-entries": zero_entries}


def build_all(out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    return {k: b(out) for k, b in BUILDERS.items()}


if __name__ == "__main__":
    print(build_all(Path(sys.argv[1])))
