"""Unit tests of the archive layer: ZipReader / ZipTree / DirTree / BytesSource / FileSource / Limits."""
from __future__ import annotations

import io
import os
import random
import stat
import threading
import zipfile
import zlib

import pytest

from pkgscan.archive import BytesSource, DirTree, FileSource, Limits, ZipTree, open_tree
from pkgscan.archive.ziparchive import BZIP2, DEFLATED, LZMA, STORED, safe_path
from pkgscan.errors import ArchiveError, EntryError, InputError

from .hostile.make_corpus import MiB, S_LNK, ZEntry, build_zip, crc_zeros, deflate_zeros, meta

TEXT = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\n" + b"lorem ipsum dolor sit amet\n" * 4000
RANDOM = random.Random(7).randbytes(200_000)


def stdzip(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED, comment: bytes = b"", force_zip64: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in files.items():
            with z.open(name, "w", force_zip64=force_zip64) as fh:
                fh.write(data)
        z.comment = comment
    return buf.getvalue()


def tree_of(data: bytes, **limits) -> ZipTree:
    return ZipTree(BytesSource(data), Limits(**limits))


def codes(tree) -> set[str]:
    return {n.code for n in tree.notices}


class CountingSource(BytesSource):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read_at(self, offset: int, length: int) -> bytes:
        out = super().read_at(offset, length)
        self.bytes_read += len(out)
        return out


# ------------------------------------------------------------------------------ compression
@pytest.mark.parametrize("compression,method", [
    (zipfile.ZIP_STORED, STORED), (zipfile.ZIP_DEFLATED, DEFLATED), (zipfile.ZIP_BZIP2, BZIP2), (zipfile.ZIP_LZMA, LZMA),
], ids=["stored", "deflate", "bzip2", "lzma"])
def test_reads_every_supported_method(compression, method):
    files = {"empty": b"", "one": b"x", "text.txt": TEXT, "dir/random.bin": RANDOM}
    t = tree_of(stdzip(files, compression))
    assert sorted(t.paths) == sorted(files)
    for name, data in files.items():
        assert t.zip.members[name].method == method
        assert t.read(name) == data
        assert t.size(name) == len(data)
    assert t.bytes_decompressed == sum(map(len, files.values()))
    assert not t.notices


def test_stdlib_force_zip64_members():
    files = {"a-1.0.dist-info/METADATA": meta("a", "1.0"), "node_modules/b/package.json": b'{"name":"b","version":"1.0.0"}'}
    t = tree_of(stdzip(files, force_zip64=True))
    for name, data in files.items():
        assert t.read(name) == data


def test_crafted_zip64_extra_fields_and_end_record():
    big = 5 * (1 << 30)
    data = build_zip([
        ZEntry("small.txt", b"hello zip64", DEFLATED, zip64=True),
        ZEntry("huge.bin", method=DEFLATED, comp=deflate_zeros(big), size=big, crc=0),  # declared only, never read
    ], zip64_eocd=True, comment=b"c")
    t = tree_of(data)
    assert t.read("small.txt") == b"hello zip64"
    assert t.size("huge.bin") == big and t.zip.members["huge.bin"].size == big
    assert "size-limit" in codes(t)  # 5 GiB declared > 250 MB
    with pytest.raises(EntryError) as exc:
        t.read("huge.bin")
    assert exc.value.code in ("size-limit", "member-too-large")


def test_truncated_zip64_extra_is_a_notice():
    data = bytearray(build_zip([ZEntry("a", b"x", zip64=True), ZEntry("b", b"y")]))
    # shrink the first central record's zip64 field to 8 bytes (size only, csize/offset missing)
    cd_off = int.from_bytes(data[-6:-2], "little")
    pos = data.index(b"\x01\x00\x18\x00", cd_off)
    data[pos + 2 : pos + 4] = (8).to_bytes(2, "little")
    t = tree_of(bytes(data))
    assert "corrupt-entry" in codes(t) and t.paths == ["b"]


@pytest.mark.parametrize("comment", [b"", b"hello", b"PK\x05\x06 not a record", b"x" * 65535], ids=["none", "short", "sig-like", "max"])
def test_archive_comments(comment):
    t = tree_of(stdzip({"a.txt": b"A", "b.txt": b"B"}, comment=comment))
    assert sorted(t.paths) == ["a.txt", "b.txt"] and t.read("b.txt") == b"B"


def test_prepended_data_shifts_offsets():
    data = b"MZ" + b"\x00" * 5000 + stdzip({"a.txt": b"A" * 100})
    t = tree_of(data)
    assert t.read("a.txt") == b"A" * 100
    (n,) = [n for n in t.notices if n.code == "prepended-data"]
    assert n.suspicious and "5002" in n.message


# --------------------------------------------------------------------------------- safe_path
@pytest.mark.parametrize("raw,expected", [
    ("a/b/c.txt", "a/b/c.txt"),
    ("./a//b/./c", "a/b/c"),
    ("a\\b\\c", "a/b/c"),
    ("dir/", "dir"),
    ("", ""),
    ("...", "..."),
    ("..foo/bar..", "..foo/bar.."),
    ("a/..b", "a/..b"),
])
def test_safe_path_accepts(raw, expected):
    assert safe_path(raw) == (expected, None)


@pytest.mark.parametrize("raw,reason", [
    ("../x", "traversal"),
    ("a/../../b", "traversal"),
    ("a/b/..", "traversal"),
    ("..\\..\\x", "traversal"),
    ("/etc/passwd", "absolute"),
    ("\\\\server\\share\\x", "absolute"),
    ("C:\\win\\x", "drive"),
    ("c:relative", "drive"),
    ("a\x00b", "NUL"),
])
def test_safe_path_rejects(raw, reason):
    path, why = safe_path(raw)
    assert path is None and reason in why


def test_unsafe_entries_are_skipped_with_suspicious_notices():
    t = tree_of(build_zip([ZEntry("../evil", b"x"), ZEntry("/abs", b"x"), ZEntry("ok/file", b"x")]))
    assert t.paths == ["ok/file"]
    assert {(n.code, n.path, n.suspicious) for n in t.notices} == {("unsafe-path", "../evil", True), ("unsafe-path", "/abs", True)}


# ------------------------------------------------------------------------------------ limits
def test_total_uncompressed_budget():
    files = {f"f{i}": random.Random(i).randbytes(MiB) for i in range(5)}
    t = tree_of(stdzip(files), max_total_uncompressed=3 * MiB)
    assert "size-limit" in codes(t)  # declared 5 MiB > 3 MiB, noticed up front
    for i in range(3):
        assert t.read(f"f{i}") == files[f"f{i}"]
    assert t.bytes_decompressed == 3 * MiB
    with pytest.raises(EntryError) as exc:
        t.read("f3")
    assert exc.value.code == "size-limit" and exc.value.suspicious
    assert t.read_or_note("f4") is None
    assert t.notices[-1].code == "size-limit" and t.notices[-1].path == "f4"


def test_budget_is_charged_for_failed_reads():
    n = MiB
    comp = deflate_zeros(n)
    # separate copies of the data: entries that share data are refused outright (test_overlapping_*)
    ents = [ZEntry(f"m{i}", method=DEFLATED, comp=comp, size=n, crc=crc_zeros(n) ^ 1) for i in range(10)]
    t = tree_of(build_zip(ents), max_total_uncompressed=3 * MiB)
    got = []
    for i in range(10):
        with pytest.raises(EntryError) as exc:
            t.read(f"m{i}")
        got.append(exc.value.code)
    assert got[:3] == ["bad-crc"] * 3
    assert "size-limit" in got, got  # after ~3 MiB inflated the budget must refuse further reads


def test_compressed_read_is_bounded_by_the_output():
    m = meta("pad", "1.0")
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    comp = c.compress(m) + c.flush() + b"\x00" * (8 * MiB)
    src = CountingSource(build_zip([ZEntry("pad-1.0.dist-info/METADATA", m, DEFLATED, comp=comp)]))
    t = ZipTree(src, Limits())
    before = src.bytes_read
    assert t.read("pad-1.0.dist-info/METADATA") == m
    assert src.bytes_read - before < MiB, src.bytes_read - before


def test_member_size_limit():
    t = tree_of(stdzip({"big": b"b" * 2000, "edge": b"e" * 1000}), max_member_size=1000)
    assert t.read("edge") == b"e" * 1000
    with pytest.raises(EntryError) as exc:
        t.read("big")
    assert exc.value.code == "member-too-large"
    with pytest.raises(EntryError) as exc:  # a caller's own, smaller cap
        t.read("edge", max_size=999)
    assert exc.value.code == "member-too-large"


def test_compression_ratio_limit():
    zeros2 = bytes(2 * MiB)
    t = tree_of(stdzip({"bomb": zeros2, "small": bytes(MiB)}))
    with pytest.raises(EntryError) as exc:
        t.read("bomb")
    assert exc.value.code == "compression-ratio" and exc.value.suspicious
    assert t.read("small") == bytes(MiB)  # at ratio_min_size: small files compress well legitimately
    assert tree_of(stdzip({"bomb": zeros2}), max_ratio=10**6).read("bomb") == zeros2
    assert tree_of(stdzip({"bomb": zeros2}), ratio_min_size=4 * MiB).read("bomb") == zeros2


def test_lying_sizes():
    comp = deflate_zeros(MiB)
    t = tree_of(build_zip([
        ZEntry("under", method=DEFLATED, comp=comp, size=10, crc=0),
        ZEntry("over", b"abc", DEFLATED, size=1000),
        ZEntry("crc", b"abc", crc=123),
    ]))
    for name, code, suspicious in (("under", "size-mismatch", True), ("over", "truncated", False), ("crc", "bad-crc", False)):
        with pytest.raises(EntryError) as exc:
            t.read(name)
        assert (exc.value.code, exc.value.suspicious) == (code, suspicious), name


@pytest.mark.parametrize("method,comp", [
    (DEFLATED, b"\xff\xff\xff"), (BZIP2, b"BZh9garbage"), (LZMA, b"\x09\x04\x05\x00]\x00\x00\x10\x00garbage"), (LZMA, b"\x09"),
], ids=["deflate", "bzip2", "lzma", "lzma-short"])
def test_corrupt_streams_are_entry_errors(method, comp):
    t = tree_of(build_zip([ZEntry("x", b"payload", method, comp=comp)]))
    with pytest.raises(EntryError) as exc:
        t.read("x")
    assert exc.value.code in ("corrupt-entry", "truncated")


def test_encrypted_and_unknown_methods():
    t = tree_of(build_zip([ZEntry("enc", comp=b"\x00" * 20, size=8, flags=1), ZEntry("m99", b"data", method=99)]))
    for name, code in (("enc", "encrypted"), ("m99", "unsupported-compression")):
        with pytest.raises(EntryError) as exc:
            t.read(name)
        assert exc.value.code == code


def test_depth_limit_zip():
    t = tree_of(build_zip([ZEntry("a/b/c/d", b"ok"), ZEntry("a/b/c/d/e", b"deep")]), max_depth=4)
    assert t.paths == ["a/b/c/d"]
    (n,) = [n for n in t.notices if n.code == "too-deep"]
    assert n.path == "a/b/c/d/e" and n.suspicious


def test_depth_limit_directory(tmp_path):
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    (tmp_path / "a" / "f").write_text("x")
    (tmp_path / "a" / "b" / "c" / "g").write_text("y")
    t = DirTree(tmp_path, Limits(max_depth=2))
    assert t.paths == ["a/f"]
    assert "too-deep" in codes(t)


def test_entry_count_limits():
    ents = [ZEntry(f"f{i}", b"") for i in range(5)]
    with pytest.raises(ArchiveError, match="declares 5 entries"):
        tree_of(build_zip(ents), max_entries=3)
    # an end record that under-declares does not get around the limit
    with pytest.raises(ArchiveError, match="more than 3 entries"):
        tree_of(build_zip(ents, declared_entries=1), max_entries=3)


def test_archive_size_limit():
    with pytest.raises(ArchiveError, match="larger than the limit"):
        tree_of(stdzip({"a": b"A" * 1000}), max_archive_size=100)


def test_limits_overrides():
    lim = Limits().with_overrides(max_entries=7, max_total_uncompressed=None)
    assert lim.max_entries == 7 and lim.max_total_uncompressed == Limits().max_total_uncompressed


# ----------------------------------------------------------------------- entries and trees
def test_symlinks_directories_and_duplicates():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        link = zipfile.ZipInfo("link")
        link.create_system, link.external_attr = 3, S_LNK << 16
        z.writestr(link, "/etc/passwd")
        dos = zipfile.ZipInfo("dos-mode")  # the same attribute bits, but not made on unix: a regular file
        dos.create_system, dos.external_attr = 0, S_LNK << 16
        z.writestr(dos, "content")
        z.writestr("dir/", b"")
        z.writestr("dir/f", b"1")
        with pytest.warns(UserWarning):
            z.writestr("dir/f", b"2")
    t = tree_of(buf.getvalue())
    assert sorted(t.paths) == ["dir/f", "dos-mode"]
    assert t.read("dir/f") == b"2" and t.read("dos-mode") == b"content"
    sym = [n for n in t.notices if n.code == "symlink"]
    assert len(sym) == 1 and sym[0].path == "link" and sym[0].suspicious and "/etc/passwd" in sym[0].message
    assert "duplicate-entry" in codes(t)


def test_missing_path_and_read_or_note():
    t = tree_of(stdzip({"a": b"A"}))
    with pytest.raises(EntryError) as exc:
        t.read("nope")
    assert exc.value.code == "missing"
    assert "a" in t and "nope" not in t and t.entry_count() == 1


def test_bytes_source():
    s = BytesSource(b"0123456789")
    assert s.size == 10
    assert s.read_at(2, 3) == b"234" and s.read_at(8, 100) == b"89" and s.read_at(50, 5) == b""
    for off, ln in ((-1, 1), (0, -1)):
        with pytest.raises(ValueError):
            s.read_at(off, ln)
    s.close()


def test_file_source(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(RANDOM)
    with FileSource(p) as s:
        assert s.size == len(RANDOM)
        assert s.read_at(100, 50) == RANDOM[100:150]
        assert s.read_at(len(RANDOM) - 5, 100) == RANDOM[-5:]
        assert s.read_at(len(RANDOM) + 10, 5) == b""
        assert s.bytes_read == 55
        with pytest.raises(ValueError):
            s.read_at(-1, 1)
    s.close()  # idempotent


def test_open_tree(tmp_path):
    z = tmp_path / "p.zip"
    z.write_bytes(stdzip({"a": b"A"}))
    with open_tree(z) as t:
        assert isinstance(t, ZipTree) and t.read("a") == b"A"
    with open_tree(tmp_path) as t:
        assert isinstance(t, DirTree) and "p.zip" in t.paths
    with pytest.raises(InputError, match="no such file"):
        open_tree(tmp_path / "missing")
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip" * 10)
    with pytest.raises(ArchiveError) as exc:
        open_tree(bad)
    assert str(bad) in str(exc.value)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        open_tree(fifo)


# ------------------------------------------------------------------------------- DirTree
def test_dirtree_lists_files_and_never_follows_links(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "package.json").write_text('{"name":"p","version":"1.0.0"}')
    os.symlink("/etc/passwd", tmp_path / "pkg" / "passwd")
    os.symlink(".", tmp_path / "loop")
    os.symlink("pkg", tmp_path / "inside")
    os.mkfifo(tmp_path / "fifo")
    t = DirTree(tmp_path)
    assert t.paths == ["pkg/package.json"]
    links = {n.path: n.suspicious for n in t.notices if n.code == "symlink"}
    assert links == {"pkg/passwd": True}  # a link out of the package: its own suspicious notice
    [inside] = [n for n in t.notices if n.code == "symlinks-inside"]  # links within it: one summary
    assert not inside.suspicious and inside.message.startswith("2 symbolic links within the package")
    assert "inside -> pkg" in inside.message and "loop -> ." in inside.message
    assert [n.path for n in t.notices if n.code == "special-file"] == ["fifo"]
    assert t.read("pkg/package.json").startswith(b"{")


def test_dirtree_file_replaced_by_symlink_after_listing(tmp_path):
    (tmp_path / "f").write_text("x")
    t = DirTree(tmp_path)
    os.remove(tmp_path / "f")
    os.symlink("/etc/passwd", tmp_path / "f")
    with pytest.raises(EntryError) as exc:
        t.read("f")
    assert exc.value.code == "unreadable"


def test_dirtree_directory_swapped_for_symlink(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "node_modules" / "a").mkdir(parents=True)
    (root / "node_modules" / "a" / "package.json").write_text('{"name":"a","version":"1.0.0"}')
    outside.mkdir()
    (outside / "package.json").write_text('{"name":"outside","version":"6.6.6"}')
    t = DirTree(root)
    os.rename(root / "node_modules" / "a", tmp_path / "moved")
    os.symlink(outside, root / "node_modules" / "a")
    try:
        data = t.read("node_modules/a/package.json")
    except EntryError:
        return
    assert b"outside" not in data


def test_dirtree_file_replaced_by_fifo_does_not_block(tmp_path):
    (tmp_path / "package.json").write_text("{}")
    t = DirTree(tmp_path)
    fifo = tmp_path / "package.json"
    os.remove(fifo)
    os.mkfifo(fifo)
    box = {}

    def read():
        try:
            box["data"] = t.read("package.json")
        except EntryError as exc:
            box["code"] = exc.code

    th = threading.Thread(target=read, daemon=True)
    th.start()
    th.join(2)
    blocked = th.is_alive()
    if blocked:  # release the reader: open the write end, then close it (EOF)
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        th.join(5)
    assert not blocked, "DirTree.read blocked on a FIFO"
    assert box.get("code") == "special-file"


def test_dirtree_limits(tmp_path):
    for i in range(5):
        (tmp_path / f"f{i}").write_bytes(b"x" * 10)
    with pytest.raises(ArchiveError, match="more than 3 entries"):
        DirTree(tmp_path, Limits(max_entries=3))
    t = DirTree(tmp_path, Limits(max_total_uncompressed=25))
    assert "size-limit" in codes(t)
    t.read("f0"), t.read("f1")
    with pytest.raises(EntryError) as exc:
        t.read("f2")
    assert exc.value.code == "size-limit"
    t = DirTree(tmp_path, Limits(max_member_size=5))
    with pytest.raises(EntryError) as exc:
        t.read("f0")
    assert exc.value.code == "member-too-large"


def test_dirtree_is_sorted_and_relative(tmp_path):
    for p in ("b/z", "a/y", "c"):
        (tmp_path / p).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / p).write_text(p)
    t = DirTree(tmp_path)
    assert t.paths == ["a/y", "b/z", "c"] and t.read("b/z") == b"b/z"
    assert stat.S_ISDIR(os.stat(t.root).st_mode)
