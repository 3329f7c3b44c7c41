"""The rpm database of a base image: which OS packages are installed.

Amazon Linux 2023 (rpm 4.16+) keeps it in SQLite (``/var/lib/rpm/rpmdb.sqlite``, table ``Packages``
of ``(hnum, blob)``), each blob an rpm header as ``headerExport`` writes it: two big-endian 32-bit
counts (index entries, data bytes), the index entries (tag, type, offset, count; 16 bytes each), then
the data.  The database is opened from bytes in memory (``sqlite3`` deserialize), read-only, with a
step budget; the headers are parsed with bounds on every offset.

Amazon Linux 2 (rpm 4.11) keeps ``/var/lib/rpm/Packages``, a Berkeley DB hash database: key = the
header instance (4 bytes), value = the header blob.  It is read without Berkeley DB (read-only, from
memory): the metadata page gives the byte order and page size; every hash page's values are taken,
inline ones directly and off-page ones by following their overflow-page chain (bounded, loops
refused).  This is the layout Berkeley DB 4.x/5.x writes (what syft and go-rpmdb read too).
"""
from __future__ import annotations

import sqlite3
import struct
from dataclasses import dataclass

TAG_NAME, TAG_VERSION, TAG_RELEASE, TAG_EPOCH = 1000, 1001, 1002, 1003
TAG_VENDOR, TAG_LICENSE, TAG_ARCH, TAG_SOURCERPM = 1011, 1014, 1022, 1044
_WANTED = {TAG_NAME, TAG_VERSION, TAG_RELEASE, TAG_EPOCH, TAG_VENDOR, TAG_LICENSE, TAG_ARCH, TAG_SOURCERPM}
T_INT32, T_STRING, T_STRING_ARRAY, T_I18NSTRING = 4, 6, 8, 9
MAX_HEADER = 64 * 1024 * 1024  # rpm's own limit on a header
MAX_INDEX = 0xFFFF
MAX_ROWS = 100_000
MAX_STEPS = 50_000_000  # sqlite VM steps (progress handler granularity 1000)


class RpmDbError(Exception):
    pass


@dataclass(frozen=True)
class RpmPackage:
    name: str
    version: str
    release: str
    epoch: int | None
    arch: str
    license: str = ""
    vendor: str = ""
    source_rpm: str = ""

    @property
    def evr(self) -> str:
        vr = f"{self.version}-{self.release}" if self.release else self.version
        return f"{self.epoch}:{vr}" if self.epoch else vr


def parse_header(blob: bytes) -> dict[int, object]:
    """The tags pkgscan needs from one header blob; raises RpmDbError for a malformed one."""
    if len(blob) < 8:
        raise RpmDbError("header shorter than its counts")
    il, dl = struct.unpack_from(">II", blob, 0)
    if il > MAX_INDEX or dl > MAX_HEADER:
        raise RpmDbError(f"header counts out of range ({il} entries, {dl} bytes)")
    data_start = 8 + 16 * il
    if data_start + dl > len(blob):
        raise RpmDbError("header data runs past the end of the blob")
    data = blob[data_start:data_start + dl]
    out: dict[int, object] = {}
    for i in range(il):
        tag, typ, off, cnt = struct.unpack_from(">iIiI", blob, 8 + 16 * i)
        if tag not in _WANTED:
            continue
        if off < 0 or off >= dl:
            raise RpmDbError(f"tag {tag}: offset out of range")
        if typ in (T_STRING, T_I18NSTRING, T_STRING_ARRAY):
            end = data.find(b"\x00", off)
            if end < 0:
                raise RpmDbError(f"tag {tag}: unterminated string")
            out[tag] = data[off:end].decode("utf-8", "replace")
        elif typ == T_INT32:
            if cnt < 1 or off + 4 > dl:
                raise RpmDbError(f"tag {tag}: integer out of range")
            out[tag] = struct.unpack_from(">i", data, off)[0]
    return out


def package_from_header(blob: bytes) -> RpmPackage | None:
    """None for entries that are not packages (``gpg-pubkey``: imported signing keys)."""
    h = parse_header(blob)
    name = h.get(TAG_NAME)
    if not isinstance(name, str) or not name:
        raise RpmDbError("header without a name")
    if name == "gpg-pubkey":
        return None
    epoch = h.get(TAG_EPOCH)
    return RpmPackage(name=name, version=str(h.get(TAG_VERSION, "") or ""), release=str(h.get(TAG_RELEASE, "") or ""),
                      epoch=epoch if isinstance(epoch, int) and epoch >= 0 else None,
                      arch=str(h.get(TAG_ARCH, "") or ""), license=str(h.get(TAG_LICENSE, "") or ""),
                      vendor=str(h.get(TAG_VENDOR, "") or ""), source_rpm=str(h.get(TAG_SOURCERPM, "") or ""))


