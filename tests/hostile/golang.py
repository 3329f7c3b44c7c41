"""Hostile and malformed Go binaries, built byte by byte, and what a scan must make of each.

``cases() -> dict[name, Case]``: each case is the bytes of one file (placed as ``bootstrap`` at a
function's root by the test) and the expectation: the components it must give (``(name, version)``
pairs; a correct partial result) and the notice code it must raise, if any.  ``garbage(size)`` is
the big one (60 MB of pseudo-random bytes behind an ELF magic, with build-info headers strewn in).

The ELF files are minimal but well formed where not deliberately broken: an ELF header, one
``PT_LOAD`` segment mapping the whole file at 0x400000, the sections given, a ``.shstrtab`` and the
section headers at the end.  The build info follows the Go linker's layout (see
``pkgscan/inventory/gobinary.py``), with the sentinels ``runtime/debug`` frames the module text with.
Run as a script (``python tests/hostile/golang.py OUTDIR``) to write every case as a file.
"""
from __future__ import annotations

import random
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"\xff Go buildinf:"
BASE = 0x400000
#: the sentinels cmd/go puts around the module text (modinfo.go)
SENTINEL_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
SENTINEL_END = bytes.fromhex("f932433186182072008242104116d8f2")
MIN = 300 * 1024  # over the cataloger's minimum size

MOD_TEXT = ("path\texample.com/hostile\n"
            "mod\texample.com/hostile\t(devel)\t\n"
            "dep\tgolang.org/x/text\tv0.3.7\th1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=\n"
            "dep\tgolang.org/x/net\tv0.7.0\t\n"
            "=>\tgolang.org/x/net\tv0.17.0\th1:abc=\n"
            "build\t-ldflags=\"-s -w\"\n"
            "build\tGOARCH=amd64\n"
            "build\tGOOS=linux\n")
EXPECTED = frozenset({("golang.org/x/text", "v0.3.7"), ("golang.org/x/net", "v0.17.0"), ("stdlib", "1.21.3")})


@dataclass(frozen=True)
class Case:
    data: bytes
    #: components ((name, version)) the scan must report, exactly
    components: frozenset = frozenset()
    #: notice code the scan must raise (None: none about this file)
    notice: str | None = None
    #: text the notice message must contain
    message: str = ""


def uvarint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def mod_blob(text: str = MOD_TEXT) -> bytes:
    return SENTINEL_START + text.encode() + SENTINEL_END


def inline_buildinfo(version: bytes = b"go1.21.3", mod: bytes | None = None, big: bool = False) -> bytes:
    mod = mod_blob() if mod is None else mod
    head = MAGIC + bytes([8, 2 | (1 if big else 0)])
    return head.ljust(32, b"\0") + uvarint(len(version)) + version + uvarint(len(mod)) + mod


def pointer_buildinfo(addr: int, ptr: int, big: bool, version: bytes = b"go1.17.5", mod: bytes | None = None,
                      mod_addr_override: int | None = None) -> bytes:
    """Go 1.13-1.17 layout: the header holds pointers to two string headers, which point to the bytes."""
    mod = mod_blob() if mod is None else mod
    e = ">" if big else "<"
    w = "Q" if ptr == 8 else "I"
    # [header 32][vers hdr 2*ptr][mod hdr 2*ptr][vers bytes][mod bytes]
    vh = addr + 32
    mh = vh + 2 * ptr
    vdata = mh + 2 * ptr
    mdata = vdata + len(version)
    head = MAGIC + bytes([ptr, 1 if big else 0]) + struct.pack(e + w + w, vh, mod_addr_override or mh)
    return (head.ljust(32, b"\0") + struct.pack(e + w + w, vdata, len(version))
            + struct.pack(e + w + w, mdata, len(mod)) + version + mod)


