"""Container-image functions scanned end to end against the emulator's ECR (real images built in
Python: manifests, configs, gzip layers, an OCI index, the AL2023 rpm database written by rpm).

The account: two functions whose images share a base layer (downloaded once), a whiteout that
deletes a vulnerable package, an OCI index with amd64 and arm64 images and functions of both
architectures, a Docker manifest list, a published version of an image function, an image in
another account (denied), a zstd-layer image (read with the optional decoder), and download faults (expired URL, corrupted blob,
throttled BatchGetImage).
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from pkgscan.aws.cache import CodeCache
from pkgscan.aws.scanner import LambdaScanner, ScanOptions
from pkgscan.aws.session import AwsContext, AwsOptions
from pkgscan.scan import vulnerability_sources
from pkgscan.vulns.store import import_path, writer

from .aws_emulator import oci_images as oi
from .aws_emulator.server import Emulator

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_packages"
RPMDB = ROOT / "tests" / "fixtures" / "image" / "rpmdb.sqlite"
POLICY = ROOT / "iam" / "pkgscan-scanner-policy.json"
REGION = "us-east-1"
OTHER_ACCOUNT = "210987654321"

#: a later layer uninstalls PyYAML the way pip does: its metadata and both its import packages
UNINSTALL_PYYAML = ("var/task/PyYAML-5.4.dist-info", "var/task/yaml", "var/task/_yaml")


def _base() -> oi.Layer:
    files = {"var/lib/rpm/rpmdb.sqlite": RPMDB.read_bytes(), "usr/bin/true": b"\x7fELF"}
    files.update(oi.zip_files(SAMPLES / "python-layer-sitepackages.zip", "var/lang", strip="python/"))
    return oi.layer(files, symlinks={"var/lang/bin/python3": "python3.12"})


def _six_in_task() -> dict[str, bytes]:
    """six 1.12.0 installed in the function too: the /opt copy is shadowed."""
    return {k.replace("opt/python/", "var/task/"): v for k, v in oi.zip_files(SAMPLES / "python-layer.zip", "opt").items()
            if "/six-1.12.0.dist-info/" in k}


@pytest.fixture(scope="module")
def images():
    base = _base()
    py = oi.image([base, oi.layer(oi.zip_files(SAMPLES / "python-function.zip", "var/task")),
                   oi.layer({"var/task/app.py": b"def handler(e, c):\n    return 1\n", **_six_in_task()},
                            whiteouts=UNINSTALL_PYYAML),
                   oi.layer(oi.zip_files(SAMPLES / "python-layer.zip", "opt"))])
    node = oi.image([base, oi.layer(oi.zip_files(SAMPLES / "node-function.zip", "var/task"))])
    arm_only = oi.layer({"var/task/armpkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: armpkg\nVersion: 1.0\n"})
    amd_only = oi.layer({"var/task/amdpkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: amdpkg\nVersion: 1.0\n"})
    multi = oi.index([oi.image([base, amd_only]), oi.image([base, arm_only], architecture="arm64")])
    dlist = oi.index([oi.image([base, amd_only], docker=True)], docker=True)
    import zstandard  # the test extra installs it (pkgscan[zstd])

    ztar = oi.tar_bytes({"var/task/zpkg-2.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: zpkg\nVersion: 2.0\n"})
    zstd = oi.image([base, oi.Layer(ztar, zstandard.ZstdCompressor(level=3).compress(ztar), oi.OCI_LAYER_ZSTD)])
    faulty = oi.image([oi.layer(oi.zip_files(SAMPLES / "python-function.zip", "var/task")),
                       oi.layer({"var/task/x.py": b"x = 1\n"})])
    return dict(base=base, py=py, node=node, multi=multi, arm_only=arm_only, amd_only=amd_only, dlist=dlist,
                zstd=zstd, faulty=faulty)


@pytest.fixture(scope="module")
def account(images):
    with Emulator() as emu:
        role = emu.client("iam").create_role(RoleName="img", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam = emu.client("lambda", REGION)
        fns = {}

        def fn(name, top, repo, arch="x86_64", account=None, publish=False):
            digest = emu.ecr.push(top, repo, region=REGION, account=account)
            uri = emu.ecr.uri(repo, digest, region=REGION, account=account)
            cfg = lam.create_function(FunctionName=name, Role=role, PackageType="Image", Code={"ImageUri": uri},
                                      Architectures=[arch], Publish=publish)
            fns[name] = cfg

        fn("img-py", images["py"], "app/py", publish=True)
        fn("img-node", images["node"], "app/node")
        fn("img-multi-arm", images["multi"], "app/multi", arch="arm64")
        fn("img-multi-amd", images["multi"], "app/multi")
        fn("img-dlist", images["dlist"], "app/dlist")
        fn("img-zstd", images["zstd"], "app/zstd")
        fn("img-faulty", images["faulty"], "app/faulty")
        fn("img-other-account", images["node"], "shared/base", account=OTHER_ACCOUNT)
        yield emu, fns
        assert not emu.bugs, emu.bugs


@pytest.fixture(scope="module")
def db_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("db")
    with writer(d) as w:
        for z in ("PyPI-all.zip", "npm-all.zip"):
            import_path(w, SAMPLES / "advisories" / z)
    return d


def _scanner(emu, db_dir, cache_dir, monkeypatch):
    for k, v in emu.env().items():
        monkeypatch.setenv(k, v)
    ctx = AwsContext(AwsOptions(region=REGION, endpoint_url=emu.endpoint_url, retry_mode="standard", max_attempts=5))
    sources, _info = vulnerability_sources(db_dir=db_dir)
    from pkgscan.aws.download import Downloader

    return LambdaScanner(ctx, sources=sources, cache=CodeCache(cache_dir, version="test"),
                         downloader=Downloader(backoff=0.01),
                         options=ScanOptions(today=date(2025, 1, 1), workers=4, all_versions=True))


def _arm_faults(emu, images):
    faulty = images["faulty"]
    emu.faults.clear()
    emu.faults.expire_download(f"*@{faulty.layers[0].digest}", times=1)
    emu.faults.corrupt_download(f"*@{faulty.layers[1].digest}", times=1)
    emu.faults.throttle(2, service="ecr", operation="BatchGetImage", resource=None)
    emu.faults.throttle(1, service="ecr", operation="GetDownloadUrlForLayer", resource=None)


@pytest.fixture(scope="module")
def first(account, images, db_dir, tmp_path_factory):
    emu, _fns = account
    cache_dir = tmp_path_factory.mktemp("cache")
    mp = pytest.MonkeyPatch()
    try:
        _arm_faults(emu, images)
        emu.log.clear()
        sc = _scanner(emu, db_dir, cache_dir, mp)
        result = sc.scan_regions([REGION], emu.account_id)
        log = {"downloads": Counter(d.code_sha256 for d in emu.log.download_list() if d.complete),
               "iam": emu.log.iam_actions(), "stats": dict(sc.stats),
               "faults": Counter(d.fault for d in emu.log.download_list() if d.fault)
               + Counter(f"{c.operation}:{c.fault}" for c in emu.log.api_calls() if c.fault)}
    finally:
        mp.undo()
    return result, log, cache_dir


def _by_name(result):
    out = {}
    for f in result.functions:
        out.setdefault(f.name, []).append(f)
    return out


def test_image_functions_are_scanned_with_findings_and_verdicts(first):
    result, _log, _ = first
    fns = _by_name(result)
    py = fns["img-py"]
    assert {f.version for f in py} == {"$LATEST", "1"}
    for f in py:
        assert f.status == "scanned", f.reason
        assert f.resolved_image_uri.endswith(f.inventory_sha256) and f.package_type == "Image"
        assert f.runtime == "" and f.runtime_verdict.runtime == "python3.12"  # from the base image
        assert f.runtime_verdict.status == "supported"
        ids = {(x.component.name, x.component.version) for x in f.findings}
        assert ("jinja2", "2.10") in ids and ("pyjwt", "1.7.1") in ids
        assert not any(name == "pyyaml" for name, _v in ids), "deleted by a whiteout: not reported"
    inv = result.inventories[py[0].inventory_sha256]
    assert inv.component("rpm", "openssl-libs").purl == "pkg:rpm/amazon/openssl-libs@3.0.8-1.amzn2023.0.12?arch=x86_64&epoch=1"
    assert inv.component("pypi", "pyyaml") is None
    assert fns["img-node"][0].status == "scanned" and fns["img-node"][0].findings
    assert any("Amazon Linux" in w and "not checked" in w for w in result.warnings)


def test_effective_view_of_an_image(first):
    result, _log, _ = first
    f = _by_name(result)["img-py"][0]
    six = [c for c in f.effective.copies if c.name == "six"]
    assert {(c.source, c.status) for c in six} == {("function", "loaded"), ("image:/opt", "shadowed")}
    jwt = f.effective.loaded("pypi", "pyjwt")
    assert jwt is not None and jwt.source == "image:/opt" and jwt.search_path == "/opt/python"


def test_shared_base_layer_is_downloaded_once(first, images):
    _result, log, _ = first
    downloads: Counter = log["downloads"]
    assert max(downloads.values()) == 1, [h for h, n in downloads.items() if n > 1]
    assert downloads[images["base"].digest.split(":")[1]] == 1


def test_only_the_functions_architecture_is_read(first, images):
    result, log, _ = first
    fns = _by_name(result)
    arm, amd = fns["img-multi-arm"][0], fns["img-multi-amd"][0]
    assert arm.status == amd.status == "scanned"
    arm_inv, amd_inv = result.inventories[arm.inventory_sha256], result.inventories[amd.inventory_sha256]
    assert arm_inv.component("pypi", "armpkg") and not arm_inv.component("pypi", "amdpkg")
    assert amd_inv.component("pypi", "amdpkg") and not amd_inv.component("pypi", "armpkg")
    # the arm64 image's config and layer were downloaded only for the arm64 function (once each)
    assert log["downloads"][images["arm_only"].digest.split(":")[1]] == 1
    d = _by_name(result)["img-dlist"][0]
    assert d.status == "scanned" and result.inventories[d.inventory_sha256].component("pypi", "amdpkg")


def test_zstd_images_are_read_and_denied_images_fail_with_the_reason(first):
    result, _log, _ = first
    fns = _by_name(result)
    z = fns["img-zstd"][0]  # a zstd layer is read with the optional decoder
    assert z.status == "scanned" and result.inventories[z.inventory_sha256].component("pypi", "zpkg")
    o = fns["img-other-account"][0]
    assert o.status == "failed" and "access denied (BatchGetImage)" in o.reason and OTHER_ACCOUNT in o.reason


def test_download_faults_are_recovered(first):
    result, log, _ = first
    f = _by_name(result)["img-faulty"][0]
    assert f.status == "scanned", f.reason
    assert log["faults"] == {"expire": 1, "corrupt": 1, "BatchGetImage:throttle": 2, "GetDownloadUrlForLayer:throttle": 1}


def test_api_calls_are_covered_by_the_shipped_iam_policy(first):
    _result, log, _ = first
    policy = json.loads(POLICY.read_text())
    allowed = {a for st in policy["Statement"] for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    needed = set(log["iam"]) - {"sts:GetCallerIdentity", "lambda:CreateFunction", "iam:CreateRole"}
    assert {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"} <= needed
    assert needed <= allowed, needed - allowed


def test_warm_cache_downloads_no_blob(account, images, first, db_dir, monkeypatch):
    emu, _fns = account
    before, _log, cache_dir = first
    emu.faults.clear()
    emu.log.clear()
    sc = _scanner(emu, db_dir, cache_dir, monkeypatch)
    again = sc.scan_regions([REGION], emu.account_id)
    # the scanned images come from the cache
    assert not [d for d in emu.log.download_list() if d.complete]
    assert [(f.arn, f.status) for f in again.functions] == [(f.arn, f.status) for f in before.functions]
    assert [sorted(x.id for x in f.findings) for f in again.functions] == \
        [sorted(x.id for x in f.findings) for f in before.functions]


def test_function_sbom_of_an_image(first, tmp_path):
    from pkgscan.aws import results

    result, _log, _ = first
    results.write(result, tmp_path)
    sboms = {p.name: p for p in (tmp_path / "functions").rglob("*.cdx.json")}
    name = next(n for n in sboms if n.startswith("img-py"))
    bom = json.loads(sboms[name].read_text())
    purls = {c.get("purl") for c in bom["components"]}
    assert "pkg:rpm/amazon/zlib@1.2.11-33.amzn2023.0.5?arch=x86_64" in purls and "pkg:pypi/jinja2@2.10" in purls
    text = sboms[name].read_text()
    assert "/var/task/Jinja2-2.10.dist-info/METADATA" in text and "/var/task/var/task" not in text
    from pkgscan.report.sbom_schema import validate

    assert validate(sboms[name].read_text(), "cyclonedx-json", "1.6") is None
    summary = json.loads((tmp_path / "summary.json").read_text())
    statuses = {f["name"]: f["status"] for f in summary["functions"]}
    assert statuses["img-py"] == "scanned" and statuses["img-zstd"] == "scanned"


def test_layer_indexes_held_within_a_budget():
    from pkgscan.archive.tar import TarIndex, TarEntry
    from pkgscan.aws.download import Downloader
    from pkgscan.aws.ecr import EcrImages

    imgs = EcrImages(Downloader())
    imgs.memory_budget = 10_000
    for i in range(5):
        idx = TarIndex(entries={f"var/task/f{k}": TarEntry("f", 1) for k in range(20)}, kept={"a": b"x" * 3000})
        imgs._remember(f"sha256:{i:064x}", idx)
    assert 1 <= len(imgs._blobs) < 5 and imgs._held <= 10_000
    assert f"sha256:{4:064x}" in imgs._blobs  # the most recent stays


def test_a_changed_image_downloads_only_its_new_layers_in_a_later_run(account, images, first, db_dir, monkeypatch):
    emu, _fns = account
    _before, _log, cache_dir = first
    new_top = oi.layer({"var/task/release.txt": b"v2\n"})
    v2 = oi.image([*images["py"].layers, new_top])
    digest = emu.ecr.push(v2, "app/py", region=REGION, tag="v2")
    role = f"arn:aws:iam::{emu.account_id}:role/img"
    emu.client("lambda", REGION).create_function(
        FunctionName="img-py-v2", Role=role, PackageType="Image",
        Code={"ImageUri": emu.ecr.uri("app/py", digest, region=REGION)}, Architectures=["x86_64"])
    emu.faults.clear()
    emu.log.clear()
    sc = _scanner(emu, db_dir, cache_dir, monkeypatch)
    result = sc.scan_regions([REGION], emu.account_id)
    got = {d.code_sha256 for d in emu.log.download_list() if d.complete}
    assert got == {new_top.digest.split(":")[1], oi.sha256(v2.config).split(":")[1]}
    f = _by_name(result)["img-py-v2"][0]
    assert f.status == "scanned" and result.inventories[f.inventory_sha256].component("pypi", "jinja2")
    assert sc.stats["image_layer_cache_hits"] == len(images["py"].layers)


class _Ecr:
    """A recorded ECR answer (what BatchGetImage returned), to check how pkgscan judges it."""

    def __init__(self, manifests: dict[str, tuple[bytes, str]]):
        self.manifests = manifests

    def batch_get_image(self, registryId, repositoryName, imageIds, acceptedMediaTypes):
        d = imageIds[0].get("imageDigest")
        if d not in self.manifests:
            return {"images": [], "failures": [{"failureCode": "ImageNotFound", "failureReason": "Requested image not found"}]}
        data, mt = self.manifests[d]
        return {"images": [{"imageManifest": data.decode(), "imageManifestMediaType": mt, "imageId": {"imageDigest": d}}]}


def test_image_uri_parsing_and_manifest_checks(images):
    from pkgscan.aws.download import Downloader
    from pkgscan.aws.ecr import ImageFetchError, parse_image_uri, EcrImages

    ref = parse_image_uri(f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app@{images['py'].digest}")
    assert (ref.account, ref.region, ref.repository, ref.digest) == ("123456789012", "eu-west-1", "team/app", images["py"].digest)
    assert parse_image_uri("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1.2").tag == "v1.2"
    for bad in ("", "docker.io/library/python:3.12", "123.dkr.ecr.us-east-1.amazonaws.com/app", "x" * 5000):
        with pytest.raises(ImageFetchError):
            parse_image_uri(bad)
    imgs = EcrImages(Downloader())
    multi = images["multi"]
    ecr = _Ecr({multi.digest: (multi.manifest, multi.manifest_media_type),
                **{im.digest: (im.manifest, im.manifest_media_type) for im in multi.images}})
    ref = parse_image_uri(f"123456789012.dkr.ecr.us-east-1.amazonaws.com/app@{multi.digest}")
    digest, manifest, notices = imgs.resolve(ecr, ref, "arm64")
    assert digest == multi.images[1].digest and manifest.layers[-1].digest == images["arm_only"].digest
    assert notices and "amd64" in notices[0].message
    with pytest.raises(ImageFetchError, match="no linux/s390x"):
        imgs.resolve(ecr, ref, "s390x")
    tampered = _Ecr({multi.digest: (multi.manifest.replace(b"arm64", b"arm65"), multi.manifest_media_type)})
    with pytest.raises(ImageFetchError, match="does not match its digest"):
        imgs.resolve(tampered, ref, "arm64")
    with pytest.raises(ImageFetchError, match="ImageNotFound"):
        imgs.resolve(_Ecr({}), ref, "x86_64")
