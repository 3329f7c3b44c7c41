"""A bounded, streaming tar reader: index a (gzip-compressed) tar in one forward pass, keep only the
members the caller wants, in memory, within a byte budget.

Container-image layers are tars (usually gzip-compressed) read from a blob file or an HTTP download:
nothing is extracted to disk and nothing is seeked back to.  One pass records every entry (path,
type, size, link target), the OCI whiteouts (``.wh.<name>``, ``.wh..wh..opq``), and the contents of
the few members ``keep(path)`` asks for.  Written for hostile input: header checksums are verified,
names are normalized (``..`` refused), sizes are bounded, the decompression ratio is watched, and
every problem becomes a Notice; a problem with the stream stops the layer with what was read so far.

Compression: gzip (``application/vnd.oci.image.layer.v1.tar+gzip``, Docker's ``.tar.gzip``),
plain tar, and zstd (``+zstd``) through the optional ``zstandard`` package (``pkgscan[zstd]``; the
decoder's window is capped at 128 MiB); without that package a zstd layer is reported unreadable
(``TarIndex.unreadable``) with the reason.  Gzip is inflated by the optional ``zlib-ng`` package
(``pkgscan[fast]``: same stream format, about 2.4x the speed of zlib, and it releases the GIL, so
two layers inflate on two cores) when it is installed, by the standard ``zlib`` otherwise.
"""
from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO, Callable

from ..model import Notice
from .ziparchive import safe_path

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BLOCK = 512
_CHUNK = 1 << 20

#: entry kinds in an index
FILE, DIR, SYMLINK, OTHER = "f", "d", "l", "o"
WHITEOUT_PREFIX = ".wh."
OPAQUE = ".wh..wh..opq"


@dataclass(frozen=True)
class TarLimits:
    #: uncompressed bytes of one tar (Lambda: a container image is at most 10 GB uncompressed)
    max_uncompressed: int = 10 * 1024 ** 3
    #: entries of one tar
    max_entries: int = 500_000
    #: bytes of kept member contents (what the catalogers read), for one tar
    max_kept: int = 128 * 1024 * 1024
    #: the largest single member kept
    max_member: int = 64 * 1024 * 1024
    #: uncompressed / compressed above this (after ``ratio_min_size`` of output) is a bomb
    max_ratio: int = 200
    ratio_min_size: int = 64 * 1024 * 1024
    #: path components
    max_depth: int = 128
    #: PAX / GNU long-name records
    max_meta: int = 1024 * 1024


@dataclass(frozen=True, slots=True)
class TarEntry:
    kind: str  # FILE, DIR, SYMLINK, OTHER
    size: int = 0
    link: str = ""  # symlink target as written


@dataclass
class TarIndex:
    """What one pass over a tar found.  ``entries`` holds every regular file, directory and link
    (whiteout markers excluded); ``whiteouts`` the paths deleted in lower layers, ``opaque`` the
    directories whose lower-layer contents are hidden; ``kept`` the contents of the wanted files."""

    entries: dict[str, TarEntry] = field(default_factory=dict)
    whiteouts: list[str] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)
    kept: dict[str, bytes] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    compressed_size: int = 0
    uncompressed_size: int = 0
    #: why the tar could not be read at all / to its end ("" when it was read completely)
    unreadable: str = ""
    truncated: bool = False
    sha256: str = ""  # of the compressed input, when asked to hash it
    compression: str = ""
    #: every file ``keep`` asked for, kept or not (over a limit); None when not recorded
    wanted: set[str] | None = None

    @property
    def kept_bytes(self) -> int:
        return sum(len(v) for v in self.kept.values())


def _inflaters():
    """(decompressobj factory, its error classes): zlib-ng when installed, else zlib."""
    try:
        from zlib_ng import zlib_ng
    except ImportError:
        return zlib.decompressobj, (zlib.error,)
    return zlib_ng.decompressobj, (zlib.error, zlib_ng.error)


_DECOMPRESSOBJ, _INFLATE_ERRORS = _inflaters()


class TarStreamError(Exception):
    def __init__(self, message: str, suspicious: bool = False):
        super().__init__(message)
        self.suspicious = suspicious


