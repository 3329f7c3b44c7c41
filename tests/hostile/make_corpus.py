"""A corpus of hostile Lambda deployment packages, and the expectation for each.

Usable three ways:

* ``build_corpus(outdir) -> list[Case]`` writes every case into ``outdir`` (a test's tmp dir) and
  returns the cases with absolute paths;
* ``list_cases() -> list[Case]`` returns the same cases without building anything (for collection);
* as a script: ``python make_corpus.py OUTDIR`` builds the corpus and prints one line per case;
  ``python make_corpus.py --scan PATH [--limits JSON] [--rlimit-as BYTES]`` scans one input and
  prints a JSON summary (the worker tests/test_hostile.py runs in a resource-limited subprocess).

Archives the stdlib ``zipfile`` cannot produce (lying sizes, shared or overlapping data, symlink
modes, bad flags, unknown methods, truncated or doctored end records) are assembled byte by byte
with ``struct``.  Nothing is ever written outside the directory given.
"""
from __future__ import annotations

import bz2
import json
import lzma
import os
import random
import stat
import struct
import sys
import time
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

STORED, DEFLATED, BZIP2, LZMA = 0, 8, 12, 14
MiB, GiB = 1 << 20, 1 << 30
S_LNK = stat.S_IFLNK | 0o777
S_REG = stat.S_IFREG | 0o644
SP = "python/lib/python3.12/site-packages"

_LFH = struct.Struct("<4s5H3L2H")
_CDH = struct.Struct("<4s6H3L5H2L")
_EOCD = struct.Struct("<4s4H2LH")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
_EOCD64_LOC = struct.Struct("<4sLQL")
_DOS_TIME, _DOS_DATE = 0, (0 << 9) | (1 << 5) | 1  # 1980-01-01 00:00


# ------------------------------------------------------------------------------------ cases
@dataclass(frozen=True)
class Case:
    """One hostile input and what pkgscan must make of it.

    ``expect`` is "error" (``scan_path`` raises an InputError whose message contains
    ``error_substring``; the CLI exits 2 with one line) or "partial" (the scan completes, finds every
    ``components`` triple, reports none of the ``absent`` (ecosystem, name) pairs, and emits every
    code of ``notice_codes`` plus at least one of ``notice_any`` when given).  ``suspicious`` is the
    required value of ``Inventory.suspicious`` (None: either).  ``timeout`` bounds the wall clock of
    the scan (``heavy`` cases run in a subprocess capped at 1 GiB of address space).  ``bug`` names
    a known pkgscan bug this case exposes in the scan, ``cli_bug`` one in the CLI / SBOM output (the
    test is then a strict xfail); ``needs`` a lockfile parser module the case exercises (skipped
    while it does not exist).  ``cli`` also runs ``pkgscan sbom`` on it.
    """

    name: str
    path: str
    expect: str
    error_substring: str = ""
    notice_codes: frozenset[str] = frozenset()
    notice_any: frozenset[str] = frozenset()
    components: frozenset[tuple[str, str, str]] = frozenset()
    absent: frozenset[tuple[str, str]] = frozenset()
    suspicious: bool | None = None
    limits: tuple[tuple[str, int], ...] = ()
    timeout: float = 30.0
    heavy: bool = False
    bug: str = ""
    cli_bug: str = ""
    needs: str = ""
    cli: bool = False
    description: str = ""


_REGISTRY: list[tuple[Case, Callable[[Path], None] | None]] = []


def _case(name: str, expect: str, *, path: str | None = None, builder: Callable[[Path], None] | None = None, **kw) -> None:
    for key in ("notice_codes", "notice_any", "components", "absent"):
        if key in kw:
            kw[key] = frozenset(kw[key])
    if "limits" in kw:
        kw["limits"] = tuple(sorted(kw["limits"].items()))
    _REGISTRY.append((Case(name=name, path=path or f"{name}.zip", expect=expect, **kw), builder))


def list_cases() -> list[Case]:
    """Every case, with ``path`` relative to the corpus directory; nothing is built."""
    return [c for c, _ in _REGISTRY]


