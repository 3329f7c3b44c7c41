"""Local images: an OCI image layout directory (``oci-layout``, ``index.json``, ``blobs/``) or a
``docker save`` tarball (``manifest.json`` plus the config and layer tars, legacy or OCI-style).

Read in place: blobs are streamed from their files (or from their offsets inside the tarball).
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path

from ..archive.limits import DEFAULT_LIMITS, Limits
from ..archive.tar import TarStreamError, list_members
from ..errors import InputError
from ..model import Notice
from .oci import INDEX_TYPES, ImageError, Index, Manifest, parse, parse_config, select, valid_digest
from .tree import ImageInfo, ImageTree, LayerInfo, LayerSource, index_layers, keep_predicate

MAX_JSON = 4 * 1024 * 1024
DEFAULT_ARCH = "amd64"


class _Window(io.RawIOBase):
    """A read-only window [offset, offset+size) of a file, read with pread."""

    def __init__(self, fd: int, offset: int, size: int):
        self.fd, self.offset, self.size, self.pos = fd, offset, size, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.pos
        n = left if n is None or n < 0 else min(n, left)
        if n <= 0:
            return b""
        data = os.pread(self.fd, n, self.offset + self.pos)
        self.pos += len(data)
        return data

    def readinto(self, b) -> int:  # pragma: no cover - read() is what the tar reader uses
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


def is_oci_layout(path: str | os.PathLike[str]) -> bool:
    p = Path(path)
    return (p / "oci-layout").is_file() and (p / "index.json").is_file()


def is_docker_archive(path: str | os.PathLike[str]) -> bool:
    """A tar (ustar magic at 257) -- a ``docker save`` archive is then confirmed by its manifest.json."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    return len(head) == 512 and head[257:262] == b"ustar"


def _json(data: bytes, what: str):
    if len(data) > MAX_JSON:
        raise InputError(f"{what} is {len(data)} bytes")
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{what} is not JSON: {exc}") from None


def open_oci_layout(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS, architecture: str | None = None) -> ImageTree:
    root = Path(path)
    notices: list[Notice] = []

    def blob(digest: str) -> Path:
        if not valid_digest(digest):
            raise InputError(f"{path}: bad digest {digest[:80]!r}")
        return root / "blobs" / "sha256" / digest.split(":", 1)[1]

    def read_blob(digest: str) -> bytes:
        p = blob(digest)
        try:
            if p.is_symlink() or p.stat().st_size > MAX_JSON:
                raise InputError(f"{path}: blob {digest} is not a small regular file")
            return p.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: blob {digest} not readable: {exc.strerror}") from None

    try:
        top = parse((root / "index.json").read_bytes())
        desc = None
        manifest = top
        for _ in range(4):  # index -> (nested index) -> manifest
            if isinstance(manifest, Manifest):
                break
            assert isinstance(manifest, Index)
            images = [d for d in manifest.manifests if d.media_type not in INDEX_TYPES or len(manifest.manifests) == 1]
            if len(images) == 1 and not images[0].platform[1]:
                desc = images[0]
            else:
                arch = architecture or _default_arch(manifest)
                desc = select(manifest, arch)
                others = sorted({d.platform[1] for d in manifest.manifests if d.platform[1] and d.platform[1] != arch})
                if others:
                    notices.append(Notice("platform", "", f"image index also has {', '.join(others)}; "
                                          f"the linux/{arch} image was read"))
            manifest = parse(read_blob(desc.digest), desc.media_type)
        if not isinstance(manifest, Manifest):
            raise InputError(f"{path}: image index nested too deep")
        config = parse_config(read_blob(manifest.config.digest))
    except ImageError as exc:
        raise InputError(f"{path}: {exc}") from None
    except OSError as exc:
        raise InputError(f"{path}: not readable: {exc.strerror}") from None
    sources = []
    for d in manifest.layers:
        p = blob(d.digest)
        sources.append(LayerSource(d.digest, d.media_type, (lambda p=p: open(p, "rb")), verify=d.hex))
    info = ImageInfo(reference=str(path), manifest_digest=desc.digest if desc else "", architecture=config.architecture,
                     os=config.os, notices=notices)
    return _build(sources, info, limits)


