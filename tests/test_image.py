"""Container images read in place: the bounded tar reader, layers merged with OCI whiteouts, the rpm
database, and local images (OCI layout directories and ``docker save`` tarballs) through
``scan_path`` / ``pkgscan sbom`` / ``pkgscan scan``.

Images are built in Python (tests/aws_emulator/oci_images.py) from the real packages of
sample_packages/*.zip and the real rpm database in tests/fixtures/image (see its README).
"""
from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from pkgscan.archive.tar import TarLimits, index_tar, list_members
from pkgscan.image.oci import ImageError, parse, select
from pkgscan.image.rpmdb import RpmDbError, parse_header, read_sqlite
from pkgscan.image.tree import ImageTree, keep_predicate, merge
from pkgscan.scan import scan_path
from pkgscan.versions import rpm as rpmver

from .aws_emulator import oci_images as oi

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_packages"
RPMDB = ROOT / "tests" / "fixtures" / "image" / "rpmdb.sqlite"

#: a later layer uninstalls PyYAML the way pip does: its metadata and both its import packages
UNINSTALL_PYYAML = ("var/task/PyYAML-5.4.dist-info", "var/task/yaml", "var/task/_yaml")


def idx(tar: bytes, keep=lambda p: True, limits=TarLimits(), compress=True):
    return index_tar(io.BytesIO(oi.gz(tar) if compress else tar), keep, limits, hash_input=True)


# ----------------------------------------------------------------------------- tar reader

def test_tar_index_keeps_only_wanted_members_and_records_the_rest():
    tar = oi.tar_bytes({"var/task/a/METADATA": b"Name: a\n", "var/task/big.bin": b"x" * 100_000,
                        "usr/lib/x": b"y"}, symlinks={"var/task/l": "../../etc/passwd"})
    got = idx(tar, keep=lambda p: p.endswith("METADATA"))
    assert got.kept == {"var/task/a/METADATA": b"Name: a\n"}
    assert got.entries["var/task/big.bin"].size == 100_000
    assert got.entries["var/task/l"].kind == "l" and got.entries["var/task/l"].link == "../../etc/passwd"
    assert got.entries["var/task"].kind == "d"
    assert not got.unreadable and not got.truncated
    assert got.uncompressed_size == len(tar) and got.compression == "gzip"


def test_tar_long_names_pax_and_hardlinks():
    long = "var/task/" + "d" * 150 + "/METADATA"
    tar = oi.tar_bytes({long: b"Name: long\n", "var/task/ü/METADATA": b"Name: u\n"},
                       hardlinks={"var/task/h/METADATA": long})
    got = idx(tar)
    assert got.kept[long] == b"Name: long\n"
    assert got.kept["var/task/ü/METADATA"] == b"Name: u\n"
    assert got.kept["var/task/h/METADATA"] == b"Name: long\n"  # a hard link to an earlier member


def test_tar_plain_uncompressed_and_sha256_of_input():
    import hashlib

    tar = oi.tar_bytes({"opt/x/package.json": b"{}"})
    got = idx(tar, compress=False)
    assert got.compression == "none" and got.kept == {"opt/x/package.json": b"{}"}
    assert got.sha256 == hashlib.sha256(tar).hexdigest()


def _raw_tar(name: str, data: bytes = b"", typ=tarfile.REGTYPE, link: str = "") -> bytes:
    """One member (header and padded data), no end-of-archive marker."""
    ti = tarfile.TarInfo(name)
    ti.size, ti.type, ti.linkname = len(data), typ, link
    pad = (512 - len(data) % 512) % 512
    return ti.tobuf(format=tarfile.GNU_FORMAT) + data + b"\0" * pad


END = b"\0" * 1024


def test_tar_path_traversal_is_skipped_and_noted():
    got = idx(_raw_tar("../../etc/cron.d/x", b"evil") + _raw_tar("var/task/ok", b"ok") + END)
    assert got.kept == {"var/task/ok": b"ok"}
    assert "etc/cron.d/x" not in got.entries and "../../etc/cron.d/x" not in got.entries
    assert any(n.code == "unsafe-path" and n.suspicious for n in got.notices)