def build_corpus(outdir: str | os.PathLike[str]) -> list[Case]:
    """Write the whole corpus into ``outdir`` and return the cases with absolute paths."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    cases = []
    for c, build in _REGISTRY:
        if build is not None:
            build(out)
        cases.append(replace(c, path=str(out / c.path)))
    return cases


# ------------------------------------------------------------------------------ zip writing
@dataclass
class ZEntry:
    """One central-directory entry.  Unset sizes / CRC are computed honestly from ``data``."""

    name: str | bytes
    data: bytes = b""
    method: int = STORED
    comp: bytes | None = None  # the payload as stored (default: ``data`` compressed with ``method``)
    size: int | None = None  # declared uncompressed size
    csize: int | None = None  # declared compressed size
    crc: int | None = None
    flags: int = 0
    mode: int | None = None  # unix st_mode (S_IFLNK for a symlink): "made by" becomes unix
    share: int | None = None  # no local record of its own: point at entry #share's local header
    zip64: bool = False  # sizes and offset in a zip64 extra field


def compress(method: int, data: bytes) -> bytes:
    if method == DEFLATED:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush()
    if method == BZIP2:
        return bz2.compress(data)
    if method == LZMA:
        filt = {"id": lzma.FILTER_LZMA1, "dict_size": 1 << 20}
        props = lzma._encode_filter_properties(filt)  # type: ignore[attr-defined]
        return struct.pack("<BBH", 9, 4, len(props)) + props + lzma.compress(data, lzma.FORMAT_RAW, filters=[filt])
    return data  # stored, or a method nobody implements: the bytes as they are


def lfh(name: bytes, method: int, crc: int, csize: int, size: int, flags: int = 0, extra: bytes = b"") -> bytes:
    return _LFH.pack(b"PK\x03\x04", 45, flags, method, _DOS_TIME, _DOS_DATE, crc, csize, size, len(name), len(extra)) + name + extra


def cdh(name: bytes, method: int, crc: int, csize: int, size: int, offset: int, flags: int = 0,
        mode: int | None = None, extra: bytes = b"") -> bytes:
    made_by = (3 << 8 | 63) if mode is not None else 63
    eattr = (mode << 16) & 0xFFFFFFFF if mode is not None else 0
    return _CDH.pack(b"PK\x01\x02", made_by, 45, flags, method, _DOS_TIME, _DOS_DATE, crc, csize, size,
                     len(name), len(extra), 0, 0, 0, eattr, offset) + name + extra


def eocd(n: int, cd_size: int, cd_offset: int, comment: bytes = b"") -> bytes:
    return _EOCD.pack(b"PK\x05\x06", 0, 0, n, n, cd_size, cd_offset, len(comment)) + comment


def build_zip(entries: list[ZEntry], *, prefix: bytes = b"", comment: bytes = b"", zip64_eocd: bool = False,
              declared_entries: int | None = None, absolute_offsets: bool = False) -> bytes:
    """Assemble a zip.  ``prefix`` is prepended; offsets count from the zip's own start unless
    ``absolute_offsets`` (as ``zip -A`` adjusts a self-extractor)."""
    out = bytearray(prefix)
    start = len(prefix)
    base = start if absolute_offsets else 0
    offsets: list[int] = []
    cd = bytearray()
    for e in entries:
        name = e.name.encode("utf-8") if isinstance(e.name, str) else e.name
        flags = e.flags | (0x800 if isinstance(e.name, str) and not e.name.isascii() else 0)
        payload = e.comp if e.comp is not None else compress(e.method, e.data)
        size = len(e.data) if e.size is None else e.size
        csize = len(payload) if e.csize is None else e.csize
        crc = zlib.crc32(e.data) if e.crc is None else e.crc
        big = e.zip64 or size >= 0xFFFFFFFF or csize >= 0xFFFFFFFF
        if e.share is None:
            off = len(out) - start + base
            if big:
                out += lfh(name, e.method, crc, 0xFFFFFFFF, 0xFFFFFFFF, flags, struct.pack("<HHQQ", 1, 16, size, csize))
            else:
                out += lfh(name, e.method, crc, csize, size, flags)
            out += payload
        else:
            off = offsets[e.share]
        offsets.append(off)
        if big or off >= 0xFFFFFFFF:
            extra = struct.pack("<HHQQQ", 1, 24, size, csize, off)
            cd += cdh(name, e.method, crc, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, flags, e.mode, extra)
        else:
            cd += cdh(name, e.method, crc, csize, size, off, flags, e.mode)
    cd_off = len(out) - start + base
    n = len(entries) if declared_entries is None else declared_entries
    out += cd
    if zip64_eocd:
        z64_off = len(out) - start + base
        out += _EOCD64.pack(b"PK\x06\x06", 44, 63, 45, 0, 0, n, n, len(cd), cd_off)
        out += _EOCD64_LOC.pack(b"PK\x06\x07", 0, z64_off, 1)
        out += _EOCD.pack(b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, len(comment)) + comment
    else:
        out += eocd(min(n, 0xFFFF), len(cd), cd_off, comment)
    return bytes(out)


def deflate_zeros(n: int) -> bytes:
    """A raw deflate stream of ``n`` zero bytes, built in O(compressed size): one self-contained
    16 MiB block (ended by a full flush) repeated, then a final block."""
    block = 16 * MiB
    k, rest = divmod(n, block)
    parts = []
    if k:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        parts.append((c.compress(bytes(block)) + c.flush(zlib.Z_FULL_FLUSH)) * k)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts.append(c.compress(bytes(rest)) + c.flush())
    return b"".join(parts)


def crc_zeros(n: int) -> int:
    crc, chunk = 0, bytes(16 * MiB)
    while n > 0:
        crc = zlib.crc32(memoryview(chunk)[: min(n, len(chunk))], crc)
        n -= len(chunk)
    return crc


def _write(out: Path, rel: str, data: bytes) -> None:
    p = out / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)


def _zip(out: Path, rel: str, entries: list[ZEntry], **kw) -> None:
    _write(out, rel, build_zip(entries, **kw))


def meta(name: str, version: str, extra: str = "") -> bytes:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{extra}\n".encode()


def pkg_json(name, version, **more) -> bytes:
    return json.dumps({"name": name, "version": version, **more}).encode()


LODASH = ZEntry("node_modules/lodash/package.json", pkg_json("lodash", "4.17.21", license="MIT"), DEFLATED)
LODASH_C = ("npm", "lodash", "4.17.21")
REAL = ZEntry(f"{SP}/real-1.0.dist-info/METADATA", meta("real", "1.0", "Summary: the real one"), DEFLATED)
REAL_C = ("pypi", "real", "1.0")


def _rng(seed: str) -> random.Random:
    return random.Random(seed)


# ------------------------------------------------------------ path traversal and symlinks
TRAVERSAL_NAMES = ["../../etc/x", "/abs/path", "C:\\win\\x", "a/../../b", "..\\..\\winx", "./../up", "node_modules/a\x00b/package.json"]


def _traversal(out: Path) -> None:
    ents = [ZEntry(n, b"owned\n") for n in TRAVERSAL_NAMES]
    # a traversal entry whose content is a package manifest must not count either
    ents.append(ZEntry("node_modules/../../node_modules/trav/package.json", pkg_json("trav", "6.6.6")))
    _zip(out, "traversal.zip", ents + [LODASH])


_case("traversal", "partial", builder=_traversal, components={LODASH_C}, absent={("npm", "trav")},
      notice_codes={"unsafe-path"}, suspicious=True, cli=True,
      description="../, absolute, drive-letter, backslash and NUL entry names beside a real package")

SYMLINKS = {
    "passwd": "/etc/passwd",
    "up": "../../..",
    "deep/up2": "../../../etc",
    "winlink": "C:\\Windows\\System32",
    "inside": "node_modules/lodash",
    "node_modules/evil/package.json": "../../../../etc/passwd",
}


def _symlinks(out: Path) -> None:
    ents = [ZEntry(n, t.encode(), mode=S_LNK) for n, t in SYMLINKS.items()]
    # a symlink whose "target" is itself a valid manifest: reading it as a file would report evil2
    ents.append(ZEntry("node_modules/evil2/package.json", pkg_json("evil2", "6.6.6"), DEFLATED, mode=S_LNK))
    # a real file and a symlink under the same name (link last: unzip would leave the link)
    ents.append(ZEntry("node_modules/evil3/package.json", pkg_json("evil3", "6.6.6")))
    ents.append(ZEntry("node_modules/evil3/package.json", b"/etc/passwd", mode=S_LNK))
    ents.append(ZEntry("node_modules/real-file/package.json", pkg_json("real-file", "1.0.0"), mode=S_REG))
    _zip(out, "symlinks.zip", ents + [LODASH])


_case("symlinks", "partial", builder=_symlinks, components={LODASH_C, ("npm", "real-file", "1.0.0")},
      absent={("npm", "evil"), ("npm", "evil2"), ("npm", "evil3")}, notice_codes={"symlink"}, suspicious=True, cli=True,
      description="unix symlink entries pointing outside and inside; manifests that are symlinks are not read")


def _many_symlinks(out: Path) -> None:
    ents = [ZEntry(f"l/{i}", b"../../../../../../etc/passwd", mode=S_LNK, share=0 if i else None) for i in range(50_000)]
    _zip(out, "many-symlinks.zip", ents + [LODASH])


_case("many-symlinks", "partial", builder=_many_symlinks, components={LODASH_C}, notice_codes={"symlink", "overlapping-entries"},
      suspicious=True, heavy=True, timeout=30, description="50,000 symlink entries sharing one local record")


def _deep_path(out: Path) -> None:
    deep = "/".join(["d"] * 200) + "/node_modules/deep/package.json"
    _zip(out, "deep-path.zip", [ZEntry(deep, pkg_json("deep", "1.0.0")), ZEntry("x" * 60000 + ".txt", b""), LODASH])


_case("deep-path", "partial", builder=_deep_path, components={LODASH_C}, absent={("npm", "deep")},
      notice_codes={"too-deep"}, suspicious=True, description="an entry 200 directories deep and a 60,000-byte name")


# ------------------------------------------------------------------------------- zip bombs
def _bomb_lying(out: Path) -> None:
    comp = deflate_zeros(4 * GiB)  # ~4 MB that inflate to 4 GiB
    _zip(out, "bomb-lying.zip", [
        ZEntry("node_modules/bomb/package.json", method=DEFLATED, comp=comp, size=100, crc=0),
        ZEntry(f"{SP}/bomb-1.0.dist-info/METADATA", method=DEFLATED, comp=comp, size=1 * MiB, crc=0, share=0),
        LODASH,
    ])


_case("bomb-lying", "partial", builder=_bomb_lying, components={LODASH_C}, absent={("npm", "bomb"), ("pypi", "bomb")},
      notice_codes={"size-mismatch"}, suspicious=True, heavy=True, timeout=30,
      description="members declaring 100 B / 1 MiB whose data inflates to 4 GiB: inflation stops one byte past the declared size")


def _bomb_honest(out: Path) -> None:
    comp, crc = deflate_zeros(GiB), crc_zeros(GiB)
    _zip(out, "bomb-honest.zip", [
        ZEntry(f"{SP}/huge-1.0.dist-info/METADATA", method=DEFLATED, comp=comp, size=GiB, crc=crc),
        ZEntry("node_modules/huge/package.json", method=DEFLATED, comp=comp, size=GiB, crc=crc),
        ZEntry("package-lock.json", method=DEFLATED, comp=comp, size=GiB, crc=crc),
        # under every per-file cap (3 MiB < 4 MiB) but compressed more than 200:1
        ZEntry("node_modules/ratio/package.json", bytes(3 * MiB), DEFLATED),
        LODASH,
    ])


# the 3 MiB package.json compressed 1000:1 is padding: its package is not hidden (named by its folder,
# version unknown, a suspicious notice); the 1 GiB members are over the byte budget and not read at all
_case("bomb-honest", "partial", builder=_bomb_honest, components={LODASH_C, ("npm", "ratio", "")},
      absent={("pypi", "huge"), ("npm", "huge")},
      notice_codes={"compression-ratio", "size-limit", "metadata-padded"}, suspicious=True, heavy=True, timeout=30,
      description="honest 1 GiB members named METADATA / package.json / package-lock.json, and a 3 MiB one at ratio 1000:1")


def _bomb_zip64(out: Path) -> None:
    n = 5 * GiB
    _zip(out, "bomb-zip64.zip", [
        ZEntry("node_modules/huge64/package.json", method=DEFLATED, comp=deflate_zeros(n), size=n, crc=crc_zeros(n)),
        LODASH,
    ], zip64_eocd=True)


_case("bomb-zip64", "partial", builder=_bomb_zip64, components={LODASH_C}, absent={("npm", "huge64")},
      notice_codes={"size-limit"}, suspicious=True, heavy=True, timeout=30,
      description="a zip64 member honestly declaring 5 GiB")


def _overlap_full(out: Path) -> None:
    n = 64 * MiB
    comp, crc = deflate_zeros(n), crc_zeros(n)
    ents = [ZEntry(f"node_modules/b{i}/package.json", method=DEFLATED, comp=comp, size=n, crc=crc, share=0 if i else None)
            for i in range(2000)]
    ents += [ZEntry(f"b{i}-1.0.dist-info/METADATA", method=DEFLATED, comp=comp, size=n, crc=crc, share=0) for i in range(2000)]
    _zip(out, "overlap-full.zip", ents + [LODASH])


_case("overlap-full", "partial", builder=_overlap_full, components={LODASH_C}, absent={("npm", "b0"), ("pypi", "b0")},
      notice_codes={"overlapping-entries", "size-limit", "member-too-large"}, suspicious=True, heavy=True, timeout=30,
      description="4,000 entries sharing one 64 MiB deflate kernel: 256 GB declared")


def _overlap_quoted(out: Path) -> None:
    """David Fifield's non-recursive bomb: each entry's data quotes the next entry's local header in
    a stored deflate block, then continues into that entry's data; all end in one shared kernel."""
    n_files = 200
    kernel_out = bytes(MiB)
    kernel = deflate_zeros(MiB)
    names = [f"q{i}-1.0.dist-info/METADATA".encode() for i in range(n_files)]
    headers: list[bytes] = [b""] * n_files
    size, csize, out_tail = len(kernel_out), len(kernel), kernel_out
    crc = zlib.crc32(kernel_out)
    sizes = [0] * n_files
    for i in range(n_files - 1, -1, -1):
        headers[i] = lfh(names[i], DEFLATED, crc, csize, size)
        sizes[i] = (crc, csize, size)
        if i:
            # entry i-1 = quote(header i) + entry i's data
            out_tail = headers[i] + out_tail
            size = len(out_tail)
            csize = 5 + len(headers[i]) + csize
            crc = zlib.crc32(out_tail)
    body = bytearray(headers[0])
    offsets = [0]
    for h in headers[1:]:  # a stored, non-final deflate block quoting the next local header
        body += b"\x00" + struct.pack("<HH", len(h), len(h) ^ 0xFFFF)
        offsets.append(len(body))
        body += h
    body += kernel
    cd = b"".join(cdh(names[i], DEFLATED, sizes[i][0], sizes[i][1], sizes[i][2], offsets[i]) for i in range(n_files))
    _write(out, "overlap-quoted.zip", bytes(body) + cd + eocd(n_files, len(cd), len(body)))


