"""Image manifests, indexes and configs (OCI image spec and Docker's v2 schema 2), parsed defensively."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
ALL_TYPES = MANIFEST_TYPES + INDEX_TYPES

#: Lambda's ``Architectures`` -> the OCI platform architecture
LAMBDA_ARCH = {"x86_64": "amd64", "arm64": "arm64"}

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
MAX_MANIFEST = 4 * 1024 * 1024


class ImageError(Exception):
    """The image (its manifest, index or config) cannot be read."""


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: tuple[str, str, str] = ("", "", "")  # os, architecture, variant

    @property
    def hex(self) -> str:
        return self.digest.split(":", 1)[1]


@dataclass(frozen=True)
class Manifest:
    media_type: str
    config: Descriptor
    layers: tuple[Descriptor, ...]


@dataclass(frozen=True)
class Index:
    media_type: str
    manifests: tuple[Descriptor, ...]


def valid_digest(d: object) -> bool:
    return isinstance(d, str) and bool(_DIGEST.match(d))


def _descriptor(obj: object, what: str) -> Descriptor:
    if not isinstance(obj, dict):
        raise ImageError(f"{what}: not an object")
    digest = obj.get("digest")
    if not valid_digest(digest):
        raise ImageError(f"{what}: digest {str(digest)[:80]!r} is not a sha256 digest")
    size = obj.get("size", 0)
    if not isinstance(size, int) or size < 0:
        raise ImageError(f"{what}: bad size")
    plat = obj.get("platform") if isinstance(obj.get("platform"), dict) else {}
    platform = tuple(str(plat.get(k, "") or "") for k in ("os", "architecture", "variant"))
    return Descriptor(str(obj.get("mediaType", "") or ""), digest, size, platform)  # type: ignore[arg-type]


def parse(data: bytes, media_type: str = "") -> Manifest | Index:
    """A manifest or an index; ``media_type`` as the registry reported it (else read from the JSON)."""
    if len(data) > MAX_MANIFEST:
        raise ImageError(f"manifest of {len(data)} bytes")
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ImageError(f"manifest is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ImageError("manifest is not a JSON object")
    mt = str(doc.get("mediaType") or media_type or "")
    if doc.get("schemaVersion") == 1:
        raise ImageError("Docker image manifest schema 1 is not supported")
    if mt in INDEX_TYPES or (not mt and "manifests" in doc):
        items = doc.get("manifests")
        if not isinstance(items, list):
            raise ImageError("index without a manifests list")
        return Index(mt or OCI_INDEX, tuple(_descriptor(m, f"manifests[{i}]") for i, m in enumerate(items[:1000])))
    if mt in MANIFEST_TYPES or (not mt and "layers" in doc):
        layers = doc.get("layers")
        if not isinstance(layers, list):
            raise ImageError("manifest without a layers list")
        if len(layers) > 1000:
            raise ImageError(f"manifest lists {len(layers)} layers")
        return Manifest(mt or OCI_MANIFEST, _descriptor(doc.get("config"), "config"),
                        tuple(_descriptor(layer, f"layers[{i}]") for i, layer in enumerate(layers)))
    raise ImageError(f"unsupported manifest media type {mt!r}")


def select(index: Index, architecture: str, os_: str = "linux") -> Descriptor:
    """The manifest of ``architecture`` (OCI name: amd64 / arm64) in an index; attestations skipped."""
    for d in index.manifests:
        o, arch, _variant = d.platform
        if arch == architecture and (o or os_) == os_ and d.media_type not in INDEX_TYPES:
            return d
    have = sorted({f"{d.platform[0]}/{d.platform[1]}" for d in index.manifests if d.platform[1]})
    raise ImageError(f"the image index has no {os_}/{architecture} image (has: {', '.join(have) or 'none'})")


def layer_compression(media_type: str) -> str:
    mt = media_type.lower()
    if mt.endswith("+zstd") or mt.endswith(".zstd"):
        return "zstd"
    if mt.endswith("+gzip") or mt.endswith(".gzip") or mt == "application/vnd.docker.image.rootfs.diff.tar.gzip":
        return "gzip"
    return "none" if mt.endswith(".tar") or mt.endswith("tar") else ""


@dataclass(frozen=True)
class ImageConfig:
    architecture: str = ""
    os: str = ""
    env: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    workdir: str = ""
    diff_ids: tuple[str, ...] = ()


def parse_config(data: bytes) -> ImageConfig:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ImageError(f"image config is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ImageError("image config is not a JSON object")
    cfg = doc.get("config") if isinstance(doc.get("config"), dict) else {}

    def strs(v: object) -> tuple[str, ...]:
        return tuple(str(x) for x in v) if isinstance(v, list) else ()

    rootfs = doc.get("rootfs") if isinstance(doc.get("rootfs"), dict) else {}
    return ImageConfig(str(doc.get("architecture", "") or ""), str(doc.get("os", "") or ""), strs(cfg.get("Env")),
                       strs(cfg.get("Entrypoint")), strs(cfg.get("Cmd")), str(cfg.get("WorkingDir", "") or ""),
                       strs(rootfs.get("diff_ids")))
