"""A defensive zip reader: parses the central directory, decompresses single members on demand.

Written for attacker-controlled archives: nothing is extracted to disk, every size is checked
before it is trusted, and each problem with one entry becomes a per-entry notice instead of
failing the whole archive.  Supports zip64, prepended data (self-extractors), stored / deflate /
bzip2 / lzma members.
"""
from __future__ import annotations

import bz2
import lzma
import stat
import struct
import zlib
from dataclasses import dataclass

from ..errors import ArchiveError, EntryError
from ..model import Notice
from .limits import Limits
from .source import ByteSource

_EOCD = struct.Struct("<4s4H2LH")  # signature, disk, cd disk, entries here, entries, cd size, cd offset, comment len
_EOCD64_LOC = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
_CDH = struct.Struct("<4s6H3L5H2L")
_LFH = struct.Struct("<4s5H3L2H")
_SIG_EOCD = b"PK\x05\x06"
_SIG_EOCD64_LOC = b"PK\x06\x07"
_SIG_EOCD64 = b"PK\x06\x06"
_SIG_CDH = b"PK\x01\x02"
_SIG_LFH = b"PK\x03\x04"

STORED, DEFLATED, BZIP2, LZMA = 0, 8, 12, 14
_METHOD_NAMES = {STORED: "stored", DEFLATED: "deflate", BZIP2: "bzip2", LZMA: "lzma"}


@dataclass(frozen=True, slots=True)
class ZipMember:
    name: str  # normalized, safe, relative path ("a/b/c"); directories have no trailing slash
    raw_name: str
    offset: int  # of the local file header, already adjusted for prepended data
    compressed_size: int
    size: int
    crc: int
    method: int
    flags: int
    is_dir: bool
    is_symlink: bool


def _is_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _unicode_path_extra(extra: bytes, name_b: bytes) -> str | None:
    """The name in an Info-ZIP Unicode Path extra field (0x7075) when its CRC matches the header name."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, ln = struct.unpack_from("<HH", extra, pos)
        pos += 4
        if tag == 0x7075 and ln >= 5 and pos + ln <= len(extra):
            version, crc = struct.unpack_from("<BL", extra, pos)
            if version == 1 and crc == zlib.crc32(name_b):
                try:
                    return extra[pos + 5 : pos + ln].decode("utf-8")
                except UnicodeDecodeError:
                    return None
            return None
        pos += ln
    return None


def _zip64_extra(extra: bytes, need_size: bool, need_csize: bool, need_offset: bool) -> list[int | None]:
    """Return (size, csize, offset) overrides from a zip64 extended-information field."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, ln = struct.unpack_from("<HH", extra, pos)
        pos += 4
        if tag == 0x0001:
            field = extra[pos : pos + ln]
            i = 0
            out = [None, None, None]
            for idx, needed in enumerate((need_size, need_csize, need_offset)):
                if needed:
                    if i + 8 > len(field):
                        raise ValueError("truncated zip64 extra field")
                    out[idx] = struct.unpack_from("<Q", field, i)[0]
                    i += 8
            return out
        pos += ln
    if need_size or need_csize or need_offset:
        raise ValueError("zip64 sizes without a zip64 extra field")
    return [None, None, None]


def safe_path(raw: str) -> tuple[str | None, str | None]:
    """Normalize an entry name; return (path, None) or (None, reason) for an unsafe one."""
    # Fast path for the ordinary name: relative, no backslash, no '.', '..' or empty segments.
    if raw and raw[0] not in "/." and "\\" not in raw and "//" not in raw and "/." not in raw \
            and "\x00" not in raw and ":" not in raw:
        return raw.rstrip("/"), None
    name = raw.replace("\\", "/")
    if "\x00" in name:
        return None, "NUL byte in entry name"
    if name.startswith("/"):
        return None, "absolute path"
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        return None, "drive-letter path"
    parts = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            return None, "path traversal ('..')"
        parts.append(part)
    return "/".join(parts), None