_case("overlap-quoted", "partial", builder=_overlap_quoted, notice_codes={"overlapping-entries"}, suspicious=True,
      heavy=True, timeout=30, description="Fifield-style quoted-overlap bomb, 200 METADATA entries over one 1 MiB kernel")


def _amplify_csize(out: Path) -> None:
    """Each entry's deflate stream is tiny, but its declared compressed size spans 16 MiB of the file."""
    pad = 16 * MiB
    m = meta("amp", "1.0")
    comp = compress(DEFLATED, m) + b"\0" * pad
    ents = [ZEntry(f"a{i}.dist-info/METADATA", m, DEFLATED, comp=comp, share=0 if i else None) for i in range(3000)]
    _zip(out, "amplify-csize.zip", ents + [LODASH])


_case("amplify-csize", "partial", builder=_amplify_csize, components={LODASH_C, ("pypi", "amp", "1.0")},
      notice_codes={"overlapping-entries"}, heavy=True, timeout=8,
      description="3,000 METADATA entries whose compressed size spans 16 MiB of padding")


def _crc_budget(out: Path) -> None:
    """Entries of exactly 1 MiB (the ratio check starts above ratio_min_size) sharing one kernel,
    each with a wrong CRC: every read inflates 1 MiB, fails, and is not charged to the budget."""
    n = MiB
    comp, bad_crc = deflate_zeros(n), crc_zeros(n) ^ 1
    ents = [ZEntry(f"c{i}-1.0.dist-info/METADATA", method=DEFLATED, comp=comp, size=n, crc=bad_crc,
                   share=0 if i else None) for i in range(6000)]
    _zip(out, "crc-budget.zip", ents + [LODASH])