class _Stream:
    """Forward-only reads over the decompressed bytes of a file object (gzip or plain)."""

    def __init__(self, fh: BinaryIO, limits: TarLimits, hasher=None):
        self.fh = fh
        self.limits = limits
        self.hasher = hasher
        self.buf = b""
        self.pos = 0
        self.out_total = 0  # bytes produced by decompression so far
        self.in_total = 0
        head = self._raw(_CHUNK)
        self.zstd = None
        if head.startswith(ZSTD_MAGIC):
            self.compression = "zstd"
            self.zstd = _zstd_reader(self, head)
            self.d = None
            self.pending = b""
            self.eof_in = False
            return
        if head.startswith(GZIP_MAGIC):
            self.compression = "gzip"
            self.d = _DECOMPRESSOBJ(31)
        else:
            self.compression = "none"
            self.d = None
        self.pending = head  # compressed input not yet fed
        self.eof_in = not head

    def _raw(self, n: int) -> bytes:
        data = self.fh.read(n)
        if data:
            self.in_total += len(data)
            if self.hasher is not None:
                self.hasher.update(data)
        return data

    def _more(self) -> bytes:
        """The next piece of output (b"" at the end)."""
        if self.zstd is not None:
            try:
                out = self.zstd.read(_CHUNK)
            except Exception as exc:  # zstandard.ZstdError: a damaged or hostile frame
                raise TarStreamError(f"zstd error: {exc}") from None
            self._count(len(out))
            return out
        while True:
            if self.d is None:
                if self.pending:
                    out, self.pending = self.pending, b""
                else:
                    out = self._raw(_CHUNK)
                self._count(len(out))
                return out
            d = self.d
            if d.unconsumed_tail:
                data = d.unconsumed_tail
            elif self.pending:
                data, self.pending = self.pending, b""
            else:
                data = self._raw(_CHUNK)
                if not data:
                    return b""
            try:
                out = d.decompress(data, _CHUNK)
            except _INFLATE_ERRORS as exc:
                raise TarStreamError(f"gzip error: {exc}") from None
            if d.eof:
                rest = d.unused_data
                if rest.startswith(GZIP_MAGIC):  # a multi-member gzip file
                    self.d = _DECOMPRESSOBJ(31)
                    self.pending = rest
                elif rest.strip(b"\x00"):
                    raise TarStreamError("data after the end of the gzip stream", True)
                else:
                    self.d = _Drain()
            if out:
                self._count(len(out))
                return out

    def _count(self, n: int) -> None:
        self.out_total += n
        lim = self.limits
        if self.out_total > lim.max_uncompressed:
            raise TarStreamError(f"layer unpacks to more than {lim.max_uncompressed} bytes", True)
        if self.d is not None and self.out_total > lim.ratio_min_size and \
                self.out_total > lim.max_ratio * max(1, self.in_total):
            raise TarStreamError(f"compression ratio over {lim.max_ratio} (decompression bomb pattern)", True)

    def read(self, n: int) -> bytes:
        """Exactly ``n`` bytes, fewer only at the end of the stream."""
        end = self.pos + n
        if end <= len(self.buf):
            out = self.buf[self.pos:end]
            self.pos = end
            return out
        parts = [self.buf[self.pos:]]
        have = len(parts[0])
        self.buf, self.pos = b"", 0
        while have < n:
            more = self._more()
            if not more:
                return b"".join(parts)
            take = n - have
            if len(more) > take:
                parts.append(more[:take])
                self.buf, self.pos = more, take
                have = n
            else:
                parts.append(more)
                have += len(more)
        return b"".join(parts)

    def skip(self, n: int) -> int:
        """Discard ``n`` bytes; returns how many were there."""
        left = len(self.buf) - self.pos
        if n <= left:
            self.pos += n
            return n
        done = left
        self.buf, self.pos = b"", 0
        while done < n:
            more = self._more()
            if not more:
                return done
            take = n - done
            if len(more) > take:
                self.buf, self.pos = more, take
                return n
            done += len(more)
        return done

    def drain(self) -> None:
        """Read the rest of the input (so that its hash covers it all)."""
        if self.hasher is None:
            return
        while self._raw(_CHUNK):
            pass


def zstd_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("zstandard") is not None


def _zstd_reader(stream: "_Stream", head: bytes):
    """A bounded zstd reader over the stream's raw input (the optional ``zstandard`` package)."""
    try:
        import zstandard
    except ImportError:
        raise TarStreamError("zstd-compressed layer: not read (install the optional zstandard package: "
                             "pip install 'pkgscan[zstd]')") from None

    class _Raw:
        def __init__(self) -> None:
            self.first = head

        def read(self, n: int = -1) -> bytes:
            if self.first:
                out, self.first = self.first, b""
                return out
            return stream._raw(n if n and n > 0 else _CHUNK)

    # a window above 128 MiB is refused (zstd's own default limit for decoders is 128 MiB too):
    # a frame cannot make the decoder allocate more than that
    return zstandard.ZstdDecompressor(max_window_size=1 << 27).stream_reader(
        _Raw(), read_size=_CHUNK, read_across_frames=True)