class ZipReader:
    """Central-directory view of a zip held by a ByteSource."""

    def __init__(self, source: ByteSource, limits: Limits, notices: list[Notice]):
        self.source = source
        self.limits = limits
        self.notices = notices
        self.members: dict[str, ZipMember] = {}
        self.symlinks: dict[str, ZipMember] = {}
        self.entry_count = 0
        self.declared_total = 0
        self.bytes_inflated = 0  # every byte decompressed, successful reads or not (the budget counts it)
        self.overlapping: set[str] = set()  # members whose data overlaps another member's
        self._read_spans: list[tuple[int, int]] = []
        self._all_spans: list[tuple[int, int, str]] = []  # (local header, end of data, name), every directory
        self._cd_starts: list[int] = []
        self._data_start = 0  # after prepended data
        self._checked_local: set[str] = set()
        self._header_names: dict[str, str] = {}  # raw names replaced by a Unicode Path extra field
        self._parse()

    # ----------------------------------------------------------------- central directory
    def _note(self, code: str, path: str, message: str, suspicious: bool = False) -> None:
        self.notices.append(Notice(code, path, message, suspicious))

    def _find_eocd(self) -> list[tuple[int, tuple]]:
        """End-of-central-directory candidates, outermost first.

        A record is a candidate when its comment ends exactly at the end of the file.  An archive
        comment can hide a second, forged record (readers that take the last signature see only
        the forged directory), so every candidate is returned and the caller reads them all.
        """
        size = self.source.size
        if size < _EOCD.size:
            raise ArchiveError("not a zip file (too small)")
        if size > self.limits.max_archive_size:
            raise ArchiveError(
                f"archive is {size} bytes, larger than the limit of {self.limits.max_archive_size}"
            )
        tail_len = min(size, _EOCD.size + 0xFFFF)
        tail = self.source.read_at(size - tail_len, tail_len)
        exact: list[tuple[int, tuple]] = []
        loose: list[tuple[int, tuple]] = []
        pos = tail.rfind(_SIG_EOCD)
        while pos >= 0:
            if pos + _EOCD.size <= len(tail):
                rec = _EOCD.unpack_from(tail, pos)
                end = pos + _EOCD.size + rec[7]
                if end == len(tail):
                    exact.append((size - tail_len + pos, rec))
                elif end < len(tail) and not loose:
                    loose.append((size - tail_len + pos, rec))  # trailing junk after the comment
            pos = tail.rfind(_SIG_EOCD, 0, pos)
        if exact:
            return exact[::-1]
        if loose:
            self._note("trailing-data", "", "data after the end of the zip archive", suspicious=True)
            return loose
        raise ArchiveError("not a zip file (no end-of-central-directory record)")

    def _parse(self) -> None:
        candidates = self._find_eocd()
        if len(candidates) > 1:
            self._note("ambiguous-end-record", "",
                       f"{len(candidates)} end-of-central-directory records (one hidden in the archive comment); "
                       "all their entries are read", suspicious=True)
        errors = []
        for eocd_pos, rec in candidates:
            try:
                self._parse_one(eocd_pos, rec)
            except ArchiveError as exc:
                errors.append(exc)
        if len(errors) == len(candidates):
            raise errors[-1]
        self._check_unlisted()

    #: bytes outside every listed entry that are searched for unlisted local headers
    MAX_GAP_SCAN = 64 * 1024 * 1024

    def _check_unlisted(self) -> None:
        """Local file headers the central directory does not list (a stream extractor, or a reader that
        trusts local headers, sees files pkgscan does not; an end record claiming 0 entries over a
        non-empty archive is the extreme case): flagged as an ambiguous archive."""
        if not self._cd_starts:
            return
        end_all = min(self._cd_starts)
        spans = sorted(self._all_spans)
        gaps: list[tuple[int, int]] = []
        pos = self._data_start
        for start, stop, _name in spans:
            if start > pos:
                gaps.append((pos, start))
            if stop > pos:
                # the local extra field can be longer than the central one: measure it when a gap follows
                pos = max(pos, self._local_end(start, stop))
        if end_all > pos:
            gaps.append((pos, end_all))
        found = 0
        scanned = 0
        for a, b in gaps:
            if scanned >= self.MAX_GAP_SCAN:
                break
            b = min(b, a + self.MAX_GAP_SCAN - scanned)
            scanned += b - a
            data = self.source.read_at(a, b - a)
            i = data.find(_SIG_LFH)
            while i >= 0:
                if i + _LFH.size <= len(data) or a + i + _LFH.size <= self.source.size:
                    found += 1
                i = data.find(_SIG_LFH, i + 4)
        if found:
            self._note("zip-ambiguous", "", f"{found} local file header(s) not listed in the central directory: other "
                       "extractors may see files pkgscan does not (archive is ambiguous)", suspicious=True)

    def _local_end(self, start: int, stop: int) -> int:
        lfh = self.source.read_at(start, _LFH.size)
        if len(lfh) < _LFH.size or lfh[:4] != _SIG_LFH:
            return stop
        f = _LFH.unpack(lfh)
        nlen_cd_guess = 0  # stop was computed as start + 30 + central name length + csize
        return max(stop, stop + f[10] + nlen_cd_guess)

    def _parse_one(self, eocd_pos: int, rec: tuple) -> None:
        _, disk, cd_disk, _n_here, n_entries, cd_size, cd_offset, _clen = rec
        if disk != 0 or cd_disk != 0:
            raise ArchiveError("multi-disk (split) zip archives are not supported")
        cd_end = eocd_pos
        if n_entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
            loc_pos = eocd_pos - _EOCD64_LOC.size
            if loc_pos >= 0:
                loc = _EOCD64_LOC.unpack(self.source.read_at(loc_pos, _EOCD64_LOC.size))
                if loc[0] == _SIG_EOCD64_LOC:
                    # the zip64 record normally sits right before its locator; with data prepended to
                    # the archive the offset in the locator is off by that much
                    r64 = None
                    for at in dict.fromkeys((loc[2], loc_pos - _EOCD64.size)):
                        if at < 0:
                            continue
                        z64 = self.source.read_at(at, _EOCD64.size)
                        if len(z64) == _EOCD64.size and z64[:4] == _SIG_EOCD64:
                            r64, cd_end = _EOCD64.unpack(z64), at
                            break
                    if r64 is None:
                        raise ArchiveError("corrupt zip64 end-of-central-directory record")
                    n_entries, cd_size, cd_offset = r64[7], r64[8], r64[9]
        if n_entries > self.limits.max_entries:
            raise ArchiveError(
                f"archive declares {n_entries} entries, more than the limit of {self.limits.max_entries}"
            )
        if cd_size > cd_end:
            raise ArchiveError("corrupt zip: central directory larger than the file")
        # Data prepended to the archive (self-extractors, or junk) shifts every offset.
        delta = cd_end - (cd_offset + cd_size)
        if delta < 0:
            raise ArchiveError("corrupt zip: central directory offset beyond the end of the file")
        if delta:
            self._note("prepended-data", "", f"{delta} bytes before the zip data", suspicious=True)
        self._data_start = max(self._data_start, delta)
        self._cd_starts.append(cd_end - cd_size)
        if n_entries == 0 and cd_size == 0 and cd_end - cd_size > delta:
            self._note("zip-ambiguous", "", "the end record lists no entries but the archive holds data before it",
                       suspicious=True)
        cd = self.source.read_at(cd_end - cd_size, cd_size)
        if len(cd) != cd_size:
            raise ArchiveError("truncated zip: central directory cut short")
        self._parse_central_directory(cd, n_entries, delta)

    def _parse_central_directory(self, cd: bytes, n_entries: int, delta: int) -> None:
        limits = self.limits
        pos = 0
        hdr = _CDH
        hsize = hdr.size
        members = self.members
        seen_raw: set[str] = set()
        spans: list[tuple[int, int, str]] = []
        count = 0
        while pos + 4 <= len(cd) and cd[pos : pos + 4] == _SIG_CDH:
            count += 1
            if count > limits.max_entries:
                raise ArchiveError(f"archive has more than {limits.max_entries} entries")
            if pos + hsize > len(cd):
                self._note("truncated", "", "central directory ends inside an entry header")
                break
            (_sig, vmade, _vneed, flags, method, _t, _d, crc, csize, usize, nlen, xlen, clen,
             _disk, _iattr, eattr, offset) = hdr.unpack_from(cd, pos)
            name_b = cd[pos + hsize : pos + hsize + nlen]
            extra = cd[pos + hsize + nlen : pos + hsize + nlen + xlen]
            pos += hsize + nlen + xlen + clen
            if pos > len(cd):
                self._note("truncated", "", "central directory ends inside an entry")
                break
            if flags & 0x800:
                try:
                    raw = name_b.decode("utf-8")
                except UnicodeDecodeError:
                    raw = name_b.decode("utf-8", "replace")
                    self._note("invalid-utf8-name", raw, "entry name is not valid UTF-8 although flagged so")
            else:
                try:
                    raw = name_b.decode("utf-8")
                except UnicodeDecodeError:
                    raw = name_b.decode("cp437")
            if usize == 0xFFFFFFFF or csize == 0xFFFFFFFF or offset == 0xFFFFFFFF:
                try:
                    z = _zip64_extra(extra, usize == 0xFFFFFFFF, csize == 0xFFFFFFFF, offset == 0xFFFFFFFF)
                except ValueError as exc:
                    self._note("corrupt-entry", raw, str(exc))
                    continue
                usize = z[0] if z[0] is not None else usize
                csize = z[1] if z[1] is not None else csize
                offset = z[2] if z[2] is not None else offset
            self._all_spans.append((offset + delta, offset + delta + 30 + nlen + csize, raw))
            if not flags & 0x800 and xlen:
                upath = _unicode_path_extra(extra, name_b)
                if upath is not None and upath != raw:
                    # Info-ZIP Unicode Path (0x7075): unzip and CPython use it instead of the header name
                    self._note("unicode-path-extra", upath, f"entry named {raw!r} in its header is {upath!r} "
                               "by its Unicode Path extra field (as unzip extracts it)", suspicious=True)
                    self._header_names[upath] = raw
                    raw = upath
            is_dir = raw.endswith("/") or raw.endswith("\\")
            mode = eattr >> 16 if (vmade >> 8) == 3 else 0
            is_symlink = stat.S_ISLNK(mode)
            name, reason = safe_path(raw)
            if name is None:
                self._note("unsafe-path", raw, f"entry skipped: {reason}", suspicious=True)
                continue
            if name.count("/") + 1 > limits.max_depth:
                self._note("too-deep", raw, f"entry skipped: more than {limits.max_depth} path components", True)
                continue
            if not name:
                continue
            if raw in seen_raw or name in members:
                self._note("duplicate-entry", name, "duplicate entry name: the last one wins (as unzip would write it)", True)
            seen_raw.add(raw)
            m = ZipMember(name, raw, offset + delta, csize, usize, crc, method, flags, is_dir, is_symlink)
            spans.append((m.offset, m.offset + 30 + nlen + csize, name))
            if is_symlink:
                self.symlinks[name] = m
                members.pop(name, None)
                continue
            if not is_dir:
                self.declared_total += usize
            members[name] = m
        if count != n_entries and count < n_entries:
            self._note("truncated", "", f"central directory lists {count} of {n_entries} declared entries")
        self.entry_count = count
        if self.declared_total > limits.max_total_uncompressed:
            self._note(
                "size-limit",
                "",
                f"declared uncompressed size {self.declared_total} exceeds {limits.max_total_uncompressed} "
                "(Lambda's unzipped limit); only metadata is read",
                suspicious=True,
            )
        # Overlapping members are the trick behind non-recursive zip bombs.
        spans.sort()
        overlaps = 0
        end = -1
        end_name = ""
        for start, stop, name in spans:
            if start < end:
                overlaps += 1
                self.overlapping.update((name, end_name))
            if stop > end:
                end, end_name = stop, name
        if overlaps:
            self._note("overlapping-entries", "", f"{overlaps} entries overlap other entries' data (zip bomb pattern)", True)

    # ----------------------------------------------------------------- members
    def _inflate(self, decomp, start: int, csize: int, out_limit: int, errors, what: str) -> bytes:
        def account(n: int) -> None:
            self.bytes_inflated += n

        return _inflate_stream(self.source.read_at, decomp, start, csize, out_limit, errors, what, account)

    def _local_header(self, m: ZipMember) -> tuple[tuple, int]:
        """The member's local file header fields and where its data starts (EntryError when damaged)."""
        if m.offset + _LFH.size > self.source.size:
            raise EntryError("corrupt-entry", "local header beyond the end of the archive")
        lfh = self.source.read_at(m.offset, _LFH.size)
        if len(lfh) < _LFH.size or lfh[:4] != _SIG_LFH:
            raise EntryError("corrupt-entry", "bad local file header")
        fields = _LFH.unpack(lfh)
        return fields, m.offset + _LFH.size + fields[9] + fields[10]

    def read_head(self, m: ZipMember, n: int) -> bytes:
        """The first ``n`` bytes of a member, decompressing only those (no CRC check: not all of it
        is read).  Each decompressor is fed at most a few KiB more input than the output asked."""
        if m.flags & 0x1:
            raise EntryError("encrypted", "encrypted entry cannot be read")
        if m.name in self.overlapping:  # the zip-bomb pattern: its bytes prove nothing about a package
            raise EntryError("overlapping-entry", "entry data overlaps another entry's (zip bomb pattern); not read",
                             True)
        fields, data_start = self._local_header(m)
        n = min(n, m.size)
        csize = min(m.compressed_size, max(0, self.source.size - data_start))
        if m.method == STORED:
            data = self.source.read_at(data_start, min(csize, n))
            self.bytes_inflated += len(data)
        elif m.method == DEFLATED:
            data = self._inflate(zlib.decompressobj(-15), data_start, min(csize, n + 65536), n, zlib.error, "deflate")
        elif m.method == BZIP2:
            data = self._inflate(bz2.BZ2Decompressor(), data_start, min(csize, n + (1 << 20)), n, (OSError, EOFError), "bzip2")
        elif m.method == LZMA:
            data = self._inflate(_LzmaZip(self.source.read_at(data_start, min(csize, 64)), n),
                                 data_start, min(csize, n + 65536), n, (lzma.LZMAError, ValueError, MemoryError), "lzma")
        else:
            raise EntryError("unsupported-compression", f"compression method {m.method} is not supported")
        return data[:n]

    def _check_local(self, m: ZipMember, fields: tuple) -> None:
        """A local header that disagrees with the central directory (method, sizes, CRC, name) makes
        the archive ambiguous: extractors that trust local headers write other contents."""
        if m.name in self._checked_local:
            return
        self._checked_local.add(m.name)
        _sig, _ver, lflags, lmethod, _t, _d, lcrc, lcsize, lusize, lnlen, _lxlen = fields
        why = []
        if lmethod != m.method:
            why.append(f"method {lmethod} vs {m.method}")
        if not lflags & 0x8:  # sizes and CRC are in a data descriptor otherwise
            if lcrc != m.crc:
                why.append("CRC")
            if lcsize != 0xFFFFFFFF and lcsize != m.compressed_size:
                why.append(f"compressed size {lcsize} vs {m.compressed_size}")
            if lusize != 0xFFFFFFFF and lusize != m.size:
                why.append(f"size {lusize} vs {m.size}")
        lname = self.source.read_at(m.offset + _LFH.size, lnlen)
        cd_name = self._header_names.get(m.raw_name, m.raw_name)
        local = lname.decode("utf-8") if _is_utf8(lname) else lname.decode("cp437")
        if local.replace("\\", "/").strip("/") != cd_name.replace("\\", "/").strip("/"):
            why.append("name")
        if why:
            self._note("zip-ambiguous", m.name, "local header disagrees with the central directory ("
                       + ", ".join(why) + "): other extractors may read other contents", suspicious=True)

    def read(self, m: ZipMember, max_size: int) -> bytes:
        """Decompress one member, refusing anything larger than ``max_size``."""
        if m.flags & 0x1:
            raise EntryError("encrypted", "encrypted entry cannot be read")
        if m.size > max_size:
            raise EntryError("member-too-large", f"entry declares {m.size} bytes, over the limit of {max_size}")
        lim = self.limits
        if m.size > lim.ratio_min_size and m.compressed_size and m.size / m.compressed_size > lim.max_ratio:
            raise EntryError("compression-ratio", f"compression ratio {m.size // max(1, m.compressed_size)} exceeds {lim.max_ratio}", True)
        fields, data_start = self._local_header(m)
        self._check_local(m, fields)
        if data_start + m.compressed_size > self.source.size:
            raise EntryError("truncated", "entry data runs past the end of the archive")
        out_limit = min(max_size, m.size) + 1  # one byte over tells us the declared size lied
        # A real compressor never needs much more input than it outputs (stored blocks cost 5 bytes
        # per 64 KiB); a larger declared compressed size points at data shared with other entries.
        in_limit = min(m.compressed_size, m.size + m.size // 8192 + 4096)
        if m.name in self.overlapping:
            data_end = data_start + m.compressed_size
            if any(a < data_end and data_start < b for a, b in self._read_spans):
                raise EntryError("overlapping-entry", "entry data overlaps an entry already read (zip bomb pattern); not read", True)
            self._read_spans.append((data_start, data_end))
        if m.method == STORED:
            data = self.source.read_at(data_start, min(m.compressed_size, out_limit))
            self.bytes_inflated += len(data)
        elif m.method == DEFLATED:
            data = self._inflate(zlib.decompressobj(-15), data_start, in_limit, out_limit, zlib.error, "deflate")
        elif m.method == BZIP2:
            data = self._inflate(bz2.BZ2Decompressor(), data_start, in_limit, out_limit, (OSError, EOFError), "bzip2")
        elif m.method == LZMA:
            data = self._inflate(_LzmaZip(self.source.read_at(data_start, min(m.compressed_size, 64)), out_limit),
                                 data_start, in_limit, out_limit, (lzma.LZMAError, ValueError, MemoryError), "lzma")
        else:
            raise EntryError("unsupported-compression", f"compression method {m.method} is not supported")
        if m.method != STORED and len(data) < m.size and in_limit < m.compressed_size:
            raise EntryError("compressed-size", f"compressed size {m.compressed_size} is implausible for "
                             f"{m.size} bytes of content", True)
        if len(data) > m.size:
            raise EntryError("size-mismatch", "entry decompresses to more than its declared size", True)
        if len(data) < m.size:
            raise EntryError("truncated", f"entry decompresses to {len(data)} of {m.size} declared bytes")
        if zlib.crc32(data) != m.crc:
            raise EntryError("bad-crc", "CRC-32 mismatch: the entry is corrupt or was tampered with")
        return data


def _inflate_stream(reader, decomp, start: int, csize: int, out_limit: int, errors, what: str, account) -> bytes:
    """Feed compressed bytes in growing chunks until ``out_limit`` bytes came out or input ends."""
    out = []
    produced = 0
    pos = start
    end = start + csize
    chunk = 1 << 16
    while pos < end and produced < out_limit:
        piece = reader(pos, min(chunk, end - pos))
        if not piece:
            break
        pos += len(piece)
        chunk = min(chunk * 2, 1 << 22)
        try:
            got = decomp.decompress(piece, out_limit - produced)
        except errors as exc:
            raise EntryError("corrupt-entry", f"{what} error: {exc}") from None
        produced += len(got)
        account(len(got))
        out.append(got)
        if getattr(decomp, "eof", False):
            break
    return b"".join(out)


class _LzmaZip:
    """A streaming decompressor for zip's lzma members (a 4-byte header, LZMA1 properties, data).

    The dictionary size in the properties is attacker-controlled: liblzma would allocate it in
    full, so it is clamped to the output we accept (a match can never reach further back).
    """

    def __init__(self, head: bytes, out_limit: int):
        if len(head) < 9:
            raise EntryError("corrupt-entry", "lzma header too short")
        psize = struct.unpack_from("<H", head, 2)[0]
        if psize != 5:
            raise EntryError("corrupt-entry", f"unexpected lzma properties size {psize}")
        props = head[4]
        if props >= 9 * 5 * 5:
            raise EntryError("corrupt-entry", "invalid lzma properties")
        lc, rest = props % 9, props // 9
        lp, pb = rest % 5, rest // 5
        dict_size = struct.unpack_from("<I", head, 5)[0]
        dict_size = max(4096, min(dict_size, out_limit))
        self._skip = 4 + psize
        self._d = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[
            {"id": lzma.FILTER_LZMA1, "dict_size": dict_size, "lc": lc, "lp": lp, "pb": pb}])

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._skip:
            cut = min(self._skip, len(data))
            data, self._skip = data[cut:], self._skip - cut
        return self._d.decompress(data, max_length)

    @property
    def eof(self) -> bool:
        return self._d.eof


def method_name(method: int) -> str:
    return _METHOD_NAMES.get(method, str(method))