_case("crc-budget", "partial", builder=_crc_budget, components={LODASH_C}, notice_codes={"bad-crc", "overlapping-entries"},
      suspicious=True, heavy=True, timeout=8,
      description="6,000 shared 1 MiB members with a bad CRC")


def _lzma_dict(out: Path) -> None:
    m = meta("lz", "1.0")
    filt = {"id": lzma.FILTER_LZMA1, "dict_size": 1 << 16}
    raw = lzma.compress(m, lzma.FORMAT_RAW, filters=[filt])
    props = lzma._encode_filter_properties(filt)[:1] + struct.pack("<L", 0xFFFFFFF0)  # type: ignore[attr-defined]
    comp = struct.pack("<BBH", 9, 4, len(props)) + props + raw
    _zip(out, "lzma-dict.zip", [ZEntry(f"{SP}/lz-1.0.dist-info/METADATA", m, LZMA, comp=comp), LODASH])


_case("lzma-dict", "partial", builder=_lzma_dict, components={LODASH_C}, heavy=True, timeout=20,
      description="an lzma member whose properties claim a 4 GiB dictionary")


# ------------------------------------------------------------------------------- many entries
def _many_entries(out: Path) -> None:
    with zipfile.ZipFile(out / "many-entries.zip", "w") as z:  # > 65535 entries: a real zip64 end record
        for i in range(120_000):
            z.writestr(zipfile.ZipInfo(f"f/{i // 1000}/e{i}.txt"), b"")
        z.writestr(REAL.name, meta("real", "1.0"))


_case("many-entries", "partial", builder=_many_entries, components={REAL_C}, heavy=True, timeout=30,
      description="120,000 empty files and one real METADATA (stdlib zipfile, zip64 end record)")
_case("many-entries-limited", "error", path="many-entries.zip", error_substring="entries", limits={"max_entries": 1000},
      heavy=True, timeout=30, cli=True, description="the same archive with Limits(max_entries=1000)")


# ------------------------------------------------------------------------------------ zip64
def _zip64_stdlib(out: Path) -> None:
    with zipfile.ZipFile(out / "zip64-stdlib.zip", "w", zipfile.ZIP_DEFLATED) as z:
        with z.open(REAL.name, "w", force_zip64=True) as fh:
            fh.write(meta("real", "1.0"))
        with z.open(LODASH.name, "w", force_zip64=True) as fh:
            fh.write(LODASH.data)


_case("zip64-stdlib", "partial", builder=_zip64_stdlib, components={LODASH_C, REAL_C},
      description="stdlib zipfile members written with force_zip64=True")


def _zip64_crafted(out: Path) -> None:
    ents = [replace(REAL, zip64=True), replace(LODASH, zip64=True)]
    _zip(out, "zip64-crafted.zip", ents, zip64_eocd=True, comment=b"zip64 with a comment")


_case("zip64-crafted", "partial", builder=_zip64_crafted, components={LODASH_C, REAL_C},
      description="zip64 extra fields for every size/offset and a zip64 end record")


def _zip64_prepended(out: Path) -> None:
    ents = [replace(REAL, zip64=True), replace(LODASH, zip64=True)]
    _zip(out, "zip64-prepended.zip", ents, zip64_eocd=True, prefix=b"#!/bin/sh\nexit 0\n" + b"\x7fELF" * 256)


_case("zip64-prepended", "partial", builder=_zip64_prepended, components={LODASH_C, REAL_C},
      notice_codes={"prepended-data"}, suspicious=True, heavy=True,
      description="a zip64 archive behind 1 KB of self-extractor stub (offsets not adjusted)")


# -------------------------------------------------------------------- per-entry damage
def _duplicates(out: Path) -> None:
    _zip(out, "duplicates.zip", [
        ZEntry("node_modules/dup/package.json", pkg_json("dup", "1.0.0")),
        ZEntry("node_modules/dup/package.json", pkg_json("dup", "2.0.0")),
        ZEntry("node_modules/dup2/package.json", pkg_json("dup2", "1.0.0")),
        ZEntry("node_modules//dup2/./package.json", pkg_json("dup2", "2.0.0")),
        LODASH,
    ])


# last one wins, as unzip -o / zipfile.extractall would leave it on disk
_case("duplicates", "partial", builder=_duplicates,
      components={LODASH_C, ("npm", "dup", "2.0.0"), ("npm", "dup2", "2.0.0")}, notice_codes={"duplicate-entry"},
      suspicious=True, description="two package.json for one path (exact and after normalization), versions 1 then 2")


def _bad_crc(out: Path) -> None:
    _zip(out, "bad-crc.zip", [ZEntry(f"{SP}/crc-1.0.dist-info/METADATA", meta("crc", "1.0"), DEFLATED, crc=0xDEADBEEF), LODASH])


# a damaged METADATA: the distribution is still reported, named by its .dist-info directory
_case("bad-crc", "partial", builder=_bad_crc, components={LODASH_C, ("pypi", "crc", "1.0")},
      notice_codes={"bad-crc", "metadata-from-directory-name"})


def _encrypted(out: Path) -> None:
    _zip(out, "encrypted.zip", [
        ZEntry("node_modules/enc/package.json", comp=b"\x8f" * 80, size=40, flags=0x1),
        ZEntry(f"{SP}/aes-1.0.dist-info/METADATA", comp=b"\x01" * 64, size=50, method=99, flags=0x1),
        LODASH,
    ])


_case("encrypted", "partial", builder=_encrypted, components={LODASH_C, ("pypi", "aes", "1.0")}, absent={("npm", "enc")},
      notice_codes={"encrypted", "metadata-from-directory-name"},
      description="ZipCrypto and AES (method 99) members, flag bit 0 set (a dist-info is named by its directory)")


def _method99(out: Path) -> None:
    _zip(out, "method99.zip", [
        ZEntry("node_modules/m99/package.json", pkg_json("m99", "1.0.0"), method=99),
        ZEntry("node_modules/m6/package.json", pkg_json("m6", "1.0.0"), method=6),  # implode
        LODASH,
    ])


_case("method99", "partial", builder=_method99, components={LODASH_C}, absent={("npm", "m99"), ("npm", "m6")},
      notice_codes={"unsupported-compression"})