def test_tar_absolute_and_dot_slash_names_are_image_root_relative():
    got = idx(_raw_tar("./var/task/a", b"1") + _raw_tar("/opt/b", b"2") + END)
    assert set(got.kept) == {"var/task/a", "opt/b"}


def test_tar_hardlink_outside_layer_is_not_followed():
    got = idx(_raw_tar("var/task/x", typ=tarfile.LNKTYPE, link="../../../etc/shadow") + END)
    assert "var/task/x" not in got.kept
    assert any(n.suspicious for n in got.notices)


def test_tar_corrupt_header_stops_the_layer_with_a_reason():
    tar = bytearray(oi.tar_bytes({"var/task/a": b"1"}))
    tar[0] ^= 0xFF  # the first header's checksum no longer matches
    got = idx(bytes(tar))
    assert got.unreadable and "checksum" in got.unreadable


def test_tar_truncated_stream_keeps_what_was_read():
    tar = oi.tar_bytes({"var/task/a/METADATA": b"a", "var/task/z/METADATA": b"z" * 5000})
    got = idx(tar[: len(tar) - 3000], compress=False)
    assert got.kept.get("var/task/a/METADATA") == b"a"
    assert got.unreadable or got.truncated


def test_tar_bomb_ratio_and_size_limits():
    tar = oi.tar_bytes({"var/task/zeros": b"\0" * (4 << 20)})
    got = idx(tar, limits=TarLimits(max_ratio=10, ratio_min_size=1 << 20))
    assert got.unreadable and "ratio" in got.unreadable
    assert any(n.suspicious for n in got.notices)
    got = idx(tar, limits=TarLimits(max_uncompressed=1 << 20))
    assert got.unreadable and "more than" in got.unreadable


@pytest.fixture(params=["zlib", "zlib-ng"])
def inflater(request, monkeypatch):
    """Both gzip inflaters: the standard zlib, and zlib-ng (the optional ``pkgscan[fast]``)."""
    import zlib

    from pkgscan.archive import tar as tarmod
    if request.param == "zlib":
        monkeypatch.setattr(tarmod, "_DECOMPRESSOBJ", zlib.decompressobj)
    else:
        zng = pytest.importorskip("zlib_ng.zlib_ng", reason="the optional zlib-ng (pkgscan[fast]) is not installed")
        monkeypatch.setattr(tarmod, "_DECOMPRESSOBJ", zng.decompressobj)
    return request.param


def test_tar_gzip_same_index_and_same_refusals_with_either_inflater(inflater):
    files = {f"var/task/p{i}/METADATA": f"Name: p{i}\n".encode() * (i + 1) for i in range(200)}
    tar = oi.tar_bytes(files)
    multi = oi.gz(tar[:10240]) + oi.gz(tar[10240:])  # a multi-member gzip file
    for blob in (oi.gz(tar), multi):
        got = index_tar(io.BytesIO(blob), lambda p: True, hash_input=True)
        assert got.kept == files and not got.unreadable and got.uncompressed_size == len(tar)
    damaged = bytearray(oi.gz(tar))
    damaged[40:60] = b"\xff" * 20
    got = index_tar(io.BytesIO(bytes(damaged)), lambda p: True)
    assert got.unreadable and ("gzip error" in got.unreadable or "checksum" in got.unreadable)
    bomb = idx(oi.tar_bytes({"var/task/zeros": b"\0" * (4 << 20)}), limits=TarLimits(max_ratio=10, ratio_min_size=1 << 20))
    assert "ratio" in bomb.unreadable


def test_header_checksum_sum_is_exact():
    from pkgscan.archive.tar import _byte_sum
    blocks = [bytes(512), b"\xff" * 512, bytes(range(256)) * 2] + [
        bytes((i * 7919 + k * 104729) % 256 for i in range(512)) for k in range(200)]
    assert all(_byte_sum(b) == sum(b) for b in blocks)