def elf(sections: list[tuple[str, int, bytes]], *, bits: int = 64, big: bool = False, shnum: int | None = None,
        size: int = MIN, ext_count: int | None = None) -> bytes:
    """A minimal ELF file holding ``sections`` ((name, sh_type, data)); each at a 4 KiB boundary."""
    e = ">" if big else "<"
    eh, ph, sh = (64, 56, 64) if bits == 64 else (52, 32, 40)
    body = bytearray(b"\0" * 0x1000)
    placed = []
    for name, typ, data in sections:
        off = len(body)
        body += data
        body += b"\0" * (-len(body) % 0x1000)
        placed.append((name, typ, off, len(data)))
    names = b"\0"
    name_off = {}
    for name, *_ in placed + [(".shstrtab",)]:
        name_off[name] = len(names)
        names += name.encode() + b"\0"
    shstr_off = len(body)
    body += names
    if len(body) < size:
        body += b"\0" * (size - len(body))
    body += b"\0" * (-len(body) % 8)
    shoff = len(body)
    headers = [(0, 0, 0, 0, 0, 0)]  # the null section
    for name, typ, off, length in placed:
        headers.append((name_off[name], typ, BASE + off, off, length, 0))
    headers.append((name_off[".shstrtab"], 3, 0, shstr_off, len(names), 0))
    if ext_count is not None:  # extended numbering: e_shnum 0, the count in section 0's size
        headers[0] = (0, 0, 0, 0, ext_count, 0)
    for nm, typ, addr, off, length, link in headers:
        if bits == 64:
            body += struct.pack(e + "IIQQQQIIQQ", nm, typ, 2, addr, off, length, link, 0, 1, 0)
        else:
            body += struct.pack(e + "IIIIIIIIII", nm, typ, 2, addr, off, length, link, 0, 1, 0)
    count = len(headers) if shnum is None else shnum
    if ext_count is not None:
        count = 0
    ident = b"\x7fELF" + bytes([2 if bits == 64 else 1, 2 if big else 1, 1, 0]) + b"\0" * 8
    if bits == 64:
        header = ident + struct.pack(e + "HHIQQQIHHHHHH", 2, 62, 1, BASE, eh, shoff, 0, eh, ph, 1, sh, count,
                                     len(headers) - 1)
        phdr = struct.pack(e + "IIQQQQQQ", 1, 5, 0, BASE, BASE, len(body), len(body), 0x1000)
    else:
        header = ident + struct.pack(e + "HHIIIIIHHHHHH", 2, 8, 1, BASE, eh, shoff, 0, eh, ph, 1, sh, count,
                                     len(headers) - 1)
        phdr = struct.pack(e + "IIIIIIII", 1, 0, BASE, BASE, len(body), len(body), 5, 0x1000)
    body[0:len(header) + len(phdr)] = header + phdr
    return bytes(body)


def _pointer_elf(bits: int, big: bool, **kw) -> bytes:
    ptr = 8 if bits == 64 else 4
    # .go.buildinfo is the first section: at file offset 0x1000, address BASE + 0x1000
    return elf([(".go.buildinfo", 1, pointer_buildinfo(BASE + 0x1000, ptr, big, **kw))], bits=bits, big=big)


def garbage(size: int = 60 * 1000 * 1000, seed: int = 60) -> bytes:
    """``size`` pseudo-random bytes behind an ELF magic, with build-info headers strewn in."""
    rng = random.Random(seed)
    data = bytearray(b"\x7fELF\x02\x01\x01" + rng.randbytes(size - 7))
    for i in range(200):
        pos = rng.randrange(64, size - 64) & ~15
        data[pos:pos + 16] = MAGIC + bytes([8, rng.choice([0, 1, 2, 3])])
    return bytes(data)