def _corrupt_streams(out: Path) -> None:
    _zip(out, "corrupt-streams.zip", [
        ZEntry("node_modules/d/package.json", pkg_json("d", "1.0.0"), DEFLATED, comp=b"\xff" * 50),
        ZEntry("node_modules/b/package.json", pkg_json("b", "1.0.0"), BZIP2, comp=b"BZh9" + b"\x00" * 40),
        ZEntry("node_modules/l/package.json", pkg_json("l", "1.0.0"), LZMA, comp=b"\x09\x04\x05\x00" + b"\xff" * 40),
        ZEntry("node_modules/l2/package.json", pkg_json("l2", "1.0.0"), LZMA, comp=b"\x09"),
        ZEntry("node_modules/s/package.json", pkg_json("s", "1.0.0"), STORED, size=9999),
        LODASH,
    ])


_case("corrupt-streams", "partial", builder=_corrupt_streams, components={LODASH_C},
      absent={("npm", n) for n in ("d", "b", "l", "l2", "s")}, notice_any={"corrupt-entry", "truncated"},
      description="garbage deflate / bzip2 / lzma data and a stored member shorter than declared")


def _bad_utf8_names(out: Path) -> None:
    _zip(out, "bad-utf8-names.zip", [
        ZEntry(b"node_modules/\xff\xfe/package.json", pkg_json("weird-utf8", "1.0.0"), flags=0x800),
        ZEntry(b"\xc3\x28\xa0\xa1.txt", b"", flags=0x800),
        ZEntry(b"node_modules/cp437-\x81\x82/package.json", pkg_json("cp437", "1.0.0")),  # no flag: cp437
        LODASH,
    ])


_case("bad-utf8-names", "partial", builder=_bad_utf8_names,
      components={LODASH_C, ("npm", "weird-utf8", "1.0.0"), ("npm", "cp437", "1.0.0")}, notice_codes={"invalid-utf8-name"},
      description="names that are not UTF-8 although flagged so, and a cp437 name")


def _member_past_eof(out: Path) -> None:
    _zip(out, "member-past-eof.zip", [
        ZEntry("node_modules/far/package.json", pkg_json("far", "1.0.0"), csize=10 * MiB),
        LODASH,
    ])


_case("member-past-eof", "partial", builder=_member_past_eof, components={LODASH_C}, absent={("npm", "far")},
      notice_codes={"truncated"})


def _bad_offsets(out: Path) -> None:
    data = build_zip([LODASH, REAL])
    # point the second central-directory record's local-header offset far past EOF and at a non-header
    cd_off = struct.unpack_from("<L", data, len(data) - 6)[0]
    first_len = _CDH.size + len(LODASH.name)
    b = bytearray(data)
    struct.pack_into("<L", b, cd_off + first_len + 42, 0xFFFFFF00)
    struct.pack_into("<L", b, cd_off + 42, 7)
    _write(out, "bad-offsets.zip", bytes(b))


_case("bad-offsets", "partial", builder=_bad_offsets, notice_codes={"corrupt-entry"}, absent={("npm", "lodash")},
      description="local-header offsets past EOF and into the middle of a record")


# ------------------------------------------------------------------- whole-archive damage
def _plain_zip() -> bytes:
    return build_zip([LODASH, REAL, ZEntry("handler.py", b"def handler(e, c):\n    return 1\n", DEFLATED)])


for _frac in (0.1, 0.5, 0.9):
    def _trunc(out: Path, f=_frac) -> None:
        d = _plain_zip()
        _write(out, f"truncated-{int(f * 100)}.zip", d[: int(len(d) * f)])

    _case(f"truncated-{int(_frac * 100)}", "error", builder=_trunc, error_substring="zip", cli=True,
          description=f"a zip cut at {int(_frac * 100)}% of its length")

for _cut in (1, 10, 22):
    def _trunc_end(out: Path, c=_cut) -> None:
        d = _plain_zip()
        _write(out, f"truncated-end-{c}.zip", d[:-c])

    _case(f"truncated-end-{_cut}", "error", builder=_trunc_end, error_substring="zip", cli=True,
          description=f"a zip missing its last {_cut} bytes")


def _front_cut(out: Path) -> None:
    _write(out, "front-cut.zip", _plain_zip()[200:])


_case("front-cut", "error", builder=_front_cut, error_substring="central directory", cli=True,
      description="a zip missing its first 200 bytes: the central directory offset points past its start")

NOT_ZIPS = {
    "not-zip-text.zip": b"this is not a zip file\n" * 20,
    "not-zip-empty.zip": b"",
    "not-zip-random.zip": _rng("random").randbytes(4096),
    "not-zip-png.zip": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64,
    "not-zip-gzip.zip": b"\x1f\x8b\x08\x00" + b"\x00" * 60,
    "not-zip-eocd-only-sig.zip": b"junk" * 10 + b"PK\x05\x06" + b"\x00" * 10,
}
for _fname, _data in NOT_ZIPS.items():
    def _notzip(out: Path, f=_fname, d=_data) -> None:
        _write(out, f, d)

    _case(_fname[:-4], "error", path=_fname, builder=_notzip, error_substring="not a zip", cli=True,
          description="not a zip at all")


def _multi_disk(out: Path) -> None:
    d = bytearray(_plain_zip())
    struct.pack_into("<H", d, len(d) - 22 + 4, 1)  # "this is disk 1"
    _write(out, "multi-disk.zip", bytes(d))


_case("multi-disk", "error", builder=_multi_disk, error_substring="disk", cli=True)


def _empty_zip(out: Path) -> None:
    _write(out, "empty-zip.zip", eocd(0, 0, 0))


_case("empty-zip", "partial", builder=_empty_zip, description="a valid zip with no entries")


def _nonexistent(out: Path) -> None:
    pass


_case("nonexistent", "error", path="does-not-exist.zip", builder=_nonexistent, error_substring="no such file", cli=True)


def _prepended(out: Path) -> None:
    stub = b"#!/bin/sh\nexec unzip \"$0\"\n" + _rng("sfx").randbytes(4000)
    _zip(out, "prepended.zip", [LODASH, REAL], prefix=stub)
    _zip(out, "sfx-adjusted.zip", [LODASH, REAL], prefix=stub, absolute_offsets=True)


_case("prepended", "partial", builder=_prepended, components={LODASH_C, REAL_C}, notice_codes={"prepended-data"},
      suspicious=True, description="4 KB of self-extractor stub before the zip, offsets not adjusted")
_case("sfx-adjusted", "partial", path="sfx-adjusted.zip", components={LODASH_C, REAL_C},
      description="the same stub with offsets adjusted as zip -A does")