def test_tar_entry_limit_and_kept_budget():
    files = {f"var/task/p{i}/METADATA": b"m" * 100 for i in range(50)}
    got = idx(oi.tar_bytes(files), limits=TarLimits(max_entries=20))
    assert got.unreadable and "entries" in got.unreadable
    got = idx(oi.tar_bytes(files), limits=TarLimits(max_kept=1000))
    budget = [n for n in got.notices if n.code == "size-limit"]
    assert len(got.kept) == 10 and len(budget) == 1 and "40 wanted files not read" in budget[0].message
    assert len([p for p, e in got.entries.items() if e.kind == "f"]) == 50  # listed even when not kept


def test_zstd_layers_are_read():
    zstandard = pytest.importorskip("zstandard", reason="the optional zstd decoder (pkgscan[zstd]) is not installed")
    files = {"var/task/six-1.16.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n",
             "var/task/app.py": b"x = 1\n"}
    blob = zstandard.ZstdCompressor(level=3).compress(oi.tar_bytes(files))
    got = index_tar(io.BytesIO(blob), lambda p: p.endswith("METADATA"))
    assert got.compression == "zstd" and not got.unreadable
    assert got.kept["var/task/six-1.16.0.dist-info/METADATA"].startswith(b"Metadata-Version")


def test_damaged_zstd_layer_is_reported_unreadable():
    zstandard = pytest.importorskip("zstandard", reason="the optional zstd decoder (pkgscan[zstd]) is not installed")
    blob = bytearray(zstandard.ZstdCompressor(level=3).compress(oi.tar_bytes({"a.txt": b"x" * 5000, "b": b"y"})))
    blob[len(blob) // 2:] = b"\xff" * (len(blob) - len(blob) // 2)  # a frame whose blocks are garbage
    got = index_tar(io.BytesIO(bytes(blob)), lambda p: True)
    assert got.compression == "zstd" and "zstd error" in got.unreadable
    empty = index_tar(io.BytesIO(b"\x28\xb5\x2f\xfd" + b"\0" * 100), lambda p: True)  # a frame with no tar
    assert empty.truncated and not empty.entries


def test_garbage_and_empty_streams():
    assert idx(b"").truncated
    got = index_tar(io.BytesIO(b"\x1f\x8b" + b"garbage" * 20), lambda p: True)
    assert "gzip" in got.unreadable


def test_list_members_of_a_plain_tar():
    tar = oi.tar_bytes({"manifest.json": b"[]", "abc/layer.tar": b"L" * 700})
    members = list_members(lambda off, n: tar[off:off + n], len(tar))
    m = members["abc/layer.tar"]
    assert tar[m.offset:m.offset + m.size] == b"L" * 700


# ----------------------------------------------------------------------------- layers and whiteouts

def test_merge_applies_whiteouts_opaque_dirs_and_overrides():
    base = idx(oi.tar_bytes({"var/task/a/METADATA": b"a1", "var/task/b/METADATA": b"b", "opt/c/x": b"c",
                             "opt/c/sub/y": b"y", "var/task/d/f": b"d"}))
    top = idx(oi.tar_bytes({"var/task/a/METADATA": b"a2", "opt/c/new": b"n", "var/task/d": b"now a file"},
                           whiteouts=("var/task/b",), opaque=("opt/c",)))
    state, content = merge([base, top])
    assert content["var/task/a/METADATA"] == b"a2"
    assert "var/task/b/METADATA" not in state and "var/task/b" not in state
    assert "opt/c/x" not in state and "opt/c/sub/y" not in state and "opt/c/new" in state
    assert state["var/task/d"].kind == "f" and "var/task/d/f" not in state


def test_whiteout_in_same_layer_does_not_delete_that_layers_own_files():
    lay = idx(oi.tar_bytes({"opt/c/keep": b"k"}, opaque=("opt/c",)))
    state, _ = merge([idx(oi.tar_bytes({"opt/c/old": b"o"})), lay])
    assert "opt/c/keep" in state and "opt/c/old" not in state


# ----------------------------------------------------------------------------- rpm

def test_rpm_versions_follow_rpmvercmp():
    assert rpmver.rpmvercmp("1.0~rc1", "1.0") == -1
    assert rpmver.rpmvercmp("1.0^git1", "1.0") == 1
    assert rpmver.rpmvercmp("1.0^git1", "1.0.1") == -1
    assert rpmver.rpmvercmp("2.0.1a", "2.0.1") == 1
    assert rpmver.rpmvercmp("10.0001", "10.1") == 0
    assert rpmver.sort_key("1:1.0-1") > rpmver.sort_key("9.9-9")
    assert rpmver.sort_key("0:3.0.8-1.amzn2023") == rpmver.sort_key("3.0.8-1.amzn2023")
    assert rpmver.sort_key("3.0.8-1.amzn2023.0.12") > rpmver.sort_key("3.0.8-1.amzn2023.0.9")
    for junk in ("", ":", "-", "a:b-c", "\udcff", "~~^^", "1" * 400):
        rpmver.sort_key(junk)  # a total order: never raises
    assert rpmver.is_valid("1:3.0.8-1.amzn2023.0.12") and not rpmver.is_valid("1 2")


def test_rpmdb_written_by_rpm_is_read():
    pkgs, problems = read_sqlite(RPMDB.read_bytes())
    assert not problems
    got = {(p.name, p.epoch, p.version, p.release, p.arch, p.license) for p in pkgs}
    assert got == {("openssl-libs", 1, "3.0.8", "1.amzn2023.0.12", "x86_64", "Apache-2.0"),
                   ("zlib", None, "1.2.11", "33.amzn2023.0.5", "x86_64", "Zlib"),
                   ("tzdata", None, "2024a", "1.amzn2023.0.1", "noarch", "LicenseRef-Fedora-Public-Domain")}


def test_rpmdb_hostile_inputs():
    with pytest.raises(RpmDbError):
        read_sqlite(b"not sqlite")
    with pytest.raises(RpmDbError):
        read_sqlite(b"SQLite format 3\x00" + b"\xff" * 200)
    for blob in (b"", b"\x00\x00\xff\xff\x10\x00\x00\x00", b"\x00\x00\x00\x01\x00\x00\x00\x04" + b"\x00\x00\x03\xe8"
                 + b"\x00\x00\x00\x06" + b"\x00\x00\x00\x09" + b"\x00\x00\x00\x01" + b"abcd"):
        with pytest.raises(RpmDbError):
            parse_header(blob)


def test_rpmdb_bad_rows_become_problems(tmp_path):
    import sqlite3

    db = tmp_path / "x.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL)")
    (tmp_path / "good.sqlite").write_bytes(RPMDB.read_bytes())
    good = sqlite3.connect(tmp_path / "good.sqlite")
    for hnum, blob in good.execute("SELECT hnum, blob FROM Packages"):
        con.execute("INSERT INTO Packages VALUES (?, ?)", (hnum, blob))
    con.execute("INSERT INTO Packages VALUES (99, ?)", (b"\x00\x00\x00\x05garbage",))
    con.commit()
    con.close()
    pkgs, problems = read_sqlite(db.read_bytes())
    assert len(pkgs) == 3 and len(problems) == 1 and problems[0].startswith("entry 99")