class _Drain:
    """After the last gzip member: nothing more comes out."""

    unconsumed_tail = b""
    eof = False
    unused_data = b""

    def decompress(self, data: bytes, _n: int) -> bytes:
        return b""


def _byte_sum(block: bytes) -> int:
    """The sum of a 512-byte block's bytes, in C: Adler-32's first half is 1 + the sum of the bytes
    modulo 65521, and 256 bytes sum to at most 65280, so each half's sum comes out exact."""
    return (zlib.adler32(block[:256]) & 0xFFFF) + (zlib.adler32(block[256:]) & 0xFFFF) - 2


def _signed_sum(hdr: bytes) -> int:
    """The header checksum as some old tars computed it (bytes as signed chars)."""
    return sum(b - 256 if b > 127 else b for b in hdr[:148] + b" " * 8 + hdr[156:])


def _num(field_: bytes) -> int:
    """A tar number: octal text, or base-256 when the first byte has its high bit set."""
    if field_ and field_[0] & 0x80:
        v = int.from_bytes(field_[1:], "big")
        if field_[0] & 0x40:  # negative
            raise ValueError("negative number")
        return v | ((field_[0] & 0x3F) << (8 * (len(field_) - 1)))
    s = field_.split(b"\x00", 1)[0].strip(b" \x00")
    return int(s, 8) if s else 0