def _count_lies(out: Path) -> None:
    _zip(out, "count-lie.zip", [LODASH, REAL], declared_entries=60000)
    _zip(out, "count-lie-zip64.zip", [LODASH, REAL], declared_entries=1 << 62, zip64_eocd=True)
    d = bytearray(build_zip([LODASH, REAL]))
    struct.pack_into("<L", d, len(d) - 22 + 12, 0xFFFFFFF0)  # central directory size
    _write(out, "cd-size-lie.zip", bytes(d))
    d = bytearray(build_zip([LODASH, REAL]))
    struct.pack_into("<L", d, len(d) - 22 + 16, 0xFFFFFF00)  # central directory offset
    _write(out, "cd-offset-lie.zip", bytes(d))


_case("count-lie", "partial", builder=_count_lies, components={LODASH_C, REAL_C}, notice_codes={"truncated"},
      description="the end record claims 60,000 entries, the central directory holds 2")
_case("count-lie-zip64", "error", path="count-lie-zip64.zip", error_substring="entries", cli=True,
      description="a zip64 end record claiming 2**62 entries")
_case("cd-size-lie", "error", path="cd-size-lie.zip", error_substring="central directory", cli=True)
_case("cd-offset-lie", "error", path="cd-offset-lie.zip", error_substring="central directory", cli=True)


def _fake_eocd_comment(out: Path) -> None:
    """The archive comment holds a second, empty end record (0 entries, offset = its own position):
    a reader taking the last signature sees an empty archive with no notice at all."""
    body = build_zip([LODASH, REAL])  # comment-less, so the end record is the last 22 bytes
    cd_size, cd_off = struct.unpack_from("<LL", body, len(body) - 22 + 12)
    fake_pos = len(body)  # where the comment (and the fake record) begins
    fake = eocd(0, 0, fake_pos)
    real = eocd(2, cd_size, cd_off, fake)
    _write(out, "fake-eocd-comment.zip", body[:-22] + real)


_case("fake-eocd-comment", "partial", builder=_fake_eocd_comment, components={LODASH_C, REAL_C},
      description="an empty end-of-central-directory record hidden in the real record's comment")


# ------------------------------------------------------------------ malformed metadata
def _in_zip(name: str, entries: list[ZEntry], **kw) -> Callable[[Path], None]:
    def build(out: Path) -> None:
        _zip(out, f"{name}.zip", entries + [LODASH], **kw)
    return build


def _meta_case(name: str, entries: list[ZEntry], **kw) -> None:
    comps = set(kw.pop("components", ())) | {LODASH_C}
    _case(name, "partial", builder=_in_zip(name, entries), components=comps, **kw)


_rand = _rng("garbage")
_MD = f"{SP}/m-1.0.dist-info/METADATA"
_meta_case("meta-no-name", [ZEntry(_MD, b"Metadata-Version: 2.1\nVersion: 1.0\nSummary: nameless\n\n")],
           notice_codes={"malformed-metadata"})
_meta_case("meta-garbage", [ZEntry(_MD, _rand.randbytes(65536), DEFLATED)], notice_codes={"malformed-metadata"})
_meta_case("meta-bad-utf8", [
    ZEntry(_MD, b"Metadata-Version: 2.1\nName: good-utf8\nVersion: 1.0\nSummary: \xff\xfe\xc3\x28 bad\nLicense: \xe9\n\n"),
    ZEntry(f"{SP}/n-1.0.dist-info/METADATA", b"Name: caf\xe9\nVersion: 1.0\n\n"),
    ZEntry(f"{SP}/u16-1.0.dist-info/METADATA", "\ufeffName: utf16\nVersion: 2.0\n\n".encode("utf-16-le")),
], components={("pypi", "good-utf8", "1.0")}, notice_codes={"malformed-metadata"})
_meta_case("meta-10mb-line", [ZEntry(_MD, b"Name: big\nVersion: 1.0\nSummary: " + b"A" * (10 * MiB) + b"\n\n", DEFLATED)],
           components={("pypi", "big", "1.0")}, notice_codes={"member-too-large", "metadata-padded"}, heavy=True)
_meta_case("meta-7mb-line", [ZEntry(_MD, b"Name: long-line\nVersion: 1.0\nSummary: "
                                    + _rng("b64").randbytes(5 * MiB).hex().encode()[: 7 * MiB] + b"\n\n", DEFLATED)],
           components={("pypi", "long-line", "1.0")}, heavy=True, timeout=30,
           description="a 7 MB Summary line (under the 8 MiB cap, incompressible)")
_meta_case("meta-continuations", [ZEntry(_MD, b"Name: cont\nVersion: 1.0\nDescription: x\n" + b" a\n" * 700_000)],
           components={("pypi", "cont", "1.0")}, heavy=True, timeout=6,
           description="a stored 2 MB METADATA whose Description has 700,000 continuation lines")
_meta_case("meta-many-headers", [ZEntry(_MD, b"Name: hdrs\nVersion: 1.0\n" + b"".join(
    b"Requires-Dist: dep%d (>=1.0) ; python_version >= '3.8'\nClassifier: License :: OSI Approved :: MIT License\n" % i
    for i in range(20000)) + b"\n", DEFLATED)], components={("pypi", "hdrs", "1.0")}, heavy=True, timeout=30,
           description="20,000 Requires-Dist and 20,000 Classifier headers")
_meta_case("meta-egg-info-file", [ZEntry(f"{SP}/egg-1.0-py3.12.egg-info", _rand.randbytes(1000))],
           notice_codes={"malformed-metadata"})

_PJ = "node_modules/p/package.json"
_meta_case("pkgjson-invalid", [ZEntry(_PJ, b'{"name": "p", "version": ')], absent={("npm", "p")},
           notice_codes={"malformed-metadata"})
_meta_case("pkgjson-list", [ZEntry(_PJ, b'["name", "p", "version", "1.0.0"]')], absent={("npm", "p")},
           notice_codes={"malformed-metadata"})
_meta_case("pkgjson-deep", [ZEntry(_PJ, b"[" * 100_000 + b"]" * 100_000, DEFLATED),
                            ZEntry("node_modules/q/package.json", b'{"name":"q","version":"1.0.0","x":' + b'{"a":' * 100_000
                                   + b"1" + b"}" * 100_000 + b"}", DEFLATED)],
           absent={("npm", "p"), ("npm", "q")}, notice_codes={"malformed-metadata"}, heavy=True,
           description="100,000-deep nested arrays and objects")
_meta_case("pkgjson-version-number", [ZEntry(_PJ, b'{"name": "p", "version": 1.5}'),
                                      ZEntry("node_modules/n/package.json", b'{"name": 42, "version": "1.0.0"}')],
           components={("npm", "n", "1.0.0")}, absent={("npm", "p")}, notice_codes={"malformed-metadata"},
           description="version as a number (not a package); name as a number (falls back to the folder)")
_meta_case("pkgjson-odd-types", [ZEntry(_PJ, json.dumps({
    "name": "p", "version": "1.0.0", "license": {"type": ["MIT"]}, "licenses": "x", "dependencies": ["a", 1],
    "bundleDependencies": {"a": 1}, "description": ["x"], "author": 5}).encode())],
           components={("npm", "p", "1.0.0")}, description="fields of every wrong type around a valid name/version")
