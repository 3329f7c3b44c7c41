"""Amazon ECR, the parts pkgscan reads: ``BatchGetImage`` (manifests and indexes, exact bytes),
``GetDownloadUrlForLayer`` (a presigned URL per blob, served by the emulator's download endpoint
with its faults: expired URL, corrupted bytes, dropped connection) and ``DescribeImages``.

Images are pushed directly (``emu.ecr.push(...)``) from real bytes built by ``oci_images``;
repositories belong to an account and region; another account reads them only when the
repository policy names it (``allow_accounts``), else AccessDeniedException as ECR answers.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from .oci_images import Image, ImageIndex, sha256
from .protocol import ApiError, RequestInfo, access_denied_error


@dataclass
class Repository:
    account: str
    region: str
    name: str
    manifests: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # digest -> (bytes, media type)
    tags: dict[str, str] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    allow_accounts: set[str] = field(default_factory=set)

    @property
    def arn(self) -> str:
        return f"arn:aws:ecr:{self.region}:{self.account}:repository/{self.name}"


class EcrService:
    OPS = ("BatchGetImage", "GetDownloadUrlForLayer", "DescribeImages")

    def __init__(self, emu):
        self.emu = emu
        self.repos: dict[tuple[str, str, str], Repository] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ setup (tests)
    def push(self, top: Image | ImageIndex, repository: str, *, region: str | None = None,
             account: str | None = None, tag: str | None = "latest") -> str:
        """Store an image (or an index with its images) as ``docker push`` would; returns its digest."""
        region = region or self.emu.default_region
        account = account or self.emu.account_id
        with self._lock:
            repo = self.repos.setdefault((account, region, repository), Repository(account, region, repository))
            images = top.images if isinstance(top, ImageIndex) else [top]
            for im in images:
                repo.manifests[im.digest] = (im.manifest, im.manifest_media_type)
                repo.blobs.update(im.blobs())
            repo.manifests[top.digest] = (top.manifest, top.manifest_media_type)
            if tag:
                repo.tags[tag] = top.digest
        return top.digest

    def uri(self, repository: str, digest: str, *, region: str | None = None, account: str | None = None) -> str:
        return (f"{account or self.emu.account_id}.dkr.ecr.{region or self.emu.default_region}.amazonaws.com/"
                f"{repository}@{digest}")

    def repository(self, repository: str, *, region: str | None = None, account: str | None = None) -> Repository:
        return self.repos[(account or self.emu.account_id, region or self.emu.default_region, repository)]

    # ------------------------------------------------------------------ API
    def handles(self, operation: str | None) -> bool:
        return operation in self.OPS

    def handle(self, info: RequestInfo) -> tuple[int, dict[str, str], bytes]:
        params = info.json() if info.body else {}
        if not isinstance(params, dict):
            raise ApiError("InvalidParameterException", "request body is not a JSON object")
        out = getattr(self, f"op_{info.operation}")(info, params)
        return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(out).encode()

    def _repo(self, info: RequestInfo, params: dict) -> Repository:
        account = params.get("registryId") or info.account
        name = params.get("repositoryName")
        if not isinstance(name, str) or not name:
            raise ApiError("InvalidParameterException", "repositoryName is required")
        repo = self.repos.get((account, info.region, name))
        if account != info.account and (repo is None or info.account not in repo.allow_accounts):
            raise access_denied_error(
                info, f"on resource: arn:aws:ecr:{info.region}:{account}:repository/{name} because no "
                      "resource-based policy allows the action")
        if repo is None:
            raise ApiError("RepositoryNotFoundException",
                           f"The repository with name '{name}' does not exist in the registry with id '{account}'")
        return repo

    def op_BatchGetImage(self, info: RequestInfo, params: dict) -> dict[str, Any]:
        repo = self._repo(info, params)
        accepted = params.get("acceptedMediaTypes") or []
        images, failures = [], []
        for ident in params.get("imageIds") or []:
            digest = ident.get("imageDigest") or repo.tags.get(ident.get("imageTag") or "", "")
            got = repo.manifests.get(digest)
            if got is None:
                failures.append({"imageId": ident, "failureCode": "ImageNotFound",
                                 "failureReason": "Requested image not found"})
                continue
            data, mt = got
            if accepted and mt not in accepted:
                failures.append({"imageId": ident, "failureCode": "UnsupportedImageType",
                                 "failureReason": f"manifest media type {mt} not accepted"})
                continue
            image_id = {"imageDigest": digest}
            if ident.get("imageTag"):
                image_id["imageTag"] = ident["imageTag"]
            images.append({"registryId": repo.account, "repositoryName": repo.name, "imageId": image_id,
                           "imageManifest": data.decode("utf-8"), "imageManifestMediaType": mt})
        return {"images": images, "failures": failures}

    def op_GetDownloadUrlForLayer(self, info: RequestInfo, params: dict) -> dict[str, Any]:
        repo = self._repo(info, params)
        digest = params.get("layerDigest") or ""
        data = repo.blobs.get(digest)
        if data is None:
            raise ApiError("LayersNotFoundException",
                           f"The layer with digest '{digest}' does not exist in the repository '{repo.name}'")
        assert sha256(data) == digest
        url = self.emu.downloads.issue(kind="ecr-blob", target=f"{repo.arn}@{digest}", function_name=repo.name,
                                       region=repo.region, data=data, sha=digest.split(":", 1)[1])
        return {"downloadUrl": url, "layerDigest": digest}

    def op_DescribeImages(self, info: RequestInfo, params: dict) -> dict[str, Any]:
        repo = self._repo(info, params)
        details = []
        for digest, (data, mt) in sorted(repo.manifests.items()):
            details.append({"registryId": repo.account, "repositoryName": repo.name, "imageDigest": digest,
                            "imageTags": sorted(t for t, d in repo.tags.items() if d == digest),
                            "imageManifestMediaType": mt, "imageSizeInBytes": len(data)})
        return {"imageDetails": details}
