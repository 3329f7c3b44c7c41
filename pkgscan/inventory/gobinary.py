"""Go build information and function names of a compiled Go program, read from its bytes.

Pure Python, nothing is executed, every read is bounded by the data given.  What is read:

- the **build info** blob that the Go linker writes since Go 1.13 (the ``.go.buildinfo`` section of
  an ELF file, or wherever the 16-byte aligned ``\\xff Go buildinf:`` header is found): a 32-byte
  header (magic, pointer size, flags) followed either by two varint-length strings (Go 1.18 and
  later, ``flags & 2``) or by two pointers to Go string headers in the program's address space
  (Go 1.13-1.17), which are followed through the ELF program headers.  The strings are the Go
  toolchain version (``go1.21.3``) and the module text that ``go version -m`` prints (``path``,
  ``mod``, ``dep``, ``=>`` replacements, ``build`` settings), framed by 16 sentinel bytes at each end;
- the **function names**: the ELF ``.symtab`` (function symbols; absent when built with ``-s``) and
  the Go ``.gopclntab`` (the runtime's own function table, kept in stripped binaries too): for Go
  1.16 and later its function-name table (which also names functions inlined into others), for Go
  1.2-1.15 the function table walked entry by entry.

ELF (32/64-bit, little/big endian) is parsed section by section.  PE and Mach-O files are searched
for the build-info header, and their section table / segment load commands are read to follow the
pointers of the older format; their function table is found by its header (as for externally
linked ELF programs, where no section names it).  Their own symbol tables are not read.

:func:`parse` never raises on bad input: it returns a :class:`GoBinary` whose ``problems`` say what
could not be read, with whatever could be.
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

__all__ = ["GoBinary", "BuildInfo", "Module", "parse", "parse_buildinfo", "parse_mod_text", "split_symbol",
           "stdlib_version", "is_executable_head", "group_symbols", "escape_path", "BUILDINFO_MAGIC", "HEAD_SIZE"]

BUILDINFO_MAGIC = b"\xff Go buildinf:"
ELF_MAGIC = b"\x7fELF"
#: bytes of a file's beginning that tell an executable (ELF/PE/Mach-O) from anything else
HEAD_SIZE = 64

#: a Go string in the build info: Go's own limit for the pointer format is 20 MiB
MAX_STRING = 20 * 1024 * 1024
MAX_SECTIONS = 65535
MAX_SEGMENTS = 4096
#: a varint longer than this is no length (10 bytes encode any 64-bit value)
MAX_VARINT = 10
#: headers to try when the magic occurs several times (a file that embeds other Go binaries)
MAX_MAGIC_HITS = 32
#: functions in one binary (the largest real Go programs have a few hundred thousand)
MAX_FUNCS = 4_000_000
#: module lines in the build info
MAX_MODULES = 100_000

_GO_VERSION = re.compile(rb"(go[0-9]|devel )[\x20-\x7e]{0,200}")
_PCLN_MAGICS = {0xFFFFFFFB: "1.2", 0xFFFFFFFA: "1.16", 0xFFFFFFF0: "1.18", 0xFFFFFFF1: "1.20"}


class _Bad(Exception):
    """A structure that runs off the data or makes no sense (caught inside this module)."""


@dataclass
class Module:
    path: str
    version: str = ""
    sum: str = ""
    #: what ``=>`` replaced it with (the code that is actually linked)
    replace: "Module | None" = None


@dataclass
class BuildInfo:
    #: as the binary says it: "go1.21.3", "go1.22.0 X:boringcrypto", "devel go1.23-abc..."
    go_version: str = ""
    #: the main package's import path ("path" line)
    path: str = ""
    main: Module | None = None
    deps: list[Module] = field(default_factory=list)
    #: ("-ldflags", "-s -w"), ("GOOS", "linux"), ("vcs.revision", "..."), in the binary's order
    settings: list[tuple[str, str]] = field(default_factory=list)
    #: "inline" (Go 1.18+) or "pointer" (Go 1.13-1.17)
    format: str = ""
    problems: list[str] = field(default_factory=list)


@dataclass
class GoBinary:
    #: "elf", "pe", "macho" or "" (unknown)
    format: str = ""
    #: 32 or 64 (ELF class), 0 when unknown
    bits: int = 0
    big_endian: bool = False
    buildinfo: BuildInfo | None = None
    #: function names as the linker writes them ("net/http.(*Server).Serve"), sorted; () when no
    #: symbol table could be read
    names: tuple[str, ...] = ()
    #: where the names came from: "symtab", "pclntab", "symtab+pclntab", or ""
    symbol_source: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def is_go(self) -> bool:
        return self.buildinfo is not None

    @property
    def symbols(self) -> dict[str, set[str]] | None:
        """import path -> symbols ("Func", "Type.Method"); None when no symbol table was read."""
        return group_symbols(self.names) if self.symbol_source else None


def is_executable_head(head: bytes) -> str:
    """'elf', 'pe', 'macho' or '' from a file's first bytes."""
    if head[:4] == ELF_MAGIC:
        return "elf"
    if head[:2] == b"MZ":
        return "pe"
    if head[:4] in (b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe"):
        return "macho"
    return ""


# --------------------------------------------------------------------------------------------- ELF


class _Elf:
    def __init__(self, data: memoryview):
        self.data = data
        if len(data) < 52 or bytes(data[:4]) != ELF_MAGIC:
            raise _Bad("not an ELF file")
        cls, enc = data[4], data[5]
        if cls not in (1, 2):
            raise _Bad(f"unknown ELF class {cls}")
        if enc not in (1, 2):
            raise _Bad(f"unknown ELF data encoding {enc}")
        self.bits = 64 if cls == 2 else 32
        self.e = "<" if enc == 1 else ">"
        self.big = enc == 2
        self.ptr = 8 if cls == 2 else 4
        if cls == 2:
            if len(data) < 64:
                raise _Bad("truncated ELF header")
            (_t, _m, _v, _entry, self.phoff, self.shoff, _f, _eh, self.phentsize, self.phnum, self.shentsize,
             self.shnum, self.shstrndx) = struct.unpack_from(self.e + "HHIQQQIHHHHHH", data, 16)
        else:
            (_t, _m, _v, _entry, self.phoff, self.shoff, _f, _eh, self.phentsize, self.phnum, self.shentsize,
             self.shnum, self.shstrndx) = struct.unpack_from(self.e + "HHIIIIIHHHHHH", data, 16)
        self.problems: list[str] = []
        self.sections = self._sections()
        self.segments = self._segments()
        ends = [(off + size, name) for name, typ, _f, _a, off, size, _l, _e in self.sections if typ != 8]
        if ends and max(ends)[0] > len(data):
            self.problems.append(f"the ELF file is truncated: {len(data)} bytes, its section {max(ends)[1] or '?'} "
                                 f"ends at {max(ends)[0]}")

    # (name, type, flags, addr, offset, size, link, entsize)
    def _sections(self) -> list[tuple]:
        d, n = self.data, len(self.data)
        if self.shoff == 0:
            return []
        want = 64 if self.bits == 64 else 40
        if self.shentsize != want:
            self.problems.append(f"ELF section header size {self.shentsize}, expected {want}")
            return []
        fmt = self.e + ("IIQQQQIIQQ" if self.bits == 64 else "IIIIIIIIII")
        if self.shoff + want > n:
            self.problems.append("ELF section headers lie beyond the end of the file")
            return []
        count = self.shnum
        if count == 0:  # extended numbering: the count is in section 0's size
            count = struct.unpack_from(fmt, d, self.shoff)[5]
        fits = (n - self.shoff) // want
        if count > fits or count > MAX_SECTIONS:
            self.problems.append(f"ELF declares {count} sections; only {min(fits, MAX_SECTIONS)} read")
            count = min(fits, MAX_SECTIONS)
        raw = []
        for i in range(count):
            if self.bits == 64:
                nm, typ, flags, addr, off, size, link, _info, _align, ent = struct.unpack_from(fmt, d, self.shoff + i * want)
            else:
                nm, typ, flags, addr, off, size, link, _info, _align, ent = struct.unpack_from(fmt, d, self.shoff + i * want)
            raw.append((nm, typ, flags, addr, off, size, link, ent))
        names = b""
        stridx = self.shstrndx
        if stridx == 0xFFFF and raw:  # SHN_XINDEX: the index is in section 0's link
            stridx = raw[0][6]
        if 0 < stridx < len(raw):
            _nm, typ, _f, _a, off, size, _l, _e = raw[stridx]
            if typ != 8 and off < n:
                names = bytes(d[off:min(n, off + size, off + (1 << 20))])
        out = []
        for nm, typ, flags, addr, off, size, link, ent in raw:
            name = ""
            if nm < len(names):
                end = names.find(b"\0", nm)
                name = names[nm:end if end >= 0 else len(names)].decode("latin-1")
            out.append((name, typ, flags, addr, off, size, link, ent))
        return out

    # (vaddr, offset, filesz, flags)
    def _segments(self) -> list[tuple[int, int, int, int]]:
        d, n = self.data, len(self.data)
        if self.phoff == 0 or self.phnum == 0:
            return []
        want = 56 if self.bits == 64 else 32
        if self.phentsize != want or self.phoff + want > n:
            self.problems.append("ELF program headers unreadable")
            return []
        count = min(self.phnum, (n - self.phoff) // want, MAX_SEGMENTS)
        out = []
        for i in range(count):
            if self.bits == 64:
                typ, flags, off, vaddr, _pa, filesz, _memsz, _al = struct.unpack_from(self.e + "IIQQQQQQ", d, self.phoff + i * want)
            else:
                typ, off, vaddr, _pa, filesz, _memsz, flags, _al = struct.unpack_from(self.e + "IIIIIIII", d, self.phoff + i * want)
            if typ == 1:  # PT_LOAD
                out.append((vaddr, off, filesz, flags))
        return out

    def section(self, name: str) -> tuple | None:
        for s in self.sections:
            if s[0] == name:
                return s
        return None

    def section_data(self, s: tuple) -> memoryview:
        _name, typ, _f, _a, off, size, _l, _e = s
        n = len(self.data)
        if typ == 8:  # SHT_NOBITS
            return self.data[0:0]
        if off > n or size > n - off:
            raise _Bad(f"section {s[0] or '?'} runs past the end of the file")
        return self.data[off:off + size]

    def read_va(self, addr: int, size: int) -> bytes:
        """``size`` bytes at virtual address ``addr`` (from the file image of a loaded segment)."""
        n = len(self.data)
        for vaddr, off, filesz, _flags in self.segments:
            if vaddr <= addr and addr - vaddr < filesz:
                start = off + (addr - vaddr)
                if size > filesz - (addr - vaddr) or start + size > n:
                    raise _Bad("build info pointer runs past the end of its segment")
                return bytes(self.data[start:start + size])
        for _name, typ, _f, saddr, off, ssize, _l, _e in self.sections:
            if typ != 8 and saddr and saddr <= addr and addr - saddr < ssize:
                start = off + (addr - saddr)
                if size > ssize - (addr - saddr) or start + size > n:
                    raise _Bad("build info pointer runs past the end of its section")
                return bytes(self.data[start:start + size])
        raise _Bad(f"build info pointer 0x{addr:x} is outside the program's loaded data")


class _Loaded:
    """Where a PE or Mach-O file maps its bytes in memory: enough to follow build-info pointers."""

    def __init__(self, segments: list[tuple[int, int, int]], size: int, data: memoryview):
        self.segments = segments  # (vaddr, offset, filesz)
        self.data = data

    def read_va(self, addr: int, size: int) -> bytes:
        n = len(self.data)
        for vaddr, off, filesz in self.segments:
            if vaddr <= addr and addr - vaddr < filesz:
                start = off + (addr - vaddr)
                if size > filesz - (addr - vaddr) or start + size > n:
                    raise _Bad("build info pointer runs past the end of its section")
                return bytes(self.data[start:start + size])
        raise _Bad(f"build info pointer 0x{addr:x} is outside the program's loaded data")

    @classmethod
    def pe(cls, d: memoryview) -> "_Loaded":
        n = len(d)
        if n < 0x40:
            raise _Bad("truncated PE header")
        lfanew, = struct.unpack_from("<I", d, 0x3C)
        if lfanew + 24 > n or bytes(d[lfanew:lfanew + 4]) != b"PE\0\0":
            raise _Bad("no PE signature")
        nsec, = struct.unpack_from("<H", d, lfanew + 6)
        optsize, = struct.unpack_from("<H", d, lfanew + 20)
        opt = lfanew + 24
        if opt + 32 > n:
            raise _Bad("truncated PE optional header")
        magic, = struct.unpack_from("<H", d, opt)
        if magic == 0x20B:
            base, = struct.unpack_from("<Q", d, opt + 24)
        elif magic == 0x10B:
            base, = struct.unpack_from("<I", d, opt + 28)
        else:
            raise _Bad(f"unknown PE optional header magic 0x{magic:x}")
        table = opt + optsize
        segs = []
        for i in range(min(nsec, MAX_SECTIONS, max(0, (n - table) // 40))):
            vsize, vaddr, rawsize, rawptr = struct.unpack_from("<IIII", d, table + i * 40 + 8)
            segs.append((base + vaddr, rawptr, min(rawsize, vsize) if vsize else rawsize))
        return cls(segs, n, d)

    @classmethod
    def macho(cls, d: memoryview) -> "_Loaded":
        n = len(d)
        magic = bytes(d[:4])
        e = "<" if magic in (b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe") else ">"
        is64 = magic in (b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf")
        if n < 32:
            raise _Bad("truncated Mach-O header")
        ncmds, sizeofcmds = struct.unpack_from(e + "II", d, 16)
        pos = 32 if is64 else 28
        end = min(n, pos + sizeofcmds)
        segs = []
        for _ in range(min(ncmds, MAX_SEGMENTS)):
            if pos + 8 > end:
                break
            cmd, size = struct.unpack_from(e + "II", d, pos)
            if size < 8:
                raise _Bad("Mach-O load command of size < 8")
            if cmd == 0x19 and pos + 72 <= end:  # LC_SEGMENT_64
                vaddr, _vsize, off, filesz = struct.unpack_from(e + "QQQQ", d, pos + 24)
                segs.append((vaddr, off, filesz))
            elif cmd == 0x1 and pos + 56 <= end:  # LC_SEGMENT
                vaddr, _vsize, off, filesz = struct.unpack_from(e + "IIII", d, pos + 24)
                segs.append((vaddr, off, filesz))
            pos += size
        return cls(segs, n, d)


# -------------------------------------------------------------------------------------- build info


def _uvarint(data, pos: int) -> tuple[int, int]:
    x = 0
    shift = 0
    n = len(data)
    for i in range(MAX_VARINT):
        if pos + i >= n:
            raise _Bad("varint runs past the end of the data")
        b = data[pos + i]
        x |= (b & 0x7F) << shift
        if b < 0x80:
            return x, pos + i + 1
        shift += 7
    raise _Bad("varint does not end within 10 bytes")


def _varint_string(data, pos: int) -> tuple[bytes, int]:
    length, pos = _uvarint(data, pos)
    if length > MAX_STRING:
        raise _Bad(f"string length {length} is implausible")
    if pos + length > len(data):
        raise _Bad("string runs past the end of the data")
    return bytes(data[pos:pos + length]), pos + length


def _find_headers(data: memoryview, start: int = 0, end: int | None = None) -> list[int]:
    """Offsets of the build-info magic in data[start:end], 16-byte aligned ones first."""
    raw = data.obj if isinstance(data.obj, (bytes, bytearray)) and len(data.obj) == len(data) else bytes(data)
    end = len(raw) if end is None else end
    hits: list[int] = []
    pos = raw.find(BUILDINFO_MAGIC, start, end)
    while pos >= 0 and len(hits) < MAX_MAGIC_HITS:
        hits.append(pos)
        pos = raw.find(BUILDINFO_MAGIC, pos + 1, end)
    return sorted(hits, key=lambda p: (p % 16 != 0, p))


def parse_buildinfo(data: memoryview, off: int, elf: "_Elf | _Loaded | None") -> BuildInfo:
    """The build info whose 32-byte header starts at ``off``."""
    if off + 32 > len(data):
        raise _Bad("build info header is truncated")
    ptr_size, flags = data[off + 14], data[off + 15]
    info = BuildInfo()
    if flags & 2:
        info.format = "inline"
        vers, pos = _varint_string(data, off + 32)
        mod, _pos = _varint_string(data, pos)
    else:
        info.format = "pointer"
        if elf is None:
            raise _Bad("Go < 1.18 build info (pointer format) needs the program's headers, which are unreadable")
        if ptr_size not in (4, 8):
            raise _Bad(f"build info pointer size {ptr_size}")
        bo = ">" if flags & 1 else "<"
        pfmt = bo + ("Q" if ptr_size == 8 else "I")

        def read_string(addr: int) -> bytes:
            hdr = elf.read_va(addr, 2 * ptr_size)
            data_addr, length = struct.unpack(bo + ("QQ" if ptr_size == 8 else "II"), hdr)
            if length > MAX_STRING:
                raise _Bad(f"string length {length} is implausible")
            return elf.read_va(data_addr, length) if length else b""

        vaddr, = struct.unpack_from(pfmt, data, off + 16)
        maddr, = struct.unpack_from(pfmt, data, off + 16 + ptr_size)
        vers = read_string(vaddr)
        try:
            mod = read_string(maddr)
        except _Bad as exc:  # the version alone is still worth having
            info.problems.append(f"module information unreadable: {exc}")
            mod = b""
    if not _GO_VERSION.fullmatch(vers):
        raise _Bad(f"the toolchain version {vers[:40]!r} is no Go version")
    info.go_version = vers.decode("ascii")
    if len(mod) >= 33 and mod[-17] == 0x0A:
        mod = mod[16:-16]
    elif mod:
        info.problems.append("module information lacks its sentinels; ignored")
        mod = b""
    if mod:
        parse_mod_text(mod.decode("utf-8", "replace"), info)
    return info


def _unquote(s: str) -> str:
    """A Go-quoted build setting key or value (strconv.Quote), else as is."""
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        import json

        try:
            v = json.loads(s)
            return v if isinstance(v, str) else s
        except ValueError:
            return s[1:-1]
    return s


def parse_mod_text(text: str, info: BuildInfo) -> None:
    """Fill ``info`` from the module text (the lines ``go version -m`` prints)."""
    last: Module | None = None
    for line in text.split("\n"):
        if not line:
            continue
        key, _, rest = line.partition("\t")
        if key == "path":
            info.path = rest
        elif key in ("mod", "dep"):
            f = rest.split("\t")
            m = Module(f[0], f[1] if len(f) > 1 else "", f[2] if len(f) > 2 else "")
            if key == "mod":
                info.main = m
            elif len(info.deps) < MAX_MODULES:
                info.deps.append(m)
            else:
                info.problems.append(f"more than {MAX_MODULES} modules; the rest ignored")
                break
            last = m
        elif key == "=>":
            f = rest.split("\t")
            if last is None or last.replace is not None:
                info.problems.append("replacement without a module")
                continue
            last.replace = Module(f[0], f[1] if len(f) > 1 else "", f[2] if len(f) > 2 else "")
        elif key == "build":
            if rest.startswith('"'):
                # a quoted key: "k=v"-style keys containing '=' are quoted as a whole
                m = re.match(r'("(?:[^"\\]|\\.)*")=(.*)$', rest)
                if m:
                    info.settings.append((_unquote(m.group(1)), _unquote(m.group(2))))
                    continue
            k, _, v = rest.partition("=")
            info.settings.append((k, _unquote(v)))
        # other keys (future ones) are ignored, as Go's own parser would reject them


def stdlib_version(go_version: str) -> str:
    """The Go release as OSV's ``stdlib`` records write it: go1.21.3 -> 1.21.3, go1.19 -> 1.19.0,
    go1.21rc2 -> 1.21.0-rc.2, go1.20beta1 -> 1.20.0-beta.1; '' for a development toolchain."""
    v = go_version.strip().split(" ", 1)[0]
    m = re.fullmatch(r"go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta|alpha)(\d+))?", v)
    if not m:
        return ""
    major, minor, patch, pre, pren = m.groups()
    out = f"{major}.{minor}.{patch or 0}"
    if pre:
        out += f"-{pre}.{pren}"
    return out


# ----------------------------------------------------------------------------------------- symbols

_DOMAIN = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_CLOSURE = re.compile(r"(func\d+|\d+|gowrap\d+|deferwrap\d+|abi0|abiinternal|)")
_SUFFIX = re.compile(r"-(fm|range\d+)$")
_HEX = re.compile(r"%([0-9A-Fa-f]{2})")


def _strip_inst(name: str) -> str:
    """Drop generic instantiations: pkg.F[go.shape.int] -> pkg.F (brackets may nest)."""
    if "[" not in name:
        return name
    out = []
    depth = 0
    for ch in name:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def split_symbol(name: str) -> tuple[str, str] | None:
    """A Go function's linker name -> (import path, symbol as the Go vulnerability database writes it).

    ``net/http.(*Server).Serve`` -> ``("net/http", "Server.Serve")``; ``gopkg.in/yaml%2ev2.Unmarshal``
    -> ``("gopkg.in/yaml.v2", "Unmarshal")``; closures and method values count as their enclosing
    function (``pkg.F.func1`` -> ``F``); compiler-generated names (``type:``, ``go:``, ``go.itab.``)
    give None.
    """
    if not name:
        return None
    c = name[0]
    if c == "t" or c == "g" or c == "r":
        if name.startswith(("type:", "go:", "type.", "runtime.gcbits.")):
            return None
        if name.startswith("go."):
            n = _strip_inst(name) if "[" in name else name
            head = n.split("/", 1)[0]
            if "/" not in n or not _DOMAIN.fullmatch(head):
                return None
    n = _strip_inst(name) if "[" in name else name
    slash = n.rfind("/")
    dot = n.find(".", slash + 1)
    if dot <= 0:
        return None
    pkg = n[:dot]
    if "%" in pkg:
        pkg = _HEX.sub(lambda m: chr(int(m.group(1), 16)), pkg)
    rest = n[dot + 1:]
    if "." not in rest:  # a plain function (the common case)
        if "-" in rest:
            rest = _SUFFIX.sub("", rest)
        return (pkg, rest) if rest else None
    parts = rest.split(".")
    first = parts[0]
    if first and first[0] == "(" and first[-1] == ")":
        parts[0] = first.strip("(*)")
    if parts[0] == "glob":  # package-level closures: pkg.glob..func1
        return None
    while len(parts) > 1 and _CLOSURE.fullmatch(parts[-1]):
        parts.pop()
    if len(parts) > 2:
        del parts[2:]
    sym = ".".join(parts)
    if "-" in sym:
        sym = ".".join(_SUFFIX.sub("", p) for p in parts)
    if not sym or not parts[0]:
        return None
    return pkg, sym


def escape_path(path: str) -> str:
    """An import path as the Go linker writes it in symbol names (objabi.PathToPrefix): bytes
    below 0x21, '%', '"', 0x7f and above, and '.' in the last element are %-escaped."""
    slash = path.rfind("/")
    out = []
    for i, ch in enumerate(path.encode("utf-8")):
        if ch <= 0x20 or ch in (0x25, 0x22) or ch >= 0x7F or (ch == 0x2E and i > slash):
            out.append(f"%{ch:02x}")
        else:
            out.append(chr(ch))
    return "".join(out)


def group_symbols(names) -> dict[str, set[str]]:
    """Function names -> {import path: symbols} (see :func:`split_symbol`)."""
    out: dict[str, set[str]] = {}
    for name in names:
        hit = split_symbol(name)
        if hit is not None:
            got = out.get(hit[0])
            if got is None:
                got = out[hit[0]] = set()
            got.add(hit[1])
    return out


def _text(raw: bytes) -> str:
    """Names are UTF-8; decoded one to one (latin-1) when ASCII, so offsets stay byte offsets."""
    return raw.decode("latin-1") if raw.isascii() else raw.decode("utf-8", "replace")


def _symtab_names(elf: _Elf) -> list[str] | None:
    """Names of the function symbols of .symtab, or None when there is none."""
    s = elf.section(".symtab")
    if s is None or s[1] != 2:  # SHT_SYMTAB
        return None
    data = elf.section_data(s)
    link = s[6]
    if not 0 < link < len(elf.sections):
        raise _Bad(".symtab names no string table")
    strtab = bytes(elf.section_data(elf.sections[link]))
    ent = 24 if elf.bits == 64 else 16
    count = len(data) // ent
    if count > MAX_FUNCS * 4:
        raise _Bad(f".symtab has {count} entries")
    raw = bytes(data[:count * ent])
    if elf.bits == 64:
        offsets = [nm for nm, info, _o, _shn, _v, _sz in struct.iter_unpack(elf.e + "IBBHQQ", raw) if info & 0xF == 2]
    else:
        offsets = [nm for nm, _v, _sz, info, _o, _shn in struct.iter_unpack(elf.e + "IIIBBH", raw) if info & 0xF == 2]
    find = strtab.find
    names = []
    for nm in offsets:  # STT_FUNC
        end = find(b"\0", nm)
        if end > nm:
            names.append(strtab[nm:end])
    return _text(b"\0".join(names)).split("\0")


def pclntab_names(tab: memoryview) -> list[str]:
    """Function names from a Go pclntab (the ``runtime.pclntab`` table, ``.gopclntab`` in ELF)."""
    n = len(tab)
    if n < 16:
        raise _Bad("pclntab is truncated")
    raw = bytes(tab[:8])
    magic_le, = struct.unpack_from("<I", raw)
    magic_be, = struct.unpack_from(">I", raw)
    if magic_le in _PCLN_MAGICS:
        bo, magic = "<", magic_le
    elif magic_be in _PCLN_MAGICS:
        bo, magic = ">", magic_be
    else:
        raise _Bad("pclntab has an unknown magic number")
    if raw[4] or raw[5]:
        raise _Bad("pclntab header is malformed")
    ptr = raw[7]
    if ptr not in (4, 8):
        raise _Bad(f"pclntab pointer size {ptr}")
    word = bo + ("Q" if ptr == 8 else "I")

    def w(i: int) -> int:  # the i-th word after the 8-byte header
        pos = 8 + i * ptr
        if pos + ptr > n:
            raise _Bad("pclntab header is truncated")
        return struct.unpack_from(word, tab, pos)[0]

    version = _PCLN_MAGICS[magic]
    if version in ("1.16", "1.18", "1.20"):
        base = 2 if version == "1.16" else 3
        start, end = w(base), w(base + 1)  # funcnameOffset, cuOffset
        if not 0 < start <= end <= n:
            raise _Bad("pclntab function-name table lies outside the table")
        names = _text(bytes(tab[start:end])).split("\0")
        if len(names) > MAX_FUNCS:
            raise _Bad(f"pclntab names {len(names)} functions")
        return names
    # Go 1.2-1.15: walk the function table
    nfunc = w(0)
    ftab = 8 + ptr
    if nfunc > MAX_FUNCS or ftab + nfunc * 2 * ptr > n:
        raise _Bad(f"pclntab declares {nfunc} functions, more than it holds")
    data = bytes(tab)
    out = []
    pair = struct.Struct(bo + ("QQ" if ptr == 8 else "II"))
    i32 = struct.Struct(bo + "i")
    for i in range(nfunc):
        _pc, funcoff = pair.unpack_from(data, ftab + i * 2 * ptr)
        if funcoff + ptr + 4 > n:
            continue
        nameoff, = i32.unpack_from(data, funcoff + ptr)
        if 0 < nameoff < n:
            e = data.find(b"\0", nameoff, min(n, nameoff + 4096))
            if e > nameoff:
                out.append(data[nameoff:e])
    return _text(b"\0".join(out)).split("\0") if out else []


# ------------------------------------------------------------------------------------------ parse


def parse(data: bytes | bytearray | memoryview, want_symbols: bool = True) -> GoBinary:
    """Read a file's bytes as a Go program.  ``result.is_go`` is False for anything else."""
    mv = data if isinstance(data, memoryview) else memoryview(data)
    out = GoBinary(format=is_executable_head(bytes(mv[:HEAD_SIZE])))
    elf = None
    if out.format == "elf":
        try:
            elf = _Elf(mv)
            out.bits, out.big_endian = elf.bits, elf.big
            out.problems.extend(elf.problems)
        except (_Bad, struct.error) as exc:
            out.problems.append(f"ELF headers unreadable: {exc}")
            elf = None
    # locate the build info: the ELF section, else a search of the whole file
    offsets: list[int] = []
    if elf is not None:
        s = elf.section(".go.buildinfo")
        if s is not None and s[1] != 8 and s[4] + 32 <= len(mv):
            offsets.append(s[4])
    if not offsets:
        offsets = _find_headers(mv)
    errors = []
    mapper = elf
    if elf is None and out.format in ("pe", "macho"):
        try:
            mapper = _Loaded.pe(mv) if out.format == "pe" else _Loaded.macho(mv)
        except (_Bad, struct.error) as exc:
            out.problems.append(f"{out.format} headers unreadable: {exc}")
    for off in offsets:
        if bytes(mv[off:off + 14]) != BUILDINFO_MAGIC:
            continue
        try:
            out.buildinfo = parse_buildinfo(mv, off, mapper)
            break
        except (_Bad, struct.error) as exc:
            errors.append(str(exc))
    if out.buildinfo is None:
        if errors:
            out.problems.append(f"Go build info unreadable: {errors[0]}")
        return out
    if want_symbols:
        _read_symbols(elf, out, mv)
    return out


#: a pclntab header: magic (little-endian: its low byte comes first), two zero bytes, the instruction
#: size quantum and the pointer size; the regular expression starts with a literal (fast to search)
_PCLN_HEADER = re.compile(rb"\xff\xff\xff([\xf0\xf1\xfa\xfb]?)\x00\x00[\x01\x02\x04][\x04\x08]")


def _find_pclntab(data: memoryview) -> list[str] | None:
    """Function names of a pclntab found by its header (no section names it: externally linked or
    PE/Mach-O programs).  Each candidate header is checked by reading the table; None if none reads."""
    raw = data.obj if isinstance(data.obj, (bytes, bytearray)) and len(data.obj) == len(data) else bytes(data)
    tried = 0
    for m in _PCLN_HEADER.finditer(raw):
        start = m.start() if m.group(1) else m.start() - 1
        if start < 0 or (not m.group(1) and raw[start] not in (0xF0, 0xF1, 0xFA, 0xFB)):
            continue
        tried += 1
        try:
            names = pclntab_names(data[start:])
            if len(names) > 16:
                return names
        except (_Bad, struct.error):
            pass
        if tried >= MAX_MAGIC_HITS:
            break
    return None


def _read_symbols(elf: _Elf | None, out: GoBinary, data: memoryview) -> None:
    """The function names, sorted and unique (split into packages only when asked: most never are)."""
    names: set[str] = set()
    sources = []
    s = None if elf is None else (elf.section(".gopclntab") or elf.section(".data.rel.ro.gopclntab"))
    if s is not None:
        try:
            names.update(pclntab_names(elf.section_data(s)))
            sources.append("pclntab")
        except (_Bad, struct.error) as exc:
            out.problems.append(f"Go pclntab unreadable: {exc}")
    else:
        found = _find_pclntab(data)
        if found is not None:
            names.update(found)
            sources.append("pclntab")
    if elf is not None:
        try:
            got = _symtab_names(elf)
            if got is not None:
                names.update(got)
                sources.insert(0, "symtab")
        except (_Bad, struct.error) as exc:
            out.problems.append(f"ELF .symtab unreadable: {exc}")
    if not sources:
        out.problems.append("no symbol table or Go function table found")
    names.discard("")
    if sources and names:
        out.names = tuple(sorted(names))
        out.symbol_source = "+".join(sources)