# ----------------------------------------------------------------------------- images

def base_layer() -> oi.Layer:
    """The base image: Amazon Linux 2023's rpm database, the runtime's own Python packages."""
    files = {"var/lib/rpm/rpmdb.sqlite": RPMDB.read_bytes(), "usr/bin/true": b"\x7fELF"}
    files.update(oi.zip_files(SAMPLES / "python-layer-sitepackages.zip", "var/lang", strip="python/"))
    return oi.layer(files, symlinks={"var/lang/bin/python3": "python3.12"})


def app_layers() -> list[oi.Layer]:
    code = oi.zip_files(SAMPLES / "python-function.zip", "var/task")
    return [oi.layer(code), oi.layer({"var/task/app.py": b"def handler(e, c): pass\n"},
                                     whiteouts=UNINSTALL_PYYAML)]


@pytest.fixture(scope="module")
def amd64_image():
    return oi.image([base_layer(), *app_layers()])


def test_oci_layout_image_is_inventoried_with_whiteouts_and_rpms(tmp_path, amd64_image):
    d = oi.write_oci_layout(amd64_image, tmp_path / "img")
    inv = scan_path(d)
    assert inv.artifact.kind == "image" and inv.artifact.layout == "function"
    assert inv.artifact.sha256 == amd64_image.digest.split(":")[1]
    by = {(c.ecosystem, c.name): c for c in inv.components}
    assert by[("pypi", "jinja2")].version == "2.10"
    assert by[("pypi", "jinja2")].occurrences[0].location == "var/task/Jinja2-2.10.dist-info/METADATA"
    assert ("pypi", "pyyaml") not in by  # deleted by the top layer's whiteout
    rpm = by[("rpm", "openssl-libs")]
    assert rpm.purl == "pkg:rpm/amazon/openssl-libs@3.0.8-1.amzn2023.0.12?arch=x86_64&epoch=1"
    assert rpm.licenses == ("Apache-2.0",)
    assert by[("rpm", "tzdata")].purl == "pkg:rpm/amazon/tzdata@2024a-1.amzn2023.0.1?arch=noarch"
    runtime = [c for c in inv.components if any(o.location.startswith("var/lang/") for o in c.occurrences)]
    assert runtime, "the runtime's own packages (/var/lang) are inventoried"
    assert not any(o.location.startswith("usr/") for c in inv.components for o in c.occurrences)