def _str(field_: bytes) -> str:
    raw = field_.split(b"\x00", 1)[0]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _pax(data: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        sp = data.find(b" ", pos)
        if sp < 0:
            break
        try:
            ln = int(data[pos:sp])
        except ValueError:
            raise TarStreamError("malformed PAX header", True) from None
        if ln <= 0 or pos + ln > len(data):
            raise TarStreamError("malformed PAX header", True)
        rec = data[sp + 1 : pos + ln - 1]
        key, _, val = rec.partition(b"=")
        out[key.decode("utf-8", "replace")] = val.decode("utf-8", "surrogateescape").encode(
            "utf-8", "replace").decode("utf-8")
        pos += ln
    return out


def normalize(raw: str) -> tuple[str | None, str | None]:
    """A layer path relative to the image root ("./usr/lib" and "/usr/lib" -> "usr/lib")."""
    name = raw
    while name.startswith("./"):
        name = name[2:]
    name = name.lstrip("/")
    if name in ("", "."):
        return "", None
    return safe_path(name)


def index_tar(fh: BinaryIO, keep: Callable[[str], bool], limits: TarLimits = TarLimits(),
              hash_input: bool = False, label: str = "", record: Callable[[str], bool] | None = None) -> TarIndex:
    """Index the tar read from ``fh`` (gzip or plain) in one pass; never raises for bad input.

    ``record(path)``: which entries to list (default all); whiteouts are always listed."""
    idx = TarIndex()
    hasher = hashlib.sha256() if hash_input else None
    notes = idx.notices
    where = f"{label}: " if label else ""
    stream = None
    try:
        stream = _Stream(fh, limits, hasher)
        idx.compression = stream.compression
        _walk(stream, idx, keep, limits, where)
        if record is not None:
            idx.entries = {p: e for p, e in idx.entries.items() if record(p)}
        stream.drain()
    except TarStreamError as exc:
        idx.unreadable = f"{where}{exc}"
        if stream is None:
            idx.compression = "zstd" if "zstd" in str(exc) else idx.compression
        notes.append(Notice("layer-unreadable", label, str(exc), exc.suspicious))
    except OSError as exc:
        idx.unreadable = f"{where}read error: {exc}"
        notes.append(Notice("layer-unreadable", label, f"read error: {exc}"))
    if stream is not None:
        idx.compressed_size = stream.in_total
        idx.uncompressed_size = stream.out_total
    if hasher is not None:
        idx.sha256 = hasher.hexdigest()
    return idx


def _walk(s: _Stream, idx: TarIndex, keep: Callable[[str], bool], lim: TarLimits, where: str) -> None:
    notes = idx.notices
    over_budget: list[str] = []
    try:
        _entries(s, idx, keep, lim, where, over_budget)
    finally:
        if over_budget:  # one notice, not one per file (an image can hold very many wanted files)
            notes.append(Notice("size-limit", over_budget[0], f"{where}kept-contents budget of {lim.max_kept} bytes "
                                f"reached: {len(over_budget)} wanted files not read (this one first)"))


def _entries(s: _Stream, idx: TarIndex, keep: Callable[[str], bool], lim: TarLimits, where: str,
             over_budget: list[str]) -> None:
    entries = idx.entries
    kept = idx.kept
    notes = idx.notices
    wanted = idx.wanted = set()
    kept_bytes = 0
    count = 0
    long_name = long_link = None
    pax: dict[str, str] = {}
    gpax: dict[str, str] = {}
    while True:
        hdr = s.read(BLOCK)
        if len(hdr) < BLOCK:
            if hdr or count == 0:
                idx.truncated = True
                notes.append(Notice("truncated", "", f"{where}tar stream ends inside a header" if hdr
                                    else f"{where}empty tar stream"))
            else:
                idx.truncated = True
                notes.append(Notice("truncated", "", f"{where}tar stream ends without an end-of-archive marker"))
            return
        if hdr.count(0) == BLOCK:  # end of archive (one zero block is enough to stop)
            return
        chk = hdr[148:156]
        try:
            want = _num(chk)
        except ValueError:
            want = -1
        if _byte_sum(hdr) - sum(chk) + 256 != want and _signed_sum(hdr) != want:
            raise TarStreamError("bad tar header checksum (corrupt or not a tar)", True)
        count += 1
        if count > lim.max_entries:
            raise TarStreamError(f"more than {lim.max_entries} entries", True)
        try:
            size = _num(hdr[124:136])
        except ValueError:
            raise TarStreamError("bad size field in a tar header", True) from None
        padded = (size + BLOCK - 1) // BLOCK * BLOCK
        typ = hdr[156:157]
        if typ in (b"x", b"g", b"L", b"K"):
            if size > lim.max_meta:
                raise TarStreamError(f"extended header of {size} bytes", True)
            data = s.read(padded)[:size]
            if len(data) < size:
                raise TarStreamError("tar stream ends inside an extended header")
            if typ == b"x":
                pax = _pax(data)
            elif typ == b"g":
                gpax.update(_pax(data))
            elif typ == b"L":
                long_name = data.split(b"\x00", 1)[0].decode("utf-8", "replace")
            else:
                long_link = data.split(b"\x00", 1)[0].decode("utf-8", "replace")
            continue
        name = _str(hdr[0:100])
        if hdr[257:262] == b"ustar":
            prefix = _str(hdr[345:500]) if hdr[263:265] == b"00" else ""
            if prefix:
                name = f"{prefix}/{name}"
        link = _str(hdr[157:257])
        meta = {**gpax, **pax} if gpax else pax
        if long_name is not None:
            name = long_name
        if long_link is not None:
            link = long_link
        if "path" in meta:
            name = meta["path"]
        if "linkpath" in meta:
            link = meta["linkpath"]
        if "size" in meta:
            try:
                size = int(meta["size"])
                padded = (size + BLOCK - 1) // BLOCK * BLOCK
            except ValueError:
                raise TarStreamError("bad PAX size", True) from None
        pax, long_name, long_link = {}, None, None
        if size < 0:
            raise TarStreamError("negative size", True)
        path, reason = normalize(name)
        is_dir = typ == b"5" or (typ in (b"0", b"\x00") and name.endswith("/"))
        if path is None:
            notes.append(Notice("unsafe-path", name, f"{where}entry skipped: {reason}", True))
            _skip(s, padded)
            continue
        if not path:
            _skip(s, padded)
            continue
        if path.count("/") + 1 > lim.max_depth:
            notes.append(Notice("too-deep", path, f"{where}entry skipped: more than {lim.max_depth} path components", True))
            _skip(s, padded)
            continue
        base = path[path.rfind("/") + 1:]
        if base.startswith(WHITEOUT_PREFIX):
            parent = path[: len(path) - len(base) - 1] if "/" in path else ""
            if base == OPAQUE:
                idx.opaque.append(parent)
            else:
                target = base[len(WHITEOUT_PREFIX):]
                if target in ("", ".", ".."):
                    notes.append(Notice("unsafe-path", path, f"{where}whiteout of {target!r} ignored", True))
                else:
                    idx.whiteouts.append(f"{parent}/{target}" if parent else target)
            _skip(s, padded)
            continue
        if typ in (b"0", b"\x00", b"7") and not is_dir:
            if path in kept:
                kept_bytes -= len(kept.pop(path))
            entries[path] = TarEntry(FILE, size)
            if keep(path):
                wanted.add(path)
                if size > lim.max_member:
                    notes.append(Notice("member-too-large", path, f"{where}{size} bytes, over the limit of {lim.max_member}; not read"))
                elif kept_bytes + size > lim.max_kept:
                    over_budget.append(path)
                else:
                    data = s.read(size)
                    if len(data) < size:
                        raise TarStreamError(f"tar stream ends inside {path}")
                    kept[path] = data
                    kept_bytes += size
                    _skip(s, padded - size)
                    continue
            _skip(s, padded)
        elif is_dir:
            entries[path] = TarEntry(DIR)
            _skip(s, padded)
        elif typ == b"2":
            entries[path] = TarEntry(SYMLINK, 0, link)
            _skip(s, padded)
        elif typ == b"1":
            target, why = normalize(link)
            src = entries.get(target) if target else None
            if target is None:
                notes.append(Notice("unsafe-path", path, f"{where}hard link to {link!r} skipped: {why}", True))
            elif src is None or src.kind != FILE:
                notes.append(Notice("hardlink", path, f"{where}hard link to {link!r}, which is not an earlier file of this layer; skipped", True))
            else:
                entries[path] = src
                if keep(path):
                    wanted.add(path)
                    if target in kept:
                        kept[path] = kept[target]
                        kept_bytes += len(kept[target])
            _skip(s, padded)
        elif typ == b"S":
            entries[path] = TarEntry(OTHER, size)
            notes.append(Notice("unsupported-entry", path, f"{where}GNU sparse file not read"))
            _skip(s, padded)
        else:  # devices, FIFOs, contiguous files of exotic tars
            entries[path] = TarEntry(OTHER)
            _skip(s, padded)


def _skip(s: _Stream, n: int) -> None:
    if n and s.skip(n) < n:
        raise TarStreamError("tar stream ends inside an entry")


@dataclass(frozen=True, slots=True)
class TarMember:
    name: str
    offset: int  # of the data
    size: int
    kind: str


def list_members(read_at: Callable[[int, int], bytes], total: int, max_entries: int = 100_000) -> dict[str, TarMember]:
    """The members of an uncompressed tar file read at offsets (a ``docker save`` archive): name ->
    where its data is.  Raises TarStreamError for a file that is not a tar."""
    out: dict[str, TarMember] = {}
    pos = 0
    long_name = None
    pax: dict[str, str] = {}
    n = 0
    while pos + BLOCK <= total:
        hdr = read_at(pos, BLOCK)
        if len(hdr) < BLOCK or hdr.count(0) == BLOCK:
            break
        chk = hdr[148:156]
        try:
            ok = _byte_sum(hdr) - sum(chk) + 256 == _num(chk)
            size = _num(hdr[124:136])
        except ValueError:
            ok = False
        if not ok:
            raise TarStreamError("bad tar header checksum (corrupt or not a tar)", True)
        n += 1
        if n > max_entries:
            raise TarStreamError(f"more than {max_entries} entries", True)
        typ = hdr[156:157]
        data_at = pos + BLOCK
        pos = data_at + (size + BLOCK - 1) // BLOCK * BLOCK
        if typ in (b"x", b"L"):
            data = read_at(data_at, min(size, 1 << 20))
            if typ == b"x":
                pax = _pax(data)
            else:
                long_name = data.split(b"\x00", 1)[0].decode("utf-8", "replace")
            continue
        if typ == b"g":
            continue
        name = _str(hdr[0:100])
        if hdr[257:262] == b"ustar" and hdr[263:265] == b"00":
            prefix = _str(hdr[345:500])
            if prefix:
                name = f"{prefix}/{name}"
        if long_name is not None:
            name = long_name
        name = pax.get("path", name)
        if "size" in pax:
            try:
                size = int(pax["size"])
            except ValueError:
                raise TarStreamError("bad PAX size", True) from None
            pos = data_at + (size + BLOCK - 1) // BLOCK * BLOCK
        pax, long_name = {}, None
        path, _why = normalize(name)
        if path:
            kind = DIR if typ == b"5" else FILE if typ in (b"0", b"\x00", b"7") else SYMLINK if typ in (b"1", b"2") else OTHER
            link = _str(hdr[157:257])
            if kind == SYMLINK:  # docker save writes repeated layers as links to the first copy
                tgt, _ = normalize(link if typ == b"1" else _join(path, link))
                if tgt and tgt in out:
                    out[path] = TarMember(path, out[tgt].offset, out[tgt].size, FILE)
                continue
            out[path] = TarMember(path, data_at, size, kind)
    return out


def _join(path: str, link: str) -> str:
    if link.startswith("/"):
        return link
    parent = path.rsplit("/", 1)[0] if "/" in path else ""
    parts = (parent.split("/") if parent else []) + link.split("/")
    out: list[str] = []
    for p in parts:
        if p == "..":
            if out:
                out.pop()
        elif p not in ("", "."):
            out.append(p)
    return "/".join(out)