def _default_arch(index: Index) -> str:
    archs = [d.platform[1] for d in index.manifests if d.platform[1]]
    return DEFAULT_ARCH if DEFAULT_ARCH in archs or not archs else archs[0]


def open_docker_archive(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> ImageTree:
    """A ``docker save`` tarball: its manifest.json names the config and the layers in order."""
    fd = os.open(os.fspath(path), os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        try:
            members = list_members(lambda off, n: os.pread(fd, n, off), size)
        except TarStreamError as exc:
            raise InputError(f"{path}: not a readable tar: {exc}") from None
        if "manifest.json" not in members:
            raise InputError(f"{path}: a tar without manifest.json is not a docker save archive")

        def member_bytes(name: str) -> bytes:
            m = members.get(name)
            if m is None:
                raise InputError(f"{path}: {name} is not in the archive")
            if m.size > MAX_JSON:
                raise InputError(f"{path}: {name} is {m.size} bytes")
            return os.pread(fd, m.size, m.offset)

        doc = _json(member_bytes("manifest.json"), "manifest.json")
        if not isinstance(doc, list) or not doc or not isinstance(doc[0], dict):
            raise InputError(f"{path}: manifest.json lists no image")
        notices = []
        if len(doc) > 1:
            notices.append(Notice("several-images", "", f"the archive holds {len(doc)} images; the first was read"))
        entry = doc[0]
        try:
            config = parse_config(member_bytes(str(entry.get("Config", ""))))
        except ImageError as exc:
            raise InputError(f"{path}: {exc}") from None
        layer_names = entry.get("Layers")
        if not isinstance(layer_names, list):
            raise InputError(f"{path}: manifest.json has no Layers list")
        sources = []
        for i, name in enumerate(layer_names):
            m = members.get(str(name))
            if m is None:
                raise InputError(f"{path}: layer {name!r} is not in the archive")
            verify = ""
            parts = str(name).split("/")
            if len(parts) == 3 and parts[:2] == ["blobs", "sha256"] and len(parts[2]) == 64:
                verify = parts[2]
            elif i < len(config.diff_ids) and valid_digest(config.diff_ids[i]):
                verify = config.diff_ids[i].split(":", 1)[1]  # a legacy layer.tar is stored uncompressed
            digest = f"sha256:{verify}" if verify else f"{path}:{name}"
            sources.append(LayerSource(digest, "", (lambda m=m: _Window(fd, m.offset, m.size)), verify=verify))
        tags = entry.get("RepoTags") if isinstance(entry.get("RepoTags"), list) else []
        info = ImageInfo(reference=str(tags[0]) if tags else str(path), architecture=config.architecture,
                         os=config.os, notices=notices)
        return _build(sources, info, limits)
    finally:
        os.close(fd)


def _build(sources: list[LayerSource], info: ImageInfo, limits: Limits) -> ImageTree:
    keep = keep_predicate()
    layers = index_layers(sources, keep)
    for src, idx in zip(sources, layers):
        info.layers.append(LayerInfo(src.digest, src.media_type, idx.compressed_size, idx.uncompressed_size,
                                     len(idx.entries), len(idx.kept), idx.unreadable))
    return ImageTree(layers, info, limits, asked=keep.catalogers)


def open_image(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> ImageTree | None:
    """An OCI layout directory or a docker save tarball as an ImageTree; None when it is neither."""
    p = Path(path)
    if p.is_dir():
        return open_oci_layout(p, limits) if is_oci_layout(p) else None
    if p.is_file() and is_docker_archive(p):
        return open_docker_archive(p, limits)
    return None