def test_oci_index_reads_only_the_chosen_architecture(tmp_path, amd64_image):
    arm = oi.image([oi.layer({"var/task/armonly-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: armonly\nVersion: 1.0\n"})],
                   architecture="arm64")
    top = oi.index([amd64_image, arm])
    d = oi.write_oci_layout(top, tmp_path / "img")
    for la in arm.layers:  # the arm64 layers are not even present: they must not be opened
        (d / "blobs" / "sha256" / la.digest.split(":")[1]).unlink()
    inv = scan_path(d)
    assert inv.component("pypi", "jinja2") and not inv.component("pypi", "armonly")
    assert any(n.code == "platform" and "arm64" in n.message for n in inv.notices)


def test_docker_save_tarball(tmp_path, amd64_image):
    p = oi.write_docker_save(amd64_image, tmp_path / "img.tar")
    inv = scan_path(p)
    assert inv.artifact.kind == "image"
    assert inv.component("pypi", "jinja2") and not inv.component("pypi", "pyyaml")
    assert inv.component("rpm", "zlib").version == "1.2.11-33.amzn2023.0.5"


def test_corrupted_blob_in_a_layout_is_unreadable_not_silently_read(tmp_path, amd64_image):
    d = oi.write_oci_layout(amd64_image, tmp_path / "img")
    blob = d / "blobs" / "sha256" / amd64_image.layers[1].digest.split(":")[1]
    blob.write_bytes(oi.gz(oi.tar_bytes({"var/task/other": b"x"})))
    inv = scan_path(d)
    assert any(n.code == "digest-mismatch" and n.suspicious for n in inv.notices)


def test_image_tree_only_lists_lambda_roots(amd64_image):
    layers = [index_tar(io.BytesIO(la.blob), keep_predicate()) for la in amd64_image.layers]
    tree = ImageTree(layers)
    assert tree.paths and all(p.startswith(("var/task/", "var/lang/", "var/lib/rpm/")) for p in tree.paths)
    assert "usr/bin/true" not in tree
    # members no cataloger declared are listed but not kept (a package's inner modules)
    assert "var/task/jinja2/environment.py" in tree
    assert tree.read_or_note("var/task/jinja2/environment.py") is None
    assert tree.notices[-1].code == "not-retained"