def cases() -> dict[str, Case]:
    valid = elf([(".go.buildinfo", 1, inline_buildinfo())])
    out = {
        # sanity: the builder makes what a scan reads
        "valid-inline-le64": Case(valid, EXPECTED),
        "valid-inline-be32": Case(elf([(".go.buildinfo", 1, inline_buildinfo(big=True))], bits=32, big=True), EXPECTED),
        "valid-pointer-le64": Case(_pointer_elf(64, False, version=b"go1.21.3"), EXPECTED),
        "valid-pointer-be32": Case(_pointer_elf(32, True, version=b"go1.21.3"), EXPECTED),
        # the section headers (at the end) are cut off: the build info is found by its magic
        "truncated-elf": Case(valid[:len(valid) - 190], EXPECTED, "go-buildinfo-partial", "section headers"),
        # cut inside the module text: nothing is made up
        "truncated-in-buildinfo": Case(valid[:0x1000 + 60], frozenset(), None),
        # the module string's pointer leads past the end of the file: the version alone is kept
        "pointer-off-end": Case(_pointer_elf(64, False, version=b"go1.21.3", mod_addr_override=BASE + (1 << 40)),
                                frozenset({("stdlib", "1.21.3")}), "go-buildinfo-partial", "outside the program"),
        "pointer-length-huge": Case(elf([(".go.buildinfo", 1, _huge_length_pointer())]), frozenset(),
                                    "unreadable-executable", "implausible"),
        # e_shnum 0 and an extended count of 2^40 sections in section 0
        "huge-section-count": Case(elf([(".go.buildinfo", 1, inline_buildinfo())], ext_count=1 << 40), EXPECTED,
                                   "go-buildinfo-partial", "sections"),
        "varint-never-ends": Case(elf([(".go.buildinfo", 1, MAGIC + b"\x08\x02" + b"\0" * 16 + b"\xff" * 64)]),
                                  frozenset(), "unreadable-executable", "varint"),
        "varint-length-huge": Case(elf([(".go.buildinfo", 1, MAGIC + b"\x08\x02" + b"\0" * 16 + uvarint(1 << 62))]),
                                   frozenset(), "unreadable-executable", "implausible"),
        "no-sentinels": Case(elf([(".go.buildinfo", 1, inline_buildinfo(mod=MOD_TEXT.encode()))]),
                             frozenset({("stdlib", "1.21.3")}), "go-buildinfo-partial", "sentinels"),
        "devel-toolchain": Case(elf([(".go.buildinfo", 1, inline_buildinfo(version=b"devel go1.23-abcdef"))]),
                                EXPECTED - {("stdlib", "1.21.3")}, "go-toolchain-version", "no release"),
        "pclntab-garbage": Case(elf([(".go.buildinfo", 1, inline_buildinfo()),
                                     (".gopclntab", 1, struct.pack("<IBBBBQQQQQQQQ", 0xFFFFFFF1, 0, 0, 1, 8,
                                                                   10, 1, 0, 1 << 50, 1 << 51, 0, 0, 0))]),
                                EXPECTED, "go-buildinfo-partial", "pclntab"),
        "many-magics": Case(b"\x7fELF\x02\x01\x01\x00" + (MAGIC + b"\x08\x00").ljust(16, b"\0") * 40000, frozenset(),
                            "unreadable-executable", "build info"),
    }
    # PE and Mach-O headers that lie: the pointer-format build info cannot be followed, said so
    pe = bytearray(b"MZ" + b"\0" * 0x3A + struct.pack("<I", 1 << 30)) + b"\0" * 0xC0
    pe += pointer_buildinfo(BASE, 8, False, version=b"go1.17.5")
    out["pe-bad-header"] = Case(bytes(pe.ljust(MIN, b"\0")), frozenset(), "unreadable-executable", "no PE signature")
    macho = bytearray(b"\xcf\xfa\xed\xfe" + struct.pack("<IIIIIII", 0x01000007, 3, 2, 0xFFFFFFFF, 0xFFFFFFFF, 0, 0))
    macho += struct.pack("<II", 0x19, 72) + b"__DATA".ljust(16, b"\0") + struct.pack("<QQQQ", 1 << 50, 1 << 50, 1 << 50, 1 << 50)
    macho += b"\0" * 8 + struct.pack("<II", 1, 0)  # a load command of size 0: never loops
    macho = macho.ljust(0x1000, b"\0") + pointer_buildinfo(0x100001000, 8, False, version=b"go1.17.5")
    out["macho-lying-commands"] = Case(bytes(macho.ljust(MIN, b"\0")), frozenset(), "unreadable-executable",
                                       "Mach-O load command of size < 8")
    # a megabyte of -ldflags and 10,000 build settings: kept bounded (see the test)
    big = MOD_TEXT + "build\t-ldflags=" + "A" * 1_000_000 + "\n" + "".join(f"build\tK{i}=v\n" for i in range(10_000))
    out["huge-build-settings"] = Case(elf([(".go.buildinfo", 1, inline_buildinfo(mod=mod_blob(big)))]), EXPECTED)
    # a .symtab whose size runs past the end of the file
    sym = elf([(".go.buildinfo", 1, inline_buildinfo()), (".symtab", 2, b"\0" * 48)])
    out["symtab-off-end"] = Case(_patch_section_size(sym, ".symtab", 1 << 40), EXPECTED, "go-buildinfo-partial", ".symtab")
    return out


def _huge_length_pointer() -> bytes:
    addr = BASE + 0x1000
    head = MAGIC + bytes([8, 0]) + struct.pack("<QQ", addr + 32, addr + 32)
    return head.ljust(32, b"\0") + struct.pack("<QQ", addr, 1 << 40)


def _patch_section_size(data: bytes, name: str, size: int) -> bytes:
    """Set the size of section ``name`` (ELF64 LE built by :func:`elf`)."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    count, stridx = struct.unpack_from("<HH", data, 0x3C)
    str_off, = struct.unpack_from("<Q", data, shoff + stridx * 64 + 24)
    out = bytearray(data)
    for i in range(count):
        nm, = struct.unpack_from("<I", data, shoff + i * 64)
        end = data.index(b"\0", str_off + nm)
        if data[str_off + nm:end] == name.encode():
            struct.pack_into("<Q", out, shoff + i * 64 + 32, size)
    return bytes(out)


if __name__ == "__main__":
    outdir = Path(sys.argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    for case_name, case in cases().items():
        (outdir / case_name).write_bytes(case.data)
        print(case_name, len(case.data))
