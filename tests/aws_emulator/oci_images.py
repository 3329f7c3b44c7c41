"""Build real container images in Python: layer tars (gzip), image configs, manifests (OCI and
Docker v2 schema 2), image indexes, and write them as an OCI layout directory or a ``docker save``
tarball.  Deterministic: fixed mtimes, sorted entries, gzip without a timestamp.

The bytes follow the OCI image spec (image-spec v1.1) and Docker's image manifest v2 schema 2;
layer tars are POSIX ustar/PAX as Python's ``tarfile`` writes them (what ``docker build`` writes
is the same format).
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MTIME = 1_700_000_000


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def zip_files(zip_path: str | Path, prefix: str, strip: str = "") -> dict[str, bytes]:
    """The files of a Lambda zip, placed under ``prefix`` ("var/task", "opt"), ``strip`` removed first."""
    out = {}
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            if not info.is_dir():
                name = info.filename[len(strip):] if strip and info.filename.startswith(strip) else info.filename
                out[f"{prefix}/{name}"] = zf.read(info)
    return out


def tar_bytes(files: dict[str, bytes], *, whiteouts: tuple[str, ...] = (), opaque: tuple[str, ...] = (),
              symlinks: dict[str, str] | None = None, hardlinks: dict[str, str] | None = None,
              dirs: tuple[str, ...] = ()) -> bytes:
    """An uncompressed layer tar: parent directories first, then files, links and whiteout markers."""
    buf = io.BytesIO()
    all_dirs: set[str] = set(dirs)
    names = list(files) + list(symlinks or {}) + list(hardlinks or {}) + list(whiteouts) + [f"{d}/.wh..wh..opq" for d in opaque]
    for n in names:
        parts = n.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            all_dirs.add("/".join(parts[:i]))
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for d in sorted(all_dirs):
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, MTIME
            tf.addfile(ti)
        for name in sorted(files):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime = len(files[name]), 0o644, MTIME
            tf.addfile(ti, io.BytesIO(files[name]))
        for name, target in sorted((symlinks or {}).items()):
            ti = tarfile.TarInfo(name)
            ti.type, ti.linkname, ti.mtime = tarfile.SYMTYPE, target, MTIME
            tf.addfile(ti)
        for name, target in sorted((hardlinks or {}).items()):
            ti = tarfile.TarInfo(name)
            ti.type, ti.linkname, ti.mtime = tarfile.LNKTYPE, target, MTIME
            tf.addfile(ti)
        for w in sorted(whiteouts):  # ".wh.<name>" beside the deleted path
            parent, _, base = w.rpartition("/")
            ti = tarfile.TarInfo(f"{parent}/.wh.{base}" if parent else f".wh.{base}")
            ti.mtime = MTIME
            tf.addfile(ti, io.BytesIO(b""))
        for d in sorted(opaque):
            ti = tarfile.TarInfo(f"{d}/.wh..wh..opq")
            ti.mtime = MTIME
            tf.addfile(ti, io.BytesIO(b""))
    return buf.getvalue()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


@dataclass
class Layer:
    tar: bytes  # uncompressed
    blob: bytes  # as stored (gzip)
    media_type: str

    @property
    def digest(self) -> str:
        return sha256(self.blob)

    @property
    def diff_id(self) -> str:
        return sha256(self.tar)


def layer(files: dict[str, bytes], *, media_type: str = OCI_LAYER_GZIP, **kw) -> Layer:
    tar = tar_bytes(files, **kw)
    return Layer(tar, gz(tar), media_type)


@dataclass
class Image:
    manifest: bytes
    manifest_media_type: str
    config: bytes
    layers: list[Layer]
    architecture: str

    @property
    def digest(self) -> str:
        return sha256(self.manifest)

    def blobs(self) -> dict[str, bytes]:
        out = {sha256(self.config): self.config}
        out.update({la.digest: la.blob for la in self.layers})
        return out


def image(layers: list[Layer], *, architecture: str = "amd64", docker: bool = False,
          cmd: tuple[str, ...] = ("app.handler",)) -> Image:
    config = json.dumps({
        "architecture": architecture, "os": "linux",
        "config": {"Env": ["LAMBDA_TASK_ROOT=/var/task", "LAMBDA_RUNTIME_DIR=/var/runtime"],
                   "Entrypoint": ["/lambda-entrypoint.sh"], "Cmd": list(cmd), "WorkingDir": "/var/task"},
        "rootfs": {"type": "layers", "diff_ids": [la.diff_id for la in layers]},
        "history": [{"created": "2024-01-02T03:04:05Z", "created_by": "pkgscan test builder"} for _ in layers],
    }, sort_keys=True).encode()
    mt = DOCKER_MANIFEST if docker else OCI_MANIFEST
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": mt,
        "config": {"mediaType": DOCKER_CONFIG if docker else OCI_CONFIG, "digest": sha256(config), "size": len(config)},
        "layers": [{"mediaType": DOCKER_LAYER if docker else la.media_type, "digest": la.digest, "size": len(la.blob)}
                   for la in layers],
    }, sort_keys=True).encode()
    return Image(manifest, mt, config, layers, architecture)


@dataclass
class ImageIndex:
    manifest: bytes
    manifest_media_type: str
    images: list[Image] = field(default_factory=list)

    @property
    def digest(self) -> str:
        return sha256(self.manifest)

    def blobs(self) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for im in self.images:
            out[im.digest] = im.manifest
            out.update(im.blobs())
        return out


def index(images: list[Image], *, docker: bool = False) -> ImageIndex:
    mt = DOCKER_LIST if docker else OCI_INDEX
    doc = {"schemaVersion": 2, "mediaType": mt, "manifests": [
        {"mediaType": im.manifest_media_type, "digest": im.digest, "size": len(im.manifest),
         "platform": {"os": "linux", "architecture": im.architecture}} for im in images]}
    return ImageIndex(json.dumps(doc, sort_keys=True).encode(), mt, list(images))


def write_oci_layout(top: Image | ImageIndex, directory: str | Path) -> Path:
    d = Path(directory)
    (d / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (d / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    blobs = top.blobs() if isinstance(top, ImageIndex) else top.blobs()
    blobs[top.digest] = top.manifest
    for digest, data in blobs.items():
        (d / "blobs" / "sha256" / digest.split(":")[1]).write_bytes(data)
    ref = {"mediaType": top.manifest_media_type, "digest": top.digest, "size": len(top.manifest)}
    if isinstance(top, Image):
        ref["platform"] = {"os": "linux", "architecture": top.architecture}
    (d / "index.json").write_text(json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [ref]}))
    return d


def write_docker_save(im: Image, path: str | Path, tag: str = "example/app:latest") -> Path:
    """A legacy ``docker save`` archive: <id>/layer.tar (uncompressed), <config>.json, manifest.json."""
    cfg_name = sha256(im.config).split(":")[1] + ".json"
    files = {cfg_name: im.config}
    layer_names = []
    for la in im.layers:
        name = f"{la.diff_id.split(':')[1]}/layer.tar"
        files[name] = la.tar
        layer_names.append(name)
    files["manifest.json"] = json.dumps([{"Config": cfg_name, "RepoTags": [tag], "Layers": layer_names}]).encode()
    Path(path).write_bytes(tar_bytes(files))
    return Path(path)