def read_sqlite(data: bytes) -> tuple[list[RpmPackage], list[str]]:
    """Packages of an rpmdb.sqlite held in memory, and per-entry problems.  Raises RpmDbError when
    the database cannot be read at all."""
    if not data.startswith(b"SQLite format 3\x00"):
        raise RpmDbError("not an SQLite database")
    buf = bytearray(data)
    if len(buf) > 19 and buf[18] == 2 and buf[19] == 2:
        buf[18] = buf[19] = 1  # WAL mode: read the main file as a rollback-journal database
    con = sqlite3.connect(":memory:", check_same_thread=False)
    try:
        try:
            con.deserialize(bytes(buf))
        except (sqlite3.Error, AttributeError, OverflowError) as exc:
            raise RpmDbError(f"not a readable SQLite database: {exc}") from None
        steps = {"n": 0}

        def budget() -> int:
            steps["n"] += 1
            return 1 if steps["n"] * 1000 > MAX_STEPS else 0

        con.set_progress_handler(budget, 1000)
        try:
            con.execute("PRAGMA query_only = 1")
            con.execute("PRAGMA trusted_schema = 0")
            kind = con.execute("SELECT type FROM sqlite_master WHERE name = 'Packages'").fetchone()
            if not kind or kind[0] != "table":
                raise RpmDbError("no Packages table")
            rows = con.execute("SELECT hnum, blob FROM Packages ORDER BY hnum LIMIT ?", (MAX_ROWS + 1,)).fetchall()
        except sqlite3.Error as exc:
            raise RpmDbError(f"SQLite error: {exc}") from None
    finally:
        con.close()
    pkgs: list[RpmPackage] = []
    problems: list[str] = []
    if len(rows) > MAX_ROWS:
        problems.append(f"more than {MAX_ROWS} packages; the rest not read")
        rows = rows[:MAX_ROWS]
    for hnum, blob in rows:
        if not isinstance(blob, (bytes, bytearray)):
            problems.append(f"entry {hnum}: not a header blob")
            continue
        try:
            p = package_from_header(bytes(blob))
        except (RpmDbError, struct.error) as exc:
            problems.append(f"entry {hnum}: {exc}")
            continue
        if p is not None:
            pkgs.append(p)
    return pkgs, problems


# ---------------------------------------------------------------------- Berkeley DB (Amazon Linux 2)

_BDB_HASH_MAGIC = 0x061561
_P_HASH_UNSORTED, _P_OVERFLOW, _P_HASH = 2, 7, 13
_H_KEYDATA, _H_OFFPAGE = 1, 3
_PAGE_HEADER = 26


def read_bdb(data: bytes) -> tuple[list[RpmPackage], list[str]]:
    """Packages of a Berkeley DB ``Packages`` file held in memory; raises RpmDbError when it is not one."""
    if len(data) < 512:
        raise RpmDbError("too short for a Berkeley DB file")
    for order in ("<", ">"):
        if struct.unpack_from(order + "I", data, 12)[0] == _BDB_HASH_MAGIC:
            break
    else:
        raise RpmDbError("not a Berkeley DB hash database")
    u16, u32 = struct.Struct(order + "H"), struct.Struct(order + "I")
    pagesize = u32.unpack_from(data, 20)[0]
    if pagesize < 512 or pagesize > 65536 or pagesize & (pagesize - 1):
        raise RpmDbError(f"bad page size {pagesize}")
    npages = len(data) // pagesize
    pkgs: list[RpmPackage] = []
    problems: list[str] = []
    blobs = 0

    def page(n: int) -> bytes:
        return data[n * pagesize:(n + 1) * pagesize]

    def overflow(pgno: int, length: int) -> bytes:
        out, seen = [], set()
        got = 0
        while got < length:
            if pgno == 0 or pgno >= npages or pgno in seen:
                raise RpmDbError("broken overflow page chain")
            seen.add(pgno)
            pg = page(pgno)
            if pg[25] != _P_OVERFLOW:
                raise RpmDbError(f"page {pgno} is not an overflow page")
            used = u16.unpack_from(pg, 22)[0]  # hf_offset: bytes of data on an overflow page
            if used > pagesize - _PAGE_HEADER:
                raise RpmDbError(f"overflow page {pgno}: bad length")
            out.append(pg[_PAGE_HEADER:_PAGE_HEADER + used])
            got += used
            pgno = u32.unpack_from(pg, 16)[0]  # next_pgno
        blob = b"".join(out)
        if len(blob) != length:
            raise RpmDbError("overflow chain length differs from the item's")
        return blob

    for n in range(1, npages):
        pg = page(n)
        if pg[25] not in (_P_HASH, _P_HASH_UNSORTED):
            continue
        entries = u16.unpack_from(pg, 20)[0]
        if _PAGE_HEADER + 2 * entries > pagesize:
            problems.append(f"page {n}: bad entry count")
            continue
        offsets = [u16.unpack_from(pg, _PAGE_HEADER + 2 * i)[0] for i in range(entries)]
        for i in range(1, entries, 2):  # key, value, key, value...: the values
            off = offsets[i]
            end = offsets[i - 1] if i else pagesize  # items are stored downwards from the page end
            if off >= pagesize or end > pagesize or end <= off:
                problems.append(f"page {n} item {i}: bad offset")
                continue
            kind = pg[off]
            try:
                if kind == _H_OFFPAGE:
                    if off + 12 > pagesize:
                        raise RpmDbError("truncated off-page item")
                    pgno, length = u32.unpack_from(pg, off + 4)[0], u32.unpack_from(pg, off + 8)[0]
                    if length > MAX_HEADER:
                        raise RpmDbError(f"item of {length} bytes")
                    blob = overflow(pgno, length)
                elif kind == _H_KEYDATA:
                    blob = pg[off + 1:end]
                    if len(blob) <= 24:  # the instance counter (key 0), not a header
                        continue
                else:
                    continue
                blobs += 1
                if blobs > MAX_ROWS:
                    problems.append(f"more than {MAX_ROWS} packages; the rest not read")
                    return pkgs, problems
                p = package_from_header(blob)
            except (RpmDbError, struct.error) as exc:
                problems.append(f"page {n} item {i}: {exc}")
                continue
            if p is not None:
                pkgs.append(p)
    pkgs.sort(key=lambda p: (p.name, p.evr, p.arch))
    return pkgs, problems
