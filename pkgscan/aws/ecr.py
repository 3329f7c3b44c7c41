"""Container-image functions: the image Lambda runs, pulled from ECR and inventoried like a zip.

``GetFunction`` gives ``Code.ResolvedImageUri`` (the digest that actually runs; the tag in
``ImageUri`` may have moved since).  ECR ``BatchGetImage`` returns the manifest (Docker v2 schema 2
or OCI); an image index / manifest list is resolved to the function's architecture (``x86_64`` ->
``amd64``, ``arm64``), and only that image's blobs are fetched.  ``GetDownloadUrlForLayer`` gives a
presigned URL per blob, downloaded with the code-zip downloader (same HTTP client, retries, fresh URL
on 403, size cap, URL never logged) and verified against the blob's sha256 digest.  Each layer is
indexed in one streaming pass (pkgscan.archive.tar) and deleted; the layers are merged with OCI
whiteouts into an ImageTree and inventoried with the usual catalogers.

De-duplication: every distinct blob is downloaded and indexed at most once per run (images share
base layers); every distinct platform manifest is inventoried once per run and its inventory cached
by digest (``<manifest hex>.image``) in the code cache, so an unchanged image downloads nothing.
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from botocore.exceptions import BotoCoreError, ClientError

from ..archive.tar import TarIndex, TarLimits, index_tar, zstd_available
from ..image.oci import ALL_TYPES, LAMBDA_ARCH, ImageError, Index, Manifest, layer_compression, parse, parse_config, select
from ..image.tree import ImageInfo, ImageTree, LayerInfo, keep_predicate, recorded
from ..model import Inventory, Notice, Occurrence
from .download import DownloadError, Downloader

_URI = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
                  r"(?P<repo>[a-z0-9][a-z0-9._/-]*?)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
                  r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")
#: a layer blob: Lambda allows 10 GB uncompressed images; compressed blobs are smaller
MAX_BLOB_BYTES = 10 * 1024 ** 3
MAX_CONFIG_BYTES = 4 * 1024 * 1024
MEMORY_BUDGET = 256 * 1024 * 1024
OPT_SOURCE = "image:/opt"


class ImageFetchError(Exception):
    """The image cannot be read; the message is the function's failure reason."""


@dataclass(frozen=True)
class ImageRef:
    account: str
    region: str
    repository: str
    tag: str
    digest: str

    @property
    def uri(self) -> str:
        at = f"@{self.digest}" if self.digest else f":{self.tag}" if self.tag else ""
        return f"{self.account}.dkr.ecr.{self.region}.amazonaws.com/{self.repository}{at}"


def parse_image_uri(uri: str) -> ImageRef:
    m = _URI.match(uri or "")
    if not m:
        raise ImageFetchError(f"not an ECR image URI: {uri[:200]!r}")
    return ImageRef(m["account"], m["region"], m["repo"], m["tag"] or "", m["digest"] or "")


def _b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