def test_manifest_parsing_is_defensive():
    for bad in (b"", b"[]", b"{", b'{"schemaVersion": 1}', b'{"mediaType": "x/y"}',
                b'{"layers": [{"digest": "sha256:zz"}], "config": {}}'):
        with pytest.raises(ImageError):
            parse(bad)
    top = parse(json.dumps({"manifests": [{"digest": "sha256:" + "a" * 64, "size": 1,
                                           "platform": {"os": "linux", "architecture": "arm64"}}]}).encode())
    with pytest.raises(ImageError, match="no linux/amd64"):
        select(top, "amd64")


def test_cli_sbom_and_scan_accept_an_image(tmp_path, amd64_image):
    from click.testing import CliRunner

    from pkgscan.cli import main

    d = oi.write_oci_layout(amd64_image, tmp_path / "img")
    r = CliRunner().invoke(main, ["sbom", str(d), "-o", str(tmp_path / "sbom.json")])
    assert r.exit_code == 0, r.output
    bom = json.loads((tmp_path / "sbom.json").read_text())
    purls = {c.get("purl") for c in bom["components"]}
    assert "pkg:rpm/amazon/openssl-libs@3.0.8-1.amzn2023.0.12?arch=x86_64&epoch=1" in purls
    assert "pkg:pypi/jinja2@2.10" in purls and "pkg:pypi/pyyaml@5.4" not in purls


@pytest.fixture(scope="module")
def pypi_db(tmp_path_factory):
    from pkgscan.vulns.store import import_path, writer

    d = tmp_path_factory.mktemp("db")
    with writer(d) as w:
        import_path(w, SAMPLES / "advisories" / "PyPI-all.zip")
    return d


def test_scan_of_an_image_matches_pypi_and_says_rpms_were_not_checked(tmp_path, amd64_image, pypi_db):
    from pkgscan.scan import scan_vulnerabilities, vulnerability_sources

    inv = scan_path(oi.write_oci_layout(amd64_image, tmp_path / "img"))
    sources, info = vulnerability_sources(db_dir=pypi_db)
    res = scan_vulnerabilities(inv, sources, info, max_db_age_days=None)
    vulnerable = {f.component.name for f in res.findings}
    assert "jinja2" in vulnerable and "pyyaml" not in vulnerable
    assert not any(f.component.ecosystem == "rpm" for f in res.findings)
    assert any("Amazon Linux" in w and "not checked" in w for w in res.warnings)


# ----------------------------------------------------------------------------- Amazon Linux 2 (Berkeley DB)

AL2 = ROOT / "tests" / "fixtures" / "image" / "al2"
EXPECTED_RPMS = {("openssl-libs", "1:3.0.8-1.amzn2023.0.12", "x86_64"), ("zlib", "1.2.11-33.amzn2023.0.5", "x86_64"),
                 ("tzdata", "2024a-1.amzn2023.0.1", "noarch")}


@pytest.mark.parametrize("name", ["Packages", "Packages-16k-pages"])  # headers on overflow pages / inline
def test_berkeley_db_packages_written_by_db_load_are_read(name):
    from pkgscan.image.rpmdb import read_bdb

    pkgs, problems = read_bdb((AL2 / name).read_bytes())
    assert not problems
    assert {(p.name, p.evr, p.arch) for p in pkgs} == EXPECTED_RPMS