_meta_case("pkgjson-huge-string", [ZEntry(_PJ, b'{"name": "p", "version": "1.0.0", "description": "'
                                          + _rng("d").randbytes(1500 * 1024).hex().encode() + b'"}', DEFLATED)],
           components={("npm", "p", "1.0.0")}, heavy=True)
_meta_case("pkgjson-surrogate", [ZEntry(_PJ, b'{"name": "p\\ud800", "version": "1.0.0"}'),
                                 ZEntry("node_modules/v/package.json", b'{"name": "v", "version": "1.0.\\udfff"}')],
           description="JSON escapes for lone surrogates in name and version")
_meta_case("pkgjson-blank-name", [ZEntry(_PJ, b'{"name": "   ", "version": "1.0.0"}'),
                                  ZEntry("node_modules/@s/e/package.json", b'{"name": "@s/", "version": "1.0.0"}')],
           components={("npm", "p", "1.0.0"), ("npm", "@s/e", "1.0.0")}, notice_codes={"malformed-metadata"},
           description="name '   ' and name '@s/' (invalid: the folder name is used)")

# lockfiles (the parsers live in pkgscan/inventory/lockfiles/, written concurrently)
_LOCK_NOTICES = {"malformed-lockfile", "lockfile-warning"}
_BILLION_LAUGHS = "lockfileVersion: '6.0'\n" + "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n"
    for i in range(1, 10)) + "packages:\n  /lol@1.0.0:\n    resolution: {integrity: x}\n    dependencies: *a9\n" \
    "  /lol2@1.0.0:\n    dependencies: {x: *a9, y: *a9}\nimporters:\n  .:\n    dependencies: *a9\n"