class EcrImages:
    """Reads ECR images for one run; shared by every account and region the scanner visits."""

    def __init__(self, downloader: Downloader, tar_limits: TarLimits = TarLimits(), layer_workers: int = 2,
                 stats: dict | None = None, stats_lock: threading.Lock | None = None, cache=None):
        d = downloader
        # same HTTP session, retries and temp directory as code zips; a larger cap (image layers)
        self.downloader = Downloader(tmp_dir=d.tmp_dir, max_bytes=MAX_BLOB_BYTES, attempts=d.attempts,
                                     backoff=d.backoff, timeout=d.timeout, http=d.http)
        self.tar_limits = tar_limits
        self.layer_workers = layer_workers
        self.keep = keep_predicate()
        self._blobs: dict[str, TarIndex] = {}
        self._blob_errors: dict[str, str] = {}
        self._configs: dict = {}
        self._sizes: dict[str, int] = {}
        self._held = 0
        #: bytes of layer indexes (kept metadata files and paths) held for images still to come
        self.memory_budget = MEMORY_BUDGET
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self.downloads = 0
        self.bytes = 0
        #: the scanner's statistics (downloads, bytes_downloaded, image_blob_downloads), under its lock
        self.stats = stats if stats is not None else {}
        self.stats_lock = stats_lock or threading.Lock()
        #: the code cache (pkgscan.aws.cache.CodeCache): layer indexes are kept there by blob digest too,
        #: so a changed image downloads only its new layers in a later run
        self.cache = cache

    def _blob_lock(self, digest: str) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(digest, threading.Lock())

    # ------------------------------------------------------------------ manifests
    def resolve(self, ecr, ref: ImageRef, architecture: str) -> tuple[str, Manifest, list[Notice]]:
        """(platform manifest digest, manifest, notices) of the image the function runs."""
        notices: list[Notice] = []
        ident = {"imageDigest": ref.digest} if ref.digest else {"imageTag": ref.tag or "latest"}
        digest, doc = self._get_manifest(ecr, ref, ident)
        if isinstance(doc, Index):
            arch = LAMBDA_ARCH.get(architecture, architecture)
            try:
                child = select(doc, arch)
            except ImageError as exc:
                raise ImageFetchError(f"image {ref.uri}: {exc}") from None
            others = sorted({d.platform[1] for d in doc.manifests if d.platform[1] and d.platform[1] != arch})
            if others:
                notices.append(Notice("platform", "", f"image index also has {', '.join(others)}; only the "
                                      f"linux/{arch} image the function runs was read"))
            digest, doc = self._get_manifest(ecr, ref, {"imageDigest": child.digest})
            if not isinstance(doc, Manifest):
                raise ImageFetchError(f"image {ref.uri}: the index entry for {arch} is not an image manifest")
        return digest, doc, notices

    def _get_manifest(self, ecr, ref: ImageRef, ident: dict) -> tuple[str, Manifest | Index]:
        resp = ecr.batch_get_image(registryId=ref.account, repositoryName=ref.repository, imageIds=[ident],
                                   acceptedMediaTypes=list(ALL_TYPES))
        images = resp.get("images") or []
        if not images:
            fails = resp.get("failures") or [{}]
            code = fails[0].get("failureCode", "ImageNotFound")
            why = fails[0].get("failureReason", "")
            raise ImageFetchError(f"image {ref.uri}: {code}{': ' + why if why else ''} (BatchGetImage)")
        img = images[0]
        text = img.get("imageManifest") or ""
        data = text.encode("utf-8")
        got = "sha256:" + hashlib.sha256(data).hexdigest()
        want = ident.get("imageDigest") or (img.get("imageId") or {}).get("imageDigest", "")
        if want and got != want:
            raise ImageFetchError(f"image {ref.uri}: manifest does not match its digest {want}")
        try:
            return got, parse(data, img.get("imageManifestMediaType", "") or "")
        except ImageError as exc:
            raise ImageFetchError(f"image {ref.uri}: {exc}") from None

    # ------------------------------------------------------------------ blobs
    def _download(self, ecr, ref: ImageRef, digest: str, label: str):
        def location() -> str:
            return ecr.get_download_url_for_layer(registryId=ref.account, repositoryName=ref.repository,
                                                  layerDigest=digest)["downloadUrl"]

        got = self.downloader.fetch(location, _b64(digest.split(":", 1)[1]), label)
        with self._lock:
            self.downloads += 1
            self.bytes += got.size
        with self.stats_lock:
            for k, n in (("downloads", 1), ("bytes_downloaded", got.size), ("image_blob_downloads", 1)):
                self.stats[k] = self.stats.get(k, 0) + n
        return got

    def config(self, ecr, ref: ImageRef, manifest: Manifest):
        """The image config (downloaded once per run per digest, like the layers)."""
        digest = manifest.config.digest
        with self._blob_lock(digest):
            if digest not in self._configs:
                self._configs[digest] = self._config(ecr, ref, manifest)
            return self._configs[digest]

    def _config(self, ecr, ref: ImageRef, manifest: Manifest):
        got = self._download(ecr, ref, manifest.config.digest, f"{ref.repository}@{manifest.config.digest}")
        try:
            if got.size > MAX_CONFIG_BYTES:
                raise ImageFetchError(f"image {ref.uri}: config blob of {got.size} bytes")
            with open(got.path, "rb") as fh:
                data = fh.read()
        finally:
            os.unlink(got.path)
        try:
            return parse_config(data)
        except ImageError as exc:
            raise ImageFetchError(f"image {ref.uri}: {exc}") from None

    def layer(self, ecr, ref: ImageRef, digest: str) -> TarIndex:
        """The index of one layer blob: downloaded and read once per run, whatever shares it."""
        with self._blob_lock(digest):
            with self._lock:
                hit = self._blobs.pop(digest, None)
                if hit is not None:
                    self._blobs[digest] = hit  # most recently used last
            if hit is not None:
                return hit
            if digest in self._blob_errors:
                raise ImageFetchError(self._blob_errors[digest])
            cached = _cache_get(self.cache, digest)
            if cached is not None:
                with self.stats_lock:
                    self.stats["image_layer_cache_hits"] = self.stats.get("image_layer_cache_hits", 0) + 1
                self._remember(digest, cached)
                return cached
            try:
                got = self._download(ecr, ref, digest, f"{ref.repository}@{digest}")
            except (DownloadError, ClientError, BotoCoreError) as exc:
                from .scanner import error_reason

                msg = f"image {ref.uri}: layer {digest}: {error_reason(exc)}"
                if not isinstance(exc, ClientError):  # throttling / access errors may pass; bad blobs do not
                    self._blob_errors[digest] = msg
                raise ImageFetchError(msg) from None
            try:
                with open(got.path, "rb") as fh:
                    idx = index_tar(fh, self.keep, self.tar_limits, label=digest, record=recorded)
            finally:
                os.unlink(got.path)
            if not idx.unreadable:
                _cache_put(self.cache, digest, idx)
            self._remember(digest, idx)
            return idx

    def _remember(self, digest: str, idx: TarIndex) -> None:
        """Keep layer indexes for images still to come, least recently used dropped past the budget
        (a dropped layer another image needs later is downloaded again, never lost)."""
        size = idx.kept_bytes + 160 * len(idx.entries) + 1024
        with self._lock:
            self._blobs[digest] = idx
            self._sizes[digest] = size
            self._held += size
            while self._held > self.memory_budget and len(self._blobs) > 1:
                old = next(iter(self._blobs))
                self._blobs.pop(old)
                self._held -= self._sizes.pop(old)

    # ------------------------------------------------------------------ the image
    def tree(self, ecr, ref: ImageRef, digest: str, manifest: Manifest, notices: list[Notice],
             architecture: str) -> ImageTree:
        zstd = [d.digest for d in manifest.layers if layer_compression(d.media_type) == "zstd"]
        if zstd and not zstd_available():  # known before anything is downloaded
            raise ImageFetchError(f"image {ref.uri}: layer {zstd[0]} is zstd-compressed: not readable without "
                                  "the optional zstandard package (pip install 'pkgscan[zstd]')")
        config = self.config(ecr, ref, manifest)
        arch = LAMBDA_ARCH.get(architecture, architecture)
        if config.architecture and config.architecture != arch:
            notices.append(Notice("platform", "", f"image config says {config.os}/{config.architecture}; "
                                  f"the function runs {architecture}", True))
        digests = [d.digest for d in manifest.layers]
        workers = max(1, min(self.layer_workers, len(digests)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pkgscan-ecr-layer") as pool:
            futures = [pool.submit(self.layer, ecr, ref, d) for d in digests]
            layers = [f.result() for f in futures]
        bad = [idx.unreadable for idx in layers if idx.unreadable]
        if bad:
            raise ImageFetchError(f"image {ref.uri}: layer not readable: {bad[0]}")
        info = ImageInfo(reference=ref.uri, manifest_digest=digest, architecture=config.architecture, os=config.os,
                         notices=notices)
        for d, idx in zip(manifest.layers, layers):
            info.layers.append(LayerInfo(d.digest, d.media_type, idx.compressed_size, idx.uncompressed_size,
                                         len(idx.entries), len(idx.kept)))
        return ImageTree(layers, info, asked=self.keep.catalogers)


# ---------------------------------------------------------------------- layer indexes in the code cache

def _cache_get(cache, digest: str) -> TarIndex | None:
    """A layer index the code cache holds (``<hex>.layer-index.json``), or None (missing, other version, bad)."""
    import json
    import zlib

    from ..archive.tar import TarEntry

    if cache is None:
        return None
    try:
        p = cache._path(digest.split(":", 1)[1], "layer-index")
        doc = json.loads(p.read_bytes())
        if doc.get("pkgscan") != cache.version:
            return None
        d = doc["index"]
        idx = TarIndex(entries={k: TarEntry(v[0], int(v[1]), v[2]) for k, v in d["entries"].items()},
                       whiteouts=list(d["whiteouts"]), opaque=list(d["opaque"]),
                       kept={k: zlib.decompress(base64.b64decode(v)) for k, v in d["kept"].items()},
                       notices=[Notice(*n) for n in d["notices"]], compressed_size=int(d["compressed_size"]),
                       uncompressed_size=int(d["uncompressed_size"]), compression=d["compression"],
                       wanted=set(d["wanted"]) if isinstance(d.get("wanted"), list) else None)
        os.utime(p)
        return idx
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, zlib.error):
        return None


def _cache_put(cache, digest: str, idx: TarIndex) -> None:
    import json
    import zlib

    if cache is None:
        return
    doc = {"pkgscan": cache.version, "index": {
        "entries": {k: [e.kind, e.size, e.link] for k, e in idx.entries.items()},
        "whiteouts": idx.whiteouts, "opaque": idx.opaque,
        "kept": {k: base64.b64encode(zlib.compress(v, 6)).decode() for k, v in idx.kept.items()},
        "notices": [[n.code, n.path, n.message, n.suspicious] for n in idx.notices],
        "compressed_size": idx.compressed_size, "uncompressed_size": idx.uncompressed_size,
        "compression": idx.compression,
        "wanted": sorted(idx.wanted) if idx.wanted is not None else None}}
    try:
        p = cache._path(digest.split(":", 1)[1], "layer-index")
        tmp = p.with_name(f".{p.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(doc))
        os.replace(tmp, p)
        cache._evict()
    except (OSError, ValueError):
        pass


# ---------------------------------------------------------------------- the function's views

def _relocate(inv: Inventory, prefix: str) -> Inventory | None:
    """The components installed under ``prefix`` ("var/task/"), with paths relative to it."""
    comps = []
    for c in inv.components:
        occ = tuple(Occurrence(o.location[len(prefix):], _strip(o.root, prefix)) for o in c.occurrences
                    if o.location.startswith(prefix))
        if occ:
            comps.append(replace(c, occurrences=occ))
    return replace(inv, components=tuple(comps))


def _strip(root: str, prefix: str) -> str:
    p = prefix.rstrip("/")
    if root == p:
        return ""
    return root[len(prefix):] if root.startswith(prefix) else root


def image_views(inv: Inventory) -> tuple[Inventory | None, list[tuple[str, Inventory | None]]]:
    """The image as the runtime view sees a function: its code (/var/task) and /opt as one layer."""
    return _relocate(inv, "var/task/"), [(OPT_SOURCE, _relocate(inv, "opt/"))]


def view_location(location: str) -> tuple[str, str]:
    """(source, location) in the effective view of an image path."""
    if location.startswith("var/task/"):
        return "function", location[len("var/task/"):]
    if location.startswith("opt/"):
        return OPT_SOURCE, location[len("opt/"):]
    return "image", location


# ---------------------------------------------------------------------- the scanner's part

def scan_image_function(sc, config: dict, region: str, base: dict, runtime_verdict):
    """Scan one container-image function version for ``LambdaScanner`` ``sc``: a FunctionResult."""
    from .runtime_view import effective_view
    from ..scan import scan_tree
    from .model import FAILED, SCANNED, FunctionResult
    from .scanner import error_reason

    lam = sc.ctx.client("lambda", region)
    try:
        code = lam.get_function(FunctionName=base["arn"]).get("Code", {}) or {}
    except (ClientError, BotoCoreError) as exc:
        return FunctionResult(**base, status=FAILED, reason=f"image not resolved: {error_reason(exc)}",
                              runtime_verdict=runtime_verdict)
    image_uri, resolved = code.get("ImageUri", "") or "", code.get("ResolvedImageUri", "") or ""
    common = dict(image_uri=image_uri, resolved_image_uri=resolved, runtime_verdict=runtime_verdict)

    def failed(reason: str):
        return FunctionResult(**base, status=FAILED, reason=reason, **common)

    arch = ((config.get("Architectures") or ["x86_64"])[0]) or "x86_64"
    try:
        ref = parse_image_uri(resolved or image_uri)
    except ImageFetchError as exc:
        return failed(str(exc))
    other = f" (repository in account {ref.account})" if ref.account != base["account"] else ""
    ecr = sc.ctx.client("ecr", ref.region)
    try:
        digest, manifest, notices = sc.images.resolve(ecr, ref, arch)
    except ImageFetchError as exc:
        return failed(str(exc) + other)
    except (ClientError, BotoCoreError) as exc:
        return failed(f"image {ref.uri}: {error_reason(exc)}{other}")
    hexd = digest.split(":", 1)[1]
    key = f"{hexd}.image"
    with sc._locks[key]:
        if key not in sc._inventories and key not in sc._code_errors:
            inv = sc.cache.get(hexd, "image") if sc.cache else None
            if inv is None:
                try:
                    tree = sc.images.tree(ecr, ref, digest, manifest, notices, arch)
                    with tree:
                        inv = scan_tree(tree, ref.uri, layout="function", sha256=hexd)
                    inv = replace(inv, artifact=replace(inv.artifact, name=f"{ref.repository}@{digest}", path=""))
                except ImageFetchError as exc:
                    sc._code_errors[key] = str(exc) + other
                except (ClientError, BotoCoreError, DownloadError) as exc:
                    return failed(f"image {ref.uri}: {error_reason(exc)}{other}")  # not remembered: may pass later
                if inv is not None and sc.cache:
                    sc.cache.put(hexd, "image", inv)
            else:
                with sc._lock:
                    sc.stats["cache_hits"] += 1
            if inv is not None:
                findings = []
                if sc.checker is not None:
                    try:
                        findings = list(sc.checker.match(inv))
                    except Exception as exc:
                        sc._code_errors[key] = f"vulnerability matching failed: {error_reason(exc)}"
                if key not in sc._code_errors:
                    with sc._lock:
                        sc._inventories[key] = inv
                        sc._findings[key] = findings
    if key in sc._code_errors:
        return failed(sc._code_errors[key])
    inv = sc._inventories[key]
    from ..image.runtime import from_notices

    runtime = base["runtime"] or from_notices(inv.notices)  # the base image's runtime, when Lambda names none
    if runtime and not base["runtime"]:
        common["runtime_verdict"] = sc._runtime_verdict(runtime, "Image")
    fn_view, layer_views = image_views(inv)
    view = effective_view(runtime, fn_view, layer_views)
    shadowed = {(c.source, c.location) for c in view.shadowed()}
    findings = []
    for f in sc._findings.get(key, []):
        labels = list(f.labels)
        locs = [view_location(o.location) for o in f.component.occurrences]
        if locs and all(loc in shadowed for loc in locs):
            labels.append("shadowed")
        findings.append(replace(f, labels=tuple(labels)))
    return FunctionResult(**base, status=SCANNED, inventory_sha256=hexd, effective=view, findings=tuple(findings),
                          **common)


def image_warnings(inventories: dict) -> list[str]:
    """OSV has no Amazon Linux advisories: say the images' OS packages were not checked."""
    from ..check import unmatched_warnings

    comps = [c for k, inv in inventories.items() if k.endswith(".image") for c in inv.components]
    return unmatched_warnings(comps)