def test_berkeley_db_hostile_inputs():
    import struct

    from pkgscan.image.rpmdb import read_bdb

    with pytest.raises(RpmDbError):
        read_bdb(b"\0" * 4096)
    data = bytearray((AL2 / "Packages").read_bytes())
    ps = 4096
    for n in range(1, len(data) // ps):  # every overflow page holds 10 bytes and points back at itself: a loop
        if data[n * ps + 25] == 7:
            struct.pack_into("<I", data, n * ps + 16, n)
            struct.pack_into("<H", data, n * ps + 22, 10)
    pkgs, problems = read_bdb(bytes(data))
    assert problems and all("chain" in p or "length" in p for p in problems)
    read_bdb(bytes(data[: 3 * ps]))  # cut short: whatever is there, never an exception
    garbage = bytearray((AL2 / "Packages").read_bytes())
    for i in range(ps, len(garbage), 97):
        garbage[i] ^= 0x5A
    read_bdb(bytes(garbage))


def test_amazon_linux_2_image_rpms(tmp_path):
    im = oi.image([oi.layer({"var/lib/rpm/Packages": (AL2 / "Packages").read_bytes()}),
                   oi.layer(oi.zip_files(SAMPLES / "python-function.zip", "var/task"))])
    inv = scan_path(oi.write_docker_save(im, tmp_path / "al2.tar"))
    assert {(c.name, c.version, dict(c.properties)["pkgscan:rpm:arch"]) for c in inv.components
            if c.ecosystem == "rpm"} == EXPECTED_RPMS
    assert inv.component("rpm", "zlib").occurrences[0].location == "var/lib/rpm/Packages"


def test_a_tar_that_is_not_an_image_is_refused(tmp_path):
    from pkgscan.errors import InputError

    p = tmp_path / "plain.tar"
    p.write_bytes(oi.tar_bytes({"a.txt": b"x"}))
    with pytest.raises(InputError, match="not a docker save archive"):
        scan_path(p)
    d = tmp_path / "notlayout"
    (d / "x-1.0.dist-info").mkdir(parents=True)
    (d / "x-1.0.dist-info" / "METADATA").write_bytes(b"Metadata-Version: 2.1\nName: x\nVersion: 1.0\n")
    assert scan_path(d).artifact.kind == "directory"  # a directory without oci-layout is a directory


def test_runtime_inferred_from_the_base_image():
    from pkgscan.image.runtime import infer

    files = {"var/lang/include/node/node_version.h": b"#define NODE_MAJOR_VERSION 20\n#define NODE_MINOR_VERSION 11\n",
             "var/lang/release": b'IMPLEMENTOR="Amazon.com Inc."\nJAVA_VERSION="1.8.0_402"\n',
             "usr/lib/os-release": b'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nVERSION_ID="2023"\n'}
    assert infer(["var/lang/lib/python3.9/os.py", "var/lang/lib/python3.12/os.py"], files.get) == \
        ("python3.12", "var/lang/lib/python3.12")
    assert infer([], files.get) == ("nodejs20.x", "var/lang/include/node/node_version.h")
    assert infer([], {k: v for k, v in files.items() if "node" not in k}.get)[0] == "java8.al2"
    assert infer([], {"var/lang/release": b'JAVA_VERSION="21.0.2"\n'}.get)[0] == "java21"
    assert infer([], {"usr/lib/os-release": files["usr/lib/os-release"]}.get)[0] == "provided.al2023"
    assert infer([], {"etc/os-release": b'ID="debian"\nVERSION_ID="12"\n'}.get) is None
    assert infer([], {"var/lang/include/node/node_version.h": b"\xff" * 100}.get) is None


def test_image_inventory_records_its_runtime(tmp_path, amd64_image):
    inv = scan_path(oi.write_oci_layout(amd64_image, tmp_path / "img"))
    assert [(n.path, n.message.split(":")[0]) for n in inv.notices if n.code == "image-runtime"] == \
        [("var/lang/lib/python3.12", "python3.12")]


def test_tar_with_signed_header_checksum_is_read():
    ti = tarfile.TarInfo("var/task/\xe9/METADATA")  # a byte > 127 in the name
    hdr = bytearray(ti.tobuf(format=tarfile.USTAR_FORMAT, encoding="latin-1"))
    hdr[148:156] = b" " * 8
    signed = sum(b - 256 if b > 127 else b for b in hdr)
    hdr[148:156] = b"%06o\0 " % (signed & 0o777777)
    got = idx(bytes(hdr) + END)
    assert "var/task/é/METADATA" in got.entries and not got.unreadable


def test_docker_save_of_docker_25_blobs_layout(tmp_path, amd64_image):
    """Docker 25+ writes an OCI layout inside the tarball; manifest.json names blobs/sha256/<hex>."""
    files = {"oci-layout": b'{"imageLayoutVersion": "1.0.0"}'}
    cfg = oi.sha256(amd64_image.config).split(":")[1]
    files[f"blobs/sha256/{cfg}"] = amd64_image.config
    names = []
    for la in amd64_image.layers:  # gzip blobs, as the registry has them
        files[f"blobs/sha256/{la.digest.split(':')[1]}"] = la.blob
        names.append(f"blobs/sha256/{la.digest.split(':')[1]}")
    files["manifest.json"] = json.dumps([{"Config": f"blobs/sha256/{cfg}", "RepoTags": ["x:1"], "Layers": names}]).encode()
    p = tmp_path / "d25.tar"
    p.write_bytes(oi.tar_bytes(files))
    inv = scan_path(p)
    assert inv.component("pypi", "jinja2") and not inv.component("pypi", "pyyaml") and inv.component("rpm", "zlib")
    assert not [n for n in inv.notices if n.code in ("digest-mismatch", "layer-unreadable")]


def test_whiteout_of_the_metadata_alone_leaves_the_code_reported(tmp_path):
    """A layer that deletes only PyYAML's dist-info still ships ``var/task/yaml``: the code is there,
    so it is reported, identified without metadata (never hidden by the missing dist-info)."""
    code = oi.zip_files(SAMPLES / "python-function.zip", "var/task")
    img = oi.image([base_layer(), oi.layer(code), oi.layer({}, whiteouts=("var/task/PyYAML-5.4.dist-info",))])
    inv = scan_path(oi.write_oci_layout(img, tmp_path / "img"))
    yaml = inv.component("pypi", "pyyaml")
    assert yaml is not None and yaml.version == "5.4"
    assert ("pkgscan:no-metadata", "true") in yaml.properties


def test_catalog_asks_only_what_the_layer_passes_wanted_and_finds_the_same(amd64_image):
    """The layer passes already asked every cataloger about every path; a catalog pass over the
    merged tree offers only the wanted ones, and finds exactly what asking again about all finds."""
    from pkgscan.inventory import CATALOGERS
    from pkgscan.scan import scan_tree

    keep = keep_predicate()
    layers = [index_tar(io.BytesIO(la.blob), keep) for la in amd64_image.layers]
    narrowed = ImageTree(layers, asked=keep.catalogers)
    full = ImageTree(layers)
    assert narrowed.offered_paths(CATALOGERS) != full.offered_paths(CATALOGERS) == full.paths
    assert set(narrowed.offered_paths(CATALOGERS)) < set(full.paths)
    assert narrowed.offered_paths(CATALOGERS[:2]) == full.paths  # other catalogers: asked afresh
    a, b = scan_tree(narrowed, "img"), scan_tree(full, "img")
    assert a.components == b.components and a.notices == b.notices and a.coverage == b.coverage


def test_a_vendor_directorys_pin_list_is_kept_in_images(tmp_path):
    """pip's vendor.txt gives its vendored copies their versions in an image as in a zip."""
    files = {
        "var/task/pip/__init__.py": b'__version__ = "23.0.1"\n',
        "var/task/pip-23.0.1.dist-info/METADATA": b"Metadata-Version: 2.1\nName: pip\nVersion: 23.0.1\n",
        "var/task/pip/_vendor/vendor.txt": b"six==1.16.0\nrich==12.6.0\n",
        "var/task/pip/_vendor/six.py": b"import sys\n",
        "var/task/pip/_vendor/rich/__init__.py": b"from ._extension import load_ipython_extension\n",
    }
    assert keep_predicate()("var/task/pip/_vendor/vendor.txt")
    inv = scan_path(oi.write_oci_layout(oi.image([oi.layer(files)]), tmp_path / "img"))
    six = inv.component("pypi", "six")
    assert six is not None and six.version == "1.16.0" and ("pkgscan:vendored-by", "pip") in six.properties
    assert inv.component("pypi", "rich").version == "12.6.0"