_LOCKS = [
    ("lock-npm-invalid", "package-lock.json", b'{"lockfileVersion": 3, "packages": {', "npm_lock"),
    ("lock-npm-list", "package-lock.json", b"[1, 2, 3]", "npm_lock"),
    ("lock-npm-deep", "package-lock.json", b'{"lockfileVersion": 3, "packages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "npm_lock"),
    ("lock-npm-types", "package-lock.json", json.dumps({"lockfileVersion": "x", "packages": {"node_modules/a": 1, "": [],
     "node_modules/b": {"version": 2, "dependencies": "x"}}, "dependencies": {"c": {"version": ["1"]}}}).encode(), "npm_lock"),
    ("lock-yarn-garbage", "yarn.lock", _rng("yarn").randbytes(20000), "yarn_lock"),
    ("lock-yarn-berry-bad", "yarn.lock", b'__metadata:\n  version: 6\n"a@npm:1": {{{\n  version: [\n', "yarn_lock"),
    ("lock-pnpm-invalid", "pnpm-lock.yaml", b"lockfileVersion: '6.0'\npackages:\n  - [unclosed\n  :: {\n", "pnpm_lock"),
    ("lock-pnpm-billion-laughs", "pnpm-lock.yaml", _BILLION_LAUGHS.encode(), "pnpm_lock"),
    ("lock-pnpm-python-tag", "pnpm-lock.yaml",
     b"lockfileVersion: '6.0'\npackages: !!python/object/apply:os.system ['touch pwned-by-yaml']\n", "pnpm_lock"),
    ("lock-pnpm-merge-bomb", "pnpm-lock.yaml", b"lockfileVersion: '6.0'\nbase: &b {a: 1}\npackages:\n  /x@1.0.0:\n    <<: *b\n",
     "pnpm_lock"),
    ("lock-poetry-invalid", "poetry.lock", b'[[package]]\nname = "a"\nversion = \n[[package\n', "poetry_lock"),
    ("lock-poetry-types", "poetry.lock", b'package = 5\n[metadata]\nfiles = "x"\n', "poetry_lock"),
    ("lock-pipfile-invalid", "Pipfile.lock", b'{"default": {"requests": {"version": "==2.0"', "pipfile_lock"),
    ("lock-pipfile-types", "Pipfile.lock", b'{"default": ["requests"], "develop": {"x": 5, "y": {"version": 7}}}', "pipfile_lock"),
    ("lock-uv-invalid", "uv.lock", b"version = 1\n[[package]]\nname = \n", "uv_lock"),
    ("lock-pdm-invalid", "pdm.lock", b"[[package]]\nname = 'a\n", "pdm_lock"),
    ("lock-pylock-invalid", "pylock.toml", b"lock-version = '1.0'\n[[packages]\n", "pylock"),
    ("lock-requirements-loop", "requirements.txt",
     b"-r requirements.txt\n-r ../../../../etc/passwd\n-c /etc/shadow\nrequests==2.0\n" + b"x" * 100_000 + b"==1\n", "requirements"),
    ("lock-bun-invalid", "bun.lock", b'{"lockfileVersion": 1, "packages": {', "bun_lock"),
]
for _name, _fname, _data, _module in _LOCKS:
    _case(_name, "partial", builder=_in_zip(_name, [ZEntry(_fname, _data, DEFLATED)]), components={LODASH_C},
          notice_any=set() if _name in ("lock-pnpm-billion-laughs", "lock-pnpm-merge-bomb", "lock-requirements-loop")
          else _LOCK_NOTICES,
          needs=_module, heavy=_name in ("lock-pnpm-billion-laughs", "lock-npm-deep", "lock-pnpm-python-tag"), timeout=30,
          description=f"a hostile {_fname}")


# ------------------------------------------------------------ escapes in names and values
ESC_NAME = "esc\x1b]0;pwned\x07"
HTML_NAME = "<img src=x onerror=alert(1)>"  # no "/": a name pkgscan keeps (and every output neutralizes)


def _escapes(out: Path) -> None:
    _zip(out, "escapes.zip", [
        ZEntry("node_modules/esc/package.json", json.dumps({
            "name": ESC_NAME, "version": "1.0.0\x1b[31m", "description": "\x1b[2J\x1b]8;;http://evil\x07link\x9b31m",
            "license": "MIT\x07"}).encode()),
        ZEntry("node_modules/html/package.json", json.dumps({"name": HTML_NAME, "version": "<b>1</b>&amp;",
                                                             "description": "]]><x/>"}).encode()),
        ZEntry("node_modules/\x1b[31mred\x1b[0m/package.json", pkg_json("red", "1.0.0")),
        ZEntry(f"{SP}/esc_py-1.0.dist-info/METADATA", meta("esc-py", "1.0\x1b[31m", "Summary: <script>x</script>\x07\nLicense: \x1b]0;t\x07\n")),
        ZEntry("\x1b]0;pwned\x07/../../x", b""),
        ZEntry("\x1b[31m<script>/../y", b""),
        ZEntry("link\x1b[5m", b"/etc/\x1b]0;pwned\x07", mode=S_LNK),
        LODASH,
    ])


_case("escapes", "partial", builder=_escapes,
      components={LODASH_C, ("npm", ESC_NAME, "1.0.0\x1b[31m"), ("npm", HTML_NAME, "<b>1</b>&amp;"), ("npm", "red", "1.0.0"),
                  ("pypi", "esc-py", "1.0\x1b[31m")},
      notice_codes={"unsafe-path", "symlink"}, suspicious=True, cli=True,
      description="terminal escapes and HTML in package names, versions, descriptions, licenses and entry names")


def _newline_names(out: Path) -> None:
    _zip(out, "newline-names.zip", [
        ZEntry("../x\npkgscan: warning: all clear, nothing suspicious\r", b""),
        ZEntry("node_modules/nl/package.json", pkg_json("nl\nfake", "1.0.0\r")),
        LODASH,
    ])


_case("newline-names", "partial", builder=_newline_names, components={LODASH_C}, notice_codes={"unsafe-path"}, suspicious=True,
      cli=True,
      description="entry names with newline / carriage return")


def _surrogate_lock(out: Path) -> None:
    _zip(out, "surrogate-lock.zip", [
        ZEntry("package-lock.json", b'{"lockfileVersion": 3, "packages": {"": {"name": "app"}, '
                                    b'"node_modules/s\\ud800": {"version": "1.0.0"}}}'),
        LODASH,
    ])


# found at e596f4b: report/cyclonedx.py clean() kept lone surrogates and --format cyclonedx-xml failed with
# "'utf-8' codec can't encode character '\ud800'" (exit 2, no SBOM); clean() -> report.text.neutralize fixes it
_case("surrogate-lock", "partial", builder=_surrogate_lock, components={LODASH_C}, needs="npm_lock", cli=True,
      description="a lone surrogate in a lockfile entry (declared-only) name: both SBOM formats must still be written")


# -------------------------------------------------------------------------- directories
def _dir_hostile(out: Path) -> None:
    root = out / "dir-hostile"
    (root / "node_modules" / "lodash").mkdir(parents=True)
    (root / "node_modules" / "lodash" / "package.json").write_bytes(LODASH.data)
    md = root / REAL.name
    md.parent.mkdir(parents=True)
    md.write_bytes(REAL.data)
    (root / "node_modules" / "evil").mkdir()
    os.symlink("/etc/passwd", root / "node_modules" / "evil" / "package.json")
    os.symlink("/etc", root / "node_modules" / "etc")
    os.symlink(str(out), root / "node_modules" / "outside")  # the corpus dir itself: outside the tree
    os.symlink(".", root / "loop")
    os.symlink("../dir-hostile", root / "node_modules" / "loop2")
    os.symlink("missing/target", root / "dangling")
    os.mkfifo(root / "node_modules" / "fifo-pkg-dir-placeholder")
    (root / "node_modules" / "fifo").mkdir()
    os.mkfifo(root / "node_modules" / "fifo" / "package.json")
    os.mkfifo(root / "requirements.txt")
    (root / "unreadable").mkdir()
    (root / "unreadable" / "package.json").write_text("{}")
    os.chmod(root / "unreadable", 0)  # ignored when running as root


_case("dir-hostile", "partial", path="dir-hostile", builder=_dir_hostile, components={LODASH_C, REAL_C},
      absent={("npm", "evil")}, notice_codes={"symlink", "special-file"}, suspicious=True, timeout=20, cli=True, heavy=True,
      description="a directory with symlink loops, links outside, a dangling link and FIFOs named like manifests")


def _dir_deep(out: Path) -> None:
    root = out / "dir-deep"
    deep = root.joinpath(*["d"] * 140)
    deep.mkdir(parents=True)
    (deep / "package.json").write_bytes(pkg_json("deep", "1.0.0"))
    (root / "node_modules" / "lodash").mkdir(parents=True)
    (root / "node_modules" / "lodash" / "package.json").write_bytes(LODASH.data)


_case("dir-deep", "partial", path="dir-deep", builder=_dir_deep, components={LODASH_C}, notice_codes={"too-deep"}, suspicious=True)


def _fifo_input(out: Path) -> None:
    os.mkfifo(out / "fifo-input.zip")


_case("fifo-input", "error", path="fifo-input.zip", builder=_fifo_input, error_substring="not a regular file", timeout=10, cli=True,
      heavy=True,
      description="the input path itself is a FIFO (opening it would block)")


# ---------------------------------------------------------------------------- the worker
def summarize(path: str, limits: dict[str, int] | None = None) -> dict:
    """Scan ``path`` and describe the outcome as plain JSON-able data."""
    from pkgscan import InputError, Limits, scan_path

    t0 = time.perf_counter()
    try:
        inv = scan_path(path, limits=Limits().with_overrides(**(limits or {})))
    except InputError as exc:
        return {"status": "error", "error_class": type(exc).__name__, "message": str(exc),
                "elapsed": time.perf_counter() - t0}
    counts: dict[str, int] = {}
    for n in inv.notices:
        counts[n.code] = counts.get(n.code, 0) + 1
    return {
        "status": "ok",
        "elapsed": time.perf_counter() - t0,
        "components": [[c.ecosystem, c.name, c.version] for c in inv.components],
        "notice_counts": counts,
        "notices": [[n.code, n.path, n.message, n.suspicious] for n in inv.notices[:100]],
        "suspicious": inv.suspicious,
        "entries": inv.artifact.entries,
    }


def _scan_main(argv: list[str]) -> int:
    import resource
    import traceback

    path = argv[argv.index("--scan") + 1]
    limits = json.loads(argv[argv.index("--limits") + 1]) if "--limits" in argv else {}
    if "--rlimit-as" in argv:
        cap = int(argv[argv.index("--rlimit-as") + 1])
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        res = summarize(path, limits)
    except BaseException as exc:  # noqa: BLE001 - the point is to report anything at all
        res = {"status": "crash", "error_class": type(exc).__name__, "message": str(exc)[:2000],
               "traceback": traceback.format_exc()[-4000:]}
    res["maxrss_kb"] = _peak_rss_kb()
    sys.stdout.write(json.dumps(res) + "\n")
    return 0


def _peak_rss_kb() -> int:
    """This process's own peak RSS.  ru_maxrss survives exec on Linux, so a child of a large parent
    (a long pytest run) would report the parent's size; VmHWM belongs to the new address space."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--scan" in argv:
        return _scan_main(argv)
    if len(argv) != 1:
        print("usage: make_corpus.py OUTDIR | --scan PATH [--limits JSON] [--rlimit-as BYTES]", file=sys.stderr)
        return 2
    for c in build_corpus(argv[0]):
        extra = f" error~{c.error_substring!r}" if c.expect == "error" else f" notices={sorted(c.notice_codes)}"
        print(f"{c.name:28} {c.expect:8}{extra}{'  BUG' if c.bug or c.cli_bug else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
